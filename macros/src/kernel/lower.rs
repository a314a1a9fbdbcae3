//! From the user's function body to the kernel subset: every construct outside it is one
//! spanned error naming the construct and the targets; types are inferred as Rust would.

use proc_macro2::Span;
use quote::ToTokens;
use syn::ext::IdentExt;
use syn::spanned::Spanned;

use super::ir::{
    ArrayRef, BinOp, CtxValue, Expr, ExprKind, KLocal, KParam, KParamKind, KShared, Known, LocalId,
    MATH, Place, Stmt, Ty, TyVar, Types, UnOp, describe, math_names,
};
use crate::errors::Errors;

/// What a type must turn out to be, checked once inference is done.
#[derive(Clone, Copy)]
enum Need {
    Numeric,
    Int,
    Signed,
    Float,
    IntOrBool,
    IntRemainder,
}

pub(crate) struct Lowering<'e> {
    errors: &'e mut Errors,
    /// The declared targets, for messages: `serial, cores, gpu`.
    targets: String,
    fine: bool,
    ctx_name: String,
    pub(crate) params: Vec<KParam>,
    pub(crate) shared: Vec<KShared>,
    pub(crate) locals: Vec<KLocal>,
    scopes: Vec<Vec<(String, LocalId)>>,
    pub(crate) types: Types,
    needs: Vec<(TyVar, Need, Span)>,
    /// Locals and shared arrays whose declaration was refused (and reported): their uses say
    /// nothing more.
    poisoned_locals: Vec<LocalId>,
    poisoned_arrays: Vec<String>,
    /// The signature's return type was refused already.
    pub(crate) return_reported: bool,
    /// Types of index expressions: an unsuffixed literal there is a `u32`, as a Rust index
    /// literal is a `usize`.
    indices: Vec<TyVar>,
    /// Integer literals, to check that each fits its type.
    literals: Vec<(TyVar, u64, Span)>,
}

const SUBSET: &str = "a kernel body takes `let`, assignment, arithmetic, comparisons, `if`/`else`, `for` over `a..b`, `while`, indexing, `.len()`, math methods";

impl<'e> Lowering<'e> {
    pub(crate) fn new(
        errors: &'e mut Errors,
        targets: String,
        fine: bool,
        ctx_name: String,
        params: Vec<KParam>,
    ) -> Self {
        Self {
            errors,
            targets,
            fine,
            ctx_name,
            params,
            shared: Vec::new(),
            locals: Vec::new(),
            scopes: vec![Vec::new()],
            types: Types::default(),
            needs: Vec::new(),
            poisoned_locals: Vec::new(),
            poisoned_arrays: Vec::new(),
            return_reported: false,
            literals: Vec::new(),
            indices: Vec::new(),
        }
    }

    fn outside(&mut self, tokens: impl ToTokens, what: &str) {
        let context = if self.fine {
            "the context's `rank`, `size`, `group`, `groups`, `barrier` and `shared`"
        } else {
            "the context's `rank` and `size`"
        };
        let message = format!(
            "{what} is not in the kernel subset (targets {}): {SUBSET} and {context}",
            self.targets
        );
        self.errors.spanned(tokens, message);
    }

    /// Makes the two sides of an operation one type, or says which side is which.
    fn unify_sides(
        &mut self,
        a: TyVar,
        b: TyVar,
        left: &dyn ToTokens,
        right: &dyn ToTokens,
        whole: &dyn ToTokens,
    ) {
        if let Err((x, y)) = self.types.unify(a, b) {
            let text = |t: &dyn ToTokens| {
                let mut s = t.to_token_stream().to_string();
                for (from, to) in [
                    (" [", "["),
                    ("[ ", "["),
                    (" ]", "]"),
                    (" (", "("),
                    ("( ", "("),
                    (" )", ")"),
                    (" .", "."),
                    (". ", "."),
                ] {
                    s = s.replace(from, to);
                }
                s
            };
            let (l, r) = (text(left), text(right));
            self.errors.spanned(
                whole,
                format!(
                    "mismatched types in a kernel: `{l}` is {} and `{r}` is {}; kernels, like Rust, never convert implicitly: convert one side with `as`",
                    describe(x),
                    describe(y)
                ),
            );
        }
    }

    fn unify(&mut self, a: TyVar, b: TyVar, span: Span) {
        if let Err((x, y)) = self.types.unify(a, b) {
            self.errors.push(syn::Error::new(
                span,
                format!(
                    "mismatched types in a kernel: {} and {}; kernels, like Rust, never convert implicitly: convert with `as`",
                    describe(x),
                    describe(y)
                ),
            ));
        }
    }

    fn require(&mut self, v: TyVar, ty: Ty, span: Span, what: &str) {
        if let Err((found, _)) = self.types.require(v, ty) {
            self.errors.push(syn::Error::new(
                span,
                format!("{what} must be `{}`, not {}", ty.rust(), describe(found)),
            ));
        }
    }

    /// Lowers the function's body (its outermost block).
    pub(crate) fn body(&mut self, block: &syn::Block) -> Vec<Stmt> {
        let stmts = self.stmts(&block.stmts, true);
        self.check_needs();
        stmts
    }

    fn block(&mut self, block: &syn::Block) -> Vec<Stmt> {
        self.scopes.push(Vec::new());
        let stmts = self.stmts(&block.stmts, false);
        self.scopes.pop();
        stmts
    }

    fn stmts(&mut self, stmts: &[syn::Stmt], top: bool) -> Vec<Stmt> {
        let mut out = Vec::new();
        for (i, stmt) in stmts.iter().enumerate() {
            let last = i + 1 == stmts.len();
            match stmt {
                syn::Stmt::Local(local) => {
                    if let Some(s) = self.local(local, top) {
                        out.push(s);
                    }
                }
                syn::Stmt::Item(item) => self.outside(item, "an item (`fn`, `struct`, `use`...)"),
                syn::Stmt::Macro(mac) => {
                    let name = mac.mac.path.to_token_stream().to_string().replace(' ', "");
                    self.outside(&mac.mac, &format!("the macro `{name}!`"));
                }
                syn::Stmt::Expr(expr, semi) => {
                    if semi.is_none() && !last && !is_block_like(expr) {
                        continue; // rustc's parser already reports this
                    }
                    if semi.is_none() && last && !is_block_like(expr) {
                        if self.return_reported {
                            continue;
                        }
                        self.errors.spanned(
                            expr,
                            "a kernel returns nothing: write its results into a `&mut [T]` parameter",
                        );
                        continue;
                    }
                    if let Some(s) = self.stmt_expr(expr) {
                        out.push(s);
                    }
                }
            }
        }
        out
    }

    fn local(&mut self, local: &syn::Local, top: bool) -> Option<Stmt> {
        let (name, mutable, annotated) = match &local.pat {
            syn::Pat::Ident(p) if p.by_ref.is_none() && p.subpat.is_none() => {
                (p.ident.clone(), p.mutability.is_some(), None)
            }
            syn::Pat::Type(pt) => match &*pt.pat {
                syn::Pat::Ident(p) if p.by_ref.is_none() && p.subpat.is_none() => {
                    (p.ident.clone(), p.mutability.is_some(), Some(&*pt.ty))
                }
                other => {
                    self.outside(other, "this pattern");
                    return None;
                }
            },
            other => {
                self.outside(other, "a pattern other than a name");
                return None;
            }
        };
        let Some(init) = &local.init else {
            self.errors.spanned(
                local,
                format!("give `{name}` its first value where it is declared: `let {name} = ...;`"),
            );
            return None;
        };
        if let Some((_, diverge)) = &init.diverge {
            self.outside(diverge, "`let ... else`");
            return None;
        }
        if let Some(shared) = self.shared_decl(&init.expr, &name, top) {
            match shared {
                Some(shared) => self.shared.push(shared),
                None => self.poisoned_arrays.push(name.unraw().to_string()),
            }
            return None;
        }
        let Some(value) = self.expr(&init.expr) else {
            self.poison(&name);
            return None;
        };
        let ty = match annotated {
            Some(ty) => {
                let Some(ty) = self.scalar_type(ty) else {
                    self.poison(&name);
                    return None;
                };
                self.require(value.ty, ty, value.span, &format!("the value of `{name}`"));
                self.types.of(ty)
            }
            None => value.ty,
        };
        let id = self.declare(&name, ty, mutable);
        Some(Stmt::Let {
            local: id,
            init: value,
        })
    }

    /// Declares `name` as refused, so that its uses are not reported again.
    fn poison(&mut self, name: &syn::Ident) {
        let ty = self.types.fresh(Known::Int);
        let id = self.declare(name, ty, true);
        self.poisoned_locals.push(id);
    }

    fn declare(&mut self, name: &syn::Ident, ty: TyVar, mutable: bool) -> LocalId {
        let text = name.unraw().to_string();
        let id = self.locals.len();
        self.locals.push(KLocal {
            name: text.clone(),
            ty,
            mutable,
        });
        self.scopes
            .last_mut()
            .expect("a scope is always open")
            .push((text, id));
        id
    }

    /// `ctx.shared::<T, N>()`: `None` when `expr` is something else, `Some(None)` when it was
    /// one, wrongly written (reported).
    fn shared_decl(
        &mut self,
        expr: &syn::Expr,
        name: &syn::Ident,
        top: bool,
    ) -> Option<Option<KShared>> {
        let syn::Expr::MethodCall(call) = expr else {
            return None;
        };
        if call.method != "shared" || !self.is_ctx(&call.receiver) {
            return None;
        }
        if !self.fine {
            self.errors.spanned(
                call,
                "work-group shared memory is for `fine_general` kernels: the invocations of a coarse kernel are independent tasks and never communicate",
            );
            return Some(None);
        }
        if !top {
            self.errors.spanned(
                call,
                "declare shared arrays at the top of the kernel's body, outside any `if` or loop: the whole work-group shares them",
            );
            return Some(None);
        }
        let help = "write `ctx.shared::<f32, 256>()`: an element type (f32, i32 or u32) and a literal length";
        let Some(turbofish) = &call.turbofish else {
            self.errors.spanned(call, help);
            return Some(None);
        };
        let args: Vec<&syn::GenericArgument> = turbofish.args.iter().collect();
        let [syn::GenericArgument::Type(elem), len] = args.as_slice() else {
            self.errors.spanned(turbofish, help);
            return Some(None);
        };
        let elem = match self.scalar_type(elem) {
            Some(Ty::Bool) => {
                self.errors.spanned(elem, help);
                return Some(None);
            }
            Some(t) => t,
            None => return Some(None),
        };
        let len = match len {
            syn::GenericArgument::Const(syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Int(n),
                ..
            })) => n.base10_parse::<u32>().ok().filter(|&n| n > 0),
            syn::GenericArgument::Type(syn::Type::Verbatim(_)) => None,
            _ => None,
        };
        let Some(len) = len else {
            self.errors.spanned(turbofish, help);
            return Some(None);
        };
        let text = name.unraw().to_string();
        if self.lookup(&text).is_some() || self.array(&text).is_some() {
            self.errors.spanned(
                name,
                format!("`{name}` is already declared: give the shared array its own name"),
            );
            return Some(None);
        }
        Some(Some(KShared {
            name: text,
            elem,
            len,
        }))
    }

    fn scalar_type(&mut self, ty: &syn::Type) -> Option<Ty> {
        let text = ty.to_token_stream().to_string();
        let found = match text.as_str() {
            "f32" => Some(Ty::F32),
            "i32" => Some(Ty::I32),
            "u32" => Some(Ty::U32),
            "bool" => Some(Ty::Bool),
            _ => None,
        };
        if found.is_none() {
            self.errors.spanned(
                ty,
                format!(
                    "`{text}` is not a kernel type: targets {} take f32, i32, u32 and bool{}",
                    self.targets,
                    if text == "usize" {
                        " (kernels index with u32)"
                    } else {
                        ""
                    }
                ),
            );
        }
        found
    }

    fn lookup(&self, name: &str) -> Option<LocalId> {
        self.scopes
            .iter()
            .rev()
            .flat_map(|scope| scope.iter().rev())
            .find(|(n, _)| n == name)
            .map(|&(_, id)| id)
    }

    fn array(&self, name: &str) -> Option<ArrayRef> {
        if let Some(i) = self
            .params
            .iter()
            .position(|p| p.name == name && matches!(p.kind, KParamKind::Slice { .. }))
        {
            return Some(ArrayRef::Param(i));
        }
        self.shared
            .iter()
            .position(|s| s.name == name)
            .map(ArrayRef::Shared)
    }

    fn array_elem(&self, array: ArrayRef) -> Ty {
        match array {
            ArrayRef::Param(i) => match self.params[i].kind {
                KParamKind::Slice { elem, .. } => elem,
                KParamKind::Value(ty) => ty,
            },
            ArrayRef::Shared(i) => self.shared[i].elem,
        }
    }

    fn is_ctx(&self, expr: &syn::Expr) -> bool {
        matches!(expr, syn::Expr::Path(p) if p.qself.is_none() && p.path.is_ident(&self.ctx_name))
            && self.lookup(&self.ctx_name).is_none()
    }

    fn stmt_expr(&mut self, expr: &syn::Expr) -> Option<Stmt> {
        match expr {
            syn::Expr::Assign(assign) => {
                let place = self.place(&assign.left)?;
                let value = self.expr(&assign.right)?;
                let place_ty = self.place_ty(&place);
                self.unify_sides(place_ty, value.ty, &assign.left, &assign.right, assign);
                Some(Stmt::Assign {
                    place,
                    op: None,
                    value,
                })
            }
            syn::Expr::Binary(bin) if compound(&bin.op).is_some() => {
                let op = compound(&bin.op).expect("checked just above");
                let place = self.place(&bin.left)?;
                let value = self.expr(&bin.right)?;
                let place_ty = self.place_ty(&place);
                self.arith(op, place_ty, value.ty, bin);
                Some(Stmt::Assign {
                    place,
                    op: Some(op),
                    value,
                })
            }
            syn::Expr::If(e) => self.if_stmt(e),
            syn::Expr::While(w) => {
                if let Some(label) = &w.label {
                    self.outside(label, "a loop label");
                }
                let cond = self.expr(&w.cond)?;
                self.require(cond.ty, Ty::Bool, cond.span, "a `while` condition");
                let body = self.block(&w.body);
                Some(Stmt::While { cond, body })
            }
            syn::Expr::ForLoop(f) => self.for_loop(f),
            syn::Expr::Break(b) => {
                if b.label.is_some() || b.expr.is_some() {
                    self.outside(b, "`break` with a label or a value");
                }
                Some(Stmt::Break)
            }
            syn::Expr::Continue(c) => {
                if c.label.is_some() {
                    self.outside(c, "`continue` with a label");
                }
                Some(Stmt::Continue)
            }
            syn::Expr::Return(r) => {
                if r.expr.is_some() {
                    self.errors.spanned(
                        r,
                        "a kernel returns nothing: write its results into a `&mut [T]` parameter",
                    );
                }
                Some(Stmt::Return(r.span()))
            }
            syn::Expr::MethodCall(call)
                if self.is_ctx(&call.receiver) && call.method == "barrier" =>
            {
                if !call.args.is_empty() {
                    self.errors
                        .spanned(&call.args, "`barrier` takes no argument");
                }
                Some(Stmt::Barrier(call.method.span()))
            }
            syn::Expr::Block(b) => {
                self.outside(b, "a nested block");
                None
            }
            syn::Expr::Loop(l) => {
                self.outside(l.loop_token, "`loop` (use `while`)");
                None
            }
            syn::Expr::Paren(p) => self.stmt_expr(&p.expr),
            other => {
                if let Some(value) = self.expr(other) {
                    let _ = value;
                    self.errors.spanned(
                        other,
                        "this value is computed and dropped: assign it, or remove it",
                    );
                }
                None
            }
        }
    }

    fn if_stmt(&mut self, e: &syn::ExprIf) -> Option<Stmt> {
        if let syn::Expr::Let(l) = &*e.cond {
            self.outside(l, "`if let`");
            return None;
        }
        let cond = self.expr(&e.cond);
        let then = self.block(&e.then_branch);
        let otherwise = match &e.else_branch {
            None => Vec::new(),
            Some((_, branch)) => match &**branch {
                syn::Expr::Block(b) if b.label.is_none() => self.block(&b.block),
                syn::Expr::If(nested) => self.if_stmt(nested).into_iter().collect(),
                other => {
                    self.outside(other, "this `else` branch");
                    Vec::new()
                }
            },
        };
        let cond = cond?;
        self.require(cond.ty, Ty::Bool, cond.span, "an `if` condition");
        Some(Stmt::If {
            cond,
            then,
            otherwise,
        })
    }

    fn for_loop(&mut self, f: &syn::ExprForLoop) -> Option<Stmt> {
        if let Some(label) = &f.label {
            self.outside(label, "a loop label");
        }
        let name = match &*f.pat {
            syn::Pat::Ident(p)
                if p.by_ref.is_none() && p.subpat.is_none() && p.mutability.is_none() =>
            {
                p.ident.clone()
            }
            other => {
                self.outside(other, "this loop pattern (write `for i in a..b`)");
                return None;
            }
        };
        let syn::Expr::Range(range) = &*f.expr else {
            self.outside(&f.expr, "a `for` over something other than a range `a..b`");
            return None;
        };
        let (Some(start), Some(end)) = (&range.start, &range.end) else {
            self.outside(range, "an open range (write both ends: `a..b`)");
            return None;
        };
        if let syn::RangeLimits::Closed(dots) = range.limits {
            self.errors.spanned(
                dots,
                "kernels loop over half-open ranges only: write `a..b + 1` for `a..=b`",
            );
            return None;
        }
        let start = self.expr(start)?;
        let end = self.expr(end)?;
        self.unify(start.ty, end.ty, range.span());
        self.needs.push((start.ty, Need::Int, range.span()));
        self.scopes.push(Vec::new());
        let var = self.declare(&name, start.ty, false);
        let body = self.stmts(&f.body.stmts, false);
        self.scopes.pop();
        Some(Stmt::For {
            var,
            start,
            end,
            body,
        })
    }

    fn place(&mut self, expr: &syn::Expr) -> Option<Place> {
        match expr {
            syn::Expr::Path(p) if p.path.get_ident().is_some() => {
                let name = p.path.get_ident().expect("checked").unraw().to_string();
                match self.lookup(&name) {
                    Some(id) if self.poisoned_locals.contains(&id) => None,
                    Some(id) if self.locals[id].mutable => Some(Place::Local(id)),
                    Some(_) => {
                        self.errors.spanned(
                            p,
                            format!("`{name}` is not mutable: declare it `let mut {name}`"),
                        );
                        None
                    }
                    None if self.params.iter().any(|k| k.name == name) => {
                        self.errors.spanned(
                            p,
                            format!("`{name}` is a parameter, the same for every invocation: copy it into a `let mut` to change it"),
                        );
                        None
                    }
                    None => {
                        self.errors
                            .spanned(p, format!("`{name}` is not declared in this kernel"));
                        None
                    }
                }
            }
            syn::Expr::Index(ix) => {
                let array = self.array_of(&ix.expr)?;
                if let ArrayRef::Param(i) = array
                    && let KParamKind::Slice {
                        writable: false, ..
                    } = self.params[i].kind
                {
                    let name = self.params[i].name.clone();
                    self.errors.spanned(
                        &ix.expr,
                        format!(
                            "`{name}` is read-only (`&[T]`): declare it `&mut [T]` to write it"
                        ),
                    );
                    return None;
                }
                let index = self.index(&ix.index)?;
                Some(Place::Index(array, index))
            }
            syn::Expr::Paren(p) => self.place(&p.expr),
            other => {
                self.outside(other, "assigning to this");
                None
            }
        }
    }

    fn place_ty(&mut self, place: &Place) -> TyVar {
        match place {
            Place::Local(id) => self.locals[*id].ty,
            Place::Index(array, _) => {
                let elem = self.array_elem(*array);
                self.types.of(elem)
            }
        }
    }

    fn array_of(&mut self, expr: &syn::Expr) -> Option<ArrayRef> {
        if let syn::Expr::Path(p) = expr
            && let Some(ident) = p.path.get_ident()
        {
            let name = ident.unraw().to_string();
            if self.lookup(&name).is_none() {
                if let Some(array) = self.array(&name) {
                    return Some(array);
                }
                if self.poisoned_arrays.contains(&name) {
                    return None;
                }
            }
            if let Some(id) = self.lookup(&name)
                && self.poisoned_locals.contains(&id)
            {
                return None;
            }
            if let Some(i) = self.params.iter().position(|p| p.name == name)
                && self.lookup(&name).is_none()
            {
                let ty = match self.params[i].kind {
                    KParamKind::Value(t) => t.rust(),
                    KParamKind::Slice { .. } => "slice",
                };
                self.errors.spanned(
                    expr,
                    format!("`{name}` is a value of type `{ty}`, not a slice: only `&[T]` and `&mut [T]` parameters and shared arrays are indexed"),
                );
                return None;
            }
            if let Some(id) = self.lookup(&name) {
                let ty = self.types.resolve(self.locals[id].ty);
                self.errors.spanned(
                    expr,
                    format!("`{name}` is a local `{}`, not a slice: only `&[T]` and `&mut [T]` parameters and shared arrays are indexed", ty.rust()),
                );
                return None;
            }
        }
        self.outside(
            expr,
            "indexing something other than a slice parameter or a shared array",
        );
        None
    }

    fn index(&mut self, expr: &syn::Expr) -> Option<Expr> {
        let index = self.expr(expr)?;
        self.needs.push((index.ty, Need::Int, index.span));
        self.indices.push(index.ty);
        Some(index)
    }

    fn arith(&mut self, op: BinOp, left: TyVar, right: TyVar, bin: &syn::ExprBinary) {
        let span = bin.op.span();
        match op {
            BinOp::Shl | BinOp::Shr => {
                self.needs.push((left, Need::Int, bin.left.span()));
                self.needs.push((right, Need::Int, bin.right.span()));
            }
            BinOp::BitAnd | BinOp::BitOr | BinOp::BitXor => {
                self.unify_sides(left, right, &bin.left, &bin.right, bin);
                self.needs.push((left, Need::IntOrBool, span));
            }
            BinOp::Rem => {
                // WGSL computes an f32 remainder through a division, so it would differ
                // between targets: kernels take `%` on integers only.
                self.unify_sides(left, right, &bin.left, &bin.right, bin);
                self.needs.push((left, Need::IntRemainder, span));
            }
            _ => {
                self.unify_sides(left, right, &bin.left, &bin.right, bin);
                self.needs.push((left, Need::Numeric, span));
            }
        }
    }

    fn make(&mut self, kind: ExprKind, ty: TyVar, span: Span) -> Option<Expr> {
        Some(Expr { kind, ty, span })
    }

    fn expr(&mut self, expr: &syn::Expr) -> Option<Expr> {
        let span = expr.span();
        match expr {
            syn::Expr::Lit(lit) => self.literal(&lit.lit),
            syn::Expr::Paren(p) => self.expr(&p.expr),
            syn::Expr::Group(g) => self.expr(&g.expr),
            syn::Expr::Path(p) => self.path(p),
            syn::Expr::Unary(u) => {
                let op = match u.op {
                    syn::UnOp::Neg(_) => UnOp::Neg,
                    syn::UnOp::Not(_) => UnOp::Not,
                    _ => {
                        self.outside(u.op, "dereferencing");
                        return None;
                    }
                };
                let inner = self.expr(&u.expr)?;
                let need = if op == UnOp::Neg {
                    Need::Signed
                } else {
                    Need::IntOrBool
                };
                self.needs.push((inner.ty, need, span));
                let ty = inner.ty;
                self.make(ExprKind::Unary(op, Box::new(inner)), ty, span)
            }
            syn::Expr::Binary(bin) => {
                let Some(op) = binop(&bin.op) else {
                    self.errors
                        .spanned(bin, "an assignment is a statement in a kernel, not a value");
                    return None;
                };
                let left = self.expr(&bin.left);
                let right = self.expr(&bin.right);
                let (left, right) = (left?, right?);
                let ty = match op {
                    BinOp::And | BinOp::Or => {
                        self.require(left.ty, Ty::Bool, left.span, "an operand of `&&` and `||`");
                        self.require(
                            right.ty,
                            Ty::Bool,
                            right.span,
                            "an operand of `&&` and `||`",
                        );
                        self.types.of(Ty::Bool)
                    }
                    op if op.is_comparison() => {
                        self.unify_sides(left.ty, right.ty, &bin.left, &bin.right, bin);
                        if !matches!(op, BinOp::Eq | BinOp::Ne) {
                            self.needs.push((left.ty, Need::Numeric, span));
                        }
                        self.types.of(Ty::Bool)
                    }
                    op => {
                        self.arith(op, left.ty, right.ty, bin);
                        left.ty
                    }
                };
                self.make(
                    ExprKind::Binary(op, Box::new(left), Box::new(right)),
                    ty,
                    span,
                )
            }
            syn::Expr::Cast(cast) => {
                let inner = self.expr(&cast.expr)?;
                let to = self.scalar_type(&cast.ty)?;
                if to == Ty::Bool {
                    self.errors
                        .spanned(cast, "a cast to `bool` does not exist: compare with `!= 0`");
                    return None;
                }
                if to == Ty::F32 && self.types.known(inner.ty) == Known::Exactly(Ty::Bool) {
                    self.errors
                        .spanned(cast, "a `bool` casts to an integer only: `b as u32 as f32`");
                    return None;
                }
                let ty = self.types.of(to);
                self.make(ExprKind::Cast(Box::new(inner), to), ty, span)
            }
            syn::Expr::Index(ix) => {
                let array = self.array_of(&ix.expr)?;
                let index = self.index(&ix.index)?;
                let ty = self.types.of(self.array_elem(array));
                self.make(ExprKind::Index(array, Box::new(index)), ty, span)
            }
            syn::Expr::MethodCall(call) => self.method(call),
            syn::Expr::If(e) => {
                self.outside(
                    e.if_token,
                    "`if` as a value (write `let mut x = b; if c { x = a; }`)",
                );
                None
            }
            syn::Expr::Call(call) => {
                self.outside(
                    &call.func,
                    "a function call (math is written as methods: `x.sqrt()`)",
                );
                None
            }
            syn::Expr::Macro(m) => {
                let name = m.mac.path.to_token_stream().to_string().replace(' ', "");
                self.outside(&m.mac, &format!("the macro `{name}!`"));
                None
            }
            syn::Expr::Closure(c) => {
                self.outside(c, "a closure");
                None
            }
            syn::Expr::Match(m) => {
                self.outside(m.match_token, "`match`");
                None
            }
            syn::Expr::Reference(r) => {
                self.outside(r.and_token, "a reference");
                None
            }
            syn::Expr::Field(f) => {
                self.outside(f, "a field access");
                None
            }
            syn::Expr::Tuple(t) => {
                self.outside(t, "a tuple");
                None
            }
            syn::Expr::Array(a) => {
                self.outside(a, "an array value");
                None
            }
            syn::Expr::Repeat(a) => {
                self.outside(a, "an array value");
                None
            }
            syn::Expr::Struct(s) => {
                self.outside(s, "a struct value");
                None
            }
            syn::Expr::Try(t) => {
                self.outside(t.question_token, "`?`");
                None
            }
            syn::Expr::Unsafe(u) => {
                self.outside(u.unsafe_token, "`unsafe`");
                None
            }
            syn::Expr::Block(b) => {
                self.outside(b, "a block as a value");
                None
            }
            syn::Expr::Range(r) => {
                self.outside(r, "a range outside `for`");
                None
            }
            syn::Expr::Assign(a) => {
                self.errors
                    .spanned(a, "an assignment is a statement in a kernel, not a value");
                None
            }
            syn::Expr::While(_) | syn::Expr::ForLoop(_) | syn::Expr::Loop(_) => {
                self.outside(expr, "a loop as a value");
                None
            }
            other => {
                self.outside(other, "this expression");
                None
            }
        }
    }

    fn literal(&mut self, lit: &syn::Lit) -> Option<Expr> {
        let span = lit.span();
        match lit {
            syn::Lit::Int(n) => {
                let known = match n.suffix() {
                    "" => Known::Int,
                    "i32" => Known::Exactly(Ty::I32),
                    "u32" => Known::Exactly(Ty::U32),
                    "f32" => Known::Exactly(Ty::F32),
                    other => {
                        self.errors.spanned(
                            n,
                            format!("`{other}` is not a kernel type: targets {} take f32, i32, u32 and bool", self.targets),
                        );
                        return None;
                    }
                };
                let Ok(value) = n.base10_parse::<u64>() else {
                    self.errors
                        .spanned(n, "this number does not fit a kernel integer (u32)");
                    return None;
                };
                let ty = self.types.fresh(known);
                if known == Known::Exactly(Ty::F32) {
                    return self.make(ExprKind::Float(value as f64), ty, span);
                }
                self.literals.push((ty, value, span));
                self.make(ExprKind::Int(value), ty, span)
            }
            syn::Lit::Float(f) => {
                match f.suffix() {
                    "" | "f32" => {}
                    other => {
                        self.errors.spanned(
                            f,
                            format!("`{other}` is not a kernel type: targets {} take f32, i32, u32 and bool", self.targets),
                        );
                        return None;
                    }
                }
                let value = match f.base10_parse::<f32>() {
                    Ok(value) if value.is_finite() => value,
                    _ => {
                        self.errors.spanned(
                            f,
                            "this number is not a finite f32 (the largest is about 3.4e38)",
                        );
                        return None;
                    }
                };
                let ty = self.types.fresh(Known::Float);
                self.make(ExprKind::Float(f64::from(value)), ty, span)
            }
            syn::Lit::Bool(b) => {
                let ty = self.types.of(Ty::Bool);
                self.make(ExprKind::Bool(b.value), ty, span)
            }
            other => {
                self.outside(other, "this literal");
                None
            }
        }
    }

    fn path(&mut self, p: &syn::ExprPath) -> Option<Expr> {
        let span = p.span();
        if let Some(ident) = p.path.get_ident() {
            let name = ident.unraw().to_string();
            if let Some(id) = self.lookup(&name) {
                if self.poisoned_locals.contains(&id) {
                    return None;
                }
                let ty = self.locals[id].ty;
                return self.make(ExprKind::Local(id), ty, span);
            }
            if self.poisoned_arrays.contains(&name) {
                return None;
            }
            if let Some(i) = self.params.iter().position(|k| k.name == name) {
                return match self.params[i].kind {
                    KParamKind::Value(t) => {
                        let ty = self.types.of(t);
                        self.make(ExprKind::Value(i), ty, span)
                    }
                    KParamKind::Slice { .. } => {
                        self.errors.spanned(
                            p,
                            format!("a slice is used through an element or its length: `{name}[i]`, `{name}.len()`"),
                        );
                        None
                    }
                };
            }
            if self.array(&name).is_some() {
                self.errors.spanned(
                    p,
                    format!("a shared array is used through an element or its length: `{name}[i]`, `{name}.len()`"),
                );
                return None;
            }
            if name == self.ctx_name {
                self.errors.spanned(
                    p,
                    "the context is used through its methods: `ctx.rank()`, `ctx.size()`...",
                );
                return None;
            }
            self.errors
                .spanned(p, format!("`{name}` is not declared in this kernel"));
            return None;
        }
        // Constants: `u32::MAX`, `f32::EPSILON`, `std::f32::consts::PI`.
        let text = p.path.to_token_stream().to_string().replace(' ', "");
        let text = text
            .trim_start_matches("::")
            .trim_start_matches("std::")
            .trim_start_matches("core::");
        let constant = match text {
            "u32::MAX" => Some((Ty::U32, f64::from(u32::MAX))),
            "u32::MIN" => Some((Ty::U32, 0.0)),
            "i32::MAX" => Some((Ty::I32, f64::from(i32::MAX))),
            "i32::MIN" => Some((Ty::I32, f64::from(i32::MIN))),
            "f32::MAX" => Some((Ty::F32, f64::from(f32::MAX))),
            "f32::MIN" => Some((Ty::F32, f64::from(f32::MIN))),
            "f32::EPSILON" => Some((Ty::F32, f64::from(f32::EPSILON))),
            "f32::consts::PI" => Some((Ty::F32, f64::from(std::f32::consts::PI))),
            "f32::consts::E" => Some((Ty::F32, f64::from(std::f32::consts::E))),
            _ => None,
        };
        match constant {
            Some((Ty::F32, v)) => {
                let ty = self.types.of(Ty::F32);
                self.make(ExprKind::Float(v), ty, span)
            }
            Some((Ty::I32, v)) if v < 0.0 => {
                // i32::MIN has no positive literal: -2147483647 - 1.
                let ty = self.types.of(Ty::I32);
                let max = Expr {
                    kind: ExprKind::Int(i32::MAX as u64),
                    ty,
                    span,
                };
                let neg = Expr {
                    kind: ExprKind::Unary(UnOp::Neg, Box::new(max)),
                    ty,
                    span,
                };
                let one = Expr {
                    kind: ExprKind::Int(1),
                    ty,
                    span,
                };
                self.make(
                    ExprKind::Binary(BinOp::Sub, Box::new(neg), Box::new(one)),
                    ty,
                    span,
                )
            }
            Some((t, v)) => {
                let ty = self.types.of(t);
                self.make(ExprKind::Int(v as u64), ty, span)
            }
            None => {
                self.outside(p, &format!("`{text}`"));
                None
            }
        }
    }

    fn method(&mut self, call: &syn::ExprMethodCall) -> Option<Expr> {
        let span = call.span();
        let method = call.method.to_string();
        if self.is_ctx(&call.receiver) {
            return self.ctx_method(call, &method);
        }
        if method == "len" {
            let array = self.array_of(&call.receiver)?;
            if !call.args.is_empty() {
                self.errors.spanned(&call.args, "`len` takes no argument");
            }
            let ty = self.types.of(Ty::U32);
            return self.make(ExprKind::Len(array), ty, span);
        }
        let Some(&(_, f, arity, ints)) = MATH.iter().find(|(name, ..)| *name == method) else {
            self.outside(
                &call.method,
                &format!(
                    "the method `{method}` (the math methods are {})",
                    math_names()
                ),
            );
            return None;
        };
        if let Some(turbofish) = &call.turbofish {
            self.outside(turbofish, "a turbofish");
        }
        let receiver = self.expr(&call.receiver)?;
        if call.args.len() != arity {
            self.errors.spanned(
                &call.method,
                format!("`{method}` takes {arity} argument(s) besides the value it is called on"),
            );
            return None;
        }
        self.needs.push((
            receiver.ty,
            if ints { Need::Numeric } else { Need::Float },
            receiver.span,
        ));
        let mut args = vec![];
        let receiver_ty = receiver.ty;
        args.push(receiver);
        for arg in &call.args {
            let arg = self.expr(arg)?;
            self.unify(receiver_ty, arg.ty, arg.span);
            args.push(arg);
        }
        self.make(ExprKind::Math(f, args), receiver_ty, span)
    }

    fn ctx_method(&mut self, call: &syn::ExprMethodCall, method: &str) -> Option<Expr> {
        let span = call.span();
        let value = match method {
            "rank" => CtxValue::Rank,
            "size" => CtxValue::Size,
            "group" | "groups" if !self.fine => {
                self.errors.spanned(
                    &call.method,
                    format!("`ctx.{method}()` is for `fine_general` kernels, whose invocations form work-groups; a coarse kernel's invocations are independent (use `ctx.rank()`, the global index)"),
                );
                return None;
            }
            "group" => CtxValue::Group,
            "groups" => CtxValue::Groups,
            "barrier" => {
                self.errors.spanned(
                    call,
                    "`ctx.barrier()` is a statement: write `ctx.barrier();`",
                );
                return None;
            }
            "shared" => {
                self.errors.spanned(
                    call,
                    "declare a shared array with `let name = ctx.shared::<f32, 256>();` at the top of the kernel",
                );
                return None;
            }
            other => {
                self.errors.spanned(
                    &call.method,
                    format!("`ctx.{other}` is not available in a kernel: targets {} offer `rank`, `size`, `group`, `groups`, `barrier` and `shared`", self.targets),
                );
                return None;
            }
        };
        if !call.args.is_empty() {
            self.errors
                .spanned(&call.args, format!("`{method}` takes no argument"));
        }
        let ty = self.types.of(Ty::U32);
        self.make(ExprKind::Ctx(value), ty, span)
    }

    fn check_needs(&mut self) {
        for v in std::mem::take(&mut self.indices) {
            if self.types.known(v) == Known::Int {
                let _ = self.types.require(v, Ty::U32);
            }
        }
        for (v, need, span) in std::mem::take(&mut self.needs) {
            let ty = self.types.resolve(v);
            let ok = match need {
                Need::Numeric => ty != Ty::Bool,
                Need::Int => ty.is_int(),
                Need::Signed => matches!(ty, Ty::I32 | Ty::F32),
                Need::Float => ty == Ty::F32,
                Need::IntOrBool => ty != Ty::F32,
                Need::IntRemainder => ty.is_int(),
            };
            if !ok && matches!(need, Need::IntRemainder) {
                self.errors.push(syn::Error::new(
                    span,
                    format!("`%` takes integers in a kernel, not `{}`: the targets compute a float remainder differently (WGSL through a division); write `x - y * (x / y).trunc()`", ty.rust()),
                ));
                continue;
            }
            if !ok {
                let wanted = match need {
                    Need::Numeric => "a number",
                    Need::Int => "an integer (u32 or i32)",
                    Need::Signed => "signed (i32 or f32)",
                    Need::Float => "`f32`",
                    Need::IntOrBool => "an integer or a `bool`",
                    Need::IntRemainder => "an integer",
                };
                self.errors.push(syn::Error::new(
                    span,
                    format!("this must be {wanted}, but it is `{}`", ty.rust()),
                ));
            }
        }
        for (v, value, span) in std::mem::take(&mut self.literals) {
            let limit = match self.types.resolve(v) {
                Ty::I32 => i32::MAX as u64,
                Ty::U32 => u64::from(u32::MAX),
                Ty::F32 => {
                    self.errors.push(syn::Error::new(
                        span,
                        "an integer literal where an `f32` is expected: write it with a point (`1.0`)",
                    ));
                    continue;
                }
                Ty::Bool => continue,
            };
            if value > limit {
                self.errors.push(syn::Error::new(
                    span,
                    format!("this literal does not fit its type (at most {limit})"),
                ));
            }
        }
    }
}

fn is_block_like(expr: &syn::Expr) -> bool {
    matches!(
        expr,
        syn::Expr::If(_)
            | syn::Expr::While(_)
            | syn::Expr::ForLoop(_)
            | syn::Expr::Loop(_)
            | syn::Expr::Block(_)
            | syn::Expr::Match(_)
            | syn::Expr::Unsafe(_)
    )
}

fn binop(op: &syn::BinOp) -> Option<BinOp> {
    Some(match op {
        syn::BinOp::Add(_) => BinOp::Add,
        syn::BinOp::Sub(_) => BinOp::Sub,
        syn::BinOp::Mul(_) => BinOp::Mul,
        syn::BinOp::Div(_) => BinOp::Div,
        syn::BinOp::Rem(_) => BinOp::Rem,
        syn::BinOp::And(_) => BinOp::And,
        syn::BinOp::Or(_) => BinOp::Or,
        syn::BinOp::BitXor(_) => BinOp::BitXor,
        syn::BinOp::BitAnd(_) => BinOp::BitAnd,
        syn::BinOp::BitOr(_) => BinOp::BitOr,
        syn::BinOp::Shl(_) => BinOp::Shl,
        syn::BinOp::Shr(_) => BinOp::Shr,
        syn::BinOp::Eq(_) => BinOp::Eq,
        syn::BinOp::Lt(_) => BinOp::Lt,
        syn::BinOp::Le(_) => BinOp::Le,
        syn::BinOp::Ne(_) => BinOp::Ne,
        syn::BinOp::Ge(_) => BinOp::Ge,
        syn::BinOp::Gt(_) => BinOp::Gt,
        _ => return None,
    })
}

fn compound(op: &syn::BinOp) -> Option<BinOp> {
    Some(match op {
        syn::BinOp::AddAssign(_) => BinOp::Add,
        syn::BinOp::SubAssign(_) => BinOp::Sub,
        syn::BinOp::MulAssign(_) => BinOp::Mul,
        syn::BinOp::DivAssign(_) => BinOp::Div,
        syn::BinOp::RemAssign(_) => BinOp::Rem,
        syn::BinOp::BitXorAssign(_) => BinOp::BitXor,
        syn::BinOp::BitAndAssign(_) => BinOp::BitAnd,
        syn::BinOp::BitOrAssign(_) => BinOp::BitOr,
        syn::BinOp::ShlAssign(_) => BinOp::Shl,
        syn::BinOp::ShrAssign(_) => BinOp::Shr,
        _ => return None,
    })
}
