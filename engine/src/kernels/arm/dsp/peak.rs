//! Register-only ceiling of the DSP int8 route: `smlad` (2 multiply-accumulates) on 8
//! independent accumulators, with the two `sxtb16` per weight word the GEMM also issues
//! (2 `sxtb16` per 2 `smlad`, as in `ops::dot4` with the activation split hoisted).

use core::arch::asm;

/// Runs `iters` iterations; returns the multiply-accumulates done (16 per iteration).
pub fn smlad_sxtb16(iters: u32) -> u64 {
    if iters == 0 {
        return 0;
    }
    // SAFETY: a loop over general-purpose registers only, all declared; `smlad` and `sxtb16`
    // exist on every target this module is built for (`electra_arm_dsp`).
    unsafe {
        asm!(
            "2:",
            "sxtb16 {w0}, {x}",
            "sxtb16 {w1}, {x}, ror #8",
            "smlad {a0}, {w0}, {x}, {a0}",
            "smlad {a1}, {w1}, {x}, {a1}",
            "sxtb16 {w0}, {x}",
            "sxtb16 {w1}, {x}, ror #8",
            "smlad {a2}, {w0}, {x}, {a2}",
            "smlad {a3}, {w1}, {x}, {a3}",
            "sxtb16 {w0}, {x}",
            "sxtb16 {w1}, {x}, ror #8",
            "smlad {a4}, {w0}, {x}, {a4}",
            "smlad {a5}, {w1}, {x}, {a5}",
            "sxtb16 {w0}, {x}",
            "sxtb16 {w1}, {x}, ror #8",
            "smlad {a0}, {w0}, {x}, {a0}",
            "smlad {a1}, {w1}, {x}, {a1}",
            "subs {n}, {n}, #1",
            "bne 2b",
            n = inout(reg) iters => _,
            x = in(reg) 0x0302_0101u32,
            w0 = out(reg) _,
            w1 = out(reg) _,
            a0 = inout(reg) 0i32 => _,
            a1 = inout(reg) 0i32 => _,
            a2 = inout(reg) 0i32 => _,
            a3 = inout(reg) 0i32 => _,
            a4 = inout(reg) 0i32 => _,
            a5 = inout(reg) 0i32 => _,
            options(nostack, nomem),
        );
    }
    u64::from(iters) * 16
}
