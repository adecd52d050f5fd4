//! 32-bit ARM kernels, one folder per instruction set as for the other architectures: `neon/`
//! (armv7-a with NEON: a Raspberry Pi 2/3/4 running a 32-bit OS) and `dsp/` (`smlad`: Cortex-M4/M7
//! microcontrollers, and armv6/armv7 without NEON).
//!
//! Rust 1.95 has no stable NEON intrinsics or `#[target_feature(enable = "neon")]` on 32-bit ARM
//! (docs/kernels.md), so the inner loops are `asm!` blocks that switch the assembler to NEON
//! (`.fpu neon`), and the CPU check reads the kernel's `HWCAP_NEON` bit at run time (std on
//! Linux). Reachable only through `kernels::Kernels`, whose constructors check the CPU first.

#[cfg(electra_arm_dsp)]
pub mod dsp;
#[cfg(all(target_os = "linux", feature = "std"))]
pub mod neon;
