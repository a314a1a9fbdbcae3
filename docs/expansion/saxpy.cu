__device__ void spm_oob(unsigned* f, unsigned array, unsigned index, unsigned inv) {
    if (atomicCAS(f, 0u, array + 1u) == 0u) { f[1] = index; f[2] = inv; }
}
template <typename T> __device__ __forceinline__ T spm_ld(const T* p, unsigned len, unsigned i, unsigned array, unsigned inv, unsigned* f) {
    if (i < len) return p[i];
    spm_oob(f, array, i, inv);
    return T(0);
}
template <typename T> __device__ __forceinline__ void spm_st(T* p, unsigned len, unsigned i, T v, unsigned array, unsigned inv, unsigned* f) {
    if (i < len) p[i] = v; else spm_oob(f, array, i, inv);
}
__device__ __forceinline__ int spm_add_i(int a, int b) { return (int)((unsigned)a + (unsigned)b); }
__device__ __forceinline__ int spm_sub_i(int a, int b) { return (int)((unsigned)a - (unsigned)b); }
__device__ __forceinline__ int spm_mul_i(int a, int b) { return (int)((unsigned)a * (unsigned)b); }
__device__ __forceinline__ int spm_neg_i(int a) { return (int)(0u - (unsigned)a); }
__device__ __forceinline__ int spm_abs_i(int a) { return a < 0 ? spm_neg_i(a) : a; }
__device__ __forceinline__ int spm_div_i(int a, int b) { return (b == 0 || (a == (-2147483647 - 1) && b == -1)) ? a : a / b; }
__device__ __forceinline__ int spm_rem_i(int a, int b) { return (b == 0 || (a == (-2147483647 - 1) && b == -1)) ? 0 : a % b; }
__device__ __forceinline__ unsigned spm_div_u(unsigned a, unsigned b) { return b == 0u ? a : a / b; }
__device__ __forceinline__ unsigned spm_rem_u(unsigned a, unsigned b) { return b == 0u ? 0u : a % b; }
__device__ __forceinline__ int spm_shl_i(int a, unsigned b) { return (int)((unsigned)a << (b & 31u)); }
__device__ __forceinline__ int spm_shr_i(int a, unsigned b) { return a >> (b & 31u); }
__device__ __forceinline__ unsigned spm_shl_u(unsigned a, unsigned b) { return a << (b & 31u); }
__device__ __forceinline__ unsigned spm_shr_u(unsigned a, unsigned b) { return a >> (b & 31u); }

__device__ __forceinline__ void spm_invocation(const unsigned spm_rank, unsigned spm_total, unsigned* __restrict__ spm_fault, float p0_a, const float* __restrict__ p1_xs, unsigned len_1, float* __restrict__ p2_ys, unsigned len_2) {
    const unsigned spm_inv = spm_rank;
    const unsigned l0_i = spm_rank;
    if ((l0_i < len_2)) {
        {
            const unsigned spm_i = (unsigned)(l0_i);
            spm_st<float>(p2_ys, len_2, spm_i, (float)(((p0_a * spm_ld(p1_xs, len_1, (unsigned)(l0_i), 1u, spm_inv, spm_fault)) + spm_ld(p2_ys, len_2, (unsigned)(l0_i), 2u, spm_inv, spm_fault))), 2u, spm_inv, spm_fault);
        }
    }
}

extern "C" __global__ void spm_main(unsigned spm_base, unsigned spm_total, unsigned* __restrict__ spm_fault, float p0_a, const float* __restrict__ p1_xs, unsigned len_1, float* __restrict__ p2_ys, unsigned len_2) {
    const unsigned spm_stride = gridDim.x * 256u;
    for (unsigned spm_rank = (spm_base + blockIdx.x) * 256u + threadIdx.x; spm_rank < spm_total; spm_rank += spm_stride) {
        spm_invocation(spm_rank, spm_total, spm_fault, p0_a, p1_xs, len_1, p2_ys, len_2);
        if (spm_total - spm_rank <= spm_stride) break;
    }
}
