//! The compile-error product surface: every toxic primitive, wrong manager, macro misuse and
//! attempt to smuggle a context fails with its snapshot in `ui-tests/`; the compatible cases in
//! `ui-tests/pass/` compile and run.
//!
//! Regenerate the snapshots with `TRYBUILD=overwrite cargo test --test ui`, then read them.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("ui-tests/toxic/*.rs");
    t.compile_fail("ui-tests/manager/*.rs");
    t.compile_fail("ui-tests/macro/*.rs");
    t.compile_fail("ui-tests/sneaky/*.rs");
    t.compile_fail("ui-tests/kernel/*.rs");
    t.pass("ui-tests/pass/*.rs");
}
