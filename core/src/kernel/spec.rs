//! What `#[pclosure(.., targets(..))]` generates about a kernel: its parameters, its
//! work-group, and its source for each GPU language.
//!
//! The generated WGSL and CUDA C follow one binding convention, which the backends rely on:
//!
//! - WGSL: slice parameter number `i` (counting slices only, in order) is
//!   `@group(0) @binding(i)`, a `var<storage, read>` (or `read_write`) `array<T>`; binding `S`
//!   (the number of slices) is the uniform `spm_launch`, whose 4-byte fields are, in order:
//!   `base`, `total`, the length of each slice, then each value parameter (`bool` as `u32`),
//!   padded with zeros to a multiple of 16 bytes; binding `S + 1` is `spm_fault`, four `u32`
//!   zeroed by the host. The entry point is `spm_main`.
//! - CUDA C: `extern "C" __global__ void spm_main(unsigned base, unsigned total,
//!   unsigned* fault, ...)` followed, for each parameter in order, by `T* name, unsigned len`
//!   for a slice, or the value itself for a value (`bool` as `unsigned`).
//!
//! In both, `base` is the index of the first work-group of this dispatch (a launch larger than
//! the device takes at once is split into several dispatches), and `total` is the number of
//! invocations (coarse kernels) or work-groups (fine kernels) of the whole launch. In CUDA, a
//! coarse kernel is one grid that strides: thread `t` of block `b` runs invocations
//! `(base + b) * size + t`, then that plus `gridDim.x * size`, and so on below `total`, so the
//! grid can be as small as the device runs at once (one wave). A kernel that
//! indexes out of bounds records the first such access in `fault`: `[0]` the faulting array's
//! number plus one (parameters first, then shared arrays), `[1]` the index, `[2]` the global
//! invocation.

/// A kernel's scalar type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scalar {
    /// `f32`.
    F32,
    /// `i32`.
    I32,
    /// `u32`.
    U32,
    /// `bool` (values only; a slice of `bool` has no GPU layout).
    Bool,
}

impl Scalar {
    /// The name Rust gives the type.
    pub fn rust_name(self) -> &'static str {
        match self {
            Scalar::F32 => "f32",
            Scalar::I32 => "i32",
            Scalar::U32 => "u32",
            Scalar::Bool => "bool",
        }
    }
}

/// One parameter of a kernel, as the launch passes it.
#[derive(Clone, Copy, Debug)]
pub enum Param {
    /// `&[T]` (read only) or `&mut [T]` (`writable`).
    Slice {
        /// The parameter's name.
        name: &'static str,
        /// Its element type.
        elem: Scalar,
        /// Whether the kernel may write it.
        writable: bool,
        /// Whether every access to it indexes by `ctx.rank()` (coarse kernels): each element
        /// then belongs to one invocation, and the CPU targets give each work-group its own
        /// part of the slice to work on, without synchronisation.
        by_rank: bool,
    },
    /// A value, the same for every invocation.
    Value {
        /// The parameter's name.
        name: &'static str,
        /// Its type.
        ty: Scalar,
    },
}

impl Param {
    /// The parameter's name.
    pub fn name(&self) -> &'static str {
        match self {
            Param::Slice { name, .. } | Param::Value { name, .. } => name,
        }
    }
}

/// A work-group shared array of a `fine_general` kernel.
#[derive(Clone, Copy, Debug)]
pub struct SharedArray {
    /// The name it is bound to in the kernel.
    pub name: &'static str,
    /// Its element type.
    pub elem: Scalar,
    /// Its number of elements.
    pub len: u32,
}

/// Everything a backend needs to run a kernel.
#[derive(Debug)]
pub struct KernelSpec {
    /// The kernel function's name.
    pub name: &'static str,
    /// Where it is defined (`module::name (file:line)`).
    pub path: &'static str,
    /// Its parameters, in order, the context excluded.
    pub params: &'static [Param],
    /// Its work-group shared arrays.
    pub shared: &'static [SharedArray],
    /// Invocations per work-group.
    pub group_size: u32,
    /// Invocations per work-group on the CPU targets: `group_size` for fine kernels, whose
    /// groups meet at barriers; larger for coarse kernels, whose grouping is free, so that a
    /// CPU thread takes a longer run of invocations at a time.
    pub cpu_group_size: u32,
    /// `false`: a launch counts invocations (coarse kernels); `true`: it counts work-groups
    /// (`fine_general` kernels).
    pub fine: bool,
    /// The kernel in WGSL.
    pub wgsl: &'static str,
    /// The kernel in CUDA C.
    pub cuda: &'static str,
}

impl KernelSpec {
    /// Name of the array numbered `number` in a fault record (parameters, then shared arrays).
    pub fn array_name(&self, number: u32) -> &'static str {
        let number = number as usize;
        match self.params.get(number) {
            Some(param) => param.name(),
            None => self
                .shared
                .get(number - self.params.len())
                .map_or("?", |shared| shared.name),
        }
    }
}
