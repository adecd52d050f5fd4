//! BertNormalizer, reproduced from the `tokenizers` crate (`normalizers/bert.rs`), streaming.
//!
//! Order (as `tokenizers`): clean_text (drop `\0`, U+FFFD and "other" chars except `\t\n\r`; map
//! whitespace to `' '`) → CJK spacing → if `strip_accents`: NFD then drop Mn → if `lowercase`:
//! per-char `char::to_lowercase`.
//!
//! Every normalized char carries an *alignment*: the range of original chars (char indices, not
//! bytes) it comes from. `tokenizers` keeps byte alignments and rebuilds them positionally on each
//! transform; `Normalizer` reproduces those rules exactly (see `Nfd` for the one non-obvious
//! case, canonical reordering).
//!
//! Character classes use the maintained tables (`unicode-general-category`, `unicode-normalization`)
//! corrected by the small generated deltas in `compat_tables.rs` so that the answers equal
//! those of the older tables inside `tokenizers` (Unicode 9); see docs/tokenizer.md.

use crate::compat_tables::{MN_DELTA, NFD_OLD_INERT, OTHER_DELTA, PUNCT_DELTA};
use unicode_general_category::{get_general_category, GeneralCategory as G};

/// Alignment of a normalized char: `[start, end)` in original chars (absolute in the sequence).
pub(crate) type Align = (u32, u32);

fn in_ranges(table: &[(u32, u32)], c: char) -> bool {
    let cp = c as u32;
    table
        .binary_search_by(|&(lo, hi)| {
            if hi < cp {
                core::cmp::Ordering::Less
            } else if lo > cp {
                core::cmp::Ordering::Greater
            } else {
                core::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

/// `unicode_categories::is_other` as `tokenizers` sees it: Cc, Cf or Co (not Cn, not Cs).
pub fn is_other(c: char) -> bool {
    let new = matches!(get_general_category(c), G::Control | G::Format | G::PrivateUse);
    new != in_ranges(&OTHER_DELTA, c)
}

/// Unicode P* as `tokenizers` sees it.
pub fn is_punctuation(c: char) -> bool {
    let new = matches!(
        get_general_category(c),
        G::ConnectorPunctuation
            | G::DashPunctuation
            | G::ClosePunctuation
            | G::FinalPunctuation
            | G::InitialPunctuation
            | G::OtherPunctuation
            | G::OpenPunctuation
    );
    new != in_ranges(&PUNCT_DELTA, c)
}

/// Unicode Mn as `tokenizers` sees it.
pub fn is_mark_nonspacing(c: char) -> bool {
    let new = get_general_category(c) == G::NonspacingMark;
    new != in_ranges(&MN_DELTA, c)
}

/// `BertNormalizer::is_control`: "other" chars except `\t`, `\n`, `\r`.
pub fn is_control(c: char) -> bool {
    match c {
        '\t' | '\n' | '\r' => false,
        _ => is_other(c),
    }
}

/// `BertNormalizer::is_whitespace`.
pub fn is_whitespace(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || c.is_whitespace()
}

/// `BertNormalizer::is_chinese_char`, including the `tokenizers` range `0x2B920..=0x2CEAF`
/// (Python's BasicTokenizer starts that range at 0x2B820; spec 7.5 item 3).
pub fn is_chinese_char(c: char) -> bool {
    matches!(
        c as u32,
        0x4E00..=0x9FFF
            | 0x3400..=0x4DBF
            | 0x20000..=0x2A6DF
            | 0x2A700..=0x2B73F
            | 0x2B740..=0x2B81F
            | 0x2B920..=0x2CEAF
            | 0xF900..=0xFAFF
            | 0x2F800..=0x2FA1F
    )
}

/// `BertPreTokenizer`'s punctuation test.
pub fn is_bert_punc(c: char) -> bool {
    c.is_ascii_punctuation() || is_punctuation(c)
}

/// Canonical combining class as the old tables report it.
pub fn combining_class(c: char) -> u8 {
    if (c as u32) < 0x300 || in_ranges(&NFD_OLD_INERT, c) {
        0
    } else {
        unicode_normalization::char::canonical_combining_class(c)
    }
}

/// Canonical decomposition as the old tables report it.
pub fn decompose(c: char, mut emit: impl FnMut(char)) {
    if (c as u32) < 0xC0 || in_ranges(&NFD_OLD_INERT, c) {
        emit(c)
    } else {
        unicode_normalization::char::decompose_canonical(c, emit)
    }
}

/// Resolved BertNormalizer settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct NormConfig {
    pub clean_text: bool,
    pub handle_chinese_chars: bool,
    /// Already resolved: `strip_accents.unwrap_or(lowercase)`.
    pub strip_accents: bool,
    pub lowercase: bool,
}

/// Streaming NFD with `tokenizers`' alignment rules.
///
/// `tokenizers` runs `unicode-normalization-alignments`' NFD iterator, which yields each
/// decomposed char with a flag (0 for the first char of a decomposition, 1 for the others) and
/// stably sorts runs of non-starters by combining class, the flags travelling with the chars.
/// `NormalizedString::transform` then assigns alignments *positionally*: a flag-0 char takes the
/// alignment of the next input char, a flag-1 char that of the input char consumed last (or
/// `(0, 0)` of the piece when none was consumed yet).
#[derive(Default)]
pub(crate) struct Nfd {
    /// (combining class, char, is_first)
    pending: alloc::vec::Vec<(u8, char, bool)>,
    /// Number of pending entries already sorted (ready to emit).
    ready: usize,
    /// Alignments of input chars, consumed positionally.
    inputs: alloc::vec::Vec<Align>,
    next_input: usize,
    last: Option<Align>,
}

impl Nfd {
    pub fn reset(&mut self) {
        self.pending.clear();
        self.ready = 0;
        self.inputs.clear();
        self.next_input = 0;
        self.last = None;
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    /// Push one input char. Completed output is passed to `emit`.
    pub fn push(&mut self, c: char, al: Align, piece_start: u32, emit: &mut impl FnMut(char, Align)) {
        self.inputs.push(al);
        let mut first = true;
        let mut buf = [('\0', 0u8, false); 4];
        let mut n = 0usize;
        let mut overflow = false;
        decompose(c, |d| {
            if n < buf.len() {
                buf[n] = (d, combining_class(d), first);
                n += 1;
            } else {
                overflow = true;
            }
            first = false;
        });
        if overflow {
            // Canonical decompositions have at most 4 chars (Unicode 18: max 4); collect slowly.
            let mut all = alloc::vec::Vec::new();
            let mut first = true;
            decompose(c, |d| {
                all.push((d, combining_class(d), first));
                first = false;
            });
            for (d, cc, f) in all {
                self.push_decomposed(d, cc, f, piece_start, emit);
            }
        } else {
            for &(d, cc, f) in &buf[..n] {
                self.push_decomposed(d, cc, f, piece_start, emit);
            }
        }
    }

    fn push_decomposed(
        &mut self,
        d: char,
        cc: u8,
        first: bool,
        piece_start: u32,
        emit: &mut impl FnMut(char, Align),
    ) {
        if cc == 0 {
            self.sort_pending();
            self.emit_ready(piece_start, emit);
        }
        self.pending.push((cc, d, first));
    }

    fn sort_pending(&mut self) {
        // Stable, as the iterator's `sort_by_key`.
        self.pending[self.ready..].sort_by_key(|k| k.0);
        self.ready = self.pending.len();
    }

    fn emit_ready(&mut self, piece_start: u32, emit: &mut impl FnMut(char, Align)) {
        for i in 0..self.ready {
            let (_, ch, first) = self.pending[i];
            let al = if first {
                let al = self.inputs.get(self.next_input).copied().unwrap_or((piece_start, piece_start));
                self.next_input += 1;
                self.last = Some(al);
                al
            } else {
                self.last.unwrap_or((piece_start, piece_start))
            };
            emit(ch, al);
        }
        self.pending.drain(..self.ready);
        self.ready = 0;
        if self.next_input == self.inputs.len() {
            self.inputs.clear();
            self.next_input = 0;
        }
    }

    /// Flush everything (end of piece, or before an ASCII char, which is a starter that
    /// decomposes to itself).
    pub fn flush(&mut self, piece_start: u32, emit: &mut impl FnMut(char, Align)) {
        if !self.pending.is_empty() {
            self.sort_pending();
            self.emit_ready(piece_start, emit);
        }
    }

    /// After a flush, the alignment an added (flag 1) char would take next.
    #[cfg(test)]
    pub fn last(&self) -> Option<Align> {
        self.last
    }
}

/// Streaming normalizer for one piece of text (a part of a sequence between added tokens).
pub(crate) struct Normalizer {
    pub cfg: NormConfig,
    pub nfd: Nfd,
    /// Start of the current piece (original char index), for `(0, 0)` alignments.
    pub piece_start: u32,
}

impl Normalizer {
    pub fn new(cfg: NormConfig) -> Self {
        Normalizer { cfg, nfd: Nfd::default(), piece_start: 0 }
    }

    pub fn begin_piece(&mut self, piece_start: u32) {
        self.nfd.reset();
        self.piece_start = piece_start;
    }

    /// Normalize one original char `c` at char index `ci`; normalized chars go to `emit`.
    #[inline]
    pub fn push(&mut self, c: char, ci: u32, emit: &mut impl FnMut(char, Align)) {
        let cfg = self.cfg;
        let mut c = c;
        if cfg.clean_text {
            if c == '\0' || c == '\u{FFFD}' || is_control(c) {
                return;
            }
            if is_whitespace(c) {
                c = ' ';
            }
        }
        let al = (ci, ci + 1);
        if cfg.handle_chinese_chars && is_chinese_char(c) {
            self.stage3(' ', al, emit);
            self.stage3(c, al, emit);
            self.stage3(' ', al, emit);
        } else {
            self.stage3(c, al, emit);
        }
    }

    #[inline]
    fn stage3(&mut self, c: char, al: Align, emit: &mut impl FnMut(char, Align)) {
        let cfg = self.cfg;
        if cfg.strip_accents {
            let piece_start = self.piece_start;
            let mut sink = |ch: char, a: Align| {
                if !is_mark_nonspacing(ch) {
                    lower(cfg.lowercase, ch, a, emit);
                }
            };
            self.nfd.push(c, al, piece_start, &mut sink);
        } else {
            lower(cfg.lowercase, c, al, emit);
        }
    }

    /// End of the piece: flush the NFD buffer.
    pub fn finish(&mut self, emit: &mut impl FnMut(char, Align)) {
        let cfg = self.cfg;
        if cfg.strip_accents {
            let piece_start = self.piece_start;
            let mut sink = |ch: char, a: Align| {
                if !is_mark_nonspacing(ch) {
                    lower(cfg.lowercase, ch, a, emit);
                }
            };
            self.nfd.flush(piece_start, &mut sink);
        }
    }
}

#[inline]
fn lower(lowercase: bool, c: char, al: Align, emit: &mut impl FnMut(char, Align)) {
    if lowercase {
        if c.is_ascii() {
            emit(c.to_ascii_lowercase(), al);
        } else {
            // `NormalizedString::lowercase`: the extra chars of a multi-char lowercase are
            // "added" and take the alignment of the char they come from.
            for l in c.to_lowercase() {
                emit(l, al);
            }
        }
    } else {
        emit(c, al);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::String;
    use alloc::vec::Vec;

    fn run(cfg: NormConfig, s: &str) -> (String, Vec<Align>) {
        let mut n = Normalizer::new(cfg);
        n.begin_piece(0);
        let mut out = String::new();
        let mut al = Vec::new();
        let mut emit = |c: char, a: Align| {
            out.push(c);
            al.push(a);
        };
        for (i, c) in s.chars().enumerate() {
            n.push(c, i as u32, &mut emit);
        }
        n.finish(&mut emit);
        (out, al)
    }

    const UNCASED: NormConfig =
        NormConfig { clean_text: true, handle_chinese_chars: true, strip_accents: true, lowercase: true };

    #[test]
    fn clean_text_removes_controls_and_maps_whitespace() {
        let (s, al) = run(UNCASED, "a\u{0}b\u{FFFD}c\u{200B}d\te\u{0B}f\u{3000}g");
        assert_eq!(s, "abcd ef g");
        assert_eq!(al[3], (6, 7)); // 'd'
        assert_eq!(al[4], (7, 8)); // tab → ' '
    }

    #[test]
    fn cjk_gets_spaces_with_its_alignment() {
        let (s, al) = run(UNCASED, "a中b");
        assert_eq!(s, "a 中 b");
        assert_eq!(&al[1..4], &[(1, 2), (1, 2), (1, 2)]);
        // The typo range of tokenizers: U+2B820 is not isolated, U+2B920 is.
        assert!(!is_chinese_char('\u{2B820}'));
        assert!(is_chinese_char('\u{2B920}'));
    }

    #[test]
    fn strip_accents_and_lowercase() {
        let (s, al) = run(UNCASED, "Café É");
        assert_eq!(s, "cafe e");
        assert_eq!(al, [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5), (5, 6)]);
        let cased = NormConfig { strip_accents: false, lowercase: false, ..UNCASED };
        assert_eq!(run(cased, "Café").0, "Café");
    }

    #[test]
    fn lowercase_expansion_shares_alignment() {
        let cfg = NormConfig { strip_accents: false, ..UNCASED };
        let (s, al) = run(cfg, "İx");
        assert_eq!(s, "i\u{307}x");
        assert_eq!(al, [(0, 1), (0, 1), (1, 2)]);
    }

    #[test]
    fn nfd_reordering_is_positional() {
        // a + U+0301 (ccc 230) + U+0316 (ccc 220): reordered to a, U+0316, U+0301; the
        // alignments stay in input order (positional), as in tokenizers.
        let cfg = NormConfig { strip_accents: true, lowercase: false, clean_text: false, handle_chinese_chars: false };
        let mut n = Normalizer::new(cfg);
        n.begin_piece(0);
        let mut got = Vec::new();
        let mut emit = |c: char, a: Align| got.push((c, a));
        // Feed through NFD directly to see the marks (the normalizer would drop Mn).
        for (i, c) in "a\u{301}\u{316}".chars().enumerate() {
            n.nfd.push(c, (i as u32, i as u32 + 1), 0, &mut emit);
        }
        n.nfd.flush(0, &mut emit);
        assert_eq!(got, [('a', (0, 1)), ('\u{316}', (1, 2)), ('\u{301}', (2, 3))]);
        assert_eq!(n.nfd.last(), Some((2, 3)));
    }

    #[test]
    fn classes_follow_old_tables() {
        assert!(is_other('\u{200B}')); // Cf
        assert!(is_other('\u{E000}')); // Co
        assert!(!is_other('\u{0378}')); // Cn is not "other" for tokenizers
        assert!(!is_other('\u{0890}')); // Cf since Unicode 14, unassigned in tokenizers' tables
        assert!(is_punctuation('\u{2014}'));
        assert!(!is_punctuation('\u{2E52}')); // newer punctuation
        assert!(is_punctuation('\u{166D}')); // Po in Unicode 9, So now
        assert!(is_mark_nonspacing('\u{301}'));
        assert!(is_bert_punc('$') && is_bert_punc('^') && !is_bert_punc('a'));
    }
}
