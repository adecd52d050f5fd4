//! Register-only ceiling of `tdpbssd`: 4 independent accumulator tiles, operands loaded once.

use super::TileConfig;
use core::arch::asm;

/// Runs `iters` × 4 `tdpbssd` (16 × 16 × 64 MACs each); returns the MACs done.
///
/// # Safety
/// AMX-INT8 must be available and permitted (`amx::available()`).
pub unsafe fn tdpbssd(iters: u64) -> u64 {
    let mut cfg = TileConfig::empty();
    for t in 0..6 {
        cfg = cfg.tile(t, 16, 64);
    }
    let ops = [1i8; 16 * 64];
    // SAFETY: the configuration is valid (palette 1, 6 tiles of 16 × 64 bytes); the loads read
    // 16 rows of 64 bytes of `ops` (stride 64); AMX is available (caller).
    unsafe {
        asm!("ldtilecfg [{0}]", in(reg) cfg.0.as_ptr(), options(nostack, readonly));
        asm!("tileloadd tmm4, [{0} + {1}*1]", "tileloadd tmm5, [{0} + {1}*1]", in(reg) ops.as_ptr(), in(reg) 64usize, options(nostack, readonly));
        for _ in 0..iters {
            asm!(
                "tdpbssd tmm0, tmm4, tmm5",
                "tdpbssd tmm1, tmm4, tmm5",
                "tdpbssd tmm2, tmm4, tmm5",
                "tdpbssd tmm3, tmm4, tmm5",
                options(nostack, nomem),
            );
        }
        asm!("tilerelease", options(nostack, nomem));
    }
    iters * 4 * 16 * 16 * 64
}
