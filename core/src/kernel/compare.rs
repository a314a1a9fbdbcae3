//! Comparing targets' results: integers exactly, floats within a tolerance in units in the
//! last place.

use crate::kernel::arg::{Arg, BufMut};
use crate::kernel::error::Disagreement;
use crate::kernel::spec::KernelSpec;

/// One run's copies of the writable arguments (`None` for the others).
pub(crate) struct Outputs {
    bufs: Vec<Option<OwnedBuf>>,
}

impl Outputs {
    /// Copies of the writable arguments' current contents.
    pub(crate) fn copy(args: &[Arg<'_>]) -> Self {
        let bufs = args
            .iter()
            .map(|arg| match arg {
                Arg::Out(buf) => Some(buf.to_owned_buf()),
                _ => None,
            })
            .collect();
        Self { bufs }
    }

    /// The arguments with the writable ones replaced by these copies.
    pub(crate) fn args<'b>(&'b mut self, args: &[Arg<'b>]) -> Vec<Arg<'b>> {
        args.iter()
            .zip(self.bufs.iter_mut())
            .map(|(arg, copy)| match (arg, copy) {
                (Arg::F32(v), _) => Arg::F32(*v),
                (Arg::I32(v), _) => Arg::I32(*v),
                (Arg::U32(v), _) => Arg::U32(*v),
                (Arg::Bool(v), _) => Arg::Bool(*v),
                (Arg::In(buf), _) => Arg::In(*buf),
                (Arg::Out(_), Some(OwnedBuf::F32(v))) => Arg::Out(BufMut::F32(v)),
                (Arg::Out(_), Some(OwnedBuf::I32(v))) => Arg::Out(BufMut::I32(v)),
                (Arg::Out(_), Some(OwnedBuf::U32(v))) => Arg::Out(BufMut::U32(v)),
                (Arg::Out(_), None) => unreachable!("every writable argument has its copy"),
            })
            .collect()
    }

    /// Writes these results into the user's writable arguments.
    pub(crate) fn write_into(self, args: &mut [Arg<'_>]) {
        for (arg, copy) in args.iter_mut().zip(self.bufs) {
            match (arg, copy) {
                (Arg::Out(BufMut::F32(dst)), Some(OwnedBuf::F32(src))) => dst.copy_from_slice(&src),
                (Arg::Out(BufMut::I32(dst)), Some(OwnedBuf::I32(src))) => dst.copy_from_slice(&src),
                (Arg::Out(BufMut::U32(dst)), Some(OwnedBuf::U32(src))) => dst.copy_from_slice(&src),
                _ => {}
            }
        }
    }
}

/// Position of `x` on a line where neighbouring floats are one apart (both zeros at 0).
fn ordinal(x: f32) -> i64 {
    let bits = x.to_bits();
    let magnitude = i64::from(bits & 0x7fff_ffff);
    if bits >> 31 == 1 {
        -magnitude
    } else {
        magnitude
    }
}

/// Units in the last place between two floats: 0 for two NaNs, `u64::MAX` for one.
pub(crate) fn ulps_apart(a: f32, b: f32) -> u64 {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => 0,
        (false, false) => ordinal(a).abs_diff(ordinal(b)),
        _ => u64::MAX,
    }
}

/// The first element where `found` differs from `expected` beyond the tolerance.
pub(crate) fn first_difference(
    spec: &'static KernelSpec,
    expected: &Outputs,
    found: &Outputs,
    ulps: u32,
    reference: &str,
    target: &str,
) -> Option<Disagreement> {
    for (number, (want, got)) in expected.bufs.iter().zip(&found.bufs).enumerate() {
        let (first, differing, tolerance) = match (want, got) {
            (Some(OwnedBuf::F32(w)), Some(OwnedBuf::F32(g))) => {
                let far = |i: usize| ulps_apart(w[i], g[i]) > u64::from(ulps);
                let count = (0..w.len()).filter(|&i| far(i)).count();
                let first = (0..w.len()).find(|&i| far(i)).map(|i| {
                    (
                        i,
                        format!("{:?}", w[i]),
                        format!("{:?}", g[i]),
                        ulps_apart(w[i], g[i]),
                    )
                });
                (first, count, u64::from(ulps))
            }
            (Some(OwnedBuf::I32(w)), Some(OwnedBuf::I32(g))) => {
                let count = w.iter().zip(g).filter(|(a, b)| a != b).count();
                let first = w.iter().zip(g).position(|(a, b)| a != b).map(|i| {
                    (
                        i,
                        w[i].to_string(),
                        g[i].to_string(),
                        w[i].abs_diff(g[i]).into(),
                    )
                });
                (first, count, 0)
            }
            (Some(OwnedBuf::U32(w)), Some(OwnedBuf::U32(g))) => {
                let count = w.iter().zip(g).filter(|(a, b)| a != b).count();
                let first = w.iter().zip(g).position(|(a, b)| a != b).map(|i| {
                    (
                        i,
                        w[i].to_string(),
                        g[i].to_string(),
                        w[i].abs_diff(g[i]).into(),
                    )
                });
                (first, count, 0)
            }
            _ => continue,
        };
        if let Some((index, expected, found, distance)) = first {
            return Some(Disagreement {
                kernel: spec.name,
                reference: reference.to_string(),
                target: target.to_string(),
                array: spec.params.get(number).map_or("?", |p| p.name()),
                index,
                expected,
                found,
                distance,
                tolerance,
                differing,
            });
        }
    }
    None
}

impl BufMut<'_> {
    /// A copy of the elements, as owned data of the same type.
    fn to_owned_buf(&self) -> OwnedBuf {
        match self {
            BufMut::F32(s) => OwnedBuf::F32(s.to_vec()),
            BufMut::I32(s) => OwnedBuf::I32(s.to_vec()),
            BufMut::U32(s) => OwnedBuf::U32(s.to_vec()),
        }
    }
}

/// Owned contents of a writable slice, for a check's runs.
#[derive(Clone, Debug)]
enum OwnedBuf {
    F32(Vec<f32>),
    I32(Vec<i32>),
    U32(Vec<u32>),
}

#[cfg(test)]
mod tests {
    use super::ulps_apart;

    #[test]
    fn neighbouring_floats_are_one_ulp_apart() {
        assert_eq!(ulps_apart(1.0, 1.0), 0);
        assert_eq!(ulps_apart(1.0, f32::from_bits(1.0f32.to_bits() + 1)), 1);
        assert_eq!(ulps_apart(0.0, -0.0), 0);
        assert_eq!(ulps_apart(f32::from_bits(1), -f32::from_bits(1)), 2);
        assert_eq!(ulps_apart(f32::NAN, f32::NAN), 0);
        assert_eq!(ulps_apart(f32::NAN, 1.0), u64::MAX);
        assert_eq!(ulps_apart(-1.0, f32::from_bits((-1.0f32).to_bits() + 3)), 3);
    }
}
