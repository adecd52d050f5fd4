//! Register-only ceilings for AVX2 int8 dot products (in `asm!`, so the compiler can neither hoist
//! nor fuse the loop-invariant products).
//!
//! * `maddubs_chain`: `vpmaddubsw` + `vpmaddwd(·, 1)` + `vpaddd`, 6 independent chains: the usual
//!   AVX2 "int8 peak" (32 MACs per 3 instructions), but NOT exact on symmetric int8 (the i16 pair
//!   sum saturates), so no kernel here may use it: the reference point only.
//! * `madd_exact`: the instruction mix of `avx2::gemm_i8` — one `vpmovsxbw` from L1 feeding
//!   6 × (`vpmaddwd` + `vpaddd`), 96 MACs per 13 instructions: the ceiling of the exact route.

use core::arch::asm;

/// Runs `iters` × 6 chains; returns the MACs done (32 per chain step).
///
/// # Safety
/// The CPU must support AVX2.
#[target_feature(enable = "avx2")]
pub unsafe fn maddubs_chain(iters: u64) -> u64 {
    if iters == 0 {
        return 0;
    }
    // SAFETY: register-only loop over the vector registers declared as clobbers.
    unsafe {
        asm!(
            "vpcmpeqw ymm15, ymm15, ymm15",
            "vpsrlw ymm15, ymm15, 15", // i16 ones
            "vpcmpeqb ymm14, ymm14, ymm14",
            "vpabsb ymm14, ymm14",     // u8 ones
            "vpxor ymm13, ymm13, ymm13",
            "2:",
            "vpmaddubsw ymm0, ymm14, ymm14",
            "vpmaddubsw ymm1, ymm14, ymm14",
            "vpmaddubsw ymm2, ymm14, ymm14",
            "vpmaddubsw ymm3, ymm14, ymm14",
            "vpmaddubsw ymm4, ymm14, ymm14",
            "vpmaddubsw ymm5, ymm14, ymm14",
            "vpmaddwd ymm0, ymm0, ymm15",
            "vpmaddwd ymm1, ymm1, ymm15",
            "vpmaddwd ymm2, ymm2, ymm15",
            "vpmaddwd ymm3, ymm3, ymm15",
            "vpmaddwd ymm4, ymm4, ymm15",
            "vpmaddwd ymm5, ymm5, ymm15",
            "vpaddd ymm6, ymm6, ymm0",
            "vpaddd ymm7, ymm7, ymm1",
            "vpaddd ymm8, ymm8, ymm2",
            "vpaddd ymm9, ymm9, ymm3",
            "vpaddd ymm10, ymm10, ymm4",
            "vpaddd ymm11, ymm11, ymm5",
            "dec {n}",
            "jnz 2b",
            "vzeroupper",
            n = inout(reg) iters => _,
            out("ymm0") _, out("ymm1") _, out("ymm2") _, out("ymm3") _, out("ymm4") _, out("ymm5") _,
            out("ymm6") _, out("ymm7") _, out("ymm8") _, out("ymm9") _, out("ymm10") _, out("ymm11") _,
            out("ymm13") _, out("ymm14") _, out("ymm15") _,
            options(nomem, nostack)
        );
    }
    iters * 6 * 32
}

/// Runs `iters` × (1 `vpmovsxbw` load + 6 `vpmaddwd` + 6 `vpaddd`); returns the MACs done (96 each).
///
/// # Safety
/// The CPU must support AVX2.
#[target_feature(enable = "avx2")]
pub unsafe fn madd_exact(iters: u64) -> u64 {
    if iters == 0 {
        return 0;
    }
    let w = [3i8; 16];
    // SAFETY: the loop reads the 16 bytes of `w` and otherwise only the declared registers.
    unsafe {
        asm!(
            "vpcmpeqw ymm6, ymm6, ymm6",
            "vpcmpeqw ymm7, ymm7, ymm7",
            "vpcmpeqw ymm8, ymm8, ymm8",
            "vpcmpeqw ymm9, ymm9, ymm9",
            "vpcmpeqw ymm10, ymm10, ymm10",
            "vpcmpeqw ymm11, ymm11, ymm11",
            "2:",
            "vpmovsxbw ymm12, xmmword ptr [{w}]",
            "vpmaddwd ymm13, ymm12, ymm6",
            "vpaddd ymm0, ymm0, ymm13",
            "vpmaddwd ymm14, ymm12, ymm7",
            "vpaddd ymm1, ymm1, ymm14",
            "vpmaddwd ymm15, ymm12, ymm8",
            "vpaddd ymm2, ymm2, ymm15",
            "vpmaddwd ymm13, ymm12, ymm9",
            "vpaddd ymm3, ymm3, ymm13",
            "vpmaddwd ymm14, ymm12, ymm10",
            "vpaddd ymm4, ymm4, ymm14",
            "vpmaddwd ymm15, ymm12, ymm11",
            "vpaddd ymm5, ymm5, ymm15",
            "dec {n}",
            "jnz 2b",
            "vzeroupper",
            w = in(reg) w.as_ptr(),
            n = inout(reg) iters => _,
            out("ymm0") _, out("ymm1") _, out("ymm2") _, out("ymm3") _, out("ymm4") _, out("ymm5") _,
            out("ymm6") _, out("ymm7") _, out("ymm8") _, out("ymm9") _, out("ymm10") _, out("ymm11") _,
            out("ymm12") _, out("ymm13") _, out("ymm14") _, out("ymm15") _,
            options(nostack, readonly)
        );
    }
    iters * 96
}
