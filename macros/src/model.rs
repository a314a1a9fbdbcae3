//! A typed model of the annotated function, built and checked in one pass.
//!
//! Every problem is recorded, spanned on the user's own token, and the model keeps what it
//! could make sense of, so the fallback expansion can stand in without cascading errors.

use proc_macro2::Ident;
use quote::{ToTokens, format_ident};
use syn::visit::Visit;
use syn::{
    Attribute, FnArg, GenericArgument, GenericParam, ItemFn, Pat, PathArguments, ReturnType,
    Safety, Signature, Type, Visibility,
};

use crate::errors::Errors;

/// One task argument.
pub(crate) struct Arg {
    /// The name the struct field and `new` parameter take.
    pub(crate) name: Ident,
    /// The type as the user wrote it.
    pub(crate) ty: Type,
}

/// The annotated function, as far as it could be understood.
pub(crate) struct TaskFn {
    /// Doc comments and other attributes that describe the generated struct.
    pub(crate) outer_attrs: Vec<Attribute>,
    /// `#[cfg]`-like attributes that must guard everything generated.
    pub(crate) cfg_attrs: Vec<Attribute>,
    pub(crate) vis: Visibility,
    pub(crate) name: Ident,
    pub(crate) struct_name: Ident,
    pub(crate) args: Vec<Arg>,
    /// How the user named `Ctx` (`Ctx`, `spm::Ctx`...), when the context is where it belongs.
    pub(crate) ctx_path: Option<syn::Path>,
    /// Whether the function takes `self`: it sits in an `impl` block, where no struct can go.
    pub(crate) has_receiver: bool,
    /// The declared return type, if there is one.
    pub(crate) output: Option<Type>,
    /// The function itself, attributes for the body kept, to be nested inside the task.
    pub(crate) body_fn: ItemFn,
}

/// Attributes that describe the item and belong on the struct.
const OUTER: [&str; 3] = ["doc", "deprecated", "must_use"];
/// Attributes that decide whether the item exists and guard everything generated.
const CFG: [&str; 2] = ["cfg", "cfg_attr"];

pub(crate) fn build(mut item: ItemFn, errors: &mut Errors) -> TaskFn {
    let mut outer_attrs = Vec::new();
    let mut cfg_attrs = Vec::new();
    let mut inner_attrs = Vec::new();
    for attr in item.attrs.drain(..) {
        if CFG.iter().any(|n| attr.path().is_ident(n)) {
            cfg_attrs.push(attr);
        } else if OUTER.iter().any(|n| attr.path().is_ident(n)) {
            outer_attrs.push(attr);
        } else {
            inner_attrs.push(attr);
        }
    }
    item.attrs = inner_attrs;

    check_qualifiers(&item.sig, errors);
    check_generics(&item.sig, errors);
    let (args, ctx_path) = check_inputs(&item.sig, errors);
    let has_receiver = item.sig.receiver().is_some();
    let output = check_output(&item.sig, errors);

    let name = item.sig.ident.clone();
    let struct_name = Ident::new(&upper_camel(&name), name.span());
    TaskFn {
        outer_attrs,
        cfg_attrs,
        vis: std::mem::replace(&mut item.vis, Visibility::Inherited),
        name,
        struct_name,
        args,
        ctx_path,
        has_receiver,
        output,
        body_fn: item,
    }
}

fn check_qualifiers(sig: &Signature, errors: &mut Errors) {
    if let Some(token) = &sig.constness {
        errors.spanned(
            token,
            "a task cannot be a `const fn`: it runs on a spoke at run time; remove `const`",
        );
    }
    if let Some(token) = &sig.asyncness {
        errors.spanned(
            token,
            "a task is a serial function: `async fn` cannot be a pclosure; write a plain `fn` (spm runs it on its own spoke; start a runtime inside it if it needs one)",
        );
    }
    if let Safety::Unsafe(token) = &sig.safety {
        errors.spanned(
            token,
            "a task cannot be an `unsafe fn`: the runtime calls it and cannot uphold its safety contract; keep `unsafe` blocks inside the body",
        );
    }
    if let Some(abi) = &sig.abi {
        errors.spanned(
            abi,
            "a task cannot have an `extern` ABI: remove it; the runtime calls the task as Rust",
        );
    }
    if let Some(variadic) = &sig.variadic {
        errors.spanned(variadic.dots, "a task cannot be variadic");
    }
}

fn check_generics(sig: &Signature, errors: &mut Errors) {
    for param in &sig.generics.params {
        match param {
            GenericParam::Lifetime(l) => errors.spanned(
                l,
                "a task cannot have lifetime parameters: its arguments are owned values, so there is nothing to borrow from",
            ),
            GenericParam::Type(t) => errors.spanned(
                t,
                "generic tasks are not supported: a task has one concrete type, so a manager can run it on any spoke; write a non-generic task that calls your generic function",
            ),
            GenericParam::Const(c) => errors.spanned(
                c,
                "const-generic tasks are not supported: a task has one concrete type; pass the value as an argument",
            ),
        }
    }
    if let Some(clause) = &sig.generics.where_clause {
        errors.spanned(
            clause,
            "a task cannot have a `where` clause: it has no generic parameters to constrain",
        );
    }
}

const CTX_HELP: &str = "the first parameter must be the task context, `ctx: &Ctx`";

/// Checks the parameters; returns the task arguments (every parameter but the context) and
/// the path by which the user named `Ctx`, if the context is where it belongs.
fn check_inputs(sig: &Signature, errors: &mut Errors) -> (Vec<Arg>, Option<syn::Path>) {
    let first_is_ctx = matches!(sig.inputs.first(), Some(FnArg::Typed(t)) if mentions_ctx(&t.ty));
    let later_ctx = sig
        .inputs
        .iter()
        .skip(1)
        .any(|arg| matches!(arg, FnArg::Typed(t) if mentions_ctx(&t.ty)));
    let mut ctx_path = None;
    match sig.inputs.first() {
        None => errors.push(syn::Error::new(
            sig.paren_token.span.join(),
            format!("{CTX_HELP}: add it, as in `fn {}(ctx: &Ctx)`", sig.ident),
        )),
        Some(FnArg::Receiver(receiver)) => errors.spanned(
            receiver,
            "a pclosure is a free function: `self` receivers are not supported; move it out of the `impl` block and pass what the task needs as owned arguments after `ctx: &Ctx`",
        ),
        Some(FnArg::Typed(first)) if first_is_ctx => match check_ctx(&first.pat, &first.ty) {
            Ok(path) => ctx_path = Some(path),
            Err(message) => errors.spanned(first, message),
        },
        Some(FnArg::Typed(first)) => errors.spanned(first, missing_ctx(first, later_ctx)),
    }

    // The first parameter is an argument unless it is the context, an attempt at one, or a
    // receiver.
    let first_is_ctx_slot = match sig.inputs.first() {
        Some(FnArg::Typed(first)) => first_is_ctx || looks_like_ctx(first),
        Some(FnArg::Receiver(_)) => true,
        None => false,
    };
    let skip = usize::from(first_is_ctx_slot);
    let mut ctx_seen = first_is_ctx;
    let mut args = Vec::new();
    for (i, input) in sig.inputs.iter().enumerate().skip(skip) {
        let typed = match input {
            FnArg::Receiver(receiver) => {
                errors.spanned(
                    receiver,
                    "`self` can only come first, and a pclosure takes none",
                );
                continue;
            }
            FnArg::Typed(typed) => typed,
        };
        if mentions_ctx(&typed.ty) {
            // A context that is merely misplaced was reported on the first parameter.
            if ctx_seen {
                errors.spanned(&typed.ty, "a task has one context, and it comes first");
            }
            ctx_seen = true;
            continue;
        }
        let name = match &*typed.pat {
            Pat::Ident(p) if p.by_ref.is_none() && p.subpat.is_none() => {
                let name = p.ident.clone();
                if name.to_string().starts_with("__spm") {
                    errors.spanned(
                        &name,
                        "names starting with `__spm` are reserved for the code `#[pclosure]` generates",
                    );
                }
                name
            }
            other => {
                errors.spanned(
                    other,
                    "task arguments must be plain names (`name: Type`), because they become the parameters of `new`; destructure inside the body",
                );
                format_ident!("arg{}", i)
            }
        };
        if let Err(e) = check_owned(&typed.ty, Role::Argument) {
            errors.push(e);
        }
        args.push(Arg {
            name,
            ty: (*typed.ty).clone(),
        });
    }
    (args, ctx_path)
}

/// Whether a first parameter that is not `&Ctx` was meant to be the context: it is named
/// `ctx`, or its type says "context".
fn looks_like_ctx(first: &syn::PatType) -> bool {
    let named_ctx = matches!(&*first.pat, Pat::Ident(p) if p.ident.to_string().trim_start_matches('_') == "ctx");
    named_ctx || show(&first.ty).to_ascii_lowercase().contains("context")
}

/// What to say when the first parameter is not the context.
fn missing_ctx(first: &syn::PatType, later_ctx: bool) -> String {
    if later_ctx {
        return "the task context must come first: move `ctx: &Ctx` to the front".to_owned();
    }
    if looks_like_ctx(first) {
        format!(
            "the context's type is `Ctx`: write `ctx: &Ctx`, not `{}`",
            show(&first.ty)
        )
    } else {
        format!("{CTX_HELP}: add it before the task's arguments")
    }
}

/// Whether `ty` is `Ctx`, `&Ctx`, `&mut Ctx<...>` or the like.
pub(crate) fn mentions_ctx(ty: &Type) -> bool {
    match ty {
        Type::Reference(r) => mentions_ctx(&r.elem),
        Type::Path(p) => p.path.segments.last().is_some_and(|s| s.ident == "Ctx"),
        _ => false,
    }
}

/// Checks a first parameter that names `Ctx`; returns the path the user wrote for it.
fn check_ctx(pat: &Pat, ty: &Type) -> Result<syn::Path, String> {
    let shown = show(ty);
    let Type::Reference(reference) = ty else {
        return Err(format!("take the context by reference: `&{shown}`"));
    };
    if reference.mutability.is_some() {
        return Err(
            "the context is shared, not mutable: write `ctx: &Ctx`, without `mut`".to_owned(),
        );
    }
    let Type::Path(path) = &*reference.elem else {
        return Err(format!(
            "take the context by a single reference: `ctx: &Ctx`, not `{shown}`"
        ));
    };
    let last = path
        .path
        .segments
        .last()
        .expect("`mentions_ctx` saw a last segment");
    if !matches!(last.arguments, PathArguments::None) {
        return Err(
            "the context's policy comes from the attribute: write `&Ctx`, not `&Ctx<...>`"
                .to_owned(),
        );
    }
    match pat {
        Pat::Ident(p) if p.by_ref.is_none() && p.subpat.is_none() => Ok(path.path.clone()),
        Pat::Wild(_) => Ok(path.path.clone()),
        _ => Err("name the context with a plain name, as in `ctx: &Ctx`".to_owned()),
    }
}

/// Whether a type is checked as an argument or as the result.
#[derive(Clone, Copy)]
enum Role {
    Argument,
    Result,
}

/// Finds what makes a type unfit to be an owned task argument or result.
struct Borrows {
    role: Role,
    found: Option<syn::Error>,
}

impl<'ast> Visit<'ast> for Borrows {
    fn visit_type_reference(&mut self, r: &'ast syn::TypeReference) {
        if self.found.is_none() {
            let written = show(&Type::Reference(r.clone()));
            let owned = owned_form(&r.elem);
            let message = match (self.role, &r.mutability) {
                (Role::Argument, Some(_)) => "task arguments are owned values: a task cannot borrow mutably from its caller; take the value and return what changed".to_owned(),
                (Role::Argument, None) => format!(
                    "task arguments are owned values: a task may be retried and moved to another spoke, so it cannot borrow; take `{owned}` instead of `{written}`"
                ),
                (Role::Result, _) => format!(
                    "a task's result is an owned value: it travels from the spoke back to the hub, so it cannot borrow; return `{owned}` instead of `{written}`"
                ),
            };
            let message = if matches!(&*r.elem, Type::Slice(_)) {
                format!(
                    "{message}; or, if this function is a kernel over slices for the CPU and GPUs, add `targets(serial, cores, gpu)` to the attribute"
                )
            } else {
                message
            };
            self.found = Some(syn::Error::new_spanned(r, message));
        }
    }

    fn visit_lifetime(&mut self, l: &'ast syn::Lifetime) {
        if self.found.is_none() && l.ident != "static" {
            let message = match self.role {
                Role::Argument => {
                    "task arguments are owned values: a type that borrows (has a lifetime) cannot be one; use an owned type"
                }
                Role::Result => {
                    "a task's result is an owned value: a type that borrows (has a lifetime) cannot be one; return an owned type"
                }
            };
            self.found = Some(syn::Error::new_spanned(l, message));
        }
    }

    fn visit_type_impl_trait(&mut self, t: &'ast syn::TypeImplTrait) {
        if self.found.is_none() {
            self.found = Some(syn::Error::new_spanned(
                t,
                "`impl Trait` is not supported in a task's signature: name the type, so the task struct can hold it",
            ));
        }
    }
}

fn check_owned(ty: &Type, role: Role) -> Result<(), syn::Error> {
    let mut borrows = Borrows { role, found: None };
    borrows.visit_type(ty);
    borrows.found.map_or(Ok(()), Err)
}

/// What to take instead of a reference to `elem`.
fn owned_form(elem: &Type) -> String {
    match elem {
        Type::Slice(s) => format!("Vec<{}>", show(&s.elem)),
        Type::TraitObject(t) => {
            format!("Arc<{} + Send + Sync>", show(&Type::TraitObject(t.clone())))
        }
        Type::Path(p) => {
            let last = p.path.segments.last().map(|s| s.ident.to_string());
            match last.as_deref() {
                Some("str") => "String".to_owned(),
                Some("Path") => "PathBuf".to_owned(),
                Some("OsStr") => "OsString".to_owned(),
                Some("CStr") => "CString".to_owned(),
                _ => show(elem),
            }
        }
        other => show(other),
    }
}

/// Types that are certainly not a `Result`.
const NOT_RESULT: [&str; 21] = [
    "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64", "i128", "isize", "f32",
    "f64", "bool", "char", "str", "String", "Vec", "Option", "Box",
];

fn check_output(sig: &Signature, errors: &mut Errors) -> Option<Type> {
    let ty = match &sig.output {
        ReturnType::Default => {
            let over_slices = sig.inputs.iter().any(|input| {
                matches!(input, FnArg::Typed(t) if matches!(&*t.ty, Type::Reference(r) if matches!(&*r.elem, Type::Slice(_))))
            });
            let hint = if over_slices {
                "; or, if this function is a kernel over slices for the CPU and GPUs, add `targets(serial, cores, gpu)` to the attribute"
            } else {
                ""
            };
            errors.push(syn::Error::new(
                sig.paren_token.span.close(),
                format!("a pclosure returns `Result<T, TaskError>`: add `-> Result<(), TaskError>` (or the value it returns){hint}"),
            ));
            return None;
        }
        ReturnType::Type(_, ty) => ty,
    };
    let certainly_not = match &**ty {
        Type::Path(p) => p
            .path
            .segments
            .last()
            .is_some_and(|s| NOT_RESULT.iter().any(|n| s.ident == n)),
        Type::Paren(_) | Type::Group(_) | Type::Macro(_) | Type::Verbatim(_) => false,
        _ => true,
    };
    if certainly_not {
        errors.spanned(
            ty,
            format!(
                "a pclosure returns `Result<T, TaskError>`, not `{}`: wrap the value, as in `-> Result<{}, TaskError>`",
                show(ty),
                show(ty)
            ),
        );
        return None;
    }
    // What a task returns must be owned: check the `T` of `Result<T, ..>` when it is written
    // so; any other type (an alias) is checked for `impl Trait` only.
    match ok_type(ty) {
        Some(value) => {
            if let Err(e) = check_owned(value, Role::Result) {
                errors.push(e);
                return None;
            }
        }
        None => {
            if let Err(e) = check_owned(ty, Role::Result)
                && e.to_string().contains("impl Trait")
            {
                errors.push(e);
                return None;
            }
        }
    }
    Some((**ty).clone())
}

/// `edge_detect` → `EdgeDetect`.
pub(crate) fn upper_camel(name: &Ident) -> String {
    let name = name.to_string();
    let name = name.strip_prefix("r#").unwrap_or(&name);
    let mut out = String::with_capacity(name.len());
    for part in name.split('_').filter(|p| !p.is_empty()) {
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            out.extend(first.to_uppercase());
            out.push_str(chars.as_str());
        }
    }
    if out.is_empty() {
        out.push_str("Task");
    }
    out
}

/// A type as a person would write it.
pub(crate) fn show(ty: &Type) -> String {
    let mut text = ty.to_token_stream().to_string();
    for (from, to) in [
        (" :: ", "::"),
        (":: ", "::"),
        (" ::", "::"),
        ("& ", "&"),
        (" <", "<"),
        ("< ", "<"),
        (" >", ">"),
        (" ,", ","),
        ("' ", "'"),
        ("( )", "()"),
    ] {
        text = text.replace(from, to);
    }
    text
}

/// The `T` of a return type written `Result<T, ..>`.
pub(crate) fn ok_type(ty: &Type) -> Option<&Type> {
    let Type::Path(path) = ty else { return None };
    let last = path.path.segments.last()?;
    if last.ident != "Result" {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first()? {
        GenericArgument::Type(t) => Some(t),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proc_macro2::Span;

    fn errors_of(item: proc_macro2::TokenStream) -> String {
        let item: ItemFn = syn::parse2(item).unwrap();
        let mut errors = Errors::default();
        build(item, &mut errors);
        errors.to_compile_errors().to_string()
    }

    #[test]
    fn names_become_upper_camel_case() {
        let cases = [
            ("edge", "Edge"),
            ("edge_detect", "EdgeDetect"),
            ("pow2", "Pow2"),
            ("__x", "X"),
        ];
        for (name, expected) in cases {
            assert_eq!(upper_camel(&Ident::new(name, Span::call_site())), expected);
        }
    }

    #[test]
    fn a_good_function_has_no_errors() {
        let e = errors_of(quote::quote! {
            fn edge(ctx: &Ctx, input: String, mut level: u32) -> Result<u64, TaskError> { Ok(1) }
        });
        assert_eq!(e, "");
    }

    #[test]
    fn borrowed_arguments_get_their_owned_form() {
        let e = errors_of(quote::quote! {
            fn edge(ctx: &Ctx, a: &str, b: &[u8], c: &std::path::Path) -> Result<(), TaskError> { Ok(()) }
        });
        assert!(e.contains("take `String` instead of `&str`"), "{e}");
        assert!(e.contains("take `Vec<u8>` instead of `&[u8]`"), "{e}");
        assert!(
            e.contains("take `PathBuf` instead of `&std::path::Path`"),
            "{e}"
        );
    }

    #[test]
    fn the_context_must_come_first_by_shared_reference() {
        let e = errors_of(quote::quote! { fn a(x: u32) -> Result<(), TaskError> { Ok(()) } });
        assert!(e.contains("add it before the task's arguments"), "{e}");
        let e = errors_of(
            quote::quote! { fn a(x: u32, ctx: &Ctx) -> Result<(), TaskError> { Ok(()) } },
        );
        assert!(e.contains("must come first"), "{e}");
        let e =
            errors_of(quote::quote! { fn a(ctx: &mut Ctx) -> Result<(), TaskError> { Ok(()) } });
        assert!(e.contains("shared, not mutable"), "{e}");
        let e = errors_of(quote::quote! { fn a(ctx: Ctx) -> Result<(), TaskError> { Ok(()) } });
        assert!(e.contains("take the context by reference"), "{e}");
    }

    #[test]
    fn obvious_non_results_are_caught() {
        let e = errors_of(quote::quote! { fn a(ctx: &Ctx) -> u64 { 1 } });
        assert!(
            e.contains("not `u64`: wrap the value, as in `-> Result<u64, TaskError>`"),
            "{e}"
        );
        let e = errors_of(quote::quote! { fn a(ctx: &Ctx) -> (u8, u8) { (1, 2) } });
        assert!(e.contains("not `(u8, u8)`"), "{e}");
    }
}
