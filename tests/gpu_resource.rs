//! GPUs as a resource of list tasks: each spoke holds one, a task sees it, and the external
//! programs it starts see that device alone.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use spm::prelude::*;

const VISIBLE: &str = "CUDA_VISIBLE_DEVICES";

/// One time origin for every task of this test binary (on threads), in microseconds.
fn now_us() -> u64 {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    let epoch = *EPOCH.get_or_init(Instant::now);
    u64::try_from(epoch.elapsed().as_micros()).unwrap_or(u64::MAX)
}

/// What this process's environment says of the devices, as `sh` would print it.
fn inherited() -> String {
    std::env::var(VISIBLE).unwrap_or_default()
}

#[pclosure(coarse_list)]
fn occupy(ctx: &Ctx, millis: u64) -> Result<(Option<u32>, u64, u64), TaskError> {
    let start = now_us();
    std::thread::sleep(Duration::from_millis(millis));
    Ok((ctx.gpu(), start, now_us()))
}

#[test]
fn each_gpu_runs_one_task_at_a_time() {
    let mut pool = Pool::threads(2).with_gpus([3, 5]);
    let runs = Occupy::list((0..20).map(|_| Occupy::new(10)))
        .eval(&mut pool)
        .unwrap()
        .into_results()
        .unwrap();
    let mut per_gpu: BTreeMap<u32, Vec<(u64, u64)>> = BTreeMap::new();
    for (gpu, start, end) in runs {
        let gpu = gpu.expect("every task of the pool sees a GPU");
        assert!(gpu == 3 || gpu == 5, "GPU {gpu}");
        per_gpu.entry(gpu).or_default().push((start, end));
    }
    assert_eq!(
        per_gpu.keys().copied().collect::<Vec<_>>(),
        [3, 5],
        "both spokes worked"
    );
    for (gpu, mut spans) in per_gpu {
        spans.sort_unstable();
        for pair in spans.windows(2) {
            assert!(
                pair[0].1 <= pair[1].0,
                "two tasks ran on GPU {gpu} at once: {:?} and {:?}",
                pair[0],
                pair[1]
            );
        }
    }
}

#[pclosure(coarse_list)]
fn which_gpu(ctx: &Ctx) -> Result<Option<u32>, TaskError> {
    Ok(ctx.gpu())
}

#[test]
fn spokes_take_the_gpus_in_turn_on_every_pool() {
    let seen = |mut pool: Pool, tasks: usize| -> BTreeSet<Option<u32>> {
        WhichGpu::list((0..tasks).map(|_| WhichGpu::new()))
            .eval(&mut pool)
            .unwrap()
            .into_results()
            .unwrap()
            .into_iter()
            .collect()
    };
    // One spoke, spoke 0: the first GPU.
    assert_eq!(
        seen(Pool::serial().with_gpus([2, 4]), 3),
        BTreeSet::from([Some(2)])
    );
    // More spokes than GPUs: they share them, in turn.
    assert_eq!(
        seen(Pool::threads(3).with_gpus([7]), 6),
        BTreeSet::from([Some(7)])
    );
    assert_eq!(
        seen(Pool::threads(2).with_gpus([]), 4),
        BTreeSet::from([None])
    );
    assert_eq!(seen(Pool::threads(2), 4), BTreeSet::from([None]));
}

#[pclosure(coarse_singleton)]
fn singleton_gpu(ctx: &Ctx) -> Result<Option<u32>, TaskError> {
    Ok(ctx.gpu())
}

#[pclosure(fine_general)]
fn member_gpu(ctx: &Ctx) -> Result<(usize, Option<u32>), TaskError> {
    ctx.barrier()?;
    Ok((ctx.rank(), ctx.gpu()))
}

#[test]
fn every_policy_may_ask_for_its_gpu() {
    let mut pool = Pool::threads(2).with_gpus([6, 8]);
    let single = SingletonGpu::new()
        .singleton()
        .eval(&mut pool)
        .unwrap()
        .into_value()
        .unwrap();
    assert!(matches!(single, Some(6 | 8)), "{single:?}");
    // A gang's member `r` runs on spoke `r`.
    let members = MemberGpu::gang(2, |_| MemberGpu::new())
        .eval(&mut pool)
        .unwrap()
        .into_results()
        .unwrap();
    assert_eq!(members, [(0, Some(6)), (1, Some(8))]);
}

/// What a task on a spoke sees of its device: `ctx.gpu()`, what a command it starts sees
/// (with `explicit` set by the command itself, if given), and the spoke's own environment.
#[pclosure(coarse_list)]
fn device_view(
    ctx: &Ctx,
    explicit: Option<String>,
) -> Result<(Option<u32>, String, Option<String>), TaskError> {
    let mut command = ctx
        .coprocess("sh")
        .args(["-c", "echo \"$CUDA_VISIBLE_DEVICES\""]);
    if let Some(devices) = &explicit {
        command = command.env(VISIBLE, devices);
    }
    let output = command.run()?;
    Ok((
        ctx.gpu(),
        output.stdout_text().trim_end().to_owned(),
        std::env::var(VISIBLE).ok(),
    ))
}

#[test]
fn process_spokes_and_their_commands_see_their_gpu_alone() {
    let mut pool = Pool::processes(2).with_gpus([0, 1]);
    let views = DeviceView::list((0..8).map(|_| DeviceView::new(None)))
        .eval(&mut pool)
        .unwrap()
        .into_results()
        .unwrap();
    let mut gpus = BTreeSet::new();
    for (gpu, command, spoke) in views {
        let gpu = gpu.expect("a spoke of the pool holds a GPU");
        assert_eq!(
            command,
            gpu.to_string(),
            "the command's CUDA_VISIBLE_DEVICES"
        );
        assert_eq!(
            spoke,
            Some(gpu.to_string()),
            "the spoke's own CUDA_VISIBLE_DEVICES"
        );
        gpus.insert(gpu);
    }
    assert!(gpus.is_subset(&BTreeSet::from([0, 1])), "{gpus:?}");

    // A command that names its devices itself is obeyed.
    let views = DeviceView::list([DeviceView::new(Some("7".into()))])
        .eval(&mut pool)
        .unwrap()
        .into_results()
        .unwrap();
    let (gpu, command, _) = &views[0];
    assert!(gpu.is_some());
    assert_eq!(command, "7");
}

#[test]
fn commands_on_threads_see_the_gpu_and_an_explicit_choice_wins() {
    let mut pool = Pool::threads(2).with_gpus([4, 9]);
    let views = DeviceView::list([DeviceView::new(None), DeviceView::new(Some("7".into()))])
        .eval(&mut pool)
        .unwrap()
        .into_results()
        .unwrap();
    let (gpu, command, _) = &views[0];
    assert_eq!(Some(command.clone()), gpu.map(|g| g.to_string()));
    assert_eq!(views[1].1, "7");
}

#[test]
fn without_gpus_spm_sets_no_device() {
    for mut pool in [Pool::threads(1), Pool::processes(1)] {
        let views = DeviceView::list([DeviceView::new(None)])
            .eval(&mut pool)
            .unwrap()
            .into_results()
            .unwrap();
        let (gpu, command, spoke) = &views[0];
        assert_eq!(*gpu, None, "{pool}");
        // Whatever this process had, and nothing of spm's.
        assert_eq!(*command, inherited(), "{pool}");
        assert_eq!(*spoke, std::env::var(VISIBLE).ok(), "{pool}");
    }
}

#[test]
fn spokes_running_before_with_gpus_start_again_holding_their_gpu() {
    let mut pool = Pool::processes(1);
    let before = DeviceView::list([DeviceView::new(None)])
        .eval(&mut pool)
        .unwrap()
        .into_value()
        .unwrap();
    assert_eq!(before.2, std::env::var(VISIBLE).ok());
    let mut pool = pool.with_gpus([2]);
    let after = DeviceView::list([DeviceView::new(None)])
        .eval(&mut pool)
        .unwrap()
        .into_value()
        .unwrap();
    assert_eq!(after, (Some(2), "2".into(), Some("2".into())));
}

/// Crashes its spoke on its first attempt; then says what its (new) spoke holds.
#[pclosure(coarse_list)]
fn crash_once(ctx: &Ctx) -> Result<(Option<u32>, Option<String>), TaskError> {
    if ctx.attempt() == 0 {
        std::process::exit(3);
    }
    Ok((ctx.gpu(), std::env::var(VISIBLE).ok()))
}

#[test]
fn a_spoke_that_replaces_a_crashed_one_keeps_its_gpu() {
    let report = CrashOnce::list([CrashOnce::new()])
        .retries(1)
        .eval(&mut Pool::processes(1).with_gpus([4]))
        .unwrap();
    assert_eq!(report.records()[0].attempts(), 2, "{report}");
    assert_eq!(report.into_value().unwrap(), (Some(4), Some("4".into())));
}

#[test]
fn a_pool_names_its_gpus() {
    let pool = Pool::processes(2).with_gpus([0, 1]);
    assert_eq!(pool.to_string(), "Pool::processes(2).with_gpus([0, 1])");
    assert_eq!(format!("{pool:?}"), "Pool::processes(2).with_gpus([0, 1])");
    assert_eq!(
        Pool::threads(3).with_gpus([5]).to_string(),
        "Pool::threads(3).with_gpus([5])"
    );
    assert_eq!(Pool::serial().with_gpus([]).to_string(), "Pool::serial()");
}

/// On a spoke of `Pool::per_gpu()`: its GPU, and whether its CUDA sees exactly one device.
#[pclosure(coarse_list)]
fn cuda_view(ctx: &Ctx) -> Result<(Option<u32>, bool), TaskError> {
    let alone = Pool::gpu_cuda(0).is_ok() && Pool::gpu_cuda(1).is_err();
    Ok((ctx.gpu(), alone))
}

#[test]
fn per_gpu_needs_cuda() {
    match Pool::per_gpu() {
        Err(error @ KernelError::NoGpu { .. }) => {
            let text = error.to_string();
            assert!(text.contains("CUDA"), "{text}");
        }
        Err(other) => panic!("not NoGpu: {other}"),
        // A machine with CUDA devices: one spoke process per device, holding it.
        Ok(pool) => {
            let text = pool.to_string();
            let count = pool.size();
            assert!(count >= 1);
            let gpus: Vec<String> = (0..count).map(|g| g.to_string()).collect();
            assert_eq!(
                text,
                format!("Pool::processes({count}).with_gpus([{}])", gpus.join(", "))
            );
            let mut pool = pool;
            let views = CudaView::list((0..count).map(|_| CudaView::new()))
                .eval(&mut pool)
                .unwrap()
                .into_results()
                .unwrap();
            for (gpu, alone) in views {
                assert!(gpu.is_some_and(|g| (g as usize) < count), "{gpu:?}");
                assert!(alone, "the spoke of GPU {gpu:?} sees other devices");
            }
        }
    }
}
