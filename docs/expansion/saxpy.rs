// What `#[pclosure(coarse_list, targets(serial, cores, gpu))]` generates for saxpy in docs/EXPANSION.md.
// Checked token by token against the macro by a unit test of spm-macros.

#[doc = r" `ys[i] = a * xs[i] + ys[i]` for `i = ctx.rank()`."]
#[doc = ""]
#[doc = "Kernel `saxpy` (`coarse_list`, targets serial, cores, gpu): launch it with `Saxpy::over(n)`."]
#[derive(Clone, Copy, Debug)]
pub struct Saxpy;
const _: () = {
    impl Saxpy {
        #[doc = r" A launch of `invocations` independent invocations of this kernel."]
        pub fn over(invocations: usize) -> ::spm::kernel::Launch<Self> {
            ::spm::kernel::Launch::new(invocations)
        }
    }
    impl ::spm::kernel::Kernel for Saxpy {
        type Policy = ::spm::CoarseList;
        type Args<'a> = (f32, &'a [f32], &'a mut [f32]);
        const SPEC: &'static ::spm::kernel::KernelSpec = &::spm::kernel::KernelSpec {
            name: "saxpy",
            path: ::core::concat!(
                ::core::module_path!(),
                "::",
                "saxpy",
                " (",
                ::core::file!(),
                ":",
                ::core::line!(),
                ")"
            ),
            params: &[
                ::spm::kernel::Param::Value {
                    name: "a",
                    ty: ::spm::kernel::Scalar::F32,
                },
                ::spm::kernel::Param::Slice {
                    name: "xs",
                    elem: ::spm::kernel::Scalar::F32,
                    writable: false,
                    by_rank: true,
                },
                ::spm::kernel::Param::Slice {
                    name: "ys",
                    elem: ::spm::kernel::Scalar::F32,
                    writable: true,
                    by_rank: true,
                },
            ],
            shared: &[],
            group_size: 256u32,
            cpu_group_size: 4096u32,
            fine: false,
            wgsl: "struct SpmLaunch {\n    base: u32,\n    total: u32,\n    len_1: u32,\n    len_2: u32,\n    v_0: f32,\n}\n@group(0) @binding(0) var<storage, read> p1_xs: array<f32>;\n@group(0) @binding(1) var<storage, read_write> p2_ys: array<f32>;\n@group(0) @binding(2) var<uniform> spm_launch: SpmLaunch;\n@group(0) @binding(3) var<storage, read_write> spm_fault: array<atomic<u32>, 4>;\nvar<private> spm_inv: u32;\n\nfn spm_oob(array: u32, index: u32) {\n    loop {\n        let r = atomicCompareExchangeWeak(&spm_fault[0], 0u, array + 1u);\n        if (r.exchanged) {\n            atomicStore(&spm_fault[1], index);\n            atomicStore(&spm_fault[2], spm_inv);\n            break;\n        }\n        if (r.old_value != 0u) { break; }\n    }\n}\nfn spm_div_i32(a: i32, b: i32) -> i32 {\n    if (b == 0i || (a == -2147483647i - 1i && b == -1i)) { return a; }\n    return a / b;\n}\nfn spm_rem_i32(a: i32, b: i32) -> i32 {\n    if (b == 0i || (a == -2147483647i - 1i && b == -1i)) { return 0i; }\n    return a % b;\n}\nfn spm_div_u32(a: u32, b: u32) -> u32 {\n    if (b == 0u) { return a; }\n    return a / b;\n}\nfn spm_rem_u32(a: u32, b: u32) -> u32 {\n    if (b == 0u) { return 0u; }\n    return a % b;\n}\n// Values WGSL must not evaluate when it compiles the shader (see `opaque`).\nfn spm_keep_f32(x: f32) -> f32 { return x; }\nfn spm_keep_i32(x: i32) -> i32 { return x; }\nfn spm_keep_u32(x: u32) -> u32 { return x; }\nfn spm_keep_bool(x: bool) -> bool { return x; }\n// Rust's saturating conversions (WGSL's own stop at the largest float below the bound). NaN\n// is found from its bits: a driver may assume that no float is NaN (NVIDIA's does), and so\n// fold `x == x` to true.\nfn spm_is_nan(x: f32) -> bool {\n    return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u;\n}\nfn spm_f32_to_i32(x: f32) -> i32 {\n    if (spm_is_nan(x)) { return 0i; }\n    if (x >= 2147483648.0f) { return 2147483647i; }\n    if (x <= -2147483648.0f) { return -2147483647i - 1i; }\n    return i32(x);\n}\nfn spm_f32_to_u32(x: f32) -> u32 {\n    if (spm_is_nan(x)) { return 0u; }\n    if (x >= 4294967296.0f) { return 4294967295u; }\n    if (x > 0.0f) { return u32(x); }\n    return 0u;\n}\nfn spm_ld1(i: u32) -> f32 {\n    if (i < spm_launch.len_1) { return p1_xs[i]; }\n    spm_oob(1u, i);\n    return f32();\n}\nfn spm_ld2(i: u32) -> f32 {\n    if (i < spm_launch.len_2) { return p2_ys[i]; }\n    spm_oob(2u, i);\n    return f32();\n}\nfn spm_st2(i: u32, v: f32) {\n    if (i < spm_launch.len_2) { p2_ys[i] = v; } else { spm_oob(2u, i); }\n}\n\n@compute @workgroup_size(256)\nfn spm_main(@builtin(local_invocation_id) spm_lid: vec3<u32>, @builtin(workgroup_id) spm_wid: vec3<u32>) {\n    let spm_group = spm_launch.base + spm_wid.x;\n    let spm_rank = spm_group * 256u + spm_lid.x;\n    if (spm_rank >= spm_launch.total) { return; }\n    spm_inv = spm_rank;\n    let l0_i: u32 = spm_rank;\n    if ((l0_i < spm_launch.len_2)) {\n        {\n            let spm_i = l0_i;\n            spm_st2(spm_i, ((spm_launch.v_0 * spm_ld1(l0_i)) + spm_ld2(l0_i)));\n        }\n    }\n}\n",
            cuda: "__device__ void spm_oob(unsigned* f, unsigned array, unsigned index, unsigned inv) {\n    if (atomicCAS(f, 0u, array + 1u) == 0u) { f[1] = index; f[2] = inv; }\n}\ntemplate <typename T> __device__ __forceinline__ T spm_ld(const T* p, unsigned len, unsigned i, unsigned array, unsigned inv, unsigned* f) {\n    if (i < len) return p[i];\n    spm_oob(f, array, i, inv);\n    return T(0);\n}\ntemplate <typename T> __device__ __forceinline__ void spm_st(T* p, unsigned len, unsigned i, T v, unsigned array, unsigned inv, unsigned* f) {\n    if (i < len) p[i] = v; else spm_oob(f, array, i, inv);\n}\n__device__ __forceinline__ int spm_add_i(int a, int b) { return (int)((unsigned)a + (unsigned)b); }\n__device__ __forceinline__ int spm_sub_i(int a, int b) { return (int)((unsigned)a - (unsigned)b); }\n__device__ __forceinline__ int spm_mul_i(int a, int b) { return (int)((unsigned)a * (unsigned)b); }\n__device__ __forceinline__ int spm_neg_i(int a) { return (int)(0u - (unsigned)a); }\n__device__ __forceinline__ int spm_abs_i(int a) { return a < 0 ? spm_neg_i(a) : a; }\n__device__ __forceinline__ int spm_div_i(int a, int b) { return (b == 0 || (a == (-2147483647 - 1) && b == -1)) ? a : a / b; }\n__device__ __forceinline__ int spm_rem_i(int a, int b) { return (b == 0 || (a == (-2147483647 - 1) && b == -1)) ? 0 : a % b; }\n__device__ __forceinline__ unsigned spm_div_u(unsigned a, unsigned b) { return b == 0u ? a : a / b; }\n__device__ __forceinline__ unsigned spm_rem_u(unsigned a, unsigned b) { return b == 0u ? 0u : a % b; }\n__device__ __forceinline__ int spm_shl_i(int a, unsigned b) { return (int)((unsigned)a << (b & 31u)); }\n__device__ __forceinline__ int spm_shr_i(int a, unsigned b) { return a >> (b & 31u); }\n__device__ __forceinline__ unsigned spm_shl_u(unsigned a, unsigned b) { return a << (b & 31u); }\n__device__ __forceinline__ unsigned spm_shr_u(unsigned a, unsigned b) { return a >> (b & 31u); }\n\n__device__ __forceinline__ void spm_invocation(const unsigned spm_rank, unsigned spm_total, unsigned* __restrict__ spm_fault, float p0_a, const float* __restrict__ p1_xs, unsigned len_1, float* __restrict__ p2_ys, unsigned len_2) {\n    const unsigned spm_inv = spm_rank;\n    const unsigned l0_i = spm_rank;\n    if ((l0_i < len_2)) {\n        {\n            const unsigned spm_i = (unsigned)(l0_i);\n            spm_st<float>(p2_ys, len_2, spm_i, (float)(((p0_a * spm_ld(p1_xs, len_1, (unsigned)(l0_i), 1u, spm_inv, spm_fault)) + spm_ld(p2_ys, len_2, (unsigned)(l0_i), 2u, spm_inv, spm_fault))), 2u, spm_inv, spm_fault);\n        }\n    }\n}\n\nextern \"C\" __global__ void spm_main(unsigned spm_base, unsigned spm_total, unsigned* __restrict__ spm_fault, float p0_a, const float* __restrict__ p1_xs, unsigned len_1, float* __restrict__ p2_ys, unsigned len_2) {\n    const unsigned spm_stride = gridDim.x * 256u;\n    for (unsigned spm_rank = (spm_base + blockIdx.x) * 256u + threadIdx.x; spm_rank < spm_total; spm_rank += spm_stride) {\n        spm_invocation(spm_rank, spm_total, spm_fault, p0_a, p1_xs, len_1, p2_ys, len_2);\n        if (spm_total - spm_rank <= spm_stride) break;\n    }\n}\n",
        };
        const TARGETS: ::spm::kernel::Targets = ::spm::kernel::Targets {
            serial: true,
            cores: true,
            gpu: true,
        };
        fn args(args: Self::Args<'_>) -> ::std::vec::Vec<::spm::kernel::Arg<'_>> {
            let (__spm_a0, __spm_a1, __spm_a2) = args;
            ::std::vec![
                ::core::convert::From::from(__spm_a0),
                ::core::convert::From::from(__spm_a1),
                ::core::convert::From::from(__spm_a2)
            ]
        }
        #[allow(
            unused_variables,
            unused_mut,
            unused_parens,
            non_snake_case,
            clippy::all
        )]
        fn run_group(
            __spm_v: &[::spm::__private::kernel::View<'_>],
            __spm_parts: &mut [::spm::__private::kernel::Chunk<'_>],
            __spm_group: u32,
            __spm_total: u32,
            __spm_f: &::spm::__private::kernel::Faults,
        ) {
            let __spm_p_a = __spm_v[0usize].value_f32();
            let __spm_p_xs = __spm_v[1usize].in_f32();
            let mut __spm_parts = __spm_parts.iter_mut();
            let __spm_p_ys: u32 = __spm_v[2usize].chunked_len();
            let __spm_c_ys = ::spm::__private::kernel::Chunk::part(__spm_parts.next()).f32_mut();
            let __spm_base = __spm_group.wrapping_mul(4096u32);
            let __spm_count = ::core::cmp::min(4096u32, __spm_total - __spm_base);
            if __spm_p_xs.len() - ::core::cmp::min(__spm_p_xs.len(), __spm_base) >= __spm_count
                && __spm_c_ys.len() >= __spm_count as usize
            {
                let __spm_f_xs = &__spm_p_xs.as_slice()
                    [__spm_base as usize..(__spm_base + __spm_count) as usize];
                let __spm_f_ys = &mut __spm_c_ys[..__spm_count as usize];
                for __spm_lane in 0..__spm_count as usize {
                    let __spm_inv = __spm_base + __spm_lane as u32;
                    let mut __spm_invoke = || {
                        #[allow(unused_mut)]
                        let mut __spm_l0_i: u32 = __spm_inv;
                        if true {
                            {
                                let __spm_x =
                                    ((__spm_p_a * __spm_f_xs[__spm_lane]) + __spm_f_ys[__spm_lane]);
                                __spm_f_ys[__spm_lane] = __spm_x;
                            }
                        }
                    };
                    __spm_invoke();
                }
                return;
            }
            for __spm_lane in 0..__spm_count {
                let __spm_inv = __spm_base + __spm_lane;
                let mut __spm_invoke = || {
                    #[allow(unused_mut)]
                    let mut __spm_l0_i: u32 = __spm_inv;
                    if (__spm_l0_i < __spm_p_ys) {
                        {
                            let __spm_i = __spm_l0_i;
                            let __spm_x = ((__spm_p_a
                                * __spm_p_xs.get(
                                    __spm_l0_i,
                                    ::spm::__private::kernel::Site::new(__spm_f, 1u32, __spm_inv),
                                ))
                                + ::spm::__private::kernel::chunk_get(
                                    &*__spm_c_ys,
                                    __spm_base,
                                    __spm_l0_i,
                                    ::spm::__private::kernel::Site::new(__spm_f, 2u32, __spm_inv),
                                ));
                            ::spm::__private::kernel::chunk_set(
                                &mut *__spm_c_ys,
                                __spm_base,
                                __spm_i,
                                __spm_x,
                                ::spm::__private::kernel::Site::new(__spm_f, 2u32, __spm_inv),
                            );
                        }
                    }
                };
                __spm_invoke();
            }
        }
    }
};
