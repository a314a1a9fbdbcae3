//! Kernels: `#[pclosure(coarse_list | fine_general, targets(..))]` on a function whose body is
//! in the kernel subset. `lower` checks the subset and infers types, `uniform` checks where
//! barriers stand, and `rust`, `wgsl` and `cuda` emit the code of each target from the one
//! body.

mod by_rank;
mod c_like;
mod cuda;
mod ir;
mod lower;
mod rust;
mod uniform;
mod wgsl;

use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{FnArg, ItemFn, Pat, Type};

use crate::attr::Args;
use crate::errors::Errors;
use ir::{KParam, KParamKind, Kernel, Ty};

/// The largest work-group CUDA and Vulkan devices take (a device may take less: checked at
/// launch).
const MAX_GROUP: u32 = 1024;
/// Invocations per work-group of a coarse kernel, which the runtime chooses.
const COARSE_GROUP: u32 = 256;
/// Invocations a CPU thread takes at a time from a coarse kernel (its CPU "work-group").
const CPU_COARSE_GROUP: u32 = 4096;

pub(crate) fn pclosure(item: ItemFn, args: &Args, mut errors: Errors) -> TokenStream {
    let targets = declared_targets(args, &mut errors);
    let fine = match args.policy.as_ref().map(|p| p.to_string()) {
        Some(p) if p == "FineGeneral" => Some(true),
        Some(p) if p == "CoarseList" => Some(false),
        Some(_) => {
            let policy = args.policy.as_ref().expect("matched Some");
            let written = crate::policy::POLICIES
                .iter()
                .find(|(_, ty)| policy == ty)
                .map_or("this policy", |(attr, _)| attr);
            errors.spanned(
                policy,
                format!("kernels have no `{written}`: write `coarse_list` (independent invocations) or `fine_general` (work-groups that meet at barriers)"),
            );
            None
        }
        None => None,
    };
    let group_size = group_size(args, fine, &mut errors);
    let cpu_group_size = if fine == Some(true) {
        group_size
    } else {
        CPU_COARSE_GROUP
    };
    let (ctx_name, params) = signature(&item, &targets.1, &mut errors);

    let struct_name = Ident::new(
        &crate::model::upper_camel(&item.sig.ident),
        item.sig.ident.span(),
    );
    let vis = &item.vis;
    let name_text = item.sig.ident.to_string();
    let krate = &args.krate;

    let return_reported = !matches!(&item.sig.output, syn::ReturnType::Default)
        && !matches!(&item.sig.output, syn::ReturnType::Type(_, ty) if matches!(&**ty, Type::Tuple(t) if t.elems.is_empty()));
    let mut lowering = lower::Lowering::new(
        &mut errors,
        targets.1.clone(),
        fine.unwrap_or(false),
        ctx_name,
        params,
    );
    lowering.return_reported = return_reported;
    let body = lowering.body(&item.block);
    let lower::Lowering {
        params,
        shared,
        locals,
        mut types,
        ..
    } = lowering;
    let kernel = Kernel {
        params,
        shared,
        locals,
        body,
    };
    let tys: Vec<Ty> = (0..types.len()).map(|v| types.resolve(v)).collect();

    let fine_flag = fine.unwrap_or(false);
    let mut toxic = TokenStream::new();
    let mut uniform = vec![true; kernel.locals.len()];
    if fine_flag {
        uniform = uniform::analyse(&kernel);
        uniform::check_barriers(&kernel, &uniform, &mut errors);
    } else {
        let mut spans = Vec::new();
        uniform::barriers(&kernel.body, &mut spans);
        // A barrier is toxic under coarse_list: the type system says so, with the policy
        // table's words, on the user's call.
        let calls = spans.iter().map(|span| {
            let barrier = Ident::new("barrier", *span);
            quote_spanned!(*span=> __spm_ctx.#barrier();)
        });
        if let Some(policy) = args.policy.as_ref().filter(|_| !spans.is_empty()) {
            toxic = quote! {
                #[allow(dead_code)]
                fn __spm_toxic(__spm_ctx: &#krate::kernel::KernelCtx<#krate::#policy>) {
                    #( #calls )*
                }
            };
        }
    }

    let doc_targets = targets.1.clone();
    let launcher = if fine_flag {
        quote! {
            /// A launch of `groups` work-groups of this kernel.
            #vis fn groups(groups: usize) -> #krate::kernel::Launch<Self> {
                #krate::kernel::Launch::new(groups)
            }
        }
    } else {
        quote! {
            /// A launch of `invocations` independent invocations of this kernel.
            #vis fn over(invocations: usize) -> #krate::kernel::Launch<Self> {
                #krate::kernel::Launch::new(invocations)
            }
        }
    };
    let header_doc = format!(
        "Kernel `{name_text}` ({}, targets {doc_targets}): launch it with `{struct_name}::{}(n)`.",
        if fine_flag {
            format!("`fine_general`, work-groups of {group_size}")
        } else {
            "`coarse_list`".to_string()
        },
        if fine_flag { "groups" } else { "over" },
    );
    let has_errors = !errors.is_empty();
    let error_tokens = errors.to_compile_errors();
    let by_rank = by_rank::analyse(&kernel, fine_flag);
    let (wgsl, cuda_src, run_group) = if has_errors {
        (String::new(), String::new(), quote!())
    } else {
        let gpu = targets.0[2];
        let wgsl = if gpu {
            wgsl::emit(&kernel, &tys, fine_flag, group_size)
        } else {
            String::new()
        };
        let cuda_src = if gpu {
            cuda::emit(&kernel, &tys, fine_flag, group_size)
        } else {
            String::new()
        };
        let run_group =
            rust::RustEmit::new(&kernel, &tys, krate, fine_flag, cpu_group_size, &uniform)
                .group_fn();
        (wgsl, cuda_src, run_group)
    };

    let policy = args
        .policy
        .clone()
        .unwrap_or_else(|| Ident::new("CoarseList", Span::call_site()));
    let arg_types: Vec<TokenStream> = kernel.params.iter().map(|p| param_type(p, true)).collect();
    let arg_names: Vec<Ident> = kernel
        .params
        .iter()
        .enumerate()
        .map(|(i, _)| format_ident!("__spm_a{}", i))
        .collect();
    let (args_type, args_pattern) = match arg_types.len() {
        1 => (quote!(#( #arg_types )*), quote!(#( #arg_names )*)),
        _ => (quote!((#( #arg_types, )*)), quote!((#( #arg_names, )*))),
    };
    let param_specs = kernel.params.iter().zip(&by_rank).map(|(p, &by_rank)| {
        let name = &p.name;
        match p.kind {
            KParamKind::Slice { elem, writable } => {
                let elem = format_ident!("{}", elem.scalar());
                quote!(#krate::kernel::Param::Slice { name: #name, elem: #krate::kernel::Scalar::#elem, writable: #writable, by_rank: #by_rank })
            }
            KParamKind::Value(ty) => {
                let ty = format_ident!("{}", ty.scalar());
                quote!(#krate::kernel::Param::Value { name: #name, ty: #krate::kernel::Scalar::#ty })
            }
        }
    });
    let shared_specs = kernel.shared.iter().map(|s| {
        let (name, len) = (&s.name, s.len);
        let elem = format_ident!("{}", s.elem.scalar());
        quote!(#krate::kernel::SharedArray { name: #name, elem: #krate::kernel::Scalar::#elem, len: #len })
    });
    let [serial, cores, gpu] = targets.0;
    let wgsl = Literal::string(&wgsl);
    let cuda_src = Literal::string(&cuda_src);
    let allow =
        quote!(#[allow(unused_variables, unused_mut, unused_parens, non_snake_case, clippy::all)]);
    let cfg_attrs: Vec<&syn::Attribute> = item
        .attrs
        .iter()
        .filter(|a| a.path().is_ident("cfg"))
        .collect();
    let doc_attrs: Vec<&syn::Attribute> = item
        .attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .collect();

    quote! {
        #error_tokens
        #(#cfg_attrs)*
        #(#doc_attrs)*
        #[doc = ""]
        #[doc = #header_doc]
        #[derive(Clone, Copy, Debug)]
        #vis struct #struct_name;

        #(#cfg_attrs)*
        const _: () = {
            impl #struct_name {
                #launcher
            }

            impl #krate::kernel::Kernel for #struct_name {
                type Policy = #krate::#policy;
                type Args<'a> = #args_type;
                const SPEC: &'static #krate::kernel::KernelSpec = &#krate::kernel::KernelSpec {
                    name: #name_text,
                    path: ::core::concat!(::core::module_path!(), "::", #name_text, " (", ::core::file!(), ":", ::core::line!(), ")"),
                    params: &[ #( #param_specs ),* ],
                    shared: &[ #( #shared_specs ),* ],
                    group_size: #group_size,
                    cpu_group_size: #cpu_group_size,
                    fine: #fine_flag,
                    wgsl: #wgsl,
                    cuda: #cuda_src,
                };
                const TARGETS: #krate::kernel::Targets = #krate::kernel::Targets {
                    serial: #serial,
                    cores: #cores,
                    gpu: #gpu,
                };

                fn args(args: Self::Args<'_>) -> ::std::vec::Vec<#krate::kernel::Arg<'_>> {
                    let #args_pattern = args;
                    ::std::vec![ #( ::core::convert::From::from(#arg_names) ),* ]
                }

                #allow
                fn run_group(
                    __spm_v: &[#krate::__private::kernel::View<'_>],
                    __spm_parts: &mut [#krate::__private::kernel::Chunk<'_>],
                    __spm_group: u32,
                    __spm_total: u32,
                    __spm_f: &#krate::__private::kernel::Faults,
                ) {
                    #run_group
                }
            }

            #toxic
        };
    }
}

/// `[serial, cores, gpu]`, and the list as written for messages.
fn declared_targets(args: &Args, errors: &mut Errors) -> ([bool; 3], String) {
    let Some((key, list)) = &args.targets else {
        errors.push(syn::Error::new(
            Span::call_site(),
            "a kernel declares its targets: add `targets(serial, cores, gpu)` (or some of them)",
        ));
        return ([true, true, true], "serial, cores, gpu".into());
    };
    let mut found = [false; 3];
    for name in list {
        let slot = match name.to_string().as_str() {
            "serial" => 0,
            "cores" => 1,
            "gpu" => 2,
            other => {
                errors.spanned(
                    name,
                    format!("unknown target `{other}`: the targets are `serial` (the reference), `cores` and `gpu`"),
                );
                continue;
            }
        };
        if found[slot] {
            errors.spanned(name, format!("target `{name}` is listed twice"));
        }
        found[slot] = true;
    }
    if list.is_empty() {
        errors.spanned(
            key,
            "name at least one target: `targets(serial, cores, gpu)`",
        );
    }
    let names: Vec<String> = list.iter().map(Ident::to_string).collect();
    (found, names.join(", "))
}

fn group_size(args: &Args, fine: Option<bool>, errors: &mut Errors) -> u32 {
    match (&args.workgroup, fine) {
        (None, Some(true)) => {
            errors.push(syn::Error::new(
                Span::call_site(),
                "a `fine_general` kernel declares its work-group size: add `workgroup(256)` (any size from 1 to 1024 the device takes)",
            ));
            COARSE_GROUP
        }
        (Some((key, _)), Some(false)) => {
            errors.spanned(
                key,
                "a `coarse_list` kernel's invocations are independent, so the runtime groups them: remove `workgroup(..)`, or use `fine_general` for work-groups that meet at barriers",
            );
            COARSE_GROUP
        }
        (Some((_, size)), _) => {
            let literal = match size {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Int(n),
                    ..
                }) => n.base10_parse::<u64>().ok(),
                _ => None,
            };
            match literal {
                Some(n) if (1..=u64::from(MAX_GROUP)).contains(&n) => n as u32,
                Some(n) => {
                    errors.spanned(
                        size,
                        format!("a work-group of {n} invocations: no GPU takes it (CUDA and Vulkan take at most {MAX_GROUP}, and at least 1); write a size from 1 to {MAX_GROUP}, for example `workgroup(256)`"),
                    );
                    COARSE_GROUP
                }
                None => {
                    errors.spanned(
                        size,
                        "write the work-group size as a literal number (`workgroup(256)`): it is compiled into the GPU code",
                    );
                    COARSE_GROUP
                }
            }
        }
        (None, _) => COARSE_GROUP,
    }
}

/// The context's name and the kernel's parameters.
fn signature(item: &ItemFn, targets: &str, errors: &mut Errors) -> (String, Vec<KParam>) {
    let sig = &item.sig;
    if let Some(t) = &sig.asyncness {
        errors.spanned(t, "a kernel cannot be `async`");
    }
    if !matches!(sig.safety, syn::Safety::Default) {
        errors.spanned(sig.fn_token, "a kernel cannot be `unsafe`");
    }
    if let Some(t) = &sig.constness {
        errors.spanned(t, "a kernel cannot be `const`");
    }
    if !sig.generics.params.is_empty() {
        errors.spanned(
            &sig.generics,
            "a kernel cannot be generic: its GPU code is compiled for fixed types",
        );
    }
    if let syn::ReturnType::Type(_, ty) = &sig.output
        && !matches!(&**ty, Type::Tuple(t) if t.elems.is_empty())
    {
        errors.spanned(
            ty,
            "a kernel returns nothing: write its results into a `&mut [T]` parameter",
        );
    }
    let mut inputs = sig.inputs.iter();
    let ctx_name = match inputs.next() {
        Some(FnArg::Typed(first)) if mentions_ctx(&first.ty) => match &*first.pat {
            Pat::Ident(p) => p.ident.unraw().to_string(),
            Pat::Wild(_) => "_".to_string(),
            other => {
                errors.spanned(other, "name the context: `ctx: &Ctx`");
                "ctx".to_string()
            }
        },
        _ => {
            errors.push(syn::Error::new(
                sig.paren_token.span.join(),
                format!(
                    "a kernel's first parameter is its context: `fn {}(ctx: &Ctx, ...)`",
                    sig.ident
                ),
            ));
            "ctx".to_string()
        }
    };
    let mut params = Vec::new();
    for input in inputs {
        let FnArg::Typed(typed) = input else {
            errors.spanned(input, "a kernel is a free function: no `self`");
            continue;
        };
        let name = match &*typed.pat {
            Pat::Ident(p) if p.by_ref.is_none() && p.subpat.is_none() => p.ident.clone(),
            other => {
                errors.spanned(other, "a kernel parameter is a plain name");
                continue;
            }
        };
        let text = name.unraw().to_string();
        if text.starts_with("__spm") {
            errors.spanned(
                &name,
                "names starting with `__spm` are reserved for the code `#[pclosure]` generates",
            );
            continue;
        }
        match param_kind(&typed.ty) {
            Some(_) if params.iter().any(|p: &KParam| p.name == text) => errors.spanned(
                &name,
                format!("`{text}` is already a parameter of this kernel: give each its own name"),
            ),
            Some(kind) => params.push(KParam {
                name: text,
                span: typed.ty.span(),
                kind,
            }),
            None => {
                let written = quote::ToTokens::to_token_stream(&*typed.ty)
                    .to_string()
                    .replace(' ', "");
                let advice = match written.as_str() {
                    "f64" => " (use `f32`)".to_string(),
                    "usize" | "u64" | "u8" | "u16" => " (use `u32`)".to_string(),
                    "i64" | "isize" | "i8" | "i16" => " (use `i32`)".to_string(),
                    w if w.starts_with("Vec<") => format!(
                        " (take `&{}` or `&mut {}`)",
                        w.replacen("Vec<", "[", 1).replacen('>', "]", 1),
                        w.replacen("Vec<", "[", 1).replacen('>', "]", 1)
                    ),
                    "String" | "&str" => " (kernels compute on numbers)".to_string(),
                    _ => String::new(),
                };
                errors.spanned(
                    &typed.ty,
                    format!(
                        "targets {targets} cannot take a parameter of type `{written}`{advice}: a kernel takes slices `&[T]` and `&mut [T]` of f32, i32 or u32, and values of f32, i32, u32 or bool"
                    ),
                )
            }
        }
    }
    (ctx_name, params)
}

fn mentions_ctx(ty: &Type) -> bool {
    match ty {
        Type::Reference(r) => mentions_ctx(&r.elem),
        Type::Path(p) => p.path.segments.last().is_some_and(|s| s.ident == "Ctx"),
        _ => false,
    }
}

fn scalar(ty: &Type) -> Option<Ty> {
    let Type::Path(p) = ty else { return None };
    let ident = p.path.get_ident()?;
    match ident.to_string().as_str() {
        "f32" => Some(Ty::F32),
        "i32" => Some(Ty::I32),
        "u32" => Some(Ty::U32),
        "bool" => Some(Ty::Bool),
        _ => None,
    }
}

fn param_kind(ty: &Type) -> Option<KParamKind> {
    match ty {
        Type::Reference(r) => {
            let Type::Slice(slice) = &*r.elem else {
                return None;
            };
            match scalar(&slice.elem)? {
                Ty::Bool => None,
                elem => Some(KParamKind::Slice {
                    elem,
                    writable: r.mutability.is_some(),
                }),
            }
        }
        other => scalar(other).map(KParamKind::Value),
    }
}

/// The Rust type of a parameter in a launch's arguments.
fn param_type(p: &KParam, with_lifetime: bool) -> TokenStream {
    let span = p.span;
    let elem = |ty: Ty| format_ident!("{}", ty.rust(), span = span);
    match p.kind {
        KParamKind::Value(ty) => {
            let ty = elem(ty);
            quote!(#ty)
        }
        KParamKind::Slice { elem: e, writable } => {
            let e = elem(e);
            let lifetime = if with_lifetime { quote!('a) } else { quote!() };
            if writable {
                quote_spanned!(span=> &#lifetime mut [#e])
            } else {
                quote_spanned!(span=> &#lifetime [#e])
            }
        }
    }
}
