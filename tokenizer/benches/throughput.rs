//! Single-thread throughput: electra-tokenizer against the `tokenizers` crate (0.23.2, the oracle
//! of the tests, configured as transformers' fast BertTokenizer) on the same texts.
//!
//! `cargo bench -p electra-tokenizer --bench throughput`
//!
//! Corpora (deterministic, generated): English-like prose from the uncased BERT vocab in
//! ~600-byte paragraphs (1 MB), and the unicode stress text of the oracle tests (256 KB).
//! Before the criterion runs, a plain best-of-5 timing prints MB/s for both and the ratio.

#[path = "../tests/common/corpus.rs"]
mod corpus;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use electra_tokenizer::{EncodeOptions, Options, Tokenizer};
use std::hint::black_box;
use std::time::Instant;
use tokenizers::models::wordpiece::WordPiece;
use tokenizers::normalizers::bert::BertNormalizer;
use tokenizers::pre_tokenizers::bert::BertPreTokenizer;
use tokenizers::processors::template::TemplateProcessing;

const VOCAB: &str = include_str!("../tests/data/vocab.txt");

fn hf() -> tokenizers::Tokenizer {
    let vocab = WordPiece::read_bytes(VOCAB.as_bytes()).unwrap();
    let (cls, sep) = (vocab["[CLS]"], vocab["[SEP]"]);
    let model = WordPiece::builder().vocab(vocab).unk_token("[UNK]".into()).build().unwrap();
    let mut t = tokenizers::Tokenizer::new(model);
    let _ = t.with_normalizer(Some(BertNormalizer::new(true, true, None, true)));
    t.with_pre_tokenizer(Some(BertPreTokenizer));
    let tp = TemplateProcessing::builder()
        .try_single("[CLS] $A [SEP]")
        .unwrap()
        .try_pair("[CLS] $A [SEP] $B:1 [SEP]:1")
        .unwrap()
        .special_tokens(vec![("[CLS]", cls), ("[SEP]", sep)])
        .build()
        .unwrap();
    t.with_post_processor(Some(tp));
    let specials: Vec<tokenizers::AddedToken> = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
        .iter()
        .map(|s| tokenizers::AddedToken::from(*s, true))
        .collect();
    let _ = t.add_special_tokens(specials);
    t
}

fn corpora() -> Vec<(&'static str, Vec<String>)> {
    let (words, pieces) = corpus::vocab_words(VOCAB);
    let mut r = corpus::Rng(2024);
    let mut prose = Vec::new();
    let mut total = 0;
    while total < 1 << 20 {
        let n = 80 + r.below(60);
        let p = corpus::prose(&mut r, &words, &pieces, n);
        total += p.len();
        prose.push(p);
    }
    let mut stress = Vec::new();
    let mut total = 0;
    while total < 1 << 18 {
        let p = corpus::stress_text(&mut r, &words, &pieces, 600);
        total += p.len();
        stress.push(p);
    }
    vec![("english_prose", prose), ("unicode_stress", stress)]
}

fn mb_per_s(bytes: usize, f: &mut dyn FnMut()) -> f64 {
    let mut best = f64::MAX;
    for _ in 0..5 {
        let t = Instant::now();
        f();
        best = best.min(t.elapsed().as_secs_f64());
    }
    bytes as f64 / best / 1e6
}

fn bench(c: &mut Criterion) {
    let ours = Tokenizer::from_vocab_txt(VOCAB, Options::default()).unwrap();
    let theirs = hf();
    let opts = EncodeOptions::default();
    for (name, texts) in corpora() {
        let bytes: usize = texts.iter().map(String::len).sum();
        // Same ids on the whole corpus, or the comparison would be meaningless.
        for t in &texts {
            assert_eq!(ours.encode(t, &opts).unwrap().input_ids, theirs.encode(t.as_str(), true).unwrap().get_ids());
        }
        let a = mb_per_s(bytes, &mut || {
            for t in &texts {
                black_box(ours.encode(black_box(t), &opts).unwrap());
            }
        });
        let b = mb_per_s(bytes, &mut || {
            for t in &texts {
                black_box(theirs.encode(black_box(t.as_str()), true).unwrap());
            }
        });
        println!(
            "{name}: {:.2} MB in {} texts | electra-tokenizer {a:.1} MB/s | tokenizers {b:.2} MB/s | ratio {:.1}x",
            bytes as f64 / 1e6,
            texts.len(),
            a / b
        );

        let mut g = c.benchmark_group(name);
        g.throughput(Throughput::Bytes(bytes as u64));
        g.sample_size(10);
        g.bench_function("electra-tokenizer", |bch| {
            bch.iter(|| {
                for t in &texts {
                    black_box(ours.encode(black_box(t), &opts).unwrap());
                }
            })
        });
        g.bench_function("tokenizers", |bch| {
            bch.iter(|| {
                for t in &texts {
                    black_box(theirs.encode(black_box(t.as_str()), true).unwrap());
                }
            })
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
