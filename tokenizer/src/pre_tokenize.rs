//! BertPreTokenizer (split on `char::is_whitespace`, drop it; isolate every punctuation char)
//! fused with normalisation and WordPiece into one pass over the text.
//!
//! ASCII bytes take a fast path: a 128-entry class table computed from the very same predicates
//! as the general path (so the two cannot disagree), lowercasing in place, words accumulated in a
//! reused buffer. Other chars go through the streaming [`Normalizer`].

use crate::normalize::{is_bert_punc, Align, NormConfig, Normalizer};
use crate::wordpiece::{Tok, WordBuf, WordPiece};
use alloc::vec::Vec;

/// What the ASCII fast path does with a byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AsciiClass {
    /// Removed by clean_text.
    Drop,
    /// Whitespace: ends the current word.
    Space,
    /// Punctuation: its own word, whose tokens are precomputed.
    Punct,
    /// Part of a word, as this (possibly lowercased) byte.
    Word(u8),
}

/// Per-tokenizer tables for the ASCII fast path.
pub(crate) struct AsciiTables {
    pub class: [AsciiClass; 128],
    /// Tokens of the single-char word made of each punctuation byte (`id`, or `None` = [UNK]).
    pub punct_id: [u32; 128],
    /// Normalized byte of each `Word` byte (0 elsewhere).
    pub lower: [u8; 128],
}

impl AsciiTables {
    pub fn new(cfg: NormConfig, model: &WordPiece) -> Self {
        let mut class = [AsciiClass::Drop; 128];
        let mut punct_id = [model.unk_id; 128];
        for b in 0u8..128 {
            // Run the general normalizer on the byte to classify it.
            let mut n = Normalizer::new(cfg);
            n.begin_piece(0);
            let mut out: Vec<char> = Vec::new();
            let mut emit = |c: char, _: Align| out.push(c);
            n.push(b as char, 0, &mut emit);
            n.finish(&mut emit);
            class[b as usize] = match out.as_slice() {
                [] => AsciiClass::Drop,
                [c] if c.is_whitespace() => AsciiClass::Space,
                [c] if is_bert_punc(*c) => AsciiClass::Punct,
                [c] if c.is_ascii() => AsciiClass::Word(*c as u8),
                // Cannot happen for ASCII with BertNormalizer; keep the general path honest.
                _ => AsciiClass::Drop,
            };
            if class[b as usize] == AsciiClass::Punct {
                let mut w = WordBuf::new(model.prefix.len());
                w.push_ascii(out[0] as u8, 0);
                let mut toks = Vec::new();
                model.tokenize(&mut w, &mut Vec::new(), &mut toks);
                punct_id[b as usize] = toks.first().map_or(model.unk_id, |t| t.id);
            }
        }
        let mut lower = [0u8; 128];
        for (b, c) in class.iter().enumerate() {
            if let AsciiClass::Word(l) = c {
                lower[b] = *l;
            }
        }
        AsciiTables { class, punct_id, lower }
    }
}

/// Receives normalized chars, splits them into words and runs WordPiece on each word.
pub(crate) struct Sink<'a> {
    pub model: &'a WordPiece,
    pub ascii: &'a AsciiTables,
    pub word: &'a mut WordBuf,
    pub scratch: &'a mut Vec<(u32, u32, u32)>,
    pub out: &'a mut Vec<Tok>,
    /// `tokenizers` 0.23 early exit: stop once a word brings the count to `limit`.
    pub limit: usize,
    /// Set when the limit was reached: everything after is ignored.
    pub stop: bool,
}

impl Sink<'_> {
    #[inline]
    pub fn finish_word(&mut self) {
        if !self.word.is_empty() && !self.stop {
            self.model.tokenize(self.word, self.scratch, self.out);
            self.word.clear();
            self.stop = self.out.len() >= self.limit;
        }
    }

    /// A normalized char from the general path.
    #[inline]
    pub fn push_char(&mut self, c: char, al: Align) {
        if self.stop {
            return;
        }
        if c.is_ascii() {
            match self.ascii.class[c as usize] {
                AsciiClass::Space => return self.finish_word(),
                AsciiClass::Punct => {
                    self.finish_word();
                    self.word.push_char(c, al);
                    return self.finish_word();
                }
                // The normalizer already ran: keep the byte as it is.
                _ => return self.word.push_char(c, al),
            }
        }
        if c.is_whitespace() {
            self.finish_word();
        } else if is_bert_punc(c) {
            self.finish_word();
            self.word.push_char(c, al);
            self.finish_word();
        } else {
            self.word.push_char(c, al);
        }
    }
}

/// Normalize, pre-tokenize and tokenize one piece of raw text (`text`, whose first char has
/// index `ci_start` in the sequence). Returns the char index after the piece.
pub(crate) fn tokenize_piece(
    text: &str,
    ci_start: u32,
    norm: &mut Normalizer,
    sink: &mut Sink<'_>,
) -> u32 {
    let bytes = text.as_bytes();
    let mut i = 0usize;
    let mut ci = ci_start;
    norm.begin_piece(ci_start);
    sink.word.clear();
    while i < bytes.len() {
        if sink.stop {
            return ci;
        }
        let b = bytes[i];
        if b < 0x80 {
            if !norm.nfd.is_empty() {
                norm.finish(&mut |c, al| sink.push_char(c, al));
            }
            match sink.ascii.class[b as usize] {
                AsciiClass::Word(_) => {
                    // A run of ASCII word bytes in one go.
                    let mut j = i + 1;
                    while j < bytes.len()
                        && bytes[j] < 0x80
                        && matches!(sink.ascii.class[bytes[j] as usize], AsciiClass::Word(_))
                    {
                        j += 1;
                    }
                    sink.word.push_ascii_run(&bytes[i..j], &sink.ascii.lower, ci);
                    ci += (j - i) as u32;
                    i = j;
                    continue;
                }
                AsciiClass::Space => sink.finish_word(),
                AsciiClass::Punct => {
                    sink.finish_word();
                    if !sink.stop {
                        sink.out.push(Tok { id: sink.ascii.punct_id[b as usize], start: ci, end: ci + 1 });
                        sink.stop = sink.out.len() >= sink.limit;
                    }
                }
                AsciiClass::Drop => {}
            }
            i += 1;
            ci += 1;
        } else {
            let Some(c) = text.get(i..).and_then(|t| t.chars().next()) else { break };
            norm.push(c, ci, &mut |c, al| sink.push_char(c, al));
            i += c.len_utf8();
            ci += 1;
        }
    }
    norm.finish(&mut |c, al| sink.push_char(c, al));
    sink.finish_word();
    ci
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wordpiece::Vocab;
    use alloc::string::ToString;

    fn model() -> WordPiece {
        let toks = ["[UNK]", "hello", "world", "!", "?", "##s", "cafe", "un", "##known", "é"];
        let vocab = Vocab::new(toks.iter().enumerate().map(|(i, t)| (t.to_string(), i as u32)), true).unwrap();
        WordPiece { vocab, unk_id: 0, prefix: "##".into(), max_input_chars_per_word: 100 }
    }

    fn run(cfg: NormConfig, text: &str) -> Vec<Tok> {
        let m = model();
        let ascii = AsciiTables::new(cfg, &m);
        let mut word = WordBuf::new(2);
        let mut scratch = Vec::new();
        let mut out = Vec::new();
        let mut sink = Sink {
            model: &m,
            ascii: &ascii,
            word: &mut word,
            scratch: &mut scratch,
            out: &mut out,
            limit: usize::MAX,
            stop: false,
        };
        let mut norm = Normalizer::new(cfg);
        tokenize_piece(text, 0, &mut norm, &mut sink);
        out
    }

    const UNCASED: NormConfig =
        NormConfig { clean_text: true, handle_chinese_chars: true, strip_accents: true, lowercase: true };

    #[test]
    fn splits_whitespace_and_punctuation() {
        let t = run(UNCASED, "Hello  worlds!?");
        let got: Vec<_> = t.iter().map(|t| (t.id, t.start, t.end)).collect();
        assert_eq!(got, [(1, 0, 5), (2, 7, 12), (5, 12, 13), (3, 13, 14), (4, 14, 15)]);
    }

    #[test]
    fn mixed_ascii_and_unicode_word() {
        // "Café": the accent is stripped, the word keeps contiguous char offsets.
        let t = run(UNCASED, "Café\u{2003}unknowns");
        let got: Vec<_> = t.iter().map(|t| (t.id, t.start, t.end)).collect();
        assert_eq!(got, [(6, 0, 4), (7, 5, 7), (8, 7, 12), (5, 12, 13)]);
        // Cased, accents kept: "é" alone is a word piece.
        let cased = NormConfig { strip_accents: false, lowercase: false, ..UNCASED };
        let t = run(cased, "é");
        assert_eq!(t, [Tok { id: 9, start: 0, end: 1 }]);
    }

    #[test]
    fn control_chars_inside_words_keep_offsets_exact() {
        let t = run(UNCASED, "hel\u{1}lo");
        assert_eq!(t, [Tok { id: 1, start: 0, end: 6 }]);
    }

    #[test]
    fn ascii_table_matches_general_path() {
        let m = model();
        let a = AsciiTables::new(UNCASED, &m);
        assert_eq!(a.class[b'A' as usize], AsciiClass::Word(b'a'));
        assert_eq!(a.class[b' ' as usize], AsciiClass::Space);
        assert_eq!(a.class[0x0B], AsciiClass::Drop); // VT is a control: removed before the whitespace map
        assert_eq!(a.class[b'$' as usize], AsciiClass::Punct);
        let raw = NormConfig { clean_text: false, ..UNCASED };
        let a = AsciiTables::new(raw, &m);
        assert_eq!(a.class[0x0B], AsciiClass::Space);
        assert_eq!(a.class[0x1F], AsciiClass::Word(0x1F));
    }
}
