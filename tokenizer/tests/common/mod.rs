//! Test helpers: the `tokenizers` oracle built from the same vocab, and an exact comparison.
#![allow(dead_code)]

pub mod corpus;

use electra_tokenizer as et;

pub const VOCAB: &str = include_str!("../data/vocab.txt");

/// Normalizer settings of one test configuration.
#[derive(Clone, Copy, Debug)]
pub struct Cfg {
    pub lower: bool,
    pub strip: Option<bool>,
    pub chinese: bool,
    pub clean: bool,
}

pub const CONFIGS: &[Cfg] = &[
    Cfg { lower: true, strip: None, chinese: true, clean: true }, // ELECTRA / BERT uncased
    Cfg { lower: false, strip: None, chinese: true, clean: true }, // cased
    Cfg { lower: true, strip: Some(false), chinese: true, clean: true },
    Cfg { lower: false, strip: Some(true), chinese: true, clean: true },
    Cfg { lower: true, strip: Some(true), chinese: false, clean: true },
    Cfg { lower: true, strip: None, chinese: true, clean: false },
];

pub fn options(cfg: Cfg) -> et::Options {
    et::Options {
        do_lower_case: cfg.lower,
        strip_accents: cfg.strip,
        tokenize_chinese_chars: cfg.chinese,
        clean_text: cfg.clean,
        ..et::Options::default()
    }
}

pub fn ours(cfg: Cfg) -> et::Tokenizer {
    et::Tokenizer::from_vocab_txt(VOCAB, options(cfg)).unwrap()
}

macro_rules! oracle_module {
    ($name:ident, $krate:ident, [$($r:tt)*]) => {
        pub mod $name {
            use super::*;
            use $krate as tk;
            use std::panic::{catch_unwind, AssertUnwindSafe};
            use tk::decoders::wordpiece::WordPiece as WordPieceDecoder;
            use tk::models::wordpiece::WordPiece;
            use tk::normalizers::bert::BertNormalizer;
            use tk::pre_tokenizers::bert::BertPreTokenizer;
            use tk::processors::bert::BertProcessing;
            use tk::processors::template::TemplateProcessing;
            use tk::{
                AddedToken, PaddingDirection, PaddingParams, PaddingStrategy, TruncationDirection, TruncationParams,
                TruncationStrategy,
            };
            pub type Oracle = tk::Tokenizer;

            /// The oracle: `tokenizers` configured as transformers' fast BertTokenizer for this vocab.
            pub fn oracle(cfg: Cfg, bert_processing: bool, never_split: &[&str]) -> tk::Tokenizer {
                let vocab = WordPiece::read_bytes(VOCAB.as_bytes()).unwrap();
                let cls = vocab["[CLS]"];
                let sep = vocab["[SEP]"];
                let model = WordPiece::builder()
                    .vocab(vocab)
                    .unk_token("[UNK]".into())
                    .continuing_subword_prefix("##".into())
                    .max_input_chars_per_word(100)
                    .build()
                    .unwrap();
                let mut t = tk::Tokenizer::new(model);
                let _ = t.with_normalizer(Some(BertNormalizer::new(cfg.clean, cfg.chinese, cfg.strip, cfg.lower)));
                t.with_pre_tokenizer(Some(BertPreTokenizer));
                if bert_processing {
                    t.with_post_processor(Some(BertProcessing::new(("[SEP]".into(), sep), ("[CLS]".into(), cls))));
                } else {
                    let tp = TemplateProcessing::builder()
                        .try_single("[CLS] $A [SEP]")
                        .unwrap()
                        .try_pair("[CLS] $A [SEP] $B:1 [SEP]:1")
                        .unwrap()
                        .special_tokens(vec![("[CLS]", cls), ("[SEP]", sep)])
                        .build()
                        .unwrap();
                    t.with_post_processor(Some(tp));
                }
                t.with_decoder(Some(WordPieceDecoder::new("##".into(), true)));
                let specials: Vec<AddedToken> =
                    ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"].iter().map(|s| AddedToken::from(*s, true)).collect();
                let _ = t.add_special_tokens($($r)* specials);
                let extra: Vec<AddedToken> =
                    never_split.iter().map(|s| AddedToken::from(*s, false).normalized(false)).collect();
                if !extra.is_empty() {
                    let _ = t.add_tokens($($r)* extra);
                }
                t
            }

            /// Set the oracle's truncation/padding from our options. Returns false when `tokenizers` itself
            /// rejects (or would panic on) the parameters.
            pub fn configure(o: &mut tk::Tokenizer, opts: &et::EncodeOptions) -> bool {
                let trunc = opts.max_length.map(|max_length| TruncationParams {
                    direction: TruncationDirection::Right,
                    max_length,
                    strategy: match opts.truncation {
                        et::Truncation::LongestFirst => TruncationStrategy::LongestFirst,
                        et::Truncation::OnlyFirst => TruncationStrategy::OnlyFirst,
                        et::Truncation::OnlySecond => TruncationStrategy::OnlySecond,
                    },
                    stride: opts.stride,
                });
                let ok = catch_unwind(AssertUnwindSafe(|| o.with_truncation(trunc.clone()).is_ok())).unwrap_or(false);
                if !ok {
                    return false;
                }
                o.with_padding(opts.pad_to.map(|n| PaddingParams {
                    strategy: PaddingStrategy::Fixed(n),
                    direction: PaddingDirection::Right,
                    pad_to_multiple_of: None,
                    pad_id: 0,
                    pad_type_id: 0,
                    pad_token: "[PAD]".into(),
                }));
                true
            }

            fn diff(o: &tk::Encoding, e: &et::Encoding, path: &str) -> Result<(), String> {
                let seq: Vec<Option<u8>> = o.get_sequence_ids().iter().map(|s| s.map(|x| x as u8)).collect();
                let checks: [(&str, bool); 5] = [
                    ("input_ids", o.get_ids() == e.input_ids.as_slice()),
                    ("token_type_ids", o.get_type_ids() == e.token_type_ids.as_slice()),
                    ("attention_mask", o.get_attention_mask() == e.attention_mask.as_slice()),
                    ("offsets", o.get_offsets() == e.offsets.as_slice()),
                    ("sequence_ids", seq == e.sequence_ids),
                ];
                for (name, ok) in checks {
                    if !ok {
                        return Err(format!(
                            "{path}{name} differ\n oracle ids {:?}\n ours   ids {:?}\n oracle offsets {:?}\n ours   offsets {:?}\n oracle tokens {:?}",
                            o.get_ids(),
                            e.input_ids,
                            o.get_offsets(),
                            e.offsets,
                            o.get_tokens()
                        ));
                    }
                }
                if o.get_overflowing().len() != e.overflowing.len() {
                    return Err(format!("{path}overflowing count {} vs {}", o.get_overflowing().len(), e.overflowing.len()));
                }
                for (i, (a, b)) in o.get_overflowing().iter().zip(&e.overflowing).enumerate() {
                    diff(a, b, &format!("{path}overflowing[{i}]."))?;
                }
                Ok(())
            }

            /// Encode with both and compare everything. `Ok(true)` when both produced an encoding,
            /// `Ok(false)` when both refused.
            pub fn compare(
                o: &tk::Tokenizer,
                ours: &et::Tokenizer,
                a: &str,
                b: Option<&str>,
                opts: &et::EncodeOptions,
            ) -> Result<bool, String> {
                let theirs = catch_unwind(AssertUnwindSafe(|| match b {
                    None => o.encode_char_offsets(a, opts.add_special_tokens),
                    Some(b) => o.encode_char_offsets((a, b), opts.add_special_tokens),
                }));
                let mine = match b {
                    None => ours.encode(a, opts),
                    Some(b) => ours.encode_pair(a, b, opts),
                };
                match (theirs, mine) {
                    (Ok(Ok(t)), Ok(m)) => diff(&t, &m, "").map(|_| true),
                    (Ok(Err(te)), Err(me)) => {
                        let _ = (te, me);
                        Ok(false)
                    }
                    // tokenizers panics when stride >= room; we return an error.
                    (Err(_), Err(et::Error::StrideTooLarge { .. })) => Ok(false),
                    // max_length below the number of specials: tokenizers computes
                    // `max_length - n_added` in usize (panic in debug, wrap-around in release and
                    // then no truncation at all); we return an error.
                    (_, Err(et::Error::MaxLengthTooSmall { .. })) => Ok(false),
                    (t, m) => Err(format!(
                        "outcome differs: oracle {:?} / ours {:?}",
                        t.map(|r| r.map(|e| e.get_ids().to_vec()).map_err(|e| e.to_string())),
                        m.map(|e| e.input_ids)
                    )),
                }
            }


        }
    };
}

// tokenizers 0.23.2: compared with our `set_truncation_early_exit(true)` mode.
oracle_module!(o23, tokenizers, []);
// tokenizers 0.22.2: compared with our default mode.
oracle_module!(o22, tokenizers_022, [&]);

/// The oracle panics on some parameter combinations (caught above): keep those quiet, report
/// every other panic as usual.
pub fn silence_oracle_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let from_oracle = info.location().is_some_and(|l| l.file().contains("tokenizers-"));
            if !from_oracle {
                default(info);
            }
        }));
    });
}
