//! Borrowed, shape-checked views of the weights, resolved by index from a validated file.

use half::f16;

use crate::config::{Config, Head};
use crate::error::{Error, TensorName};
use crate::format::names::{self, EmbTensor, HeadTensor, LayerTensor, Role, Slot};
use crate::format::{DType, ModelFile, TensorView};

/// A 2-D weight [rows, cols] in one of the stored dtypes.
#[derive(Debug, Clone, Copy)]
pub enum Matrix<'a> {
    F32(&'a [f32]),
    F16(&'a [f16]),
    /// Symmetric int8 with one f32 scale per row (`w ≈ q·scale`) and the row's integer sum;
    /// `packed`: in the kernels' panel layout (`kernels::pack`), else row-major.
    I8 { w: &'a [i8], scales: &'a [f32], row_sums: &'a [i32], packed: bool },
}

impl<'a> Matrix<'a> {
    fn from_view(t: &TensorView<'a>) -> Result<Self, Error> {
        Ok(match t.dtype {
            DType::F32 => Matrix::F32(t.f32s()?),
            DType::F16 => Matrix::F16(t.f16s()?),
            DType::I8 => {
                let (scales, row_sums) = t.i8_aux()?;
                Matrix::I8 { w: t.i8s()?, scales, row_sums, packed: t.layout == crate::format::LAYOUT_PANEL16X4 }
            }
            DType::U8 => return Err(Error::TensorDType { name: TensorName::new(t.name), found: t.dtype }),
        })
    }

    /// The stored values as bytes (what a GEMM streams).
    pub fn bytes(&self) -> &'a [u8] {
        match *self {
            Matrix::F32(w) => bytemuck::cast_slice(w),
            Matrix::F16(w) => bytemuck::cast_slice(w),
            Matrix::I8 { w, .. } => bytemuck::cast_slice(w),
        }
    }

    /// Writes row `r` (of width `out.len()`) as f32.
    pub fn row_into(&self, r: usize, out: &mut [f32]) {
        let d = out.len();
        match *self {
            Matrix::F32(w) => out.copy_from_slice(&w[r * d..(r + 1) * d]),
            Matrix::F16(w) => {
                for (o, v) in out.iter_mut().zip(&w[r * d..(r + 1) * d]) {
                    *o = v.to_f32();
                }
            }
            Matrix::I8 { w, scales, packed, .. } => {
                let s = scales[r];
                for_each_i8(w, packed, r, out, |o, v| *o = v as f32 * s);
            }
        }
    }

    /// Adds row `r` (of width `out.len()`) to `out`.
    pub fn add_row_into(&self, r: usize, out: &mut [f32]) {
        let d = out.len();
        match *self {
            Matrix::F32(w) => {
                for (o, v) in out.iter_mut().zip(&w[r * d..(r + 1) * d]) {
                    *o += v;
                }
            }
            Matrix::F16(w) => {
                for (o, v) in out.iter_mut().zip(&w[r * d..(r + 1) * d]) {
                    *o += v.to_f32();
                }
            }
            Matrix::I8 { w, scales, packed, .. } => {
                let s = scales[r];
                for_each_i8(w, packed, r, out, |o, v| *o += v as f32 * s);
            }
        }
    }
}

/// `f(out[c], w[row, c])` for every column `c` of row `row` of an int8 matrix with `out.len()`
/// columns. A row-major row is one run; a packed row lies in runs of `PANEL_K` contiguous bytes
/// (one per 64-byte block), so the index is located once per run rather than once per byte (the
/// embedding lookup reads three rows per token).
fn for_each_i8(w: &[i8], packed: bool, row: usize, out: &mut [f32], mut f: impl FnMut(&mut f32, i8)) {
    use crate::kernels::pack::PANEL_K;
    let cols = out.len();
    if !packed {
        // Row-major (the embedding tables): one run, which the loop vectorizes.
        for (o, &v) in out.iter_mut().zip(&w[row * cols..(row + 1) * cols]) {
            f(o, v);
        }
        return;
    }
    for (g, run) in out.chunks_mut(PANEL_K).enumerate() {
        let start = i8_index(packed, cols, row, g * PANEL_K);
        let bytes = &w[start..start + run.len()];
        for (o, &v) in run.iter_mut().zip(bytes) {
            f(o, v);
        }
    }
}

/// Index of element (row, col) of an int8 matrix with `cols` columns.
#[inline]
fn i8_index(packed: bool, cols: usize, row: usize, col: usize) -> usize {
    if packed {
        crate::kernels::pack::packed_index(cols, row, col)
    } else {
        row * cols + col
    }
}

/// `nn.Linear`: weight [out, in], bias [out].
#[derive(Debug, Clone, Copy)]
pub struct Linear<'a> {
    pub weight: Matrix<'a>,
    pub bias: &'a [f32],
    pub out_features: usize,
    pub in_features: usize,
    /// Per-input-channel factor multiplied into the input before int8 quantization (activation
    /// smoothing); the stored weight columns were divided by it.
    pub input_scale: Option<&'a [f32]>,
}

impl<'a> Linear<'a> {
    /// The linear of output channels `c0..c1` alone (a view, nothing copied), or `None` when the
    /// range is empty, out of bounds, or (packed int8) does not start on a panel of 16 channels and
    /// end on one or at `out_features`. Its outputs are those channels' outputs bit for bit: an
    /// output channel depends only on its own weights, scale and bias.
    pub fn columns(&self, c0: usize, c1: usize) -> Option<Linear<'a>> {
        use crate::kernels::pack::{padded_k, padded_n, PANEL_N};
        let (n, k) = (self.out_features, self.in_features);
        if c0 >= c1 || c1 > n {
            return None;
        }
        let weight = match self.weight {
            Matrix::F32(w) => Matrix::F32(w.get(c0 * k..c1 * k)?),
            Matrix::F16(w) => Matrix::F16(w.get(c0 * k..c1 * k)?),
            Matrix::I8 { w, scales, row_sums, packed } => {
                let bytes = if packed {
                    if !c0.is_multiple_of(PANEL_N) || (!c1.is_multiple_of(PANEL_N) && c1 != n) {
                        return None;
                    }
                    w.get(c0 * padded_k(k)..padded_n(c1) * padded_k(k))?
                } else {
                    w.get(c0 * k..c1 * k)?
                };
                Matrix::I8 { w: bytes, scales: scales.get(c0..c1)?, row_sums: row_sums.get(c0..c1)?, packed }
            }
        };
        let bias = if self.bias.is_empty() { self.bias } else { self.bias.get(c0..c1)? };
        Some(Linear { weight, bias, out_features: c1 - c0, in_features: k, input_scale: self.input_scale })
    }
}

/// `nn.LayerNorm` over the last dimension.
#[derive(Debug, Clone, Copy)]
pub struct LayerNorm<'a> {
    pub weight: &'a [f32],
    pub bias: &'a [f32],
}

/// One encoder layer (`electra.encoder.layer.{i}`).
#[derive(Debug, Clone, Copy)]
pub struct LayerWeights<'a> {
    pub query: Linear<'a>,
    pub key: Linear<'a>,
    pub value: Linear<'a>,
    /// `attention.self.distance_embedding.weight` [2P-1, D], relative positions only.
    pub distance_embedding: Option<&'a [f32]>,
    pub attention_output: Linear<'a>,
    pub attention_layer_norm: LayerNorm<'a>,
    pub intermediate: Linear<'a>,
    /// The PReLU slope when `hidden_act` is `prelu`.
    pub intermediate_act_weight: f32,
    pub output: Linear<'a>,
    pub output_layer_norm: LayerNorm<'a>,
}

const NONE: u16 = u16::MAX;

/// Table indices of every tensor, filled by checking the table against `names::expected`.
#[derive(Debug, Clone)]
pub struct TensorIndex {
    emb: [u16; EmbTensor::ALL.len()],
    layer_start: usize,
    layer_stride: usize,
    layer: [u16; LayerTensor::ALL.len()],
    head: [u16; 24],
}

fn emb_pos(t: EmbTensor) -> usize {
    EmbTensor::ALL.iter().position(|x| *x == t).unwrap_or(0)
}

fn layer_pos(t: LayerTensor) -> usize {
    LayerTensor::ALL.iter().position(|x| *x == t).unwrap_or(0)
}

impl TensorIndex {
    /// Checks that the table holds exactly the expected tensors, in order, with the expected shapes
    /// and allowed dtypes, followed only by opaque blobs.
    pub fn build(file: &ModelFile<'_>, config: &Config, head: Head, lm_head_tied: bool) -> Result<Self, Error> {
        let mut idx = TensorIndex {
            emb: [NONE; EmbTensor::ALL.len()],
            layer_start: 0,
            layer_stride: 0,
            layer: [NONE; LayerTensor::ALL.len()],
            head: [NONE; 24],
        };
        if file.len() > NONE as usize {
            return Err(Error::Header("too many tensors"));
        }
        let mut k = 0usize;
        let mut layer_start: Option<usize> = None;
        // Optional tensors (activation smoothing) are present in every layer or in none.
        let mut optional_present = [None::<bool>; LayerTensor::ALL.len()];
        for spec in names::expected(config, head, lm_head_tied) {
            let name = spec.name();
            let here = k < file.len() && file.tensor(k)?.name == name.as_str();
            if spec.optional {
                let Slot::Layer(_, l) = spec.slot else { return Err(Error::Header("optional tensor outside a layer")) };
                let seen = optional_present[layer_pos(l)].get_or_insert(here);
                if *seen != here {
                    return Err(Error::BadTensor { index: k, reason: "an optional tensor is present in some layers only" });
                }
                if !here {
                    continue;
                }
            }
            if !here {
                return Err(Error::MissingTensor(name));
            }
            let t = file.tensor(k)?;
            if t.rank != spec.rank as usize || t.shape != spec.shape {
                return Err(Error::TensorShape { name, found: t.shape, expected: spec.shape });
            }
            let allowed = match spec.role {
                Role::Param => t.dtype == DType::F32,
                // Tables are gathered by row: row-major only.
                Role::Table => matches!(t.dtype, DType::F32 | DType::F16 | DType::I8) && t.layout == crate::format::LAYOUT_ROW_MAJOR,
                Role::Matrix => matches!(t.dtype, DType::F32 | DType::F16 | DType::I8),
            };
            if !allowed {
                return Err(Error::TensorDType { name, found: t.dtype });
            }
            match spec.slot {
                Slot::Embeddings(e) => idx.emb[emb_pos(e)] = k as u16,
                Slot::Layer(0, l) => {
                    let start = *layer_start.get_or_insert(k);
                    idx.layer[layer_pos(l)] = (k - start) as u16;
                    idx.layer_stride = k - start + 1;
                }
                Slot::Layer(..) => {}
                Slot::Head(h) => idx.head[h as usize] = k as u16,
            }
            k += 1;
        }
        idx.layer_start = layer_start.unwrap_or(0);
        for i in k..file.len() {
            let t = file.tensor(i)?;
            if t.dtype != DType::U8 {
                return Err(Error::BadTensor { index: i, reason: "unexpected tensor (only bundled files may follow the model)" });
            }
        }
        Ok(idx)
    }
}

/// Resolves views by index. Everything was validated by `TensorIndex::build`, so these only fail
/// if the index is used with another file.
#[derive(Debug, Clone)]
pub struct Weights<'a> {
    pub file: ModelFile<'a>,
    pub index: TensorIndex,
    pub config: Config,
    /// Every layer's views, resolved once at load (`Model::with_kernels`): resolving them took
    /// ~1% of a seq-16 pass. Without `alloc`, `layer` resolves them on each call.
    #[cfg(feature = "alloc")]
    pub(crate) layers: alloc::vec::Vec<LayerWeights<'a>>,
}

impl<'a> Weights<'a> {
    fn view(&self, i: u16) -> Result<TensorView<'a>, Error> {
        if i == NONE {
            return Err(Error::Header("tensor index unresolved"));
        }
        self.file.tensor(i as usize)
    }

    fn f32s(&self, i: u16) -> Result<&'a [f32], Error> {
        self.view(i)?.f32s()
    }

    fn linear(&self, w: u16, b: u16) -> Result<Linear<'a>, Error> {
        let wv = self.view(w)?;
        let (out, inp) = wv.rows_cols();
        Ok(Linear {
            weight: Matrix::from_view(&wv)?,
            bias: self.f32s(b)?,
            out_features: out,
            in_features: inp,
            input_scale: None,
        })
    }

    fn optional_f32s(&self, i: u16) -> Result<Option<&'a [f32]>, Error> {
        match i {
            NONE => Ok(None),
            i => self.f32s(i).map(Some),
        }
    }

    fn layer_norm(&self, w: u16, b: u16) -> Result<LayerNorm<'a>, Error> {
        Ok(LayerNorm { weight: self.f32s(w)?, bias: self.f32s(b)? })
    }

    pub fn emb_table(&self, t: EmbTensor) -> Result<Matrix<'a>, Error> {
        Matrix::from_view(&self.view(self.index.emb[emb_pos(t)])?)
    }

    pub fn emb_layer_norm(&self) -> Result<LayerNorm<'a>, Error> {
        let e = &self.index.emb;
        self.layer_norm(e[emb_pos(EmbTensor::LayerNormWeight)], e[emb_pos(EmbTensor::LayerNormBias)])
    }

    pub fn embeddings_project(&self) -> Result<Option<Linear<'a>>, Error> {
        if !self.config.has_embeddings_project() {
            return Ok(None);
        }
        let e = &self.index.emb;
        self.linear(e[emb_pos(EmbTensor::ProjectWeight)], e[emb_pos(EmbTensor::ProjectBias)]).map(Some)
    }

    /// Layer `i`'s views (a copy of the resolved ones when there are).
    pub fn layer(&self, i: usize) -> Result<LayerWeights<'a>, Error> {
        #[cfg(feature = "alloc")]
        if let Some(l) = self.layers.get(i) {
            return Ok(*l);
        }
        self.resolve_layer(i)
    }

    /// Resolves every layer's views (an error if one cannot be) and, with `alloc`, keeps them
    /// for `layer`.
    pub(crate) fn resolve_layers(&mut self) -> Result<(), Error> {
        for i in 0..self.config.num_hidden_layers as usize {
            let layer = self.resolve_layer(i)?;
            #[cfg(feature = "alloc")]
            self.layers.push(layer);
            #[cfg(not(feature = "alloc"))]
            let _ = layer;
        }
        Ok(())
    }

    /// Layer `i`'s views, from the tensor table.
    pub fn resolve_layer(&self, i: usize) -> Result<LayerWeights<'a>, Error> {
        let base = self.index.layer_start + i * self.index.layer_stride;
        let at = |t: LayerTensor| -> u16 {
            match self.index.layer[layer_pos(t)] {
                NONE => NONE,
                off => (base + off as usize) as u16,
            }
        };
        use LayerTensor as T;
        let lin = |w, b| self.linear(at(w), at(b));
        let qkv_scale = self.optional_f32s(at(T::QkvInputScale))?;
        let with_scale = |mut l: Linear<'a>, s: Option<&'a [f32]>| -> Result<Linear<'a>, Error> {
            if s.is_some() && !matches!(l.weight, Matrix::I8 { .. }) {
                return Err(Error::Header("an input_scale tensor belongs to int8 weights only"));
            }
            l.input_scale = s;
            Ok(l)
        };
        Ok(LayerWeights {
            query: with_scale(lin(T::QueryWeight, T::QueryBias)?, qkv_scale)?,
            key: with_scale(lin(T::KeyWeight, T::KeyBias)?, qkv_scale)?,
            value: with_scale(lin(T::ValueWeight, T::ValueBias)?, qkv_scale)?,
            distance_embedding: match at(T::DistanceEmbedding) {
                NONE => None,
                d => Some(self.f32s(d)?),
            },
            attention_output: lin(T::AttentionOutputWeight, T::AttentionOutputBias)?,
            attention_layer_norm: self.layer_norm(at(T::AttentionLayerNormWeight), at(T::AttentionLayerNormBias))?,
            intermediate: with_scale(
                lin(T::IntermediateWeight, T::IntermediateBias)?,
                self.optional_f32s(at(T::IntermediateInputScale))?,
            )?,
            intermediate_act_weight: match at(T::IntermediateActWeight) {
                NONE => 0.0,
                a => self.f32s(a)?.first().copied().unwrap_or(0.0),
            },
            output: lin(T::OutputWeight, T::OutputBias)?,
            output_layer_norm: self.layer_norm(at(T::OutputLayerNormWeight), at(T::OutputLayerNormBias))?,
        })
    }

    pub fn head_linear(&self, w: HeadTensor, b: HeadTensor) -> Result<Linear<'a>, Error> {
        self.linear(self.index.head[w as usize], self.index.head[b as usize])
    }

    pub fn head_layer_norm(&self, w: HeadTensor, b: HeadTensor) -> Result<LayerNorm<'a>, Error> {
        self.layer_norm(self.index.head[w as usize], self.index.head[b as usize])
    }

    pub fn head_f32s(&self, t: HeadTensor) -> Result<Option<&'a [f32]>, Error> {
        match self.index.head[t as usize] {
            NONE => Ok(None),
            i => self.f32s(i).map(Some),
        }
    }

    /// The LM head: `generator_lm_head.weight` when stored, else the word-embedding table (tied).
    pub fn lm_head(&self) -> Result<Linear<'a>, Error> {
        let bias = self.f32s(self.index.head[HeadTensor::LmHeadBias as usize])?;
        let weight = match self.index.head[HeadTensor::LmHeadWeight as usize] {
            NONE => self.emb_table(EmbTensor::Word)?,
            w => Matrix::from_view(&self.view(w)?)?,
        };
        let c = &self.config;
        Ok(Linear {
            weight,
            bias,
            out_features: c.vocab_size as usize,
            in_features: c.embedding_size as usize,
            input_scale: None,
        })
    }
}

#[cfg(all(test, feature = "alloc"))]
mod tests {
    use super::Matrix;
    use crate::kernels::pack;
    use alloc::vec;

    /// A packed int8 row reads back as the row-major one, odd widths included.
    #[test]
    fn packed_rows_read_as_row_major() {
        for (n, k) in [(3usize, 7usize), (17, 130), (16, 4), (1, 1), (5, 64)] {
            let w: vec::Vec<i8> = (0..n * k).map(|i| ((i * 37 + 11) % 255) as i8).collect();
            let mut packed = vec![0i8; pack::packed_len(n, k)];
            pack::pack_panel16x4(&w, n, k, &mut packed);
            let scales: vec::Vec<f32> = (0..n).map(|r| 0.5 + r as f32).collect();
            let sums = vec![0i32; n];
            let plain = Matrix::I8 { w: &w, scales: &scales, row_sums: &sums, packed: false };
            let panel = Matrix::I8 { w: &packed, scales: &scales, row_sums: &sums, packed: true };
            for r in 0..n {
                let (mut a, mut b) = (vec![0.0f32; k], vec![0.0f32; k]);
                plain.row_into(r, &mut a);
                panel.row_into(r, &mut b);
                let want: vec::Vec<f32> = w[r * k..(r + 1) * k].iter().map(|&v| v as f32 * scales[r]).collect();
                assert_eq!(a, want, "row-major n={n} k={k} r={r}");
                assert_eq!(b, want, "packed n={n} k={k} r={r}");
                panel.add_row_into(r, &mut b);
                plain.add_row_into(r, &mut a);
                assert_eq!(a, b, "add n={n} k={k} r={r}");
            }
        }
    }
}
