//! WordPiece model (greedy longest-match-first, `tokenizers`' `models/wordpiece`) and decoder.
//!
//! The vocabulary is one string arena plus a `hashbrown::HashTable<u32>` of ids hashed with a
//! fixed-seed foldhash, so a lookup hashes the candidate `&[u8]` slice in place: no allocation,
//! no `String` keys. Candidate ends are capped at the longest vocabulary entry, which gives the
//! same result as trying every end (longer candidates can never match).

use crate::normalize::Align;
use crate::Error;
use alloc::string::String;
use alloc::vec::Vec;
use core::hash::BuildHasher;
use foldhash::fast::FixedState;
use hashbrown::HashTable;

/// Token produced by the model: id and original char offsets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Tok {
    pub id: u32,
    pub start: u32,
    pub end: u32,
}

const NO_TOKEN: (u32, u32) = (u32::MAX, 0);

/// Token ⇄ id table.
pub(crate) struct Vocab {
    arena: String,
    /// Per id: (offset, len) in `arena`, or `NO_TOKEN` for an id with no token.
    spans: Vec<(u32, u32)>,
    table: HashTable<u32>,
    hasher: FixedState,
    /// Longest entry in bytes.
    pub max_len: usize,
    count: usize,
}

impl Vocab {
    /// Build from (token, id) pairs. Duplicate tokens or duplicate ids are errors.
    pub fn new(entries: impl IntoIterator<Item = (String, u32)>, line_numbers: bool) -> Result<Self, Error> {
        let mut v = Vocab {
            arena: String::new(),
            spans: Vec::new(),
            table: HashTable::new(),
            hasher: FixedState::with_seed(0x5EED_E1EC_7A00_0001),
            max_len: 0,
            count: 0,
        };
        for (index, (token, id)) in entries.into_iter().enumerate() {
            v.insert(&token, id).map_err(|e| match e {
                InsertError::DuplicateToken(prev) if line_numbers => Error::DuplicateVocabToken {
                    line: index + 1,
                    token: token.clone(),
                    first_id: prev,
                },
                InsertError::DuplicateToken(prev) => Error::DuplicateVocabToken {
                    line: 0,
                    token: token.clone(),
                    first_id: prev,
                },
                InsertError::DuplicateId => Error::DuplicateVocabId { id, token: token.clone() },
                InsertError::TooLarge => Error::VocabTooLarge,
            })?;
        }
        if v.count == 0 {
            return Err(Error::EmptyVocab);
        }
        Ok(v)
    }

    fn insert(&mut self, token: &str, id: u32) -> Result<(), InsertError> {
        if id >= MAX_ID || self.arena.len() + token.len() >= u32::MAX as usize {
            return Err(InsertError::TooLarge);
        }
        if let Some(prev) = self.get(token.as_bytes()) {
            return Err(InsertError::DuplicateToken(prev));
        }
        let idx = id as usize;
        if idx >= self.spans.len() {
            self.spans.resize(idx + 1, NO_TOKEN);
        }
        if self.spans[idx] != NO_TOKEN {
            return Err(InsertError::DuplicateId);
        }
        self.spans[idx] = (self.arena.len() as u32, token.len() as u32);
        self.arena.push_str(token);
        let hash = self.hasher.hash_one(token.as_bytes());
        let (arena, spans, hasher) = (&self.arena, &self.spans, &self.hasher);
        self.table.insert_unique(hash, id, |&i| hasher.hash_one(slice(arena, spans, i)));
        self.max_len = self.max_len.max(token.len());
        self.count += 1;
        Ok(())
    }

    /// Id of an exact byte string.
    #[inline]
    pub fn get(&self, key: &[u8]) -> Option<u32> {
        let hash = self.hasher.hash_one(key);
        self.table.find(hash, |&i| slice(&self.arena, &self.spans, i) == key).copied()
    }

    pub fn token(&self, id: u32) -> Option<&str> {
        let &(off, len) = self.spans.get(id as usize)?;
        if (off, len) == NO_TOKEN {
            return None;
        }
        self.arena.get(off as usize..off as usize + len as usize)
    }

    /// Max id + 1.
    pub fn id_bound(&self) -> usize {
        self.spans.len()
    }

    /// Add a token if it is not present yet (added tokens from tokenizer.json).
    pub fn ensure(&mut self, token: &str, id: u32) -> Result<(), Error> {
        match self.get(token.as_bytes()) {
            Some(existing) if existing == id => Ok(()),
            Some(existing) => Err(Error::AddedTokenIdMismatch { token: token.into(), id, vocab_id: existing }),
            None => self.insert(token, id).map_err(|e| match e {
                InsertError::DuplicateId => Error::DuplicateVocabId { id, token: token.into() },
                _ => Error::VocabTooLarge,
            }),
        }
    }
}

/// Largest accepted id (keeps a hostile tokenizer.json from allocating gigabytes).
const MAX_ID: u32 = 1 << 24;

enum InsertError {
    DuplicateToken(u32),
    DuplicateId,
    TooLarge,
}

#[inline]
fn slice<'a>(arena: &'a str, spans: &[(u32, u32)], id: u32) -> &'a [u8] {
    match spans.get(id as usize) {
        Some(&(off, len)) if (off, len) != NO_TOKEN => {
            arena.as_bytes().get(off as usize..off as usize + len as usize).unwrap_or(&[])
        }
        _ => &[],
    }
}

/// The WordPiece model.
pub(crate) struct WordPiece {
    pub vocab: Vocab,
    pub unk_id: u32,
    pub prefix: String,
    pub max_input_chars_per_word: usize,
}

/// One pre-token (word) being built, in normalized form, with its alignments.
///
/// Layout: `bytes[..headroom]` is scratch space for the continuing-subword prefix, the word
/// follows. While every byte came from the ASCII fast path one-to-one and contiguously
/// (`simple`), alignments are implicit (`start_ci + byte index`); otherwise `align` holds the
/// alignment of every word byte.
pub(crate) struct WordBuf {
    pub bytes: Vec<u8>,
    pub align: Vec<Align>,
    pub simple: bool,
    pub start_ci: u32,
    pub nchars: usize,
    headroom: usize,
}

impl WordBuf {
    pub fn new(headroom: usize) -> Self {
        let mut bytes = Vec::with_capacity(64 + headroom);
        bytes.resize(headroom, 0);
        WordBuf { bytes, align: Vec::new(), simple: true, start_ci: 0, nchars: 0, headroom }
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.nchars == 0
    }

    #[inline]
    pub fn len(&self) -> usize {
        self.bytes.len() - self.headroom
    }

    #[inline]
    pub fn clear(&mut self) {
        self.bytes.truncate(self.headroom);
        self.align.clear();
        self.simple = true;
        self.nchars = 0;
    }

    fn materialize(&mut self) {
        if self.simple {
            self.simple = false;
            let n = self.len() as u32;
            let s = self.start_ci;
            self.align.extend((0..n).map(|j| (s + j, s + j + 1)));
        }
    }

    /// Push an ASCII byte coming one-to-one from original char `ci`.
    #[inline]
    pub fn push_ascii(&mut self, b: u8, ci: u32) {
        if self.simple {
            if self.nchars == 0 {
                self.start_ci = ci;
            } else if self.start_ci + self.len() as u32 != ci {
                self.materialize();
                self.align.push((ci, ci + 1));
            }
        } else {
            self.align.push((ci, ci + 1));
        }
        self.bytes.push(b);
        self.nchars += 1;
    }

    /// Push a run of ASCII bytes (mapped through `lower`) coming one-to-one from original chars
    /// `ci..ci + run.len()`.
    #[inline]
    pub fn push_ascii_run(&mut self, run: &[u8], lower: &[u8; 128], ci: u32) {
        if self.simple && (self.nchars == 0 || self.start_ci + self.len() as u32 == ci) {
            if self.nchars == 0 {
                self.start_ci = ci;
            }
            self.bytes.extend(run.iter().map(|&b| lower[(b & 0x7F) as usize]));
            self.nchars += run.len();
        } else {
            for (k, &b) in run.iter().enumerate() {
                self.push_ascii(lower[(b & 0x7F) as usize], ci + k as u32);
            }
        }
    }

    /// Push any normalized char with its alignment.
    #[inline]
    pub fn push_char(&mut self, c: char, al: Align) {
        if c.is_ascii() && al.1 == al.0 + 1 {
            return self.push_ascii(c as u8, al.0);
        }
        self.materialize();
        let mut tmp = [0u8; 4];
        let s = c.encode_utf8(&mut tmp);
        self.bytes.extend_from_slice(s.as_bytes());
        for _ in 0..s.len() {
            self.align.push(al);
        }
        self.nchars += 1;
    }

    /// Original char offsets of word bytes `[s, e)` (`tokenizers`' `expand_alignments`).
    #[inline]
    fn offsets(&self, s: usize, e: usize) -> (u32, u32) {
        if self.simple {
            (self.start_ci + s as u32, self.start_ci + e as u32)
        } else {
            let a = self.align.get(s).map_or(0, |a| a.0);
            let b = self.align.get(e.wrapping_sub(1)).map_or(a, |a| a.1);
            (a, b)
        }
    }
}

#[inline]
fn is_boundary(word: &[u8], i: usize) -> bool {
    match word.get(i) {
        Some(&b) => (b & 0xC0) != 0x80,
        None => true,
    }
}

impl WordPiece {
    /// Tokenize the word in `w` (its prefix headroom is used as scratch), appending to `out`.
    pub fn tokenize(&self, w: &mut WordBuf, scratch: &mut Vec<(u32, u32, u32)>, out: &mut Vec<Tok>) {
        if w.is_empty() {
            return;
        }
        let len = w.len();
        if w.nchars > self.max_input_chars_per_word {
            let (s, e) = w.offsets(0, len);
            out.push(Tok { id: self.unk_id, start: s, end: e });
            return;
        }
        let p = self.prefix.len();
        let max_first = self.vocab.max_len;
        let max_cont = max_first.saturating_sub(p);
        scratch.clear();
        let mut start = 0usize;
        let mut bad = false;
        while start < len {
            let cap = if start == 0 { max_first } else { max_cont };
            let mut end = len.min(start.saturating_add(cap));
            {
                let word = &w.bytes[p..];
                while end > start && !is_boundary(word, end) {
                    end -= 1;
                }
            }
            if start > 0 {
                // Bytes before `start` are consumed: write the prefix just before the candidate.
                w.bytes[start..start + p].copy_from_slice(self.prefix.as_bytes());
            }
            let mut found = None;
            while end > start {
                let key = if start == 0 { &w.bytes[p..p + end] } else { &w.bytes[start..p + end] };
                if let Some(id) = self.vocab.get(key) {
                    found = Some(id);
                    break;
                }
                end -= 1;
                let word = &w.bytes[p..];
                while end > start && !is_boundary(word, end) {
                    end -= 1;
                }
            }
            match found {
                Some(id) => {
                    scratch.push((id, start as u32, end as u32));
                    start = end;
                }
                None => {
                    bad = true;
                    break;
                }
            }
        }
        if bad {
            let (s, e) = w.offsets(0, len);
            out.push(Tok { id: self.unk_id, start: s, end: e });
        } else {
            for &(id, s, e) in scratch.iter() {
                let (a, b) = w.offsets(s as usize, e as usize);
                out.push(Tok { id, start: a, end: b });
            }
        }
    }
}

/// `tokenizers`' `decoders::wordpiece::cleanup`.
pub(crate) fn cleanup(s: &str) -> String {
    const PAIRS: [(&str, &str); 11] = [
        (" .", "."),
        (" ?", "?"),
        (" !", "!"),
        (" ,", ","),
        (" ' ", "'"),
        (" n't", "n't"),
        (" 'm", "'m"),
        (" do not", " don't"),
        (" 's", "'s"),
        (" 've", "'ve"),
        (" 're", "'re"),
    ];
    let mut cur = String::from(s);
    for (from, to) in PAIRS {
        if cur.contains(from) {
            cur = cur.replace(from, to);
        }
    }
    cur
}

/// WordPiece decoder settings (`decoder` of tokenizer.json).
#[derive(Clone, Debug)]
pub(crate) enum Decoder {
    WordPiece { prefix: String, cleanup: bool },
    /// No decoder: tokens joined with spaces.
    Join,
}

impl Decoder {
    pub fn decode<'a>(&self, tokens: impl Iterator<Item = &'a str>) -> String {
        let mut out = String::new();
        match self {
            Decoder::Join => {
                for (i, t) in tokens.enumerate() {
                    if i != 0 {
                        out.push(' ');
                    }
                    out.push_str(t);
                }
            }
            Decoder::WordPiece { prefix, cleanup: clean } => {
                let mut piece = String::new();
                for (i, t) in tokens.enumerate() {
                    piece.clear();
                    if i != 0 {
                        match t.strip_prefix(prefix.as_str()) {
                            Some(rest) => piece.push_str(rest),
                            None => {
                                piece.push(' ');
                                piece.push_str(t);
                            }
                        }
                    } else {
                        piece.push_str(t);
                    }
                    if *clean {
                        out.push_str(&cleanup(&piece));
                    } else {
                        out.push_str(&piece);
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use alloc::vec;

    fn model(tokens: &[&str]) -> WordPiece {
        let vocab = Vocab::new(tokens.iter().enumerate().map(|(i, t)| (t.to_string(), i as u32)), true).unwrap();
        let unk_id = vocab.get(b"[UNK]").unwrap();
        WordPiece { vocab, unk_id, prefix: "##".into(), max_input_chars_per_word: 100 }
    }

    fn run(m: &WordPiece, word: &str) -> Vec<Tok> {
        let mut w = WordBuf::new(m.prefix.len());
        for (i, c) in word.chars().enumerate() {
            w.push_char(c, (i as u32, i as u32 + 1));
        }
        let mut out = Vec::new();
        m.tokenize(&mut w, &mut Vec::new(), &mut out);
        out
    }

    #[test]
    fn greedy_longest_match_first() {
        let m = model(&["[UNK]", "un", "##aff", "##able", "una", "##ff"]);
        let t = run(&m, "unaffable");
        assert_eq!(t.iter().map(|t| t.id).collect::<Vec<_>>(), vec![4, 5, 3]);
        assert_eq!(t.iter().map(|t| (t.start, t.end)).collect::<Vec<_>>(), vec![(0, 3), (3, 5), (5, 9)]);
    }

    #[test]
    fn unknown_piece_makes_whole_word_unk() {
        let m = model(&["[UNK]", "un", "##aff"]);
        assert_eq!(run(&m, "unaffx"), vec![Tok { id: 0, start: 0, end: 6 }]);
    }

    #[test]
    fn too_long_word_is_unk() {
        let mut m = model(&["[UNK]", "a", "##a"]);
        m.max_input_chars_per_word = 3;
        assert_eq!(run(&m, "aaa").len(), 3);
        assert_eq!(run(&m, "aaaa"), vec![Tok { id: 0, start: 0, end: 4 }]);
    }

    #[test]
    fn multibyte_chars_and_char_offsets() {
        let m = model(&["[UNK]", "é", "##日", "##x"]);
        let t = run(&m, "é日x");
        assert_eq!(t.iter().map(|t| (t.id, t.start, t.end)).collect::<Vec<_>>(), vec![(1, 0, 1), (2, 1, 2), (3, 2, 3)]);
    }

    #[test]
    fn vocab_rejects_duplicates() {
        let e = Vocab::new(vec![("a".to_string(), 0), ("a".to_string(), 1)], true);
        assert!(matches!(e, Err(Error::DuplicateVocabToken { line: 2, .. })));
        assert!(matches!(Vocab::new(Vec::new(), true), Err(Error::EmptyVocab)));
    }

    #[test]
    fn decoder_glues_and_cleans() {
        let d = Decoder::WordPiece { prefix: "##".into(), cleanup: true };
        // Cleanup runs per token, as in tokenizers, so " do not" across two tokens stays.
        assert_eq!(d.decode(["hello", "##s", "world", ",", "do", "not", "!"].into_iter()), "hellos world, do not!");
        assert_eq!(d.decode(["##a", "b"].into_iter()), "##a b");
        assert_eq!(Decoder::Join.decode(["a", "##b"].into_iter()), "a ##b");
    }
}
