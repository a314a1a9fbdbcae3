//! The `Serial` and `Cores` targets: Rust that runs one work-group.
//!
//! A coarse kernel's group runs its invocations one after another, each a call of the body. A
//! `fine_general` kernel's group runs in lockstep: the body is cut at its barriers, each piece
//! runs for every invocation before the next starts, and a local that lives across a barrier
//! becomes one slot per invocation. Values the whole group shares (see `uniform`) are computed
//! once. Slices are read and written through bounds-checked views whose faults are recorded,
//! as on the GPUs, and integer arithmetic wraps, as on the GPUs.

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};
use syn::Path;

use super::ir::{
    ArrayRef, BinOp, CtxValue, Expr, ExprKind, KParamKind, Kernel, LocalId, MathFn, Place, Stmt,
    Ty, UnOp,
};
use super::uniform::runs_once;

pub(crate) struct RustEmit<'k> {
    pub(crate) k: &'k Kernel,
    pub(crate) tys: &'k [Ty],
    pub(crate) krate: &'k Path,
    pub(crate) fine: bool,
    pub(crate) group_size: u32,
    pub(crate) uniform: &'k [bool],
    /// Slice parameters indexed only by rank (coarse kernels; see `by_rank`).
    by_rank: Vec<bool>,
    /// Emitting the loop over a whole group whose by-rank slices are all in bounds.
    fast: bool,
    /// Locals that live across a barrier: one slot per invocation.
    lane_slots: Vec<LocalId>,
    /// Immutable locals bound to `ctx.rank()`: in a fine kernel, the lockstep loop's index.
    rank_locals: Vec<LocalId>,
    in_lane: bool,
}

pub(crate) fn local_ident(k: &Kernel, id: LocalId) -> proc_macro2::Ident {
    format_ident!("__spm_l{}_{}", id, k.locals[id].name)
}

fn param_ident(k: &Kernel, i: usize) -> proc_macro2::Ident {
    format_ident!("__spm_p_{}", k.params[i].name)
}

fn chunk_ident(k: &Kernel, i: usize) -> proc_macro2::Ident {
    format_ident!("__spm_c_{}", k.params[i].name)
}

fn fast_ident(k: &Kernel, i: usize) -> proc_macro2::Ident {
    format_ident!("__spm_f_{}", k.params[i].name)
}

fn shared_ident(i: usize) -> proc_macro2::Ident {
    format_ident!("__spm_s{}", i)
}

fn ty_tokens(ty: Ty) -> TokenStream {
    match ty {
        Ty::F32 => quote!(f32),
        Ty::I32 => quote!(i32),
        Ty::U32 => quote!(u32),
        Ty::Bool => quote!(bool),
    }
}

impl<'k> RustEmit<'k> {
    pub(crate) fn new(
        k: &'k Kernel,
        tys: &'k [Ty],
        krate: &'k Path,
        fine: bool,
        group_size: u32,
        uniform: &'k [bool],
    ) -> Self {
        Self {
            k,
            tys,
            krate,
            fine,
            group_size,
            uniform,
            by_rank: super::by_rank::analyse(k, fine),
            fast: false,
            lane_slots: Vec::new(),
            rank_locals: super::by_rank::rank_locals(k),
            in_lane: false,
        }
    }

    /// Whether parameter `i` is a writable slice indexed only by rank: its group's part comes
    /// in `__spm_parts`.
    fn chunked(&self, i: usize) -> bool {
        self.by_rank[i]
            && matches!(
                self.k.params[i].kind,
                KParamKind::Slice { writable: true, .. }
            )
    }

    /// The body of `Kernel::run_group`.
    pub(crate) fn group_fn(mut self) -> TokenStream {
        let krate = self.krate;
        let k = self.k;
        let mut part = 0usize;
        let binds: Vec<TokenStream> = k.params.iter().enumerate().map(|(i, p)| {
            let ident = param_ident(k, i);
            if self.chunked(i) {
                let KParamKind::Slice { elem, .. } = p.kind else { unreachable!("a slice") };
                let accessor = format_ident!("{}_mut", elem.rust());
                let chunk = chunk_ident(k, i);
                let first = if part == 0 {
                    quote!(let mut __spm_parts = __spm_parts.iter_mut();)
                } else {
                    quote!()
                };
                part += 1;
                let krate = self.krate;
                return quote! {
                    #first
                    let #ident: u32 = __spm_v[#i].chunked_len();
                    let #chunk = #krate::__private::kernel::Chunk::part(__spm_parts.next()).#accessor();
                };
            }
            let accessor = match p.kind {
                KParamKind::Value(ty) => format_ident!("value_{}", ty.rust()),
                KParamKind::Slice {
                    elem,
                    writable: false,
                } => format_ident!("in_{}", elem.rust()),
                KParamKind::Slice {
                    elem,
                    writable: true,
                } => format_ident!("out_{}", elem.rust()),
            };
            quote!(let #ident = __spm_v[#i].#accessor();)
        }).collect();
        let shared = k.shared.iter().enumerate().map(|(i, s)| {
            let ident = shared_ident(i);
            let ty = ty_tokens(s.elem);
            let len = s.len as usize;
            quote!(let mut #ident = #krate::__private::kernel::SharedMem::<#ty, #len>::new();)
        });
        let body = if self.fine {
            self.once_block(&k.body)
        } else {
            self.coarse_group()
        };
        quote! {
            #( #binds )*
            #( #shared )*
            #body
        }
    }

    /// A coarse kernel's group: its invocations one after another, each a call of the body;
    /// when every by-rank slice covers the whole group, a loop without per-element checks.
    fn coarse_group(&mut self) -> TokenStream {
        self.fast = false;
        let slow = self.stmts(&self.k.body);
        let mut checks = Vec::new();
        let mut slices = Vec::new();
        for i in 0..self.k.params.len() {
            if !self.by_rank[i] {
                continue;
            }
            let fast = fast_ident(self.k, i);
            if self.chunked(i) {
                let chunk = chunk_ident(self.k, i);
                checks.push(quote!(#chunk.len() >= __spm_count as usize));
                slices.push(quote!(let #fast = &mut #chunk[..__spm_count as usize];));
            } else {
                let ident = param_ident(self.k, i);
                checks.push(quote!(#ident.len() - ::core::cmp::min(#ident.len(), __spm_base) >= __spm_count));
                slices.push(quote!(let #fast = &#ident.as_slice()[__spm_base as usize..(__spm_base + __spm_count) as usize];));
            }
        }
        let fast_loop = if checks.is_empty() {
            quote!()
        } else {
            self.fast = true;
            let fast = self.stmts(&self.k.body);
            self.fast = false;
            quote! {
                if #( #checks )&&* {
                    #( #slices )*
                    for __spm_lane in 0..__spm_count as usize {
                        let __spm_inv = __spm_base + __spm_lane as u32;
                        // `return` in the user's body ends this invocation only.
                        let mut __spm_invoke = || { #fast };
                        __spm_invoke();
                    }
                    return;
                }
            }
        };
        let size = self.group_size;
        quote! {
            let __spm_base = __spm_group.wrapping_mul(#size);
            let __spm_count = ::core::cmp::min(#size, __spm_total - __spm_base);
            #fast_loop
            for __spm_lane in 0..__spm_count {
                let __spm_inv = __spm_base + __spm_lane;
                let mut __spm_invoke = || { #slow };
                __spm_invoke();
            }
        }
    }

    /// A block run once per group (fine kernels): runs of per-invocation statements become
    /// lockstep loops.
    fn once_block(&mut self, stmts: &[Stmt]) -> TokenStream {
        let mut out = TokenStream::new();
        let mut pending: Vec<&Stmt> = Vec::new();
        for (at, stmt) in stmts.iter().enumerate() {
            if runs_once(stmt, self.uniform) {
                out.extend(self.lanes(&pending));
                pending.clear();
                out.extend(self.once_stmt(stmt));
            } else {
                if let Stmt::Let { local, init } = stmt
                    && !self.k.locals[*local].mutable
                    && matches!(init.kind, ExprKind::Ctx(CtxValue::Rank))
                {
                    // The rank is the lockstep loop's index: nothing to keep.
                    continue;
                }
                if let Stmt::Let { local, .. } = stmt
                    && self.outlives_region(&stmts[at + 1..], *local)
                {
                    // Declared here, for every invocation, so it outlives the lockstep loop.
                    let ident = local_ident(self.k, *local);
                    let ty = ty_tokens(self.tys[self.k.locals[*local].ty]);
                    let size = self.group_size as usize;
                    out.extend(quote!(let mut #ident = [<#ty as ::core::default::Default>::default(); #size];));
                    self.lane_slots.push(*local);
                }
                pending.push(stmt);
            }
        }
        out.extend(self.lanes(&pending));
        out
    }

    /// Whether `local`, declared just before `rest`, is used after the end of the lockstep
    /// loop it is declared in (past the next statement run once per group): only then does it
    /// need one slot per invocation; otherwise it is a plain local of the loop's body.
    fn outlives_region(&self, rest: &[Stmt], local: LocalId) -> bool {
        match rest.iter().position(|s| runs_once(s, self.uniform)) {
            None => false,
            Some(end) => rest[end..].iter().any(|s| s.mentions(local)),
        }
    }

    fn lanes(&mut self, stmts: &[&Stmt]) -> TokenStream {
        if stmts.is_empty() {
            return TokenStream::new();
        }
        let size = self.group_size;
        // `if rank < n { .. }` and `if rank == n { .. }`, alone between barriers, run only
        // the lanes they select.
        if let [
            Stmt::If {
                cond,
                then,
                otherwise,
            },
        ] = stmts
            && otherwise.is_empty()
            && let ExprKind::Binary(op @ (BinOp::Lt | BinOp::Eq), left, right) = &cond.kind
            && self.is_rank(left)
            && super::uniform::is_uniform(right, self.uniform)
        {
            let bound = self.expr(right);
            self.in_lane = true;
            let body = self.stmts(then);
            self.in_lane = false;
            let lanes = if *op == BinOp::Lt {
                quote!(0..::core::cmp::min(#bound, #size))
            } else {
                quote!(::core::cmp::min(#bound, #size)..::core::cmp::min(#bound.saturating_add(1), #size))
            };
            return quote! {
                for __spm_lane in #lanes {
                    let __spm_inv = __spm_group.wrapping_mul(#size).wrapping_add(__spm_lane);
                    #body
                }
            };
        }
        self.in_lane = true;
        let body: TokenStream = stmts.iter().map(|s| self.stmt(s)).collect();
        self.in_lane = false;
        quote! {
            for __spm_lane in 0..#size {
                let __spm_inv = __spm_group.wrapping_mul(#size).wrapping_add(__spm_lane);
                #body
            }
        }
    }

    /// In the loop over a whole group, `rank < xs.len()` (and its mirrors) for a by-rank
    /// slice `xs` is known: the loop runs only when every by-rank slice covers the group. Its
    /// value, so that the compiler sees a loop without branches and vectorises it.
    fn covered_guard(&self, op: BinOp, a: &Expr, b: &Expr) -> Option<bool> {
        let covered =
            |e: &Expr| matches!(e.kind, ExprKind::Len(ArrayRef::Param(p)) if self.by_rank[p]);
        let rank_first = if self.is_rank(a) && covered(b) {
            true
        } else if self.is_rank(b) && covered(a) {
            false
        } else {
            return None;
        };
        match (op, rank_first) {
            (BinOp::Lt, true) | (BinOp::Gt, false) | (BinOp::Ne, _) => Some(true),
            (BinOp::Ge, true) | (BinOp::Le, false) | (BinOp::Eq, _) => Some(false),
            _ => None,
        }
    }

    fn is_rank(&self, e: &Expr) -> bool {
        match &e.kind {
            ExprKind::Ctx(CtxValue::Rank) => true,
            ExprKind::Local(id) => self.rank_locals.contains(id),
            _ => false,
        }
    }

    fn once_stmt(&mut self, stmt: &Stmt) -> TokenStream {
        match stmt {
            Stmt::Barrier(_) => quote!(),
            other => self
                .control(other, Self::once_block)
                .unwrap_or_else(|| self.stmt(other)),
        }
    }

    /// `if`, `while` and `for`, with their bodies emitted by `body` (per invocation, or once
    /// per group in lockstep); `None` for other statements.
    fn control(
        &mut self,
        stmt: &Stmt,
        body: fn(&mut Self, &[Stmt]) -> TokenStream,
    ) -> Option<TokenStream> {
        Some(match stmt {
            Stmt::If {
                cond,
                then,
                otherwise,
            } => {
                let cond = self.expr(cond);
                let then = body(self, then);
                if otherwise.is_empty() {
                    return Some(quote!(if #cond { #then }));
                }
                let otherwise = body(self, otherwise);
                quote!(if #cond { #then } else { #otherwise })
            }
            Stmt::While { cond, body: inner } => {
                let cond = self.expr(cond);
                let inner = body(self, inner);
                quote!(while #cond { #inner })
            }
            Stmt::For {
                var,
                start,
                end,
                body: inner,
            } => {
                let ident = local_ident(self.k, *var);
                let (start, end) = (self.expr(start), self.expr(end));
                let inner = body(self, inner);
                quote!(for #ident in #start..#end { #inner })
            }
            _ => return None,
        })
    }

    fn stmts(&mut self, stmts: &[Stmt]) -> TokenStream {
        stmts.iter().map(|s| self.stmt(s)).collect()
    }

    fn stmt(&mut self, stmt: &Stmt) -> TokenStream {
        let krate = self.krate;
        match stmt {
            Stmt::Let { local, init } => {
                let value = self.expr(init);
                let ident = local_ident(self.k, *local);
                if self.in_lane && self.lane_slots.contains(local) {
                    quote!(#ident[__spm_lane as usize] = #value;)
                } else {
                    let ty = ty_tokens(self.tys[self.k.locals[*local].ty]);
                    quote!(#[allow(unused_mut)] let mut #ident: #ty = #value;)
                }
            }
            Stmt::Assign {
                place, op, value, ..
            } => {
                let value_ty = self.tys[value.ty];
                let value = self.expr(value);
                match place {
                    Place::Local(id) => {
                        let target = self.local(*id);
                        let value = match op {
                            Some(op) => binary(self.krate, *op, value_ty, quote!(#target), value),
                            None => value,
                        };
                        quote!(#target = #value;)
                    }
                    Place::Index(ArrayRef::Param(p), _) if self.fast && self.by_rank[*p] => {
                        let fast = fast_ident(self.k, *p);
                        let target = quote!(#fast[__spm_lane]);
                        let value = match op {
                            Some(op) => binary(self.krate, *op, value_ty, quote!(#target), value),
                            None => value,
                        };
                        quote!({ let __spm_x = #value; #target = __spm_x; })
                    }
                    Place::Index(ArrayRef::Param(p), index) if self.chunked(*p) => {
                        let index = self.index(index);
                        let chunk = chunk_ident(self.k, *p);
                        let site = self.site(*p as u32);
                        let ops = quote!(#krate::__private::kernel);
                        let value = match op {
                            Some(op) => {
                                let old =
                                    quote!(#ops::chunk_get(&*#chunk, __spm_base, __spm_i, #site));
                                binary(self.krate, *op, value_ty, old, value)
                            }
                            None => value,
                        };
                        quote!({ let __spm_i = #index; let __spm_x = #value; #ops::chunk_set(&mut *#chunk, __spm_base, __spm_i, __spm_x, #site); })
                    }
                    Place::Index(array, index) => {
                        let index = self.index(index);
                        let (view, number) = self.view(*array);
                        let site = self.site(number);
                        let value = match op {
                            Some(op) => {
                                let old = quote!(#view.get(__spm_i, #site));
                                binary(self.krate, *op, value_ty, old, value)
                            }
                            None => value,
                        };
                        quote!({ let __spm_i = #index; let __spm_x = #value; #view.set(__spm_i, __spm_x, #site); })
                    }
                }
            }
            Stmt::If { .. } | Stmt::While { .. } | Stmt::For { .. } => self
                .control(stmt, Self::stmts)
                .expect("a control statement"),
            Stmt::Break => quote!(break;),
            Stmt::Continue => quote!(continue;),
            Stmt::Return(_) => quote!(return;),
            // Coarse kernels: refused by the type system (the toxic check); fine kernels: the
            // lockstep loops already order the pieces.
            Stmt::Barrier(_) => quote!(),
        }
    }

    fn local(&self, id: LocalId) -> TokenStream {
        let ident = local_ident(self.k, id);
        if self.fine && self.rank_locals.contains(&id) {
            quote!(__spm_lane)
        } else if self.in_lane && self.lane_slots.contains(&id) {
            quote!(#ident[__spm_lane as usize])
        } else {
            quote!(#ident)
        }
    }

    fn view(&self, array: ArrayRef) -> (TokenStream, u32) {
        match array {
            ArrayRef::Param(i) => {
                let ident = param_ident(self.k, i);
                (quote!(#ident), i as u32)
            }
            ArrayRef::Shared(i) => {
                let ident = shared_ident(i);
                (quote!(#ident), (self.k.params.len() + i) as u32)
            }
        }
    }

    fn site(&self, number: u32) -> TokenStream {
        let krate = self.krate;
        quote!(#krate::__private::kernel::Site::new(__spm_f, #number, __spm_inv))
    }

    fn index(&mut self, index: &Expr) -> TokenStream {
        let ty = self.tys[index.ty];
        let tokens = self.expr(index);
        if ty == Ty::I32 {
            quote!((#tokens as u32))
        } else {
            tokens
        }
    }

    fn expr(&mut self, expr: &Expr) -> TokenStream {
        let ty = self.tys[expr.ty];
        let krate = self.krate;
        match &expr.kind {
            ExprKind::Int(v) => match ty {
                Ty::U32 => {
                    let lit = Literal::u32_suffixed(*v as u32);
                    quote!(#lit)
                }
                _ => {
                    let lit = Literal::i32_suffixed(*v as i32);
                    quote!(#lit)
                }
            },
            ExprKind::Float(v) => {
                let lit = Literal::f32_suffixed((*v as f32).abs());
                if *v < 0.0 {
                    quote!((-#lit))
                } else {
                    quote!(#lit)
                }
            }
            ExprKind::Bool(b) => quote!(#b),
            ExprKind::Local(id) => self.local(*id),
            ExprKind::Value(i) => {
                let ident = param_ident(self.k, *i);
                quote!(#ident)
            }
            ExprKind::Len(ArrayRef::Param(i)) => {
                let ident = param_ident(self.k, *i);
                if self.chunked(*i) {
                    quote!(#ident)
                } else {
                    quote!(#ident.len())
                }
            }
            ExprKind::Len(ArrayRef::Shared(i)) => {
                let len = self.k.shared[*i].len;
                quote!(#len)
            }
            ExprKind::Index(ArrayRef::Param(p), _) if self.fast && self.by_rank[*p] => {
                let fast = fast_ident(self.k, *p);
                quote!(#fast[__spm_lane])
            }
            ExprKind::Index(ArrayRef::Param(p), index) if self.chunked(*p) => {
                let index = self.index(index);
                let chunk = chunk_ident(self.k, *p);
                let site = self.site(*p as u32);
                quote!(#krate::__private::kernel::chunk_get(&*#chunk, __spm_base, #index, #site))
            }
            ExprKind::Index(array, index) => {
                let index = self.index(index);
                let (view, number) = self.view(*array);
                let site = self.site(number);
                quote!(#view.get(#index, #site))
            }
            ExprKind::Unary(UnOp::Neg, e) => {
                let e = self.expr(e);
                if ty == Ty::F32 {
                    quote!((-#e))
                } else {
                    quote!((#e).wrapping_neg())
                }
            }
            ExprKind::Unary(UnOp::Not, e) => {
                let e = self.expr(e);
                quote!((!#e))
            }
            ExprKind::Binary(op, a, b) if self.fast && self.covered_guard(*op, a, b).is_some() => {
                let value = self.covered_guard(*op, a, b).expect("checked just above");
                quote!(#value)
            }
            ExprKind::Binary(op, a, b) => {
                let operand_ty = self.tys[a.ty];
                let (a, b) = (self.expr(a), self.expr(b));
                binary(krate, *op, operand_ty, a, b)
            }
            ExprKind::Cast(e, to) => {
                let e = self.expr(e);
                let to = ty_tokens(*to);
                quote!((#e as #to))
            }
            ExprKind::Math(f, args) => {
                let args: Vec<TokenStream> = args.iter().map(|a| self.expr(a)).collect();
                let x = &args[0];
                let ops = quote!(#krate::__private::kernel::ops);
                match f {
                    MathFn::Abs if ty != Ty::F32 => {
                        if ty == Ty::U32 {
                            quote!(#x)
                        } else {
                            quote!((#x).wrapping_abs())
                        }
                    }
                    MathFn::Min => {
                        let y = &args[1];
                        quote!(#ops::min(#x, #y))
                    }
                    MathFn::Max => {
                        let y = &args[1];
                        quote!(#ops::max(#x, #y))
                    }
                    MathFn::Clamp => {
                        let (lo, hi) = (&args[1], &args[2]);
                        quote!(#ops::min(#ops::max(#x, #lo), #hi))
                    }
                    MathFn::MulAdd => {
                        let (b, c) = (&args[1], &args[2]);
                        quote!((#x).mul_add(#b, #c))
                    }
                    MathFn::Powf => {
                        let y = &args[1];
                        quote!((#x).powf(#y))
                    }
                    _ => {
                        let name = format_ident!("{}", math_method(*f));
                        quote!((#x).#name())
                    }
                }
            }
            ExprKind::Ctx(value) => match (value, self.fine) {
                (CtxValue::Rank, false) => quote!(__spm_inv),
                (CtxValue::Rank, true) => quote!(__spm_lane),
                (CtxValue::Size, false) | (CtxValue::Groups, _) => quote!(__spm_total),
                (CtxValue::Size, true) => {
                    let size = self.group_size;
                    quote!(#size)
                }
                (CtxValue::Group, _) => quote!(__spm_group),
            },
        }
    }
}

fn math_method(f: MathFn) -> &'static str {
    match f {
        MathFn::Sqrt => "sqrt",
        MathFn::Exp => "exp",
        MathFn::Exp2 => "exp2",
        MathFn::Ln => "ln",
        MathFn::Log2 => "log2",
        MathFn::Sin => "sin",
        MathFn::Cos => "cos",
        MathFn::Tan => "tan",
        MathFn::Abs => "abs",
        MathFn::Floor => "floor",
        MathFn::Ceil => "ceil",
        MathFn::Trunc => "trunc",
        MathFn::Min | MathFn::Max | MathFn::Clamp | MathFn::Powf | MathFn::MulAdd => {
            unreachable!("emitted with their arguments")
        }
    }
}

/// `a op b` with the kernels' semantics: integers wrap, integer division by zero gives the
/// dividend (and the remainder zero), shifts take the amount modulo 32, as WGSL defines them.
fn binary(krate: &Path, op: BinOp, ty: Ty, a: TokenStream, b: TokenStream) -> TokenStream {
    let int = ty.is_int();
    let ops = quote!(#krate::__private::kernel::ops);
    match op {
        BinOp::Add if int => quote!((#a).wrapping_add(#b)),
        BinOp::Sub if int => quote!((#a).wrapping_sub(#b)),
        BinOp::Mul if int => quote!((#a).wrapping_mul(#b)),
        BinOp::Div if int => quote!(#ops::div(#a, #b)),
        BinOp::Rem if int => quote!(#ops::rem(#a, #b)),
        BinOp::Shl => quote!((#a).wrapping_shl((#b) as u32)),
        BinOp::Shr => quote!((#a).wrapping_shr((#b) as u32)),
        _ => {
            let symbol: TokenStream = op.symbol().parse().expect("an operator is a token");
            quote!((#a #symbol #b))
        }
    }
}
