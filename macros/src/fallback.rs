//! A stand-in for a task whose definition is wrong.
//!
//! When the macro reports an error, it still emits the task's struct with its constructor,
//! meta options and managers, so the code that uses the task compiles as far as it can and the
//! user sees the macro's error alone, not a cascade of "cannot find type" errors. The body is
//! not emitted, so it cannot add errors of its own either; it is checked once the signature is
//! fixed. The stand-in never runs: the compile error above it stops the build.

use proc_macro2::TokenStream;
use quote::quote;

use crate::attr::Args;
use crate::expand::{shared_methods, struct_header};
use crate::model::{TaskFn, mentions_ctx, ok_type};

pub(crate) fn generate(task: &TaskFn, args: &Args) -> TokenStream {
    let TaskFn {
        cfg_attrs,
        vis,
        name,
        struct_name,
        ..
    } = task;
    let krate = &args.krate;
    let policy = args
        .policy
        .clone()
        .unwrap_or_else(|| syn::parse_quote!(CoarseList));
    // `new` keeps the user's parameter types, even borrowed ones: they are fine as parameters.
    let params = task.args.iter().filter(|a| !mentions_ctx(&a.ty)).map(|a| {
        let (name, ty) = (&a.name, &a.ty);
        quote!(#name: #ty)
    });
    let names = task
        .args
        .iter()
        .filter(|a| !mentions_ctx(&a.ty))
        .map(|a| &a.name);
    let output = task
        .output
        .as_ref()
        .and_then(ok_type)
        .map_or_else(|| quote!(()), |ty| quote!(#ty));
    let header = struct_header(task, "stand-in for a mistyped");
    let shared = shared_methods(task, krate);
    let name_text = name.to_string();
    quote! {
        #header
        #vis struct #struct_name {
            __spm_meta: #krate::__private::TaskMeta,
        }

        #(#cfg_attrs)*
        const _: () = {
            impl #struct_name {
                #[allow(unused_variables, clippy::too_many_arguments)]
                #vis fn new(#( #params ),*) -> Self {
                    let _ = ( #( #names, )* );
                    Self { __spm_meta: ::core::default::Default::default() }
                }
                #shared
            }

            impl ::core::clone::Clone for #struct_name {
                fn clone(&self) -> Self {
                    Self { __spm_meta: ::core::clone::Clone::clone(&self.__spm_meta) }
                }
            }

            impl #krate::Task for #struct_name {
                type Policy = #krate::#policy;
                type Output = #output;
                type Args = ();
                const NAME: &'static str = #name_text;
                const PATH: &'static str = #name_text;

                fn into_args(self) -> Self::Args {}

                fn from_args((): Self::Args) -> Self {
                    ::core::unreachable!("a task with a compile error never runs")
                }

                fn args_codec() -> ::core::option::Option<#krate::__private::Codec<Self::Args>> {
                    ::core::option::Option::None
                }

                fn output_codec() -> ::core::option::Option<#krate::__private::Codec<Self::Output>> {
                    ::core::option::Option::None
                }

                fn meta_mut(&mut self) -> &mut #krate::__private::TaskMeta {
                    &mut self.__spm_meta
                }

                fn call(
                    self,
                    _: &#krate::Ctx<#krate::#policy>,
                ) -> ::core::result::Result<Self::Output, #krate::TaskError> {
                    ::core::unreachable!("a task with a compile error never runs")
                }
            }
        };
    }
}
