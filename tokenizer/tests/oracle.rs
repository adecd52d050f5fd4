//! Exact comparison with the `tokenizers` crate (the Rust core of Hugging Face's fast tokenizer)
//! on a large generated corpus: ids, type ids, attention mask, char offsets, sequence ids and the
//! overflowing windows, for every normalizer configuration, singles and pairs, every truncation
//! strategy with stride, padding. No expectation is hand-written.

#![allow(clippy::explicit_auto_deref)]

mod common;

use common::corpus::{mixed_text, prose, vocab_words, Rng};
use common::*;
use electra_tokenizer as et;

/// Inputs on which we knowingly differ from `tokenizers`. Empty: the compat tables in
/// src/compat_tables.rs reproduce its Unicode 9 data exactly (see docs/tokenizer.md).
const KNOWN_DIFFERENCES: &[&str] = &[];

fn known(a: &str, b: Option<&str>) -> bool {
    KNOWN_DIFFERENCES.contains(&a) || b.is_some_and(|b| KNOWN_DIFFERENCES.contains(&b))
}

/// Against tokenizers 0.23.2 (our `set_truncation_early_exit(true)` mode when truncating).
fn check(o: &o23::Oracle, t: &et::Tokenizer, a: &str, b: Option<&str>, opts: &et::EncodeOptions) -> bool {
    if known(a, b) {
        return false;
    }
    match o23::compare(o, t, a, b, opts) {
        Ok(done) => done,
        Err(e) => panic!("mismatch (tokenizers 0.23.2) for a={a:?} b={b:?} opts={opts:?}\n{e}"),
    }
}

/// Against tokenizers 0.22.2 (our default mode).
fn check22(o: &o22::Oracle, t: &et::Tokenizer, a: &str, b: Option<&str>, opts: &et::EncodeOptions) -> bool {
    if known(a, b) {
        return false;
    }
    match o22::compare(o, t, a, b, opts) {
        Ok(done) => done,
        Err(e) => panic!("mismatch (tokenizers 0.22.2) for a={a:?} b={b:?} opts={opts:?}\n{e}"),
    }
}

fn ours_compat(cfg: Cfg) -> et::Tokenizer {
    let mut t = ours(cfg);
    t.set_truncation_early_exit(true);
    t
}

#[test]
fn corpus_singles_and_pairs_all_configs() {
    silence_oracle_panics();
    let (words, pieces) = vocab_words(VOCAB);
    let mut compared = 0usize;
    for (ci, &cfg) in CONFIGS.iter().enumerate() {
        let o = o23::oracle(cfg, false, &[]);
        let t = ours(cfg);
        let mut r = Rng(1000 + ci as u64);
        let opts = et::EncodeOptions::default();
        for i in 0..600 {
            let a = if i % 3 == 0 { { let n = 1 + r.below(40); prose(&mut r, &words, &pieces, n) } } else { { let n = 1 + r.below(30); mixed_text(&mut r, &words, &pieces, n) } };
            compared += usize::from(check(&o, &t, &a, None, &opts));
            if i % 2 == 0 {
                let b = { let n = 1 + r.below(20); mixed_text(&mut r, &words, &pieces, n) };
                compared += usize::from(check(&o, &t, &a, Some(&b), &opts));
            }
            let no_special = et::EncodeOptions { add_special_tokens: false, ..et::EncodeOptions::default() };
            if i % 5 == 0 {
                compared += usize::from(check(&o, &t, &a, None, &no_special));
            }
        }
        for s in ["", " ", "\u{0}", "[CLS]", "   [SEP]  ", "\u{301}", "\u{0F73}", "\u{2B820}\u{2B920}"] {
            compared += usize::from(check(&o, &t, s, None, &opts));
            compared += usize::from(check(&o, &t, s, Some(s), &opts));
        }
    }
    eprintln!("compared {compared} encodings");
    assert!(compared > 5000);
}

#[test]
fn truncation_overflow_stride_padding() {
    silence_oracle_panics();
    let (words, pieces) = vocab_words(VOCAB);
    let strategies = [et::Truncation::LongestFirst, et::Truncation::OnlyFirst, et::Truncation::OnlySecond];
    let (mut compared, mut refused) = (0usize, 0usize);
    for (ci, &cfg) in CONFIGS.iter().take(2).enumerate() {
        let mut o = o23::oracle(cfg, false, &[]);
        let mut o22 = o22::oracle(cfg, false, &[]);
        let t = ours(cfg);
        let tc = ours_compat(cfg);
        let mut r = Rng(7 + ci as u64);
        for i in 0..1500 {
            let opts = et::EncodeOptions {
                max_length: Some(r.below(40)),
                truncation: *r.pick(&strategies),
                stride: if r.chance(50) { 0 } else { r.below(6) },
                pad_to: if r.chance(30) { Some(r.below(48)) } else { None },
                add_special_tokens: r.chance(85),
            };
            let ok22 = o22::configure(&mut o22, &opts);
            if !o23::configure(&mut o, &opts) {
                assert!(!ok22);
                // tokenizers rejects the parameters up front; so must we.
                let e = t.encode("some text", &opts);
                assert!(matches!(e, Err(et::Error::StrideTooLarge { .. } | et::Error::MaxLengthTooSmall { .. })), "{opts:?} {e:?}");
                refused += 1;
                continue;
            }
            let a = if i % 2 == 0 { { let n = 1 + r.below(30); prose(&mut r, &words, &pieces, n) } } else { { let n = 1 + r.below(20); mixed_text(&mut r, &words, &pieces, n) } };
            let b = if r.chance(60) { Some({ let n = 1 + r.below(30); prose(&mut r, &words, &pieces, n) }) } else { None };
            let done = check(&o, &tc, &a, b.as_deref(), &opts);
            assert_eq!(done, check22(&o22, &t, &a, b.as_deref(), &opts));
            if done { compared += 1 } else { refused += 1 }
        }
    }
    eprintln!("compared {compared}, both refused {refused}");
    assert!(compared > 1500 && refused > 50);
}

#[test]
fn question_answering_windows_only_second_with_stride() {
    // The QA pipeline: question first, long context second, only_second + stride.
    let (words, pieces) = vocab_words(VOCAB);
    let cfg = CONFIGS[0];
    let mut o = o23::oracle(cfg, false, &[]);
    let mut o22 = o22::oracle(cfg, false, &[]);
    let t = ours(cfg);
    let tc = ours_compat(cfg);
    let mut r = Rng(42);
    let mut windows_compat = 0;
    let mut windows = 0;
    for _ in 0..40 {
        let q = { let n = 3 + r.below(8); prose(&mut r, &words, &pieces, n) };
        let ctx = { let n = 150 + r.below(300); prose(&mut r, &words, &pieces, n) };
        for (max_length, stride) in [(64, 16), (128, 32), (384, 128)] {
            let opts = et::EncodeOptions {
                max_length: Some(max_length),
                truncation: et::Truncation::OnlySecond,
                stride,
                pad_to: Some(max_length),
                add_special_tokens: true,
            };
            assert!(o23::configure(&mut o, &opts) && o22::configure(&mut o22, &opts));
            assert!(check22(&o22, &t, &q, Some(&ctx), &opts));
            assert!(check(&o, &tc, &q, Some(&ctx), &opts));
            let e = t.encode_pair(&q, &ctx, &opts).unwrap();
            windows += e.n_windows();
            windows_compat += tc.encode_pair(&q, &ctx, &opts).unwrap().n_windows();
            // Default mode: the windows cover the whole context (every context token is in one).
            let covered: std::collections::BTreeSet<(usize, usize)> = std::iter::once(&e)
                .chain(e.overflowing.iter())
                .flat_map(|w| w.offsets.iter().zip(&w.sequence_ids).filter(|(_, s)| **s == Some(1)).map(|(o, _)| *o))
                .collect();
            let all = t.encode(&ctx, &et::EncodeOptions { add_special_tokens: false, ..Default::default() }).unwrap();
            assert_eq!(covered.len(), all.offsets.iter().collect::<std::collections::BTreeSet<_>>().len());
        }
    }
    assert!(windows > 200 && windows > 2 * windows_compat, "{windows} {windows_compat}");
}

#[test]
fn bert_processing_equals_template_processing() {
    let (words, pieces) = vocab_words(VOCAB);
    let cfg = CONFIGS[0];
    let mut o = o23::oracle(cfg, true, &[]);
    let t = ours_compat(cfg);
    let mut r = Rng(5);
    for i in 0..300 {
        let opts = et::EncodeOptions {
            max_length: Some(8 + r.below(20)),
            truncation: [et::Truncation::LongestFirst, et::Truncation::OnlyFirst, et::Truncation::OnlySecond][i % 3],
            stride: r.below(3),
            ..et::EncodeOptions::default()
        };
        if !o23::configure(&mut o, &opts) {
            continue;
        }
        let a = { let n = 1 + r.below(20); prose(&mut r, &words, &pieces, n) };
        let b = { let n = 1 + r.below(20); prose(&mut r, &words, &pieces, n) };
        check(&o, &t, &a, Some(&b), &opts);
    }
}

#[test]
fn never_split_matches_raw_added_tokens() {
    // In the vocab (tokenizers would give absent ones new ids past the vocab; we give [UNK]).
    let never = ["[unused0]", "hello", "##ing", "world"];
    let cfg = CONFIGS[0];
    let o = o23::oracle(cfg, false, &never);
    let opts_t = et::Options { never_split: never.iter().map(|s| s.to_string()).collect(), ..options(cfg) };
    let t = et::Tokenizer::from_vocab_txt(VOCAB, opts_t).unwrap();
    let (words, pieces) = vocab_words(VOCAB);
    let mut r = Rng(9);
    for _ in 0..300 {
        let mut s = String::new();
        for _ in 0..8 {
            s.push_str(if r.chance(30) { *r.pick(&never) } else { r.pick(&words).as_str() });
            s.push_str(*r.pick(&[" ", "", "  ", "."]));

        }
        let _ = &pieces;
        check(&o, &t, &s, None, &et::EncodeOptions::default());
    }
}

/// Every code point, in context, for the uncased and the cased configuration. Texts hold 48
/// consecutive code points, each seen alone, inside a word and next to its neighbour.
#[test]
fn every_code_point() {
    for cfg in [CONFIGS[0], CONFIGS[1]] {
        let o = o23::oracle(cfg, false, &[]);
        let t = ours(cfg);
        let opts = et::EncodeOptions::default();
        let mut cp = 0u32;
        let mut texts = 0;
        while cp <= 0x10FFFF {
            let mut s = String::new();
            let mut prev = 'a';
            for _ in 0..48 {
                if let Some(c) = char::from_u32(cp) {
                    s.push(c);
                    s.push('a');
                    s.push(c);
                    s.push(prev);
                    s.push(' ');
                    prev = c;
                }
                cp += 1;
            }
            if !s.is_empty() {
                check(&o, &t, &s, None, &opts);
                texts += 1;
            }
        }
        assert!(texts > 20_000);
    }
}

#[test]
fn decode_matches_oracle() {
    let (words, pieces) = vocab_words(VOCAB);
    let cfg = CONFIGS[0];
    let o = o23::oracle(cfg, false, &[]);
    let t = ours(cfg);
    let mut r = Rng(77);
    for i in 0..400 {
        let a = if i % 2 == 0 { { let n = 1 + r.below(30); prose(&mut r, &words, &pieces, n) } } else { { let n = 1 + r.below(20); mixed_text(&mut r, &words, &pieces, n) } };
        let ids = t.encode(&a, &et::EncodeOptions::default()).unwrap().input_ids;
        let mut ids2 = ids.clone();
        ids2.push(r.below(40000) as u32); // possibly out of range: skipped by both
        for skip in [false, true] {
            assert_eq!(t.decode(&ids2, skip), o.decode(&ids2, skip).unwrap(), "{a:?}");
        }
        let toks: Vec<String> = o.encode(a.as_str(), false).unwrap().get_tokens().to_vec();
        assert_eq!(t.tokenize(&a), toks);
    }
}

#[test]
fn tokenizer_json_written_by_tokenizers_round_trips() {
    let (words, pieces) = vocab_words(VOCAB);
    for (i, &cfg) in CONFIGS.iter().enumerate() {
        for bert_processing in [false, true] {
            let o = o23::oracle(cfg, bert_processing, &[]);
            let json = o.to_string(false).unwrap();
            let t = et::Tokenizer::from_tokenizer_json(&json, None).unwrap();
            assert_eq!(t.vocab_size(), 30522);
            assert_eq!(t.options().do_lower_case, cfg.lower);
            let mut r = Rng(300 + i as u64);
            for _ in 0..60 {
                let a = { let n = 1 + r.below(20); mixed_text(&mut r, &words, &pieces, n) };
                let b = { let n = 1 + r.below(20); prose(&mut r, &words, &pieces, n) };
                check(&o, &t, &a, None, &et::EncodeOptions::default());
                check(&o, &t, &a, Some(&b), &et::EncodeOptions::default());
            }
        }
    }
}

#[test]
fn tokenizer_config_overrides_do_lower_case() {
    let (words, pieces) = vocab_words(VOCAB);
    // tokenizer.json says uncased; tokenizer_config.json says cased: the config wins.
    let json = o23::oracle(CONFIGS[0], false, &[]).to_string(false).unwrap();
    let config = r#"{"do_lower_case": false, "model_max_length": 512, "tokenizer_class": "ElectraTokenizer"}"#;
    let t = et::Tokenizer::from_tokenizer_json(&json, Some(config)).unwrap();
    assert!(!t.options().do_lower_case);
    let cased = o23::oracle(CONFIGS[1], false, &[]);
    let mut r = Rng(11);
    for _ in 0..200 {
        let a = { let n = 1 + r.below(20); mixed_text(&mut r, &words, &pieces, n) };
        check(&cased, &t, &a, None, &et::EncodeOptions::default());
    }
    assert_ne!(t.encode("Hello", &Default::default()).unwrap().input_ids,
        et::Tokenizer::from_tokenizer_json(&json, None).unwrap().encode("Hello", &Default::default()).unwrap().input_ids);
    // Same through the vocab.txt path.
    let t2 = et::Tokenizer::from_vocab_and_config(VOCAB, Some(config)).unwrap();
    for _ in 0..100 {
        let a = { let n = 1 + r.below(20); mixed_text(&mut r, &words, &pieces, n) };
        check(&cased, &t2, &a, None, &et::EncodeOptions::default());
    }
}
