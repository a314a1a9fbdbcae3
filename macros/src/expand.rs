//! Generates the task from a checked model.
//!
//! Everything but the struct itself sits inside `const _: () = { ... };`, and the runtime is
//! named only through the `spm` facade (or the path given with `crate = ..`), so nothing leaks
//! into the user's namespace. Checks that only the type system can make are spanned on the
//! user's tokens (`quote_spanned!`), so their errors point at the user's argument or return type.

use proc_macro2::{Ident, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{FnArg, ItemFn, Path};

use crate::attr;
use crate::errors::Errors;
use crate::fallback;
use crate::model::{self, TaskFn};

pub(crate) fn pclosure(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let args = attr::parse(args, &mut errors);
    let item: ItemFn = match syn::parse2(item.clone()) {
        Ok(item) => item,
        Err(_) => {
            errors.push(syn::Error::new(
                item.clone().into_iter().next().map_or_else(proc_macro2::Span::call_site, |t| t.span()),
                "`#[pclosure]` applies to a function: `fn name(ctx: &Ctx, ...) -> Result<T, TaskError>`",
            ));
            // Leave the item as it was, so nothing else about it fails.
            let errors = errors.to_compile_errors();
            return quote!(#errors #item);
        }
    };
    if args.targets.is_some() || args.workgroup.is_some() {
        return crate::kernel::pclosure(item, &args, errors);
    }
    let task = model::build(item, &mut errors);
    if task.has_receiver {
        // A method sits in an `impl` block, where no struct can go: keep the method, with its
        // context typed and its body set aside, so only the error above is reported.
        let errors = errors.to_compile_errors();
        let method = receiver_stand_in(&task, &args);
        return quote!(#errors #method);
    }
    match (&args.policy, errors.is_empty()) {
        (Some(policy), true) => generate(&task, policy, &args.krate),
        _ => {
            let errors = errors.to_compile_errors();
            let stand_in = fallback::generate(&task, &args);
            quote!(#errors #stand_in)
        }
    }
}

fn generate(task: &TaskFn, policy: &Ident, krate: &Path) -> TokenStream {
    let TaskFn {
        cfg_attrs,
        vis,
        name,
        struct_name,
        args,
        output,
        ..
    } = task;
    let output = output.as_ref().expect("a checked task has a return type");
    let names: Vec<&Ident> = args.iter().map(|a| &a.name).collect();
    let types: Vec<&syn::Type> = args.iter().map(|a| &a.ty).collect();
    let name_text = name.to_string();
    let header = struct_header(task, &format!("`{}`", policy_attr(policy)));
    let shared = shared_methods(task, krate);

    let clones = args.iter().map(|arg| {
        let (name, ty) = (&arg.name, &arg.ty);
        // The argument type is given explicitly, so the compiler cannot suggest borrowing it.
        quote_spanned!(ty.span()=> #name: #krate::__private::clone_arg::<#ty>(&self.#name))
    });
    // Written `Result<T, ..>`, the value type is read off the syntax, so a wrong error type is
    // reported once (by `into_result` below); otherwise (an alias) the type system finds it.
    let output_item = match crate::model::ok_type(output) {
        Some(value) => quote_spanned!(output.span()=> type Output = #value;),
        None => {
            quote_spanned!(output.span()=> type Output = <#output as #krate::TaskReturn>::Value;)
        }
    };
    // Spanned like `output_type`, so a wrong return type is reported once, on the user's type.
    let krate_there = respan(quote!(#krate), output.span());
    let run_body = quote_spanned!(output.span()=>
        let __spm_result = #name(__spm_ctx, #( #names ),*);
        #krate_there::TaskReturn::into_task_result(__spm_result)
    );
    let call_output =
        quote_spanned!(output.span()=> ::core::result::Result<Self::Output, #krate::TaskError>);

    let ctx_path = task
        .ctx_path
        .as_ref()
        .expect("a checked task names its context");
    let body_fn = with_policy(&task.body_fn, ctx_path, &quote!(#krate::#policy));

    quote! {
        #header
        #vis struct #struct_name {
            #( #names: #types, )*
            __spm_meta: #krate::__private::TaskMeta,
        }

        #(#cfg_attrs)*
        const _: () = {
            impl #struct_name {
                /// Makes the task from its arguments.
                #[allow(clippy::too_many_arguments)]
                #vis fn new(#( #names: #types ),*) -> Self {
                    Self {
                        #( #names, )*
                        __spm_meta: ::core::default::Default::default(),
                    }
                }
                #shared
            }

            impl ::core::clone::Clone for #struct_name {
                fn clone(&self) -> Self {
                    Self {
                        #( #clones, )*
                        __spm_meta: ::core::clone::Clone::clone(&self.__spm_meta),
                    }
                }
            }

            impl #krate::Task for #struct_name {
                type Policy = #krate::#policy;
                #output_item
                type Args = (#( #types, )*);
                const NAME: &'static str = #name_text;
                const PATH: &'static str = ::core::concat!(
                    ::core::module_path!(), "::", #name_text, " (", ::core::file!(), ":", ::core::line!(), ")"
                );

                fn meta_mut(&mut self) -> &mut #krate::__private::TaskMeta {
                    &mut self.__spm_meta
                }

                #[allow(clippy::unused_unit)]
                fn into_args(self) -> Self::Args {
                    let Self { #( #names, )* .. } = self;
                    (#( #names, )*)
                }

                #[allow(clippy::unused_unit)]
                fn from_args((#( #names, )*): Self::Args) -> Self {
                    Self::new(#( #names ),*)
                }

                #[allow(clippy::needless_borrow)]
                fn args_codec() -> ::core::option::Option<#krate::__private::Codec<Self::Args>> {
                    use #krate::__private::{NotSerde as _, ViaSerde as _};
                    (&&#krate::__private::Probe::<Self::Args>::new()).codec()
                }

                #[allow(clippy::needless_borrow)]
                fn output_codec() -> ::core::option::Option<#krate::__private::Codec<Self::Output>> {
                    use #krate::__private::{NotSerde as _, ViaSerde as _};
                    (&&#krate::__private::Probe::<Self::Output>::new()).codec()
                }

                fn call(
                    self,
                    __spm_ctx: &#krate::Ctx<#krate::#policy>,
                ) -> #call_output {
                    #body_fn
                    let Self { #( #names, )* .. } = self;
                    #run_body
                }
            }

            // So that a process spoke, running this same program, finds the task by its path.
            #[#krate::__private::linkme::distributed_slice(#krate::__private::TASKS)]
            #[linkme(crate = #krate::__private::linkme)]
            static __SPM_TASK: #krate::__private::TaskEntry =
                #krate::__private::TaskEntry::of::<#struct_name>();
        };
    }
}

/// The user's function with its context typed by the policy: `&Ctx` becomes `&Ctx<Policy>`,
/// keeping the path the user wrote (so their import of `Ctx` is the one used).
fn with_policy(function: &ItemFn, ctx_path: &Path, policy: &TokenStream) -> ItemFn {
    let mut function = function.clone();
    if let Some(FnArg::Typed(ctx)) = function.sig.inputs.first_mut() {
        let span = ctx.ty.span();
        *ctx.ty = syn::parse2(quote_spanned!(span=> &#ctx_path<#policy>))
            .expect("a reference to a path with arguments is a type");
    }
    // Task arguments are owned by design; the lint that asks for references does not apply.
    function
        .attrs
        .push(syn::parse_quote!(#[allow(clippy::needless_pass_by_value)]));
    function
}

/// What stands in for a method (a function with `self`) that was marked `#[pclosure]`.
fn receiver_stand_in(task: &TaskFn, args: &attr::Args) -> TokenStream {
    let krate = &args.krate;
    let policy = args
        .policy
        .clone()
        .unwrap_or_else(|| syn::parse_quote!(CoarseList));
    let mut method = task.body_fn.clone();
    for input in &mut method.sig.inputs {
        if let FnArg::Typed(typed) = input
            && crate::model::mentions_ctx(&typed.ty)
        {
            *typed.ty = syn::parse_quote!(&#krate::Ctx<#krate::#policy>);
        }
    }
    method
        .attrs
        .push(syn::parse_quote!(#[allow(unused_variables)]));
    method.attrs.extend(task.outer_attrs.iter().cloned());
    method.attrs.extend(task.cfg_attrs.iter().cloned());
    method.vis = task.vis.clone();
    *method.block =
        syn::parse_quote!({ ::core::unreachable!("a pclosure with a compile error never runs") });
    quote!(#method)
}

/// `tokens` with every span set to `span`, so an error about them points there.
fn respan(tokens: TokenStream, span: proc_macro2::Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut token| {
            if let proc_macro2::TokenTree::Group(group) = &token {
                let mut inner =
                    proc_macro2::Group::new(group.delimiter(), respan(group.stream(), span));
                inner.set_span(span);
                token = proc_macro2::TokenTree::Group(inner);
            } else {
                token.set_span(span);
            }
            token
        })
        .collect()
}

/// The attribute name of a policy's marker type.
fn policy_attr(policy: &Ident) -> &'static str {
    crate::policy::POLICIES
        .iter()
        .find(|(_, ty)| policy == ty)
        .map_or("?", |(attr, _)| attr)
}

/// The user's attributes and a generated doc line for the struct.
pub(crate) fn struct_header(task: &TaskFn, policy: &str) -> TokenStream {
    let TaskFn {
        outer_attrs,
        cfg_attrs,
        name,
        struct_name,
        ..
    } = task;
    let separator = if outer_attrs.iter().any(|a| a.path().is_ident("doc")) {
        quote!(#[doc = ""])
    } else {
        quote!()
    };
    let doc = format!(
        "A {policy} task, made by `#[pclosure]` from `fn {name}`: build it with [`{struct_name}::new`]."
    );
    quote! {
        #(#cfg_attrs)*
        #(#outer_attrs)*
        #separator
        #[doc = #doc]
        #[must_use = "a task does nothing until a manager evaluates it"]
    }
}

/// Meta options and managers, the same for a real task and its stand-in. The managers carry
/// the policy bounds that make the wrong manager a compile error naming the right one.
pub(crate) fn shared_methods(task: &TaskFn, krate: &Path) -> TokenStream {
    let vis = &task.vis;
    quote! {
        /// Names the task in reports, errors and `ctx.label()` (default: `name#index`).
        #vis fn label(mut self, label: impl ::core::convert::Into<::std::string::String>) -> Self {
            self.__spm_meta.set_label(::core::convert::Into::into(label));
            self
        }

        /// Gives each attempt of the task a hard deadline; it overrides the manager's
        /// `timeout_per_task`.
        #vis fn timeout(mut self, timeout: ::core::time::Duration) -> Self {
            self.__spm_meta.set_timeout(timeout);
            self
        }

        /// On a process spoke, limits the spoke's address space while it runs this task
        /// (`RLIMIT_AS`); it overrides the manager's `memory_limit`.
        #vis fn memory_limit(mut self, bytes: u64) -> Self {
            self.__spm_meta.set_memory_limit(bytes);
            self
        }

        /// On a process spoke, limits the CPU time this task may use (whole seconds,
        /// `RLIMIT_CPU`); it overrides the manager's `cpu_time_limit`.
        #vis fn cpu_time_limit(mut self, cpu_time: ::core::time::Duration) -> Self {
            self.__spm_meta.set_cpu_time_limit(cpu_time);
            self
        }

        /// A manager of independent tasks (`coarse_list`, `fine_limited`).
        #vis fn list<__SpmPolicy, __SpmTasks>(tasks: __SpmTasks) -> #krate::Manager<Self>
        where
            Self: #krate::Task<Policy = __SpmPolicy>,
            __SpmPolicy: #krate::capability::ManagedAsList,
            __SpmTasks: ::core::iter::IntoIterator<Item = Self>,
        {
            #krate::Manager::list(tasks)
        }

        /// A manager of alternative tasks, the first success winning (`coarse_race`).
        #vis fn race<__SpmPolicy, __SpmTasks>(tasks: __SpmTasks) -> #krate::Manager<Self>
        where
            Self: #krate::Task<Policy = __SpmPolicy>,
            __SpmPolicy: #krate::capability::ManagedAsRace,
            __SpmTasks: ::core::iter::IntoIterator<Item = Self>,
        {
            #krate::Manager::race(tasks)
        }

        /// A manager of this one task (`coarse_singleton`).
        #vis fn singleton<__SpmPolicy>(self) -> #krate::Manager<Self>
        where
            Self: #krate::Task<Policy = __SpmPolicy>,
            __SpmPolicy: #krate::capability::ManagedAsSingleton,
        {
            #krate::Manager::singleton(self)
        }

        /// A manager of a gang of `size` members, co-scheduled, member `rank` being
        /// `member(rank)` (`fine_general`).
        #vis fn gang<__SpmPolicy, __SpmMember>(size: usize, member: __SpmMember) -> #krate::Manager<Self>
        where
            Self: #krate::Task<Policy = __SpmPolicy>,
            __SpmPolicy: #krate::capability::ManagedAsGang,
            __SpmMember: ::core::ops::FnMut(usize) -> Self,
        {
            #krate::Manager::gang(size, member)
        }
    }
}

#[cfg(test)]
mod tests {
    use quote::quote;

    /// Spacing between tokens depends on how they were made, and trailing commas on the
    /// formatter, not on what the code is.
    fn squeeze(tokens: proc_macro2::TokenStream) -> String {
        let text: String = tokens.to_string().split_whitespace().collect();
        text.replace(",)", ")")
            .replace(",}", "}")
            .replace(",]", "]")
    }

    /// Fails, saying where the fresh expansion is, unless `generated` is what `documented`
    /// (a file of docs/expansion) holds.
    fn same_expansion(generated: proc_macro2::TokenStream, documented: &str, file: &str) {
        let documented: proc_macro2::TokenStream = documented.parse().unwrap();
        if squeeze(generated.clone()) != squeeze(documented) {
            let fresh = std::env::temp_dir().join(format!("spm-{file}.expanded.rs"));
            std::fs::write(&fresh, generated.to_string()).unwrap();
            panic!(
                "the expansion changed: it is in {}; format it (`rustfmt --edition 2024`), read the difference, and copy it into docs/expansion/{file} under its two comment lines",
                fresh.display()
            );
        }
    }

    /// The string literal that follows `field:` in generated code (a kernel's source).
    fn source_of(tokens: &proc_macro2::TokenStream, field: &str) -> Option<String> {
        let tokens: Vec<proc_macro2::TokenTree> = tokens.clone().into_iter().collect();
        for (i, token) in tokens.iter().enumerate() {
            match token {
                proc_macro2::TokenTree::Ident(ident) if ident == field => {
                    if let Some(proc_macro2::TokenTree::Literal(lit)) = tokens.get(i + 2) {
                        let lit: syn::LitStr = syn::parse_str(&lit.to_string()).ok()?;
                        return Some(lit.value());
                    }
                }
                proc_macro2::TokenTree::Group(group) => {
                    if let Some(found) = source_of(&group.stream(), field) {
                        return Some(found);
                    }
                }
                _ => {}
            }
        }
        None
    }

    /// `docs/expansion/edge.rs` shows readers what the macro generates; this keeps it true.
    #[test]
    fn the_documented_expansion_is_the_real_one() {
        let generated = super::pclosure(
            quote!(coarse_list),
            quote!(
                /// Counts edge pixels above `level`.
                pub fn edge(ctx: &Ctx, input: String, level: u32) -> Result<u64, TaskError> {
                    Ok(input.len() as u64 * u64::from(level) + ctx.attempt() as u64)
                }
            ),
        );
        same_expansion(
            generated,
            include_str!("../../docs/expansion/edge.rs"),
            "edge.rs",
        );
    }

    /// `docs/expansion/saxpy.rs`, `.wgsl` and `.cu` show what a kernel becomes.
    #[test]
    fn the_documented_kernel_expansion_is_the_real_one() {
        let generated = super::pclosure(
            quote!(coarse_list, targets(serial, cores, gpu)),
            quote!(
                /// `ys[i] = a * xs[i] + ys[i]` for `i = ctx.rank()`.
                pub fn saxpy(ctx: &Ctx, a: f32, xs: &[f32], ys: &mut [f32]) {
                    let i = ctx.rank();
                    if i < ys.len() {
                        ys[i] = a * xs[i] + ys[i];
                    }
                }
            ),
        );
        for (field, file, documented) in [
            (
                "wgsl",
                "saxpy.wgsl",
                include_str!("../../docs/expansion/saxpy.wgsl"),
            ),
            (
                "cuda",
                "saxpy.cu",
                include_str!("../../docs/expansion/saxpy.cu"),
            ),
        ] {
            let source = source_of(&generated, field).expect("the spec holds the sources");
            if source != documented {
                let fresh = std::env::temp_dir().join(format!("spm-{file}"));
                std::fs::write(&fresh, &source).unwrap();
                panic!(
                    "the generated {field} changed: it is in {}; read the difference and copy it into docs/expansion/{file}",
                    fresh.display()
                );
            }
        }
        same_expansion(
            generated,
            include_str!("../../docs/expansion/saxpy.rs"),
            "saxpy.rs",
        );
    }

    #[test]
    fn a_method_keeps_its_place_with_its_error() {
        let generated = super::pclosure(
            quote!(coarse_list),
            quote!(
                fn edge(&self, ctx: &Ctx) -> Result<u64, TaskError> {
                    Ok(1)
                }
            ),
        )
        .to_string();
        assert!(generated.contains("compile_error"), "{generated}");
        assert!(!generated.contains("struct"), "{generated}");
        assert!(generated.contains("fn edge"), "{generated}");
    }
}
