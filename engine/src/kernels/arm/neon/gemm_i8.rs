//! armv7 NEON int8 GEMM on the `Panel16x4` layout: `vmull.s8` + `vmlal.s8` + `vpadal.s16`,
//! signed × signed, the aarch64 NEON kernel's arithmetic in 32-bit `asm!`.
//!
//! A 64-byte block is four quarters of 16 bytes, each 4 channels × 4 k. A row's 4 activations of
//! a group are replicated into a d register (`vld1.32 {d4[]}`), so `vmull.s8` with a quarter's
//! low half gives channels 4q, 4q+1 × 4 k as 8 i16 products. Two groups are summed in i16
//! (`vmull` + `vmlal`: |2 · 127 · 127| < 2^15, exact), then `vpadal.s16` adds adjacent pairs into
//! i32 lanes (channel c: k0+k1, k2+k3). One row × one panel per block: 8 accumulators in
//! q8–q15, the upper half of the register file that the compiler does not allocate on this
//! target (the `asm!` block saves and restores it), weights in q0–q1, activations in d4–d5,
//! products in q3–q4. Per 16 MACs: one `vmull` or `vmlal` (8 lanes) and half a `vpadal`.
//! The channel pairs are folded and the f32 epilogue runs in Rust (`scalar::gemm_i8::epilogue_row`).

use crate::kernels::pack::{padded_k, BLOCK_BYTES, PANEL_K, PANEL_N};
use crate::kernels::scalar::gemm_i8::epilogue_row;

/// `k` (bytes) per activation chunk; a multiple of 8 (whole group pairs).
const KC: usize = 4096;

/// One row of activations, zero-padded to whole groups.
#[repr(C, align(16))]
struct ABuf([i8; KC]);

/// `y = (a · wᵀ) · (sa ⊗ sw) + bias`, bit-exact with `scalar::gemm_i8_packed`.
///
/// # Safety
/// The CPU must have NEON (`kernels::cpu::neon`), and the slices must have the lengths
/// `kernels::check_gemm_args` asserts; int8 values in [-127, 127] (else an i16 pair sum can
/// wrap and the result differs from scalar, memory stays safe).
#[allow(clippy::too_many_arguments)]
pub unsafe fn gemm_i8_packed(a: &[i8], sa: &[f32], m: usize, k: usize, w: &[i8], sw: &[f32], bias: &[f32], n: usize, y: &mut [f32]) {
    let kp = padded_k(k);
    let panel_bytes = kp * PANEL_N;
    let panels = n.div_ceil(PANEL_N);
    let mut buf = ABuf([0; KC]);
    for i in 0..m {
        let row = &a[i * k..(i + 1) * k];
        for p in 0..panels {
            let panel = &w[p * panel_bytes..(p + 1) * panel_bytes];
            // acc[2q + h][lane]: channels 4q+2h, 4q+2h+1, two partial sums each.
            let mut acc = [[0i32; 4]; 8];
            let mut x0 = 0;
            while x0 < kp {
                let kc = KC.min(kp - x0);
                let x1 = k.min(x0 + kc);
                if p == 0 || kp > KC {
                    buf.0[..x1 - x0].copy_from_slice(&row[x0..x1]);
                    buf.0[x1 - x0..kc].fill(0);
                }
                let groups = kc / PANEL_K;
                let blocks = &panel[x0 / PANEL_K * BLOCK_BYTES..][..groups * BLOCK_BYTES];
                // SAFETY: NEON is available (caller); `buf` holds 4·groups bytes and `blocks`
                // 64·groups, which is all `dot` reads; `acc` is 32 writable i32.
                unsafe { dot(&mut acc, buf.0.as_ptr(), blocks.as_ptr(), groups) };
                x0 += kc;
            }
            // Channel c's two partial sums: accumulator 2(c/4) + (c%4)/2, lanes 2(c%2) and +1.
            let sums: [i32; PANEL_N] = core::array::from_fn(|c| {
                let lanes = &acc[2 * (c / 4) + (c % 4) / 2];
                lanes[2 * (c % 2)] + lanes[2 * (c % 2) + 1]
            });
            epilogue_row(&sums, sa[i], sw, bias, p * PANEL_N, &mut y[i * n..(i + 1) * n]);
        }
    }
}

/// One quarter of a block pair (4 channels × 4 k of groups g and g+1, through the two weight
/// pointers), into the accumulator pair `$lo` (channels 4q, 4q+1) and `$hi` (4q+2, 4q+3).
macro_rules! quarter {
    ($lo:literal, $hi:literal) => {
        concat!(
            "vld1.8 {{d0-d1}}, [{w}]!\n",
            "vld1.8 {{d2-d3}}, [{w1}]!\n",
            "vmull.s8 q3, d0, d4\n",
            "vmlal.s8 q3, d2, d5\n",
            "vmull.s8 q4, d1, d4\n",
            "vmlal.s8 q4, d3, d5\n",
            "vpadal.s16 ", $lo, ", q3\n",
            "vpadal.s16 ", $hi, ", q4",
        )
    };
}

/// One quarter of the odd last group (weights already in `$wlo`, `$whi`), into `$lo` and `$hi`.
macro_rules! single {
    ($wlo:literal, $whi:literal, $lo:literal, $hi:literal) => {
        concat!(
            "vmull.s8 q3, ", $wlo, ", d4\n",
            "vmull.s8 q4, ", $whi, ", d4\n",
            "vpadal.s16 ", $lo, ", q3\n",
            "vpadal.s16 ", $hi, ", q4",
        )
    };
}

/// `acc[2q + h] += pairwise(a · w)` over `groups` groups of one panel (see the module note).
///
/// # Safety
/// NEON available; `a` has ≥ 4·groups readable bytes, `w` ≥ 64·groups.
unsafe fn dot(acc: &mut [[i32; 4]; 8], a: *const i8, w: *const i8, groups: usize) {
    let pairs = groups / 2;
    let odd = groups % 2;
    // SAFETY: the loop reads 8 bytes of `a` and two 64-byte blocks of `w` per pair, then 4 and
    // one block for an odd last group: within the caller's bounds. q8–q15 (d16–d31) are saved on
    // the stack and restored; every other vector register written is declared clobbered.
    unsafe {
        core::arch::asm!(
            ".fpu neon",
            "vpush {{d16-d31}}",
            "mov {t}, {acc}",
            "vld1.32 {{d16-d19}}, [{t}]!",
            "vld1.32 {{d20-d23}}, [{t}]!",
            "vld1.32 {{d24-d27}}, [{t}]!",
            "vld1.32 {{d28-d31}}, [{t}]",
            "add {w1}, {w}, #64",
            "cmp {pairs}, #0",
            "beq 2f",
            "1:",
            "vld1.32 {{d4[]}}, [{a}]!",
            "vld1.32 {{d5[]}}, [{a}]!",
            quarter!("q8", "q9"),   // channels 0-3
            quarter!("q10", "q11"), // channels 4-7
            quarter!("q12", "q13"), // channels 8-11
            quarter!("q14", "q15"), // channels 12-15
            // skip the block the second pointer read
            "add {w}, {w}, #64",
            "add {w1}, {w1}, #64",
            "subs {pairs}, {pairs}, #1",
            "bne 1b",
            "2:",
            "cmp {odd}, #0",
            "beq 3f",
            "vld1.32 {{d4[]}}, [{a}]",
            "vld1.8 {{d0-d3}}, [{w}]!",
            single!("d0", "d1", "q8", "q9"),   // channels 0-3
            single!("d2", "d3", "q10", "q11"), // channels 4-7
            "vld1.8 {{d0-d3}}, [{w}]",
            single!("d0", "d1", "q12", "q13"), // channels 8-11
            single!("d2", "d3", "q14", "q15"), // channels 12-15
            "3:",
            "vst1.32 {{d16-d19}}, [{acc}]!",
            "vst1.32 {{d20-d23}}, [{acc}]!",
            "vst1.32 {{d24-d27}}, [{acc}]!",
            "vst1.32 {{d28-d31}}, [{acc}]",
            "vpop {{d16-d31}}",
            acc = inout(reg) acc.as_mut_ptr() => _,
            a = inout(reg) a => _,
            w = inout(reg) w => _,
            pairs = inout(reg) pairs => _,
            odd = in(reg) odd,
            w1 = out(reg) _,
            t = out(reg) _,
            out("d0") _, out("d1") _, out("d2") _, out("d3") _, out("d4") _,
            out("d5") _, out("d6") _, out("d7") _, out("d8") _, out("d9") _,
        );
    }
}
