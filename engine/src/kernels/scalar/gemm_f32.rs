//! Reference f32 GEMM with a transposed (row-major [n, k]) weight: `y[i, j] = Σ_k x[i, k]·w[j, k]`.

use half::f16;

#[inline]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    // Four partial sums: lets the compiler vectorise without reassociating a single chain.
    let mut acc = [0.0f32; 4];
    let (a4, a_tail) = a.split_at(a.len() & !3);
    let (b4, b_tail) = b.split_at(a4.len());
    for (ca, cb) in a4.chunks_exact(4).zip(b4.chunks_exact(4)) {
        for l in 0..4 {
            acc[l] += ca[l] * cb[l];
        }
    }
    let mut s = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    for (x, y) in a_tail.iter().zip(b_tail) {
        s += x * y;
    }
    s
}

/// `y[m, n] = x[m, k] · w[n, k]ᵀ`.
pub fn gemm_nt(x: &[f32], m: usize, k: usize, w: &[f32], n: usize, y: &mut [f32]) {
    for i in 0..m {
        let xr = &x[i * k..(i + 1) * k];
        for (j, yv) in y[i * n..(i + 1) * n].iter_mut().enumerate() {
            *yv = dot(xr, &w[j * k..(j + 1) * k]);
        }
    }
}

/// As `gemm_nt` with f16 weights, widened to f32 a row at a time.
pub fn gemm_nt_f16(x: &[f32], m: usize, k: usize, w: &[f16], n: usize, y: &mut [f32]) {
    let mut row = [0.0f32; 256];
    for j in 0..n {
        let wr = &w[j * k..(j + 1) * k];
        for i in 0..m {
            let xr = &x[i * k..(i + 1) * k];
            let mut s = 0.0f32;
            for (xc, wc) in xr.chunks(256).zip(wr.chunks(256)) {
                for (d, h) in row.iter_mut().zip(wc) {
                    *d = h.to_f32();
                }
                s += dot(xc, &row[..wc.len()]);
            }
            y[i * n + j] = s;
        }
    }
}
