//! The attribute's arguments: `#[pclosure(policy)]` or `#[pclosure(policy, crate = path)]`.

use proc_macro2::{Ident, Span, TokenStream};
use syn::ext::IdentExt;
use syn::parse::{ParseStream, Parser};
use syn::{Path, Token};

use crate::errors::Errors;
use crate::policy;

/// What the attribute asked for.
pub(crate) struct Args {
    /// The policy's marker type (`CoarseList`), spanned on the user's policy name; `None` when
    /// the name was missing or wrong (already reported).
    pub(crate) policy: Option<Ident>,
    /// Path to the `spm` crate.
    pub(crate) krate: Path,
    /// `targets(serial, cores, gpu)`: the function is a kernel (see `kernel`).
    pub(crate) targets: Option<(Ident, Vec<Ident>)>,
    /// `workgroup(256)`, as written.
    pub(crate) workgroup: Option<(Ident, syn::Expr)>,
}

pub(crate) fn parse(args: TokenStream, errors: &mut Errors) -> Args {
    let mut policy_name: Option<Ident> = None;
    let mut krate: Option<Path> = None;
    let mut targets: Option<(Ident, Vec<Ident>)> = None;
    let mut workgroup: Option<(Ident, syn::Expr)> = None;
    let parser = |input: ParseStream| -> syn::Result<()> {
        while !input.is_empty() {
            if input.peek(Token![crate]) {
                let key: Token![crate] = input.parse()?;
                input.parse::<Token![=]>()?;
                let path: Path = input.parse()?;
                if krate.is_some() {
                    errors.spanned(key, "`crate` is given twice: keep one");
                }
                krate = Some(path);
            } else {
                let name = input.call(Ident::parse_any)?;
                if input.peek(syn::token::Paren) {
                    let content;
                    syn::parenthesized!(content in input);
                    match name.to_string().as_str() {
                        "targets" => {
                            let list = content.parse_terminated(Ident::parse_any, Token![,])?;
                            if targets.is_some() {
                                errors.spanned(&name, "`targets` is given twice: keep one");
                            }
                            targets = Some((name, list.into_iter().collect()));
                        }
                        "workgroup" => {
                            let size: syn::Expr = content.parse()?;
                            if workgroup.is_some() {
                                errors.spanned(&name, "`workgroup` is given twice: keep one");
                            }
                            workgroup = Some((name, size));
                        }
                        _ => {
                            errors.spanned(
                                &name,
                                format!("unknown option `{name}(..)`: a kernel takes `targets(serial, cores, gpu)` and, under `fine_general`, `workgroup(N)`"),
                            );
                            content.parse::<TokenStream>()?;
                        }
                    }
                } else if input.peek(Token![=]) {
                    errors.spanned(
                        &name,
                        format!(
                            "unknown option `{name}`: the only option is `crate = path::to::spm`"
                        ),
                    );
                    input.parse::<Token![=]>()?;
                    input.parse::<syn::Expr>()?;
                } else if policy_name.is_some() {
                    errors.spanned(&name, "a task has one policy: remove this one or the other");
                } else {
                    policy_name = Some(name);
                }
            }
            if input.is_empty() {
                break;
            }
            input.parse::<Token![,]>()?;
        }
        Ok(())
    };
    if let Err(e) = parser.parse2(args) {
        errors.push(syn::Error::new(
            e.span(),
            format!(
                "{e}: write `#[pclosure(policy)]`, where the policy is one of {}",
                policy::list()
            ),
        ));
    }
    let policy = match policy_name {
        Some(name) => match policy::lookup(&name) {
            Ok(ty) => Some(ty),
            Err(message) => {
                errors.spanned(&name, message);
                None
            }
        },
        None if errors.is_empty() => {
            errors.push(syn::Error::new(
                Span::call_site(),
                format!(
                    "missing policy: write `#[pclosure(coarse_list)]` or another of {}",
                    policy::list()
                ),
            ));
            None
        }
        None => None,
    };
    Args {
        policy,
        krate: krate.unwrap_or_else(|| syn::parse_quote!(::spm)),
        targets,
        workgroup,
    }
}
