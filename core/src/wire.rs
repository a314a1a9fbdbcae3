//! Values crossing between the hub and its process spokes: task arguments and results, and the
//! messages of the spoke protocol, in postcard's compact binary form (exact for every serde
//! value, floats and NaN included).

use std::io::{self, Read, Write};
use std::marker::PhantomData;

use serde::Serialize;
use serde::de::DeserializeOwned;

/// Encodes a value.
pub(crate) fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, String> {
    postcard::to_stdvec(value).map_err(|e| e.to_string())
}

/// Decodes a value.
pub(crate) fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    postcard::from_bytes(bytes).map_err(|e| e.to_string())
}

/// Writes one message: its length (4 bytes, little-endian), then its encoding.
pub(crate) fn send<T: Serialize>(to: &mut impl Write, message: &T) -> io::Result<()> {
    let bytes = encode(message).map_err(io::Error::other)?;
    let length = u32::try_from(bytes.len()).map_err(io::Error::other)?;
    let mut frame = Vec::with_capacity(4 + bytes.len());
    frame.extend_from_slice(&length.to_le_bytes());
    frame.extend_from_slice(&bytes);
    to.write_all(&frame)
}

/// Reads one message written by `send`; `None` at a clean end of the stream.
pub(crate) fn receive<T: DeserializeOwned>(from: &mut impl Read) -> io::Result<Option<T>> {
    let mut length = [0_u8; 4];
    match from.read_exact(&mut length) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let mut bytes = vec![0_u8; u32::from_le_bytes(length) as usize];
    from.read_exact(&mut bytes)?;
    decode(&bytes).map(Some).map_err(io::Error::other)
}

/// How to encode and decode values of one type, when the type allows it.
pub struct Codec<T> {
    #[doc(hidden)]
    pub encode: fn(&T) -> Result<Vec<u8>, String>,
    #[doc(hidden)]
    pub decode: fn(&[u8]) -> Result<T, String>,
}

/// Asks, at compile time and without requiring it, whether `T` is a serde value: generated code
/// calls `(&&Probe::<T>::new()).codec()`, which finds [`ViaSerde`] when `T` is
/// `Serialize + DeserializeOwned` and falls back to [`NotSerde`] otherwise. So tasks whose
/// arguments are not serde values still run on threads, and only a process pool refuses them,
/// saying why.
pub struct Probe<T>(PhantomData<fn() -> T>);

impl<T> Probe<T> {
    #[doc(hidden)]
    pub const fn new() -> Self {
        Self(PhantomData)
    }
}

impl<T> Default for Probe<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// The codec of a serde value.
pub trait ViaSerde<T> {
    #[doc(hidden)]
    fn codec(&self) -> Option<Codec<T>>;
}

impl<T: Serialize + DeserializeOwned> ViaSerde<T> for &Probe<T> {
    fn codec(&self) -> Option<Codec<T>> {
        Some(Codec {
            encode: encode::<T>,
            decode: decode::<T>,
        })
    }
}

/// No codec: the type is not a serde value.
pub trait NotSerde<T> {
    #[doc(hidden)]
    fn codec(&self) -> Option<Codec<T>>;
}

impl<T> NotSerde<T> for Probe<T> {
    fn codec(&self) -> Option<Codec<T>> {
        None
    }
}

/// Why a task cannot cross to a process spoke.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unwired {
    pub(crate) task: &'static str,
    pub(crate) what: &'static str,
    pub(crate) type_name: &'static str,
}

impl Unwired {
    #[doc(hidden)]
    pub fn new(task: &'static str, what: &'static str, type_name: &'static str) -> Self {
        Self {
            task,
            what,
            type_name,
        }
    }
}

impl std::fmt::Display for Unwired {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "task `{}` cannot run on process spokes: {} (`{}`) must be `Serialize + Deserialize` to cross to another process; derive them (`#[derive(serde::Serialize, serde::Deserialize)]`), or run it on `Pool::threads(n)`",
            self.task, self.what, self.type_name
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::needless_borrow)] // the double borrow is the whole trick
    fn the_probe_tells_serde_values_from_others() {
        struct Opaque;
        assert!((&&Probe::<(String, f64)>::new()).codec().is_some());
        assert!((&&Probe::<Opaque>::new()).codec().is_none());
    }

    #[test]
    fn frames_round_trip_floats_exactly() {
        let mut pipe = Vec::new();
        send(&mut pipe, &(f64::NAN, 0.1_f64, "x".to_owned())).unwrap();
        send(&mut pipe, &7_u32).unwrap();
        let mut reader = pipe.as_slice();
        let (nan, tenth, x): (f64, f64, String) = receive(&mut reader).unwrap().unwrap();
        assert!(nan.is_nan());
        assert_eq!(tenth.to_bits(), 0.1_f64.to_bits());
        assert_eq!(x, "x");
        assert_eq!(receive::<u32>(&mut reader).unwrap(), Some(7));
        assert_eq!(receive::<u32>(&mut reader).unwrap(), None);
    }
}
