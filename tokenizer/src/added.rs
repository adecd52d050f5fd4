//! Added (special) tokens, matched on the raw text before normalisation
//! (`tokenizers`' `AddedVocabulary::find_matches` for `normalized: false` tokens): leftmost-longest
//! matching, with the `single_word`, `lstrip` and `rstrip` options.

use alloc::string::String;
use alloc::vec::Vec;

/// One added token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct AddedToken {
    pub content: String,
    pub id: u32,
    pub single_word: bool,
    pub lstrip: bool,
    pub rstrip: bool,
    pub special: bool,
}

/// A split of the raw text: `Some(id)` for an added token, `None` for text to tokenize.
pub(crate) type Split = (Option<u32>, usize, usize);

/// Matcher over all added tokens.
#[derive(Clone, Debug)]
pub(crate) struct AddedTokens {
    pub tokens: Vec<AddedToken>,
    /// Token indices by first byte, longest first.
    by_first: Vec<Vec<u16>>,
    first: [bool; 256],
}

/// Regex `\w` (Unicode): Alphabetic, M*, Nd, Pc, Join_Control.
fn is_word_char(c: char) -> bool {
    use unicode_general_category::{get_general_category, GeneralCategory as G};
    c.is_alphabetic()
        || matches!(
            get_general_category(c),
            G::NonspacingMark
                | G::SpacingMark
                | G::EnclosingMark
                | G::DecimalNumber
                | G::ConnectorPunctuation
        )
        || c == '\u{200C}'
        || c == '\u{200D}'
}

impl AddedTokens {
    pub fn new(tokens: Vec<AddedToken>) -> Self {
        let mut by_first: Vec<Vec<u16>> = (0..256).map(|_| Vec::new()).collect();
        let mut first = [false; 256];
        for (i, t) in tokens.iter().enumerate() {
            if let Some(&b) = t.content.as_bytes().first() {
                by_first[b as usize].push(i as u16);
                first[b as usize] = true;
            }
        }
        for list in &mut by_first {
            list.sort_by_key(|&i| core::cmp::Reverse(tokens[i as usize].content.len()));
        }
        AddedTokens { tokens, by_first, first }
    }

    pub fn is_special_id(&self, id: u32) -> bool {
        self.tokens.iter().any(|t| t.special && t.id == id)
    }

    /// Longest token starting at `pos`.
    #[inline]
    fn longest_at(&self, s: &[u8], pos: usize) -> Option<usize> {
        let list = &self.by_first[s[pos] as usize];
        list.iter().copied().find(|&i| s[pos..].starts_with(self.tokens[i as usize].content.as_bytes())).map(usize::from)
    }

    /// Split `text` into added tokens and the rest, covering the whole text.
    pub fn split(&self, text: &str, out: &mut Vec<Split>) {
        out.clear();
        let s = text.as_bytes();
        if self.tokens.is_empty() {
            out.push((None, 0, s.len()));
            return;
        }
        let mut start_offset = 0;
        let mut pos = 0;
        while pos < s.len() {
            // Skip quickly to the next byte that can start a token.
            match s[pos..].iter().position(|&b| self.first[b as usize]) {
                Some(p) => pos += p,
                None => break,
            }
            let Some(ti) = self.longest_at(s, pos) else {
                pos += 1;
                continue;
            };
            let tok = &self.tokens[ti];
            let (mut start, mut stop) = (pos, pos + tok.content.len());
            pos = stop;
            if tok.single_word {
                let start_space = start == 0 || !text[..start].chars().next_back().is_some_and(is_word_char);
                let stop_space = stop == s.len() || !text[stop..].chars().next().is_some_and(is_word_char);
                if !start_space || !stop_space {
                    continue;
                }
            }
            if tok.lstrip {
                let trimmed = text[..start].trim_end_matches(char::is_whitespace).len();
                start = trimmed.max(start_offset);
            }
            if tok.rstrip {
                // The matcher itself resumes after the token, not after the spaces.
                stop = text.len() - text[stop..].trim_start_matches(char::is_whitespace).len();
            }
            // Only reachable when a token starting with whitespace follows an `rstrip` token:
            // never let splits overlap.
            let start = start.max(start_offset);
            let stop = stop.max(start);
            if start_offset < start {
                out.push((None, start_offset, start));
            }
            out.push((Some(tok.id), start, stop));
            start_offset = stop;
        }
        if start_offset != s.len() {
            out.push((None, start_offset, s.len()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn tok(content: &str, id: u32) -> AddedToken {
        AddedToken { content: content.into(), id, single_word: false, lstrip: false, rstrip: false, special: true }
    }

    #[test]
    fn leftmost_longest_on_raw_text() {
        let a = AddedTokens::new(vec![tok("[MASK]", 1), tok("[MASK]]", 2), tok("[SEP]", 3)]);
        let mut out = Vec::new();
        a.split("a [MASK]] b[SEP][mask]", &mut out);
        assert_eq!(out, vec![(None, 0, 2), (Some(2), 2, 9), (None, 9, 11), (Some(3), 11, 16), (None, 16, 22)]);
    }

    #[test]
    fn strip_and_single_word() {
        let mut t = tok("<m>", 7);
        t.lstrip = true;
        t.rstrip = true;
        let a = AddedTokens::new(vec![t]);
        let mut out = Vec::new();
        a.split("x  <m>  y", &mut out);
        assert_eq!(out, vec![(None, 0, 1), (Some(7), 1, 8), (None, 8, 9)]);
        let mut t = tok("ab", 8);
        t.single_word = true;
        let a = AddedTokens::new(vec![t]);
        a.split("ab xab ab", &mut out);
        assert_eq!(out, vec![(Some(8), 0, 2), (None, 2, 7), (Some(8), 7, 9)]);
    }
}
