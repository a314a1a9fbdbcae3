//! Every construct of the kernel subset gives the same result on every target: the serial
//! reference, all cores, and the GPU (Vulkan through wgpu in CI, CUDA where a GPU is lent).
//! Integer corners (division by zero, overflow, shifts past 31, saturating casts) are where C,
//! WGSL and Rust differ by default; the kernels' meaning is one, and this checks it.
//!
//! The CUDA C of each kernel is also compiled with the host's C++ compiler against a header
//! that declares CUDA's built-ins, so a syntax error in the generated code fails here, without
//! a GPU.

mod common;

use common::{on_every_target, on_ieee_targets};
use spm::kernel::Kernel;
use spm::prelude::*;

/// Integer arithmetic, including the corners where languages disagree.
#[pclosure(coarse_list, targets(serial, cores, gpu))]
fn integers(ctx: &Ctx, a: &[i32], b: &[i32], out: &mut [i32], bits: &mut [u32]) {
    let i = ctx.rank();
    if i >= out.len() {
        return;
    }
    let x = a[i];
    let y = b[i];
    let mut r = x / y;
    r += x % y;
    out[i] = r ^ (x << y) ^ (x >> (y & 7)) ^ (x * y) ^ (x - y) ^ x.abs().min(y).max(-3);
    let ux = x as u32;
    let uy = y as u32;
    bits[i] = (ux / uy) ^ (ux % uy) ^ (ux >> uy) ^ (ux << 3u32) ^ !ux ^ ux.clamp(5, 500);
}

/// Floats, math functions and casts. Vulkan bounds `sin` and `cos` only for arguments within
/// [-pi, pi] (an absolute error of 2^-11), and NVIDIA's driver is far off outside: the
/// arguments stay inside, as a portable kernel's should.
#[pclosure(coarse_list, targets(serial, cores, gpu))]
fn floats(ctx: &Ctx, xs: &[f32], out: &mut [f32], ints: &mut [i32], scale: f32, flip: bool) {
    let i = ctx.rank();
    if i < xs.len() {
        let x = xs[i];
        let mut y = x * scale - 1.5 / (x.abs() + 1.0);
        y += x.abs().sqrt()
            + (x * 0.01).exp()
            + (x.abs() + 1.0).ln()
            + (x * 0.002).sin() * (x * 0.002).cos();
        y = y.max(-1e6).min(1e6).clamp(-5e5, 5e5);
        y = y + x.floor() + x.ceil() - x.trunc() + x.mul_add(0.5, 2.0) + (x * 0.01).exp2();
        y = y + (x.abs() + 1.0).log2() + (x * 0.001).tan() + (x.abs() + 0.5).powf(0.75);
        if flip {
            y = -y;
        }
        out[i] = y;
        // Saturating conversions: large and negative values clamp, as Rust's `as` does.
        ints[i] = (x * 1e8) as i32 + ((x * 1e9) as u32 as i32) + (i as f32 * 0.5) as i32;
    }
}

/// Loops, `break`, `continue`, locals that shadow, bools and i32 indices.
#[pclosure(coarse_list, targets(serial, cores, gpu))]
fn control(ctx: &Ctx, table: &[u32], out: &mut [u32]) {
    let i = ctx.rank();
    if i < out.len() {
        let mut acc = 0u32;
        for k in 0..16u32 {
            if k == 3 {
                continue;
            }
            let k = k * 2;
            acc += table[(i + k) % table.len()];
            if acc > 100000 {
                break;
            }
        }
        let mut n = i;
        let mut steps = 0;
        while n != 1 && steps < 1000 {
            if n % 2 == 0 {
                n /= 2;
            } else {
                n = 3 * n + 1;
            }
            steps += 1;
        }
        let j = i as i32 - 1;
        let mut prev = 0u32;
        if j >= 0 {
            prev = table[j % table.len() as i32];
        }
        let odd = i % 2 == 1 && !(i == 7) || i == 10;
        out[i] = acc + steps as u32 + prev + odd as u32 + ctx.size();
    }
}

/// Basic float arithmetic is correctly rounded everywhere: identical bits are required.
#[pclosure(coarse_list, targets(serial, cores, gpu))]
fn exact(ctx: &Ctx, xs: &[f32], out: &mut [f32]) {
    let i = ctx.rank();
    if i < xs.len() {
        let x = xs[i];
        out[i] = (x * 3.0 + 1.0 / (x + 0.5) - x / 7.0) * (x - 2.0) + (x * x).sqrt();
    }
}

#[test]
fn integer_corners_agree_to_the_bit() {
    let n = 4096;
    let a: Vec<i32> = (0..n)
        .map(|i| match i % 5 {
            0 => i32::MIN,
            1 => i32::MAX - i,
            2 => -(i * 7919),
            _ => i * 104_729,
        })
        .collect();
    let b: Vec<i32> = (0..n)
        .map(|i| match i % 6 {
            0 => 0,
            1 => -1,
            2 => 33 + i,
            _ => (i % 97) - 40,
        })
        .collect();
    let mut out = vec![0i32; n as usize];
    let mut bits = vec![0u32; n as usize];
    on_every_target(|targets| {
        Integers::over(n as usize)
            .tolerance(0)
            .check(targets, (&a, &b, &mut out, &mut bits))
            .unwrap();
    });
    // Spot-check the meaning on the CPU: division by zero gives the dividend.
    let x = a[0];
    assert_eq!(b[0], 0);
    let expected_r = x.wrapping_add(0);
    assert_eq!(expected_r, x);
    assert!(out.iter().any(|&v| v != 0) && bits.iter().any(|&v| v != 0));
}

#[test]
fn float_math_agrees_within_the_tolerance() {
    let n = 8192;
    let xs: Vec<f32> = (0..n).map(|i| (i as f32 - 4000.0) * 0.37).collect();
    let mut out = vec![0.0f32; n];
    let mut ints = vec![0i32; n];
    on_every_target(|targets| {
        Floats::over(n)
            .tolerance(64)
            .check(targets, (&xs, &mut out, &mut ints, 1.25, true))
            .unwrap();
    });
    assert!(out.iter().all(|v| v.is_finite()));
    // The saturating cast: 1e8 * (-4000 * 0.37) is far below i32::MIN.
    assert_eq!((xs[0] * 1e8) as i32, i32::MIN);
}

#[test]
fn basic_float_arithmetic_is_identical_to_the_bit_where_ieee_rules() {
    let n = 10_000;
    let xs: Vec<f32> = (0..n).map(|i| i as f32 * 0.013 - 50.0).collect();
    let mut out = vec![0.0f32; n];
    on_ieee_targets(|targets| {
        Exact::over(n)
            .tolerance(0)
            .check(targets, (&xs, &mut out))
            .unwrap();
    });
    // Vulkan's precision rules: a division within 2.5 units in the last place, a multiply and
    // an add possibly fused; after the cancellation near x = 2, that is tens of units.
    on_every_target(|targets| {
        Exact::over(n)
            .tolerance(64)
            .check(targets, (&xs, &mut out))
            .unwrap();
    });
}

#[test]
fn control_flow_agrees() {
    let n = 3000;
    let table: Vec<u32> = (0..97).map(|i| i * 31 + 7).collect();
    let mut out = vec![0u32; n];
    on_every_target(|targets| {
        Control::over(n)
            .tolerance(0)
            .check(targets, (&table, &mut out))
            .unwrap();
    });
    assert_eq!(out[1], {
        // By hand, for i = 1: k in 0..16 but 3, doubled; Collatz of 1 takes no step.
        let acc: u32 = (0..16u32)
            .filter(|&k| k != 3)
            .map(|k| table[(1 + 2 * k) as usize % 97])
            .sum();
        acc + table[0] + 1 + n as u32
    });
}

/// CUDA's built-ins, declared for the host's compiler: enough to check the generated code's
/// syntax and types.
const CUDA_STUBS: &str = r#"
#include <cmath>
#define __device__
#define __global__
#define __forceinline__ inline
#define __shared__ static
struct spm_dim3 { unsigned x, y, z; };
extern spm_dim3 threadIdx, blockIdx, blockDim, gridDim;
unsigned atomicCAS(unsigned*, unsigned, unsigned);
void __syncthreads();
int __float2int_rz(float);
unsigned __float2uint_rz(float);
float __int2float_rn(int);
float __uint2float_rn(unsigned);
int min(int, int);
unsigned min(unsigned, unsigned);
int max(int, int);
unsigned max(unsigned, unsigned);
"#;

fn cuda_compiles<K: Kernel>() {
    let compiler = std::env::var("CXX").unwrap_or_else(|_| "g++".to_string());
    let dir =
        std::env::temp_dir().join(format!("spm-cuda-{}-{}", std::process::id(), K::SPEC.name));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("kernel.cpp");
    std::fs::write(&file, format!("{CUDA_STUBS}\n{}", K::SPEC.cuda)).unwrap();
    let output = match std::process::Command::new(&compiler)
        .args([
            "-fsyntax-only",
            "-std=c++17",
            "-Wall",
            "-Wno-unused-variable",
            "-Wno-unused-but-set-variable",
        ])
        .arg(&file)
        .output()
    {
        Ok(output) => output,
        Err(e) if std::env::var_os("CI").is_none() => {
            eprintln!("no C++ compiler ({compiler}: {e}): the CUDA syntax check is skipped");
            return;
        }
        Err(e) => panic!("{compiler}: {e}"),
    };
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        output.status.success(),
        "the CUDA C of `{}` does not compile:\n{}\n{}",
        K::SPEC.name,
        String::from_utf8_lossy(&output.stderr),
        K::SPEC.cuda
    );
}

#[pclosure(fine_general, workgroup(32), targets(serial, cores, gpu))]
fn scan(ctx: &Ctx, xs: &[u32], out: &mut [u32], flags: &mut [i32]) {
    let tile = ctx.shared::<u32, 32>();
    let seen = ctx.shared::<i32, 1>();
    let r = ctx.rank();
    let g = ctx.group();
    let i = g * ctx.size() + r;
    let mut v = 0u32;
    if i < xs.len() {
        v = xs[i];
    }
    tile[r] = v;
    ctx.barrier();
    // Inclusive prefix sum within the group (Hillis-Steele), barriers in a uniform loop.
    let mut offset = 1u32;
    for step in 0..5u32 {
        let mut add = 0u32;
        if r >= offset {
            add = tile[r - offset];
        }
        ctx.barrier();
        tile[r] += add;
        ctx.barrier();
        offset *= 2;
        if step == 10 {
            break;
        }
    }
    if r == 0 {
        seen[0] = ctx.groups() as i32;
    }
    ctx.barrier();
    if i < out.len() {
        out[i] = tile[r];
    }
    if r == 0 && g < flags.len() {
        flags[g] = seen[0];
    }
}

#[test]
fn a_group_scan_with_barriers_in_a_loop_agrees() {
    let n: usize = 32 * 100 - 5;
    let xs: Vec<u32> = (0..n as u32).map(|i| i % 13).collect();
    let groups = n.div_ceil(32);
    let mut out = vec![0u32; n];
    let mut flags = vec![0i32; groups];
    on_every_target(|targets| {
        Scan::groups(groups)
            .tolerance(0)
            .check(targets, (&xs, &mut out, &mut flags))
            .unwrap();
    });
    for (g, &flag) in flags.iter().enumerate() {
        let mut sum = 0;
        for r in 0..32 {
            let i = g * 32 + r;
            if i < n {
                sum += xs[i];
                assert_eq!(out[i], sum, "group {g}, rank {r}");
            }
        }
        assert_eq!(flag, groups as i32);
    }
}

#[test]
fn the_generated_cuda_compiles() {
    cuda_compiles::<Integers>();
    cuda_compiles::<Floats>();
    cuda_compiles::<Control>();
    cuda_compiles::<Exact>();
    cuda_compiles::<Scan>();
}

/// Writes to a slice before a barrier are seen after it by the group's other invocations (on
/// WGSL this takes a storage barrier beside the work-group one).
#[pclosure(fine_general, workgroup(64), targets(serial, cores, gpu))]
fn rotate(ctx: &Ctx, xs: &[u32], out: &mut [u32]) {
    let r = ctx.rank();
    let base = ctx.group() * ctx.size();
    out[base + r] = xs[base + r] * 3;
    ctx.barrier();
    let mut next = r + 1;
    if next == ctx.size() {
        next = 0;
    }
    let seen = out[base + next];
    ctx.barrier();
    out[base + r] = seen + 1;
}

#[test]
fn slice_writes_before_a_barrier_are_seen_after_it() {
    let groups = 40;
    let xs: Vec<u32> = (0..groups as u32 * 64).collect();
    let mut out = vec![0u32; xs.len()];
    on_every_target(|targets| {
        Rotate::groups(groups)
            .tolerance(0)
            .check(targets, (&xs, &mut out))
            .unwrap();
    });
    for (i, &v) in out.iter().enumerate() {
        let next = i / 64 * 64 + (i % 64 + 1) % 64;
        assert_eq!(v, xs[next] * 3 + 1, "at {i}");
    }
}

/// Operations on constants only, which WGSL would evaluate (and refuse) when it compiles the
/// shader; every target computes them when the kernel runs, to the same values. A parameter
/// may have a raw name.
#[pclosure(coarse_list, targets(serial, cores, gpu))]
fn constants(ctx: &Ctx, r#type: &mut [i32], floats: &mut [f32]) {
    if ctx.rank() == 0 {
        r#type[0] = 1 << 31;
        r#type[1] = 1 << -1;
        r#type[2] = (0.0f32 / 0.0) as i32;
        r#type[3] = ((-1.0f32).sqrt()) as i32;
        r#type[4] = i32::MAX + 1;
        floats[0] = f32::MAX * 2.0;
        floats[1] = -(f32::MAX * 2.0);
        floats[2] = 1.0 / 3.0;
    }
}

#[test]
fn constant_expressions_run_on_every_target() {
    let mut ints = vec![7i32; 5];
    let mut floats = vec![0.0f32; 3];
    on_every_target(|targets| {
        Constants::over(1)
            .tolerance(0)
            .check(targets, (&mut ints, &mut floats))
            .unwrap();
    });
    assert_eq!(ints, [i32::MIN, i32::MIN, 0, 0, i32::MIN]);
    assert_eq!(floats[..2], [f32::INFINITY, f32::NEG_INFINITY]);
    assert_eq!(floats[2], 1.0f32 / 3.0);
}
