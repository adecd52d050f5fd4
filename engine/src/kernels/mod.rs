//! Kernels: the only place for SIMD and nearly all `unsafe`.
//!
//! * `scalar/` — the specification every ISA-specific kernel is tested against (bit-exact), and
//!   the kernels of targets without SIMD.
//! * `pack` — the `Panel16x4` int8 weight layout that every int8 GEMM kernel reads (and the
//!   converter writes).
//! * `prefetch` — asking for a later GEMM's weights between chunks of f32 work.
//! * `x86_64/{sse41,avx2,avxvnni,avx512vnni,amx}/`, `aarch64/{neon,dotprod}/`, `arm/neon/` (armv7),
//!   `arm/dsp/` (Cortex-M4/M7 and other 32-bit ARM with `smlad`) —
//!   one folder per instruction set with the same file names (`gemm_i8.rs`, `quantize.rs` where it
//!   has its own, `peak.rs`).
//!
//! The `#[target_feature]` functions are private to this module tree. The only way to call them is
//! through a [`Kernels`] value, and the only ways to get one check the CPU first
//! ([`Kernels::detect`], [`Kernels::force`], [`Kernels::from_env`]): holding a `Kernels` is the
//! proof that its instruction set can run. Detect once (at model load), then dispatch per call.
//!
//! ```
//! use electra_engine::kernels::{pack, Kernels};
//! let kernels = Kernels::detect();
//! let (m, k, n) = (2, 3, 2);
//! let w = [1i8, 2, 3, -1, -2, -3]; // [n, k]
//! let mut packed = [0i8; pack::packed_len(2, 3)];
//! pack::pack_panel16x4(&w, n, k, &mut packed);
//! let mut sums = [0i32; 2];
//! pack::row_sums(&w, n, k, &mut sums);
//! let a = [1i8, 1, 1, 0, 0, 2]; // [m, k]
//! let mut y = [0.0f32; 4];
//! kernels.gemm_i8_packed(&a, &[1.0, 0.5], m, k, &packed, &[1.0, 1.0], &sums, &[], n, &mut y);
//! assert_eq!(y, [6.0, -6.0, 3.0, -3.0]);
//! ```

pub mod float;
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
mod gemm_args;
pub mod pack;
pub mod prefetch;
pub mod scalar;

#[cfg(target_arch = "aarch64")]
mod aarch64;
#[cfg(all(target_arch = "arm", any(electra_arm_dsp, all(target_os = "linux", feature = "std"))))]
mod arm;
#[cfg(target_arch = "x86_64")]
mod x86_64;

#[cfg(test)]
mod tests;

use core::fmt;

/// An instruction set with its own int8 kernels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Isa {
    /// Plain Rust (`scalar/`): every target.
    Scalar,
    /// x86-64 SSE4.1, the AVX2 route in 128 bits (`pmovsxbw` + `pmaddwd`): x86-64 CPUs without
    /// AVX (Atom-class Celerons and Pentiums of fanless edge boxes).
    Sse41,
    /// x86-64 AVX2, exact i16 route (`vpmovsxbw` + `vpmaddwd`).
    Avx2,
    /// x86-64 AVX-VNNI, `vpdpbusd ymm`.
    AvxVnni,
    /// x86-64 AVX-512 F/BW/VNNI, `vpdpbusd zmm`.
    Avx512Vnni,
    /// x86-64 AMX-INT8 tiles (`tdpbssd`) for the int8 GEMM, the AVX-512 VNNI kernels for the rest
    /// (Sapphire Rapids and later Xeons; Linux grants the tile state on request).
    Amx,
    /// aarch64 Advanced SIMD, `smull`/`smlal`/`sadalp` (Cortex-A72, Raspberry Pi 4); on 32-bit
    /// ARM Linux (armv7, a Pi on a 32-bit OS) the same arithmetic in `asm!`, GEMM only.
    Neon,
    /// aarch64 with the dot-product extension, `sdot` (Cortex-A76, Raspberry Pi 5).
    Dotprod,
    /// 32-bit ARM DSP instructions, `sxtb16` + `smlad` (two 16-bit multiply-accumulates per
    /// instruction): Cortex-M4/M7 microcontrollers (`thumbv7em`), and armv6/armv7 without NEON.
    /// Known at build time (`build.rs`); GEMM only.
    Dsp,
}

impl Isa {
    /// Every ISA, in the order tests and benches report them.
    pub const ALL: [Isa; 9] = [Isa::Scalar, Isa::Sse41, Isa::Avx2, Isa::AvxVnni, Isa::Avx512Vnni, Isa::Amx, Isa::Neon, Isa::Dotprod, Isa::Dsp];

    /// The name used by `ELECTRA_ISA`, tests and benches.
    pub const fn name(self) -> &'static str {
        match self {
            Isa::Scalar => "scalar",
            Isa::Sse41 => "sse41",
            Isa::Avx2 => "avx2",
            Isa::AvxVnni => "avxvnni",
            Isa::Avx512Vnni => "avx512vnni",
            Isa::Amx => "amx",
            Isa::Neon => "neon",
            Isa::Dotprod => "dotprod",
            Isa::Dsp => "dsp",
        }
    }

    /// The inverse of [`Isa::name`] (exact, lower case).
    pub fn from_name(name: &str) -> Option<Isa> {
        Isa::ALL.into_iter().find(|isa| isa.name() == name)
    }

    /// Whether this CPU (std: detected at run time; no_std: enabled at compile time) runs it.
    pub fn is_available(self) -> bool {
        match self {
            Isa::Scalar => true,
            Isa::Sse41 => cpu::sse41(),
            Isa::Avx2 => cpu::avx2(),
            Isa::AvxVnni => cpu::avxvnni(),
            Isa::Avx512Vnni => cpu::avx512vnni(),
            Isa::Amx => cpu::amx(),
            Isa::Neon => cpu::neon(),
            Isa::Dotprod => cpu::dotprod(),
            Isa::Dsp => cpu::dsp(),
        }
    }
}

impl fmt::Display for Isa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// CPU feature checks. With `std`: run-time detection (cached by std). Without: what the build
/// enables (`-C target-cpu=...` / `-C target-feature=...`).
mod cpu {
    #[cfg(all(target_arch = "x86_64", feature = "std"))]
    mod imp {
        pub fn sse41() -> bool {
            std::is_x86_feature_detected!("sse4.1")
        }
        pub fn avx2() -> bool {
            std::is_x86_feature_detected!("avx2")
        }
        pub fn avxvnni() -> bool {
            avx2() && std::is_x86_feature_detected!("avxvnni")
        }
        pub fn avx512vnni() -> bool {
            std::is_x86_feature_detected!("avx512f")
                && std::is_x86_feature_detected!("avx512bw")
                && std::is_x86_feature_detected!("avx512vnni")
        }
    }
    #[cfg(all(target_arch = "x86_64", not(feature = "std")))]
    mod imp {
        pub fn sse41() -> bool {
            cfg!(target_feature = "sse4.1")
        }
        pub fn avx2() -> bool {
            cfg!(target_feature = "avx2")
        }
        pub fn avxvnni() -> bool {
            cfg!(all(target_feature = "avx2", target_feature = "avxvnni"))
        }
        pub fn avx512vnni() -> bool {
            cfg!(all(target_feature = "avx512f", target_feature = "avx512bw", target_feature = "avx512vnni"))
        }
    }
    #[cfg(target_arch = "x86_64")]
    pub use imp::{avx2, avx512vnni, avxvnni, sse41};
    /// AMX-INT8 on top of AVX-512 VNNI, with the tile state granted by the OS (std on Linux).
    #[cfg(target_arch = "x86_64")]
    pub fn amx() -> bool {
        avx512vnni() && super::x86_64::amx::available()
    }
    #[cfg(not(target_arch = "x86_64"))]
    pub fn amx() -> bool {
        false
    }
    #[cfg(not(target_arch = "x86_64"))]
    pub fn sse41() -> bool {
        false
    }
    #[cfg(not(target_arch = "x86_64"))]
    pub fn avx2() -> bool {
        false
    }
    #[cfg(not(target_arch = "x86_64"))]
    pub fn avxvnni() -> bool {
        false
    }
    #[cfg(not(target_arch = "x86_64"))]
    pub fn avx512vnni() -> bool {
        false
    }

    #[cfg(all(target_arch = "aarch64", feature = "std"))]
    mod imp_arm {
        pub fn neon() -> bool {
            std::arch::is_aarch64_feature_detected!("neon")
        }
        pub fn dotprod() -> bool {
            neon() && std::arch::is_aarch64_feature_detected!("dotprod")
        }
    }
    #[cfg(all(target_arch = "aarch64", not(feature = "std")))]
    mod imp_arm {
        pub fn neon() -> bool {
            cfg!(target_feature = "neon")
        }
        pub fn dotprod() -> bool {
            cfg!(all(target_feature = "neon", target_feature = "dotprod"))
        }
    }
    #[cfg(target_arch = "aarch64")]
    pub use imp_arm::{dotprod, neon};
    /// 32-bit ARM Linux: the kernel's `HWCAP_NEON` bit (Rust's `is_arm_feature_detected!` is
    /// unstable). Without std there is no armv7 NEON kernel.
    #[cfg(all(target_arch = "arm", target_os = "linux", feature = "std"))]
    pub fn neon() -> bool {
        /// `HWCAP_NEON` of arch/arm/include/uapi/asm/hwcap.h.
        const HWCAP_NEON: libc::c_ulong = 1 << 12;
        // SAFETY: getauxval only reads the process's auxiliary vector; any type is allowed (0 if
        // absent).
        unsafe { libc::getauxval(libc::AT_HWCAP) & HWCAP_NEON != 0 }
    }
    #[cfg(not(any(target_arch = "aarch64", all(target_arch = "arm", target_os = "linux", feature = "std"))))]
    pub fn neon() -> bool {
        false
    }
    #[cfg(not(target_arch = "aarch64"))]
    pub fn dotprod() -> bool {
        false
    }
    /// The ARM DSP instructions: every CPU of the build's target has them or none does
    /// (`build.rs`).
    pub fn dsp() -> bool {
        cfg!(all(target_arch = "arm", electra_arm_dsp))
    }
}

/// [`Kernels::force`] asked for an instruction set this CPU (or build) does not have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unavailable(pub Isa);

impl fmt::Display for Unavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "instruction set '{}' is not available on this CPU", self.0.name())
    }
}

impl core::error::Error for Unavailable {}

/// Why [`Kernels::from_env`] refused `ELECTRA_ISA`.
#[cfg(feature = "std")]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IsaFromEnvError {
    /// The value names no ISA.
    Unknown(std::string::String),
    /// The value names an ISA this CPU lacks.
    Unavailable(Unavailable),
}

#[cfg(feature = "std")]
impl fmt::Display for IsaFromEnvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IsaFromEnvError::Unknown(v) => write!(
                f,
                "ELECTRA_ISA={v:?} names no instruction set (expected one of: scalar, sse41, avx2, avxvnni, avx512vnni, amx, neon, dotprod, dsp)"
            ),
            IsaFromEnvError::Unavailable(u) => write!(f, "ELECTRA_ISA: {u}"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for IsaFromEnvError {}

/// A register-only loop measuring an instruction set's int8 multiply-accumulate ceiling (benches).
#[doc(hidden)]
#[derive(Clone, Copy)]
pub struct PeakLoop {
    pub name: &'static str,
    /// Runs the loop `iters` times and returns the multiply-accumulates done.
    pub run: fn(u64) -> u64,
}

/// The int8 kernels of one instruction set the CPU is known to have.
///
/// Constructed only by [`Kernels::detect`], [`Kernels::scalar`], [`Kernels::force`] and
/// [`Kernels::from_env`], each of which checks the CPU: a `Kernels` is a token proving its ISA runs
/// here, which is what makes the safe methods below sound.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Kernels {
    isa: Isa,
}

impl Kernels {
    /// The best instruction set this CPU has (std: run time; no_std: compile time).
    /// Preference: amx > avx512vnni > avxvnni > avx2 > sse41 on x86-64, dotprod > neon on
    /// aarch64, neon > dsp on 32-bit ARM, else scalar.
    pub fn detect() -> Kernels {
        let isa = Kernels::PREFERENCE
            .into_iter()
            .find(|isa| isa.is_available())
            .unwrap_or(Isa::Scalar);
        Kernels { isa }
    }

    /// Every ISA but scalar, best first: `detect` picks the first available.
    pub const PREFERENCE: [Isa; 8] = [Isa::Amx, Isa::Avx512Vnni, Isa::AvxVnni, Isa::Avx2, Isa::Sse41, Isa::Dotprod, Isa::Neon, Isa::Dsp];

    /// The portable kernels (always available).
    pub const fn scalar() -> Kernels {
        Kernels { isa: Isa::Scalar }
    }

    /// Exactly `isa`, or an error if this CPU lacks it (never a silent fallback).
    pub fn force(isa: Isa) -> Result<Kernels, Unavailable> {
        if isa.is_available() {
            Ok(Kernels { isa })
        } else {
            Err(Unavailable(isa))
        }
    }

    /// `ELECTRA_ISA=scalar|sse41|avx2|avxvnni|avx512vnni|amx|neon|dotprod|dsp` forces that ISA; unset or empty
    /// detects. An unknown name or an ISA the CPU lacks is an error.
    #[cfg(feature = "std")]
    pub fn from_env() -> Result<Kernels, IsaFromEnvError> {
        Kernels::from_env_value(std::env::var("ELECTRA_ISA").ok().as_deref())
    }

    /// `from_env` on a given value (`None` = unset).
    #[cfg(feature = "std")]
    fn from_env_value(value: Option<&str>) -> Result<Kernels, IsaFromEnvError> {
        match value.map(str::trim) {
            Some(v) if !v.is_empty() => {
                let isa = Isa::from_name(&v.to_ascii_lowercase()).ok_or_else(|| IsaFromEnvError::Unknown(v.into()))?;
                Kernels::force(isa).map_err(IsaFromEnvError::Unavailable)
            }
            _ => Ok(Kernels::detect()),
        }
    }

    /// The instruction set these kernels use.
    pub const fn isa(&self) -> Isa {
        self.isa
    }

    /// `self.isa().name()`.
    pub const fn name(&self) -> &'static str {
        self.isa.name()
    }

    /// int8 GEMM on packed weights with the fused f32 epilogue:
    ///
    /// ```text
    /// acc[i, j] = Σ_k a[i, k] · w[j, k]                      (i32, exact)
    /// y[i, j]   = (acc as f32) · (sa[i] · sw[j]) + bias[j]    (no FMA; bias empty = + 0.0)
    /// ```
    ///
    /// `a` [m, k] row-major (only `a[..m·k]` is read), `sa` [m]; `w_packed` = [`pack::pack_panel16x4`]
    /// of `w` [n, k] (`pack::packed_len(n, k)` bytes); `sw` [n]; `row_sums` [n] = `pack::row_sums`
    /// of `w`; `bias` [n] or empty; `y` [m, n] row-major. Bit-identical on every ISA, provided all
    /// int8 values are in [-127, 127] and `row_sums` is right (else the results differ between ISAs
    /// but memory stays safe). Panics if a slice is too short.
    #[allow(clippy::too_many_arguments)]
    #[inline]
    pub fn gemm_i8_packed(
        &self,
        a: &[i8],
        sa: &[f32],
        m: usize,
        k: usize,
        w_packed: &[i8],
        sw: &[f32],
        row_sums: &[i32],
        bias: &[f32],
        n: usize,
        y: &mut [f32],
    ) {
        check_gemm_args(a, sa, m, k, w_packed, sw, row_sums, bias, n, y);
        if m == 0 || n == 0 {
            return;
        }
        if k == 0 {
            // Empty sums: y = 0 · (sa · sw) + bias, through the shared epilogue.
            for i in 0..m {
                for j in 0..n {
                    let b = if bias.is_empty() { 0.0 } else { bias[j] };
                    y[i * n + j] = scalar::gemm_i8::epilogue(0, sa[i], sw[j], b);
                }
            }
            return;
        }
        match self.isa {
            Isa::Scalar => scalar::gemm_i8_packed::gemm_i8_packed(a, sa, m, k, w_packed, sw, bias, n, y),
            #[cfg(target_arch = "x86_64")]
            // SAFETY: a Kernels with this ISA exists only if the CPU has SSE4.1; lengths checked
            // above.
            Isa::Sse41 => unsafe { x86_64::sse41::gemm_i8::gemm_i8_packed(a, sa, m, k, w_packed, sw, bias, n, y) },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: a Kernels with this ISA exists only if the CPU has AVX2; lengths checked above.
            Isa::Avx2 => unsafe { x86_64::avx2::gemm_i8::gemm_i8_packed(a, sa, m, k, w_packed, sw, bias, n, y) },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: a Kernels with this ISA exists only if the CPU has AVX2 and AVX-VNNI; lengths
            // checked above.
            Isa::AvxVnni => unsafe {
                x86_64::avxvnni::gemm_i8::gemm_i8_packed(a, sa, m, k, w_packed, sw, row_sums, bias, n, y)
            },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: a Kernels with this ISA exists only if the CPU has AVX-512 F/BW/VNNI; lengths
            // checked above.
            Isa::Avx512Vnni => unsafe {
                x86_64::avx512vnni::gemm_i8::gemm_i8_packed(a, sa, m, k, w_packed, sw, row_sums, bias, n, y)
            },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: a Kernels with this ISA exists only if the CPU has AMX-INT8 (granted by the
            // OS) and AVX-512 F/BW/VNNI; lengths checked above; the tile kernel gets k % 64 == 0.
            Isa::Amx => unsafe {
                if k.is_multiple_of(64) {
                    x86_64::amx::gemm_i8::gemm_i8_packed(a, sa, m, k, w_packed, sw, bias, n, y)
                } else {
                    x86_64::avx512vnni::gemm_i8::gemm_i8_packed(a, sa, m, k, w_packed, sw, row_sums, bias, n, y)
                }
            },
            #[cfg(target_arch = "aarch64")]
            // SAFETY: a Kernels with this ISA exists only if the CPU has NEON; lengths checked above.
            Isa::Neon => unsafe { aarch64::neon::gemm_i8::gemm_i8_packed(a, sa, m, k, w_packed, sw, bias, n, y) },
            #[cfg(target_arch = "aarch64")]
            // SAFETY: a Kernels with this ISA exists only if the CPU has NEON and dotprod; lengths
            // checked above.
            Isa::Dotprod => unsafe { aarch64::dotprod::gemm_i8::gemm_i8_packed(a, sa, m, k, w_packed, sw, bias, n, y) },
            #[cfg(all(target_arch = "arm", target_os = "linux", feature = "std"))]
            // SAFETY: a Kernels with this ISA exists only if HWCAP_NEON is set; lengths checked
            // above.
            Isa::Neon => unsafe { arm::neon::gemm_i8::gemm_i8_packed(a, sa, m, k, w_packed, sw, bias, n, y) },
            #[cfg(all(target_arch = "arm", electra_arm_dsp))]
            Isa::Dsp => arm::dsp::gemm_i8::gemm_i8_packed(a, sa, m, k, w_packed, sw, bias, n, y),
            #[allow(unreachable_patterns)]
            _ => unreachable!("Kernels for an ISA of another architecture cannot be constructed"),
        }
    }

    /// Per-row symmetric int8 quantization, bit-identical to
    /// `scalar::quantize::quantize_rows_smoothed`: `x` [rows, cols] →
    /// `q` [rows, cols], `scales` [rows], with `rows = x.len() / cols`; `channel_scale` [cols] if
    /// present. Panics if `q`, `scales` or `channel_scale` is too short.
    pub fn quantize_rows_smoothed(&self, x: &[f32], cols: usize, channel_scale: Option<&[f32]>, q: &mut [i8], scales: &mut [f32]) {
        if cols == 0 {
            return;
        }
        let rows = x.len() / cols;
        assert!(q.len() >= rows * cols, "quantize: q holds fewer than rows·cols values");
        assert!(scales.len() >= rows, "quantize: scales holds fewer than rows values");
        if let Some(c) = channel_scale {
            assert!(c.len() >= cols, "quantize: channel_scale holds fewer than cols values");
        }
        match self.isa {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: a Kernels holds these ISAs only after detection saw AVX-512F and BW.
            Isa::Avx512Vnni | Isa::Amx => unsafe {
                x86_64::avx512vnni::quantize::quantize_rows_smoothed(x, cols, channel_scale, q, scales)
            },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: both ISAs imply AVX2 (checked at construction).
            Isa::Avx2 | Isa::AvxVnni => unsafe {
                x86_64::avx2::quantize::quantize_rows_smoothed(x, cols, channel_scale, q, scales)
            },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: a Kernels holds this ISA only after detection saw SSE4.1.
            Isa::Sse41 => unsafe { x86_64::sse41::quantize::quantize_rows_smoothed(x, cols, channel_scale, q, scales) },
            #[cfg(target_arch = "aarch64")]
            // SAFETY: both aarch64 ISAs imply NEON (checked at construction).
            Isa::Neon | Isa::Dotprod => unsafe {
                aarch64::neon::quantize::quantize_rows_smoothed(x, cols, channel_scale, q, scales)
            },
            _ => scalar::quantize::quantize_rows_smoothed(x, cols, channel_scale, q, scales),
        }
    }

    /// The register-only peak loops of this ISA (for benches; empty for scalar).
    #[doc(hidden)]
    pub fn peak_loops(&self) -> &'static [PeakLoop] {
        match self.isa {
            #[cfg(target_arch = "x86_64")]
            Isa::Sse41 => &[PeakLoop { name: "sse41 pmovsxbw+6x(pmaddwd+paddd) (exact route)", run: peak::sse41_exact }],
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => &[
                PeakLoop { name: "avx2 vpmaddubsw+vpmaddwd+vpaddd (inexact chain)", run: peak::avx2_chain },
                PeakLoop { name: "avx2 vpmovsxbw+6x(vpmaddwd+vpaddd) (exact route)", run: peak::avx2_exact },
            ],
            #[cfg(target_arch = "x86_64")]
            Isa::AvxVnni => &[PeakLoop { name: "avxvnni vpdpbusd ymm", run: peak::avxvnni }],
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512Vnni => &[PeakLoop { name: "avx512vnni vpdpbusd zmm", run: peak::avx512vnni }],
            #[cfg(target_arch = "x86_64")]
            Isa::Amx => &[PeakLoop { name: "amx tdpbssd", run: peak::amx }],
            #[cfg(target_arch = "aarch64")]
            Isa::Neon => &[PeakLoop { name: "neon smull+smlal+sadalp", run: peak::neon }],
            #[cfg(target_arch = "aarch64")]
            Isa::Dotprod => &[PeakLoop { name: "dotprod sdot", run: peak::dotprod }],
            #[cfg(all(target_arch = "arm", target_os = "linux", feature = "std"))]
            Isa::Neon => &[PeakLoop { name: "armv7 neon vmull+vmlal+vpadal", run: peak::arm_neon }],
            #[cfg(all(target_arch = "arm", electra_arm_dsp))]
            Isa::Dsp => &[PeakLoop { name: "dsp sxtb16+smlad", run: peak::dsp }],
            _ => &[],
        }
    }
}

/// Safe entry points of the peak loops. Only reachable through `Kernels::peak_loops`, i.e. after
/// the CPU check.
mod peak {
    #[cfg(target_arch = "x86_64")]
    pub fn sse41_exact(iters: u64) -> u64 {
        // SAFETY: handed out only by Kernels::peak_loops for an SSE4.1-checked Kernels.
        unsafe { super::x86_64::sse41::peak::madd_exact(iters) }
    }
    #[cfg(target_arch = "x86_64")]
    pub fn avx2_chain(iters: u64) -> u64 {
        // SAFETY: handed out only by Kernels::peak_loops for an AVX2-checked Kernels.
        unsafe { super::x86_64::avx2::peak::maddubs_chain(iters) }
    }
    #[cfg(target_arch = "x86_64")]
    pub fn avx2_exact(iters: u64) -> u64 {
        // SAFETY: as above.
        unsafe { super::x86_64::avx2::peak::madd_exact(iters) }
    }
    #[cfg(target_arch = "x86_64")]
    pub fn avxvnni(iters: u64) -> u64 {
        // SAFETY: handed out only for an AVX-VNNI-checked Kernels.
        unsafe { super::x86_64::avxvnni::peak::vpdpbusd_ymm(iters) }
    }
    #[cfg(target_arch = "x86_64")]
    pub fn avx512vnni(iters: u64) -> u64 {
        // SAFETY: handed out only for an AVX-512-VNNI-checked Kernels.
        unsafe { super::x86_64::avx512vnni::peak::vpdpbusd_zmm(iters) }
    }
    #[cfg(target_arch = "x86_64")]
    pub fn amx(iters: u64) -> u64 {
        // SAFETY: handed out only for an AMX-checked Kernels.
        unsafe { super::x86_64::amx::peak::tdpbssd(iters) }
    }
    #[cfg(target_arch = "aarch64")]
    pub fn neon(iters: u64) -> u64 {
        // SAFETY: handed out only for a NEON-checked Kernels.
        unsafe { super::aarch64::neon::peak::smull_smlal_sadalp(iters) }
    }
    #[cfg(target_arch = "aarch64")]
    pub fn dotprod(iters: u64) -> u64 {
        // SAFETY: handed out only for a dotprod-checked Kernels.
        unsafe { super::aarch64::dotprod::peak::sdot(iters) }
    }
    #[cfg(all(target_arch = "arm", target_os = "linux", feature = "std"))]
    pub fn arm_neon(iters: u64) -> u64 {
        // SAFETY: handed out only for a NEON-checked Kernels (armv7: HWCAP_NEON).
        unsafe { super::arm::neon::peak::vmull_vmlal_vpadal(iters.min(u64::from(u32::MAX)) as u32) }
    }
    #[cfg(all(target_arch = "arm", electra_arm_dsp))]
    pub fn dsp(iters: u64) -> u64 {
        super::arm::dsp::peak::smlad_sxtb16(iters.min(u64::from(u32::MAX)) as u32)
    }
}

/// The length contract of every `gemm_i8_packed` kernel; panics with the first violation.
#[allow(clippy::too_many_arguments)]
fn check_gemm_args(
    a: &[i8],
    sa: &[f32],
    m: usize,
    k: usize,
    w: &[i8],
    sw: &[f32],
    row_sums: &[i32],
    bias: &[f32],
    n: usize,
    y: &[f32],
) {
    let mk = m.checked_mul(k).expect("gemm_i8_packed: m·k overflows");
    let mn = m.checked_mul(n).expect("gemm_i8_packed: m·n overflows");
    let wl = pack::padded_n(n).checked_mul(pack::padded_k(k)).expect("gemm_i8_packed: packed size overflows");
    assert!(a.len() >= mk, "gemm_i8_packed: a holds {} values, m·k = {mk}", a.len());
    assert!(sa.len() >= m, "gemm_i8_packed: sa holds {} values, m = {m}", sa.len());
    assert!(w.len() >= wl, "gemm_i8_packed: w_packed holds {} bytes, packed_len(n, k) = {wl}", w.len());
    assert!(sw.len() >= n, "gemm_i8_packed: sw holds {} values, n = {n}", sw.len());
    assert!(row_sums.len() >= n, "gemm_i8_packed: row_sums holds {} values, n = {n}", row_sums.len());
    assert!(bias.is_empty() || bias.len() >= n, "gemm_i8_packed: bias holds {} values, n = {n}", bias.len());
    assert!(y.len() >= mn, "gemm_i8_packed: y holds {} values, m·n = {mn}", y.len());
}
