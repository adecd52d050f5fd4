//! Activation smoothing for int8 (docs/quantization.md) and the per-layer error report.
//!
//! The inputs of Q/K/V and of the FFN's first linear are LayerNorm outputs with a few outlier
//! channels (Bondarenko et al. 2021); a per-token int8 scale is then set by those channels and the
//! rest lose precision. The converter runs the f32 model on calibration inputs, takes each
//! channel's max |x_c|, and moves part of it into the weights (SmoothQuant, Xiao et al. 2022):
//! `s_c = sqrt(max|x_c| / max_r |W[r, c]|)`, `W'[:, c] = W[:, c]·s_c`, and the engine quantizes
//! `x_c / s_c` (the file stores `input_scale = 1 / s_c`).

use electra_engine::{Inputs, Model, Observer, Site};
use serde::Serialize;

/// One calibration sequence.
pub struct Sample {
    pub ids: Vec<u32>,
    pub types: Vec<u32>,
    pub mask: Vec<u32>,
}

/// Deterministic random-token calibration (no data needed): `count` sequences of `seq` ids drawn
/// uniformly from the non-special part of the vocabulary (1000..V for a BERT vocabulary, as the
/// benchmarks use), seed 0.
pub fn random_samples(vocab: u32, max_positions: u32, count: usize) -> Vec<Sample> {
    let seq = max_positions.min(128) as usize;
    let lo = (vocab / 10).min(1000);
    let span = (vocab - lo).max(1) as u64;
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        // xorshift64*
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    };
    (0..count)
        .map(|_| Sample {
            ids: (0..seq).map(|_| lo + (next() % span) as u32).collect(),
            types: vec![0; seq],
            mask: vec![1; seq],
        })
        .collect()
}

fn run(model: &Model<'_>, s: &Sample, observer: &mut dyn Observer) -> Result<(), electra_engine::Error> {
    let seq = s.ids.len();
    let inputs = Inputs {
        input_ids: &s.ids,
        attention_mask: Some(&s.mask),
        token_type_ids: Some(&s.types),
        batch: 1,
        seq,
        choices: 1,
    };
    let mut scratch = vec![0.0; model.scratch_len(1, seq, 0)];
    let mut out = vec![0.0; model.output_len(1, seq, 1)];
    model.forward_observed(&inputs, &mut scratch, &mut out, observer)
}

/// Per layer, the max |x_c| of each channel at the attention input and the FFN input.
pub struct ChannelMax {
    hidden: usize,
    pub attention: Vec<Vec<f32>>,
    pub feed_forward: Vec<Vec<f32>>,
    /// Only positions whose mask is 1 count (padding rows hold garbage).
    mask: Vec<u32>,
}

impl Observer for ChannelMax {
    fn observe(&mut self, layer: usize, site: Site, rows: &[f32]) {
        let target = match site {
            Site::AttentionInput => &mut self.attention[layer],
            Site::FeedForwardInput => &mut self.feed_forward[layer],
            Site::LayerOutput => return,
        };
        for (row, &m) in rows.chunks_exact(self.hidden).zip(&self.mask) {
            if m != 0 {
                for (t, v) in target.iter_mut().zip(row) {
                    *t = t.max(v.abs());
                }
            }
        }
    }
}

pub fn channel_max(model: &Model<'_>, samples: &[Sample]) -> Result<ChannelMax, electra_engine::Error> {
    let c = model.config();
    let (l, h) = (c.num_hidden_layers as usize, c.hidden_size as usize);
    let mut obs = ChannelMax { hidden: h, attention: vec![vec![0.0; h]; l], feed_forward: vec![vec![0.0; h]; l], mask: Vec::new() };
    for s in samples {
        obs.mask = s.mask.clone();
        run(model, s, &mut obs)?;
    }
    Ok(obs)
}

/// `s_c = sqrt(max|x_c| / max_r |W[r, c]|)` over the weights `w` ([rows, cols] each) that read
/// the input; 1 where either max is zero.
pub fn smoothing_factors(x_max: &[f32], weights: &[&[f32]]) -> Vec<f32> {
    let cols = x_max.len();
    let mut w_max = vec![0.0f32; cols];
    for w in weights {
        for row in w.chunks_exact(cols) {
            for (m, v) in w_max.iter_mut().zip(row) {
                *m = m.max(v.abs());
            }
        }
    }
    x_max
        .iter()
        .zip(&w_max)
        .map(|(&x, &w)| if x > 0.0 && w > 0.0 { (x / w).sqrt() } else { 1.0 })
        .collect()
}

/// Error of one site of one layer, int8 against f32, over the calibration inputs.
#[derive(Debug, Clone, Serialize)]
pub struct SiteError {
    pub layer: usize,
    pub site: &'static str,
    /// ‖int8 − f32‖ / ‖f32‖ over real (unmasked) positions.
    pub relative_error: f64,
    /// Mean cosine similarity per token.
    pub mean_cosine: f64,
    pub min_cosine: f64,
}

struct Capture {
    states: Vec<(usize, Site, Vec<f32>)>,
}

impl Observer for Capture {
    fn observe(&mut self, layer: usize, site: Site, rows: &[f32]) {
        self.states.push((layer, site, rows.to_vec()));
    }
}

fn site_name(s: Site) -> &'static str {
    match s {
        Site::AttentionInput => "attention_input",
        Site::FeedForwardInput => "attention_output",
        Site::LayerOutput => "layer_output",
    }
}

/// Runs both models on the samples and compares every layer's attention and layer outputs.
pub fn layer_errors(reference: &Model<'_>, quantized: &Model<'_>, samples: &[Sample]) -> Result<Vec<SiteError>, electra_engine::Error> {
    let h = reference.config().hidden_size as usize;
    // Per (layer, site): sum of squared error, sum of squared reference, cosines.
    let mut acc: Vec<(usize, Site, f64, f64, Vec<f64>)> = Vec::new();
    for s in samples {
        let mut a = Capture { states: Vec::new() };
        let mut b = Capture { states: Vec::new() };
        run(reference, s, &mut a)?;
        run(quantized, s, &mut b)?;
        for ((layer, site, x), (_, _, y)) in a.states.iter().zip(&b.states) {
            if *site == Site::AttentionInput {
                continue; // equals the previous layer's output
            }
            let entry = match acc.iter_mut().find(|e| e.0 == *layer && e.1 == *site) {
                Some(e) => e,
                None => {
                    acc.push((*layer, *site, 0.0, 0.0, Vec::new()));
                    acc.last_mut().expect("just pushed")
                }
            };
            for ((xr, yr), &m) in x.chunks_exact(h).zip(y.chunks_exact(h)).zip(&s.mask) {
                if m == 0 {
                    continue;
                }
                let (mut dot, mut nx, mut ny, mut err) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
                for (&p, &q) in xr.iter().zip(yr) {
                    let (p, q) = (p as f64, q as f64);
                    dot += p * q;
                    nx += p * p;
                    ny += q * q;
                    err += (p - q) * (p - q);
                }
                entry.2 += err;
                entry.3 += nx;
                entry.4.push(dot / (nx.sqrt() * ny.sqrt()).max(1e-30));
            }
        }
    }
    Ok(acc
        .into_iter()
        .map(|(layer, site, err, norm, cos)| SiteError {
            layer,
            site: site_name(site),
            relative_error: (err / norm.max(1e-30)).sqrt(),
            mean_cosine: cos.iter().sum::<f64>() / cos.len().max(1) as f64,
            min_cosine: cos.iter().copied().fold(1.0, f64::min),
        })
        .collect())
}

/// Calibration inputs from a JSON file in `electra infer`'s input format
/// (`{"input_ids": [[...]], "attention_mask"?: [[...]], "token_type_ids"?: [[...]]}`).
pub fn samples_from_json(path: &std::path::Path, config: &electra_engine::Config) -> Result<Vec<Sample>, crate::ConvertError> {
    let text = std::fs::read_to_string(path).map_err(|source| crate::ConvertError::Io { path: path.to_path_buf(), source })?;
    let v: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| crate::ConvertError::Json { file: path.display().to_string(), source: e })?;
    let bad = |what: &str| crate::ConvertError::Checkpoint(format!("calibration file {}: {what}", path.display()));
    let rows = |key: &str| -> Result<Option<Vec<Vec<u32>>>, crate::ConvertError> {
        let Some(a) = v.get(key) else { return Ok(None) };
        let a = a.as_array().ok_or_else(|| bad(&format!("{key} is not a list of rows")))?;
        a.iter()
            .map(|r| {
                r.as_array()
                    .ok_or_else(|| bad(&format!("{key} rows must be lists")))?
                    .iter()
                    .map(|x| x.as_u64().and_then(|x| u32::try_from(x).ok()).ok_or_else(|| bad(&format!("{key} holds a non-integer"))))
                    .collect()
            })
            .collect::<Result<Vec<Vec<u32>>, _>>()
            .map(Some)
    };
    let ids = rows("input_ids")?.ok_or_else(|| bad("no input_ids"))?;
    let masks = rows("attention_mask")?;
    let types = rows("token_type_ids")?;
    let mut out = Vec::new();
    for (i, ids) in ids.into_iter().enumerate() {
        let n = ids.len();
        if n == 0 || n > config.max_position_embeddings as usize {
            return Err(bad(&format!("row {i} has {n} tokens (1..={} allowed)", config.max_position_embeddings)));
        }
        if ids.iter().any(|&id| id >= config.vocab_size) {
            return Err(bad(&format!("row {i} has an id outside the vocabulary")));
        }
        let pick = |m: &Option<Vec<Vec<u32>>>, default: u32| -> Result<Vec<u32>, crate::ConvertError> {
            match m.as_ref().and_then(|m| m.get(i)) {
                Some(r) if r.len() == n => Ok(r.clone()),
                Some(_) => Err(bad(&format!("row {i}: mask or type ids differ in length from input_ids"))),
                None => Ok(vec![default; n]),
            }
        };
        let types = pick(&types, 0)?;
        if types.iter().any(|&t| t >= config.type_vocab_size) {
            return Err(bad(&format!("row {i} has a token type outside 0..{}", config.type_vocab_size)));
        }
        out.push(Sample { mask: pick(&masks, 1)?, types, ids });
    }
    if out.is_empty() {
        return Err(bad("no rows"));
    }
    Ok(out)
}
