//! The `Gpu` target on CUDA: CUDA C for NVRTC, following the binding convention of
//! `spm_core::kernel`'s `KernelSpec`. Signed arithmetic goes through unsigned integers and
//! float-to-integer conversions saturate, so that the results are the CPU targets' (C leaves
//! signed overflow undefined); the runtime compiles with FMA contraction off.

use std::fmt::Write;

use super::c_like::{CLike, local_name};
use super::ir::{
    ArrayRef, BinOp, CtxValue, Expr, ExprKind, KParamKind, Kernel, MathFn, Place, Stmt, Ty, UnOp,
};
use super::wgsl::float_literal;

const PRELUDE: &str = r#"__device__ void spm_oob(unsigned* f, unsigned array, unsigned index, unsigned inv) {
    if (atomicCAS(f, 0u, array + 1u) == 0u) { f[1] = index; f[2] = inv; }
}
template <typename T> __device__ __forceinline__ T spm_ld(const T* p, unsigned len, unsigned i, unsigned array, unsigned inv, unsigned* f) {
    if (i < len) return p[i];
    spm_oob(f, array, i, inv);
    return T(0);
}
template <typename T> __device__ __forceinline__ void spm_st(T* p, unsigned len, unsigned i, T v, unsigned array, unsigned inv, unsigned* f) {
    if (i < len) p[i] = v; else spm_oob(f, array, i, inv);
}
__device__ __forceinline__ int spm_add_i(int a, int b) { return (int)((unsigned)a + (unsigned)b); }
__device__ __forceinline__ int spm_sub_i(int a, int b) { return (int)((unsigned)a - (unsigned)b); }
__device__ __forceinline__ int spm_mul_i(int a, int b) { return (int)((unsigned)a * (unsigned)b); }
__device__ __forceinline__ int spm_neg_i(int a) { return (int)(0u - (unsigned)a); }
__device__ __forceinline__ int spm_abs_i(int a) { return a < 0 ? spm_neg_i(a) : a; }
__device__ __forceinline__ int spm_div_i(int a, int b) { return (b == 0 || (a == (-2147483647 - 1) && b == -1)) ? a : a / b; }
__device__ __forceinline__ int spm_rem_i(int a, int b) { return (b == 0 || (a == (-2147483647 - 1) && b == -1)) ? 0 : a % b; }
__device__ __forceinline__ unsigned spm_div_u(unsigned a, unsigned b) { return b == 0u ? a : a / b; }
__device__ __forceinline__ unsigned spm_rem_u(unsigned a, unsigned b) { return b == 0u ? 0u : a % b; }
__device__ __forceinline__ int spm_shl_i(int a, unsigned b) { return (int)((unsigned)a << (b & 31u)); }
__device__ __forceinline__ int spm_shr_i(int a, unsigned b) { return a >> (b & 31u); }
__device__ __forceinline__ unsigned spm_shl_u(unsigned a, unsigned b) { return a << (b & 31u); }
__device__ __forceinline__ unsigned spm_shr_u(unsigned a, unsigned b) { return a >> (b & 31u); }
"#;

pub(crate) fn emit(k: &Kernel, tys: &[Ty], fine: bool, group_size: u32) -> String {
    let mut e = Cuda {
        k,
        tys,
        fine,
        group_size,
        out: String::new(),
        indent: 1,
    };
    e.module();
    e.out
}

struct Cuda<'k> {
    k: &'k Kernel,
    tys: &'k [Ty],
    fine: bool,
    group_size: u32,
    out: String,
    indent: usize,
}

fn cty(ty: Ty) -> &'static str {
    match ty {
        Ty::F32 => "float",
        Ty::I32 => "int",
        Ty::U32 => "unsigned",
        Ty::Bool => "bool",
    }
}

fn param_name(k: &Kernel, i: usize) -> String {
    format!("p{i}_{}", k.params[i].name)
}

impl CLike for Cuda<'_> {
    fn text(&mut self) -> (&mut String, &mut usize) {
        (&mut self.out, &mut self.indent)
    }

    fn stmt(&mut self, stmt: &Stmt) {
        self.write_stmt(stmt);
    }

    fn expr(&self, expr: &Expr) -> String {
        self.text_of(expr)
    }
}

impl Cuda<'_> {
    fn module(&mut self) {
        let k = self.k;
        let size = self.group_size;
        self.out.push_str(PRELUDE);
        let mut params = vec![
            "unsigned spm_base".to_string(),
            "unsigned spm_total".to_string(),
            "unsigned* __restrict__ spm_fault".to_string(),
        ];
        let mut bools = Vec::new();
        for (i, p) in k.params.iter().enumerate() {
            let name = param_name(k, i);
            match p.kind {
                KParamKind::Slice { elem, writable } => {
                    let constness = if writable { "" } else { "const " };
                    params.push(format!("{constness}{}* __restrict__ {name}", cty(elem)));
                    params.push(format!("unsigned len_{i}"));
                }
                KParamKind::Value(Ty::Bool) => {
                    params.push(format!("unsigned {name}_word"));
                    bools.push(name);
                }
                KParamKind::Value(ty) => params.push(format!("{} {name}", cty(ty))),
            }
        }
        if self.fine {
            let _ = writeln!(
                self.out,
                "\nextern \"C\" __global__ void spm_main({}) {{",
                params.join(", ")
            );
            for name in &bools {
                let _ = writeln!(self.out, "    const bool {name} = {name}_word != 0u;");
            }
            let _ = writeln!(
                self.out,
                "    const unsigned spm_group = spm_base + blockIdx.x;\n    if (spm_group >= spm_total) return;\n    const unsigned spm_inv = spm_group * {size}u + threadIdx.x;"
            );
            for (j, s) in k.shared.iter().enumerate() {
                let _ = writeln!(
                    self.out,
                    "    __shared__ {} s{j}_{}[{}];\n    for (unsigned spm_k = threadIdx.x; spm_k < {}u; spm_k += {size}u) s{j}_{}[spm_k] = 0;",
                    cty(s.elem),
                    s.name,
                    s.len,
                    s.len,
                    s.name
                );
            }
            if !k.shared.is_empty() {
                self.out.push_str("    __syncthreads();\n");
            }
        } else {
            // One invocation is a function, called for each rank the thread strides over;
            // `return` in the body ends that invocation only.
            let mut inner: Vec<String> = params.clone();
            let mut names: Vec<String> = params.iter().map(|p| last_word(p)).collect();
            for name in &bools {
                if let Some(slot) = inner
                    .iter()
                    .position(|p| p.ends_with(&format!("{name}_word")))
                {
                    inner[slot] = format!("bool {name}");
                    names[slot] = format!("{name}_word != 0u");
                }
            }
            inner.remove(0);
            names.remove(0);
            let _ = writeln!(
                self.out,
                "\n__device__ __forceinline__ void spm_invocation(const unsigned spm_rank, {}) {{\n    const unsigned spm_inv = spm_rank;",
                inner.join(", ")
            );
            let body = &self.k.body;
            self.block(body);
            self.out.push_str("}\n");
            let _ = writeln!(
                self.out,
                "\nextern \"C\" __global__ void spm_main({}) {{\n    const unsigned spm_stride = gridDim.x * {size}u;\n    for (unsigned spm_rank = (spm_base + blockIdx.x) * {size}u + threadIdx.x; spm_rank < spm_total; spm_rank += spm_stride) {{\n        spm_invocation(spm_rank, {});\n        if (spm_total - spm_rank <= spm_stride) break;\n    }}\n}}",
                params.join(", "),
                names.join(", ")
            );
            return;
        }
        let body = &self.k.body;
        self.block(body);
        self.out.push_str("}\n");
    }

    /// Pointer, length and number of an array, for `spm_ld`/`spm_st`.
    fn array(&self, array: ArrayRef) -> (String, String, usize) {
        match array {
            ArrayRef::Param(i) => (param_name(self.k, i), format!("len_{i}"), i),
            ArrayRef::Shared(j) => {
                let s = &self.k.shared[j];
                (
                    format!("s{j}_{}", s.name),
                    format!("{}u", s.len),
                    self.k.params.len() + j,
                )
            }
        }
    }

    fn write_stmt(&mut self, stmt: &Stmt) {
        match stmt {
            Stmt::Let { local, init } => {
                let value = self.expr(init);
                let l = &self.k.locals[*local];
                let constness = if l.mutable { "" } else { "const " };
                let ty = cty(self.tys[l.ty]);
                let name = local_name(self.k, *local);
                self.line(&format!("{constness}{ty} {name} = {value};"));
            }
            Stmt::Assign {
                place, op, value, ..
            } => {
                let ty = self.tys[value.ty];
                let value = self.expr(value);
                match place {
                    Place::Local(id) => {
                        let name = local_name(self.k, *id);
                        let value = match op {
                            Some(op) => binary(*op, ty, &name, &value),
                            None => value,
                        };
                        self.line(&format!("{name} = {value};"));
                    }
                    Place::Index(array, index) => {
                        let (ptr, len, n) = self.array(*array);
                        let index = self.index(index);
                        self.open("");
                        self.line(&format!("const unsigned spm_i = {index};"));
                        let value = match op {
                            Some(op) => binary(
                                *op,
                                ty,
                                &format!("spm_ld({ptr}, {len}, spm_i, {n}u, spm_inv, spm_fault)"),
                                &value,
                            ),
                            None => value,
                        };
                        let t = cty(ty);
                        self.line(&format!(
                            "spm_st<{t}>({ptr}, {len}, spm_i, ({t})({value}), {n}u, spm_inv, spm_fault);"
                        ));
                        self.close();
                    }
                }
            }
            Stmt::While { .. } => {
                self.shared_stmt(stmt);
            }
            Stmt::For {
                var,
                start,
                end,
                body,
            } => {
                let name = local_name(self.k, *var);
                let ty = cty(self.tys[self.k.locals[*var].ty]);
                let (start, end) = (self.expr(start), self.expr(end));
                self.open("");
                self.line(&format!("const {ty} {name}_end = {end};"));
                self.nested(
                    &format!("for ({ty} {name} = {start}; {name} < {name}_end; {name}++)"),
                    body,
                );
                self.close();
            }
            Stmt::If { .. } | Stmt::Break | Stmt::Continue | Stmt::Return(_) => {
                self.shared_stmt(stmt);
            }
            Stmt::Barrier(_) => self.line("__syncthreads();"),
        }
    }

    fn index(&self, index: &Expr) -> String {
        format!("(unsigned)({})", self.expr(index))
    }

    fn text_of(&self, expr: &Expr) -> String {
        let ty = self.tys[expr.ty];
        match &expr.kind {
            ExprKind::Int(v) => match ty {
                Ty::U32 => format!("{v}u"),
                _ => format!("{v}"),
            },
            ExprKind::Float(v) => float_literal(*v as f32, "f"),
            ExprKind::Bool(b) => b.to_string(),
            ExprKind::Local(id) => local_name(self.k, *id),
            ExprKind::Value(i) => param_name(self.k, *i),
            ExprKind::Len(ArrayRef::Param(i)) => format!("len_{i}"),
            ExprKind::Len(ArrayRef::Shared(j)) => format!("{}u", self.k.shared[*j].len),
            ExprKind::Index(array, index) => {
                let (ptr, len, n) = self.array(*array);
                format!(
                    "spm_ld({ptr}, {len}, {}, {n}u, spm_inv, spm_fault)",
                    self.index(index)
                )
            }
            ExprKind::Unary(UnOp::Neg, e) => match ty {
                Ty::I32 => format!("spm_neg_i({})", self.expr(e)),
                _ => format!("(-{})", self.expr(e)),
            },
            ExprKind::Unary(UnOp::Not, e) => {
                if ty == Ty::Bool {
                    format!("(!{})", self.expr(e))
                } else {
                    format!("({})(~{})", cty(ty), self.expr(e))
                }
            }
            ExprKind::Binary(op, a, b) => {
                let operand = self.tys[a.ty];
                binary(*op, operand, &self.expr(a), &self.expr(b))
            }
            ExprKind::Cast(e, to) => {
                let from = self.tys[e.ty];
                let inner = self.expr(e);
                match (from, to) {
                    (Ty::F32, Ty::I32) => format!("__float2int_rz({inner})"),
                    (Ty::F32, Ty::U32) => format!("__float2uint_rz({inner})"),
                    (Ty::I32, Ty::F32) => format!("__int2float_rn({inner})"),
                    (Ty::U32, Ty::F32) => format!("__uint2float_rn({inner})"),
                    (_, to) => format!("(({}){inner})", cty(*to)),
                }
            }
            ExprKind::Math(f, args) => {
                let args: Vec<String> = args.iter().map(|a| self.expr(a)).collect();
                let float = ty == Ty::F32;
                match f {
                    MathFn::Abs if ty == Ty::U32 => args[0].clone(),
                    MathFn::Abs if ty == Ty::I32 => format!("spm_abs_i({})", args[0]),
                    MathFn::Min if !float => format!("min({}, {})", args[0], args[1]),
                    MathFn::Max if !float => format!("max({}, {})", args[0], args[1]),
                    MathFn::Clamp if !float => {
                        format!("min(max({}, {}), {})", args[0], args[1], args[2])
                    }
                    MathFn::Clamp => {
                        format!("fminf(fmaxf({}, {}), {})", args[0], args[1], args[2])
                    }
                    _ => format!("{}({})", math_name(*f), args.join(", ")),
                }
            }
            ExprKind::Ctx(value) => match (value, self.fine) {
                (CtxValue::Rank, false) => "spm_rank".into(),
                (CtxValue::Rank, true) => "threadIdx.x".into(),
                (CtxValue::Size, false) | (CtxValue::Groups, _) => "spm_total".into(),
                (CtxValue::Size, true) => format!("{}u", self.group_size),
                (CtxValue::Group, _) => "spm_group".into(),
            },
        }
    }
}

/// The name a C parameter declaration declares.
fn last_word(declaration: &str) -> String {
    declaration
        .rsplit(' ')
        .next()
        .unwrap_or(declaration)
        .to_string()
}

fn math_name(f: MathFn) -> &'static str {
    match f {
        MathFn::Sqrt => "sqrtf",
        MathFn::Exp => "expf",
        MathFn::Exp2 => "exp2f",
        MathFn::Ln => "logf",
        MathFn::Log2 => "log2f",
        MathFn::Sin => "sinf",
        MathFn::Cos => "cosf",
        MathFn::Tan => "tanf",
        MathFn::Abs => "fabsf",
        MathFn::Min => "fminf",
        MathFn::Max => "fmaxf",
        MathFn::Clamp => "fminf",
        MathFn::Powf => "powf",
        MathFn::Floor => "floorf",
        MathFn::Ceil => "ceilf",
        MathFn::Trunc => "truncf",
        MathFn::MulAdd => "fmaf",
    }
}

fn binary(op: BinOp, ty: Ty, a: &str, b: &str) -> String {
    let suffix = if ty == Ty::I32 { "i" } else { "u" };
    match op {
        BinOp::Add | BinOp::Sub | BinOp::Mul if ty == Ty::I32 => {
            let name = match op {
                BinOp::Add => "add",
                BinOp::Sub => "sub",
                _ => "mul",
            };
            format!("spm_{name}_i({a}, {b})")
        }
        BinOp::Div if ty.is_int() => format!("spm_div_{suffix}({a}, {b})"),
        BinOp::Rem if ty.is_int() => format!("spm_rem_{suffix}({a}, {b})"),
        BinOp::Shl => format!("spm_shl_{suffix}({a}, (unsigned)({b}))"),
        BinOp::Shr => format!("spm_shr_{suffix}({a}, (unsigned)({b}))"),
        // C's arithmetic on unsigned short operands would widen to int; ours are 32-bit.
        _ => format!("({a} {} {b})", op.symbol()),
    }
}
