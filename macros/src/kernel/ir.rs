//! The kernel subset, as the emitters see it: statements and expressions whose every value has
//! one of four scalar types, with the user's spans kept for errors.

use proc_macro2::Span;

/// A scalar type of the kernel subset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ty {
    F32,
    I32,
    U32,
    Bool,
}

impl Ty {
    pub(crate) fn rust(self) -> &'static str {
        match self {
            Ty::F32 => "f32",
            Ty::I32 => "i32",
            Ty::U32 => "u32",
            Ty::Bool => "bool",
        }
    }

    pub(crate) fn is_int(self) -> bool {
        matches!(self, Ty::I32 | Ty::U32)
    }

    /// The name of the runtime's `Scalar` variant.
    pub(crate) fn scalar(self) -> &'static str {
        match self {
            Ty::F32 => "F32",
            Ty::I32 => "I32",
            Ty::U32 => "U32",
            Ty::Bool => "Bool",
        }
    }
}

/// Index of a type variable in the [`Types`] table.
pub(crate) type TyVar = usize;

/// What is known of a type variable while inferring.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Known {
    /// An integer literal's: `i32` unless something says `u32`.
    Int,
    /// A float literal's: `f32`.
    Float,
    Exactly(Ty),
}

/// Type variables, unified as the lowering meets them (union-find).
#[derive(Default)]
pub(crate) struct Types {
    parent: Vec<TyVar>,
    known: Vec<Known>,
}

impl Types {
    pub(crate) fn fresh(&mut self, known: Known) -> TyVar {
        self.parent.push(self.parent.len());
        self.known.push(known);
        self.parent.len() - 1
    }

    /// How many variables there are (numbered from 0).
    pub(crate) fn len(&self) -> usize {
        self.parent.len()
    }

    pub(crate) fn of(&mut self, ty: Ty) -> TyVar {
        self.fresh(Known::Exactly(ty))
    }

    fn root(&mut self, mut v: TyVar) -> TyVar {
        while self.parent[v] != v {
            self.parent[v] = self.parent[self.parent[v]];
            v = self.parent[v];
        }
        v
    }

    pub(crate) fn known(&mut self, v: TyVar) -> Known {
        let r = self.root(v);
        self.known[r]
    }

    /// Makes `a` and `b` one type; `Err` with both when they cannot be.
    pub(crate) fn unify(&mut self, a: TyVar, b: TyVar) -> Result<(), (Known, Known)> {
        let (ra, rb) = (self.root(a), self.root(b));
        if ra == rb {
            return Ok(());
        }
        let (ka, kb) = (self.known[ra], self.known[rb]);
        let merged = match (ka, kb) {
            (Known::Int, Known::Int) => Known::Int,
            (Known::Float, Known::Float) => Known::Float,
            (Known::Int, Known::Exactly(t)) | (Known::Exactly(t), Known::Int) if t.is_int() => {
                Known::Exactly(t)
            }
            (Known::Float, Known::Exactly(Ty::F32)) | (Known::Exactly(Ty::F32), Known::Float) => {
                Known::Exactly(Ty::F32)
            }
            (Known::Exactly(x), Known::Exactly(y)) if x == y => Known::Exactly(x),
            _ => return Err((ka, kb)),
        };
        self.parent[ra] = rb;
        self.known[rb] = merged;
        Ok(())
    }

    /// Requires `v` to be of the type `ty`.
    pub(crate) fn require(&mut self, v: TyVar, ty: Ty) -> Result<(), (Known, Known)> {
        let t = self.of(ty);
        self.unify(v, t)
    }

    /// The type `v` settled on: integer literals default to `i32` and float ones to `f32`, as
    /// in Rust.
    pub(crate) fn resolve(&mut self, v: TyVar) -> Ty {
        match self.known(v) {
            Known::Exactly(t) => t,
            Known::Int => Ty::I32,
            Known::Float => Ty::F32,
        }
    }
}

pub(crate) fn describe(known: Known) -> &'static str {
    match known {
        Known::Int => "an integer",
        Known::Float => "a float",
        Known::Exactly(Ty::F32) => "`f32`",
        Known::Exactly(Ty::I32) => "`i32`",
        Known::Exactly(Ty::U32) => "`u32`",
        Known::Exactly(Ty::Bool) => "`bool`",
    }
}

/// A parameter of the kernel (the context excluded).
pub(crate) struct KParam {
    pub(crate) name: String,
    pub(crate) span: Span,
    pub(crate) kind: KParamKind,
}

#[derive(Clone, Copy)]
pub(crate) enum KParamKind {
    Slice { elem: Ty, writable: bool },
    Value(Ty),
}

/// A work-group shared array.
pub(crate) struct KShared {
    pub(crate) name: String,
    pub(crate) elem: Ty,
    pub(crate) len: u32,
}

/// An array the kernel indexes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum ArrayRef {
    Param(usize),
    Shared(usize),
}

/// A local variable (a `let` or a `for` variable), numbered in order of declaration.
pub(crate) struct KLocal {
    pub(crate) name: String,
    pub(crate) ty: TyVar,
    pub(crate) mutable: bool,
}

pub(crate) type LocalId = usize;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    And,
    Or,
    BitAnd,
    BitOr,
    BitXor,
    Shl,
    Shr,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl BinOp {
    pub(crate) fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Rem => "%",
            BinOp::And => "&&",
            BinOp::Or => "||",
            BinOp::BitAnd => "&",
            BinOp::BitOr => "|",
            BinOp::BitXor => "^",
            BinOp::Shl => "<<",
            BinOp::Shr => ">>",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
        }
    }

    pub(crate) fn is_comparison(self) -> bool {
        matches!(
            self,
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge
        )
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum UnOp {
    Neg,
    Not,
}

/// A math function of the subset, written as a method (`x.sqrt()`, `a.max(b)`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum MathFn {
    Sqrt,
    Exp,
    Exp2,
    Ln,
    Log2,
    Sin,
    Cos,
    Tan,
    Abs,
    Min,
    Max,
    Clamp,
    Powf,
    Floor,
    Ceil,
    Trunc,
    MulAdd,
}

/// Every math function: its method name, how many arguments besides the receiver, and whether
/// it takes integers too (else `f32` only).
pub(crate) const MATH: &[(&str, MathFn, usize, bool)] = &[
    ("sqrt", MathFn::Sqrt, 0, false),
    ("exp", MathFn::Exp, 0, false),
    ("exp2", MathFn::Exp2, 0, false),
    ("ln", MathFn::Ln, 0, false),
    ("log2", MathFn::Log2, 0, false),
    ("sin", MathFn::Sin, 0, false),
    ("cos", MathFn::Cos, 0, false),
    ("tan", MathFn::Tan, 0, false),
    ("abs", MathFn::Abs, 0, true),
    ("min", MathFn::Min, 1, true),
    ("max", MathFn::Max, 1, true),
    ("clamp", MathFn::Clamp, 2, true),
    ("powf", MathFn::Powf, 1, false),
    ("floor", MathFn::Floor, 0, false),
    ("ceil", MathFn::Ceil, 0, false),
    ("trunc", MathFn::Trunc, 0, false),
    ("mul_add", MathFn::MulAdd, 2, false),
];

pub(crate) fn math_names() -> String {
    let names: Vec<&str> = MATH.iter().map(|(name, ..)| *name).collect();
    names.join(", ")
}

/// What the context offers a kernel.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum CtxValue {
    /// Coarse: the global invocation index; fine: the index in the work-group.
    Rank,
    /// Coarse: invocations in the launch; fine: invocations per work-group.
    Size,
    /// Fine: the work-group's index.
    Group,
    /// Fine: work-groups in the launch.
    Groups,
}

pub(crate) struct Expr {
    pub(crate) kind: ExprKind,
    pub(crate) ty: TyVar,
    pub(crate) span: Span,
}

pub(crate) enum ExprKind {
    Int(u64),
    Float(f64),
    Bool(bool),
    Local(LocalId),
    Value(usize),
    Len(ArrayRef),
    Index(ArrayRef, Box<Expr>),
    Unary(UnOp, Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    Cast(Box<Expr>, Ty),
    Math(MathFn, Vec<Expr>),
    Ctx(CtxValue),
}

pub(crate) enum Place {
    Local(LocalId),
    Index(ArrayRef, Expr),
}

pub(crate) enum Stmt {
    Let {
        local: LocalId,
        init: Expr,
    },
    Assign {
        place: Place,
        op: Option<BinOp>,
        value: Expr,
    },
    If {
        cond: Expr,
        then: Vec<Stmt>,
        otherwise: Vec<Stmt>,
    },
    While {
        cond: Expr,
        body: Vec<Stmt>,
    },
    For {
        var: LocalId,
        start: Expr,
        end: Expr,
        body: Vec<Stmt>,
    },
    Break,
    Continue,
    Return(Span),
    Barrier(Span),
}

impl Expr {
    /// Whether the expression reads `local`.
    pub(crate) fn mentions(&self, local: LocalId) -> bool {
        match &self.kind {
            ExprKind::Local(id) => *id == local,
            ExprKind::Index(_, e) | ExprKind::Unary(_, e) | ExprKind::Cast(e, _) => {
                e.mentions(local)
            }
            ExprKind::Binary(_, a, b) => a.mentions(local) || b.mentions(local),
            ExprKind::Math(_, args) => args.iter().any(|a| a.mentions(local)),
            _ => false,
        }
    }
}

impl Stmt {
    /// Whether the statement reads or writes `local`.
    pub(crate) fn mentions(&self, local: LocalId) -> bool {
        let all = |stmts: &[Stmt]| stmts.iter().any(|s| s.mentions(local));
        match self {
            Stmt::Let { init, .. } => init.mentions(local),
            Stmt::Assign { place, value, .. } => {
                value.mentions(local)
                    || match place {
                        Place::Local(id) => *id == local,
                        Place::Index(_, index) => index.mentions(local),
                    }
            }
            Stmt::If {
                cond,
                then,
                otherwise,
            } => cond.mentions(local) || all(then) || all(otherwise),
            Stmt::While { cond, body } => cond.mentions(local) || all(body),
            Stmt::For {
                start, end, body, ..
            } => start.mentions(local) || end.mentions(local) || all(body),
            Stmt::Break | Stmt::Continue | Stmt::Return(_) | Stmt::Barrier(_) => false,
        }
    }
}

/// A kernel, lowered and typed.
pub(crate) struct Kernel {
    pub(crate) params: Vec<KParam>,
    pub(crate) shared: Vec<KShared>,
    pub(crate) locals: Vec<KLocal>,
    pub(crate) body: Vec<Stmt>,
}
