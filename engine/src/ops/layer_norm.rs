//! LayerNorm over the last dimension: biased variance, `eps` inside the square root (spec §1).

/// `x[r] = LayerNorm(x[r] + residual[r])` for every row of width `weight.len()`.
/// `residual` may be empty (no residual add).
pub fn add_layer_norm(x: &mut [f32], residual: &[f32], weight: &[f32], bias: &[f32], eps: f32) {
    let dim = weight.len();
    if dim == 0 {
        return;
    }
    for (r, row) in x.chunks_exact_mut(dim).enumerate() {
        if !residual.is_empty() {
            for (v, res) in row.iter_mut().zip(&residual[r * dim..(r + 1) * dim]) {
                *v += res;
            }
        }
        layer_norm_row(row, weight, bias, eps);
    }
}

/// LayerNorm of one row, in place.
pub fn layer_norm_row(row: &mut [f32], weight: &[f32], bias: &[f32], eps: f32) {
    let n = row.len() as f32;
    let mean = row.iter().sum::<f32>() / n;
    let var = row.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / n;
    let inv = 1.0 / libm::sqrtf(var + eps);
    for ((v, w), b) in row.iter_mut().zip(weight).zip(bias) {
        *v = (*v - mean) * inv * w + b;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_to_zero_mean_unit_variance() {
        let mut x = [1.0f32, 2.0, 3.0, 4.0];
        layer_norm_row(&mut x, &[1.0; 4], &[0.0; 4], 0.0);
        let mean: f32 = x.iter().sum::<f32>() / 4.0;
        let var: f32 = x.iter().map(|v| v * v).sum::<f32>() / 4.0;
        assert!(mean.abs() < 1e-6 && (var - 1.0).abs() < 1e-5);
    }
}
