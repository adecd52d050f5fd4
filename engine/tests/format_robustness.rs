//! Robustness of the model file reader (docs/file-format.md, docs/security.md).
//!
//! The rule: nothing reachable from a model file may panic or read out of bounds; bad bytes give
//! a typed `electra_engine::Error`. Every file here is built in the test with `FileBuilder`, then
//! round-tripped, truncated, corrupted byte by byte and at random, and patched with targeted lies
//! (the meta CRC is recomputed after a patch, so a lie reaches the check it targets instead of
//! stopping at the checksum). The random corruption is the stable-Rust fuzz smoke; the libFuzzer
//! target lives in `engine/fuzz/`.

use bytemuck::{Pod, Zeroable};
use half::f16;

use electra_engine::buffer::AlignedBytes;
use electra_engine::format::names::{self, Role};
use electra_engine::format::write::{FileBuilder, FileWriter, HeaderInfo, TensorHead};
use electra_engine::format::{
    DType, ModelFile, Preamble, TensorRecord, TokenizerSettings, ALIGN, FORMAT_VERSION, MAGIC, PREAMBLE_LEN,
};
use electra_engine::{Activation, Config, Error, Head, Inputs, Model, PositionEmbeddingType, SummaryType};

// ---------------------------------------------------------------------------------------------
// Helpers: a seeded PRNG, a mutable 64-byte aligned buffer, byte patching
// ---------------------------------------------------------------------------------------------

/// xorshift64: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn f32(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 24) as f32 - 0.5
    }
}

#[derive(Clone, Copy, Pod, Zeroable)]
#[repr(C, align(64))]
struct Block([u8; 64]);

/// A mutable byte buffer whose start is 64-byte aligned (`AlignedBytes` is read-only).
#[derive(Clone)]
struct Buf {
    blocks: Vec<Block>,
    len: usize,
}

impl Buf {
    fn new(bytes: &[u8]) -> Self {
        let mut b = Buf { blocks: vec![Block([0; 64]); bytes.len().div_ceil(64)], len: bytes.len() };
        b.bytes_mut().copy_from_slice(bytes);
        b
    }
    fn bytes(&self) -> &[u8] {
        &bytemuck::cast_slice::<Block, u8>(&self.blocks)[..self.len]
    }
    fn bytes_mut(&mut self) -> &mut [u8] {
        &mut bytemuck::cast_slice_mut::<Block, u8>(&mut self.blocks)[..self.len]
    }
    fn preamble(&self) -> Preamble {
        bytemuck::pod_read_unaligned(&self.bytes()[..PREAMBLE_LEN])
    }
    fn set_preamble(&mut self, p: Preamble) {
        self.bytes_mut()[..PREAMBLE_LEN].copy_from_slice(bytemuck::bytes_of(&p));
    }
    fn edit_preamble(&mut self, f: impl FnOnce(&mut Preamble)) {
        let mut p = self.preamble();
        f(&mut p);
        self.set_preamble(p);
    }
    fn record_pos(&self, i: usize) -> usize {
        self.preamble().table_offset as usize + 64 * i
    }
    fn record(&self, i: usize) -> TensorRecord {
        let at = self.record_pos(i);
        bytemuck::pod_read_unaligned(&self.bytes()[at..at + 64])
    }
    /// Patches record `i` and recomputes the meta CRC, so the lie reaches the record checks.
    fn edit_record(&mut self, i: usize, f: impl FnOnce(&mut TensorRecord)) {
        let mut r = self.record(i);
        f(&mut r);
        let at = self.record_pos(i);
        self.bytes_mut()[at..at + 64].copy_from_slice(bytemuck::bytes_of(&r));
        self.reseal();
    }
    /// Recomputes `meta_crc` over bytes 64..data_offset (when the preamble still allows it).
    fn reseal(&mut self) {
        let d = self.preamble().data_offset as usize;
        if d >= PREAMBLE_LEN && d <= self.len {
            let crc = crc32fast::hash(&self.bytes()[PREAMBLE_LEN..d]);
            self.edit_preamble(|p| p.meta_crc = crc);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Building valid files
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq)]
enum Store {
    F32,
    F16,
    I8,
    /// F32, F16 and I8 in turn over the Matrix/Table tensors.
    Mixed,
}

#[derive(Clone, Debug)]
struct Variant {
    name: &'static str,
    config: Config,
    head: Head,
    tied: bool,
    store: Store,
    labels: Vec<String>,
    tokenizer: Option<TokenizerSettings>,
    blobs: Vec<(&'static str, Vec<u8>)>,
    /// Write the optional per-layer `input_scale` tensors (int8 activation smoothing).
    smoothing: bool,
}

/// One expected tensor as written (for the round trip).
#[derive(Clone, Debug)]
struct Written {
    name: String,
    dtype: DType,
    dims: Vec<u32>,
    data: Vec<u8>,
    aux: Vec<u8>,
}

fn small_config() -> Config {
    Config {
        vocab_size: 32,
        embedding_size: 8,
        hidden_size: 16,
        num_hidden_layers: 1,
        num_attention_heads: 2,
        intermediate_size: 32,
        hidden_act: Activation::Gelu,
        max_position_embeddings: 16,
        type_vocab_size: 2,
        layer_norm_eps: 1e-12,
        position_embedding_type: PositionEmbeddingType::Absolute,
        is_decoder: false,
        num_labels: 2,
        summary_type: SummaryType::First,
        summary_use_proj: true,
        summary_activation: Some(Activation::Gelu),
        pad_token_id: 0,
    }
}

const VOCAB_TXT: &[u8] = b"[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nthe\nof\n";

fn variant(name: &'static str, head: Head, store: Store) -> Variant {
    Variant {
        name,
        config: small_config(),
        head,
        tied: false,
        store,
        labels: Vec::new(),
        tokenizer: None,
        blobs: vec![("blob/vocab.txt", VOCAB_TXT.to_vec())],
        smoothing: false,
    }
}

/// The heads and options the format must carry; every dtype appears.
fn variants() -> Vec<Variant> {
    let mut v = Vec::new();

    let mut base = variant("base_f32", Head::Base, Store::F32);
    base.tokenizer = Some(TokenizerSettings {
        do_lower_case: false,
        strip_accents: Some(true),
        tokenize_chinese_chars: true,
        model_max_length: Some(512),
    });
    base.blobs.push(("blob/tokenizer_config.json", br#"{"do_lower_case": false}"#.to_vec()));
    v.push(base);

    let mut pre = variant("pretraining_f16_prelu", Head::PreTraining, Store::F16);
    pre.config.hidden_act = Activation::Prelu;
    pre.tokenizer = Some(TokenizerSettings {
        do_lower_case: true,
        strip_accents: None,
        tokenize_chinese_chars: false,
        model_max_length: None,
    });
    v.push(pre);

    let mut tied = variant("masked_lm_tied_i8", Head::MaskedLm, Store::I8);
    tied.tied = true;
    v.push(tied);

    v.push(variant("masked_lm_untied_mixed", Head::MaskedLm, Store::Mixed));

    let mut seqcls = variant("seqcls_i8_labels", Head::SequenceClassification, Store::I8);
    seqcls.smoothing = true;
    seqcls.config.num_labels = 3;
    seqcls.labels = vec!["negative".into(), "positive".into(), "neutral ☺".into()];
    v.push(seqcls);

    let mut qa = variant("qa_relative_key_f32", Head::QuestionAnswering, Store::F32);
    qa.config.position_embedding_type = PositionEmbeddingType::RelativeKey;
    v.push(qa);

    let mut tok = variant("token_cls_relative_key_query_mixed", Head::TokenClassification, Store::Mixed);
    tok.config.position_embedding_type = PositionEmbeddingType::RelativeKeyQuery;
    tok.config.num_labels = 5;
    tok.labels = (0..5).map(|i| format!("L{i}")).collect();
    v.push(tok);

    let mut mc = variant("multiple_choice_mean_f16", Head::MultipleChoice, Store::F16);
    mc.config.summary_type = SummaryType::Mean;
    v.push(mc);

    let mut causal = variant("causal_lm_decoder_i8", Head::CausalLm, Store::I8);
    causal.config.is_decoder = true;
    causal.config.num_hidden_layers = 2;
    causal.tied = true;
    causal.smoothing = true;
    v.push(causal);

    // embedding == hidden (no embeddings_project), no encoder layer, no blob.
    let mut bare = variant("base_noproject_0_layers", Head::Base, Store::F32);
    bare.config.embedding_size = 16;
    bare.config.num_hidden_layers = 0;
    bare.blobs.clear();
    v.push(bare);

    v
}

/// Deterministic contents for every tensor `names::expected` lists, in that order.
fn tensors_for(v: &Variant, seed: u64) -> Vec<Written> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::new();
    let mut matrix_k = 0usize;
    for spec in names::expected(&v.config, v.head, v.tied) {
        if spec.optional && !v.smoothing {
            continue;
        }
        let dims = spec.dims().to_vec();
        let elems: usize = dims.iter().map(|&d| d as usize).product();
        let cols = *dims.last().unwrap_or(&1) as usize;
        let rows = elems / cols.max(1);
        let dtype = match (spec.role, v.store) {
            (Role::Param, _) | (_, Store::F32) => DType::F32,
            (_, Store::F16) => DType::F16,
            (_, Store::I8) => DType::I8,
            (_, Store::Mixed) => {
                matrix_k += 1;
                [DType::F32, DType::F16, DType::I8][matrix_k % 3]
            }
        };
        let (data, aux) = match dtype {
            DType::F32 if spec.optional => {
                let x: Vec<f32> = (0..elems).map(|_| 0.5 + rng.f32().abs()).collect();
                (bytemuck::cast_slice(&x).to_vec(), Vec::new())
            }
            DType::F32 => {
                let x: Vec<f32> = (0..elems).map(|_| rng.f32()).collect();
                (bytemuck::cast_slice(&x).to_vec(), Vec::new())
            }
            DType::F16 => {
                let x: Vec<f16> = (0..elems).map(|_| f16::from_f32(rng.f32())).collect();
                (bytemuck::cast_slice(&x).to_vec(), Vec::new())
            }
            DType::I8 => {
                let q: Vec<i8> = (0..elems).map(|_| (rng.below(255) as i32 - 127) as i8).collect();
                let scales: Vec<f32> = (0..rows).map(|_| 0.004 + rng.f32().abs() * 0.004).collect();
                let sums: Vec<i32> = q.chunks(cols).map(|r| r.iter().map(|&x| x as i32).sum()).collect();
                let mut aux = bytemuck::cast_slice(&scales).to_vec();
                aux.extend_from_slice(bytemuck::cast_slice(&sums));
                (bytemuck::cast_slice(&q).to_vec(), aux)
            }
            DType::U8 => unreachable!(),
        };
        out.push(Written { name: spec.name().as_str().to_string(), dtype, dims, data, aux });
    }
    for (name, bytes) in &v.blobs {
        out.push(Written {
            name: name.to_string(),
            dtype: DType::U8,
            dims: vec![bytes.len() as u32],
            data: bytes.clone(),
            aux: Vec::new(),
        });
    }
    out
}

/// Reads little-endian plain values out of bytes of any alignment.
fn collect<T: Pod>(bytes: &[u8]) -> Vec<T> {
    bytes.chunks_exact(core::mem::size_of::<T>()).map(bytemuck::pod_read_unaligned).collect()
}

fn add(builder: &mut FileBuilder, t: &Written) {
    match t.dtype {
        DType::F32 => builder.add_f32(&t.name, &t.dims, &collect::<f32>(&t.data)),
        DType::F16 => builder.add_f16(&t.name, &t.dims, &collect::<f16>(&t.data)),
        DType::I8 => {
            let rows = t.aux.len() / 8;
            let (s, r) = t.aux.split_at(rows * 4);
            let scales: Vec<f32> = collect(s);
            let sums: Vec<i32> = collect(r);
            builder.add_i8(&t.name, &t.dims, bytemuck::cast_slice(&t.data), &scales, &sums)
        }
        DType::U8 => builder.add_blob(&t.name, &t.data),
    }
}

fn info(v: &Variant) -> HeaderInfo {
    HeaderInfo {
        config: v.config.clone(),
        head: v.head,
        weight_dtype: match v.store {
            Store::F32 | Store::Mixed => DType::F32,
            Store::F16 => DType::F16,
            Store::I8 => DType::I8,
        },
        lm_head_tied: v.tied,
        labels: v.labels.clone(),
        tokenizer: v.tokenizer.clone(),
        producer: format!("format_robustness {}", v.name),
    }
}

fn build_tensors(v: &Variant, tensors: &[Written]) -> Vec<u8> {
    let mut b = FileBuilder::new();
    for t in tensors {
        add(&mut b, t);
    }
    let built = b.build(&info(v)).expect("FileBuilder::build");
    // The streaming writer (the converter's path to disk) makes the same bytes.
    let heads: Vec<TensorHead> = tensors.iter().map(head).collect();
    let (mut w, start) = FileWriter::new(&info(v), &heads).expect("FileWriter::new");
    let mut streamed = start;
    let mut sink = |piece: &[u8]| {
        streamed.extend_from_slice(piece);
        Ok::<(), Error>(())
    };
    for t in tensors {
        match t.dtype {
            DType::F32 => w.f32(&collect::<f32>(&t.data), &mut sink),
            DType::F16 => w.f16(&collect::<f16>(&t.data), &mut sink),
            DType::I8 => {
                let (s, r) = t.aux.split_at(t.aux.len() / 2);
                w.i8(bytemuck::cast_slice(&t.data), &collect::<f32>(s), &collect::<i32>(r), &mut sink)
            }
            DType::U8 => w.blob(&t.data, &mut sink),
        }
        .expect("FileWriter tensor");
    }
    let preamble = w.finish(&mut sink).expect("FileWriter::finish");
    streamed[..preamble.len()].copy_from_slice(&preamble);
    assert!(built[..] == streamed[..], "{}: FileWriter and FileBuilder differ", v.name);
    // Each tensor's data in pieces (`begin`, `piece`, `end`: how the converter writes large
    // tensors): the same bytes again.
    let (mut w, start) = FileWriter::new(&info(v), &heads).expect("FileWriter::new");
    let mut pieces = start;
    let mut sink = |piece: &[u8]| {
        pieces.extend_from_slice(piece);
        Ok::<(), Error>(())
    };
    for t in tensors {
        w.begin(t.dtype, &mut sink).expect("begin");
        // Uneven pieces: a third, an empty one, the rest.
        let third = t.data.len() / 3;
        for part in [&t.data[..third], &[][..], &t.data[third..]] {
            w.piece(part, &mut sink).expect("piece");
        }
        let (s, r) = t.aux.split_at(t.aux.len() / 2);
        w.end([s, r], &mut sink).expect("end");
    }
    let preamble = w.finish(&mut sink).expect("FileWriter::finish");
    pieces[..preamble.len()].copy_from_slice(&preamble);
    assert!(built[..] == pieces[..], "{}: FileWriter in pieces and FileBuilder differ", v.name);
    streamed
}

/// The head `add` gives a written tensor.
fn head(t: &Written) -> TensorHead {
    TensorHead::new(&t.name, t.dtype, &t.dims)
}

fn build(v: &Variant) -> Vec<u8> {
    build_tensors(v, &tensors_for(v, 7))
}

fn by_name(name: &str) -> Variant {
    variants().into_iter().find(|v| v.name == name).expect("variant")
}

fn expected_count(v: &Variant) -> usize {
    names::expected(&v.config, v.head, v.tied).filter(|s| v.smoothing || !s.optional).count()
}

/// Runs a `1 × seq` forward pass with in-range ids; returns the outputs.
fn run(model: &Model<'_>, seq: usize) -> Result<Vec<f32>, Error> {
    let c = model.config();
    let seq = seq.min(c.max_position_embeddings as usize);
    let ids: Vec<u32> = (0..seq as u32).map(|i| (i * 7 + 1) % c.vocab_size).collect();
    let mut scratch = vec![0.0f32; model.scratch_len(1, seq, 0)];
    let mut out = vec![0.0f32; model.output_len(1, seq, 1)];
    model.forward(&Inputs::new(&ids, 1, seq), &mut scratch, &mut out)?;
    Ok(out)
}

/// Loads `bytes` as far as it goes. Never panics (that is the property under test); if the model
/// loads, every table entry must resolve and a forward pass must run (its values may be garbage).
fn load_and_poke(bytes: &[u8]) -> Result<(), Error> {
    let file = ModelFile::parse(bytes)?;
    // `parse` promises that every record is valid: `tensor(i)` must then succeed.
    for i in 0..file.len() {
        if let Err(e) = file.tensor(i) {
            panic!("parse accepted the table but tensor({i}) fails: {e}");
        }
        let t = file.tensor(i)?;
        if t.dtype == DType::I8 {
            t.i8_aux()?;
        }
        let _ = t.rows_cols();
    }
    let _ = file.labels().count();
    let _ = file.blob("blob/vocab.txt");
    let _ = file.verify_data();
    let model = Model::new(file)?;
    run(&model, 4).map(|_| ())
}

fn parse_err(bytes: &[u8]) -> Error {
    match ModelFile::parse(bytes) {
        Ok(_) => panic!("parse accepted a bad file"),
        Err(e) => e,
    }
}

fn load_err(bytes: &[u8]) -> Error {
    match Model::from_bytes(bytes) {
        Ok(_) => panic!("Model::from_bytes accepted a bad file"),
        Err(e) => e,
    }
}

// ---------------------------------------------------------------------------------------------
// 1. Round trip
// ---------------------------------------------------------------------------------------------

#[test]
fn round_trip_every_variant() {
    for v in variants() {
        let tensors = tensors_for(&v, 7);
        let bytes = build_tensors(&v, &tensors);
        let aligned = AlignedBytes::from_slice(&bytes);
        let file = ModelFile::parse(&aligned).unwrap_or_else(|e| panic!("{}: {e}", v.name));

        // Preamble.
        let p = file.preamble;
        assert_eq!(p.magic, MAGIC);
        assert_eq!(p.version, FORMAT_VERSION);
        assert_eq!(p.table_count as usize, tensors.len(), "{}", v.name);
        assert_eq!(p.table_offset % ALIGN as u64, 0);
        assert_eq!(p.data_offset % ALIGN as u64, 0);
        assert_eq!(p.data_offset + p.data_len, bytes.len() as u64);

        // Header.
        let h = &file.header;
        assert_eq!(h.config, v.config, "{}", v.name);
        assert_eq!(h.head, v.head);
        assert_eq!(h.lm_head_tied, v.tied);
        assert_eq!(h.weight_dtype, info(&v).weight_dtype);
        assert_eq!(h.labels, v.labels.join("\n"));
        assert_eq!(file.labels().collect::<Vec<_>>(), v.labels.iter().map(|s| s.as_str()).collect::<Vec<_>>());
        assert_eq!(h.tokenizer, v.tokenizer);
        assert_eq!(h.producer, format!("format_robustness {}", v.name));

        // Table.
        assert_eq!(file.len(), tensors.len());
        for (i, w) in tensors.iter().enumerate() {
            let t = file.tensor(i).unwrap();
            assert_eq!(t.name, w.name, "{} #{i}", v.name);
            assert_eq!(t.dtype, w.dtype, "{}", w.name);
            assert_eq!(t.dims(), &w.dims[..], "{}", w.name);
            assert_eq!(t.layout, 0);
            assert_eq!(t.data, &w.data[..], "{}", w.name);
            assert_eq!(t.aux, &w.aux[..], "{}", w.name);
            assert_eq!(t.data.as_ptr() as usize % ALIGN, 0, "{} data alignment", w.name);
            if !t.aux.is_empty() {
                assert_eq!(t.aux.as_ptr() as usize % ALIGN, 0, "{} aux alignment", w.name);
            }
            match t.dtype {
                DType::F32 => assert_eq!(t.f32s().unwrap().len() * 4, w.data.len()),
                DType::F16 => assert_eq!(t.f16s().unwrap().len() * 2, w.data.len()),
                DType::I8 => {
                    let (rows, _) = t.rows_cols();
                    let (s, r) = t.i8_aux().unwrap();
                    assert_eq!((s.len(), r.len()), (rows, rows));
                    assert_eq!(t.i8s().unwrap().len(), w.data.len());
                }
                DType::U8 => assert_eq!(file.blob(&w.name), Some(&w.data[..])),
            }
            assert!(file.find(&w.name).is_some());
        }
        assert_eq!(file.blob("blob/absent.txt"), None);
        file.verify_data().unwrap();

        // The model loads and runs.
        let model = Model::new(file).unwrap_or_else(|e| panic!("{}: {e}", v.name));
        for seq in [1usize, 5, 16] {
            let out = run(&model, seq).unwrap_or_else(|e| panic!("{}: {e}", v.name));
            assert!(!out.is_empty());
            assert!(out.iter().all(|x| x.is_finite()), "{}: non-finite output at seq {seq}", v.name);
        }
    }
}

#[test]
fn writer_is_deterministic_and_pads_with_zeros() {
    let v = by_name("masked_lm_untied_mixed");
    let a = build(&v);
    assert_eq!(a, build(&v));
    let buf = Buf::new(&a);
    let p = buf.preamble();
    assert_eq!(p.reserved, 0);
    let h1 = PREAMBLE_LEN + p.header_len as usize;
    assert!(a[h1..p.table_offset as usize].iter().all(|&b| b == 0), "header padding");
    let t1 = p.table_offset as usize + 64 * p.table_count as usize;
    assert!(a[t1..p.data_offset as usize].iter().all(|&b| b == 0), "table padding");
    for i in 0..p.table_count as usize {
        let r = buf.record(i);
        assert_eq!((r.layout, r.reserved0, r.reserved1), (0, 0, 0));
        assert!(r.shape[r.rank as usize..].iter().all(|&d| d == 1));
        if r.aux_len == 0 {
            assert_eq!(r.aux_offset, 0);
        }
    }
}

#[test]
fn writer_rejects_what_the_reader_would_reject() {
    let v = variant("w", Head::Base, Store::F32);
    let build_one = |f: &dyn Fn(&mut FileBuilder)| {
        let mut b = FileBuilder::new();
        f(&mut b);
        b.build(&info(&v))
    };
    // A label with a newline would split into two labels.
    let mut bad = info(&v);
    bad.labels = vec!["a\nb".into()];
    assert!(matches!(FileBuilder::new().build(&bad), Err(Error::Header(_))));
    // Rank above 4.
    assert!(matches!(build_one(&|b| b.add_f32("x", &[1, 1, 1, 1, 1], &[0.0])), Err(Error::Header(_))));
    // Shape and data disagree.
    assert!(matches!(build_one(&|b| b.add_f32("x", &[2, 3], &[0.0; 5])), Err(Error::Header(_))));
    assert!(matches!(build_one(&|b| b.add_f16("x", &[4], &[f16::ZERO; 3])), Err(Error::Header(_))));
    // Int8 needs one scale and one row sum per row.
    assert!(matches!(build_one(&|b| b.add_i8("x", &[2, 2], &[0; 4], &[1.0], &[0, 0])), Err(Error::Header(_))));
    assert!(matches!(build_one(&|b| b.add_i8("x", &[2, 2], &[0; 4], &[1.0, 1.0], &[0])), Err(Error::Header(_))));
    // Same total aux length, wrong split.
    assert!(matches!(build_one(&|b| b.add_i8("x", &[2, 2], &[0; 4], &[1.0, 1.0, 1.0], &[0])), Err(Error::Header(_))));
    // What it accepts, the reader accepts.
    let ok = build_one(&|b| {
        b.add_i8("x", &[2, 2], &[1, -1, 127, -127], &[0.5, 0.25], &[0, 0]);
        b.add_i8("scalar", &[], &[3], &[1.0], &[3]);
        b.add_f32("empty", &[0], &[]);
        b.add_blob("blob/empty", b"");
    })
    .unwrap();
    let aligned = AlignedBytes::from_slice(&ok);
    let file = ModelFile::parse(&aligned).unwrap();
    assert_eq!(file.len(), 4);
    assert_eq!(file.tensor(1).unwrap().i8_aux().unwrap(), (&[1.0f32][..], &[3i32][..]));
    assert_eq!(file.blob("blob/empty"), Some(&b""[..]));
}

#[test]
fn streaming_writer_refuses_tensors_unlike_their_heads() {
    let v = variant("w", Head::Base, Store::F32);
    let heads = [TensorHead::new("x", DType::F32, &[2]), TensorHead::i8_panel("m", [3, 5])];
    let sink = |_: &[u8]| Ok::<(), Error>(());
    let start = || FileWriter::new(&info(&v), &heads).unwrap().0;
    // Another dtype, or another length, than the head says.
    assert!(matches!(start().i8(&[1, 2], &[1.0], &[0], sink), Err(Error::Header(_))));
    assert!(matches!(start().f32(&[1.0], sink), Err(Error::Header(_))));
    // Packed int8: the panel length (16 channels × 8 k) and a scale and sum per row.
    let mut w = start();
    w.f32(&[1.0, 2.0], sink).unwrap();
    assert!(matches!(w.i8(&[0; 15], &[1.0; 3], &[0; 3], sink), Err(Error::Header(_))));
    assert!(matches!(w.i8(&[0; 128], &[1.0; 3], &[0; 2], sink), Err(Error::Header(_))));
    w.i8(&[0; 128], &[1.0; 3], &[0; 3], sink).unwrap();
    // More tensors than laid out; finishing early.
    assert!(matches!(w.blob(b"", sink), Err(Error::Header(_))));
    assert!(w.finish(sink).is_ok());
    assert!(matches!(start().finish(sink), Err(Error::Header(_))));
    // In pieces: data before `begin`, another dtype, too much data, ending short, beginning
    // twice, finishing with a tensor open.
    assert!(matches!(start().piece(&[0; 4], sink), Err(Error::Header(_))));
    assert!(matches!(start().end([&[], &[]], sink), Err(Error::Header(_))));
    assert!(matches!(start().begin(DType::I8, sink), Err(Error::Header(_))));
    let mut w = start();
    w.begin(DType::F32, sink).unwrap();
    w.piece(&[0; 4], sink).unwrap();
    assert!(matches!(w.piece(&[0; 8], sink), Err(Error::Header(_))));
    assert!(matches!(w.end([&[], &[]], sink), Err(Error::Header(_))));
    assert!(matches!(w.begin(DType::F32, sink), Err(Error::Header(_))));
    w.piece(&[0; 4], sink).unwrap();
    w.end([&[], &[]], sink).unwrap();
    w.begin(DType::I8, sink).unwrap();
    w.piece(&[0; 128], sink).unwrap();
    assert!(matches!(w.end([&[0; 12], &[0; 8]], sink), Err(Error::Header(_))));
    assert!(matches!(w.finish(sink), Err(Error::Header(_))));
}

// ---------------------------------------------------------------------------------------------
// 2. Truncation, single-byte and random corruption (the stable-Rust fuzz smoke)
// ---------------------------------------------------------------------------------------------

#[test]
fn every_truncation_is_an_error() {
    for name in ["pretraining_f16_prelu", "masked_lm_tied_i8", "qa_relative_key_f32"] {
        let bytes = build(&by_name(name));
        // A prefix of a 64-aligned buffer is 64-aligned: one buffer serves every length.
        let aligned = AlignedBytes::from_slice(&bytes);
        for len in 0..bytes.len() {
            let prefix = &aligned[..len];
            let e = parse_err(prefix);
            assert!(matches!(e, Error::Truncated { .. } | Error::Header(_)), "{name}: truncated to {len} gave {e:?}");
            assert!(Model::from_bytes(prefix).is_err());
        }
        assert!(Model::from_bytes(&aligned).is_ok());
    }
}

#[test]
fn every_single_byte_corruption_of_the_metadata_is_handled() {
    // Each byte of preamble + header + padding + table, set to several values; both as is (the
    // meta CRC catches header and table damage) and resealed (the damage reaches the parser).
    for v in variants() {
        let name = v.name;
        let bytes = build(&v);
        let data_offset = Buf::new(&bytes).preamble().data_offset as usize;
        let mut buf = Buf::new(&bytes);
        let (mut loaded, mut rejected) = (0usize, 0usize);
        for pos in 0..data_offset {
            let orig = bytes[pos];
            let mut values =
                [orig ^ 0x01, orig ^ 0x80, orig ^ 0xff, 0x00, 0xff, 0x7f, orig.wrapping_add(1), orig.wrapping_sub(1)];
            values.sort_unstable();
            for (k, &val) in values.iter().enumerate() {
                if val == orig || (k > 0 && values[k - 1] == val) {
                    continue;
                }
                for reseal in [false, true] {
                    buf.bytes_mut()[pos] = val;
                    if reseal && pos >= PREAMBLE_LEN {
                        buf.reseal();
                    }
                    match load_and_poke(buf.bytes()) {
                        Ok(()) => loaded += 1,
                        Err(_) => rejected += 1,
                    }
                    // Restore the byte and the CRC.
                    buf.bytes_mut()[..data_offset].copy_from_slice(&bytes[..data_offset]);
                }
            }
        }
        eprintln!("{name}: {data_offset} metadata bytes, {rejected} corruptions rejected, {loaded} loaded and ran");
        assert!(rejected > loaded, "{name}: {rejected} rejected, {loaded} loaded");
    }
}

#[test]
fn random_corruption_never_panics() {
    // Seeded multi-byte corruption anywhere in the file (biased towards the metadata), resealed
    // half of the time. Ten thousand iterations per file: the fuzz smoke for stable Rust.
    for (seed, name) in [
        (1u64, "base_f32"),
        (2, "masked_lm_tied_i8"),
        (3, "token_cls_relative_key_query_mixed"),
        (4, "multiple_choice_mean_f16"),
        (5, "pretraining_f16_prelu"),
        (6, "causal_lm_decoder_i8"),
    ] {
        let bytes = build(&by_name(name));
        let data_offset = Buf::new(&bytes).preamble().data_offset as usize;
        let mut rng = Rng::new(0x9e37_79b9_7f4a_7c15 ^ seed);
        let mut buf = Buf::new(&bytes);
        let (mut loaded, mut rejected) = (0usize, 0usize);
        for _ in 0..10_000 {
            buf.bytes_mut().copy_from_slice(&bytes);
            let flips = 1 + rng.below(8);
            for _ in 0..flips {
                let pos = if rng.below(4) == 0 { rng.below(bytes.len()) } else { rng.below(data_offset) };
                let b = &mut buf.bytes_mut()[pos];
                *b = match rng.below(4) {
                    0 => *b ^ (1 << rng.below(8)),
                    1 => rng.next() as u8,
                    2 => [0x00, 0xff, 0x7f, 0x80][rng.below(4)],
                    _ => b.wrapping_add(1 + rng.below(3) as u8),
                };
            }
            if rng.below(2) == 0 {
                buf.reseal();
            }
            match load_and_poke(buf.bytes()) {
                Ok(()) => loaded += 1,
                Err(_) => rejected += 1,
            }
        }
        eprintln!("{name}: random corruption: {rejected} rejected, {loaded} loaded and ran");
        // Random bytes with a valid preamble shape.
        for _ in 0..500 {
            let len = rng.below(bytes.len() + 1);
            let mut junk: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            if junk.len() >= 16 {
                junk[..8].copy_from_slice(&MAGIC);
                junk[8..12].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
            }
            let _ = load_and_poke(Buf::new(&junk).bytes());
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 3. Targeted lies, one per check
// ---------------------------------------------------------------------------------------------

fn pretraining() -> (Variant, Vec<u8>) {
    let v = by_name("pretraining_f16_prelu");
    let b = build(&v);
    (v, b)
}

/// The index of the first record with this dtype.
fn first_of(buf: &Buf, dtype: DType) -> usize {
    (0..buf.preamble().table_count as usize).find(|&i| buf.record(i).dtype == dtype as u8).expect("dtype present")
}

#[test]
fn lie_bad_magic() {
    let (_, bytes) = pretraining();
    let mut buf = Buf::new(&bytes);
    buf.bytes_mut()[0] = b'X';
    assert_eq!(parse_err(buf.bytes()), Error::BadMagic);
    // Also when the file is shorter than the preamble.
    assert_eq!(parse_err(&buf.bytes()[..20]), Error::BadMagic);
    assert!(matches!(parse_err(&Buf::new(&bytes).bytes()[..20]), Error::Truncated { what: "preamble", .. }));
    let empty = Buf::new(&bytes);
    assert!(matches!(parse_err(&empty.bytes()[..0]), Error::Truncated { what: "preamble", .. }));
}

#[test]
fn lie_wrong_version() {
    let (_, bytes) = pretraining();
    for version in [0, FORMAT_VERSION + 1, u32::MAX] {
        let mut buf = Buf::new(&bytes);
        buf.edit_preamble(|p| p.version = version);
        assert_eq!(parse_err(buf.bytes()), Error::UnsupportedVersion { found: version, supported: FORMAT_VERSION });
    }
}

#[test]
fn lie_header_len_past_eof() {
    let (_, bytes) = pretraining();
    for header_len in [bytes.len() as u64, u64::MAX - 10, u64::MAX] {
        let mut buf = Buf::new(&bytes);
        buf.edit_preamble(|p| p.header_len = header_len);
        assert!(matches!(parse_err(buf.bytes()), Error::Truncated { what: "header", .. }), "{header_len}");
    }
}

#[test]
fn lie_header_len_inside_the_file() {
    let (_, bytes) = pretraining();
    // Too short to decode (the preamble is not covered by a CRC: every field is checked instead).
    let mut buf = Buf::new(&bytes);
    buf.edit_preamble(|p| p.header_len = 3);
    assert_eq!(parse_err(buf.bytes()), Error::Header("header does not decode"));
    // Running into the table.
    let mut buf = Buf::new(&bytes);
    buf.edit_preamble(|p| p.header_len = p.table_offset);
    assert!(matches!(parse_err(buf.bytes()), Error::Header(_)));
    // Bytes after the encoded header inside `header_len` (here: the zero padding) are ignored.
    let mut buf = Buf::new(&bytes);
    buf.edit_preamble(|p| p.header_len = p.table_offset - PREAMBLE_LEN as u64);
    assert!(Model::from_bytes(buf.bytes()).is_ok());
}

#[test]
fn layout_matches_the_spec() {
    use core::mem::offset_of;
    // docs/file-format.md §1 and §4.
    let preamble = [
        (offset_of!(Preamble, magic), 0),
        (offset_of!(Preamble, version), 8),
        (offset_of!(Preamble, reserved), 12),
        (offset_of!(Preamble, header_len), 16),
        (offset_of!(Preamble, table_offset), 24),
        (offset_of!(Preamble, table_count), 32),
        (offset_of!(Preamble, data_offset), 40),
        (offset_of!(Preamble, data_len), 48),
        (offset_of!(Preamble, meta_crc), 56),
        (offset_of!(Preamble, data_crc), 60),
    ];
    for (found, want) in preamble {
        assert_eq!(found, want);
    }
    let record = [
        (offset_of!(TensorRecord, name_offset), 0),
        (offset_of!(TensorRecord, name_len), 4),
        (offset_of!(TensorRecord, dtype), 8),
        (offset_of!(TensorRecord, rank), 9),
        (offset_of!(TensorRecord, layout), 10),
        (offset_of!(TensorRecord, reserved0), 11),
        (offset_of!(TensorRecord, shape), 12),
        (offset_of!(TensorRecord, reserved1), 28),
        (offset_of!(TensorRecord, data_offset), 32),
        (offset_of!(TensorRecord, data_len), 40),
        (offset_of!(TensorRecord, aux_offset), 48),
        (offset_of!(TensorRecord, aux_len), 56),
    ];
    for (found, want) in record {
        assert_eq!(found, want);
    }
    assert_eq!((core::mem::size_of::<Preamble>(), core::mem::size_of::<TensorRecord>()), (64, 64));
    assert_eq!(&MAGIC, b"ELECTRA\x1a");
    assert_eq!(ALIGN, 64);

    // §2: enum discriminants are postcard varints of the declaration index.
    fn enc<T: serde::Serialize>(v: &T) -> Vec<u8> {
        postcard::to_allocvec(v).unwrap()
    }
    use Activation as A;
    let acts = [
        A::Gelu,
        A::GeluTanh,
        A::GeluFast,
        A::QuickGelu,
        A::Gelu10,
        A::Relu,
        A::Relu2,
        A::Relu6,
        A::Silu,
        A::Tanh,
        A::Sigmoid,
        A::Identity,
        A::LeakyRelu,
        A::Hardswish,
        A::Mish,
        A::Laplace,
        A::SqrtSoftplus,
        A::Prelu,
    ];
    for (i, a) in acts.iter().enumerate() {
        assert_eq!(enc(a), [i as u8], "{a:?}");
    }
    for (i, p) in
        [PositionEmbeddingType::Absolute, PositionEmbeddingType::RelativeKey, PositionEmbeddingType::RelativeKeyQuery]
            .iter()
            .enumerate()
    {
        assert_eq!(enc(p), [i as u8]);
    }
    for (i, s) in [SummaryType::First, SummaryType::Last, SummaryType::Mean, SummaryType::ClsIndex].iter().enumerate() {
        assert_eq!(enc(s), [i as u8]);
    }
    let heads = [
        Head::Base,
        Head::PreTraining,
        Head::MaskedLm,
        Head::CausalLm,
        Head::SequenceClassification,
        Head::MultipleChoice,
        Head::TokenClassification,
        Head::QuestionAnswering,
    ];
    assert_eq!(heads, Head::ALL);
    for (i, h) in heads.iter().enumerate() {
        assert_eq!(enc(h), [i as u8]);
    }
    for (i, d) in [DType::F32, DType::F16, DType::I8, DType::U8].iter().enumerate() {
        assert_eq!(enc(d), [i as u8]);
        assert_eq!(*d as u8, i as u8);
        assert_eq!(DType::from_u8(i as u8), Some(*d));
    }
    assert_eq!(DType::from_u8(4), None);
    // Primitive encodings: varint u32, bool, Option, str, f64.
    assert_eq!(enc(&300u32), [0xac, 0x02]);
    assert_eq!(enc(&(true, None::<bool>, Some(false))), [1, 0, 1, 0]);
    assert_eq!(enc(&"ab"), [2, b'a', b'b']);
    assert_eq!(enc(&1e-12f64), 1e-12f64.to_le_bytes());
    // The Config field order (§2): a config whose fields are all distinct one-byte values.
    let c = Config {
        vocab_size: 1,
        embedding_size: 2,
        hidden_size: 3,
        num_hidden_layers: 4,
        num_attention_heads: 5,
        intermediate_size: 6,
        hidden_act: A::Relu, // 5
        max_position_embeddings: 8,
        type_vocab_size: 9,
        layer_norm_eps: 0.0,
        position_embedding_type: PositionEmbeddingType::RelativeKeyQuery, // 2
        is_decoder: true,
        num_labels: 13,
        summary_type: SummaryType::ClsIndex, // 3
        summary_use_proj: false,
        summary_activation: Some(A::Tanh), // 1, 9
        pad_token_id: 17,
    };
    assert_eq!(enc(&c), [1, 2, 3, 4, 5, 6, 5, 8, 9, 0, 0, 0, 0, 0, 0, 0, 0, 2, 1, 13, 3, 0, 1, 9, 17]);
    let t = TokenizerSettings {
        do_lower_case: true,
        strip_accents: Some(false),
        tokenize_chinese_chars: false,
        model_max_length: Some(128),
    };
    assert_eq!(enc(&t), [1, 1, 0, 0, 1, 0x80, 0x01]);
}

#[test]
fn lie_table_offset_misaligned() {
    let (_, bytes) = pretraining();
    let mut buf = Buf::new(&bytes);
    buf.edit_preamble(|p| p.table_offset += 8);
    assert!(matches!(parse_err(buf.bytes()), Error::Misaligned { what: "tensor table", .. }));
    let mut buf = Buf::new(&bytes);
    buf.edit_preamble(|p| p.data_offset += 32);
    assert!(matches!(parse_err(buf.bytes()), Error::Misaligned { what: "data section", .. }));
}

#[test]
fn lie_table_count() {
    let (_, bytes) = pretraining();
    // Overflowing u64 when multiplied by 64.
    for count in [u64::MAX, u64::MAX / 64 + 1, 1 << 60] {
        let mut buf = Buf::new(&bytes);
        buf.edit_preamble(|p| p.table_count = count);
        assert_eq!(parse_err(buf.bytes()), Error::Header("table_count overflows"), "{count}");
    }
    // Huge but representable: the table runs past the end of the file.
    let mut buf = Buf::new(&bytes);
    buf.edit_preamble(|p| p.table_count = u64::MAX / 64);
    assert!(matches!(parse_err(buf.bytes()), Error::Truncated { what: "tensor table", .. }));
    // One more record than fits before the data section.
    let mut buf = Buf::new(&bytes);
    let extra = (buf.preamble().data_offset - buf.preamble().table_offset) / 64 + 1;
    buf.edit_preamble(|p| p.table_count = extra);
    assert!(matches!(parse_err(buf.bytes()), Error::Header(_)));
}

#[test]
fn lie_sections_out_of_order() {
    let (_, bytes) = pretraining();
    // Table overlapping the header.
    let mut buf = Buf::new(&bytes);
    buf.edit_preamble(|p| p.table_offset = 64);
    assert_eq!(parse_err(buf.bytes()), Error::Header("sections overlap or are out of order"));
    let mut buf = Buf::new(&bytes);
    buf.edit_preamble(|p| p.table_offset = 0);
    assert_eq!(parse_err(buf.bytes()), Error::Header("sections overlap or are out of order"));
}

#[test]
fn lie_data_offset_or_len() {
    let (_, bytes) = pretraining();
    let total = bytes.len() as u64;
    let mut buf = Buf::new(&bytes);
    buf.edit_preamble(|p| p.data_offset = total.next_multiple_of(64) + 64);
    assert!(matches!(parse_err(buf.bytes()), Error::Truncated { what: "data section", .. }));
    let mut buf = Buf::new(&bytes);
    buf.edit_preamble(|p| p.data_offset = u64::MAX - 63);
    assert!(matches!(parse_err(buf.bytes()), Error::Truncated { what: "data section", .. }));
    let mut buf = Buf::new(&bytes);
    buf.edit_preamble(|p| p.data_len += 1);
    assert!(matches!(parse_err(buf.bytes()), Error::Truncated { what: "data section", .. }));
    // A data section shorter than the file: trailing bytes.
    let mut buf = Buf::new(&bytes);
    buf.edit_preamble(|p| p.data_len -= 64);
    assert!(matches!(parse_err(buf.bytes()), Error::Header(m) if m.contains("trailing")));
}

#[test]
fn lie_trailing_bytes() {
    let (_, bytes) = pretraining();
    let mut longer = bytes.clone();
    longer.extend_from_slice(&[0u8; 64]);
    let buf = Buf::new(&longer);
    assert!(matches!(parse_err(buf.bytes()), Error::Header(m) if m.contains("trailing")));
    let mut longer = bytes;
    longer.push(0);
    assert!(matches!(parse_err(Buf::new(&longer).bytes()), Error::Header(m) if m.contains("trailing")));
}

#[test]
fn lie_meta_crc() {
    let (_, bytes) = pretraining();
    let p = Buf::new(&bytes).preamble();
    // A header byte, a padding byte, a table byte, and the stored CRC itself.
    for pos in [PREAMBLE_LEN + 3, p.table_offset as usize - 1, p.table_offset as usize + 70] {
        let mut buf = Buf::new(&bytes);
        buf.bytes_mut()[pos] ^= 0x20;
        let e = parse_err(buf.bytes());
        assert!(matches!(e, Error::Checksum { stored, .. } if stored == p.meta_crc), "byte {pos}: {e:?}");
    }
    let mut buf = Buf::new(&bytes);
    buf.edit_preamble(|q| q.meta_crc ^= 1);
    assert_eq!(parse_err(buf.bytes()), Error::Checksum { stored: p.meta_crc ^ 1, computed: p.meta_crc });
}

#[test]
fn lie_data_crc_via_verify_data() {
    let (_, bytes) = pretraining();
    let p = Buf::new(&bytes).preamble();
    let mut buf = Buf::new(&bytes);
    let pos = p.data_offset as usize + 5;
    buf.bytes_mut()[pos] ^= 0x01;
    // `parse` does not read the data: the file loads, `verify_data` (which the CLI calls) refuses it.
    let file = ModelFile::parse(buf.bytes()).unwrap();
    assert!(matches!(file.verify_data(), Err(Error::Checksum { stored, .. }) if stored == p.data_crc));
    let mut buf = Buf::new(&bytes);
    buf.edit_preamble(|q| q.data_crc ^= 0xdead);
    let file = ModelFile::parse(buf.bytes()).unwrap();
    assert_eq!(file.verify_data(), Err(Error::Checksum { stored: p.data_crc ^ 0xdead, computed: p.data_crc }));
}

fn bad_tensor(bytes: &[u8], index: usize, needle: &str) {
    match parse_err(bytes) {
        Error::BadTensor { index: i, reason } => {
            assert_eq!(i, index, "{reason}");
            assert!(reason.contains(needle), "expected `{needle}`, got `{reason}`");
        }
        e => panic!("expected BadTensor #{index} ({needle}), got {e:?}"),
    }
}

#[test]
fn lie_record_unknown_dtype_rank_layout() {
    let (_, bytes) = pretraining();
    for dtype in [4u8, 7, 255] {
        let mut buf = Buf::new(&bytes);
        buf.edit_record(2, |r| r.dtype = dtype);
        bad_tensor(buf.bytes(), 2, "unknown dtype");
    }
    for rank in [5u8, 200] {
        let mut buf = Buf::new(&bytes);
        buf.edit_record(1, |r| r.rank = rank);
        bad_tensor(buf.bytes(), 1, "rank above 4");
    }
    let mut buf = Buf::new(&bytes);
    buf.edit_record(0, |r| r.layout = 1);
    bad_tensor(buf.bytes(), 0, "layout");
    // Rank lowered: the now unused shape entry is not 1.
    let mut buf = Buf::new(&bytes);
    buf.edit_record(0, |r| r.rank = 1);
    bad_tensor(buf.bytes(), 0, "unused shape entries");
}

#[test]
fn lie_record_shape_and_data_len() {
    let (_, bytes) = pretraining();
    let mut buf = Buf::new(&bytes);
    buf.edit_record(0, |r| r.data_len += 4);
    bad_tensor(buf.bytes(), 0, "data length");
    let mut buf = Buf::new(&bytes);
    buf.edit_record(0, |r| r.shape[0] += 1);
    bad_tensor(buf.bytes(), 0, "data length");
    // Element count overflowing u64.
    let mut buf = Buf::new(&bytes);
    buf.edit_record(0, |r| {
        r.rank = 4;
        r.shape = [u32::MAX; 4];
    });
    bad_tensor(buf.bytes(), 0, "overflows");
    // Byte size overflowing u64 (f32: 4 bytes per element).
    let mut buf = Buf::new(&bytes);
    let i = first_of(&buf, DType::F32);
    buf.edit_record(i, |r| {
        r.rank = 4;
        r.shape = [1 << 31, 1 << 31, 2, 1];
    });
    bad_tensor(buf.bytes(), i, "overflows");
}

#[test]
fn lie_record_data_placement() {
    let (_, bytes) = pretraining();
    let mut buf = Buf::new(&bytes);
    buf.edit_record(3, |r| r.data_offset += 4);
    bad_tensor(buf.bytes(), 3, "aligned");
    // Overlapping the previous tensor.
    let mut buf = Buf::new(&bytes);
    let prev = buf.record(2).data_offset;
    buf.edit_record(3, |r| r.data_offset = prev);
    bad_tensor(buf.bytes(), 3, "overlaps");
    // Out of order (before the previous tensor).
    let mut buf = Buf::new(&bytes);
    buf.edit_record(3, |r| r.data_offset = 0);
    bad_tensor(buf.bytes(), 3, "overlaps");
    // Past the end of the data section / overflowing.
    let last = Buf::new(&bytes).preamble().table_count as usize - 1;
    let mut buf = Buf::new(&bytes);
    let data_len = buf.preamble().data_len;
    buf.edit_record(last, |r| r.data_offset = data_len.next_multiple_of(64));
    bad_tensor(buf.bytes(), last, "past the end");
    let mut buf = Buf::new(&bytes);
    buf.edit_record(0, |r| r.data_offset = u64::MAX - 63); // + 512 bytes of data
    bad_tensor(buf.bytes(), 0, "overflows");
    let mut buf = Buf::new(&bytes);
    buf.edit_record(last, |r| r.data_offset = u64::MAX - 63); // + 7 bytes: no overflow, out of bounds
    bad_tensor(buf.bytes(), last, "past the end");
}

#[test]
fn lie_record_aux() {
    let v = by_name("masked_lm_tied_i8");
    let bytes = build(&v);
    let buf0 = Buf::new(&bytes);
    let i = first_of(&buf0, DType::I8);
    for delta in [-8i64, 8, -1] {
        let mut buf = Buf::new(&bytes);
        buf.edit_record(i, |r| r.aux_len = (r.aux_len as i64 + delta) as u64);
        bad_tensor(buf.bytes(), i, "aux length");
    }
    let mut buf = Buf::new(&bytes);
    buf.edit_record(i, |r| r.aux_len = 0);
    bad_tensor(buf.bytes(), i, "aux length");
    let mut buf = Buf::new(&bytes);
    buf.edit_record(i, |r| r.aux_offset += 4);
    bad_tensor(buf.bytes(), i, "aux is not 64-byte aligned");
    let mut buf = Buf::new(&bytes);
    buf.edit_record(i, |r| r.aux_offset = r.data_offset);
    bad_tensor(buf.bytes(), i, "aux overlaps");
    let mut buf = Buf::new(&bytes);
    buf.edit_record(i, |r| r.aux_offset = u64::MAX - 63);
    bad_tensor(buf.bytes(), i, "overflows");
    let mut buf = Buf::new(&bytes);
    let data_len = buf.preamble().data_len;
    buf.edit_record(i, |r| r.aux_offset = data_len.next_multiple_of(64));
    bad_tensor(buf.bytes(), i, "aux runs past");
    // The aux of tensor i overlapping tensor i+1 is caught at i+1.
    let mut buf = Buf::new(&bytes);
    let next = buf.record(i + 1).data_offset;
    buf.edit_record(i, |r| r.aux_offset = next);
    bad_tensor(buf.bytes(), i + 1, "overlaps");
    // An f32 tensor may not carry aux bytes.
    let mut buf = Buf::new(&bytes);
    let f = first_of(&buf, DType::F32);
    buf.edit_record(f, |r| r.aux_len = 8);
    bad_tensor(buf.bytes(), f, "aux length");
    // Without aux bytes, the aux offset must still be a valid (empty) position.
    let mut buf = Buf::new(&bytes);
    buf.edit_record(f, |r| r.aux_offset = u64::MAX);
    bad_tensor(buf.bytes(), f, "aux");
}

#[test]
fn lie_int8_with_an_empty_last_dimension() {
    // [rows, 0]: zero elements but `rows` scales and sums; rows_cols and i8_aux must agree with
    // what parse checked.
    let v = variant("x", Head::Base, Store::F32);
    let mut b = FileBuilder::new();
    b.add_i8("zero_cols", &[5, 0], &[], &[1.0; 5], &[0; 5]);
    b.add_i8("zero_rows", &[0, 5], &[], &[], &[]);
    let bytes = b.build(&info(&v)).unwrap();
    let aligned = AlignedBytes::from_slice(&bytes);
    let file = ModelFile::parse(&aligned).unwrap();
    let t = file.tensor(0).unwrap();
    assert_eq!(t.rows_cols(), (5, 0));
    assert_eq!(t.i8_aux().unwrap().0.len(), 5);
    assert_eq!(file.tensor(1).unwrap().i8_aux().unwrap().0.len(), 0);
    // A record that claims no aux for [5, 0] is refused (it used to pass and make i8_aux panic).
    let mut buf = Buf::new(&bytes);
    buf.edit_record(0, |r| r.aux_len = 0);
    bad_tensor(buf.bytes(), 0, "aux length");
    // Leading dims whose product overflows.
    let mut buf = Buf::new(&bytes);
    buf.edit_record(1, |r| {
        r.rank = 4;
        r.shape = [u32::MAX, u32::MAX, u32::MAX, 0];
    });
    assert!(load_and_poke(buf.bytes()).is_err());
}

#[test]
fn lie_record_name() {
    let mut v = variant("names", Head::Base, Store::F32);
    v.blobs = vec![("blob/vocäb.txt", VOCAB_TXT.to_vec())];
    let bytes = build(&v);
    let aligned = AlignedBytes::from_slice(&bytes);
    let names_len = ModelFile::parse(&aligned).unwrap().header.names.len() as u32;
    let last = Buf::new(&bytes).preamble().table_count as usize - 1;
    // Outside the pool.
    let mut buf = Buf::new(&bytes);
    buf.edit_record(0, |r| r.name_offset = names_len);
    bad_tensor(buf.bytes(), 0, "name");
    let mut buf = Buf::new(&bytes);
    buf.edit_record(0, |r| r.name_len = names_len + 1);
    bad_tensor(buf.bytes(), 0, "name");
    let mut buf = Buf::new(&bytes);
    buf.edit_record(0, |r| {
        r.name_offset = u32::MAX;
        r.name_len = u32::MAX;
    });
    bad_tensor(buf.bytes(), 0, "name");
    // Splitting the two-byte 'ä' (at the end or at the start of the name).
    let mut buf = Buf::new(&bytes);
    let r = buf.record(last);
    let split = (r.name_offset + "blob/voc".len() as u32 + 1) as usize;
    buf.edit_record(last, |r| r.name_len = "blob/voc".len() as u32 + 1);
    bad_tensor(buf.bytes(), last, "splits a character");
    let mut buf = Buf::new(&bytes);
    buf.edit_record(last, |r| {
        r.name_offset = split as u32;
        r.name_len = 3;
    });
    bad_tensor(buf.bytes(), last, "splits a character");
    // The intact name is found.
    assert_eq!(ModelFile::parse(&aligned).unwrap().blob("blob/vocäb.txt"), Some(VOCAB_TXT));
}

#[test]
fn lie_header_enum_discriminants() {
    let (v, bytes) = pretraining();
    let config_len = postcard::to_allocvec(&v.config).unwrap().len();
    // Header field order: config, head, weight_dtype, lm_head_tied, labels, tokenizer, names, producer.
    for (what, pos, val) in
        [("head", 0usize, 8u8), ("weight_dtype", 1, 4), ("lm_head_tied", 2, 2), ("tokenizer tag", 4, 2)]
    {
        let mut buf = Buf::new(&bytes);
        buf.bytes_mut()[PREAMBLE_LEN + config_len + pos] = val;
        buf.reseal();
        assert_eq!(parse_err(buf.bytes()), Error::Header("header does not decode"), "{what}");
    }
    // hidden_act is the 7th config field (after six one-byte varints of this config).
    let mut buf = Buf::new(&bytes);
    assert_eq!(bytes[PREAMBLE_LEN + 6], Activation::Prelu as u8);
    buf.bytes_mut()[PREAMBLE_LEN + 6] = 18; // one past the last Activation
    buf.reseal();
    assert_eq!(parse_err(buf.bytes()), Error::Header("header does not decode"));
    // A valid other activation: the header decodes, the table no longer matches (no PReLU slope).
    let mut buf = Buf::new(&bytes);
    buf.bytes_mut()[PREAMBLE_LEN + 6] = Activation::Relu as u8;
    buf.reseal();
    assert!(ModelFile::parse(buf.bytes()).is_ok());
    assert!(matches!(load_err(buf.bytes()), Error::MissingTensor(_)));
}

#[test]
fn lie_missing_tensor() {
    let v = by_name("pretraining_f16_prelu");
    let mut tensors = tensors_for(&v, 7);
    let removed = tensors.remove(1);
    assert_eq!(removed.name, "electra.embeddings.position_embeddings.weight");
    let bytes = build_tensors(&v, &tensors);
    let aligned = AlignedBytes::from_slice(&bytes);
    assert!(ModelFile::parse(&aligned).is_ok());
    assert!(matches!(load_err(&aligned), Error::MissingTensor(n) if n.as_str() == removed.name));
    // The last head tensor missing (the table ends early, before any blob).
    let mut tensors = tensors_for(&v, 7);
    let n = expected_count(&v);
    let removed = tensors.remove(n - 1);
    let bytes = build_tensors(&v, &tensors);
    assert!(
        matches!(load_err(&AlignedBytes::from_slice(&bytes)), Error::MissingTensor(n) if n.as_str() == removed.name)
    );
    // Only blobs.
    let mut tensors = tensors_for(&v, 7);
    tensors.drain(..n);
    let bytes = build_tensors(&v, &tensors);
    assert!(matches!(load_err(&AlignedBytes::from_slice(&bytes)), Error::MissingTensor(_)));
    // Two tensors swapped.
    let mut tensors = tensors_for(&v, 7);
    tensors.swap(3, 4);
    let bytes = build_tensors(&v, &tensors);
    assert!(
        matches!(load_err(&AlignedBytes::from_slice(&bytes)), Error::MissingTensor(n) if n.as_str() == tensors[4].name)
    );
}

#[test]
fn lie_wrong_shape() {
    let v = by_name("pretraining_f16_prelu");
    let mut tensors = tensors_for(&v, 7);
    tensors[0].dims.reverse(); // word embeddings [E, V] instead of [V, E], same byte count
    let bytes = build_tensors(&v, &tensors);
    match load_err(&AlignedBytes::from_slice(&bytes)) {
        Error::TensorShape { name, found, expected } => {
            assert_eq!(name.as_str(), "electra.embeddings.word_embeddings.weight");
            assert_eq!(found, [8, 32, 1, 1]);
            assert_eq!(expected, [32, 8, 1, 1]);
        }
        e => panic!("{e:?}"),
    }
    // Rank differs, same elements.
    let mut tensors = tensors_for(&v, 7);
    tensors[3].dims = vec![1, 8];
    let bytes = build_tensors(&v, &tensors);
    assert!(matches!(load_err(&AlignedBytes::from_slice(&bytes)), Error::TensorShape { .. }));
}

#[test]
fn lie_wrong_dtype() {
    let v = by_name("masked_lm_untied_mixed");
    let base = tensors_for(&v, 7);
    let find = |name: &str| base.iter().position(|t| t.name == name).unwrap();
    let to_f16 = |t: &mut Written| {
        let x: Vec<f32> = collect(&t.data);
        let h: Vec<f16> = x.iter().map(|&v| f16::from_f32(v)).collect();
        t.data = bytemuck::cast_slice(&h).to_vec();
        t.dtype = DType::F16;
    };
    // f16 where an f32 parameter is required.
    let mut tensors = base.clone();
    let ln = find("electra.embeddings.LayerNorm.weight");
    to_f16(&mut tensors[ln]);
    let bytes = build_tensors(&v, &tensors);
    assert!(matches!(load_err(&AlignedBytes::from_slice(&bytes)),
        Error::TensorDType { name, found: DType::F16 } if name.as_str() == "electra.embeddings.LayerNorm.weight"));
    // Int8 where an f32 parameter is required (same shape, valid aux: a pure dtype lie).
    let mut tensors = base.clone();
    let bias = find("electra.encoder.layer.0.attention.self.query.bias");
    let t = &mut tensors[bias];
    t.data.truncate(t.data.len() / 4);
    t.dtype = DType::I8;
    t.aux = vec![0; 8];
    let bytes = build_tensors(&v, &tensors);
    assert!(matches!(load_err(&AlignedBytes::from_slice(&bytes)),
        Error::TensorDType { name, found: DType::I8 } if name.as_str() == "electra.encoder.layer.0.attention.self.query.bias"));
    // Opaque bytes (U8) where a matrix is required: an I8 record relabelled, shape kept.
    let v = by_name("masked_lm_tied_i8");
    let mut buf = Buf::new(&build(&v));
    let q = tensors_for(&v, 7)
        .iter()
        .position(|t| t.name == "electra.encoder.layer.0.attention.self.query.weight")
        .unwrap();
    assert_eq!(buf.record(q).dtype, DType::I8 as u8);
    buf.edit_record(q, |r| {
        r.dtype = DType::U8 as u8;
        r.aux_len = 0;
        r.aux_offset = 0;
    });
    assert!(matches!(load_err(buf.bytes()), Error::TensorDType { found: DType::U8, .. }));
}

#[test]
fn lie_optional_tensors() {
    // The per-layer `input_scale` tensors are optional, but all layers must agree.
    let v = by_name("causal_lm_decoder_i8");
    assert!(v.smoothing && v.config.num_hidden_layers == 2);
    let tensors = tensors_for(&v, 7);
    let scales: Vec<usize> = (0..tensors.len()).filter(|&i| tensors[i].name.ends_with("input_scale")).collect();
    assert_eq!(scales.len(), 4);
    // Present in every layer: loads (covered by the round trip); absent in every layer: loads.
    let mut none = tensors.clone();
    none.retain(|t| !t.name.ends_with("input_scale"));
    assert!(Model::from_bytes(&AlignedBytes::from_slice(&build_tensors(&v, &none))).is_ok());
    // Present in layer 0 only, or in layer 1 only.
    for drop in [scales[2], scales[0]] {
        let mut some = tensors.clone();
        some.remove(drop);
        let e = load_err(&AlignedBytes::from_slice(&build_tensors(&v, &some)));
        assert!(matches!(e, Error::BadTensor { reason, .. } if reason.contains("some layers")), "{e:?}");
    }
    // With float weights, an input scale is refused.
    let mut f = by_name("base_f32");
    f.smoothing = true;
    let e = load_err(&AlignedBytes::from_slice(&build(&f)));
    assert_eq!(e, Error::Header("an input_scale tensor belongs to int8 weights only"));
    // An input scale must be f32 [H].
    let mut wrong = tensors.clone();
    wrong[scales[0]].dims = vec![wrong[scales[0]].dims[0] / 2, 2];
    assert!(matches!(load_err(&AlignedBytes::from_slice(&build_tensors(&v, &wrong))), Error::TensorShape { .. }));
}

#[test]
fn lie_extra_tensor_after_the_expected_list() {
    let v = by_name("base_f32");
    let mut tensors = tensors_for(&v, 7);
    let n = expected_count(&v);
    let extra =
        Written { name: "extra.weight".into(), dtype: DType::F32, dims: vec![2], data: vec![0; 8], aux: Vec::new() };
    tensors.insert(n, extra);
    let bytes = build_tensors(&v, &tensors);
    assert_eq!(
        load_err(&AlignedBytes::from_slice(&bytes)),
        Error::BadTensor { index: n, reason: "unexpected tensor (only bundled files may follow the model)" }
    );
    // An extra tensor after the blobs too.
    let mut tensors = tensors_for(&v, 7);
    let extra = Written { name: "late".into(), dtype: DType::F16, dims: vec![1], data: vec![0; 2], aux: Vec::new() };
    tensors.push(extra);
    let len = tensors.len();
    let bytes = build_tensors(&v, &tensors);
    assert!(matches!(load_err(&AlignedBytes::from_slice(&bytes)), Error::BadTensor { index, .. } if index == len - 1));
}

#[test]
fn lie_config() {
    let base = by_name("pretraining_f16_prelu");
    let tensors = tensors_for(&base, 7);
    let check = |edit: &dyn Fn(&mut Variant), field: &str| {
        let mut v = base.clone();
        edit(&mut v);
        let bytes = build_tensors(&v, &tensors);
        let e = parse_err(&AlignedBytes::from_slice(&bytes));
        assert!(matches!(e, Error::Config { field: f, .. } if f == field), "{field}: {e:?}");
    };
    check(&|v| v.config.hidden_size = 15, "num_attention_heads");
    check(&|v| v.config.num_attention_heads = 3, "num_attention_heads");
    check(&|v| v.config.vocab_size = 0, "vocab_size");
    check(&|v| v.config.embedding_size = 0, "embedding_size");
    check(&|v| v.config.hidden_size = 0, "hidden_size");
    check(&|v| v.config.num_attention_heads = 0, "num_attention_heads");
    check(&|v| v.config.intermediate_size = 0, "intermediate_size");
    check(&|v| v.config.max_position_embeddings = 0, "max_position_embeddings");
    check(&|v| v.config.type_vocab_size = 0, "type_vocab_size");
    check(&|v| v.config.vocab_size = u32::MAX, "vocab_size");
    check(&|v| v.config.hidden_size = 1 << 25, "hidden_size");
    check(&|v| v.config.max_position_embeddings = (1 << 24) + 1, "max_position_embeddings");
    check(&|v| v.config.num_hidden_layers = u32::MAX, "num_hidden_layers");
    check(&|v| v.config.layer_norm_eps = f64::NAN, "layer_norm_eps");
    check(&|v| v.config.layer_norm_eps = f64::INFINITY, "layer_norm_eps");
    check(&|v| v.config.layer_norm_eps = -1.0, "layer_norm_eps");
    check(
        &|v| {
            v.head = Head::QuestionAnswering;
            v.config.num_labels = 3;
        },
        "num_labels",
    );
    check(
        &|v| {
            v.head = Head::QuestionAnswering;
            v.config.num_labels = 1;
        },
        "num_labels",
    );
    check(
        &|v| {
            v.head = Head::SequenceClassification;
            v.config.num_labels = 0;
        },
        "num_labels",
    );
    check(
        &|v| {
            v.head = Head::TokenClassification;
            v.config.num_labels = 0;
        },
        "num_labels",
    );
    // A valid config that does not match the table: caught by the table check.
    let mut v = base.clone();
    v.config.num_hidden_layers = 2;
    let bytes = build_tensors(&v, &tensors);
    assert!(matches!(load_err(&AlignedBytes::from_slice(&bytes)), Error::MissingTensor(_)));
    let mut v = base.clone();
    v.config.vocab_size = 33;
    let bytes = build_tensors(&v, &tensors);
    assert!(matches!(load_err(&AlignedBytes::from_slice(&bytes)), Error::TensorShape { .. }));
}

#[test]
fn unaligned_buffer() {
    let (_, bytes) = pretraining();
    let mut storage = Buf::new(&vec![0u8; bytes.len() + 64]);
    for shift in [1usize, 4, 8, 32, 63] {
        storage.bytes_mut()[shift..shift + bytes.len()].copy_from_slice(&bytes);
        let view = &storage.bytes()[shift..shift + bytes.len()];
        assert_eq!(parse_err(view), Error::UnalignedBuffer, "shift {shift}");
        assert_eq!(load_err(view), Error::UnalignedBuffer);
    }
    // Checked first: even an empty or tiny unaligned slice says so.
    assert_eq!(parse_err(&storage.bytes()[1..1]), Error::UnalignedBuffer);
}

// ---------------------------------------------------------------------------------------------
// 4. Inputs: Model::forward rejects bad inputs with errors
// ---------------------------------------------------------------------------------------------

#[test]
fn forward_rejects_bad_inputs() {
    let v = by_name("seqcls_i8_labels");
    let bytes = build(&v);
    let aligned = AlignedBytes::from_slice(&bytes);
    let model = Model::from_bytes(&aligned).unwrap();
    let c = model.config().clone();
    let (vocab, types, max) = (c.vocab_size, c.type_vocab_size, c.max_position_embeddings as usize);
    let call = |inputs: &Inputs<'_>, scratch_len: Option<usize>, out_len: Option<usize>| {
        let mut scratch = vec![0.0f32; scratch_len.unwrap_or_else(|| model.scratch_len(inputs.batch, inputs.seq, 0))];
        let mut out =
            vec![0.0f32; out_len.unwrap_or_else(|| model.output_len(inputs.batch, inputs.seq, inputs.choices))];
        model.forward(inputs, &mut scratch, &mut out)
    };
    let ids = [1u32, 2, 3, 4];
    assert!(call(&Inputs::new(&ids, 1, 4), None, None).is_ok());
    assert!(call(&Inputs::new(&ids, 2, 2), None, None).is_ok());

    // ids >= vocab
    let bad = [1, vocab, 3, 4];
    assert_eq!(
        call(&Inputs::new(&bad, 1, 4), None, None),
        Err(Error::IdOutOfVocab { index: 1, id: vocab, vocab_size: vocab })
    );
    let bad = [1, 2, 3, u32::MAX];
    assert!(matches!(call(&Inputs::new(&bad, 1, 4), None, None), Err(Error::IdOutOfVocab { index: 3, .. })));
    // type ids >= type_vocab
    let tt = [0, 1, types, 0];
    let inputs = Inputs { token_type_ids: Some(&tt), ..Inputs::new(&ids, 1, 4) };
    assert_eq!(call(&inputs, None, None), Err(Error::TypeIdOutOfRange { index: 2, id: types, type_vocab_size: types }));
    // seq > max_position
    let long: Vec<u32> = (0..max as u32 + 1).map(|i| i % vocab).collect();
    assert_eq!(call(&Inputs::new(&long, 1, max + 1), None, None), Err(Error::SequenceTooLong { len: max + 1, max }));
    let long: Vec<u32> = vec![1; 2 * (max + 1)];
    assert!(matches!(call(&Inputs::new(&long, 2, max + 1), None, None), Err(Error::SequenceTooLong { .. })));
    // mismatched lengths
    assert!(matches!(call(&Inputs::new(&ids, 1, 3), Some(1 << 16), Some(64)), Err(Error::InputShape(_))));
    assert!(matches!(call(&Inputs::new(&ids, 3, 2), Some(1 << 16), Some(64)), Err(Error::InputShape(_))));
    let mask = [1u32, 1, 1];
    let inputs = Inputs { attention_mask: Some(&mask), ..Inputs::new(&ids, 1, 4) };
    assert!(matches!(call(&inputs, None, None), Err(Error::InputShape(_))));
    let tt = [0u32; 5];
    let inputs = Inputs { token_type_ids: Some(&tt), ..Inputs::new(&ids, 1, 4) };
    assert!(matches!(call(&inputs, None, None), Err(Error::InputShape(_))));
    // batch 0, seq 0, and choices that do not divide the batch
    assert!(matches!(call(&Inputs::new(&[], 0, 4), Some(1 << 16), Some(64)), Err(Error::InputShape(_))));
    assert!(matches!(call(&Inputs::new(&[], 1, 0), Some(1 << 16), Some(64)), Err(Error::InputShape(_))));
    assert!(matches!(call(&Inputs::new(&[], 0, 0), Some(1 << 16), Some(64)), Err(Error::InputShape(_))));
    let inputs = Inputs { choices: 0, ..Inputs::new(&ids, 1, 4) };
    assert!(matches!(call(&inputs, Some(1 << 16), Some(64)), Err(Error::InputShape(_))));
    let inputs = Inputs { choices: 3, ..Inputs::new(&ids, 2, 2) };
    assert!(matches!(call(&inputs, Some(1 << 16), Some(64)), Err(Error::InputShape(_))));
    // batch × seq overflowing
    assert!(matches!(call(&Inputs::new(&ids, usize::MAX, 2), Some(1 << 16), Some(64)), Err(Error::InputShape(_))));
    // scratch too small
    let need = model.scratch_len(1, 4, 0);
    assert_eq!(
        call(&Inputs::new(&ids, 1, 4), Some(need - 1), None),
        Err(Error::ScratchTooSmall { needed: need, given: need - 1 })
    );
    assert!(matches!(call(&Inputs::new(&ids, 1, 4), Some(0), None), Err(Error::ScratchTooSmall { .. })));
    // output too small
    let need = model.output_len(1, 4, 1);
    assert_eq!(need, 3);
    assert_eq!(
        call(&Inputs::new(&ids, 1, 4), None, Some(need - 1)),
        Err(Error::OutputSize { needed: need, given: need - 1 })
    );
    assert!(matches!(call(&Inputs::new(&ids, 1, 4), None, Some(0)), Err(Error::OutputSize { .. })));
}

#[test]
fn forward_inputs_property() {
    // Random shapes and ids, some out of range: forward succeeds exactly when the inputs are valid,
    // never panics, and valid inputs give finite outputs. Several heads, so every output path runs.
    for (seed, name) in [
        (11u64, "seqcls_i8_labels"),
        (12, "masked_lm_untied_mixed"),
        (13, "multiple_choice_mean_f16"),
        (14, "qa_relative_key_f32"),
        (15, "causal_lm_decoder_i8"),
    ] {
        let bytes = build(&by_name(name));
        let aligned = AlignedBytes::from_slice(&bytes);
        let model = Model::from_bytes(&aligned).unwrap();
        let c = model.config().clone();
        let mut rng = Rng::new(seed);
        for _ in 0..300 {
            let batch = rng.below(4);
            let seq = rng.below(c.max_position_embeddings as usize + 3);
            let choices = [1usize, 1, 2, 0][rng.below(4)];
            let n = batch * seq;
            let ids_len = if rng.below(10) == 0 { n + 1 } else { n };
            let oov = rng.below(8) == 0;
            let ids: Vec<u32> = (0..ids_len)
                .map(|_| {
                    if oov && rng.below(3) == 0 {
                        c.vocab_size + rng.below(3) as u32
                    } else {
                        rng.below(c.vocab_size as usize) as u32
                    }
                })
                .collect();
            let bad_tt = rng.below(8) == 0;
            let tt: Vec<u32> = (0..n).map(|_| rng.below(c.type_vocab_size as usize + bad_tt as usize) as u32).collect();
            let mask: Vec<u32> = (0..n).map(|_| rng.below(3) as u32).collect();
            let inputs = Inputs {
                input_ids: &ids,
                attention_mask: if rng.below(2) == 0 { Some(&mask) } else { None },
                token_type_ids: if rng.below(2) == 0 { Some(&tt) } else { None },
                batch,
                seq,
                choices,
            };
            let valid = batch > 0
                && seq > 0
                && ids_len == n
                && choices > 0
                && batch.is_multiple_of(choices)
                && seq <= c.max_position_embeddings as usize
                && ids.iter().all(|&i| i < c.vocab_size)
                && inputs.token_type_ids.is_none_or(|t| t.iter().all(|&i| i < c.type_vocab_size));
            let short = rng.below(10) == 0;
            let scratch_len = model.scratch_len(batch, seq, 0);
            let out_len = model.output_len(batch, seq, choices.max(1));
            let mut scratch = vec![0.0f32; if short { scratch_len / 2 } else { scratch_len }];
            let mut out = vec![f32::NAN; out_len];
            let r = model.forward(&inputs, &mut scratch, &mut out);
            if valid && !short {
                r.unwrap_or_else(|e| panic!("{name}: valid inputs refused: {e}"));
                assert!(out.iter().all(|x| x.is_finite()), "{name}: non-finite output");
            } else if !valid {
                assert!(r.is_err(), "{name}: invalid inputs accepted (batch {batch}, seq {seq}, choices {choices})");
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Seeds for the libFuzzer target (engine/fuzz): run with ELECTRA_FUZZ_SEEDS=<dir> to write them.
// ---------------------------------------------------------------------------------------------

#[test]
fn write_fuzz_seeds() {
    let Some(dir) = std::env::var_os("ELECTRA_FUZZ_SEEDS") else { return };
    let dir = std::path::PathBuf::from(dir);
    std::fs::create_dir_all(&dir).unwrap();
    for v in variants() {
        std::fs::write(dir.join(format!("{}.elt", v.name)), build(&v)).unwrap();
    }
}
