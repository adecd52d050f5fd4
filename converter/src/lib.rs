//! # electra-convert
//!
//! Hugging Face ELECTRA (or BERT) checkpoint folder → one flat model file (docs/file-format.md).
//!
//! * `hf_config`  — config.json with transformers' defaults, the head choice, labels.
//! * `checkpoint` — safetensors (single or sharded), name resolution, dtype widening.
//! * `quantize`   — per-row int8 and f16.
//! * `convert`    — puts them together in the engine's canonical tensor order, streaming the
//!   file (and the int8 f32 reference) to disk when given the output path; `Converted::write`.

// ConvertError wraps the engine's inline-named Error (~170 bytes); conversions fail rarely.
#![allow(clippy::result_large_err)]

pub mod calibrate;
pub mod checkpoint;
pub mod hf_config;
pub mod quantize;

use std::io::Write;
use std::path::{Path, PathBuf};

use electra_engine::buffer::AlignedBytes;
use electra_engine::config::{Config, Head};
use electra_engine::format::names::{self, EmbTensor, HeadTensor, LayerTensor, Role, Slot, TensorSpec};
use electra_engine::kernels::pack;
use electra_engine::Model;
use electra_engine::format::write::{FileWriter, HeaderInfo, TensorHead};
use electra_engine::format::{DType, TokenizerSettings, LAYOUT_PANEL16X4};

use checkpoint::Checkpoint;
use hf_config::HfConfig;

#[derive(Debug, thiserror::Error)]
pub enum ConvertError {
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{file} is not valid JSON: {source}")]
    Json { file: String, source: serde_json::Error },
    #[error("config.json: `{field}` {reason}")]
    Config { field: String, reason: String },
    #[error("{0}")]
    Checkpoint(String),
    #[error("the checkpoint is missing weights that {head} needs (refusing to use random weights): {}", names.join(", "))]
    MissingTensors { head: &'static str, names: Vec<String> },
    #[error("tensor {name} has shape {found:?}, but the config implies {expected:?}")]
    Shape { name: String, found: Vec<usize>, expected: Vec<usize> },
    #[error("the written file does not load back: {0}")]
    Engine(#[from] electra_engine::Error),
}

/// How linear weights and embedding tables are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WeightType {
    Int8,
    F16,
    F32,
}

impl WeightType {
    fn dtype(self) -> DType {
        match self {
            WeightType::Int8 => DType::I8,
            WeightType::F16 => DType::F16,
            WeightType::F32 => DType::F32,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Options {
    pub model_dir: PathBuf,
    pub weight_type: WeightType,
    /// Overrides `config.architectures` (e.g. run a discriminator as the base model).
    pub head: Option<Head>,
    /// Show a progress bar on stderr (only drawn on a terminal).
    pub progress: bool,
    /// int8 only: move activation outliers into the weights (docs/quantization.md).
    pub smoothing: bool,
    /// int8 only: calibration inputs (IN.json of `electra infer`) instead of random tokens.
    pub calibration: Option<PathBuf>,
    /// int8 only: compare every layer with the f32 model on the calibration inputs.
    pub report: bool,
    /// Where the file will be written. When set, the file and (int8) the f32 reference model are
    /// streamed tensor by tensor to temporary files in that folder and mapped, instead of being
    /// built in memory, so no model is ever held twice (docs/file-format.md §11);
    /// `Converted::write` then renames the file into place. When not set, everything is in
    /// memory (tests, library use).
    pub output: Option<PathBuf>,
    /// f32 bytes of checkpoint rows read and converted at a time (`BLOCK_BYTES`; at least one
    /// 16-row panel). Any value gives the same file; a smaller one, less memory.
    pub block_bytes: usize,
}

/// The default `Options::block_bytes`: 1 MiB of f32 rows.
pub const BLOCK_BYTES: usize = 1 << 20;

impl Options {
    pub fn new(model_dir: impl Into<PathBuf>, weight_type: WeightType) -> Self {
        Options {
            model_dir: model_dir.into(),
            weight_type,
            head: None,
            progress: false,
            smoothing: true,
            calibration: None,
            report: false,
            output: None,
            block_bytes: BLOCK_BYTES,
        }
    }
}

/// A converted model, ready to be written.
pub struct Converted {
    /// The file, 64-byte aligned (`Model::from_bytes` loads it as it is): in memory, or mapped
    /// from its temporary file when `Options::output` is set.
    pub bytes: FileBytes,
    pub head: Head,
    pub config: Config,
    pub tensors: usize,
    /// Checkpoint tensors the chosen head does not use (other heads' weights, ...).
    pub unused: Vec<String>,
    /// Tokenizer files bundled into the model.
    pub bundled: Vec<&'static str>,
    /// Per-layer int8 error against f32 (when `Options::report`).
    pub report: Option<Vec<calibrate::SiteError>>,
}

/// Files bundled into the model under `blob/<name>` when present.
pub const BUNDLED_FILES: [&str; 3] = ["vocab.txt", "tokenizer.json", "tokenizer_config.json"];

fn read_text(path: &Path) -> Result<String, ConvertError> {
    std::fs::read_to_string(path).map_err(|source| ConvertError::Io { path: path.to_path_buf(), source })
}

/// Tokenizer settings as transformers resolves them: tokenizer_config.json wins, then the
/// tokenizer.json normalizer, then BERT defaults.
fn tokenizer_settings(dir: &Path) -> Result<Option<TokenizerSettings>, ConvertError> {
    let has_vocab = dir.join("vocab.txt").is_file() || dir.join("tokenizer.json").is_file();
    if !has_vocab {
        return Ok(None);
    }
    let mut s = TokenizerSettings { do_lower_case: true, strip_accents: None, tokenize_chinese_chars: true, model_max_length: None };
    let tj = dir.join("tokenizer.json");
    if tj.is_file() {
        let v: serde_json::Value =
            serde_json::from_str(&read_text(&tj)?).map_err(|e| ConvertError::Json { file: "tokenizer.json".into(), source: e })?;
        if let Some(n) = v.get("normalizer").filter(|n| n.get("type").and_then(|t| t.as_str()) == Some("BertNormalizer")) {
            if let Some(b) = n.get("lowercase").and_then(|x| x.as_bool()) {
                s.do_lower_case = b;
            }
            s.strip_accents = n.get("strip_accents").and_then(|x| x.as_bool());
            if let Some(b) = n.get("handle_chinese_chars").and_then(|x| x.as_bool()) {
                s.tokenize_chinese_chars = b;
            }
        }
    }
    let tc = dir.join("tokenizer_config.json");
    if tc.is_file() {
        let v: serde_json::Value = serde_json::from_str(&read_text(&tc)?)
            .map_err(|e| ConvertError::Json { file: "tokenizer_config.json".into(), source: e })?;
        if let Some(b) = v.get("do_lower_case").and_then(|x| x.as_bool()) {
            s.do_lower_case = b;
        }
        if let Some(x) = v.get("strip_accents") {
            s.strip_accents = x.as_bool();
        }
        if let Some(b) = v.get("tokenize_chinese_chars").and_then(|x| x.as_bool()) {
            s.tokenize_chinese_chars = b;
        }
        // Absent or huge (transformers' 1e30 "no limit") means no limit.
        s.model_max_length = v.get("model_max_length").and_then(|x| x.as_u64()).and_then(|x| u32::try_from(x).ok());
    }
    Ok(Some(s))
}

/// Per-layer activation smoothing factors `s_c` (see `calibrate`).
struct Smoothing {
    qkv: Vec<Vec<f32>>,
    intermediate: Vec<Vec<f32>>,
}

impl Smoothing {
    /// The factors that scale this weight's columns, if it reads a smoothed input.
    fn for_weight(&self, slot: Slot) -> Option<&[f32]> {
        match slot {
            Slot::Layer(i, LayerTensor::QueryWeight | LayerTensor::KeyWeight | LayerTensor::ValueWeight) => {
                self.qkv.get(i as usize).map(Vec::as_slice)
            }
            Slot::Layer(i, LayerTensor::IntermediateWeight) => self.intermediate.get(i as usize).map(Vec::as_slice),
            _ => None,
        }
    }

    /// The `input_scale` tensor (`1 / s_c`) an optional spec stands for.
    fn input_scale(&self, slot: Slot) -> Option<Vec<f32>> {
        let s = match slot {
            Slot::Layer(i, LayerTensor::QkvInputScale) => self.qkv.get(i as usize)?,
            Slot::Layer(i, LayerTensor::IntermediateInputScale) => self.intermediate.get(i as usize)?,
            _ => return None,
        };
        Some(s.iter().map(|v| 1.0 / v).collect())
    }
}

/// The checkpoint tensor a spec is read from: its own name, except an LM head written as a copy
/// of the tied word-embedding table (`copy_tied_lm_head`).
fn source_name(spec: &TensorSpec, copy_tied_lm_head: bool) -> String {
    match spec.slot {
        Slot::Head(HeadTensor::LmHeadWeight) if copy_tied_lm_head => EmbTensor::Word.name().to_string(),
        _ => spec.name().as_str().to_string(),
    }
}

/// What a conversion writes: the tensors `specs` lists, read from the checkpoint and stored as
/// `weight_type` (int8 matrices smoothed and packed), then the bundled files.
struct Contents<'a> {
    ckpt: &'a Checkpoint,
    specs: &'a [TensorSpec],
    head: Head,
    weight_type: WeightType,
    smoothing: Option<&'a Smoothing>,
    copy_tied_lm_head: bool,
    blobs: &'a [(String, Vec<u8>)],
    /// `Options::block_bytes`.
    block_bytes: usize,
}

impl Contents<'_> {
    /// The specs written, in order, with the head each gets: optional ones only when smoothing
    /// has their factors.
    fn heads(&self) -> Vec<(&TensorSpec, TensorHead)> {
        let mut out = Vec::with_capacity(self.specs.len());
        for spec in self.specs {
            let name = spec.name();
            let (name, dims) = (name.as_str(), spec.dims());
            let head = if spec.optional {
                if self.smoothing.and_then(|s| s.input_scale(spec.slot)).is_none() {
                    continue;
                }
                TensorHead::new(name, DType::F32, dims)
            } else {
                match (spec.role, self.weight_type) {
                    (Role::Param, _) | (_, WeightType::F32) => TensorHead::new(name, DType::F32, dims),
                    (_, WeightType::F16) => TensorHead::new(name, DType::F16, dims),
                    (Role::Matrix, WeightType::Int8) => TensorHead::i8_panel(name, [dims[0], dims[1]]),
                    (_, WeightType::Int8) => TensorHead::new(name, DType::I8, dims),
                }
            };
            out.push((spec, head));
        }
        out
    }

    /// Writes the file into `sink` a tensor at a time: only the tensor being converted is in
    /// memory besides what `sink` keeps.
    fn write(&self, info: &HeaderInfo, mut sink: Sink, bar: &indicatif::ProgressBar) -> Result<FileBytes, ConvertError> {
        let specs = self.heads();
        let mut heads: Vec<TensorHead> = specs.iter().map(|(_, h)| h.clone()).collect();
        heads.extend(self.blobs.iter().map(|(name, bytes)| TensorHead::blob(name, bytes.len())));
        let (mut w, start) = FileWriter::new(info, &heads)?;
        drop(heads);
        sink.start(w.file_len())?;
        sink.put(&start)?;
        for (spec, head) in &specs {
            self.write_tensor(spec, head, &mut w, &mut sink)?;
            if !spec.optional {
                bar.inc(1);
            }
        }
        for (_, bytes) in self.blobs {
            w.blob(bytes, |p| sink.put(p))?;
        }
        let preamble = w.finish(|p| sink.put(p))?;
        sink.finish(&preamble)
    }

    /// One tensor: read, checked, converted to its head's dtype, written, a block of rows at a
    /// time (`Options::block_bytes` of f32), so that a large tensor (the word embeddings) is never
    /// whole in memory. Rows are independent in every conversion (int8 scales are per row, panels
    /// of 16 rows are packed on their own), so the bytes are those of converting it whole.
    fn write_tensor(&self, spec: &TensorSpec, head: &TensorHead, w: &mut FileWriter, sink: &mut Sink) -> Result<(), ConvertError> {
        let mut put = |p: &[u8]| sink.put(p);
        if spec.optional {
            let scale = self.smoothing.and_then(|s| s.input_scale(spec.slot)).unwrap_or_default();
            return w.f32(&scale, &mut put);
        }
        let source = source_name(spec, self.copy_tied_lm_head);
        let src = self
            .ckpt
            .source(&source)?
            .ok_or_else(|| ConvertError::MissingTensors { head: self.head.hf_class(), names: vec![source.clone()] })?;
        let expected: Vec<usize> = spec.dims().iter().map(|&d| d as usize).collect();
        if src.shape != expected {
            return Err(ConvertError::Shape { name: src.key, found: src.shape, expected });
        }
        let (rows, cols) = (src.rows_len(), src.cols());
        // Whole panels of 16 rows per block (the packed layout's unit), at least one.
        let block = (self.block_bytes / (4 * cols.max(1))).max(1).div_ceil(pack::PANEL_N) * pack::PANEL_N;
        let smoothing = self.smoothing.and_then(|s| s.for_weight(spec.slot));
        let (mut scales, mut sums) = (Vec::new(), Vec::new());
        w.begin(head.dtype, &mut put)?;
        for r0 in (0..rows).step_by(block) {
            let r1 = rows.min(r0 + block);
            let mut data = src.rows(r0, r1)?;
            match head.dtype {
                DType::F16 => w.piece(bytemuck::cast_slice(&quantize::to_f16(&data)), &mut put)?,
                DType::I8 => {
                    if let Some(s) = smoothing {
                        for row in data.chunks_exact_mut(cols) {
                            for (v, f) in row.iter_mut().zip(s) {
                                *v *= f;
                            }
                        }
                    }
                    let (q, s, sum) = quantize::quantize_rows_i8(&data, cols);
                    drop(data);
                    scales.extend(s);
                    sums.extend(sum);
                    if head.layout == LAYOUT_PANEL16X4 {
                        // Linear weights go in the layout the int8 kernels read, so loading is
                        // zero-copy.
                        let mut packed = vec![0i8; pack::packed_len(r1 - r0, cols)];
                        pack::pack_panel16x4(&q, r1 - r0, cols, &mut packed);
                        w.piece(bytemuck::cast_slice(&packed), &mut put)?;
                    } else {
                        w.piece(bytemuck::cast_slice(&q), &mut put)?;
                    }
                }
                _ => w.piece(bytemuck::cast_slice(&data), &mut put)?,
            }
        }
        w.end([bytemuck::cast_slice(&scales), bytemuck::cast_slice(&sums)], &mut put)
    }
}

/// Where a file's bytes go, in order: a buffer in memory, or a temporary file on disk.
enum Sink {
    Memory { file: Option<AlignedBytes>, at: usize },
    /// `keep`: the output (synced, kept under its temporary name for `Converted::write`);
    /// otherwise scratch, removed as soon as it is mapped where the OS allows.
    Disk { out: std::io::BufWriter<std::fs::File>, name: TemporaryFile, keep: bool },
}

impl Sink {
    fn memory() -> Sink {
        Sink::Memory { file: None, at: 0 }
    }

    fn disk(path: PathBuf, keep: bool) -> Result<Sink, ConvertError> {
        let name = TemporaryFile(path);
        let file = std::fs::File::create(&name.0).map_err(|source| ConvertError::Io { path: name.0.clone(), source })?;
        Ok(Sink::Disk { out: std::io::BufWriter::with_capacity(1 << 20, file), name, keep })
    }

    /// The file will be `len` bytes.
    fn start(&mut self, len: usize) -> Result<(), ConvertError> {
        if let Sink::Memory { file, .. } = self {
            *file = Some(AlignedBytes::zeroed(len));
        }
        Ok(())
    }

    fn put(&mut self, bytes: &[u8]) -> Result<(), ConvertError> {
        match self {
            Sink::Memory { file, at } => {
                let end = *at + bytes.len();
                let Some(dst) = file.as_mut().and_then(|f| f.get_mut(*at..end)) else {
                    return Err(ConvertError::Checkpoint("internal: the file grew past its layout".into()));
                };
                dst.copy_from_slice(bytes);
                *at = end;
                Ok(())
            }
            Sink::Disk { out, name, .. } => out.write_all(bytes).map_err(|source| ConvertError::Io { path: name.0.clone(), source }),
        }
    }

    /// Puts the preamble at offset 0 and hands out the finished file.
    fn finish(self, preamble: &[u8]) -> Result<FileBytes, ConvertError> {
        match self {
            Sink::Memory { file, .. } => {
                let mut file = file.unwrap_or_else(|| AlignedBytes::zeroed(0));
                let Some(dst) = file.get_mut(..preamble.len()) else {
                    return Err(ConvertError::Checkpoint("internal: the file is shorter than its preamble".into()));
                };
                dst.copy_from_slice(preamble);
                Ok(FileBytes::Memory(file))
            }
            Sink::Disk { out, name, keep } => {
                use std::io::{Seek, SeekFrom};
                let io = |source| ConvertError::Io { path: name.0.clone(), source };
                let mut file = out.into_inner().map_err(|e| io(e.into_error()))?;
                file.seek(SeekFrom::Start(0)).map_err(io)?;
                file.write_all(preamble).map_err(io)?;
                if keep {
                    file.sync_all().map_err(io)?;
                }
                drop(file);
                let map = electra_engine::mmap::MappedFile::open(&name.0).map_err(io)?;
                let name = if cfg!(unix) && !keep {
                    drop(name);
                    None
                } else {
                    Some(name)
                };
                Ok(FileBytes::Mapped { map, name })
            }
        }
    }
}

/// Computes smoothing factors from the f32 model's activations on the samples.
fn smoothing(ckpt: &Checkpoint, model: &Model<'_>, samples: &[calibrate::Sample]) -> Result<Smoothing, ConvertError> {
    let maxima = calibrate::channel_max(model, samples)?;
    let weight = |name: String| -> Result<Vec<f32>, ConvertError> {
        Ok(ckpt.get(&name)?.ok_or_else(|| ConvertError::Checkpoint(format!("{name} vanished")))?.data)
    };
    let mut qkv = Vec::new();
    let mut intermediate = Vec::new();
    for (i, (attn, ffn)) in maxima.attention.iter().zip(&maxima.feed_forward).enumerate() {
        let p = format!("electra.encoder.layer.{i}.");
        let (q, k, v) = (weight(format!("{p}attention.self.query.weight"))?, weight(format!("{p}attention.self.key.weight"))?, weight(format!("{p}attention.self.value.weight"))?);
        qkv.push(calibrate::smoothing_factors(attn, &[&q, &k, &v]));
        let w = weight(format!("{p}intermediate.dense.weight"))?;
        intermediate.push(calibrate::smoothing_factors(ffn, &[&w]));
    }
    Ok(Smoothing { qkv, intermediate })
}

/// Converts a checkpoint folder into model-file bytes, checked by loading them back.
pub fn convert(opts: &Options) -> Result<Converted, ConvertError> {
    let dir = &opts.model_dir;
    let config_path = dir.join("config.json");
    let hf = HfConfig::parse(&read_text(&config_path)?)?;
    let head = hf.choose_head(opts.head)?;
    let config = hf.config.clone();
    config.validate(head).map_err(|e| ConvertError::Config { field: "config".into(), reason: e.to_string() })?;
    let ckpt = Checkpoint::open(dir)?;

    let lm_head = matches!(head, Head::MaskedLm | Head::CausalLm);
    let tied_in_checkpoint = lm_head && ckpt.resolve("generator_lm_head.weight").is_none();
    if tied_in_checkpoint && !hf.tie_word_embeddings {
        return Err(ConvertError::MissingTensors { head: head.hf_class(), names: vec!["generator_lm_head.weight".into()] });
    }
    // int8: the word-embedding table is row-major (gathered by row), but the LM head GEMM wants
    // the packed layout, so the file gets a packed copy of the same quantized table (V·E bytes
    // more) instead of sending the largest matrix of a generator through the scalar kernel.
    let copy_tied_lm_head = tied_in_checkpoint && opts.weight_type == WeightType::Int8;
    let lm_head_tied = tied_in_checkpoint && !copy_tied_lm_head;

    let specs: Vec<TensorSpec> = names::expected(&config, head, lm_head_tied).collect();
    let missing: Vec<String> = specs
        .iter()
        .filter(|s| !s.optional)
        .map(|s| source_name(s, copy_tied_lm_head))
        .filter(|n| ckpt.resolve(n).is_none())
        .collect();
    if !missing.is_empty() {
        return Err(ConvertError::MissingTensors { head: head.hf_class(), names: missing });
    }

    let labels = if matches!(head, Head::SequenceClassification | Head::TokenClassification) { hf.labels.clone() } else { Vec::new() };
    let mut info = HeaderInfo {
        config: config.clone(),
        head,
        weight_dtype: DType::F32,
        lm_head_tied,
        labels,
        tokenizer: tokenizer_settings(dir)?,
        producer: format!("electra-convert {}", env!("CARGO_PKG_VERSION")),
    };
    let bar = progress_bar(opts.progress, specs.iter().filter(|s| !s.optional).count());

    // int8: the f32 model first, to calibrate smoothing and to measure the error report against.
    let int8 = opts.weight_type == WeightType::Int8;
    let reference = if int8 && (opts.smoothing || opts.report) {
        bar.set_message("calibrating");
        let contents = Contents { ckpt: &ckpt, specs: &specs, head, weight_type: WeightType::F32, smoothing: None, copy_tied_lm_head, blobs: &[], block_bytes: opts.block_bytes };
        let sink = match &opts.output {
            Some(out) => Sink::disk(folder_of(out).join(format!(".electra-convert.{}.reference.tmp", std::process::id())), false)?,
            None => Sink::memory(),
        };
        Some(contents.write(&info, sink, &indicatif::ProgressBar::hidden())?)
    } else {
        None
    };
    let reference_model = reference.as_deref().map(Model::from_bytes).transpose()?;
    let samples = match &opts.calibration {
        Some(path) => calibrate::samples_from_json(path, &config)?,
        None => calibrate::random_samples(config.vocab_size, config.max_position_embeddings, 4),
    };
    let smoothing = match (&reference_model, opts.smoothing && int8) {
        (Some(m), true) => Some(smoothing(&ckpt, m, &samples)?),
        _ => None,
    };

    let mut bundled = Vec::new();
    let mut blobs = Vec::new();
    for f in BUNDLED_FILES {
        let p = dir.join(f);
        if p.is_file() {
            let bytes = std::fs::read(&p).map_err(|source| ConvertError::Io { path: p.clone(), source })?;
            blobs.push((format!("blob/{f}"), bytes));
            bundled.push(f);
        }
    }
    info.weight_dtype = opts.weight_type.dtype();
    bar.set_message("converting");
    let contents = Contents { ckpt: &ckpt, specs: &specs, head, weight_type: opts.weight_type, smoothing: smoothing.as_ref(), copy_tied_lm_head, blobs: &blobs, block_bytes: opts.block_bytes };
    let sink = match &opts.output {
        Some(out) => Sink::disk(temporary_beside(out), true)?,
        None => Sink::memory(),
    };
    let bytes = contents.write(&info, sink, &bar)?;
    bar.finish_and_clear();
    drop(blobs);
    // Load the result back: the engine's validation is the converter's last check.
    let model = Model::from_bytes(&bytes)?;
    let report = match (&reference_model, opts.report) {
        (Some(r), true) => Some(calibrate::layer_errors(r, &model, &samples)?),
        _ => None,
    };
    Ok(Converted { bytes, head, config, tensors: specs.len(), unused: ckpt.unused(), bundled, report })
}

/// A model file's bytes: built in memory, or streamed to a temporary file and mapped.
pub enum FileBytes {
    Memory(AlignedBytes),
    /// Fields drop in order: the map before the temporary file is removed. The f32 reference's
    /// name is removed at once on Unix (`name` is None: the map keeps the data, and nothing is
    /// left behind even if the process is killed).
    Mapped { map: electra_engine::mmap::MappedFile, name: Option<TemporaryFile> },
}

impl core::ops::Deref for FileBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            FileBytes::Memory(b) => b,
            FileBytes::Mapped { map, .. } => map.bytes(),
        }
    }
}

/// A file removed when dropped (on every path out of the conversion, errors included).
pub struct TemporaryFile(PathBuf);

impl Drop for TemporaryFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

impl Converted {
    /// Puts the file at `path` atomically: renames the synced temporary file (converted with
    /// `Options::output`, whose folder it is in), or else writes the bytes (`write_atomic`).
    pub fn write(&mut self, path: &Path) -> Result<(), ConvertError> {
        if let FileBytes::Mapped { name, .. } = &mut self.bytes {
            if let Some(mut temporary) = name.take() {
                // On failure `temporary` is dropped, which removes the file.
                std::fs::rename(&temporary.0, path).map_err(|source| ConvertError::Io { path: path.to_path_buf(), source })?;
                // Renamed: nothing left to remove.
                temporary.0 = PathBuf::new();
                return Ok(());
            }
        }
        write_atomic(path, &self.bytes)
    }
}

/// The folder a file goes in (`.` for a bare name).
fn folder_of(path: &Path) -> &Path {
    path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."))
}

/// A temporary name beside `path`, in its folder (so that a rename replaces `path` atomically).
fn temporary_beside(path: &Path) -> PathBuf {
    let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "model".into());
    folder_of(path).join(format!(".{file_name}.{}.tmp", std::process::id()))
}

fn progress_bar(show: bool, len: usize) -> indicatif::ProgressBar {
    if !show {
        return indicatif::ProgressBar::hidden();
    }
    let b = indicatif::ProgressBar::new(len as u64);
    b.set_style(
        indicatif::ProgressStyle::with_template("{msg:>12} [{bar:40}] {pos}/{len} tensors")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    b
}

/// Writes `bytes` to `path` atomically: a temporary file in the same folder, fsync, rename.
/// A failure at any point leaves no partial output (and removes the temporary file).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ConvertError> {
    let tmp = temporary_beside(path);
    let io = |source| ConvertError::Io { path: tmp.clone(), source };
    let result = (|| {
        let mut f = std::fs::File::create(&tmp).map_err(io)?;
        f.write_all(bytes).map_err(io)?;
        f.sync_all().map_err(io)?;
        std::fs::rename(&tmp, path).map_err(|source| ConvertError::Io { path: path.to_path_buf(), source })
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
