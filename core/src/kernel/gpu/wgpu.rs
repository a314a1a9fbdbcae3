//! The wgpu backend: kernels' WGSL run on a Vulkan device.
//!
//! A launch uploads every slice argument into its own storage buffer, records one dispatch per
//! run of at most `max_compute_workgroups_per_dimension` work-groups (each reading its own
//! `spm_launch` block at a dynamic offset of one uniform buffer), then copies the writable
//! slices and the fault record back. The binding layout follows the convention of
//! [`KernelSpec`].

use std::collections::HashMap;
use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::kernel::arg::Arg;
use crate::kernel::error::KernelError;
use crate::kernel::gpu::backend::{Backend, GpuRun, GpuTimes};
use crate::kernel::spec::{KernelSpec, Param};

/// Bytes of the fault record: four `u32`.
const FAULT_BYTES: u64 = 16;

/// A Vulkan device opened through wgpu, and the kernels compiled for it.
pub(crate) struct WgpuBackend {
    device: wgpu::Device,
    queue: wgpu::Queue,
    limits: wgpu::Limits,
    /// `Vulkan: <adapter name>`.
    name: String,
    /// Compiled kernels, keyed by the address of their `&'static KernelSpec`.
    kernels: Mutex<HashMap<usize, Arc<Compiled>>>,
    /// The last error no error scope caught, to explain a failure that shows up later.
    uncaptured: Arc<Mutex<Option<String>>>,
}

/// A kernel's pipeline and the layout its bind group follows.
struct Compiled {
    layout: wgpu::BindGroupLayout,
    pipeline: wgpu::ComputePipeline,
}

/// One slice argument on the device.
struct DeviceSlice {
    name: &'static str,
    buffer: wgpu::Buffer,
    /// Bytes of the argument itself (0 for an empty slice, whose buffer is a 4-byte dummy).
    bytes: u64,
    /// Where the result is read back, for a writable, non-empty slice.
    staging: Option<wgpu::Buffer>,
}

impl WgpuBackend {
    /// Opens the best Vulkan adapter: a discrete GPU, else an integrated one, else any other
    /// (a CPU implementation last). The device gets the adapter's own limits, so that the
    /// largest buffers and work-groups it supports are available.
    pub(crate) fn open() -> Result<WgpuBackend, String> {
        // Where wgpu has no Vulkan support (macOS), creating an instance would panic.
        if !wgpu::Instance::enabled_backend_features().contains(wgpu::Backends::VULKAN) {
            return Err("Vulkan: not supported on this platform".to_string());
        }
        let mut descriptor = wgpu::InstanceDescriptor::new_without_display_handle();
        descriptor.backends = wgpu::Backends::VULKAN;
        // No validation layers unless asked for through wgpu's environment variables: they slow
        // every call and are seldom installed.
        descriptor.flags = wgpu::InstanceFlags::empty().with_env();
        let instance = wgpu::Instance::new(descriptor);

        let adapters = pollster::block_on(instance.enumerate_adapters(wgpu::Backends::VULKAN));
        let adapter = adapters
            .into_iter()
            .min_by_key(|adapter| preference(adapter.get_info().device_type))
            .ok_or_else(|| {
                "Vulkan: no adapter found (no Vulkan driver is installed, or none sees a device)"
                    .to_string()
            })?;
        let info = adapter.get_info();
        let limits = adapter.limits();
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("spm"),
            required_limits: limits.clone(),
            ..Default::default()
        }))
        .map_err(|e| format!("Vulkan: {} refused to open a device: {e}", info.name))?;

        // wgpu's default handler panics; errors are caught by scopes around each call instead,
        // and whatever escapes them is kept to explain a later failure.
        let uncaptured = Arc::new(Mutex::new(None));
        let slot = Arc::clone(&uncaptured);
        device.on_uncaptured_error(Arc::new(move |error: wgpu::Error| {
            *slot.lock().unwrap_or_else(PoisonError::into_inner) = Some(error.to_string());
        }));

        Ok(WgpuBackend {
            device,
            queue,
            limits,
            name: format!("Vulkan: {}", info.name),
            kernels: Mutex::new(HashMap::new()),
            uncaptured,
        })
    }

    /// The device's limits, as the device was opened with.
    #[cfg(test)]
    fn limits(&self) -> &wgpu::Limits {
        &self.limits
    }

    /// Checks the work-group of `spec` against the device's limits.
    fn check_group(&self, spec: &'static KernelSpec) -> Result<(), KernelError> {
        let limit = self
            .limits
            .max_compute_invocations_per_workgroup
            .min(self.limits.max_compute_workgroup_size_x);
        if spec.group_size > limit {
            return Err(KernelError::GroupTooLarge {
                kernel: spec.name,
                size: spec.group_size,
                limit,
                device: self.describe(),
            });
        }
        let bytes: u64 = spec.shared.iter().map(|s| u64::from(s.len) * 4).sum();
        let limit = self.limits.max_compute_workgroup_storage_size;
        if bytes > u64::from(limit) {
            return Err(KernelError::SharedTooLarge {
                kernel: spec.name,
                bytes: u32::try_from(bytes).unwrap_or(u32::MAX),
                limit,
                device: self.describe(),
            });
        }
        Ok(())
    }

    /// The compiled kernel of `spec`, compiling it on its first launch.
    fn compiled(&self, spec: &'static KernelSpec) -> Result<Arc<Compiled>, KernelError> {
        let key = std::ptr::from_ref(spec) as usize;
        // Compiling under the lock keeps two threads from compiling the same kernel twice.
        let mut kernels = self.kernels.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(compiled) = kernels.get(&key) {
            return Ok(Arc::clone(compiled));
        }
        let compiled = Arc::new(self.compile(spec)?);
        kernels.insert(key, Arc::clone(&compiled));
        Ok(compiled)
    }

    fn compile(&self, spec: &'static KernelSpec) -> Result<Compiled, KernelError> {
        let writable: Vec<bool> = spec
            .params
            .iter()
            .filter_map(|param| match param {
                Param::Slice { writable, .. } => Some(*writable),
                Param::Value { .. } => None,
            })
            .collect();
        // The slices and the fault record are storage buffers.
        let storage = writable.len() + 1;
        let limit = self.limits.max_storage_buffers_per_shader_stage as usize;
        if storage > limit {
            return Err(KernelError::Device {
                doing: format!("preparing kernel `{}`", spec.name),
                message: format!(
                    "it takes {} slices, but {} binds at most {limit} storage buffers to a kernel, \
                     one of which holds the fault record",
                    writable.len(),
                    self.describe()
                ),
            });
        }

        let slices = u32::try_from(writable.len()).expect("checked against a u32 limit above");
        let storage_entry = |binding: u32, read_only: bool| wgpu::BindGroupLayoutEntry {
            binding,
            visibility: wgpu::ShaderStages::COMPUTE,
            ty: wgpu::BindingType::Buffer {
                ty: wgpu::BufferBindingType::Storage { read_only },
                has_dynamic_offset: false,
                min_binding_size: None,
            },
            count: None,
        };
        let mut entries: Vec<wgpu::BindGroupLayoutEntry> = (0..slices)
            .zip(&writable)
            .map(|(binding, writable)| storage_entry(binding, !writable))
            .collect();
        entries.push(wgpu::BindGroupLayoutEntry {
            binding: slices,
            visibility: wgpu::ShaderStages::COMPUTE,
            ty: wgpu::BindingType::Buffer {
                ty: wgpu::BufferBindingType::Uniform,
                has_dynamic_offset: true,
                min_binding_size: None,
            },
            count: None,
        });
        entries.push(storage_entry(slices + 1, false));

        // The layout follows the spec's parameters, so a mismatch with the WGSL's declarations
        // is a defect of the generated code, reported with the compiler's.
        let scope = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let layout = self
            .device
            .create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
                label: Some(spec.name),
                entries: &entries,
            });
        let pipeline_layout = self
            .device
            .create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
                label: Some(spec.name),
                bind_group_layouts: &[Some(&layout)],
                immediate_size: 0,
            });
        let module = self
            .device
            .create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some(spec.name),
                source: wgpu::ShaderSource::Wgsl(spec.wgsl.into()),
            });
        let pipeline = self
            .device
            .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(spec.name),
                layout: Some(&pipeline_layout),
                module: &module,
                entry_point: Some("spm_main"),
                compilation_options: wgpu::PipelineCompilationOptions::default(),
                cache: None,
            });
        match pollster::block_on(scope.pop()) {
            None => Ok(Compiled { layout, pipeline }),
            Some(error) => Err(KernelError::Rejected {
                kernel: spec.name,
                target: "WGSL (wgpu)".to_string(),
                log: error.to_string(),
            }),
        }
    }

    /// Runs `f`, turning any error the device reports meanwhile into a `KernelError::Device`
    /// about `doing`.
    fn guarded<T>(
        &self,
        doing: impl FnOnce() -> String,
        f: impl FnOnce() -> Result<T, KernelError>,
    ) -> Result<T, KernelError> {
        let scopes = [
            wgpu::ErrorFilter::Validation,
            wgpu::ErrorFilter::OutOfMemory,
            wgpu::ErrorFilter::Internal,
        ]
        .map(|filter| self.device.push_error_scope(filter));
        let result = f();
        // Scopes are popped innermost first.
        let mut caught = None;
        for scope in scopes.into_iter().rev() {
            if let Some(error) = pollster::block_on(scope.pop()) {
                caught.get_or_insert(error.to_string());
            }
        }
        match (result, caught) {
            (Err(error), _) => Err(error),
            (Ok(_), Some(message)) => Err(KernelError::Device {
                doing: doing(),
                message,
            }),
            (Ok(value), None) => Ok(value),
        }
    }

    /// Waits until the device has done all the work submitted.
    fn wait(&self, doing: impl FnOnce() -> String) -> Result<(), KernelError> {
        match self.device.poll(wgpu::PollType::wait_indefinitely()) {
            Ok(_) => Ok(()),
            Err(error) => Err(KernelError::Device {
                doing: doing(),
                message: self.explain(error.to_string()),
            }),
        }
    }

    /// The next result of a buffer mapping. A mapping's callback runs in whichever thread polls
    /// the device, so after this thread's wait it may still be on its way from another one.
    fn next_mapping(
        &self,
        receiver: &mpsc::Receiver<Result<(), wgpu::BufferAsyncError>>,
    ) -> Result<Result<(), wgpu::BufferAsyncError>, String> {
        const PATIENCE: Duration = Duration::from_secs(60);
        let started = Instant::now();
        loop {
            match receiver.recv_timeout(Duration::from_millis(1)) {
                Ok(result) => return Ok(result),
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    return Err("a buffer mapping was dropped without a result".to_string());
                }
                Err(mpsc::RecvTimeoutError::Timeout) if started.elapsed() > PATIENCE => {
                    return Err(format!(
                        "a buffer was still not readable {} s after the device finished",
                        PATIENCE.as_secs()
                    ));
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    self.device
                        .poll(wgpu::PollType::wait_indefinitely())
                        .map_err(|error| error.to_string())?;
                }
            }
        }
    }

    /// `message`, followed by the last error no scope caught, if any.
    fn explain(&self, message: String) -> String {
        let uncaptured = self
            .uncaptured
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        match uncaptured {
            Some(earlier) => format!("{message} (earlier: {earlier})"),
            None => message,
        }
    }

    /// Checks that a buffer of `bytes` for `name` fits the device's limits.
    fn check_size(&self, kernel: &str, name: &str, bytes: u64) -> Result<(), KernelError> {
        check_size(&self.limits, &self.describe(), kernel, name, bytes)
    }

    /// A launch, split into dispatches of at most `per_dispatch` work-groups.
    fn run(
        &self,
        spec: &'static KernelSpec,
        groups: u32,
        total: u32,
        args: &mut [Arg<'_>],
        per_dispatch: u32,
    ) -> Result<GpuRun, KernelError> {
        self.check_group(spec)?;
        check_args(spec, args)?;
        let compiled = self.compiled(spec)?;
        let per_dispatch = per_dispatch.max(1);
        let dispatches = groups.div_ceil(per_dispatch);

        // Upload: the buffers, the launch blocks and the fault record, waited for so that the
        // kernel's time is its own.
        let started = Instant::now();
        let (slices, uniform, fault, fault_staging, bind_group, stride) = self.guarded(
            || format!("copying the arguments of kernel `{}` to the GPU", spec.name),
            || {
                let slices = self.upload_slices(spec, args)?;
                let (uniform, block, stride) =
                    self.upload_launch_blocks(spec, args, total, dispatches, per_dispatch)?;
                let fault = self.device.create_buffer(&wgpu::BufferDescriptor {
                    label: Some("spm_fault"),
                    size: FAULT_BYTES,
                    usage: wgpu::BufferUsages::STORAGE
                        | wgpu::BufferUsages::COPY_SRC
                        | wgpu::BufferUsages::COPY_DST,
                    mapped_at_creation: false,
                });
                self.queue
                    .write_buffer(&fault, 0, &[0; FAULT_BYTES as usize]);
                let fault_staging = self.staging(FAULT_BYTES);

                let mut entries: Vec<wgpu::BindGroupEntry> = slices
                    .iter()
                    .zip(0..)
                    .map(|(slice, binding)| wgpu::BindGroupEntry {
                        binding,
                        resource: slice.buffer.as_entire_binding(),
                    })
                    .collect();
                let binding = u32::try_from(slices.len()).expect("fewer slices than a u32 counts");
                entries.push(wgpu::BindGroupEntry {
                    binding,
                    resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                        buffer: &uniform,
                        offset: 0,
                        size: wgpu::BufferSize::new(block),
                    }),
                });
                entries.push(wgpu::BindGroupEntry {
                    binding: binding + 1,
                    resource: fault.as_entire_binding(),
                });
                let bind_group = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
                    label: Some(spec.name),
                    layout: &compiled.layout,
                    entries: &entries,
                });
                // Pending writes go out with the next submission: an empty one flushes them.
                self.queue.submit(std::iter::empty());
                Ok((slices, uniform, fault, fault_staging, bind_group, stride))
            },
        )?;
        self.wait(|| format!("copying the arguments of kernel `{}` to the GPU", spec.name))?;
        let upload = started.elapsed();

        // Kernel: every dispatch in one pass, one submission.
        let started = Instant::now();
        let running = || format!("running kernel `{}`", spec.name);
        self.guarded(running, || {
            let mut encoder = self
                .device
                .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                    label: Some(spec.name),
                });
            {
                let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                    label: Some(spec.name),
                    timestamp_writes: None,
                });
                pass.set_pipeline(&compiled.pipeline);
                for dispatch in 0..dispatches {
                    let offset = u64::from(dispatch) * stride;
                    let offset = u32::try_from(offset).map_err(|_| KernelError::Device {
                        doing: running(),
                        message: format!(
                            "{dispatches} dispatches need launch blocks beyond the 4 GiB a \
                             dynamic offset reaches"
                        ),
                    })?;
                    pass.set_bind_group(0, &bind_group, &[offset]);
                    let count = per_dispatch.min(groups - dispatch * per_dispatch);
                    pass.dispatch_workgroups(count, 1, 1);
                }
            }
            self.queue.submit([encoder.finish()]);
            Ok(())
        })?;
        self.wait(running)?;
        let kernel = started.elapsed();
        drop((uniform, bind_group));

        // Download: the writable slices and the fault record.
        let started = Instant::now();
        let fault = self.download(spec, args, &slices, &fault, &fault_staging)?;
        let download = started.elapsed();

        Ok(GpuRun {
            times: GpuTimes {
                upload,
                kernel,
                download,
            },
            fault,
        })
    }

    /// One storage buffer per slice argument, holding its elements.
    fn upload_slices(
        &self,
        spec: &'static KernelSpec,
        args: &[Arg<'_>],
    ) -> Result<Vec<DeviceSlice>, KernelError> {
        let mut slices = Vec::new();
        for (param, arg) in spec.params.iter().zip(args.iter()) {
            let (data, writable) = match arg {
                Arg::In(buf) => (buf.bytes(), false),
                Arg::Out(buf) => (buf.bytes(), true),
                _ => continue,
            };
            let name = param.name();
            let bytes = data.len() as u64;
            self.check_size(spec.name, name, bytes)?;
            // wgpu binds no empty buffer: an empty slice gets a dummy word, its length 0 being
            // in the launch block.
            let size = bytes.max(4);
            let mut usage = wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST;
            if writable {
                usage |= wgpu::BufferUsages::COPY_SRC;
            }
            let buffer = self.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(name),
                size,
                usage,
                mapped_at_creation: false,
            });
            if bytes > 0 {
                // A writable slice is uploaded too: a kernel may read it before writing it.
                self.queue.write_buffer(&buffer, 0, data);
            }
            let staging = (writable && bytes > 0).then(|| self.staging(bytes));
            slices.push(DeviceSlice {
                name,
                buffer,
                bytes,
                staging,
            });
        }
        Ok(slices)
    }

    /// The uniform buffer holding each dispatch's `spm_launch` block, one every `stride` bytes.
    /// Returns it, the block's size and the stride.
    fn upload_launch_blocks(
        &self,
        spec: &'static KernelSpec,
        args: &[Arg<'_>],
        total: u32,
        dispatches: u32,
        per_dispatch: u32,
    ) -> Result<(wgpu::Buffer, u64, u64), KernelError> {
        // base, total, then the slices' lengths, then the values.
        let mut words = vec![0, total];
        for (param, arg) in spec.params.iter().zip(args.iter()) {
            if let Some(len) = arg.slice_len() {
                let len = u32::try_from(len).map_err(|_| KernelError::SliceTooLong {
                    kernel: spec.name,
                    name: param.name(),
                    len,
                })?;
                words.push(len);
            }
        }
        words.extend(args.iter().filter_map(Arg::word));
        words.resize(words.len().next_multiple_of(4), 0);

        let block = 4 * words.len() as u64;
        let doing = || format!("preparing the launch of kernel `{}`", spec.name);
        if block > self.limits.max_uniform_buffer_binding_size {
            return Err(KernelError::Device {
                doing: doing(),
                message: format!(
                    "its launch block takes {block} bytes, but {} binds at most {} bytes of \
                     uniform data",
                    self.describe(),
                    self.limits.max_uniform_buffer_binding_size
                ),
            });
        }
        let stride = block.next_multiple_of(u64::from(
            self.limits.min_uniform_buffer_offset_alignment.max(4),
        ));
        let size = stride * u64::from(dispatches.max(1) - 1) + block;
        if size > self.limits.max_buffer_size {
            return Err(KernelError::Device {
                doing: doing(),
                message: format!(
                    "its {dispatches} dispatches need {size} bytes of launch blocks, but {} \
                     allocates at most {} bytes at once",
                    self.describe(),
                    self.limits.max_buffer_size
                ),
            });
        }

        let mut bytes = vec![
            0u8;
            usize::try_from(size).map_err(|_| KernelError::Device {
                doing: doing(),
                message: format!("{size} bytes of launch blocks do not fit this machine's memory"),
            })?
        ];
        let stride_bytes = usize::try_from(stride).expect("the stride divides the buffer's size");
        for dispatch in 0..dispatches.max(1) {
            words[0] = dispatch * per_dispatch;
            let start = dispatch as usize * stride_bytes;
            for (word, chunk) in words
                .iter()
                .zip(bytes[start..start + block as usize].chunks_exact_mut(4))
            {
                chunk.copy_from_slice(&word.to_le_bytes());
            }
        }
        let buffer = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("spm_launch"),
            size,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        self.queue.write_buffer(&buffer, 0, &bytes);
        Ok((buffer, block, stride))
    }

    /// A buffer the host can map to read `bytes` back.
    fn staging(&self, bytes: u64) -> wgpu::Buffer {
        self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("spm readback"),
            size: bytes,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        })
    }

    /// Copies the writable slices back into `args`, and returns the fault record.
    fn download(
        &self,
        spec: &'static KernelSpec,
        args: &mut [Arg<'_>],
        slices: &[DeviceSlice],
        fault: &wgpu::Buffer,
        fault_staging: &wgpu::Buffer,
    ) -> Result<[u32; 4], KernelError> {
        let doing = || format!("copying the results of kernel `{}` back", spec.name);
        let receiver = self.guarded(doing, || {
            let mut encoder = self
                .device
                .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                    label: Some("spm readback"),
                });
            let readbacks = slices
                .iter()
                .filter_map(|slice| Some((&slice.buffer, slice.staging.as_ref()?, slice.bytes)))
                .chain([(fault, fault_staging, FAULT_BYTES)]);
            let (sender, receiver) = mpsc::channel();
            let mut count = 0;
            for (buffer, staging, bytes) in readbacks.clone() {
                encoder.copy_buffer_to_buffer(buffer, 0, staging, 0, bytes);
            }
            self.queue.submit([encoder.finish()]);
            for (_, staging, _) in readbacks {
                let sender = sender.clone();
                staging.map_async(wgpu::MapMode::Read, .., move |result| {
                    // The receiver outlives the wait below; a send can only fail after it.
                    let _ = sender.send(result);
                });
                count += 1;
            }
            Ok((receiver, count))
        })?;
        self.wait(doing)?;
        let (receiver, count) = receiver;
        for _ in 0..count {
            let mapped = self
                .next_mapping(&receiver)
                .map_err(|message| KernelError::Device {
                    doing: doing(),
                    message: self.explain(message),
                })?;
            mapped.map_err(|error| KernelError::Device {
                doing: doing(),
                message: self.explain(error.to_string()),
            })?;
        }

        let mut staged = slices.iter().filter(|slice| slice.staging.is_some());
        for arg in args.iter_mut() {
            let Arg::Out(buf) = arg else { continue };
            if buf.is_empty() {
                continue;
            }
            let slice = staged
                .next()
                .expect("one staging buffer per non-empty writable slice");
            let staging = slice.staging.as_ref().expect("filtered on staging buffers");
            read_mapped(staging, buf.bytes_mut()).map_err(|message| KernelError::Device {
                doing: format!("copying `{}` of kernel `{}` back", slice.name, spec.name),
                message,
            })?;
        }
        let mut record = [0u8; FAULT_BYTES as usize];
        read_mapped(fault_staging, &mut record).map_err(|message| KernelError::Device {
            doing: format!("reading the fault record of kernel `{}`", spec.name),
            message,
        })?;
        let mut fault = [0u32; 4];
        for (word, chunk) in fault.iter_mut().zip(record.chunks_exact(4)) {
            *word = u32::from_le_bytes(chunk.try_into().expect("chunks of 4 bytes"));
        }
        Ok(fault)
    }
}

impl Backend for WgpuBackend {
    fn describe(&self) -> String {
        self.name.clone()
    }

    fn launch(
        &self,
        spec: &'static KernelSpec,
        groups: u32,
        total: u32,
        args: &mut [Arg<'_>],
    ) -> Result<GpuRun, KernelError> {
        let per_dispatch = self.limits.max_compute_workgroups_per_dimension;
        self.run(spec, groups, total, args, per_dispatch)
    }
}

/// Rank of an adapter kind: lower is preferred.
fn preference(kind: wgpu::DeviceType) -> u8 {
    match kind {
        wgpu::DeviceType::DiscreteGpu => 0,
        wgpu::DeviceType::IntegratedGpu => 1,
        wgpu::DeviceType::VirtualGpu => 2,
        wgpu::DeviceType::Other => 3,
        wgpu::DeviceType::Cpu => 4,
    }
}

/// Checks that the arguments match the kernel's parameters, one for one.
fn check_args(spec: &'static KernelSpec, args: &[Arg<'_>]) -> Result<(), KernelError> {
    let mismatch = |message: String| KernelError::Device {
        doing: format!("binding the arguments of kernel `{}`", spec.name),
        message,
    };
    if args.len() != spec.params.len() {
        return Err(mismatch(format!(
            "{} arguments given for {} parameters",
            args.len(),
            spec.params.len()
        )));
    }
    for (param, arg) in spec.params.iter().zip(args) {
        let fits = match (param, arg) {
            (Param::Slice { writable, .. }, Arg::In(_)) => !writable,
            (Param::Slice { writable, .. }, Arg::Out(_)) => *writable,
            (Param::Slice { .. }, _) => false,
            (Param::Value { .. }, arg) => arg.word().is_some(),
        };
        if !fits {
            return Err(mismatch(format!(
                "argument `{}` is not of the parameter's kind",
                param.name()
            )));
        }
    }
    Ok(())
}

/// Checks that a storage buffer of `bytes` for argument `name` fits `limits`.
fn check_size(
    limits: &wgpu::Limits,
    device: &str,
    kernel: &str,
    name: &str,
    bytes: u64,
) -> Result<(), KernelError> {
    let (limit, what) = if limits.max_storage_buffer_binding_size < limits.max_buffer_size {
        (limits.max_storage_buffer_binding_size, "binds")
    } else {
        (limits.max_buffer_size, "allocates")
    };
    if bytes > limit {
        return Err(KernelError::Device {
            doing: format!("copying `{name}` of kernel `{kernel}` to the GPU"),
            message: format!(
                "`{name}` takes {bytes} bytes, but {device} {what} at most {limit} bytes per \
                 buffer: split the work into smaller launches"
            ),
        });
    }
    Ok(())
}

/// Copies the mapped content of `staging` into `out`, and unmaps it.
fn read_mapped(staging: &wgpu::Buffer, out: &mut [u8]) -> Result<(), String> {
    let result = match staging.get_mapped_range(..) {
        Ok(view) => match view.get(..out.len()) {
            Some(bytes) => {
                out.copy_from_slice(bytes);
                Ok(())
            }
            None => Err(format!(
                "{} bytes read back where {} were expected",
                view.len(),
                out.len()
            )),
        },
        Err(error) => Err(error.to_string()),
    };
    staging.unmap();
    result
}

#[cfg(test)]
mod tests {
    use std::sync::OnceLock;

    use super::*;
    use crate::kernel::arg::{Buf, BufMut};
    use crate::kernel::spec::{Scalar, SharedArray};

    /// The backend all tests share, or `None` where `SPM_NO_GPU_TESTS=1` excuses its absence.
    fn backend() -> Option<&'static WgpuBackend> {
        static BACKEND: OnceLock<Result<WgpuBackend, String>> = OnceLock::new();
        match BACKEND.get_or_init(|| {
            let opened = WgpuBackend::open();
            if let Ok(backend) = &opened {
                let l = backend.limits();
                eprintln!(
                    "{}: max_compute_workgroups_per_dimension {}, \
                     max_compute_invocations_per_workgroup {}, max_compute_workgroup_size_x {}, \
                     max_storage_buffer_binding_size {}, max_buffer_size {}, \
                     max_compute_workgroup_storage_size {}, max_storage_buffers_per_shader_stage {}, \
                     min_uniform_buffer_offset_alignment {}",
                    backend.describe(),
                    l.max_compute_workgroups_per_dimension,
                    l.max_compute_invocations_per_workgroup,
                    l.max_compute_workgroup_size_x,
                    l.max_storage_buffer_binding_size,
                    l.max_buffer_size,
                    l.max_compute_workgroup_storage_size,
                    l.max_storage_buffers_per_shader_stage,
                    l.min_uniform_buffer_offset_alignment,
                );
            }
            opened
        }) {
            Ok(backend) => Some(backend),
            Err(_) if std::env::var("SPM_NO_GPU_TESTS").as_deref() == Ok("1") => None,
            Err(why) => panic!("{why} (set SPM_NO_GPU_TESTS=1 to skip the GPU tests)"),
        }
    }

    static SAXPY: KernelSpec = KernelSpec {
        name: "saxpy",
        path: "tests::saxpy (wgpu.rs)",
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
        ],
        shared: &[],
        group_size: 256,
        cpu_group_size: 256,
        fine: false,
        wgsl: r"
struct SpmLaunch { base: u32, total: u32, len_xs: u32, len_ys: u32, a: f32 }
@group(0) @binding(0) var<storage, read> xs: array<f32>;
@group(0) @binding(1) var<storage, read_write> ys: array<f32>;
@group(0) @binding(2) var<uniform> spm_launch: SpmLaunch;
@group(0) @binding(3) var<storage, read_write> spm_fault: array<atomic<u32>, 4>;

@compute @workgroup_size(256)
fn spm_main(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_id) local: vec3<u32>) {
    let i = (spm_launch.base + group.x) * 256u + local.x;
    if i >= spm_launch.total { return; }
    if i < spm_launch.len_xs && i < spm_launch.len_ys {
        ys[i] = spm_launch.a * xs[i] + ys[i];
    }
}
",
        cuda: "",
    };

    fn saxpy(backend: &WgpuBackend, n: usize, per_dispatch: u32) {
        let xs: Vec<f32> = (0..n).map(|i| i as f32 * 0.5).collect();
        let mut ys: Vec<f32> = (0..n).map(|i| 1000.0 - i as f32).collect();
        let a = 3.0f32;
        let expected: Vec<f32> = xs.iter().zip(&ys).map(|(x, y)| a * x + y).collect();
        let total = u32::try_from(n).expect("small n");
        let groups = total.div_ceil(256);
        let run = backend
            .run(
                &SAXPY,
                groups,
                total,
                &mut [
                    Arg::In(Buf::F32(&xs)),
                    Arg::Out(BufMut::F32(&mut ys)),
                    Arg::F32(a),
                ],
                per_dispatch,
            )
            .expect("saxpy runs");
        assert_eq!(run.fault, [0; 4]);
        assert_eq!(ys, expected);
    }

    #[test]
    fn saxpy_matches_the_cpu() {
        let Some(backend) = backend() else { return };
        let per_dispatch = backend.limits().max_compute_workgroups_per_dimension;
        saxpy(backend, 1000, per_dispatch);
    }

    #[test]
    fn saxpy_split_into_many_dispatches_matches_the_cpu() {
        let Some(backend) = backend() else { return };
        // 40 work-groups, 3 per dispatch: 14 dispatches, the last one partial.
        saxpy(backend, 10_000, 3);
        // Through the trait, too.
        let xs = [1.0f32; 300];
        let mut ys = [2.0f32; 300];
        let run = backend
            .launch(
                &SAXPY,
                2,
                300,
                &mut [
                    Arg::In(Buf::F32(&xs)),
                    Arg::Out(BufMut::F32(&mut ys)),
                    Arg::F32(0.5),
                ],
            )
            .expect("saxpy runs");
        assert_eq!(run.fault, [0; 4]);
        assert!(ys.iter().all(|&y| y == 2.5));
    }

    #[test]
    fn empty_slices_and_no_work_group() {
        let Some(backend) = backend() else { return };
        let mut ys: [f32; 0] = [];
        let run = backend
            .launch(
                &SAXPY,
                0,
                0,
                &mut [
                    Arg::In(Buf::F32(&[])),
                    Arg::Out(BufMut::F32(&mut ys)),
                    Arg::F32(1.0),
                ],
            )
            .expect("an empty launch runs");
        assert_eq!(run.fault, [0; 4]);
    }

    static GROUP_SUMS: KernelSpec = KernelSpec {
        name: "group_sums",
        path: "tests::group_sums (wgpu.rs)",
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
            name: "tile",
            elem: Scalar::U32,
            len: 64,
        }],
        group_size: 64,
        cpu_group_size: 64,
        fine: true,
        wgsl: r"
struct SpmLaunch { base: u32, total: u32, len_xs: u32, len_sums: u32 }
@group(0) @binding(0) var<storage, read> xs: array<u32>;
@group(0) @binding(1) var<storage, read_write> sums: array<u32>;
@group(0) @binding(2) var<uniform> spm_launch: SpmLaunch;
@group(0) @binding(3) var<storage, read_write> spm_fault: array<atomic<u32>, 4>;
var<workgroup> tile: array<u32, 64>;

@compute @workgroup_size(64)
fn spm_main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) local: vec3<u32>) {
    let group = spm_launch.base + wg.x;
    // Every invocation of a group reaches the barriers: the group test is uniform.
    if group >= spm_launch.total { return; }
    let rank = local.x;
    let i = group * 64u + rank;
    var x = 0u;
    if i < spm_launch.len_xs { x = xs[i]; }
    tile[rank] = x;
    workgroupBarrier();
    for (var half = 32u; half > 0u; half = half / 2u) {
        if rank < half { tile[rank] = tile[rank] + tile[rank + half]; }
        workgroupBarrier();
    }
    if rank == 0u && group < spm_launch.len_sums { sums[group] = tile[0]; }
}
",
        cuda: "",
    };

    #[test]
    fn fine_reduction_sums_each_group() {
        let Some(backend) = backend() else { return };
        let xs: Vec<u32> = (0..1000).map(|i| i * 7 % 101).collect();
        let groups = 1000u32.div_ceil(64);
        let mut sums = vec![u32::MAX; groups as usize];
        let run = backend
            .run(
                &GROUP_SUMS,
                groups,
                groups,
                &mut [Arg::In(Buf::U32(&xs)), Arg::Out(BufMut::U32(&mut sums))],
                4,
            )
            .expect("the reduction runs");
        assert_eq!(run.fault, [0; 4]);
        let expected: Vec<u32> = xs.chunks(64).map(|c| c.iter().sum()).collect();
        assert_eq!(sums, expected);
    }

    static SHIFT: KernelSpec = KernelSpec {
        name: "shift",
        path: "tests::shift (wgpu.rs)",
        params: &[
            Param::Value {
                name: "by",
                ty: Scalar::U32,
            },
            Param::Slice {
                name: "out",
                elem: Scalar::U32,
                writable: true,
                by_rank: false,
            },
        ],
        shared: &[],
        group_size: 64,
        cpu_group_size: 64,
        fine: false,
        // `out[i + by] = i`, bounds-checked: the checks record the first fault.
        wgsl: r"
struct SpmLaunch { base: u32, total: u32, len_out: u32, by: u32 }
@group(0) @binding(0) var<storage, read_write> out: array<u32>;
@group(0) @binding(1) var<uniform> spm_launch: SpmLaunch;
@group(0) @binding(2) var<storage, read_write> spm_fault: array<atomic<u32>, 4>;

fn spm_record_fault(array: u32, index: u32, invocation: u32) {
    // A weak exchange may fail spuriously: retry until some invocation has recorded a fault.
    loop {
        let seen = atomicCompareExchangeWeak(&spm_fault[0], 0u, array);
        if seen.exchanged {
            atomicStore(&spm_fault[1], index);
            atomicStore(&spm_fault[2], invocation);
            return;
        }
        if seen.old_value != 0u { return; }
    }
}

@compute @workgroup_size(64)
fn spm_main(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_id) local: vec3<u32>) {
    let i = (spm_launch.base + group.x) * 64u + local.x;
    if i >= spm_launch.total { return; }
    let j = i + spm_launch.by;
    if j < spm_launch.len_out {
        out[j] = i;
    } else {
        spm_record_fault(2u, j, i);
    }
}
",
        cuda: "",
    };

    #[test]
    fn out_of_bounds_write_is_recorded() {
        let Some(backend) = backend() else { return };
        let mut out = vec![0u32; 100];
        let run = backend
            .launch(
                &SHIFT,
                2,
                100,
                &mut [Arg::U32(1), Arg::Out(BufMut::U32(&mut out))],
            )
            .expect("the kernel runs");
        // Invocation 99 alone writes out of bounds, at index 100.
        assert_eq!(run.fault, [2, 100, 99, 0]);
        assert_eq!(SHIFT.array_name(run.fault[0] - 1), "out");
        assert_eq!(out[0], 0);
        assert!((1..100).all(|j| out[j] == j as u32 - 1));
    }

    static BROKEN: KernelSpec = KernelSpec {
        name: "broken",
        path: "tests::broken (wgpu.rs)",
        params: &[],
        shared: &[],
        group_size: 64,
        cpu_group_size: 64,
        fine: false,
        wgsl: r"
struct SpmLaunch { base: u32, total: u32, pad0: u32, pad1: u32 }
@group(0) @binding(0) var<uniform> spm_launch: SpmLaunch;
@group(0) @binding(1) var<storage, read_write> spm_fault: array<atomic<u32>, 4>;

@compute @workgroup_size(64)
fn spm_main() {
    let x: u32 = undefined_name + 1.5;
}
",
        cuda: "",
    };

    #[test]
    fn invalid_wgsl_is_rejected() {
        let Some(backend) = backend() else { return };
        match backend.launch(&BROKEN, 1, 64, &mut []) {
            Err(KernelError::Rejected {
                kernel,
                target,
                log,
            }) => {
                assert_eq!(kernel, "broken");
                assert_eq!(target, "WGSL (wgpu)");
                assert!(log.contains("undefined_name"), "log: {log}");
            }
            other => panic!("expected a rejection, got {other:?}"),
        }
        // Rejected again, not cached as compiled; and the device still works.
        assert!(matches!(
            backend.launch(&BROKEN, 1, 64, &mut []),
            Err(KernelError::Rejected { .. })
        ));
        saxpy(backend, 10, 1);
    }

    static HUGE_GROUP: KernelSpec = KernelSpec {
        name: "huge_group",
        path: "tests::huge_group (wgpu.rs)",
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
        path: "tests::huge_shared (wgpu.rs)",
        params: &[],
        shared: &[SharedArray {
            name: "tile",
            elem: Scalar::F32,
            len: 1 << 28,
        }],
        group_size: 64,
        cpu_group_size: 64,
        fine: true,
        wgsl: "",
        cuda: "",
    };

    #[test]
    fn limits_are_checked_before_compiling() {
        let Some(backend) = backend() else { return };
        match backend.launch(&HUGE_GROUP, 1, 1 << 20, &mut []) {
            Err(KernelError::GroupTooLarge {
                kernel,
                size,
                limit,
                device,
            }) => {
                assert_eq!((kernel, size), ("huge_group", 1 << 20));
                assert!(limit < size);
                assert_eq!(device, backend.describe());
            }
            other => panic!("expected GroupTooLarge, got {other:?}"),
        }
        assert!(matches!(
            backend.launch(&HUGE_SHARED, 1, 1, &mut []),
            Err(KernelError::SharedTooLarge {
                bytes: 0x4000_0000,
                ..
            })
        ));
    }

    #[test]
    fn too_large_buffers_name_the_argument_and_the_limit() {
        let limits = wgpu::Limits {
            max_storage_buffer_binding_size: 1 << 27,
            max_buffer_size: 1 << 28,
            ..wgpu::Limits::default()
        };
        assert!(check_size(&limits, "Vulkan: test", "k", "xs", 1 << 27).is_ok());
        match check_size(&limits, "Vulkan: test", "k", "xs", (1 << 27) + 4) {
            Err(KernelError::Device { doing, message }) => {
                assert!(doing.contains("`xs`"), "{doing}");
                assert!(message.contains(&(1u64 << 27).to_string()), "{message}");
            }
            other => panic!("expected a device error, got {other:?}"),
        }
    }

    #[test]
    fn mismatched_arguments_are_an_error() {
        let Some(backend) = backend() else { return };
        let xs = [1.0f32; 4];
        assert!(matches!(
            backend.launch(&SAXPY, 1, 4, &mut [Arg::In(Buf::F32(&xs)), Arg::F32(1.0)]),
            Err(KernelError::Device { .. })
        ));
    }

    #[test]
    fn is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<WgpuBackend>();
    }
}
