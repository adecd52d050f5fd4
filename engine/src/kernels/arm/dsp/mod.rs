//! 32-bit ARM DSP instructions (ARMv6 media / ARMv7E-M DSP extension): `smlad` + `sxtb16`, two
//! 16-bit multiply-accumulates per instruction in a general-purpose register. The int8 GEMM of
//! Cortex-M4/M7 microcontrollers (`thumbv7em`), where there is no vector unit; also built for
//! A-profile armv6/armv7 (where NEON is preferred when present) and tested there under QEMU.
//!
//! Rust 1.95 has the DSP intrinsics (`__smlad`) only on nightly, so each instruction is a one-line
//! `asm!` wrapped in a safe `#[inline(always)]` function (`ops`). Whether a target has the
//! instructions is known at build time only (`build.rs` sets `electra_arm_dsp` for targets whose
//! every CPU has them), so the CPU check is the build itself. Quantization and the f32 kernels
//! are the portable ones on these targets.

pub mod gemm_i8;
pub mod peak;

/// The three DSP instructions the GEMM uses, each a pure register operation.
pub(crate) mod ops {
    use core::arch::asm;

    /// Bytes 0 and 2 of `x`, sign-extended into the two 16-bit halves (`sxtb16`).
    #[inline(always)]
    pub fn sxtb16(x: u32) -> u32 {
        let r: u32;
        // SAFETY: register-only; `sxtb16` exists on every target this module is built for
        // (`electra_arm_dsp`, build.rs).
        unsafe { asm!("sxtb16 {r}, {x}", r = lateout(reg) r, x = in(reg) x, options(pure, nomem, nostack, preserves_flags)) };
        r
    }

    /// Bytes 1 and 3 of `x`, sign-extended into the two 16-bit halves (`sxtb16 …, ror #8`).
    #[inline(always)]
    pub fn sxtb16_ror8(x: u32) -> u32 {
        let r: u32;
        // SAFETY: as `sxtb16`.
        unsafe { asm!("sxtb16 {r}, {x}, ror #8", r = lateout(reg) r, x = in(reg) x, options(pure, nomem, nostack, preserves_flags)) };
        r
    }

    /// `acc + x.lo·y.lo + x.hi·y.hi` on signed 16-bit halves (`smlad`); wraps like `i32` adds
    /// (it only sets the sticky Q flag on overflow, which nothing reads).
    #[inline(always)]
    pub fn smlad(x: u32, y: u32, mut acc: i32) -> i32 {
        // SAFETY: register-only (it may set the Q flag, hence no `preserves_flags`); `smlad`
        // exists on every target this module is built for. The sum stays in the accumulator's
        // register, so a loop keeps each accumulator in one register (no moves between them).
        unsafe { asm!("smlad {acc}, {x}, {y}, {acc}", acc = inout(reg) acc, x = in(reg) x, y = in(reg) y, options(pure, nomem, nostack)) };
        acc
    }

    /// `acc + Σ_t a[t]·w[t]` over the four signed bytes of `a` and of `w` (bytes `t` of each
    /// word, little-endian): two `smlad` on the even and the odd bytes, given `a` already split.
    #[inline(always)]
    pub fn dot4(a_even: u32, a_odd: u32, w: u32, acc: i32) -> i32 {
        smlad(a_odd, sxtb16_ror8(w), smlad(a_even, sxtb16(w), acc))
    }
}
