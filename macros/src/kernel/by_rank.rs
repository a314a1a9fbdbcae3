//! Slices a coarse kernel indexes only by `ctx.rank()`: each of their elements belongs to one
//! invocation, so the CPU targets give each work-group its own part of them, accessed without
//! synchronisation and, when the part is whole, without a bounds check per element (which lets
//! the compiler vectorise the loop over the group).

use super::ir::{ArrayRef, CtxValue, Expr, ExprKind, KParamKind, Kernel, LocalId, Place, Stmt};

/// `by_rank[param]`: whether every access to that slice parameter indexes by `ctx.rank()`
/// (directly, or through an immutable local bound to it). Always false for values, and for
/// `fine_general` kernels, whose rank is the index in the group.
pub(crate) fn analyse(k: &Kernel, fine: bool) -> Vec<bool> {
    let mut by_rank: Vec<bool> = k
        .params
        .iter()
        .map(|p| !fine && matches!(p.kind, KParamKind::Slice { .. }))
        .collect();
    if fine {
        return by_rank;
    }
    let mut rank_locals = Vec::new();
    stmts(&k.body, k, &mut rank_locals, &mut by_rank);
    by_rank
}

/// The immutable locals bound to `ctx.rank()` (`let i = ctx.rank();`).
pub(crate) fn rank_locals(k: &Kernel) -> Vec<LocalId> {
    fn walk(body: &[Stmt], k: &Kernel, out: &mut Vec<LocalId>) {
        for stmt in body {
            match stmt {
                Stmt::Let { local, init }
                    if !k.locals[*local].mutable
                        && matches!(init.kind, ExprKind::Ctx(CtxValue::Rank)) =>
                {
                    out.push(*local);
                }
                Stmt::If {
                    then, otherwise, ..
                } => {
                    walk(then, k, out);
                    walk(otherwise, k, out);
                }
                Stmt::While { body, .. } | Stmt::For { body, .. } => walk(body, k, out),
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    walk(&k.body, k, &mut out);
    out
}

fn is_rank(index: &Expr, rank_locals: &[LocalId]) -> bool {
    match &index.kind {
        ExprKind::Ctx(CtxValue::Rank) => true,
        ExprKind::Local(id) => rank_locals.contains(id),
        _ => false,
    }
}

fn stmts(body: &[Stmt], k: &Kernel, rank_locals: &mut Vec<LocalId>, by_rank: &mut [bool]) {
    for stmt in body {
        match stmt {
            Stmt::Let { local, init } => {
                expr(init, rank_locals, by_rank);
                if !k.locals[*local].mutable && matches!(init.kind, ExprKind::Ctx(CtxValue::Rank)) {
                    rank_locals.push(*local);
                }
            }
            Stmt::Assign { place, value, .. } => {
                expr(value, rank_locals, by_rank);
                if let Place::Index(array, index) = place {
                    access(*array, index, rank_locals, by_rank);
                }
            }
            Stmt::If {
                cond,
                then,
                otherwise,
            } => {
                expr(cond, rank_locals, by_rank);
                stmts(then, k, rank_locals, by_rank);
                stmts(otherwise, k, rank_locals, by_rank);
            }
            Stmt::While { cond, body } => {
                expr(cond, rank_locals, by_rank);
                stmts(body, k, rank_locals, by_rank);
            }
            Stmt::For {
                start, end, body, ..
            } => {
                expr(start, rank_locals, by_rank);
                expr(end, rank_locals, by_rank);
                stmts(body, k, rank_locals, by_rank);
            }
            Stmt::Break | Stmt::Continue | Stmt::Return(_) | Stmt::Barrier(_) => {}
        }
    }
}

fn access(array: ArrayRef, index: &Expr, rank_locals: &[LocalId], by_rank: &mut [bool]) {
    expr(index, rank_locals, by_rank);
    if let ArrayRef::Param(p) = array
        && !is_rank(index, rank_locals)
    {
        by_rank[p] = false;
    }
}

fn expr(e: &Expr, rank_locals: &[LocalId], by_rank: &mut [bool]) {
    match &e.kind {
        ExprKind::Index(array, index) => access(*array, index, rank_locals, by_rank),
        ExprKind::Unary(_, a) | ExprKind::Cast(a, _) => expr(a, rank_locals, by_rank),
        ExprKind::Binary(_, a, b) => {
            expr(a, rank_locals, by_rank);
            expr(b, rank_locals, by_rank);
        }
        ExprKind::Math(_, args) => args.iter().for_each(|a| expr(a, rank_locals, by_rank)),
        _ => {}
    }
}
