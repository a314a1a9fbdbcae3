//! The `Gpu` target on wgpu: WGSL, following the binding convention of `spm_core::kernel`'s
//! `KernelSpec`. Integer division and remainder by zero, and shifts, are written out so that
//! they mean what the CPU targets compute.

use std::fmt::Write;

use super::c_like::{CLike, local_name};
use super::ir::{
    ArrayRef, BinOp, CtxValue, Expr, ExprKind, KParamKind, Kernel, MathFn, Place, Stmt, Ty, UnOp,
};

/// What every kernel's WGSL holds: the fault record, and the operations whose meaning WGSL
/// leaves to the implementation or defines otherwise than Rust.
const PRELUDE: &str = r#"var<private> spm_inv: u32;

fn spm_oob(array: u32, index: u32) {
    loop {
        let r = atomicCompareExchangeWeak(&spm_fault[0], 0u, array + 1u);
        if (r.exchanged) {
            atomicStore(&spm_fault[1], index);
            atomicStore(&spm_fault[2], spm_inv);
            break;
        }
        if (r.old_value != 0u) { break; }
    }
}
fn spm_div_i32(a: i32, b: i32) -> i32 {
    if (b == 0i || (a == -2147483647i - 1i && b == -1i)) { return a; }
    return a / b;
}
fn spm_rem_i32(a: i32, b: i32) -> i32 {
    if (b == 0i || (a == -2147483647i - 1i && b == -1i)) { return 0i; }
    return a % b;
}
fn spm_div_u32(a: u32, b: u32) -> u32 {
    if (b == 0u) { return a; }
    return a / b;
}
fn spm_rem_u32(a: u32, b: u32) -> u32 {
    if (b == 0u) { return 0u; }
    return a % b;
}
// Values WGSL must not evaluate when it compiles the shader (see `opaque`).
fn spm_keep_f32(x: f32) -> f32 { return x; }
fn spm_keep_i32(x: i32) -> i32 { return x; }
fn spm_keep_u32(x: u32) -> u32 { return x; }
fn spm_keep_bool(x: bool) -> bool { return x; }
// Rust's saturating conversions (WGSL's own stop at the largest float below the bound). NaN
// is found from its bits: a driver may assume that no float is NaN (NVIDIA's does), and so
// fold `x == x` to true.
fn spm_is_nan(x: f32) -> bool {
    return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u;
}
fn spm_f32_to_i32(x: f32) -> i32 {
    if (spm_is_nan(x)) { return 0i; }
    if (x >= 2147483648.0f) { return 2147483647i; }
    if (x <= -2147483648.0f) { return -2147483647i - 1i; }
    return i32(x);
}
fn spm_f32_to_u32(x: f32) -> u32 {
    if (spm_is_nan(x)) { return 0u; }
    if (x >= 4294967296.0f) { return 4294967295u; }
    if (x > 0.0f) { return u32(x); }
    return 0u;
}
"#;

pub(crate) fn emit(k: &Kernel, tys: &[Ty], fine: bool, group_size: u32) -> String {
    let mut e = Wgsl {
        k,
        tys,
        fine,
        group_size,
        out: String::new(),
        indent: 1,
        storage_written: false,
        opaque: std::cell::Cell::new(false),
    };
    e.module(group_size);
    e.out
}

struct Wgsl<'k> {
    k: &'k Kernel,
    tys: &'k [Ty],
    fine: bool,
    group_size: u32,
    out: String,
    indent: usize,
    /// Whether a write to a slice may come before the barrier being emitted: only then does
    /// the barrier need `storageBarrier()`, which is costly on some GPUs, beside
    /// `workgroupBarrier()` (which orders shared memory only).
    storage_written: bool,
    /// Writing an operation on constants only: its literals go through `spm_keep_*`, so that
    /// WGSL does not evaluate it when it compiles the shader (it refuses an overflowing shift,
    /// an infinite float or `sqrt(-1.0)` there, which the other targets compute at run time).
    opaque: std::cell::Cell<bool>,
}

fn wty(ty: Ty) -> &'static str {
    match ty {
        Ty::F32 => "f32",
        Ty::I32 => "i32",
        Ty::U32 => "u32",
        Ty::Bool => "bool",
    }
}

impl CLike for Wgsl<'_> {
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

impl Wgsl<'_> {
    fn module(&mut self, group_size: u32) {
        let k = self.k;
        let mut fields = vec!["base: u32".to_string(), "total: u32".to_string()];
        let mut bindings = String::new();
        let mut slice = 0;
        for (i, p) in k.params.iter().enumerate() {
            if let KParamKind::Slice { elem, writable } = p.kind {
                fields.push(format!("len_{i}: u32"));
                let access = if writable { "read_write" } else { "read" };
                let _ = writeln!(
                    bindings,
                    "@group(0) @binding({slice}) var<storage, {access}> p{i}_{}: array<{}>;",
                    p.name,
                    wty(elem)
                );
                slice += 1;
            }
        }
        for (i, p) in k.params.iter().enumerate() {
            if let KParamKind::Value(ty) = p.kind {
                let ty = if ty == Ty::Bool { Ty::U32 } else { ty };
                fields.push(format!("v_{i}: {}", wty(ty)));
            }
        }
        let out = &mut self.out;
        let _ = writeln!(
            out,
            "struct SpmLaunch {{\n    {},\n}}",
            fields.join(",\n    ")
        );
        out.push_str(&bindings);
        let _ = writeln!(
            out,
            "@group(0) @binding({slice}) var<uniform> spm_launch: SpmLaunch;"
        );
        let _ = writeln!(
            out,
            "@group(0) @binding({}) var<storage, read_write> spm_fault: array<atomic<u32>, 4>;",
            slice + 1
        );
        for (i, s) in k.shared.iter().enumerate() {
            let _ = writeln!(
                out,
                "var<workgroup> s{i}_{}: array<{}, {}>;",
                s.name,
                wty(s.elem),
                s.len
            );
        }
        out.push_str(PRELUDE);
        // Bounds-checked access to every array.
        for (i, p) in k.params.iter().enumerate() {
            if let KParamKind::Slice { elem, writable } = p.kind {
                let name = format!("p{i}_{}", p.name);
                let t = wty(elem);
                let _ = writeln!(
                    out,
                    "fn spm_ld{i}(i: u32) -> {t} {{\n    if (i < spm_launch.len_{i}) {{ return {name}[i]; }}\n    spm_oob({i}u, i);\n    return {t}();\n}}"
                );
                if writable {
                    let _ = writeln!(
                        out,
                        "fn spm_st{i}(i: u32, v: {t}) {{\n    if (i < spm_launch.len_{i}) {{ {name}[i] = v; }} else {{ spm_oob({i}u, i); }}\n}}"
                    );
                }
            }
        }
        for (j, s) in k.shared.iter().enumerate() {
            let n = k.params.len() + j;
            let name = format!("s{j}_{}", s.name);
            let t = wty(s.elem);
            let len = s.len;
            let _ = writeln!(
                out,
                "fn spm_ld{n}(i: u32) -> {t} {{\n    if (i < {len}u) {{ return {name}[i]; }}\n    spm_oob({n}u, i);\n    return {t}();\n}}\n\
fn spm_st{n}(i: u32, v: {t}) {{\n    if (i < {len}u) {{ {name}[i] = v; }} else {{ spm_oob({n}u, i); }}\n}}"
            );
        }
        let _ = writeln!(
            out,
            "\n@compute @workgroup_size({group_size})\nfn spm_main(@builtin(local_invocation_id) spm_lid: vec3<u32>, @builtin(workgroup_id) spm_wid: vec3<u32>) {{\n    let spm_group = spm_launch.base + spm_wid.x;"
        );
        if self.fine {
            let _ = writeln!(
                out,
                "    if (spm_group >= spm_launch.total) {{ return; }}\n    spm_inv = spm_group * {group_size}u + spm_lid.x;"
            );
        } else {
            let _ = writeln!(
                out,
                "    let spm_rank = spm_group * {group_size}u + spm_lid.x;\n    if (spm_rank >= spm_launch.total) {{ return; }}\n    spm_inv = spm_rank;"
            );
        }
        let body = &self.k.body;
        self.block(body);
        self.out.push_str("}\n");
    }

    fn write_stmt(&mut self, stmt: &Stmt) {
        match stmt {
            Stmt::Let { local, init } => {
                let value = self.expr(init);
                let l = &self.k.locals[*local];
                let keyword = if l.mutable { "var" } else { "let" };
                let ty = wty(self.tys[l.ty]);
                let name = local_name(self.k, *local);
                self.line(&format!("{keyword} {name}: {ty} = {value};"));
            }
            Stmt::Assign {
                place, op, value, ..
            } => {
                if let Place::Index(ArrayRef::Param(_), _) = place {
                    self.storage_written = true;
                }
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
                        let n = self.array_number(*array);
                        let index = self.index(index);
                        // The index is evaluated once: kernel expressions have no effects, but
                        // a compound assignment would otherwise read it twice.
                        self.open("");
                        self.line(&format!("let spm_i = {index};"));
                        let value = match op {
                            Some(op) => binary(*op, ty, &format!("spm_ld{n}(spm_i)"), &value),
                            None => value,
                        };
                        self.line(&format!("spm_st{n}(spm_i, {value});"));
                        self.close();
                    }
                }
            }
            Stmt::While { body, .. } => {
                // A write late in the body precedes the barriers of the next iteration.
                self.storage_written |= body.iter().any(writes_a_slice);
                self.shared_stmt(stmt);
            }
            Stmt::For {
                var,
                start,
                end,
                body,
            } => {
                let name = local_name(self.k, *var);
                let ty = self.tys[self.k.locals[*var].ty];
                let (start, end) = (self.expr(start), self.expr(end));
                let one = if ty == Ty::U32 { "1u" } else { "1i" };
                self.storage_written |= body.iter().any(writes_a_slice);
                self.open("");
                self.line(&format!("let {name}_end: {} = {end};", wty(ty)));
                self.nested(
                    &format!(
                        "for (var {name}: {} = {start}; {name} < {name}_end; {name} = {name} + {one})",
                        wty(ty)
                    ),
                    body,
                );
                self.close();
            }
            Stmt::If { .. } | Stmt::Break | Stmt::Continue | Stmt::Return(_) => {
                self.shared_stmt(stmt);
            }
            Stmt::Barrier(_) => {
                if self.storage_written {
                    self.line("storageBarrier();");
                }
                self.line("workgroupBarrier();");
            }
        }
    }

    fn array_number(&self, array: ArrayRef) -> usize {
        match array {
            ArrayRef::Param(i) => i,
            ArrayRef::Shared(j) => self.k.params.len() + j,
        }
    }

    fn index(&self, index: &Expr) -> String {
        let text = self.expr(index);
        if self.tys[index.ty] == Ty::I32 {
            format!("bitcast<u32>({text})")
        } else {
            text
        }
    }

    fn text_of(&self, expr: &Expr) -> String {
        let ty = self.tys[expr.ty];
        let operation = matches!(
            expr.kind,
            ExprKind::Unary(..) | ExprKind::Binary(..) | ExprKind::Cast(..) | ExprKind::Math(..)
        );
        if operation && !self.opaque.get() && constant(expr) {
            self.opaque.set(true);
            let text = self.text_of(expr);
            self.opaque.set(false);
            return text;
        }
        let literal = match &expr.kind {
            ExprKind::Int(v) => Some(match ty {
                Ty::U32 => format!("{v}u"),
                _ => format!("{v}i"),
            }),
            ExprKind::Float(v) => Some(float_literal(*v as f32, "f")),
            ExprKind::Bool(b) => Some(b.to_string()),
            _ => None,
        };
        if let Some(literal) = literal {
            return if self.opaque.get() {
                format!("spm_keep_{}({literal})", wty(ty))
            } else {
                literal
            };
        }
        match &expr.kind {
            ExprKind::Int(_) | ExprKind::Float(_) | ExprKind::Bool(_) => {
                unreachable!("written above")
            }
            ExprKind::Local(id) => local_name(self.k, *id),
            ExprKind::Value(i) => {
                if ty == Ty::Bool {
                    format!("(spm_launch.v_{i} != 0u)")
                } else {
                    format!("spm_launch.v_{i}")
                }
            }
            ExprKind::Len(ArrayRef::Param(i)) => format!("spm_launch.len_{i}"),
            ExprKind::Len(ArrayRef::Shared(j)) => format!("{}u", self.k.shared[*j].len),
            ExprKind::Index(array, index) => {
                format!("spm_ld{}({})", self.array_number(*array), self.index(index))
            }
            ExprKind::Unary(UnOp::Neg, e) => format!("(-{})", self.expr(e)),
            ExprKind::Unary(UnOp::Not, e) => {
                if ty == Ty::Bool {
                    format!("(!{})", self.expr(e))
                } else {
                    format!("(~{})", self.expr(e))
                }
            }
            ExprKind::Binary(op, a, b) => {
                let operand = self.tys[a.ty];
                binary(*op, operand, &self.expr(a), &self.expr(b))
            }
            ExprKind::Cast(e, to) => match (self.tys[e.ty], to) {
                (Ty::F32, Ty::I32) => format!("spm_f32_to_i32({})", self.expr(e)),
                (Ty::F32, Ty::U32) => format!("spm_f32_to_u32({})", self.expr(e)),
                _ => format!("{}({})", wty(*to), self.expr(e)),
            },
            ExprKind::Math(f, args) => {
                let args: Vec<String> = args.iter().map(|a| self.expr(a)).collect();
                match f {
                    MathFn::Clamp => format!("min(max({}, {}), {})", args[0], args[1], args[2]),
                    MathFn::Abs if ty == Ty::U32 => args[0].clone(),
                    _ => format!("{}({})", math_name(*f), args.join(", ")),
                }
            }
            ExprKind::Ctx(value) => match (value, self.fine) {
                (CtxValue::Rank, false) => "spm_rank".into(),
                (CtxValue::Rank, true) => "spm_lid.x".into(),
                (CtxValue::Size, false) | (CtxValue::Groups, _) => "spm_launch.total".into(),
                (CtxValue::Size, true) => format!("{}u", self.group_size),
                (CtxValue::Group, _) => "spm_group".into(),
            },
        }
    }
}

/// Whether `expr` is made of literals only.
fn constant(expr: &Expr) -> bool {
    match &expr.kind {
        ExprKind::Int(_) | ExprKind::Float(_) | ExprKind::Bool(_) => true,
        ExprKind::Unary(_, e) | ExprKind::Cast(e, _) => constant(e),
        ExprKind::Binary(_, a, b) => constant(a) && constant(b),
        ExprKind::Math(_, args) => args.iter().all(constant),
        _ => false,
    }
}

/// Whether `stmt` may write a slice parameter (not a shared array).
fn writes_a_slice(stmt: &Stmt) -> bool {
    match stmt {
        Stmt::Assign {
            place: Place::Index(ArrayRef::Param(_), _),
            ..
        } => true,
        Stmt::If {
            then, otherwise, ..
        } => then.iter().chain(otherwise).any(writes_a_slice),
        Stmt::While { body, .. } | Stmt::For { body, .. } => body.iter().any(writes_a_slice),
        _ => false,
    }
}

/// A float literal that parses back to the same f32, with the language's suffix.
pub(crate) fn float_literal(v: f32, suffix: &str) -> String {
    let text = format!("{:?}", v.abs());
    let text = if text.contains(['.', 'e']) {
        text
    } else {
        format!("{text}.0")
    };
    if v < 0.0 {
        format!("(-{text}{suffix})")
    } else {
        format!("{text}{suffix}")
    }
}

fn math_name(f: MathFn) -> &'static str {
    match f {
        MathFn::Sqrt => "sqrt",
        MathFn::Exp => "exp",
        MathFn::Exp2 => "exp2",
        MathFn::Ln => "log",
        MathFn::Log2 => "log2",
        MathFn::Sin => "sin",
        MathFn::Cos => "cos",
        MathFn::Tan => "tan",
        MathFn::Abs => "abs",
        MathFn::Min => "min",
        MathFn::Max => "max",
        MathFn::Clamp => "clamp",
        MathFn::Powf => "pow",
        MathFn::Floor => "floor",
        MathFn::Ceil => "ceil",
        MathFn::Trunc => "trunc",
        MathFn::MulAdd => "fma",
    }
}

fn binary(op: BinOp, ty: Ty, a: &str, b: &str) -> String {
    match op {
        BinOp::Div if ty.is_int() => format!("spm_div_{}({a}, {b})", wty(ty)),
        BinOp::Rem if ty.is_int() => format!("spm_rem_{}({a}, {b})", wty(ty)),
        BinOp::Shl | BinOp::Shr => format!("({a} {} (u32({b}) & 31u))", op.symbol()),
        _ => format!("({a} {} {b})", op.symbol()),
    }
}
