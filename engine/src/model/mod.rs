//! The ELECTRA forward pass: embeddings → encoder → head, on caller-owned memory.
//!
//! ```text
//! Model::new(ModelFile)        checks the table against the config, resolves weights by index
//! Model::scratch_len(b, s)     f32s of scratch one call needs; the caller owns it
//! Model::forward(inputs, scratch, out)      allocates nothing
//! ```

pub mod attention;
pub mod embeddings;
pub mod encoder;
pub mod feed_forward;
pub mod heads;
pub mod kv_cache;
pub mod layer;
pub mod scratch;
#[cfg(feature = "std")]
pub mod team;
pub mod weights;

use crate::config::{Config, Head};
use crate::format::ModelFile;
use crate::kernels::Kernels;
use crate::Error;

pub use encoder::{Observer, Site};
pub use kv_cache::KvCache;
pub use scratch::Scratch;
use weights::{TensorIndex, Weights};

#[cfg(feature = "std")]
fn default_kernels() -> Result<Kernels, Error> {
    use crate::kernels::IsaFromEnvError;
    Kernels::from_env().map_err(|e| match e {
        IsaFromEnvError::Unknown(_) => Error::UnknownIsa,
        IsaFromEnvError::Unavailable(u) => Error::IsaUnavailable { requested: u.0.name() },
    })
}

#[cfg(not(feature = "std"))]
fn default_kernels() -> Result<Kernels, Error> {
    Ok(Kernels::detect())
}

/// One batch of token ids. All slices are row-major `[batch, seq]`; for multiple choice `batch`
/// counts every (example, choice) row, i.e. `examples · choices`.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'i> {
    pub input_ids: &'i [u32],
    /// Non-zero means "attend" (transformers 5.x semantics). `None` attends everywhere.
    pub attention_mask: Option<&'i [u32]>,
    /// `None` means all zeros.
    pub token_type_ids: Option<&'i [u32]>,
    pub batch: usize,
    pub seq: usize,
    /// Choices per example (multiple choice); 1 otherwise.
    pub choices: usize,
}

impl<'i> Inputs<'i> {
    pub fn new(input_ids: &'i [u32], batch: usize, seq: usize) -> Self {
        Inputs { input_ids, attention_mask: None, token_type_ids: None, batch, seq, choices: 1 }
    }
}

/// The name and shape of one output tensor (transformers' output names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputSpec {
    pub name: &'static str,
    pub rank: usize,
    pub shape: [usize; 3],
}

impl OutputSpec {
    pub fn dims(&self) -> &[usize] {
        &self.shape[..self.rank]
    }

    pub fn len(&self) -> usize {
        self.dims().iter().product()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A loaded model: validated file, config and resolved weights.
#[derive(Debug, Clone)]
pub struct Model<'a> {
    pub head: Head,
    pub(crate) weights: Weights<'a>,
    kernels: Kernels,
}

impl<'a> Model<'a> {
    /// Checks that the file holds exactly the tensors its config and head need (names, shapes,
    /// dtypes) and resolves them. Reads no tensor data: loading is O(number of tensors).
    /// The kernels are the best this CPU has, or (with `std`) the ones `ELECTRA_ISA` names.
    pub fn new(file: ModelFile<'a>) -> Result<Self, Error> {
        Self::with_kernels(file, default_kernels()?)
    }

    /// `new` with the given kernels.
    pub fn with_kernels(file: ModelFile<'a>, kernels: Kernels) -> Result<Self, Error> {
        let config = file.header.config.clone();
        let head = file.header.head;
        config.validate(head)?;
        let index = TensorIndex::build(&file, &config, head, file.header.lm_head_tied)?;
        let mut model = Model {
            head,
            weights: Weights {
                file,
                index,
                config,
                #[cfg(feature = "alloc")]
                layers: alloc::vec::Vec::new(),
            },
            kernels,
        };
        // Resolve every view once, so a forward pass cannot meet an unresolvable tensor (and,
        // with `alloc`, keep the layers' views).
        model.weights.emb_layer_norm()?;
        model.weights.embeddings_project()?;
        model.weights.resolve_layers()?;
        heads::check(&model.weights, head)?;
        Ok(model)
    }

    /// Parses and loads a model from bytes (64-byte aligned: mmap, or `AlignedBytes`).
    pub fn from_bytes(bytes: &'a [u8]) -> Result<Self, Error> {
        Self::new(ModelFile::parse(bytes)?)
    }

    /// The int8 kernels this model runs with.
    pub fn kernels(&self) -> Kernels {
        self.kernels
    }

    pub fn config(&self) -> &Config {
        &self.weights.config
    }

    pub fn file(&self) -> &ModelFile<'a> {
        &self.weights.file
    }

    /// The outputs `forward` writes, in order, for `batch` encoder rows of `seq` tokens.
    pub fn outputs(&self, batch: usize, seq: usize, choices: usize) -> ([OutputSpec; 2], usize) {
        heads::outputs(self.head, self.config(), batch, seq, choices)
    }

    /// Total f32s of the output buffer.
    pub fn output_len(&self, batch: usize, seq: usize, choices: usize) -> usize {
        let (specs, n) = self.outputs(batch, seq, choices);
        specs[..n].iter().map(|s| s.len()).sum()
    }

    /// f32s of scratch one `forward` of `batch × seq` tokens needs (with `past` cached positions).
    pub fn scratch_len(&self, batch: usize, seq: usize, past: usize) -> usize {
        scratch::Layout::new(self.config(), batch, seq, past).len()
    }

    /// Runs the model. `out` receives the outputs of `outputs()` back to back.
    pub fn forward(&self, inputs: &Inputs<'_>, scratch: &mut [f32], out: &mut [f32]) -> Result<(), Error> {
        self.run(inputs, None, scratch, out, None)
    }

    /// `forward`, showing every layer's hidden states to `observer` (calibration, error reports).
    pub fn forward_observed(
        &self,
        inputs: &Inputs<'_>,
        scratch: &mut [f32],
        out: &mut [f32],
        observer: &mut dyn Observer,
    ) -> Result<(), Error> {
        self.run(inputs, None, scratch, out, Some(observer))
    }

    /// Runs a causal decoder step on new tokens, reading and extending `cache` (K/V of earlier
    /// steps). `inputs.attention_mask` covers only the new tokens; earlier ones are remembered.
    pub fn forward_cached(
        &self,
        inputs: &Inputs<'_>,
        cache: &mut KvCache<'_>,
        scratch: &mut [f32],
        out: &mut [f32],
    ) -> Result<(), Error> {
        self.run(inputs, Some(cache), scratch, out, None)
    }

    fn run(
        &self,
        inputs: &Inputs<'_>,
        mut cache: Option<&mut KvCache<'_>>,
        scratch: &mut [f32],
        out: &mut [f32],
        observer: Option<&mut dyn Observer>,
    ) -> Result<(), Error> {
        let c = self.config();
        let past = cache.as_ref().map_or(0, |k| k.len());
        self.validate_inputs(inputs, past)?;
        if let Some(k) = cache.as_deref_mut() {
            k.check(c, inputs.batch, inputs.seq)?;
        }
        let (b, s) = (inputs.batch, inputs.seq);
        let needed = self.output_len(b, s, inputs.choices);
        if out.len() < needed {
            return Err(Error::OutputSize { needed, given: out.len() });
        }
        let layout = scratch::Layout::new(c, b, s, past);
        let mut bufs = Scratch::carve(scratch, &layout, self.kernels)?;
        embeddings::forward(&self.weights, inputs, past, &mut bufs)?;
        if let Some(k) = cache.as_deref_mut() {
            k.stage_mask(inputs);
        }
        encoder::forward(&self.weights, inputs, cache.as_deref_mut(), &mut bufs, observer)?;
        if let Some(k) = cache {
            k.advance(s);
        }
        heads::forward(&self.weights, self.head, inputs, &mut bufs, &mut out[..needed])
    }

    /// Checks shapes, ids, type ids and length (after `past` cached positions) without running:
    /// callers sizing buffers from untrusted inputs call it first.
    pub fn validate_inputs(&self, inputs: &Inputs<'_>, past: usize) -> Result<(), Error> {
        let c = self.config();
        let (b, s) = (inputs.batch, inputs.seq);
        if b == 0 || s == 0 {
            return Err(Error::InputShape("batch and sequence length must be at least 1"));
        }
        let n = b.checked_mul(s).ok_or(Error::InputShape("batch × seq overflows"))?;
        if inputs.input_ids.len() != n {
            return Err(Error::InputShape("input_ids length is not batch × seq"));
        }
        if inputs.attention_mask.is_some_and(|m| m.len() != n) {
            return Err(Error::InputShape("attention_mask shape differs from input_ids"));
        }
        if inputs.token_type_ids.is_some_and(|t| t.len() != n) {
            return Err(Error::InputShape("token_type_ids shape differs from input_ids"));
        }
        if inputs.choices == 0 || b % inputs.choices != 0 {
            return Err(Error::InputShape("batch rows are not a multiple of the number of choices"));
        }
        let total = past.checked_add(s).ok_or(Error::InputShape("sequence length overflows"))?;
        if total > c.max_position_embeddings as usize {
            return Err(Error::SequenceTooLong { len: total, max: c.max_position_embeddings as usize });
        }
        if let Some((index, &id)) = inputs.input_ids.iter().enumerate().find(|(_, &id)| id >= c.vocab_size) {
            return Err(Error::IdOutOfVocab { index, id, vocab_size: c.vocab_size });
        }
        if let Some(tt) = inputs.token_type_ids {
            if let Some((index, &id)) = tt.iter().enumerate().find(|(_, &id)| id >= c.type_vocab_size) {
                return Err(Error::TypeIdOutOfRange { index, id, type_vocab_size: c.type_vocab_size });
            }
        }
        Ok(())
    }
}
