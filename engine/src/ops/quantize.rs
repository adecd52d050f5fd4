//! Dynamic activation quantization: each row (token) gets its own symmetric int8 scale.

/// `q[r, c] = round(x[r, c] / s[r])` clamped to [-127, 127], `s[r] = max|x[r, :]| / 127`
/// (1.0 for an all-zero row). Rounding is half away from zero (`f32::round`), the same in every
/// kernel.
pub fn quantize_rows(x: &[f32], cols: usize, q: &mut [i8], scales: &mut [f32]) {
    quantize_rows_smoothed(x, cols, None, q, scales)
}

/// As `quantize_rows` on `x[r, c] · channel_scale[c]` (activation smoothing: the converter moved
/// `1 / channel_scale` into the weights, so outlier channels stop dominating a row's scale).
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

#[inline]
fn quantize_row(values: impl Iterator<Item = f32>, max: f32, q: &mut [i8]) -> f32 {
    let scale = if max > 0.0 { max / 127.0 } else { 1.0 };
    let inv = 1.0 / scale;
    for (d, v) in q.iter_mut().zip(values) {
        *d = libm::roundf(v * inv).clamp(-127.0, 127.0) as i8;
    }
    scale
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_max_becomes_127() {
        let x = [0.5f32, -2.0, 1.0, 0.0, 0.0, 0.0];
        let (mut q, mut s) = ([0i8; 6], [0.0f32; 2]);
        quantize_rows(&x, 3, &mut q, &mut s);
        assert_eq!(&q[..3], &[32, -127, 64]);
        assert_eq!(&q[3..], &[0, 0, 0]);
        assert_eq!(s, [2.0 / 127.0, 1.0]);
    }
}
