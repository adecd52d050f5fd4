//! The packed int8 weight layout every int8 GEMM kernel reads: `Panel16x4`.
//!
//! A weight matrix `W` [n, k] (row `j` = output channel `j`, row-major, int8 in [-127, 127]) is
//! stored as panels of 16 output channels; inside a panel, blocks of 4 consecutive `k`, and inside
//! a block the 16 channels one after the other, each with its 4 bytes:
//!
//! ```text
//! n_pad = ⌈n / 16⌉·16   (extra channels are zero rows)
//! k_pad = ⌈k / 4⌉·4     (extra k are zeros)
//! for p in 0..n_pad/16 { for kk in 0..k_pad/4 { for c in 0..16 { for t in 0..4 {
//!     out[((p·(k_pad/4) + kk)·16 + c)·4 + t] = W[p·16 + c][kk·4 + t]
//! }}}}
//! ```
//!
//! One 64-byte block is exactly one AVX-512 register of 16 lanes × 4 bytes (`vpdpbusd zmm`), two
//! AVX2 registers, or four NEON registers of 4 channels × 4 bytes (`sdot`); a kernel walks a panel
//! linearly, so the file order is the order of the loads. See `docs/kernels.md`.
//!
//! Everything here is `no_std` without `alloc`: the caller owns the output.

/// Output channels per panel.
pub const PANEL_N: usize = 16;
/// Consecutive `k` per channel inside a 64-byte block.
pub const PANEL_K: usize = 4;
/// Bytes of one block (`PANEL_N · PANEL_K`).
pub const BLOCK_BYTES: usize = PANEL_N * PANEL_K;

/// `n` rounded up to a whole number of panels.
#[inline]
pub const fn padded_n(n: usize) -> usize {
    n.div_ceil(PANEL_N) * PANEL_N
}

/// `k` rounded up to a whole number of 4-byte groups.
#[inline]
pub const fn padded_k(k: usize) -> usize {
    k.div_ceil(PANEL_K) * PANEL_K
}

/// Bytes of a packed [n, k] matrix: `padded_n(n) · padded_k(k)`.
#[inline]
pub const fn packed_len(n: usize, k: usize) -> usize {
    padded_n(n) * padded_k(k)
}

/// Position in the packed buffer of `W[j][kk]` (`j < padded_n(n)`, `kk < padded_k(k)`).
#[inline]
pub const fn packed_index(k: usize, j: usize, kk: usize) -> usize {
    let groups = padded_k(k) / PANEL_K;
    ((j / PANEL_N * groups + kk / PANEL_K) * PANEL_N + j % PANEL_N) * PANEL_K + kk % PANEL_K
}

/// Packs row-major `w` [n, k] into `out` (`packed_len(n, k)` bytes; padding is written as zeros).
///
/// Panics if `w.len() != n·k` or `out.len() != packed_len(n, k)`.
pub fn pack_panel16x4(w: &[i8], n: usize, k: usize, out: &mut [i8]) {
    assert_eq!(w.len(), n * k, "pack_panel16x4: w must hold n·k bytes");
    assert_eq!(out.len(), packed_len(n, k), "pack_panel16x4: out must hold packed_len(n, k) bytes");
    let (n_pad, k_pad) = (padded_n(n), padded_k(k));
    let mut o = 0;
    for p in 0..n_pad / PANEL_N {
        for kk in 0..k_pad / PANEL_K {
            for c in 0..PANEL_N {
                let j = p * PANEL_N + c;
                for t in 0..PANEL_K {
                    let x = kk * PANEL_K + t;
                    out[o] = if j < n && x < k { w[j * k + x] } else { 0 };
                    o += 1;
                }
            }
        }
    }
}

/// Inverse of [`pack_panel16x4`]: writes the unpadded row-major [n, k] matrix into `w`.
pub fn unpack_panel16x4(packed: &[i8], n: usize, k: usize, w: &mut [i8]) {
    assert_eq!(w.len(), n * k, "unpack_panel16x4: w must hold n·k bytes");
    assert_eq!(packed.len(), packed_len(n, k), "unpack_panel16x4: packed must hold packed_len(n, k) bytes");
    for j in 0..n {
        for x in 0..k {
            w[j * k + x] = packed[packed_index(k, j, x)];
        }
    }
}

/// `row_sums[j] = Σ_k w[j, k]` of a row-major [n, k] matrix: the per-channel constant of the
/// unsigned-activation trick (`Σ (a+128)·w = Σ a·w + 128·row_sums`). The converter stores it.
pub fn row_sums(w: &[i8], n: usize, k: usize, out: &mut [i32]) {
    assert_eq!(w.len(), n * k, "row_sums: w must hold n·k bytes");
    assert_eq!(out.len(), n, "row_sums: out must hold n values");
    for (s, row) in out.iter_mut().zip(w.chunks_exact(k.max(1))) {
        *s = row.iter().map(|&v| v as i32).sum();
    }
    if k == 0 {
        out.fill(0);
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec;
    use std::vec::Vec;

    #[test]
    fn pack_unpack_round_trip() {
        let mut seed = 0x1234_5678_u32;
        for &(n, k) in &[(1, 1), (1, 5), (15, 3), (16, 4), (17, 17), (33, 63), (100, 257)] {
            let w: Vec<i8> = (0..n * k)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 17;
                    seed ^= seed << 5;
                    (seed % 255) as i8 // wraps into [-128, 126]; the layout does not care
                })
                .collect();
            let mut packed = vec![0x55i8; packed_len(n, k)];
            pack_panel16x4(&w, n, k, &mut packed);
            let mut back = vec![0i8; n * k];
            unpack_panel16x4(&packed, n, k, &mut back);
            assert_eq!(back, w, "n={n} k={k}");
            // Every padding byte is zero.
            for j in 0..padded_n(n) {
                for x in 0..padded_k(k) {
                    if j >= n || x >= k {
                        assert_eq!(packed[packed_index(k, j, x)], 0);
                    }
                }
            }
        }
    }

    #[test]
    fn layout_is_the_documented_loop() {
        // n = 20, k = 6: two panels, two groups; W[j][x] = j·8 + x (all distinct, all < 127 + 1).
        let (n, k) = (20, 6);
        let w: Vec<i8> = (0..n * k).map(|i| ((i / k) * 6 + i % k) as i8).collect();
        let mut packed = vec![0i8; packed_len(n, k)];
        pack_panel16x4(&w, n, k, &mut packed);
        assert_eq!(packed.len(), 32 * 8);
        assert_eq!(&packed[..8], &[0, 1, 2, 3, 6, 7, 8, 9]); // channel 0 then 1, k 0..4
        assert_eq!(&packed[64..68], &[4, 5, 0, 0]); // group 1 of channel 0: k 4, 5, pad
        assert_eq!(&packed[128..132], &[96, 97, 98, 99]); // panel 1, channel 16
        assert_eq!(&packed[128 + 4 * 4..128 + 4 * 4 + 4], &[0, 0, 0, 0]); // channel 20: padding
    }

    #[test]
    fn sums() {
        let w = [1i8, -2, 3, 127, 127, -127];
        let mut s = [0i32; 2];
        row_sums(&w, 2, 3, &mut s);
        assert_eq!(s, [2, 127]);
    }
}
