//! Reading tensors from a Hugging Face checkpoint folder: `model.safetensors`, or shards listed in
//! `model.safetensors.index.json`. Names are resolved from the engine's canonical names to
//! whatever the checkpoint uses: with or without the `electra.` prefix, `bert.`-prefixed or bare
//! BERT names, and legacy `LayerNorm.gamma` / `LayerNorm.beta`.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::path::{Path, PathBuf};

use safetensors::tensor::{Dtype, SafeTensors};

use crate::ConvertError;

struct Shard {
    map: memmap2::Mmap,
}

struct Entry {
    shard: usize,
    dtype: Dtype,
    shape: Vec<usize>,
    /// The tensor's bytes in its shard's map (validated by the safetensors parser at `open`).
    bytes: std::ops::Range<usize>,
}

/// One tensor of a checkpoint, read a range of rows at a time (`Checkpoint::source`).
pub struct Source<'c> {
    pub key: String,
    pub shape: Vec<usize>,
    dtype: Dtype,
    bytes: &'c [u8],
}

/// An opened checkpoint: the shards mapped, the tensor directory read, no tensor data copied.
pub struct Checkpoint {
    shards: Vec<Shard>,
    entries: BTreeMap<String, Entry>,
    used: std::cell::RefCell<BTreeSet<String>>,
}

/// A tensor converted to f32.
pub struct Tensor {
    pub key: String,
    pub shape: Vec<usize>,
    pub data: Vec<f32>,
}

fn io_err(path: &Path, source: std::io::Error) -> ConvertError {
    ConvertError::Io { path: path.to_path_buf(), source }
}

impl Checkpoint {
    pub fn open(dir: &Path) -> Result<Self, ConvertError> {
        let single = dir.join("model.safetensors");
        let index = dir.join("model.safetensors.index.json");
        let files: Vec<PathBuf> = if single.is_file() {
            vec![single]
        } else if index.is_file() {
            let text = std::fs::read_to_string(&index).map_err(|e| io_err(&index, e))?;
            let v: serde_json::Value = serde_json::from_str(&text)
                .map_err(|e| ConvertError::Json { file: index.display().to_string(), source: e })?;
            let map = v.get("weight_map").and_then(|m| m.as_object()).ok_or_else(|| ConvertError::Checkpoint(
                format!("{} has no weight_map object", index.display()),
            ))?;
            let names: BTreeSet<&str> = map.values().filter_map(|f| f.as_str()).collect();
            names.into_iter().map(|f| dir.join(f)).collect()
        } else if dir.join("pytorch_model.bin").is_file() {
            return Err(ConvertError::Checkpoint(format!(
                "{} holds only pytorch_model.bin; save it as safetensors first \
                 (model.save_pretrained(dir, safe_serialization=True))",
                dir.display()
            )));
        } else {
            return Err(ConvertError::Checkpoint(format!(
                "{} has neither model.safetensors nor model.safetensors.index.json",
                dir.display()
            )));
        };
        let mut shards = Vec::new();
        let mut entries = BTreeMap::new();
        for path in files {
            let file = File::open(&path).map_err(|e| io_err(&path, e))?;
            // SAFETY: read-only private map of a checkpoint we only read; a concurrent writer
            // could change bytes under us, which can only give wrong values, as every access
            // below goes through the safetensors parser's bounds-checked views.
            let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| io_err(&path, e))?;
            let st = SafeTensors::deserialize(&map).map_err(|e| ConvertError::Checkpoint(format!(
                "{} is not a valid safetensors file: {e}",
                path.display()
            )))?;
            for (name, view) in st.tensors() {
                // The view's place in the map, kept so that reads need no second parse.
                let start = view.data().as_ptr() as usize - map.as_ptr() as usize;
                let bytes = start..start + view.data().len();
                entries.insert(name, Entry { shard: shards.len(), dtype: view.dtype(), shape: view.shape().to_vec(), bytes });
            }
            drop(st);
            shards.push(Shard { map });
        }
        Ok(Checkpoint { shards, entries, used: Default::default() })
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(String::as_str)
    }

    /// Checkpoint keys that may hold the canonical tensor `name`, most specific first.
    fn candidates(name: &str) -> Vec<String> {
        let mut forms = vec![name.to_string()];
        if let Some(rest) = name.strip_prefix("electra.") {
            forms.push(rest.to_string());
            forms.push(format!("bert.{rest}"));
        }
        let mut all = forms.clone();
        for f in &forms {
            if let Some(stem) = f.strip_suffix("LayerNorm.weight") {
                all.push(format!("{stem}LayerNorm.gamma"));
            } else if let Some(stem) = f.strip_suffix("LayerNorm.bias") {
                all.push(format!("{stem}LayerNorm.beta"));
            }
        }
        all
    }

    /// The checkpoint key holding canonical tensor `name`, if any.
    pub fn resolve(&self, name: &str) -> Option<String> {
        Self::candidates(name).into_iter().find(|k| self.entries.contains_key(k))
    }

    /// Reads canonical tensor `name` as f32 (from f32, f16, bf16 or f64 storage).
    pub fn get(&self, name: &str) -> Result<Option<Tensor>, ConvertError> {
        let Some(src) = self.source(name)? else { return Ok(None) };
        let data = src.rows(0, src.rows_len())?;
        Ok(Some(Tensor { key: src.key, shape: src.shape, data }))
    }

    /// Canonical tensor `name`, to be read a range of rows at a time (`Source::rows`): a
    /// converter holding a part of a large tensor in f32, not all of it. Marks it used.
    pub fn source(&self, name: &str) -> Result<Option<Source<'_>>, ConvertError> {
        let Some(key) = self.resolve(name) else { return Ok(None) };
        let entry = &self.entries[&key];
        if !matches!(entry.dtype, Dtype::F32 | Dtype::F16 | Dtype::BF16 | Dtype::F64) {
            return Err(ConvertError::Checkpoint(format!("tensor {key} has dtype {:?}, expected a float type", entry.dtype)));
        }
        let bytes = &self.shards[entry.shard].map[entry.bytes.clone()];
        self.used.borrow_mut().insert(key.clone());
        Ok(Some(Source { key, shape: entry.shape.clone(), dtype: entry.dtype, bytes }))
    }
    /// Keys never read, minus those transformers itself ignores (position_ids, pooler).
    pub fn unused(&self) -> Vec<String> {
        let used = self.used.borrow();
        self.entries
            .keys()
            .filter(|k| !used.contains(*k))
            .filter(|k| !k.ends_with("position_ids") && !k.contains("pooler."))
            .cloned()
            .collect()
    }
}

impl Source<'_> {
    /// Values per row: the last dimension (1 for a scalar).
    pub fn cols(&self) -> usize {
        self.shape.last().copied().unwrap_or(1)
    }

    /// Rows: the product of the other dimensions.
    pub fn rows_len(&self) -> usize {
        let n: usize = self.shape.iter().product();
        n.checked_div(self.cols()).unwrap_or(0)
    }

    /// Rows `r0..r1` as f32. A non-finite value is an error naming its element.
    pub fn rows(&self, r0: usize, r1: usize) -> Result<Vec<f32>, ConvertError> {
        let size = self.dtype.size();
        let (from, to) = (r0 * self.cols() * size, r1 * self.cols() * size);
        let bytes = self.bytes.get(from..to).ok_or_else(|| {
            ConvertError::Checkpoint(format!("tensor {}: rows {r0}..{r1} lie outside its data", self.key))
        })?;
        let data: Vec<f32> = match self.dtype {
            Dtype::F32 => bytes.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect(),
            Dtype::F16 => bytes.chunks_exact(2).map(|c| half::f16::from_le_bytes([c[0], c[1]]).to_f32()).collect(),
            Dtype::BF16 => bytes.chunks_exact(2).map(|c| half::bf16::from_le_bytes([c[0], c[1]]).to_f32()).collect(),
            // F64, the last float type `Checkpoint::source` admits.
            _ => bytes
                .chunks_exact(8)
                .map(|c| f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]) as f32)
                .collect(),
        };
        if let Some(bad) = data.iter().position(|v| !v.is_finite()) {
            let at = r0 * self.cols() + bad;
            return Err(ConvertError::Checkpoint(format!("tensor {} holds a non-finite value at element {at}", self.key)));
        }
        Ok(data)
    }
}
