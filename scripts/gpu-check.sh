#!/usr/bin/env bash
# spm's GPU checks, for a machine with an NVIDIA GPU and no Rust toolchain.
#
# Build the binaries on any x86-64 Linux machine with Rust, then copy the folder there:
#
#     scripts/gpu-check.sh --build        # writes gpu-check/ (ignored by git)
#     scripts/gpu-check.sh [DIR]          # on the GPU machine (DIR defaults to gpu-check)
#
# It prints the device, runs the agreement tests on CUDA and, where NVIDIA's Vulkan driver is
# present, on Vulkan, runs the CUDA backend's own tests, the examples, and the benchmark with
# 256M elements (SPM_BENCH_N overrides).
set -uo pipefail
cd "$(dirname "$0")/.."

if [[ "${1:-}" == "--build" ]]; then
    set -e
    out=gpu-check
    rm -rf "$out" && mkdir -p "$out"
    # cargo names each binary it built: "Executable tests/kernels.rs (target/...)".
    built() { sed -n "s|.*Executable $1 (\(.*\))|\1|p" | tail -1; }
    cp "$(cargo test --release --locked --test kernels --no-run 2>&1 | built tests/kernels.rs)" "$out/kernel-tests"
    cp "$(cargo test --release --locked --test kernel_subset --no-run 2>&1 | built tests/kernel_subset.rs)" "$out/subset-tests"
    cp "$(cargo test --release --locked --test gpu_resource --no-run 2>&1 | built tests/gpu_resource.rs)" "$out/gpu-resource-tests"
    cp "$(cargo test --release --locked -p spm-core --lib --no-run 2>&1 | built 'unittests src/lib.rs')" "$out/core-tests"
    cp "$(cargo bench --locked --bench kernels --no-run 2>&1 | built benches/kernels.rs)" "$out/kernel-bench"
    cargo build --release --locked --example pow2 --example reduction --example saxpy
    cp target/release/examples/{pow2,reduction,saxpy} "$out/"
    strip "$out"/*
    du -sh "$out"
    exit 0
fi

dir=${1:-gpu-check}
status=0
step() { echo; echo "== $*"; }

step "device"
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.memory --format=csv || status=1

# NVRTC comes with the CUDA toolkit (or a pip wheel); cudarc looks for libnvrtc.so by name.
for d in /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib; do
    [[ -d "$d" ]] && export LD_LIBRARY_PATH="$d${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
done
# NVIDIA's Vulkan driver, where the container exposes it.
for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do
    [[ -f "$icd" ]] && export VK_DRIVER_FILES="$icd" VK_ICD_FILENAMES="$icd" && break
done
echo "NVRTC: $(ls /usr/local/cuda/lib64/libnvrtc.so* 2>/dev/null | head -1)  Vulkan ICD: ${VK_DRIVER_FILES:-none}"

step "agreement tests: serial, cores and every GPU backend that opens"
SPM_GPU_ALL=1 "$dir/kernel-tests" --test-threads 1 --nocapture || status=1
SPM_GPU_ALL=1 "$dir/subset-tests" --test-threads 1 --nocapture || status=1

step "GPUs as a resource of list tasks (Pool::per_gpu)"
"$dir/gpu-resource-tests" --test-threads 1 || status=1

step "the CUDA backend's own tests"
SPM_REQUIRE_GPU=1 "$dir/core-tests" kernel::gpu::cuda || status=1

step "examples"
for example in pow2 reduction saxpy; do "$dir/$example" || status=1; done

step "benchmark"
export SPM_BENCH_N="${SPM_BENCH_N:-268435456}" SPM_BENCH_REPEATS="${SPM_BENCH_REPEATS:-5}"
"$dir/kernel-bench" || status=1
if [[ -n "${VK_DRIVER_FILES:-}" ]]; then
    step "benchmark, GPU through Vulkan"
    SPM_BENCH_GPU=vulkan "$dir/kernel-bench" || status=1
fi

exit $status
