//! Uniformity in `fine_general` kernels: which values are the same for every invocation of a
//! work-group, and so where a barrier may stand. Every invocation of a group must reach the
//! same barriers (GPUs hang or misbehave otherwise, and WGSL refuses such code), so a barrier
//! under a condition that depends on `ctx.rank()` or on memory is a compile error here, spanned
//! on the barrier. The CPU emitter also uses the result to run a group's invocations in
//! lockstep between barriers.

use proc_macro2::Span;

use super::ir::{CtxValue, Expr, ExprKind, Kernel, LocalId, Place, Stmt};
use crate::errors::Errors;

/// `uniform[local]`: whether that local holds the same value in every invocation of a group.
pub(crate) fn analyse(kernel: &Kernel) -> Vec<bool> {
    let mut uniform = vec![true; kernel.locals.len()];
    loop {
        let before = uniform.clone();
        mark(&kernel.body, true, &mut uniform);
        if before == uniform {
            return uniform;
        }
    }
}

pub(crate) fn is_uniform(expr: &Expr, uniform: &[bool]) -> bool {
    match &expr.kind {
        ExprKind::Int(_) | ExprKind::Float(_) | ExprKind::Bool(_) => true,
        ExprKind::Value(_) | ExprKind::Len(_) => true,
        ExprKind::Ctx(CtxValue::Rank) => false,
        ExprKind::Ctx(_) => true,
        ExprKind::Index(..) => false,
        ExprKind::Local(id) => uniform[*id],
        ExprKind::Unary(_, e) | ExprKind::Cast(e, _) => is_uniform(e, uniform),
        ExprKind::Binary(_, a, b) => is_uniform(a, uniform) && is_uniform(b, uniform),
        ExprKind::Math(_, args) => args.iter().all(|a| is_uniform(a, uniform)),
    }
}

fn mark(stmts: &[Stmt], ctx: bool, uniform: &mut Vec<bool>) {
    for stmt in stmts {
        match stmt {
            Stmt::Let { local, init } => {
                if !ctx || !is_uniform(init, uniform) {
                    uniform[*local] = false;
                }
            }
            Stmt::Assign {
                place: Place::Local(id),
                value,
                ..
            } => {
                if !ctx || !is_uniform(value, uniform) {
                    uniform[*id] = false;
                }
            }
            Stmt::Assign { .. } => {}
            Stmt::If {
                cond,
                then,
                otherwise,
            } => {
                let inner = ctx && is_uniform(cond, uniform);
                mark(then, inner, uniform);
                mark(otherwise, inner, uniform);
            }
            Stmt::While { cond, body } => {
                let inner = ctx && is_uniform(cond, uniform) && !jumps_unevenly(body, uniform);
                mark(body, inner, uniform);
            }
            Stmt::For {
                var,
                start,
                end,
                body,
            } => {
                let inner = ctx
                    && is_uniform(start, uniform)
                    && is_uniform(end, uniform)
                    && !jumps_unevenly(body, uniform);
                if !inner {
                    uniform[*var] = false;
                }
                mark(body, inner, uniform);
            }
            Stmt::Break | Stmt::Continue | Stmt::Return(_) | Stmt::Barrier(_) => {}
        }
    }
}

/// Whether a loop body leaves the loop (`break`, `continue`) under a condition that differs
/// between invocations: the loop's later iterations are then not uniform.
fn jumps_unevenly(body: &[Stmt], uniform: &[bool]) -> bool {
    fn walk(stmts: &[Stmt], even: bool, uniform: &[bool]) -> bool {
        stmts.iter().any(|stmt| match stmt {
            Stmt::Break | Stmt::Continue => !even,
            Stmt::If {
                cond,
                then,
                otherwise,
            } => {
                let even = even && is_uniform(cond, uniform);
                walk(then, even, uniform) || walk(otherwise, even, uniform)
            }
            // A nested loop's own jumps stay inside it.
            _ => false,
        })
    }
    walk(body, true, uniform)
}

/// Reports every barrier that not all invocations of a group would reach, and every `return`
/// (which would let some invocations skip the barriers that follow).
pub(crate) fn check_barriers(kernel: &Kernel, uniform: &[bool], errors: &mut Errors) {
    fn walk(stmts: &[Stmt], ctx: bool, uniform: &[bool], errors: &mut Errors) {
        for stmt in stmts {
            match stmt {
                Stmt::Barrier(span) if !ctx => errors.push(syn::Error::new(
                    *span,
                    "not every invocation of the work-group reaches this barrier: it stands under a condition or loop that depends on `ctx.rank()` or on memory, and a GPU hangs or misbehaves when some invocations wait at a barrier others skip; move the barrier out of that `if` or loop",
                )),
                Stmt::Return(span) => errors.push(syn::Error::new(
                    *span,
                    "`return` in a `fine_general` kernel would let some invocations skip the barriers that the others wait at: put the rest of the body under an `if` instead",
                )),
                Stmt::If {
                    cond,
                    then,
                    otherwise,
                } => {
                    let inner = ctx && is_uniform(cond, uniform);
                    walk(then, inner, uniform, errors);
                    walk(otherwise, inner, uniform, errors);
                }
                Stmt::While { cond, body } => {
                    let inner = ctx && is_uniform(cond, uniform) && !jumps_unevenly(body, uniform);
                    walk(body, inner, uniform, errors);
                }
                Stmt::For {
                    start, end, body, ..
                } => {
                    let inner = ctx
                        && is_uniform(start, uniform)
                        && is_uniform(end, uniform)
                        && !jumps_unevenly(body, uniform);
                    walk(body, inner, uniform, errors);
                }
                _ => {}
            }
        }
    }
    walk(&kernel.body, true, uniform, errors);
}

pub(crate) fn contains_barrier(stmt: &Stmt) -> bool {
    match stmt {
        Stmt::Barrier(_) => true,
        Stmt::If {
            then, otherwise, ..
        } => then.iter().chain(otherwise).any(contains_barrier),
        Stmt::While { body, .. } | Stmt::For { body, .. } => body.iter().any(contains_barrier),
        _ => false,
    }
}

/// The spans of every barrier, for the toxic check of coarse kernels.
pub(crate) fn barriers(stmts: &[Stmt], out: &mut Vec<Span>) {
    for stmt in stmts {
        match stmt {
            Stmt::Barrier(span) => out.push(*span),
            Stmt::If {
                then, otherwise, ..
            } => {
                barriers(then, out);
                barriers(otherwise, out);
            }
            Stmt::While { body, .. } | Stmt::For { body, .. } => barriers(body, out),
            _ => {}
        }
    }
}

/// Whether `stmt` must run once per group rather than once per invocation, in the CPU's
/// lockstep execution: it holds a barrier, changes a uniform local declared outside it, or
/// jumps out of an enclosing loop (which runs once per group).
pub(crate) fn runs_once(stmt: &Stmt, uniform: &[bool]) -> bool {
    match stmt {
        Stmt::Barrier(_) | Stmt::Break | Stmt::Continue => true,
        Stmt::Let { local, .. } => uniform[*local],
        Stmt::Assign {
            place: Place::Local(id),
            ..
        } => uniform[*id],
        Stmt::Assign { .. } | Stmt::Return(_) => false,
        Stmt::If { .. } | Stmt::While { .. } | Stmt::For { .. } => {
            let mut declared = Vec::new();
            declares(stmt, &mut declared);
            contains_barrier(stmt)
                || assigns_outer_uniform(stmt, &declared, uniform)
                || escapes(stmt)
        }
    }
}

fn declares(stmt: &Stmt, out: &mut Vec<LocalId>) {
    match stmt {
        Stmt::Let { local, .. } => out.push(*local),
        Stmt::If {
            then, otherwise, ..
        } => then.iter().chain(otherwise).for_each(|s| declares(s, out)),
        Stmt::While { body, .. } => body.iter().for_each(|s| declares(s, out)),
        Stmt::For { var, body, .. } => {
            out.push(*var);
            body.iter().for_each(|s| declares(s, out));
        }
        _ => {}
    }
}

fn assigns_outer_uniform(stmt: &Stmt, declared: &[LocalId], uniform: &[bool]) -> bool {
    match stmt {
        Stmt::Assign {
            place: Place::Local(id),
            ..
        } => uniform[*id] && !declared.contains(id),
        Stmt::If {
            then, otherwise, ..
        } => then
            .iter()
            .chain(otherwise)
            .any(|s| assigns_outer_uniform(s, declared, uniform)),
        Stmt::While { body, .. } | Stmt::For { body, .. } => body
            .iter()
            .any(|s| assigns_outer_uniform(s, declared, uniform)),
        _ => false,
    }
}

/// Whether `stmt` holds a `break` or `continue` that leaves it (not one inside its own loop).
fn escapes(stmt: &Stmt) -> bool {
    match stmt {
        Stmt::Break | Stmt::Continue => true,
        Stmt::If {
            then, otherwise, ..
        } => then.iter().chain(otherwise).any(escapes),
        _ => false,
    }
}
