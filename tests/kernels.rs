//! Kernels: one body, three targets, the same results.

mod common;

use common::on_every_target;
use spm::kernel::KernelError;
use spm::prelude::*;

#[pclosure(coarse_list, targets(serial, cores, gpu))]
fn saxpy(ctx: &Ctx, a: f32, xs: &[f32], ys: &mut [f32]) {
    let i = ctx.rank();
    if i < ys.len() {
        ys[i] = a * xs[i] + ys[i];
    }
}

#[pclosure(fine_general, workgroup(64), targets(serial, cores, gpu))]
fn block_sum(ctx: &Ctx, xs: &[f32], sums: &mut [f32]) {
    let tile = ctx.shared::<f32, 64>();
    let r = ctx.rank();
    let i = ctx.group() * ctx.size() + r;
    let mut v = 0.0;
    if i < xs.len() {
        v = xs[i];
    }
    tile[r] = v;
    ctx.barrier();
    let mut stride = ctx.size() / 2;
    while stride > 0 {
        if r < stride {
            tile[r] += tile[r + stride];
        }
        ctx.barrier();
        stride /= 2;
    }
    if r == 0 {
        sums[ctx.group()] = tile[0];
    }
}

#[test]
fn saxpy_agrees_on_every_target() {
    let n = 10_000;
    let xs: Vec<f32> = (0..n).map(|i| i as f32 * 0.5).collect();
    let mut ys: Vec<f32> = (0..n).map(|i| 1.0 / (1.0 + i as f32)).collect();
    let expected: Vec<f32> = xs.iter().zip(&ys).map(|(x, y)| 2.5 * x + y).collect();
    on_every_target(|targets| {
        let report = Saxpy::over(n)
            .tolerance(0)
            .check(targets, (2.5, &xs, &mut ys))
            .unwrap();
        assert_eq!(report.runs.len(), targets.len());
    });
    assert_eq!(ys, expected);
}

#[test]
fn a_work_group_reduction_agrees_on_every_target() {
    let n = 100_000usize;
    let xs: Vec<f32> = (0..n).map(|i| ((i % 7) as f32) * 0.25).collect();
    let groups = n.div_ceil(64);
    let mut sums = vec![0.0f32; groups];
    on_every_target(|targets| {
        BlockSum::groups(groups)
            .tolerance(0)
            .check(targets, (&xs, &mut sums))
            .unwrap();
    });
    let total: f64 = sums.iter().map(|&s| f64::from(s)).sum();
    let expected: f64 = xs.iter().map(|&x| f64::from(x)).sum();
    assert!(
        (total - expected).abs() < 1e-3 * expected,
        "{total} vs {expected}"
    );
}

#[test]
fn an_index_out_of_bounds_is_an_error_naming_the_array() {
    let xs = vec![1.0f32; 10];
    let mut ys = vec![0.0f32; 5];
    let err = Saxpy::over(10).run(&Pool::serial(), (1.0, &xs, &mut ys));
    // saxpy guards with ys.len(), so this is fine...
    assert!(err.is_ok());
    let err = BlockSum::groups(2)
        .run(&Pool::serial(), (&xs, &mut ys[..1]))
        .unwrap_err();
    match err {
        KernelError::OutOfBounds {
            array, index, len, ..
        } => {
            assert_eq!((array, index, len), ("sums", 1, 1));
        }
        other => panic!("{other}"),
    }
}

/// Without a GPU (here: CUDA's devices hidden, and the Vulkan loader pointed at no driver),
/// `Pool::gpu()` is an error that says what each way lacked, never a panic; the CPU targets
/// still run the kernel.
#[test]
fn without_a_gpu_pool_gpu_says_why() {
    if std::env::var_os("SPM_TEST_NO_GPU_CHILD").is_some() {
        let err = Pool::gpu().expect_err("no GPU is visible");
        let KernelError::NoGpu { tried } = &err else {
            panic!("{err}")
        };
        assert_eq!(tried.len(), 2, "{err}");
        assert!(tried[0].starts_with("CUDA: "), "{err}");
        assert!(tried[1].starts_with("Vulkan: "), "{err}");
        let text = err.to_string();
        assert!(text.starts_with("no GPU is available: CUDA: "), "{text}");
        assert!(text.contains("Pool::serial()"), "{text}");
        let mut ys = vec![1.0f32; 3];
        Saxpy::over(3)
            .run(&Pool::serial(), (2.0, &[1.0, 2.0, 3.0], &mut ys))
            .unwrap();
        assert_eq!(ys, [3.0, 5.0, 7.0]);
        return;
    }
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "without_a_gpu_pool_gpu_says_why", "--nocapture"])
        .env("SPM_TEST_NO_GPU_CHILD", "1")
        .env("CUDA_VISIBLE_DEVICES", "")
        .env("VK_ICD_FILENAMES", "/nonexistent/icd.json")
        .env("VK_DRIVER_FILES", "/nonexistent/icd.json")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("1 passed"));
}
