//! AMX-INT8 (Sapphire Rapids and later Xeons): `tdpbssd` on tile registers, 16 × 16 × 64
//! multiply-accumulates per instruction. Only the int8 GEMM differs from the AVX-512 VNNI set;
//! quantization and the f32 kernels are the AVX-512 ones.
//!
//! Linux hands out the 8 KiB of tile state only to processes that ask for it
//! (`arch_prctl(ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA)`); `available` asks once and reports AMX
//! only if the CPU has it, the OS enables it in XCR0 and the request succeeds.

pub mod gemm_i8;
pub mod peak;

/// CPUID, XCR0 and the OS permission, checked once per process.
#[cfg(all(feature = "std", target_os = "linux"))]
pub fn available() -> bool {
    static OK: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *OK.get_or_init(|| {
        use core::arch::x86_64::{__cpuid, __cpuid_count};
        // CPUID exists on every x86-64 CPU (a safe intrinsic).
        let (leaf1, leaf7) = (__cpuid(1), __cpuid_count(7, 0));
        let osxsave = leaf1.ecx >> 27 & 1 == 1;
        let (tile, int8) = (leaf7.edx >> 24 & 1 == 1, leaf7.edx >> 25 & 1 == 1);
        if !(osxsave && tile && int8) {
            return false;
        }
        // SAFETY: OSXSAVE is set, so XGETBV is enabled.
        let xcr0 = unsafe { xgetbv0() };
        // XCR0 bits 17 (XTILECFG) and 18 (XTILEDATA): the OS saves tile state.
        if xcr0 >> 17 & 3 != 3 {
            return false;
        }
        request_tile_permission()
    })
}

#[cfg(not(all(feature = "std", target_os = "linux")))]
pub fn available() -> bool {
    false
}

/// # Safety
/// The CPU must support XSAVE with OSXSAVE set.
#[cfg(all(feature = "std", target_os = "linux"))]
#[target_feature(enable = "xsave")]
unsafe fn xgetbv0() -> u64 {
    // SAFETY: the caller checked OSXSAVE; XGETBV with ECX = 0 reads XCR0.
    unsafe { core::arch::x86_64::_xgetbv(0) }
}

/// `arch_prctl(ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA)`: true if granted (or already granted).
#[cfg(all(feature = "std", target_os = "linux"))]
fn request_tile_permission() -> bool {
    const SYS_ARCH_PRCTL: i64 = 158;
    const ARCH_REQ_XCOMP_PERM: i64 = 0x1023;
    const XFEATURE_XTILEDATA: i64 = 18;
    let ret: i64;
    // SAFETY: a Linux x86-64 system call with two integer arguments; it reads and writes no user
    // memory. `syscall` clobbers rcx and r11 and returns in rax.
    unsafe {
        core::arch::asm!(
            "syscall",
            inlateout("rax") SYS_ARCH_PRCTL => ret,
            in("rdi") ARCH_REQ_XCOMP_PERM,
            in("rsi") XFEATURE_XTILEDATA,
            lateout("rcx") _,
            lateout("r11") _,
            options(nostack),
        );
    }
    ret == 0
}

/// A 64-byte tile configuration (palette 1): per tile, rows and bytes per row.
#[repr(C, align(64))]
pub(crate) struct TileConfig([u8; 64]);

impl TileConfig {
    pub(crate) const fn empty() -> Self {
        let mut c = [0u8; 64];
        c[0] = 1; // palette 1
        TileConfig(c)
    }

    pub(crate) const fn tile(mut self, t: usize, rows: usize, bytes_per_row: usize) -> Self {
        self.0[16 + 2 * t] = bytes_per_row as u8;
        self.0[16 + 2 * t + 1] = (bytes_per_row >> 8) as u8;
        self.0[48 + t] = rows as u8;
        self
    }
}
