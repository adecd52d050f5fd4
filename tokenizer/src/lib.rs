//! `no_std` BERT/ELECTRA WordPiece tokenizer that reproduces the Hugging Face *fast* tokenizer
//! (the `tokenizers` crate: BertNormalizer, BertPreTokenizer, WordPiece, TemplateProcessing,
//! WordPiece decoder) token for token, offset for offset.
//!
//! ```
//! use electra_tokenizer::{EncodeOptions, Options, Tokenizer};
//! let vocab = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nhello\nworld\n!\n";
//! let tok = Tokenizer::from_vocab_txt(vocab, Options::default()).unwrap();
//! let enc = tok.encode("Hello, World!", &EncodeOptions::default()).unwrap();
//! assert_eq!(enc.input_ids, [2, 5, 1, 6, 7, 3]);
//! assert_eq!(enc.offsets, [(0, 0), (0, 5), (5, 6), (7, 12), (12, 13), (0, 0)]);
//! assert_eq!(tok.decode(&enc.input_ids, false), "[CLS] hello [UNK] world! [SEP]");
//! assert_eq!(tok.decode(&enc.input_ids, true), "hello world!");
//! ```
//!
//! Offsets are in chars (Unicode scalar values) of the original text, i.e. what
//! `tokenizers::Tokenizer::encode_char_offsets` and Python's fast tokenizer report. See
//! docs/tokenizer.md for the behaviour in full and the known differences.
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod added;
mod compat_tables;
mod encoding;
mod json;
pub mod normalize;
mod pre_tokenize;
mod truncation;
mod wordpiece;

#[cfg(feature = "std")]
pub mod jsonl;

pub use encoding::Encoding;

use added::{AddedToken, AddedTokens, Split};
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;
use encoding::Template;
use normalize::{NormConfig, Normalizer};
use pre_tokenize::{AsciiTables, Sink};
use wordpiece::{Decoder, Tok, Vocab, WordBuf, WordPiece};

/// Tokenizer options (the `BertTokenizer` / `BasicTokenizer` arguments).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// Lowercase the text (`BertNormalizer.lowercase`).
    pub do_lower_case: bool,
    /// Strip accents (NFD, drop Mn); `None` follows `do_lower_case`.
    pub strip_accents: Option<bool>,
    /// Put spaces around CJK ideographs.
    pub tokenize_chinese_chars: bool,
    /// Remove control chars and map whitespace to `' '`.
    pub clean_text: bool,
    /// Longer words (in chars, after normalisation) become `[UNK]`.
    pub max_input_chars_per_word: usize,
    /// Strings matched on the raw text like added tokens (exact, case-sensitive) and emitted as
    /// one token (their vocabulary id, or `[UNK]` when absent). Not special: kept by `decode`.
    pub never_split: Vec<String>,
    /// Unknown token.
    pub unk_token: String,
    /// Classifier token, first of every encoding.
    pub cls_token: String,
    /// Separator token.
    pub sep_token: String,
    /// Padding token.
    pub pad_token: String,
    /// Mask token.
    pub mask_token: String,
}

impl Default for Options {
    /// BERT uncased defaults.
    fn default() -> Self {
        Options {
            do_lower_case: true,
            strip_accents: None,
            tokenize_chinese_chars: true,
            clean_text: true,
            max_input_chars_per_word: 100,
            never_split: Vec::new(),
            unk_token: "[UNK]".into(),
            cls_token: "[CLS]".into(),
            sep_token: "[SEP]".into(),
            pad_token: "[PAD]".into(),
            mask_token: "[MASK]".into(),
        }
    }
}

/// Truncation strategy (Hugging Face names).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Truncation {
    /// Cut the longer sequence first (`tokenizers`' formula, spec 7.4).
    #[default]
    LongestFirst,
    /// Cut only the first sequence.
    OnlyFirst,
    /// Cut only the second sequence.
    OnlySecond,
}

/// Per-call encoding options.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncodeOptions {
    /// Maximum length including special tokens; `None`: no truncation.
    pub max_length: Option<usize>,
    /// How to truncate when `max_length` is exceeded.
    pub truncation: Truncation,
    /// Overlap, in tokens, between consecutive overflowing windows.
    pub stride: usize,
    /// Right-pad every window to this length with the pad token.
    pub pad_to: Option<usize>,
    /// Add `[CLS]`/`[SEP]`.
    pub add_special_tokens: bool,
}

impl Default for EncodeOptions {
    fn default() -> Self {
        EncodeOptions { max_length: None, truncation: Truncation::LongestFirst, stride: 0, pad_to: None, add_special_tokens: true }
    }
}

/// Every way loading or encoding can fail.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The vocabulary has no entry.
    EmptyVocab,
    /// A token appears twice in the vocabulary (`line` is 1-based; 0 for tokenizer.json).
    DuplicateVocabToken {
        /// Line of the second occurrence.
        line: usize,
        /// The token.
        token: String,
        /// Id of the first occurrence.
        first_id: u32,
    },
    /// Two tokens share an id (tokenizer.json).
    DuplicateVocabId {
        /// The id.
        id: u32,
        /// The second token.
        token: String,
    },
    /// More than 2^24 ids or more than 4 GiB of token text.
    VocabTooLarge,
    /// A special token (`[UNK]`, `[CLS]`, ...) is not in the vocabulary.
    MissingSpecialToken {
        /// Which option names it (`unk_token`, ...).
        role: &'static str,
        /// The token.
        token: String,
    },
    /// An added token's id disagrees with the vocabulary.
    AddedTokenIdMismatch {
        /// The token.
        token: String,
        /// Id in `added_tokens`.
        id: u32,
        /// Id in the model vocabulary.
        vocab_id: u32,
    },
    /// An added token with empty content.
    EmptyAddedToken,
    /// Malformed JSON, or JSON of the wrong shape.
    Json {
        /// Which document: `tokenizer.json` or `tokenizer_config.json`.
        file: &'static str,
        /// serde_json's message (with line and column).
        message: String,
    },
    /// A tokenizer.json component this crate does not implement.
    Unsupported {
        /// Which component (`normalizer`, `model`, ...).
        component: &'static str,
        /// What was found.
        found: String,
    },
    /// `max_length` is smaller than the number of special tokens to add.
    MaxLengthTooSmall {
        /// Requested maximum length.
        max_length: usize,
        /// Special tokens the template adds.
        special_tokens: usize,
    },
    /// `stride` must be smaller than the room left for the truncated sequence.
    StrideTooLarge {
        /// The stride.
        stride: usize,
        /// Tokens left for the sequence being cut.
        max_len: usize,
    },
    /// `only_first`/`only_second` cannot remove enough tokens from that sequence.
    SequenceTooShort {
        /// Length of the sequence to cut.
        len: usize,
        /// Tokens that would have to be removed.
        to_remove: usize,
    },
    /// `only_second` truncation of a single sequence.
    SecondSequenceNotProvided,
    /// Text longer than 2^32 chars (offsets are kept in `u32` internally).
    TextTooLong,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::EmptyVocab => write!(f, "the vocabulary is empty"),
            Error::DuplicateVocabToken { line: 0, token, first_id } => {
                write!(f, "vocabulary token {token:?} appears twice (first id {first_id})")
            }
            Error::DuplicateVocabToken { line, token, first_id } => {
                write!(f, "vocab line {line}: token {token:?} already has id {first_id}")
            }
            Error::DuplicateVocabId { id, token } => write!(f, "vocabulary id {id} is used twice (again by {token:?})"),
            Error::VocabTooLarge => write!(f, "vocabulary too large (ids must be < 2^24)"),
            Error::MissingSpecialToken { role, token } => {
                write!(f, "{role} {token:?} is not in the vocabulary")
            }
            Error::AddedTokenIdMismatch { token, id, vocab_id } => {
                write!(f, "added token {token:?} has id {id} but the vocabulary gives {vocab_id}")
            }
            Error::EmptyAddedToken => write!(f, "an added token has empty content"),
            Error::Json { file, message } => write!(f, "{file}: {message}"),
            Error::Unsupported { component, found } => write!(f, "unsupported {component}: {found}"),
            Error::MaxLengthTooSmall { max_length, special_tokens } => write!(
                f,
                "max_length {max_length} leaves no room: {special_tokens} special tokens are added"
            ),
            Error::StrideTooLarge { stride, max_len } => write!(
                f,
                "stride {stride} must be strictly less than the {max_len} tokens left for the truncated sequence"
            ),
            Error::SequenceTooShort { len, to_remove } => write!(
                f,
                "truncation error: the sequence to truncate has {len} tokens, {to_remove} would have to be removed"
            ),
            Error::SecondSequenceNotProvided => {
                write!(f, "truncation error: only_second truncation needs a second sequence")
            }
            Error::TextTooLong => write!(f, "text longer than 2^32 chars"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Error {}

/// A loaded tokenizer. Immutable and `Sync`: share it between threads.
pub struct Tokenizer {
    options: Options,
    model: WordPiece,
    added: AddedTokens,
    template: Template,
    decoder: Decoder,
    norm: NormConfig,
    ascii: AsciiTables,
    pad_id: u32,
    early_exit: bool,
}

impl fmt::Debug for Tokenizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tokenizer")
            .field("options", &self.options)
            .field("vocab_size", &self.vocab_size())
            .field("added_tokens", &self.added.tokens.len())
            .finish()
    }
}

/// Parse vocab.txt as `tokenizers`' `WordPiece::read_file`: one token per line (`\n` or `\r\n`),
/// trailing whitespace trimmed, id = line index.
fn parse_vocab_txt(vocab_txt: &str) -> Result<Vocab, Error> {
    let lines = vocab_txt.split_terminator('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    Vocab::new(lines.enumerate().map(|(i, l)| (l.trim_end().to_string(), i as u32)), true)
}

fn special_id(vocab: &Vocab, role: &'static str, token: &str) -> Result<u32, Error> {
    vocab.get(token.as_bytes()).ok_or_else(|| Error::MissingSpecialToken { role, token: token.into() })
}

/// Everything a constructor resolves before [`Tokenizer::build`].
struct Parts {
    options: Options,
    vocab: Vocab,
    prefix: String,
    added: Vec<AddedToken>,
    template: Option<Template>,
    decoder: Decoder,
    norm: NormConfig,
}

impl Tokenizer {
    /// A tokenizer from a vocab.txt (one token per line) and options. The special tokens of
    /// `options` (and `never_split`) are matched on the raw text, as the fast tokenizer does.
    pub fn from_vocab_txt(vocab_txt: &str, options: Options) -> Result<Self, Error> {
        let vocab = parse_vocab_txt(vocab_txt)?;
        Self::from_vocab_and_options(vocab, options)
    }

    fn from_vocab_and_options(vocab: Vocab, options: Options) -> Result<Self, Error> {
        let mut added = Vec::new();
        let specials: [(&'static str, &String); 5] = [
            ("pad_token", &options.pad_token),
            ("unk_token", &options.unk_token),
            ("cls_token", &options.cls_token),
            ("sep_token", &options.sep_token),
            ("mask_token", &options.mask_token),
        ];
        for (role, token) in specials {
            let id = special_id(&vocab, role, token)?;
            added.push(AddedToken { content: token.clone(), id, single_word: false, lstrip: false, rstrip: false, special: true });
        }
        let unk = special_id(&vocab, "unk_token", &options.unk_token)?;
        for token in &options.never_split {
            if token.is_empty() {
                return Err(Error::EmptyAddedToken);
            }
            if added.iter().any(|a| &a.content == token) {
                continue;
            }
            let id = vocab.get(token.as_bytes()).unwrap_or(unk);
            added.push(AddedToken { content: token.clone(), id, single_word: false, lstrip: false, rstrip: false, special: false });
        }
        let norm = NormConfig {
            clean_text: options.clean_text,
            handle_chinese_chars: options.tokenize_chinese_chars,
            strip_accents: options.strip_accents.unwrap_or(options.do_lower_case),
            lowercase: options.do_lower_case,
        };
        Self::build(Parts {
            options,
            vocab,
            prefix: "##".into(),
            added,
            template: None,
            decoder: Decoder::WordPiece { prefix: "##".into(), cleanup: true },
            norm,
        })
    }

    fn build(p: Parts) -> Result<Self, Error> {
        let unk_id = special_id(&p.vocab, "unk_token", &p.options.unk_token)?;
        let pad_id = special_id(&p.vocab, "pad_token", &p.options.pad_token)?;
        let template = match p.template {
            Some(t) => t,
            None => Template::bert(
                special_id(&p.vocab, "cls_token", &p.options.cls_token)?,
                special_id(&p.vocab, "sep_token", &p.options.sep_token)?,
            ),
        };
        let model = WordPiece {
            vocab: p.vocab,
            unk_id,
            prefix: p.prefix,
            max_input_chars_per_word: p.options.max_input_chars_per_word,
        };
        let ascii = AsciiTables::new(p.norm, &model);
        Ok(Tokenizer {
            options: p.options,
            model,
            added: AddedTokens::new(p.added),
            template,
            decoder: p.decoder,
            norm: p.norm,
            ascii,
            pad_id,
            early_exit: false,
        })
    }

    /// A tokenizer from a tokenizer.json, optionally with a tokenizer_config.json whose
    /// `do_lower_case`, `strip_accents` and `tokenize_chinese_chars` win (transformers rebuilds the
    /// normalizer from them, with its defaults `true`, `null`, `true` for absent keys).
    pub fn from_tokenizer_json(tokenizer_json: &str, tokenizer_config_json: Option<&str>) -> Result<Self, Error> {
        let mut p = json::parse_tokenizer_json(tokenizer_json)?;
        if let Some(cfg) = tokenizer_config_json {
            let cfg = json::parse_config(cfg)?;
            cfg.apply_normalizer(&mut p.options);
            cfg.apply_tokens(&mut p.options);
            p.norm = NormConfig {
                clean_text: p.options.clean_text,
                handle_chinese_chars: p.options.tokenize_chinese_chars,
                strip_accents: p.options.strip_accents.unwrap_or(p.options.do_lower_case),
                lowercase: p.options.do_lower_case,
            };
        }
        Self::build(p)
    }

    /// A tokenizer from vocab.txt with the options of a tokenizer_config.json (absent keys keep
    /// the [`Options::default`] values).
    pub fn from_vocab_and_config(vocab_txt: &str, tokenizer_config_json: Option<&str>) -> Result<Self, Error> {
        let mut options = Options::default();
        if let Some(cfg) = tokenizer_config_json {
            let cfg = json::parse_config(cfg)?;
            cfg.apply_normalizer(&mut options);
            cfg.apply_tokens(&mut options);
            if let Some(ns) = cfg.never_split {
                options.never_split = ns;
            }
        }
        Self::from_vocab_txt(vocab_txt, options)
    }

    /// Reproduce `tokenizers` 0.23.1+ when truncating: each sequence is tokenized only until it
    /// holds `max_length` tokens (whole words; the first sequence is exempt under
    /// `only_second`), so overflowing windows past that point are never produced
    /// (huggingface/tokenizers#2091, fix proposed in #2098). Off by default: we produce every
    /// window, as `tokenizers` 0.22 did and as the question-answering pipeline needs. With it on,
    /// output equals `tokenizers` 0.23.2 exactly (tested).
    pub fn set_truncation_early_exit(&mut self, enabled: bool) {
        self.early_exit = enabled;
    }

    /// The options in force.
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// Max id + 1 (the vocabulary plus any added tokens beyond it).
    pub fn vocab_size(&self) -> usize {
        self.model.vocab.id_bound()
    }

    /// Id of a token (exact vocabulary entry).
    pub fn token_to_id(&self, token: &str) -> Option<u32> {
        self.model.vocab.get(token.as_bytes())
    }

    /// Token of an id.
    pub fn id_to_token(&self, id: u32) -> Option<&str> {
        self.model.vocab.token(id)
    }

    /// Tokens of the sequences of the text (added tokens included, no `[CLS]`/`[SEP]`).
    pub fn tokenize(&self, text: &str) -> Vec<String> {
        let mut toks = Vec::new();
        // A text over 2^32 chars gives no tokens rather than a panic.
        if self.encode_sequence(text, usize::MAX, &mut toks).is_err() {
            return Vec::new();
        }
        toks.iter().filter_map(|t| self.id_to_token(t.id)).map(String::from).collect()
    }

    /// Tokens of one sequence with absolute char offsets.
    fn encode_sequence(&self, text: &str, limit: usize, out: &mut Vec<Tok>) -> Result<(), Error> {
        if u32::try_from(text.len()).is_err() {
            return Err(Error::TextTooLong);
        }
        out.reserve(text.len() / 4 + 4);
        let mut splits: Vec<Split> = Vec::new();
        self.added.split(text, &mut splits);
        let mut word = WordBuf::new(self.model.prefix.len());
        let mut scratch = Vec::new();
        let mut norm = Normalizer::new(self.norm);
        let mut ci = 0u32;
        let mut stop = false;
        for &(id, s, e) in &splits {
            if stop {
                break;
            }
            let piece = text.get(s..e).unwrap_or("");
            match id {
                Some(id) => {
                    let n = piece.chars().count() as u32;
                    out.push(Tok { id, start: ci, end: ci + n });
                    ci += n;
                }
                None => {
                    let mut sink = Sink {
                        model: &self.model,
                        ascii: &self.ascii,
                        word: &mut word,
                        scratch: &mut scratch,
                        out,
                        limit,
                        stop: false,
                    };
                    ci = pre_tokenize::tokenize_piece(piece, ci, &mut norm, &mut sink);
                    stop = sink.stop;
                }
            }
        }
        Ok(())
    }

    fn sequence_encoding(&self, text: &str, seq: u8, opts: &EncodeOptions) -> Result<Encoding, Error> {
        let limit = match opts.max_length {
            Some(m) if self.early_exit && !(opts.truncation == Truncation::OnlySecond && seq == 0) => m,
            _ => usize::MAX,
        };
        let mut toks = Vec::new();
        self.encode_sequence(text, limit, &mut toks)?;
        let mut e = Encoding::with_capacity(toks.len() + 3);
        for t in &toks {
            e.push(t.id, u32::from(seq), (t.start as usize, t.end as usize), Some(seq));
        }
        Ok(e)
    }

    fn post_process(&self, mut a: Encoding, mut b: Option<Encoding>, opts: &EncodeOptions) -> Result<Encoding, Error> {
        if let Some(max_length) = opts.max_length {
            // `tokenizers::Tokenizer::with_truncation` rejects a stride larger than the room left
            // next to the specials of a single sequence, whatever the input.
            let n_single = self.template.added_tokens(false);
            if let Some(room) = max_length.checked_sub(n_single) {
                if room < opts.stride {
                    return Err(Error::StrideTooLarge { stride: opts.stride, max_len: room });
                }
            }
            let n_added = self.template.added_tokens(b.is_some());
            let budget = if opts.add_special_tokens && n_added > 0 {
                max_length
                    .checked_sub(n_added)
                    .ok_or(Error::MaxLengthTooSmall { max_length, special_tokens: n_added })?
            } else {
                max_length
            };
            truncation::truncate_encodings(&mut a, b.as_mut(), budget, opts.truncation, opts.stride)?;
        }
        let mut e = self.template.apply(a, b, opts.add_special_tokens);
        if let Some(target) = opts.pad_to {
            e.pad(target, self.pad_id, 0);
        }
        Ok(e)
    }

    /// Encode one sequence: `[CLS] A [SEP]`.
    pub fn encode(&self, text: &str, opts: &EncodeOptions) -> Result<Encoding, Error> {
        let a = self.sequence_encoding(text, 0, opts)?;
        self.post_process(a, None, opts)
    }

    /// Encode a pair: `[CLS] A [SEP] B [SEP]`, type ids 0 then 1.
    pub fn encode_pair(&self, a: &str, b: &str, opts: &EncodeOptions) -> Result<Encoding, Error> {
        let ea = self.sequence_encoding(a, 0, opts)?;
        let eb = self.sequence_encoding(b, 1, opts)?;
        self.post_process(ea, Some(eb), opts)
    }

    /// Decode ids with the WordPiece decoder (`##` glued, cleanup of spaces before punctuation
    /// and contractions). Unknown ids are skipped; `skip_special_tokens` drops special tokens.
    pub fn decode(&self, ids: &[u32], skip_special_tokens: bool) -> String {
        let tokens = ids
            .iter()
            .filter(|&&id| !(skip_special_tokens && self.added.is_special_id(id)))
            .filter_map(|&id| self.model.vocab.token(id));
        self.decoder.decode(tokens)
    }
}
