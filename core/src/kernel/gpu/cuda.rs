//! The CUDA backend: NVRTC compiles a kernel's CUDA C to PTX, the driver API runs it.
//!
//! The CUDA libraries are loaded when a backend is first opened, so the program builds and
//! starts on machines without them; their absence is an `Err`, never a panic.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cudarc::driver::sys::{CUdevice_attribute, CUdeviceptr, CUevent_flags};
use cudarc::driver::{
    CudaContext, CudaFunction, CudaSlice, CudaStream, DriverError, LaunchArgs, LaunchConfig,
    PushKernelArg,
};
use cudarc::nvrtc::{CompileError, CompileOptions};

use crate::kernel::arg::Arg;
use crate::kernel::error::KernelError;
use crate::kernel::gpu::backend::{Backend, GpuRun, GpuTimes};
use crate::kernel::spec::{KernelSpec, Param, Scalar};

/// The most blocks a grid's x dimension takes on every device of compute capability 3.0 on.
const MAX_GRID_BLOCKS: u32 = (1 << 31) - 1;

/// One CUDA device, with the kernels compiled for it.
pub(crate) struct CudaBackend {
    ctx: Arc<CudaContext>,
    name: String,
    capability: (i32, i32),
    max_threads_per_block: u32,
    max_shared_bytes: u32,
    /// Blocks per grid; a launch of more work-groups is split into several grids.
    max_grid: u32,
    /// Streaming multiprocessors: a coarse kernel's one grid, which strides over the
    /// invocations, holds as many blocks as they run at once (one full wave).
    multiprocessors: u32,
    /// Compiled kernels, keyed by the address of their `&'static KernelSpec`.
    functions: Mutex<HashMap<usize, CudaFunction>>,
}

impl std::fmt::Debug for CudaBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

/// Why CUDA cannot be used here, if a library it needs is missing. cudarc panics on the first
/// call into a library it cannot load, so this is asked before anything else.
/// Why the CUDA driver cannot be used, if it cannot: cudarc panics on a missing library.
fn driver_missing() -> Option<String> {
    // SAFETY: loading the driver library runs its initialisers, which have no precondition;
    // the handle is dropped at once.
    if !unsafe { cudarc::driver::sys::is_culib_present() } {
        return Some("CUDA: the CUDA driver library (libcuda) was not found".to_string());
    }
    None
}

fn libraries_missing() -> Option<String> {
    if let Some(why) = driver_missing() {
        return Some(why);
    }
    // SAFETY: loading NVRTC runs its initialisers, which have no precondition; the handle is
    // dropped at once.
    if !unsafe { cudarc::nvrtc::sys::is_culib_present() } {
        return Some(
            "CUDA: NVRTC (libnvrtc, the CUDA runtime compiler) was not found; \
             it comes with the CUDA toolkit"
                .to_string(),
        );
    }
    None
}

/// The driver's name and description of an error.
fn driver_message(error: &DriverError) -> String {
    let name = error.error_name().map_or_else(
        |_| format!("{:?}", error.0),
        |name| name.to_string_lossy().into_owned(),
    );
    match error.error_string() {
        Ok(text) => format!("{name}: {}", text.to_string_lossy()),
        Err(_) => name,
    }
}

/// Text of a caught panic's payload.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_string()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "a panic without a message".to_string()
    }
}

/// Number of CUDA devices.
pub(crate) fn device_count() -> Result<usize, String> {
    // Counting devices needs the driver only, not the compiler.
    if let Some(why) = driver_missing() {
        return Err(why);
    }
    catch_unwind(|| {
        CudaContext::device_count()
            .map(|count| usize::try_from(count).unwrap_or(0))
            .map_err(|e| format!("CUDA: the driver failed to start: {}", driver_message(&e)))
    })
    .unwrap_or_else(|payload| Err(format!("CUDA: {}", panic_message(&*payload))))
}

impl CudaBackend {
    /// Opens device `ordinal`, or says why CUDA cannot be used (`CUDA: ...`).
    pub(crate) fn open(ordinal: usize) -> Result<CudaBackend, String> {
        if let Some(why) = libraries_missing() {
            return Err(why);
        }
        // A symbol missing from an old driver makes cudarc panic: a reason, not a crash.
        catch_unwind(|| Self::open_unguarded(ordinal))
            .unwrap_or_else(|payload| Err(format!("CUDA: {}", panic_message(&*payload))))
    }

    fn open_unguarded(ordinal: usize) -> Result<CudaBackend, String> {
        let count = CudaContext::device_count()
            .map_err(|e| format!("CUDA: the driver failed to start: {}", driver_message(&e)))?;
        let count = usize::try_from(count).unwrap_or(0);
        if count == 0 {
            return Err("CUDA: no CUDA device was found".to_string());
        }
        if ordinal >= count {
            return Err(format!(
                "CUDA: there is no device {ordinal}: the driver sees {count}"
            ));
        }
        let fail = |doing: &str, e: DriverError| {
            format!(
                "CUDA: the driver failed while {doing} of device {ordinal}: {}",
                driver_message(&e)
            )
        };
        let ctx = CudaContext::new(ordinal).map_err(|e| fail("creating a context", e))?;
        // SAFETY: every launch puts all its work on a stream of its own and synchronizes it
        // before its buffers are dropped, so the per-buffer events cudarc would otherwise
        // create to order uses across streams are not needed.
        unsafe { ctx.disable_event_tracking() };
        let name = ctx.name().map_err(|e| fail("reading the name", e))?;
        let capability = ctx
            .compute_capability()
            .map_err(|e| fail("reading the compute capability", e))?;
        let attribute = |attribute: CUdevice_attribute, what: &str| {
            ctx.attribute(attribute)
                .map(|value| u32::try_from(value).unwrap_or(0))
                .map_err(|e| fail(what, e))
        };
        let max_threads_per_block = attribute(
            CUdevice_attribute::CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK,
            "reading the largest block",
        )?;
        let max_shared_bytes = attribute(
            CUdevice_attribute::CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK,
            "reading the shared memory per block",
        )?;
        let max_grid = attribute(
            CUdevice_attribute::CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_X,
            "reading the largest grid",
        )?
        .clamp(1, MAX_GRID_BLOCKS);
        let multiprocessors = attribute(
            CUdevice_attribute::CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT,
            "reading the number of multiprocessors",
        )?
        .max(1);
        Ok(CudaBackend {
            ctx,
            name,
            capability,
            max_threads_per_block,
            max_shared_bytes,
            max_grid,
            multiprocessors,
            functions: Mutex::new(HashMap::new()),
        })
    }

    /// The kernel's function, compiled on its first launch.
    fn function(&self, spec: &'static KernelSpec) -> Result<CudaFunction, KernelError> {
        let key = std::ptr::from_ref(spec) as usize;
        // A panic while the lock was held left no half-made entry: the map stays usable.
        let mut functions = self
            .functions
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(function) = functions.get(&key) {
            return Ok(function.clone());
        }
        let doing = format!("compiling kernel `{}` with NVRTC", spec.name);
        let rejected = |log: String| KernelError::Rejected {
            kernel: spec.name,
            target: "CUDA (NVRTC)".to_string(),
            log,
        };
        // cudarc panics on a NUL in the source or the program's name.
        if spec.cuda.contains('\0') || spec.name.contains('\0') {
            return Err(rejected("the source contains a NUL byte".to_string()));
        }
        let (major, minor) = self.capability;
        let options = CompileOptions {
            // Separate roundings, as on the CPU: results agree bit for bit.
            fmad: Some(false),
            options: vec![format!("--gpu-architecture=compute_{major}{minor}")],
            name: Some(format!("{}.cu", spec.name)),
            ..CompileOptions::default()
        };
        let compiled = catch_unwind(|| cudarc::nvrtc::compile_ptx_with_opts(spec.cuda, options))
            .map_err(|payload| KernelError::Device {
                doing: doing.clone(),
                message: panic_message(&*payload),
            })?;
        let ptx = compiled.map_err(|error| match error {
            CompileError::CompileError { log, .. } => rejected(log.to_string_lossy().into_owned()),
            other => KernelError::Device {
                doing: doing.clone(),
                message: format!("{other:?}"),
            },
        })?;
        let device_error = |doing: String| {
            move |e: DriverError| KernelError::Device {
                doing,
                message: driver_message(&e),
            }
        };
        let module = self.ctx.load_module(ptx).map_err(device_error(format!(
            "loading the PTX of kernel `{}`",
            spec.name
        )))?;
        let function = module
            .load_function("spm_main")
            .map_err(device_error(format!(
                "finding `spm_main` in kernel `{}`",
                spec.name
            )))?;
        functions.insert(key, function.clone());
        Ok(function)
    }

    fn launch_unguarded(
        &self,
        spec: &'static KernelSpec,
        groups: u32,
        total: u32,
        args: &mut [Arg<'_>],
    ) -> Result<GpuRun, KernelError> {
        if spec.group_size == 0 || spec.group_size > self.max_threads_per_block {
            return Err(KernelError::GroupTooLarge {
                kernel: spec.name,
                size: spec.group_size,
                limit: self.max_threads_per_block,
                device: self.describe(),
            });
        }
        let shared_bytes: u64 = spec.shared.iter().map(|a| u64::from(a.len) * 4).sum();
        if shared_bytes > u64::from(self.max_shared_bytes) {
            return Err(KernelError::SharedTooLarge {
                kernel: spec.name,
                bytes: u32::try_from(shared_bytes).unwrap_or(u32::MAX),
                limit: self.max_shared_bytes,
                device: self.describe(),
            });
        }
        if args.len() != spec.params.len() {
            return Err(KernelError::Device {
                doing: format!("passing the arguments of kernel `{}`", spec.name),
                message: format!(
                    "{} arguments for {} parameters",
                    args.len(),
                    spec.params.len()
                ),
            });
        }
        for (param, arg) in spec.params.iter().zip(args.iter()) {
            if let Some(len) = arg.slice_len()
                && u32::try_from(len).is_err()
            {
                return Err(KernelError::SliceTooLong {
                    kernel: spec.name,
                    name: param.name(),
                    len,
                });
            }
        }
        let function = self.function(spec)?;

        let fail = |doing: String| {
            move |e: DriverError| KernelError::Device {
                doing,
                message: driver_message(&e),
            }
        };
        let stream = self
            .ctx
            .new_stream()
            .map_err(fail("creating a stream".to_string()))?;

        let started = Instant::now();
        let fault = stream
            .alloc_zeros::<u32>(4)
            .map_err(fail("allocating the fault record".to_string()))?;
        let mut buffers = Vec::with_capacity(args.len());
        for (param, arg) in spec.params.iter().zip(args.iter()) {
            let bytes = match arg {
                Arg::In(buf) => buf.bytes(),
                Arg::Out(buf) => buf.bytes(),
                _ => continue,
            };
            buffers.push(upload(&stream, param.name(), bytes)?);
        }
        stream
            .synchronize()
            .map_err(fail("copying the arguments to the GPU".to_string()))?;
        let upload_time = started.elapsed();

        let words = kernel_words(spec, args, &buffers)?;
        let timing = Some(CUevent_flags::CU_EVENT_DEFAULT);
        let start = stream
            .record_event(timing)
            .map_err(fail("recording the start of the kernel".to_string()))?;
        let fault_ptr: CUdeviceptr = device_ptr(&fault, &stream);
        // A coarse kernel's grid strides over all its invocations (see `KernelSpec`): one
        // wave of as many blocks as the multiprocessors hold at once, for this kernel's
        // registers and shared memory (a second, partial wave would leave most idle).
        let stride_grid = if spec.fine {
            u32::MAX
        } else {
            let resident = function
                .occupancy_max_active_blocks_per_multiprocessor(spec.group_size, 0, None)
                .unwrap_or(1)
                .max(1);
            self.multiprocessors.saturating_mul(resident)
        };
        let mut first = 0u32;
        while first < groups {
            let blocks = (groups - first).min(self.max_grid).min(stride_grid);
            let config = LaunchConfig {
                grid_dim: (blocks, 1, 1),
                block_dim: (spec.group_size, 1, 1),
                // Shared arrays are declared `__shared__` in the source: static, not dynamic.
                shared_mem_bytes: 0,
            };
            let mut builder = stream.launch_builder(&function);
            builder.arg(&first).arg(&total).arg(&fault_ptr);
            for word in &words {
                word.push(&mut builder);
            }
            // SAFETY: the parameters follow the convention the generated `spm_main` is declared
            // with (checked against the spec above); each pointer is to a live allocation of
            // the length passed beside it (at least one element when that length is 0), and
            // the allocations outlive the kernel, as the stream is synchronized before they
            // are dropped.
            unsafe { builder.launch(config) }.map_err(fail(format!(
                "launching kernel `{}` ({blocks} work-groups from {first})",
                spec.name
            )))?;
            if !spec.fine {
                break;
            }
            first += blocks;
        }
        let end = stream
            .record_event(timing)
            .map_err(fail("recording the end of the kernel".to_string()))?;
        // Waits for the kernel; a fault it hit (an illegal address) is reported here.
        let kernel_ms = start
            .elapsed_ms(&end)
            .map_err(fail(format!("running kernel `{}`", spec.name)))?;
        let kernel_time = Duration::from_secs_f64(f64::from(kernel_ms.max(0.0)) / 1000.0);

        let started = Instant::now();
        let mut run = GpuRun::default();
        stream
            .memcpy_dtoh(&fault, &mut run.fault)
            .map_err(fail("copying the fault record from the GPU".to_string()))?;
        let mut buffers = buffers.iter();
        for (param, arg) in spec.params.iter().zip(args.iter_mut()) {
            // One buffer was uploaded per slice, read-only ones included.
            let buffer = match arg {
                Arg::In(_) | Arg::Out(_) => buffers.next(),
                _ => continue,
            };
            let (Arg::Out(buf), Some(buffer)) = (arg, buffer) else {
                continue;
            };
            let host = buf.bytes_mut();
            if host.is_empty() {
                continue;
            }
            stream
                .memcpy_dtoh(&buffer.slice(..host.len()), host)
                .map_err(fail(format!("copying `{}` from the GPU", param.name())))?;
        }
        stream
            .synchronize()
            .map_err(fail("copying the results from the GPU".to_string()))?;
        run.times = GpuTimes {
            upload: upload_time,
            kernel: kernel_time,
            download: started.elapsed(),
        };
        Ok(run)
    }
}

/// Allocates a device copy of a slice argument's bytes (one element for an empty slice, so that
/// the kernel still receives a valid pointer).
fn upload(
    stream: &Arc<CudaStream>,
    name: &str,
    bytes: &[u8],
) -> Result<CudaSlice<u8>, KernelError> {
    let fail = |doing: String| {
        move |e: DriverError| KernelError::Device {
            doing,
            message: driver_message(&e),
        }
    };
    // SAFETY: the allocation is fully overwritten by the copy below before any kernel reads
    // it; an empty slice's single element is never read, as its length is passed as 0.
    let mut buffer = unsafe { stream.alloc::<u8>(bytes.len().max(4)) }.map_err(fail(format!(
        "allocating `{name}` ({} bytes) on the GPU",
        bytes.len()
    )))?;
    if !bytes.is_empty() {
        stream
            .memcpy_htod(bytes, &mut buffer)
            .map_err(fail(format!("copying `{name}` to the GPU")))?;
    }
    Ok(buffer)
}

/// A device allocation's address, to be passed to a kernel by value.
fn device_ptr<T>(buffer: &CudaSlice<T>, stream: &CudaStream) -> CUdeviceptr {
    use cudarc::driver::DevicePtr;
    // Event tracking is off, so the guard returned beside the address records nothing.
    let (ptr, _guard) = buffer.device_ptr(stream);
    ptr
}

/// One kernel parameter after `base`, `total` and the fault record, as the CUDA C declares it.
enum Word {
    Ptr(CUdeviceptr),
    U32(u32),
    I32(i32),
    F32(f32),
}

impl Word {
    fn push<'a>(&'a self, builder: &mut LaunchArgs<'a>) {
        match self {
            Word::Ptr(v) => builder.arg(v),
            Word::U32(v) => builder.arg(v),
            Word::I32(v) => builder.arg(v),
            Word::F32(v) => builder.arg(v),
        };
    }
}

/// The kernel parameters for the arguments: a pointer and a length per slice, the value itself
/// per value.
fn kernel_words(
    spec: &'static KernelSpec,
    args: &[Arg<'_>],
    buffers: &[CudaSlice<u8>],
) -> Result<Vec<Word>, KernelError> {
    let mut words = Vec::with_capacity(args.len() * 2);
    let mut buffers = buffers.iter();
    for (param, arg) in spec.params.iter().zip(args) {
        let mismatch = || KernelError::Device {
            doing: format!("passing the arguments of kernel `{}`", spec.name),
            message: format!(
                "argument `{}` does not match its parameter: {arg:?} for {param:?}",
                param.name()
            ),
        };
        match (param, arg.word(), arg.slice_len()) {
            (Param::Slice { .. }, None, Some(len)) => {
                let buffer = buffers.next().ok_or_else(mismatch)?;
                let stream = buffer.stream();
                words.push(Word::Ptr(device_ptr(buffer, stream)));
                // Checked to fit before anything was uploaded.
                words.push(Word::U32(u32::try_from(len).map_err(|_| mismatch())?));
            }
            (Param::Value { ty, .. }, Some(word), None) => words.push(match ty {
                Scalar::F32 => Word::F32(f32::from_bits(word)),
                Scalar::I32 => Word::I32(word as i32),
                Scalar::U32 | Scalar::Bool => Word::U32(word),
            }),
            _ => return Err(mismatch()),
        }
    }
    Ok(words)
}

impl Backend for CudaBackend {
    fn describe(&self) -> String {
        let (major, minor) = self.capability;
        format!("CUDA: {} (sm_{major}{minor})", self.name)
    }

    fn launch(
        &self,
        spec: &'static KernelSpec,
        groups: u32,
        total: u32,
        args: &mut [Arg<'_>],
    ) -> Result<GpuRun, KernelError> {
        // cudarc panics on a symbol the loaded library lacks: an error, not a crash.
        catch_unwind(AssertUnwindSafe(|| {
            self.launch_unguarded(spec, groups, total, args)
        }))
        .unwrap_or_else(|payload| {
            Err(KernelError::Device {
                doing: format!("running kernel `{}`", spec.name),
                message: panic_message(&*payload),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::arg::{Buf, BufMut};
    use crate::kernel::spec::SharedArray;

    fn _backend_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<CudaBackend>();
    }

    /// The device, or `None` where there is none; with `SPM_REQUIRE_GPU=1`, a missing device
    /// fails the test.
    fn gpu() -> Option<CudaBackend> {
        match CudaBackend::open(0) {
            Ok(backend) => Some(backend),
            Err(why) => {
                assert!(why.starts_with("CUDA: "), "{why}");
                assert!(
                    std::env::var("SPM_REQUIRE_GPU").as_deref() != Ok("1"),
                    "SPM_REQUIRE_GPU=1, but {why}"
                );
                None
            }
        }
    }

    #[test]
    fn open_says_why_or_describes_the_device() {
        match CudaBackend::open(0) {
            Err(why) => {
                assert!(why.starts_with("CUDA: "), "{why}");
                assert!(why.len() > "CUDA: ".len() + 10, "{why}");
                assert!(device_count().is_err() || device_count() == Ok(0));
                assert!(
                    std::env::var("SPM_REQUIRE_GPU").as_deref() != Ok("1"),
                    "SPM_REQUIRE_GPU=1, but {why}"
                );
            }
            Ok(backend) => {
                let described = backend.describe();
                assert!(described.starts_with("CUDA: "), "{described}");
                assert!(described.ends_with(')'), "{described}");
                assert!(device_count().is_ok_and(|n| n >= 1));
                let beyond = device_count().unwrap_or(0);
                let why = CudaBackend::open(beyond).expect_err("no device past the last");
                assert!(why.starts_with("CUDA: "), "{why}");
            }
        }
    }

    static SAXPY: KernelSpec = KernelSpec {
        name: "saxpy",
        path: "tests::saxpy (cuda.rs)",
        params: &[
            Param::Slice {
                name: "xs",
                elem: Scalar::F32,
                writable: false,
                by_rank: false,
            },
            Param::Slice {
                name: "ys",
                elem: Scalar::F32,
                writable: true,
                by_rank: false,
            },
            Param::Value {
                name: "a",
                ty: Scalar::F32,
            },
            Param::Value {
                name: "negate",
                ty: Scalar::Bool,
            },
        ],
        shared: &[],
        group_size: 64,
        cpu_group_size: 64,
        fine: false,
        wgsl: "",
        cuda: r#"
extern "C" __global__ void spm_main(unsigned base, unsigned total, unsigned* fault,
        const float* xs, unsigned xs_len, float* ys, unsigned ys_len, float a, unsigned negate) {
    for (unsigned i = (base + blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += gridDim.x * blockDim.x) {
        if (i >= xs_len || i >= ys_len) {
            if (atomicCAS(&fault[0], 0u, i >= xs_len ? 1u : 2u) == 0u) {
                fault[1] = i;
                fault[2] = i;
            }
            continue;
        }
        float y = a * xs[i] + ys[i];
        ys[i] = negate ? -y : y;
    }
}
"#,
    };

    #[test]
    fn saxpy_strides_over_a_small_grid_and_matches_the_cpu() {
        let Some(mut backend) = gpu() else { return };
        // 16 work-groups of 64 run by one grid of 3 blocks, striding.
        backend.max_grid = 3;
        let n = 1000;
        let xs: Vec<f32> = (0..n).map(|i| i as f32 * 0.37 - 11.0).collect();
        let mut ys: Vec<f32> = (0..n).map(|i| 1.0 / (i as f32 + 1.0)).collect();
        let a = 1.7f32;
        let expected: Vec<f32> = xs.iter().zip(&ys).map(|(x, y)| -(a * x + y)).collect();
        let groups = (n as u32).div_ceil(SAXPY.group_size);
        let mut args = [
            Arg::In(Buf::F32(&xs)),
            Arg::Out(BufMut::F32(&mut ys)),
            Arg::F32(a),
            Arg::Bool(true),
        ];
        let run = backend
            .launch(&SAXPY, groups, n as u32, &mut args)
            .expect("the launch runs");
        assert_eq!(run.fault, [0; 4]);
        let got: Vec<u32> = ys.iter().map(|y| y.to_bits()).collect();
        let want: Vec<u32> = expected.iter().map(|y| y.to_bits()).collect();
        assert_eq!(got, want, "bit for bit, as the CPU computes it");

        // Empty slices still get valid pointers, with length 0.
        let mut empty: Vec<f32> = Vec::new();
        let mut args = [
            Arg::In(Buf::F32(&[])),
            Arg::Out(BufMut::F32(&mut empty)),
            Arg::F32(a),
            Arg::Bool(false),
        ];
        let run = backend
            .launch(&SAXPY, 1, 0, &mut args)
            .expect("an empty launch runs");
        assert_eq!(run.fault, [0; 4]);
    }

    static GROUP_SUMS: KernelSpec = KernelSpec {
        name: "group_sums",
        path: "tests::group_sums (cuda.rs)",
        params: &[
            Param::Slice {
                name: "xs",
                elem: Scalar::U32,
                writable: false,
                by_rank: false,
            },
            Param::Slice {
                name: "sums",
                elem: Scalar::U32,
                writable: true,
                by_rank: false,
            },
        ],
        shared: &[SharedArray {
            name: "partial",
            elem: Scalar::U32,
            len: 128,
        }],
        group_size: 128,
        cpu_group_size: 128,
        fine: true,
        wgsl: "",
        cuda: r#"
extern "C" __global__ void spm_main(unsigned base, unsigned total, unsigned* fault,
        const unsigned* xs, unsigned xs_len, unsigned* sums, unsigned sums_len) {
    __shared__ unsigned partial[128];
    unsigned group = base + blockIdx.x;
    unsigned rank = threadIdx.x;
    if (group >= total) return;
    unsigned i = group * 128u + rank;
    partial[rank] = i < xs_len ? xs[i] : 0u;
    __syncthreads();
    for (unsigned stride = 64u; stride > 0u; stride >>= 1) {
        if (rank < stride) partial[rank] += partial[rank + stride];
        __syncthreads();
    }
    if (rank == 0u) {
        if (group < sums_len) {
            sums[group] = partial[0];
        } else if (atomicCAS(&fault[0], 0u, 2u) == 0u) {
            fault[1] = group;
            fault[2] = group * 128u;
        }
    }
}
"#,
    };

    #[test]
    fn fine_reduction_uses_shared_memory() {
        let Some(mut backend) = gpu() else { return };
        backend.max_grid = 4;
        let groups = 10u32;
        let n = groups as usize * 128 - 37;
        let xs: Vec<u32> = (0..n as u32)
            .map(|i| i.wrapping_mul(2_654_435_761) >> 7)
            .collect();
        let expected: Vec<u32> = xs
            .chunks(128)
            .map(|c| c.iter().fold(0u32, |s, x| s.wrapping_add(*x)))
            .collect();
        let mut sums = vec![u32::MAX; groups as usize];
        let mut args = [Arg::In(Buf::U32(&xs)), Arg::Out(BufMut::U32(&mut sums))];
        let run = backend
            .launch(&GROUP_SUMS, groups, groups, &mut args)
            .expect("the launch runs");
        assert_eq!(run.fault, [0; 4]);
        assert_eq!(sums, expected);
        assert!(run.times.kernel > Duration::ZERO);
    }

    static SHIFT: KernelSpec = KernelSpec {
        name: "shift",
        path: "tests::shift (cuda.rs)",
        params: &[Param::Slice {
            name: "xs",
            elem: Scalar::U32,
            writable: true,
            by_rank: false,
        }],
        shared: &[],
        group_size: 32,
        cpu_group_size: 32,
        fine: false,
        wgsl: "",
        cuda: r#"
extern "C" __global__ void spm_main(unsigned base, unsigned total, unsigned* fault,
        unsigned* xs, unsigned xs_len) {
    unsigned i = (base + blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= total) return;
    unsigned j = i + 1u;
    if (j < xs_len) {
        xs[j] = i;
    } else if (atomicCAS(&fault[0], 0u, 1u) == 0u) {
        fault[1] = j;
        fault[2] = i;
    }
}
"#,
    };

    #[test]
    fn out_of_bounds_write_is_recorded() {
        let Some(backend) = gpu() else { return };
        let n = 100u32;
        let mut xs = vec![0xDEADu32; n as usize];
        let mut args = [Arg::Out(BufMut::U32(&mut xs))];
        let run = backend
            .launch(&SHIFT, n.div_ceil(SHIFT.group_size), n, &mut args)
            .expect("the launch runs");
        assert_eq!(run.fault, [1, 100, 99, 0]);
        assert_eq!(SHIFT.array_name(run.fault[0] - 1), "xs");
        // The writable slice was uploaded: what the kernel did not write is kept.
        assert_eq!(xs[0], 0xDEAD);
        assert!(xs[1..].iter().copied().eq(0..n - 1));
    }

    static BROKEN: KernelSpec = KernelSpec {
        name: "broken",
        path: "tests::broken (cuda.rs)",
        params: &[],
        shared: &[],
        group_size: 32,
        cpu_group_size: 32,
        fine: false,
        wgsl: "",
        cuda: r#"
extern "C" __global__ void spm_main(unsigned base, unsigned total, unsigned* fault) {
    this is not CUDA C;
}
"#,
    };

    #[test]
    fn source_that_does_not_compile_is_rejected() {
        let Some(backend) = gpu() else { return };
        match backend.launch(&BROKEN, 1, 1, &mut []) {
            Err(KernelError::Rejected {
                kernel,
                target,
                log,
            }) => {
                assert_eq!(kernel, "broken");
                assert_eq!(target, "CUDA (NVRTC)");
                assert!(log.contains("error"), "{log}");
            }
            other => panic!("expected Rejected, got {other:?}"),
        }
    }

    static HUGE_GROUP: KernelSpec = KernelSpec {
        name: "huge_group",
        path: "tests::huge_group (cuda.rs)",
        params: &[],
        shared: &[],
        group_size: 1 << 20,
        cpu_group_size: 1 << 20,
        fine: false,
        wgsl: "",
        cuda: "",
    };

    static HUGE_SHARED: KernelSpec = KernelSpec {
        name: "huge_shared",
        path: "tests::huge_shared (cuda.rs)",
        params: &[],
        shared: &[SharedArray {
            name: "big",
            elem: Scalar::F32,
            len: 1 << 24,
        }],
        group_size: 32,
        cpu_group_size: 32,
        fine: true,
        wgsl: "",
        cuda: "",
    };

    #[test]
    fn limits_are_checked_before_compiling() {
        let Some(backend) = gpu() else { return };
        assert!(matches!(
            backend.launch(&HUGE_GROUP, 1, 1, &mut []),
            Err(KernelError::GroupTooLarge { size, .. }) if size == 1 << 20
        ));
        assert!(matches!(
            backend.launch(&HUGE_SHARED, 1, 1, &mut []),
            Err(KernelError::SharedTooLarge { bytes, .. }) if bytes == 1 << 26
        ));
    }
}
