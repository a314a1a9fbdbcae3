//! A launch's arguments, as every target receives them.

/// Read-only data of a slice argument.
#[derive(Clone, Copy, Debug)]
pub enum Buf<'a> {
    /// `&[f32]`.
    F32(&'a [f32]),
    /// `&[i32]`.
    I32(&'a [i32]),
    /// `&[u32]`.
    U32(&'a [u32]),
}

/// Writable data of a slice argument.
#[derive(Debug)]
pub enum BufMut<'a> {
    /// `&mut [f32]`.
    F32(&'a mut [f32]),
    /// `&mut [i32]`.
    I32(&'a mut [i32]),
    /// `&mut [u32]`.
    U32(&'a mut [u32]),
}

/// One argument of a launch.
#[derive(Debug)]
pub enum Arg<'a> {
    /// An `f32` value.
    F32(f32),
    /// An `i32` value.
    I32(i32),
    /// A `u32` value.
    U32(u32),
    /// A `bool` value.
    Bool(bool),
    /// A read-only slice.
    In(Buf<'a>),
    /// A writable slice.
    Out(BufMut<'a>),
}

impl Buf<'_> {
    /// Number of elements.
    pub fn len(&self) -> usize {
        match self {
            Buf::F32(s) => s.len(),
            Buf::I32(s) => s.len(),
            Buf::U32(s) => s.len(),
        }
    }

    /// Whether it has no element.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The elements' bytes, in this machine's order (little-endian, as GPUs read them).
    pub fn bytes(&self) -> &[u8] {
        match self {
            Buf::F32(s) => as_bytes(s),
            Buf::I32(s) => as_bytes(s),
            Buf::U32(s) => as_bytes(s),
        }
    }
}

impl BufMut<'_> {
    /// Number of elements.
    pub fn len(&self) -> usize {
        match self {
            BufMut::F32(s) => s.len(),
            BufMut::I32(s) => s.len(),
            BufMut::U32(s) => s.len(),
        }
    }

    /// Whether it has no element.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The elements' bytes.
    pub fn bytes(&self) -> &[u8] {
        match self {
            BufMut::F32(s) => as_bytes(s),
            BufMut::I32(s) => as_bytes(s),
            BufMut::U32(s) => as_bytes(s),
        }
    }

    /// The elements' bytes, to be overwritten with the device's result.
    pub fn bytes_mut(&mut self) -> &mut [u8] {
        match self {
            BufMut::F32(s) => as_bytes_mut(s),
            BufMut::I32(s) => as_bytes_mut(s),
            BufMut::U32(s) => as_bytes_mut(s),
        }
    }
}

impl Arg<'_> {
    /// The 4-byte word a value argument occupies in a launch's parameter block (`bool` as 0 or
    /// 1); `None` for a slice.
    pub fn word(&self) -> Option<u32> {
        match *self {
            Arg::F32(v) => Some(v.to_bits()),
            Arg::I32(v) => Some(v as u32),
            Arg::U32(v) => Some(v),
            Arg::Bool(v) => Some(u32::from(v)),
            Arg::In(_) | Arg::Out(_) => None,
        }
    }

    /// Number of elements of a slice argument; `None` for a value.
    pub fn slice_len(&self) -> Option<usize> {
        match self {
            Arg::In(buf) => Some(buf.len()),
            Arg::Out(buf) => Some(buf.len()),
            _ => None,
        }
    }
}

/// Plain 4-byte numbers, which have no padding and accept every bit pattern.
trait Plain: Copy {}
impl Plain for f32 {}
impl Plain for i32 {}
impl Plain for u32 {}

fn as_bytes<T: Plain>(values: &[T]) -> &[u8] {
    // SAFETY: `T` is a 4-byte number without padding; u8 has alignment 1; the length in bytes
    // is that of the same memory.
    unsafe { std::slice::from_raw_parts(values.as_ptr().cast(), std::mem::size_of_val(values)) }
}

fn as_bytes_mut<T: Plain>(values: &mut [T]) -> &mut [u8] {
    // SAFETY: as above, and every bit pattern is a valid `T`, so any bytes written are too.
    unsafe {
        std::slice::from_raw_parts_mut(values.as_mut_ptr().cast(), std::mem::size_of_val(values))
    }
}

macro_rules! arg_from {
    ($($ty:ty => $variant:ident),*) => {$(
        impl From<$ty> for Arg<'_> {
            fn from(value: $ty) -> Self {
                Arg::$variant(value)
            }
        }
        impl<'a> From<&'a [$ty]> for Arg<'a> {
            fn from(values: &'a [$ty]) -> Self {
                Arg::In(Buf::$variant(values))
            }
        }
        impl<'a> From<&'a mut [$ty]> for Arg<'a> {
            fn from(values: &'a mut [$ty]) -> Self {
                Arg::Out(BufMut::$variant(values))
            }
        }
        impl<'a> From<&'a Vec<$ty>> for Arg<'a> {
            fn from(values: &'a Vec<$ty>) -> Self {
                Arg::In(Buf::$variant(values))
            }
        }
        impl<'a> From<&'a mut Vec<$ty>> for Arg<'a> {
            fn from(values: &'a mut Vec<$ty>) -> Self {
                Arg::Out(BufMut::$variant(values))
            }
        }
    )*};
}

arg_from!(f32 => F32, i32 => I32, u32 => U32);

impl From<bool> for Arg<'_> {
    fn from(value: bool) -> Self {
        Arg::Bool(value)
    }
}
