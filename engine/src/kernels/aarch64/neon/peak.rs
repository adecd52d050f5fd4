//! Register-only ceiling of the NEON int8 route: `smull` + `smlal` + `sadalp` (16 MACs per
//! triple), 8 independent triples per iteration.

use core::arch::asm;

/// Runs `iters` iterations; returns the MACs done (128 per iteration).
///
/// # Safety
/// The CPU must support NEON.
#[target_feature(enable = "neon")]
pub unsafe fn smull_smlal_sadalp(iters: u64) -> u64 {
    if iters == 0 {
        return 0;
    }
    // SAFETY: register-only loop over scratch vector registers declared as clobbers.
    unsafe {
        asm!(
            "movi v0.16b, #3",
            "movi v1.16b, #5",
            "2:",
            "smull v8.8h, v0.8b, v1.8b",
            "smull v9.8h, v0.8b, v1.8b",
            "smull v10.8h, v0.8b, v1.8b",
            "smull v11.8h, v0.8b, v1.8b",
            "smull v12.8h, v0.8b, v1.8b",
            "smull v13.8h, v0.8b, v1.8b",
            "smull v14.8h, v0.8b, v1.8b",
            "smull v15.8h, v0.8b, v1.8b",
            "smlal v8.8h, v0.8b, v1.8b",
            "smlal v9.8h, v0.8b, v1.8b",
            "smlal v10.8h, v0.8b, v1.8b",
            "smlal v11.8h, v0.8b, v1.8b",
            "smlal v12.8h, v0.8b, v1.8b",
            "smlal v13.8h, v0.8b, v1.8b",
            "smlal v14.8h, v0.8b, v1.8b",
            "smlal v15.8h, v0.8b, v1.8b",
            "sadalp v16.4s, v8.8h",
            "sadalp v17.4s, v9.8h",
            "sadalp v18.4s, v10.8h",
            "sadalp v19.4s, v11.8h",
            "sadalp v20.4s, v12.8h",
            "sadalp v21.4s, v13.8h",
            "sadalp v22.4s, v14.8h",
            "sadalp v23.4s, v15.8h",
            "subs {n}, {n}, #1",
            "b.ne 2b",
            n = inout(reg) iters => _,
            out("v0") _, out("v1") _, out("v8") _, out("v9") _, out("v10") _, out("v11") _,
            out("v12") _, out("v13") _, out("v14") _, out("v15") _, out("v16") _, out("v17") _,
            out("v18") _, out("v19") _, out("v20") _, out("v21") _, out("v22") _, out("v23") _,
            options(nomem, nostack)
        );
    }
    iters * 128
}
