//! Softmax over a row, `exp(x - max) / Σ`.

/// In-place softmax. A row whose every entry is `f32::MIN` (every key masked) becomes uniform,
/// as eager attention in transformers gives (spec §4.6).
pub fn softmax_in_place(row: &mut [f32]) {
    let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0f32;
    for v in row.iter_mut() {
        *v = libm::expf(*v - max);
        sum += *v;
    }
    let inv = 1.0 / sum;
    for v in row.iter_mut() {
        *v *= inv;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_masked_row_is_uniform() {
        let mut r = [f32::MIN; 4];
        softmax_in_place(&mut r);
        assert_eq!(r, [0.25; 4]);
    }

    #[test]
    fn masked_entries_get_zero() {
        let mut r = [1.0, f32::MIN, 2.0];
        softmax_in_place(&mut r);
        assert_eq!(r[1], 0.0);
        assert!((r[0] + r[2] - 1.0).abs() < 1e-6);
    }
}
