struct SpmLaunch {
    base: u32,
    total: u32,
    len_1: u32,
    len_2: u32,
    v_0: f32,
}
@group(0) @binding(0) var<storage, read> p1_xs: array<f32>;
@group(0) @binding(1) var<storage, read_write> p2_ys: array<f32>;
@group(0) @binding(2) var<uniform> spm_launch: SpmLaunch;
@group(0) @binding(3) var<storage, read_write> spm_fault: array<atomic<u32>, 4>;
var<private> spm_inv: u32;

fn spm_oob(array: u32, index: u32) {
    loop {
        let r = atomicCompareExchangeWeak(&spm_fault[0], 0u, array + 1u);
        if (r.exchanged) {
            atomicStore(&spm_fault[1], index);
            atomicStore(&spm_fault[2], spm_inv);
            break;
        }
        if (r.old_value != 0u) { break; }
    }
}
fn spm_div_i32(a: i32, b: i32) -> i32 {
    if (b == 0i || (a == -2147483647i - 1i && b == -1i)) { return a; }
    return a / b;
}
fn spm_rem_i32(a: i32, b: i32) -> i32 {
    if (b == 0i || (a == -2147483647i - 1i && b == -1i)) { return 0i; }
    return a % b;
}
fn spm_div_u32(a: u32, b: u32) -> u32 {
    if (b == 0u) { return a; }
    return a / b;
}
fn spm_rem_u32(a: u32, b: u32) -> u32 {
    if (b == 0u) { return 0u; }
    return a % b;
}
// Values WGSL must not evaluate when it compiles the shader (see `opaque`).
fn spm_keep_f32(x: f32) -> f32 { return x; }
fn spm_keep_i32(x: i32) -> i32 { return x; }
fn spm_keep_u32(x: u32) -> u32 { return x; }
fn spm_keep_bool(x: bool) -> bool { return x; }
// Rust's saturating conversions (WGSL's own stop at the largest float below the bound). NaN
// is found from its bits: a driver may assume that no float is NaN (NVIDIA's does), and so
// fold `x == x` to true.
fn spm_is_nan(x: f32) -> bool {
    return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u;
}
fn spm_f32_to_i32(x: f32) -> i32 {
    if (spm_is_nan(x)) { return 0i; }
    if (x >= 2147483648.0f) { return 2147483647i; }
    if (x <= -2147483648.0f) { return -2147483647i - 1i; }
    return i32(x);
}
fn spm_f32_to_u32(x: f32) -> u32 {
    if (spm_is_nan(x)) { return 0u; }
    if (x >= 4294967296.0f) { return 4294967295u; }
    if (x > 0.0f) { return u32(x); }
    return 0u;
}
fn spm_ld1(i: u32) -> f32 {
    if (i < spm_launch.len_1) { return p1_xs[i]; }
    spm_oob(1u, i);
    return f32();
}
fn spm_ld2(i: u32) -> f32 {
    if (i < spm_launch.len_2) { return p2_ys[i]; }
    spm_oob(2u, i);
    return f32();
}
fn spm_st2(i: u32, v: f32) {
    if (i < spm_launch.len_2) { p2_ys[i] = v; } else { spm_oob(2u, i); }
}

@compute @workgroup_size(256)
fn spm_main(@builtin(local_invocation_id) spm_lid: vec3<u32>, @builtin(workgroup_id) spm_wid: vec3<u32>) {
    let spm_group = spm_launch.base + spm_wid.x;
    let spm_rank = spm_group * 256u + spm_lid.x;
    if (spm_rank >= spm_launch.total) { return; }
    spm_inv = spm_rank;
    let l0_i: u32 = spm_rank;
    if ((l0_i < spm_launch.len_2)) {
        {
            let spm_i = l0_i;
            spm_st2(spm_i, ((spm_launch.v_0 * spm_ld1(l0_i)) + spm_ld2(l0_i)));
        }
    }
}
