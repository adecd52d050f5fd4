//! Activation functions, exactly as transformers' `ACT2CLS` defines them (spec §1.1).

use crate::config::Activation;
use crate::kernels::prefetch::Prefetch;

const SQRT_2_OVER_PI: f32 = 0.797_884_6;

/// Exact erf GELU: `0.5·x·(1+erf(x/√2))` (torch `F.gelu`), the vectorized kernel's body
/// (`kernels::float::generic::gelu`, erf error ≤ 5e-7) unfused, so one GELU is defined.
#[inline]
pub fn gelu(x: f32) -> f32 {
    crate::kernels::float::generic::gelu::<false>(x)
}

#[inline]
fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + libm::expf(-x))
}

/// torch `F.softplus` with beta 1 and threshold 20.
#[inline]
fn softplus(x: f32) -> f32 {
    if x > 20.0 {
        x
    } else {
        libm::log1pf(libm::expf(x))
    }
}

/// One activation of one value. `prelu` is the learned slope (ignored by other activations).
#[inline]
pub fn activate(act: Activation, x: f32, prelu: f32) -> f32 {
    match act {
        Activation::Gelu => gelu(x),
        Activation::GeluTanh => 0.5 * x * (1.0 + libm::tanhf(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x))),
        Activation::GeluFast => 0.5 * x * (1.0 + libm::tanhf(x * 0.797_884_6 * (1.0 + 0.044715 * x * x))),
        Activation::QuickGelu => x * sigmoid(1.702 * x),
        Activation::Gelu10 => gelu(x).clamp(-10.0, 10.0),
        Activation::Relu => x.max(0.0),
        Activation::Relu2 => {
            let r = x.max(0.0);
            r * r
        }
        Activation::Relu6 => x.clamp(0.0, 6.0),
        Activation::Silu => x * sigmoid(x),
        Activation::Tanh => libm::tanhf(x),
        Activation::Sigmoid => sigmoid(x),
        Activation::Identity => x,
        Activation::LeakyRelu => {
            if x >= 0.0 {
                x
            } else {
                0.01 * x
            }
        }
        Activation::Hardswish => x * (x + 3.0).clamp(0.0, 6.0) / 6.0,
        Activation::Mish => x * libm::tanhf(softplus(x)),
        Activation::Laplace => {
            // transformers' LaplaceActivation literals (mu happens to be close to 1/√2).
            #[allow(clippy::approx_constant)]
            let (mu, sigma) = (0.707_107_f32, 0.282_095_f32);
            0.5 * (1.0 + libm::erff((x - mu) / (sigma * core::f32::consts::SQRT_2)))
        }
        Activation::SqrtSoftplus => libm::sqrtf(softplus(x)),
        Activation::Prelu => x.max(0.0) + prelu * x.min(0.0),
    }
}

/// Applies an activation in place; exact GELU runs on `kernels`' vectorized copy (the same one
/// the encoder's FFN uses).
pub fn activate_in_place(act: Activation, xs: &mut [f32], prelu: f32, kernels: crate::kernels::Kernels) {
    activate_in_place_prefetching(act, xs, prelu, kernels, &mut Prefetch::none())
}

/// `activate_in_place`, calling `pf.step()` after every 16 values (`kernels::prefetch`): a later
/// GEMM's weights stream in while the activation runs. Same values as `activate_in_place`.
pub fn activate_in_place_prefetching(act: Activation, xs: &mut [f32], prelu: f32, kernels: crate::kernels::Kernels, pf: &mut Prefetch<'_>) {
    match act {
        Activation::Identity => return,
        Activation::Gelu => return kernels.gelu_prefetching(xs, pf),
        _ => {}
    }
    for part in xs.chunks_mut(16) {
        for x in part {
            *x = activate(act, *x, prelu);
        }
        pf.step();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gelu_matches_known_values() {
        // gelu(1) = 0.5 * (1 + erf(1/sqrt 2)) = 0.8413447460685429
        assert!((gelu(1.0) - 0.841_344_8).abs() < 1e-6);
        assert_eq!(gelu(0.0), 0.0);
        assert!((gelu(-3.0) - (-0.004_049_7)).abs() < 1e-6);
    }

    #[test]
    fn prelu_uses_slope() {
        assert_eq!(activate(Activation::Prelu, -2.0, 0.25), -0.5);
        assert_eq!(activate(Activation::Prelu, 2.0, 0.25), 2.0);
    }
}
