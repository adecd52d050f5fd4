//! Weight quantization: symmetric int8 with one f32 scale per row (output channel / table row),
//! values clamped to [-127, 127] so no kernel trick (u8·i8 pair sums) can overflow; and f16.

/// Per-row symmetric int8: `w[r, c] ≈ q[r, c] · scale[r]`, with `scale = max|w[r, :]| / 127`.
/// Also returns each row's integer sum (the zero-point correction a u8·i8 kernel needs).
pub fn quantize_rows_i8(data: &[f32], cols: usize) -> (Vec<i8>, Vec<f32>, Vec<i32>) {
    let rows = data.len().checked_div(cols).unwrap_or(0);
    let mut q = Vec::with_capacity(data.len());
    let mut scales = Vec::with_capacity(rows);
    let mut sums = Vec::with_capacity(rows);
    for row in data.chunks_exact(cols.max(1)) {
        let max = row.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        let scale = if max > 0.0 { max / 127.0 } else { 1.0 };
        let inv = 1.0 / scale;
        let mut sum = 0i32;
        for v in row {
            let x = (v * inv).round().clamp(-127.0, 127.0) as i8;
            sum += x as i32;
            q.push(x);
        }
        scales.push(scale);
        sums.push(sum);
    }
    (q, scales, sums)
}

pub fn to_f16(data: &[f32]) -> Vec<half::f16> {
    data.iter().map(|&v| half::f16::from_f32(v)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_max_maps_to_127_and_error_is_half_a_step() {
        let data = [0.5f32, -1.0, 0.25, 0.0, 2.0, -0.1];
        let (q, s, sums) = quantize_rows_i8(&data, 3);
        assert_eq!(q[1], -127);
        assert_eq!(q[4], 127);
        for (i, v) in data.iter().enumerate() {
            let r = q[i] as f32 * s[i / 3];
            assert!((r - v).abs() <= s[i / 3] / 2.0 + 1e-7);
        }
        assert_eq!(sums[0], q[..3].iter().map(|&x| x as i32).sum::<i32>());
    }

    #[test]
    fn zero_row_is_all_zero() {
        let (q, s, _) = quantize_rows_i8(&[0.0; 4], 4);
        assert_eq!(q, vec![0; 4]);
        assert_eq!(s, vec![1.0]);
    }
}
