//! Build-time CPU facts the engine cannot detect at run time.
//!
//! `electra_arm_dsp`: the target's CPU has the ARM DSP instructions the `kernels::arm::dsp` GEMM
//! uses (`smlad`, `sxtb16`). Always on the ARMv7E-M microcontrollers (Cortex-M4/M7, `thumbv7em`)
//! and A/R-profile armv6 and armv7 (`arm-unknown-linux-*` is armv6); on Armv8-M Mainline
//! (`thumbv8m.main`: Cortex-M33/M55), where the extension is optional, with the `arm-dsp` feature.
//! Never on Cortex-M0/M0+/M3 (`thumbv6m`, `thumbv7m`). Stable Rust has no
//! `cfg(target_feature = "dsp")` on ARM, hence the target name.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(electra_arm_dsp)");
    println!("cargo::rerun-if-changed=build.rs");
    let target = std::env::var("TARGET").unwrap_or_default();
    let arch = target.split('-').next().unwrap_or("");
    let dsp = arch.starts_with("thumbv7em")
        || arch.starts_with("armv7")
        || arch.starts_with("thumbv7a")
        || arch.starts_with("thumbv7neon")
        || arch.starts_with("thumbv7r")
        || arch.starts_with("armv6")
        || target.starts_with("arm-unknown-linux") // armv6 (Raspberry Pi 1 / Zero)
        // Optional on Armv8-M Mainline: the user says so with the `arm-dsp` feature.
        || (arch.starts_with("thumbv8m.main") && std::env::var_os("CARGO_FEATURE_ARM_DSP").is_some());
    if dsp {
        println!("cargo::rustc-cfg=electra_arm_dsp");
    }
}
