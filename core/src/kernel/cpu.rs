//! The CPU targets' side of generated kernels: views of the arguments that check bounds and
//! record faults as the GPUs do, and the integer operations with the GPUs' meaning.

use std::marker::PhantomData;
use std::sync::atomic::{AtomicU32, Ordering};

use crate::kernel::arg::{Arg, Buf, BufMut};
use crate::kernel::spec::{KernelSpec, Param};

/// The first out-of-bounds access of a launch, in the GPUs' layout (see
/// [`KernelSpec`](crate::kernel::KernelSpec)).
#[derive(Default)]
pub struct Faults {
    words: [AtomicU32; 4],
}

impl Faults {
    fn record(&self, array: u32, index: u32, invocation: u32) {
        if self.words[0]
            .compare_exchange(0, array + 1, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            self.words[1].store(index, Ordering::Release);
            self.words[2].store(invocation, Ordering::Release);
        }
    }

    pub(crate) fn words(&self) -> [u32; 4] {
        self.words.each_ref().map(|w| w.load(Ordering::Acquire))
    }
}

/// Where an access happens: which array, for which invocation.
#[derive(Clone, Copy)]
pub struct Site<'a> {
    faults: &'a Faults,
    array: u32,
    invocation: u32,
}

impl<'a> Site<'a> {
    /// The site of an access to array number `array` by `invocation`.
    #[inline]
    pub fn new(faults: &'a Faults, array: u32, invocation: u32) -> Self {
        Self {
            faults,
            array,
            invocation,
        }
    }

    #[cold]
    fn fault(self, index: u32) {
        self.faults.record(self.array, index, self.invocation);
    }

    /// The element `found` at `index`; where there is none, zero and a recorded fault.
    #[inline]
    fn read<T: Word>(self, index: u32, found: Option<T>) -> T {
        found.unwrap_or_else(|| {
            self.fault(index);
            T::default()
        })
    }

    /// Writes through the `slot` at `index`; where there is none, a recorded fault.
    #[inline]
    fn write<S>(self, index: u32, slot: Option<S>, write: impl FnOnce(S)) {
        match slot {
            Some(slot) => write(slot),
            None => self.fault(index),
        }
    }
}

/// A 4-byte number a kernel stores in memory.
pub trait Word: Copy + Default + Send + Sync + 'static {
    /// Its bits.
    fn to_word(self) -> u32;
    /// The number with these bits.
    fn from_word(word: u32) -> Self;
}

impl Word for f32 {
    fn to_word(self) -> u32 {
        self.to_bits()
    }
    fn from_word(word: u32) -> Self {
        f32::from_bits(word)
    }
}

impl Word for i32 {
    fn to_word(self) -> u32 {
        self as u32
    }
    fn from_word(word: u32) -> Self {
        word as i32
    }
}

impl Word for u32 {
    fn to_word(self) -> u32 {
        self
    }
    fn from_word(word: u32) -> Self {
        word
    }
}

/// A read-only slice argument.
#[derive(Clone, Copy)]
pub struct In<'a, T> {
    data: &'a [T],
}

impl<'a, T: Word> In<'a, T> {
    /// The element at `index`; out of bounds, zero and a recorded fault.
    #[inline]
    pub fn get(&self, index: u32, site: Site<'_>) -> T {
        site.read(index, self.data.get(index as usize).copied())
    }

    /// Number of elements (a launch refuses slices longer than `u32::MAX`).
    #[inline]
    pub fn len(&self) -> u32 {
        self.data.len() as u32
    }

    /// The elements.
    #[inline]
    pub fn as_slice(&self) -> &'a [T] {
        self.data
    }

    /// Whether it has no element.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
}

/// A writable slice argument, which the invocations of a launch share: each element is
/// accessed atomically (relaxed), so two invocations writing one element race as on a GPU,
/// without undefined behaviour.
#[derive(Clone, Copy)]
pub struct Out<'a, T> {
    data: &'a [AtomicU32],
    elem: PhantomData<T>,
}

impl<T: Word> Out<'_, T> {
    /// The element at `index`; out of bounds, zero and a recorded fault.
    #[inline]
    pub fn get(&self, index: u32, site: Site<'_>) -> T {
        let word = self.data.get(index as usize);
        site.read(index, word.map(|w| T::from_word(w.load(Ordering::Relaxed))))
    }

    /// Writes the element at `index`; out of bounds, nothing and a recorded fault.
    #[inline]
    pub fn set(&self, index: u32, value: T, site: Site<'_>) {
        site.write(index, self.data.get(index as usize), |word| {
            word.store(value.to_word(), Ordering::Relaxed)
        });
    }

    /// Number of elements.
    #[inline]
    pub fn len(&self) -> u32 {
        self.data.len() as u32
    }

    /// Whether it has no element.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
}

/// A work-group's shared array on the CPU, zeroed as on the GPUs. A group's invocations run
/// on one thread, in lockstep, so it needs no synchronisation; it lives on that thread's stack
/// (GPUs give a work-group tens of kilobytes at most).
pub struct SharedMem<T, const N: usize> {
    data: [T; N],
}

impl<T: Word, const N: usize> Default for SharedMem<T, N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Word, const N: usize> SharedMem<T, N> {
    /// `N` zeros.
    #[inline]
    pub fn new() -> Self {
        Self {
            data: [T::default(); N],
        }
    }

    /// The element at `index`; out of bounds, zero and a recorded fault.
    #[inline]
    pub fn get(&self, index: u32, site: Site<'_>) -> T {
        site.read(index, self.data.get(index as usize).copied())
    }

    /// Writes the element at `index`; out of bounds, nothing and a recorded fault.
    #[inline]
    pub fn set(&mut self, index: u32, value: T, site: Site<'_>) {
        site.write(index, self.data.get_mut(index as usize), |slot| {
            *slot = value
        });
    }
}

/// One argument as the CPU targets see it.
#[derive(Clone, Copy)]
pub enum View<'a> {
    #[doc(hidden)]
    F32(f32),
    #[doc(hidden)]
    I32(i32),
    #[doc(hidden)]
    U32(u32),
    #[doc(hidden)]
    Bool(bool),
    #[doc(hidden)]
    In(Buf<'a>),
    #[doc(hidden)]
    Out(&'a [AtomicU32]),
    /// A writable slice handed to the work-groups in parts (see [`Chunk`]); its length.
    #[doc(hidden)]
    Chunked(u32),
}

const MISMATCH: &str = "the kernel's generated code and its arguments agree by construction";

macro_rules! value_accessor {
    ($name:ident, $variant:ident, $ty:ty) => {
        /// The value argument.
        #[inline]
        pub fn $name(&self) -> $ty {
            match *self {
                View::$variant(v) => v,
                _ => unreachable!("{MISMATCH}"),
            }
        }
    };
}

macro_rules! slice_accessors {
    ($input:ident, $output:ident, $variant:ident, $ty:ty) => {
        /// The read-only slice argument.
        #[inline]
        pub fn $input(&self) -> In<'a, $ty> {
            match *self {
                View::In(Buf::$variant(data)) => In { data },
                _ => unreachable!("{MISMATCH}"),
            }
        }

        /// The writable slice argument.
        #[inline]
        pub fn $output(&self) -> Out<'a, $ty> {
            match *self {
                View::Out(data) => Out {
                    data,
                    elem: PhantomData,
                },
                _ => unreachable!("{MISMATCH}"),
            }
        }
    };
}

impl<'a> View<'a> {
    /// The full length of a slice handed out in parts.
    #[inline]
    pub fn chunked_len(&self) -> u32 {
        match *self {
            View::Chunked(len) => len,
            _ => unreachable!("{MISMATCH}"),
        }
    }

    value_accessor!(value_f32, F32, f32);
    value_accessor!(value_i32, I32, i32);
    value_accessor!(value_u32, U32, u32);
    value_accessor!(value_bool, Bool, bool);
    slice_accessors!(in_f32, out_f32, F32, f32);
    slice_accessors!(in_i32, out_i32, I32, i32);
    slice_accessors!(in_u32, out_u32, U32, u32);
}

/// A work-group's own part of a writable slice whose every access indexes by `ctx.rank()`:
/// elements `group * size ..` of it, which no other work-group touches.
pub enum Chunk<'a> {
    #[doc(hidden)]
    F32(&'a mut [f32]),
    #[doc(hidden)]
    I32(&'a mut [i32]),
    #[doc(hidden)]
    U32(&'a mut [u32]),
}

macro_rules! chunk_accessor {
    ($name:ident, $variant:ident, $ty:ty) => {
        /// The part, as a slice.
        #[inline]
        pub fn $name(&mut self) -> &mut [$ty] {
            match self {
                Chunk::$variant(data) => data,
                _ => unreachable!("{MISMATCH}"),
            }
        }
    };
}

impl<'a> Chunk<'a> {
    /// The next part handed to a group: there is one per by-rank slice, by construction.
    #[inline]
    pub fn part<'p>(next: Option<&'p mut Chunk<'a>>) -> &'p mut Chunk<'a> {
        next.expect(MISMATCH)
    }

    chunk_accessor!(f32_mut, F32, f32);
    chunk_accessor!(i32_mut, I32, i32);
    chunk_accessor!(u32_mut, U32, u32);
}

/// Element `index` of a slice whose part starting at `offset` is `chunk`; out of the part
/// (so out of the slice), zero and a recorded fault.
#[inline]
pub fn chunk_get<T: Word>(chunk: &[T], offset: u32, index: u32, site: Site<'_>) -> T {
    site.read(
        index,
        chunk.get(index.wrapping_sub(offset) as usize).copied(),
    )
}

/// Writes element `index` of a slice whose part starting at `offset` is `chunk`; out of the
/// part, nothing and a recorded fault.
#[inline]
pub fn chunk_set<T: Word>(chunk: &mut [T], offset: u32, index: u32, value: T, site: Site<'_>) {
    let slot = chunk.get_mut(index.wrapping_sub(offset) as usize);
    site.write(index, slot, |slot| *slot = value);
}

/// The CPU's views of a launch's arguments, for as long as the arguments are borrowed, and
/// the slices written by rank, to be handed to the work-groups in parts.
pub(crate) fn views<'a>(spec: &KernelSpec, args: &'a mut [Arg<'_>]) -> (Vec<View<'a>>, Parts<'a>) {
    let mut views = Vec::with_capacity(args.len());
    let mut parts = Parts {
        slices: Vec::new(),
        size: spec.cpu_group_size as usize,
        borrow: PhantomData,
    };
    for (param, arg) in spec.params.iter().zip(args.iter_mut()) {
        let by_rank = matches!(param, Param::Slice { by_rank: true, .. });
        views.push(match arg {
            Arg::F32(v) => View::F32(*v),
            Arg::I32(v) => View::I32(*v),
            Arg::U32(v) => View::U32(*v),
            Arg::Bool(v) => View::Bool(*v),
            Arg::In(buf) => View::In(*buf),
            Arg::Out(buf) => {
                if !by_rank {
                    views.push(View::Out(atomic_words(buf)));
                    continue;
                }
                let len = buf.len();
                parts.slices.push(match buf {
                    BufMut::F32(s) => (Raw::F32(s.as_mut_ptr()), len),
                    BufMut::I32(s) => (Raw::I32(s.as_mut_ptr()), len),
                    BufMut::U32(s) => (Raw::U32(s.as_mut_ptr()), len),
                });
                View::Chunked(len as u32)
            }
        });
    }
    (views, parts)
}

/// Where a slice written by rank starts.
#[derive(Clone, Copy)]
enum Raw {
    F32(*mut f32),
    I32(*mut i32),
    U32(*mut u32),
}

/// The slices written by rank, borrowed mutably for `'a`, cut into one part per work-group.
pub(crate) struct Parts<'a> {
    slices: Vec<(Raw, usize)>,
    size: usize,
    borrow: PhantomData<&'a mut [u32]>,
}

// SAFETY: `Parts` only hands out disjoint parts of slices it borrows mutably (see `fill`); the
// elements are plain numbers, which may be sent between threads.
unsafe impl Send for Parts<'_> {}
// SAFETY: as above: sharing `Parts` lets threads take the parts of different groups.
unsafe impl Sync for Parts<'_> {}

impl<'a> Parts<'a> {
    /// How many slices are written by rank.
    pub(crate) fn count(&self) -> usize {
        self.slices.len()
    }

    /// Replaces `out` with group `group`'s parts: elements `group * size ..` of each slice, up
    /// to its end (empty past it).
    ///
    /// # Safety
    ///
    /// While the parts are in use, no other call may take the same group's: each group's
    /// parts must be given out once at a time. (Different groups' parts are disjoint.)
    pub(crate) unsafe fn fill(&self, group: u32, out: &mut Vec<Chunk<'a>>) {
        out.clear();
        for &(raw, len) in &self.slices {
            let start = (group as usize).saturating_mul(self.size).min(len);
            let end = start.saturating_add(self.size).min(len);
            // SAFETY: `start..end` lies within the slice, which is borrowed mutably for 'a;
            // the caller ensures no other live reference to this group's part exists, and
            // parts of different groups do not overlap.
            out.push(unsafe {
                match raw {
                    Raw::F32(p) => {
                        Chunk::F32(std::slice::from_raw_parts_mut(p.add(start), end - start))
                    }
                    Raw::I32(p) => {
                        Chunk::I32(std::slice::from_raw_parts_mut(p.add(start), end - start))
                    }
                    Raw::U32(p) => {
                        Chunk::U32(std::slice::from_raw_parts_mut(p.add(start), end - start))
                    }
                }
            });
        }
    }
}

fn atomic_words<'a>(buf: &'a mut BufMut<'_>) -> &'a [AtomicU32] {
    let (ptr, len) = match buf {
        BufMut::F32(s) => (s.as_mut_ptr().cast::<AtomicU32>(), s.len()),
        BufMut::I32(s) => (s.as_mut_ptr().cast::<AtomicU32>(), s.len()),
        BufMut::U32(s) => (s.as_mut_ptr().cast::<AtomicU32>(), s.len()),
    };
    // SAFETY: `AtomicU32` has the size and alignment of `u32`, which are those of `f32` and
    // `i32`; the elements are borrowed mutably for `'a`, so no other access happens meanwhile,
    // and every bit pattern written back is a valid number.
    unsafe { std::slice::from_raw_parts(ptr, len) }
}

/// Integer operations with the meaning WGSL gives them, which every target follows.
pub mod ops {
    /// Division: by zero (or `i32::MIN / -1`) it gives the dividend.
    pub trait KernelInt: Copy {
        /// `a / b`, never failing.
        fn div(self, b: Self) -> Self;
        /// `a % b`, never failing: 0 where the division would not be defined.
        fn rem(self, b: Self) -> Self;
    }

    impl KernelInt for i32 {
        #[inline]
        fn div(self, b: i32) -> i32 {
            self.checked_div(b).unwrap_or(self)
        }
        #[inline]
        fn rem(self, b: i32) -> i32 {
            self.checked_rem(b).unwrap_or(0)
        }
    }

    impl KernelInt for u32 {
        #[inline]
        fn div(self, b: u32) -> u32 {
            self.checked_div(b).unwrap_or(self)
        }
        #[inline]
        fn rem(self, b: u32) -> u32 {
            self.checked_rem(b).unwrap_or(0)
        }
    }

    /// `a / b` in kernels.
    #[inline]
    pub fn div<T: KernelInt>(a: T, b: T) -> T {
        a.div(b)
    }

    /// `a % b` in kernels.
    #[inline]
    pub fn rem<T: KernelInt>(a: T, b: T) -> T {
        a.rem(b)
    }

    /// Minimum and maximum: for floats, a NaN operand gives the other one.
    pub trait KernelOrd: Copy {
        /// The smaller.
        fn kmin(self, b: Self) -> Self;
        /// The larger.
        fn kmax(self, b: Self) -> Self;
    }

    impl KernelOrd for f32 {
        #[inline]
        fn kmin(self, b: f32) -> f32 {
            self.min(b)
        }
        #[inline]
        fn kmax(self, b: f32) -> f32 {
            self.max(b)
        }
    }

    impl KernelOrd for i32 {
        #[inline]
        fn kmin(self, b: i32) -> i32 {
            Ord::min(self, b)
        }
        #[inline]
        fn kmax(self, b: i32) -> i32 {
            Ord::max(self, b)
        }
    }

    impl KernelOrd for u32 {
        #[inline]
        fn kmin(self, b: u32) -> u32 {
            Ord::min(self, b)
        }
        #[inline]
        fn kmax(self, b: u32) -> u32 {
            Ord::max(self, b)
        }
    }

    /// `a.min(b)` in kernels.
    #[inline]
    pub fn min<T: KernelOrd>(a: T, b: T) -> T {
        a.kmin(b)
    }

    /// `a.max(b)` in kernels.
    #[inline]
    pub fn max<T: KernelOrd>(a: T, b: T) -> T {
        a.kmax(b)
    }
}
