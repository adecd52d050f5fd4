//! What the SIMD int8 GEMM drivers share: the argument bundle they pass to their micro-kernels
//! (the slices of `Kernels::gemm_i8_packed` as raw pointers, checked by `check_gemm_args` before
//! any kernel runs, so the inner loops can offset them without re-slicing), and the loop nest
//! over register blocks of the register-blocked kernels (`for_each_block`).

use super::pack::{padded_k, PANEL_N};

/// Rows from which the register-blocked kernels read a column block's weights ahead of its
/// first row block (`GemmArgs::warm`). With fewer rows the first row block is a large share of
/// the work and streams the weights itself: at seq 16 on the Zen 5 machine, every layer reading
/// layer 0's weights, kept in cache, was only 2% faster.
const WARM_ROWS: usize = 64;
const CACHE_LINE: usize = 64;

#[derive(Clone, Copy)]
pub(crate) struct GemmArgs {
    pub a: *const i8,
    pub sa: *const f32,
    pub k: usize,
    pub w: *const i8,
    /// Bytes of one packed 16-channel panel: `padded_k(k) · 16`.
    pub panel_bytes: usize,
    pub sw: *const f32,
    /// Used by the u8·i8 kernels (x86 VNNI) for their zero-point correction; others ignore it.
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    pub row_sums: *const i32,
    /// Null when there is no bias.
    pub bias: *const f32,
    pub n: usize,
    pub y: *mut f32,
}

impl GemmArgs {
    #[allow(clippy::too_many_arguments)]
    pub fn new(a: &[i8], sa: &[f32], k: usize, w: &[i8], sw: &[f32], row_sums: &[i32], bias: &[f32], n: usize, y: &mut [f32]) -> Self {
        GemmArgs {
            a: a.as_ptr(),
            sa: sa.as_ptr(),
            k,
            w: w.as_ptr(),
            panel_bytes: padded_k(k) * PANEL_N,
            sw: sw.as_ptr(),
            row_sums: row_sums.as_ptr(),
            bias: if bias.is_empty() { core::ptr::null() } else { bias.as_ptr() },
            n,
            y: y.as_mut_ptr(),
        }
    }

    /// The loop nest of the register-blocked kernels (AVX2, AVX-VNNI, AVX-512 VNNI, NEON, dot
    /// product; AMX has its own): column blocks of about `l2_block` bytes of weights (a whole
    /// number of `np`-panel groups), so that a block stays in L2 while every row block streams
    /// over it; in each, row blocks of up to `mr` of the `m` rows; in each, groups of up to `np`
    /// panels. Calls `block(i0, rows, p0, panels, first)` per register block, `first` for a row
    /// block's first group in a column block (where a kernel converts the rows, once, when the
    /// whole of k fits its buffer). On x86-64, with `WARM_ROWS` rows or more, each column
    /// block's weights are read once ([`warm`](Self::warm)) before its first row block.
    #[inline(always)]
    pub fn for_each_block(&self, m: usize, mr: usize, np: usize, l2_block: usize, mut block: impl FnMut(usize, usize, usize, usize, bool)) {
        let panels = self.n.div_ceil(PANEL_N);
        let nc = (l2_block / self.panel_bytes.max(1)).max(1).div_ceil(np) * np;
        let mut pc = 0;
        while pc < panels {
            let pc_end = panels.min(pc.saturating_add(nc));
            if cfg!(target_arch = "x86_64") && m >= WARM_ROWS {
                self.warm(pc, pc_end);
            }
            let mut i0 = 0;
            while i0 < m {
                let rows = mr.min(m - i0);
                let mut p0 = pc;
                while p0 < pc_end {
                    let group = np.min(pc_end - p0);
                    block(i0, rows, p0, group, p0 == pc);
                    p0 += group;
                }
                i0 += rows;
            }
            pc = pc_end;
        }
    }

    /// Reads one byte of every cache line of panels `p0..p1`, eight lines per step, so that
    /// they are in L2 when the first row block multiplies them. The first row block alone
    /// would fetch them at the pace of its multiply-adds, two lines per 16 `vpdpbusd`, which
    /// does not hide the latency of weights that left the caches since the last pass; this loop
    /// has many lines in flight at once. (A seq-128 pass on the Zen 5 machine took 0.94–0.95 of
    /// its time without it; with every layer reading layer 0's weights, kept in cache, 0.90–0.93.)
    fn warm(&self, p0: usize, p1: usize) {
        // SAFETY: p0 < p1 ≤ ⌈n/16⌉ panels of `panel_bytes` bytes lie inside `w`, which holds
        // `pack::packed_len(n, k)` = ⌈n/16⌉ · 16 · padded_k(k) bytes (`check_gemm_args`, the
        // contract of every kernel that builds a `GemmArgs`).
        let bytes = unsafe { core::slice::from_raw_parts(self.w.add(p0 * self.panel_bytes).cast::<u8>(), (p1 - p0) * self.panel_bytes) };
        let mut seen = [0u8; 8];
        for lines in bytes.chunks(8 * CACHE_LINE) {
            for (seen, line) in seen.iter_mut().zip(lines.chunks(CACHE_LINE)) {
                *seen |= line[0];
            }
        }
        core::hint::black_box(seen);
    }

    /// The weight scales and biases of the panel at channel `j0`, staged in 16-float arrays
    /// (zeros past `n`, and for a missing bias), with the number of valid channels: for
    /// epilogues without masked loads (SSE4.1, NEON).
    pub fn panel_scales(&self, j0: usize) -> (usize, [f32; PANEL_N], [f32; PANEL_N]) {
        let valid = (self.n - j0).min(PANEL_N);
        let (mut sw, mut bias) = ([0.0f32; PANEL_N], [0.0f32; PANEL_N]);
        // SAFETY: channels j0 .. j0+valid ≤ n are inside `sw` and `bias` (if present): the
        // contract of the kernels' `gemm_i8_packed`, the only users of `GemmArgs`.
        unsafe {
            sw[..valid].copy_from_slice(core::slice::from_raw_parts(self.sw.add(j0), valid));
            if !self.bias.is_null() {
                bias[..valid].copy_from_slice(core::slice::from_raw_parts(self.bias.add(j0), valid));
            }
        }
        (valid, sw, bias)
    }
}

/// The driver of the kernels whose register blocks are 1 to 6 rows × one panel (AVX2, AVX-VNNI,
/// SSE4.1): `for_each_block` with the invoking module's `convert(c, buf, i0, rows, x0, x1)` run
/// on a row block's first panel when the whole of k fits the buffer (`single`), and its
/// `block::<R>(c, buf, i0, p, single)` for each block.
#[cfg(target_arch = "x86_64")]
macro_rules! six_row_blocks {
    ($c:ident, $buf:ident, $m:expr, $k:expr, $single:expr, $l2_block:expr) => {
        $c.for_each_block($m, 6, 1, $l2_block, |i0, rows, p, _, first| {
            if $single && first {
                // SAFETY: rows i0..i0+rows ≤ m and columns 0..k are inside `a`.
                unsafe { convert(&$c, &mut $buf, i0, rows, 0, $k) };
            }
            // SAFETY: i0 + rows ≤ m and p < panels, the ranges the block reads and writes.
            unsafe {
                match rows {
                    6 => block::<6>(&$c, &mut $buf, i0, p, $single),
                    5 => block::<5>(&$c, &mut $buf, i0, p, $single),
                    4 => block::<4>(&$c, &mut $buf, i0, p, $single),
                    3 => block::<3>(&$c, &mut $buf, i0, p, $single),
                    2 => block::<2>(&$c, &mut $buf, i0, p, $single),
                    _ => block::<1>(&$c, &mut $buf, i0, p, $single),
                }
            }
        })
    };
}
#[cfg(target_arch = "x86_64")]
pub(crate) use six_row_blocks;
