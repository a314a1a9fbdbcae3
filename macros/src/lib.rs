//! The `#[pclosure]` attribute of [spm](https://docs.rs/spm).
//!
//! This crate only parses, checks and emits: `attr` reads the attribute's arguments,
//! `model` builds a typed model of the function and checks it, `expand` generates the task,
//! and `fallback` generates a harmless stand-in when the input is wrong, so that the user
//! sees the macro's errors and not a cascade of secondary ones. Every runtime type lives in
//! `spm-core`; generated code names it only through the `spm` facade.

mod attr;
mod errors;
mod expand;
mod fallback;
mod kernel;
mod model;
mod policy;

use proc_macro::TokenStream;

/// Turns a serial function into a typed task of a parallel management policy.
///
/// See the `spm` crate's documentation for the whole story; in short:
///
/// ```ignore
/// #[pclosure(coarse_list)] // or coarse_singleton, coarse_race, fine_limited, fine_general
/// fn edge(ctx: &Ctx, input: String, level: u32) -> Result<u64, TaskError> { ... }
/// ```
///
/// generates `struct Edge` with `Edge::new(input, level)`, the meta options `.label(..)` and
/// `.timeout(..)`, and the policy's manager (`Edge::list(..)` here). The context's type gets
/// the policy, `&Ctx<CoarseList>`, so a primitive that is toxic under it does not compile.
///
/// Options: `#[pclosure(coarse_list, crate = path::to::spm)]` when `spm` is renamed.
#[proc_macro_attribute]
pub fn pclosure(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::pclosure(args.into(), item.into()).into()
}
