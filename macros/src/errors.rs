//! Errors collected across the whole input, all reported in one compile.

use std::fmt::Display;

use proc_macro2::TokenStream;
use quote::ToTokens;

/// Collects every error found, each spanned on the user's own tokens.
#[derive(Default)]
pub(crate) struct Errors {
    found: Option<syn::Error>,
}

impl Errors {
    pub(crate) fn push(&mut self, error: syn::Error) {
        match &mut self.found {
            Some(found) => found.combine(error),
            None => self.found = Some(error),
        }
    }

    pub(crate) fn spanned(&mut self, tokens: impl ToTokens, message: impl Display) {
        self.push(syn::Error::new_spanned(tokens, message));
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.found.is_none()
    }

    pub(crate) fn to_compile_errors(&self) -> TokenStream {
        self.found
            .as_ref()
            .map(syn::Error::to_compile_error)
            .unwrap_or_default()
    }
}
