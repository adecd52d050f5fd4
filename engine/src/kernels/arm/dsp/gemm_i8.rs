//! ARM DSP int8 GEMM on the `Panel16x4` layout: `sxtb16` + `smlad`, signed × signed, for cores
//! without a vector unit (Cortex-M4/M7).
//!
//! A `Panel16x4` block holds, for 4 consecutive k, each of 16 channels' 4 bytes: one 32-bit word
//! per channel. A row's 4 activations are one word too. `sxtb16` splits a word into its even
//! bytes (0, 2) and, rotated by 8, its odd bytes (1, 3), each as two i16 halves, and `smlad` adds
//! both half products to an i32: two `smlad` per channel and group make the 4-term dot product
//! (`ops::dot4`), exact (|Σ| ≤ 4·127², no i16 sum is formed).
//!
//! Register blocking: one row × 4 channels (a quarter of the panel) per pass over k, in an `asm!`
//! loop (`quarter`) so that the 4 accumulators, the split activation word, the weight word and
//! the pointers stay in the 11 registers `asm!` may use on both Thumb-2 and A32 (LLVM's own
//! allocation of the same loop spilled a pointer). Per group and quarter: one activation load and
//! its two `sxtb16`, then per channel a load, two `sxtb16` and two `smlad`, and the loop: 26
//! instructions for 16 multiply-accumulates, against 19 for 4 in the scalar kernel's loop on a
//! Cortex-M4 (`ldrsb` ×8, `smlabb` ×4). The partial last group and the f32 epilogue
//! (`scalar::gemm_i8::epilogue_row`) are Rust.

use super::ops::{dot4, sxtb16, sxtb16_ror8};
use crate::kernels::pack::{padded_k, BLOCK_BYTES, PANEL_K, PANEL_N};
use crate::kernels::scalar::gemm_i8::epilogue_row;

/// The little-endian word of 4 bytes.
#[inline(always)]
fn word(b: &[i8]) -> u32 {
    u32::from_le_bytes([b[0] as u8, b[1] as u8, b[2] as u8, b[3] as u8])
}

/// `y = (a · wᵀ) · (sa ⊗ sw) + bias`, bit-exact with `scalar::gemm_i8_packed` (integer sums are
/// exact on both sides). Lengths as `kernels::check_gemm_args` asserts; panics (bounds checks)
/// if a slice is too short.
#[allow(clippy::too_many_arguments)]
pub fn gemm_i8_packed(a: &[i8], sa: &[f32], m: usize, k: usize, w: &[i8], sw: &[f32], bias: &[f32], n: usize, y: &mut [f32]) {
    let groups = padded_k(k) / PANEL_K;
    let full = k / PANEL_K;
    let panel_bytes = groups * BLOCK_BYTES;
    for i in 0..m {
        let row = &a[i * k..(i + 1) * k];
        // The last, partial group of the row, zero-padded (the padded weights are zero too).
        let mut last = [0i8; PANEL_K];
        last[..k - full * PANEL_K].copy_from_slice(&row[full * PANEL_K..]);
        let (le, lo) = (sxtb16(word(&last)), sxtb16_ror8(word(&last)));
        for (p, panel) in w.chunks_exact(panel_bytes).take(n.div_ceil(PANEL_N)).enumerate() {
            let mut acc = [0i32; PANEL_N];
            for (q, acc) in acc.chunks_exact_mut(4).enumerate() {
                let mut s = [0i32; 4];
                if full > 0 {
                    let blocks = &panel[..full * BLOCK_BYTES];
                    // SAFETY: `row` holds 4·full bytes and `blocks` 64·full, of which the loop
                    // reads the quarter at 16q of each block; the target has the DSP instructions.
                    unsafe { quarter(&mut s, row.as_ptr(), blocks[16 * q..].as_ptr(), full) };
                }
                if full < groups {
                    let block = &panel[full * BLOCK_BYTES..][..BLOCK_BYTES];
                    for (s, wc) in s.iter_mut().zip(block[16 * q..16 * q + 16].chunks_exact(4)) {
                        *s = dot4(le, lo, word(wc), *s);
                    }
                }
                acc.copy_from_slice(&s);
            }
            epilogue_row(&acc, sa[i], sw, bias, p * PANEL_N, &mut y[i * n..(i + 1) * n]);
        }
    }
}

/// One channel of a group: its weight word at `[{w}, #off]`, split and multiplied with the
/// split activation word into accumulator `$s` (`ops::dot4` in instructions).
macro_rules! channel {
    ($off:literal, $s:literal) => {
        concat!(
            "ldr {t}, [{w}, #", $off, "]\n",
            "sxtb16 {u}, {t}\n",
            "sxtb16 {t}, {t}, ror #8\n",
            "smlad {", $s, "}, {xe}, {u}, {", $s, "}\n",
            "smlad {", $s, "}, {xo}, {t}, {", $s, "}",
        )
    };
}

/// `s[c] += Σ_g dot4(a[4g..4g+4], w[64g + 4c..64g + 4c + 4])` for c < 4 and g < `groups`: one
/// row × one quarter of a panel, accumulators in registers. 26 instructions per group (16
/// multiply-accumulates): the activation word's load and split, per channel a load, two
/// `sxtb16` and two `smlad`, and the loop.
///
/// # Safety
/// `groups ≥ 1`; `a` readable for 4·groups bytes, `w` for 64·(groups − 1) + 16; a target with
/// the DSP instructions (`electra_arm_dsp`).
unsafe fn quarter(s: &mut [i32; 4], a: *const i8, w: *const i8, groups: usize) {
    let [mut s0, mut s1, mut s2, mut s3] = *s;
    // SAFETY: per the contract: the loop runs `groups` times, each reading one word at `a` (then
    // advanced by 4; unaligned word loads are allowed on these cores) and 16 bytes at `w` (then
    // advanced by 64). Only the declared registers are written.
    unsafe {
        core::arch::asm!(
            "2:",
            "ldr {t}, [{a}], #4",
            "sxtb16 {xe}, {t}",
            "sxtb16 {xo}, {t}, ror #8",
            channel!("0", "s0"),
            channel!("4", "s1"),
            channel!("8", "s2"),
            channel!("12", "s3"),
            "add {w}, {w}, #64",
            "subs {n}, {n}, #1",
            "bne 2b",
            a = inout(reg) a => _,
            w = inout(reg) w => _,
            n = inout(reg) groups => _,
            t = out(reg) _,
            u = out(reg) _,
            xe = out(reg) _,
            xo = out(reg) _,
            s0 = inout(reg) s0,
            s1 = inout(reg) s1,
            s2 = inout(reg) s2,
            s3 = inout(reg) s3,
            options(nostack, readonly),
        );
    }
    *s = [s0, s1, s2, s3];
}
