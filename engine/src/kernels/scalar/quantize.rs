//! Per-row symmetric int8 quantization of activations: the specification of every SIMD
//! `quantize` kernel.
//!
//! ```text
//! v[c]  = x[r, c] · channel_scale[c]        (or x[r, c] without smoothing)
//! max   = max_c |v[c]|                       (f32::max: NaN ignored)
//! s[r]  = max / 127, or 1.0 if max == 0;  inv = 1 / s[r]
//! q[r, c] = clamp(roundf(v[c] · inv), -127, 127) as i8   (libm::roundf: half away from zero)
//! ```

/// `x` [rows, cols], `q` [rows, cols], `scales` [rows]; `channel_scale` [cols] if present.
pub fn quantize_rows_smoothed(x: &[f32], cols: usize, channel_scale: Option<&[f32]>, q: &mut [i8], scales: &mut [f32]) {
    for ((row, qrow), s) in x.chunks_exact(cols).zip(q.chunks_exact_mut(cols)).zip(scales.iter_mut()) {
        match channel_scale {
            None => {
                let max = row.iter().fold(0.0f32, |m, v| m.max(v.abs()));
                *s = quantize_row(row.iter().copied(), max, qrow);
            }
            Some(c) => {
                let max = row.iter().zip(c).fold(0.0f32, |m, (v, c)| m.max((v * c).abs()));
                *s = quantize_row(row.iter().zip(c).map(|(v, c)| v * c), max, qrow);
            }
        }
    }
}

/// The row scale and its inverse for a row whose largest magnitude is `max`.
#[inline]
pub fn scale_and_inverse(max: f32) -> (f32, f32) {
    let scale = if max > 0.0 { max / 127.0 } else { 1.0 };
    (scale, 1.0 / scale)
}

/// One value: `clamp(roundf(v · inv), -127, 127) as i8`.
#[inline]
pub fn quantize_one(v: f32, inv: f32) -> i8 {
    libm::roundf(v * inv).clamp(-127.0, 127.0) as i8
}

#[inline]
fn quantize_row(values: impl Iterator<Item = f32>, max: f32, q: &mut [i8]) -> f32 {
    let (scale, inv) = scale_and_inverse(max);
    for (d, v) in q.iter_mut().zip(values) {
        *d = quantize_one(v, inv);
    }
    scale
}
