//! Deterministic generated corpus (no external data): English-like prose built from the vocab
//! plus every class of code point that matters to a BERT tokenizer. Shared by the oracle tests
//! and the throughput bench (`#[path]`-included).
#![allow(dead_code, clippy::explicit_auto_deref)]

/// SplitMix64: tiny, deterministic, good enough for test data.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    /// A char from an inclusive code point range (surrogates skipped).
    pub fn char_in(&mut self, lo: u32, hi: u32) -> char {
        loop {
            let cp = lo + (self.next_u64() % u64::from(hi - lo + 1)) as u32;
            if let Some(c) = char::from_u32(cp) {
                return c;
            }
        }
    }
}

/// Words of the vocab that are plain words (no `##`, no `[..]`), for prose.
pub fn vocab_words(vocab_txt: &str) -> (Vec<String>, Vec<String>) {
    let mut words = Vec::new();
    let mut pieces = Vec::new();
    for l in vocab_txt.lines() {
        if let Some(p) = l.strip_prefix("##") {
            pieces.push(p.to_string());
        } else if !l.starts_with('[') && l.chars().all(|c| c.is_alphanumeric()) {
            words.push(l.to_string());
        }
    }
    (words, pieces)
}

/// Every CJK range of spec 7.2 plus the range `tokenizers` gets wrong (0x2B820..0x2B91F).
pub const CJK_RANGES: &[(u32, u32)] = &[
    (0x4E00, 0x9FFF),
    (0x3400, 0x4DBF),
    (0x20000, 0x2A6DF),
    (0x2A700, 0x2B73F),
    (0x2B740, 0x2B81F),
    (0x2B820, 0x2B91F),
    (0x2B920, 0x2CEAF),
    (0xF900, 0xFAFF),
    (0x2F800, 0x2FA1F),
];

/// Every White_Space char, plus the C0 separators Python calls whitespace and some lookalikes.
pub const SPACES: &[char] = &[
    ' ', '\t', '\n', '\r', '\u{0B}', '\u{0C}', '\u{1C}', '\u{1D}', '\u{1E}', '\u{1F}', '\u{85}', '\u{A0}',
    '\u{1680}', '\u{2000}', '\u{2001}', '\u{2002}', '\u{2003}', '\u{2004}', '\u{2005}', '\u{2006}',
    '\u{2007}', '\u{2008}', '\u{2009}', '\u{200A}', '\u{2028}', '\u{2029}', '\u{202F}', '\u{205F}',
    '\u{3000}', '\u{180E}', '\u{200B}', '\u{FEFF}',
];

pub const PUNCT: &[char] = &[
    '!', '"', '#', '$', '%', '&', '\'', '(', ')', '*', '+', ',', '-', '.', '/', ':', ';', '<', '=', '>',
    '?', '@', '[', '\\', ']', '^', '_', '`', '{', '|', '}', '~', '¡', '§', '«', '»', '¿', '·', '‐', '–',
    '—', '‘', '’', '“', '”', '…', '‰', '′', '″', '‹', '›', '※', '⁅', '⁆', '、', '。', '「', '」', '『',
    '』', '【', '】', '〜', '・', '！', '，', '．', '：', '；', '？', '＂', '｛', '｝', '\u{061D}',
    '\u{09FD}', '\u{0A76}', '\u{0C77}', '\u{0C84}', '\u{1B7D}', '\u{2E43}', '\u{2E4F}', '\u{2E52}',
    '\u{2E5D}', '\u{166D}', '\u{111C9}', '\u{1734}', '\u{055A}', '\u{05BE}', '\u{0F14}', '\u{2E3A}',
    '€', '£', '¥', '©', '®', '°', '±', '×', '÷', '√', '∞', '≈', '≠', '≤', '≥', '♥', '★',
];

pub const CONTROLS: &[char] = &[
    '\u{0}', '\u{1}', '\u{7}', '\u{8}', '\u{1B}', '\u{7F}', '\u{80}', '\u{9F}', '\u{AD}', '\u{600}',
    '\u{61C}', '\u{6DD}', '\u{70F}', '\u{200C}', '\u{200D}', '\u{200E}', '\u{200F}', '\u{202A}',
    '\u{202E}', '\u{2060}', '\u{2066}', '\u{2069}', '\u{FFF9}', '\u{FFFB}', '\u{FFFD}', '\u{110BD}',
    '\u{1BCA0}', '\u{1D173}', '\u{E0001}', '\u{E0020}', '\u{E007F}', '\u{0890}', '\u{0891}', '\u{08E2}',
    '\u{110CD}', '\u{13430}', '\u{13438}', '\u{E000}', '\u{E123}', '\u{F8FF}', '\u{F0000}', '\u{10FFFD}',
    '\u{FFFE}', '\u{FFFF}', '\u{E0000}',
];

pub const COMBINING: &[(u32, u32)] = &[
    (0x0300, 0x036F),
    (0x0483, 0x0489),
    (0x0591, 0x05C7),
    (0x0610, 0x061A),
    (0x064B, 0x065F),
    (0x0900, 0x0903),
    (0x093A, 0x094F),
    (0x0E31, 0x0E3A),
    (0x0F71, 0x0F84),
    (0x1AB0, 0x1ACE),
    (0x1DC0, 0x1DFF),
    (0x20D0, 0x20F0),
    (0x302A, 0x302F),
    (0x3099, 0x309A),
    (0xFE20, 0xFE2F),
    (0x1D165, 0x1D169),
    (0x1E000, 0x1E02A),
    (0x11F00, 0x11F42),
];

pub const SCRIPTS: &[(u32, u32)] = &[
    (0x0041, 0x007A),
    (0x00C0, 0x024F),
    (0x0370, 0x03FF),
    (0x0400, 0x04FF),
    (0x0530, 0x058F),
    (0x05D0, 0x05EA),
    (0x0620, 0x064A),
    (0x0900, 0x097F),
    (0x0E01, 0x0E5B),
    (0x10A0, 0x10FF),
    (0x1100, 0x11FF),
    (0x1E00, 0x1EFF),
    (0x3040, 0x30FF),
    (0xAC00, 0xD7A3),
    (0xFF01, 0xFF5E),
    (0x1D400, 0x1D7FF),
    (0x10400, 0x1044F),
];

pub const EMOJI: &[&str] = &[
    "😀", "👍🏽", "👨‍👩‍👧‍👦", "🏳️‍🌈", "❤️", "🇫🇷", "🧑🏿‍💻", "1️⃣", "©️", "🫠", "🦀", "👩‍❤️‍💋‍👨",
];

pub const SPECIAL_BITS: &[&str] =
    &["[CLS]", "[SEP]", "[MASK]", "[PAD]", "[UNK]", "[mask]", "[MASK", "MASK]", "[[MASK]]", "[SEP][SEP]", "x[MASK]y"];

pub const TRICKY: &[&str] = &[
    "İstanbul", "ΟΔΟΣ", "Straße", "ﬁne", "Å", "Å", "e\u{301}", "cafe\u{301}", "naïve", "ǅ", "Ǆ", "ẞ",
    "K", "Ω", "ᾼ", "ΐ", "\u{0344}", "a\u{0F73}\u{0F75}\u{0F81}", "a\u{301}\u{316}\u{327}", "\u{301}abc",
    "\u{0F73}x", "ก\u{0E49}\u{0E33}", "한국어", "ｆｕｌｌｗｉｄｔｈ", "𝐁𝐨𝐥𝐝", "Ⅻ", "½", "x²", "١٢٣",
    "don't", "U.S.A.", "e-mail", "3.14159", "1,000,000", "#hashtag", "@user", "http://ex.com/a?b=c",
];

fn cjk(r: &mut Rng) -> char {
    let &(lo, hi) = r.pick(CJK_RANGES);
    r.char_in(lo, hi)
}

fn word(r: &mut Rng, words: &[String], pieces: &[String]) -> String {
    let mut w = r.pick(words).clone();
    if r.chance(15) {
        w.push_str(r.pick(pieces).as_str());
    }
    match r.below(10) {
        0 => w = w.to_uppercase(),
        1 | 2 => {
            let mut c = w.chars();
            if let Some(f) = c.next() {
                w = f.to_uppercase().chain(c).collect();
            }
        }
        _ => {}
    }
    w
}

/// English-like prose from vocab words, with realistic punctuation and the odd curly quote.
pub fn prose(r: &mut Rng, words: &[String], pieces: &[String], n_words: usize) -> String {
    let mut s = String::new();
    for i in 0..n_words {
        if i > 0 {
            s.push(' ');
        }
        if r.chance(3) {
            s.push(*r.pick(&['"', '(', '“', '\'']));
        }
        if r.chance(4) {
            s.push_str(&r.below(100_000).to_string());
        } else {
            s.push_str(&word(r, words, pieces));
        }
        if r.chance(12) {
            s.push_str(*r.pick(&[",", ".", ";", ":", "!", "?", "'s", "n't", ")", "”", "...", " —", "-"]));
        }
    }
    s
}

/// One piece of "stress" text of a random class.
pub fn stress_piece(r: &mut Rng, words: &[String], pieces: &[String]) -> String {
    let mut s = String::new();
    match r.below(16) {
        0 => s.push(*r.pick(CONTROLS)),
        1 => s.push(*r.pick(SPACES)),
        2 => s.push(*r.pick(PUNCT)),
        3 => {
            for _ in 0..1 + r.below(4) {
                s.push(cjk(r));
            }
        }
        4 => s.push_str(*r.pick(EMOJI)),
        5 => {
            // letters with a random stack of combining marks (exercises NFD reordering)
            let &(lo, hi) = r.pick(SCRIPTS);
            s.push(r.char_in(lo, hi));
            for _ in 0..r.below(4) {
                let &(lo, hi) = r.pick(COMBINING);
                s.push(r.char_in(lo, hi));
            }
        }
        6 => {
            let &(lo, hi) = r.pick(SCRIPTS);
            for _ in 0..1 + r.below(8) {
                s.push(r.char_in(lo, hi));
            }
        }
        7 => s.push(r.char_in(0x80, 0x10FFFF)),
        8 => s.push(r.char_in(0x80, 0x2FFFF)),
        9 => s.push_str(*r.pick(SPECIAL_BITS)),
        10 => s.push_str(*r.pick(TRICKY)),
        11 => {
            // long words: over and under max_input_chars_per_word
            let n = *r.pick(&[99usize, 100, 101, 150, 250]);
            let base = r.pick(words).clone();
            while s.chars().count() < n {
                s.push_str(&base);
            }
            let cut: String = s.chars().take(n).collect();
            s = cut;
        }
        12 => s.push_str(&r.below(1_000_000_000).to_string()),
        13 => s.push(r.char_in(0xE0000, 0x10FFFF)),
        _ => s.push_str(&word(r, words, pieces)),
    }
    s
}

/// A text mixing prose and stress pieces; `len` pieces.
pub fn mixed_text(r: &mut Rng, words: &[String], pieces: &[String], len: usize) -> String {
    let mut s = String::new();
    for _ in 0..len {
        if r.chance(50) {
            s.push_str(&{ let n = 1 + r.below(4); prose(r, words, pieces, n) });
        } else {
            s.push_str(&stress_piece(r, words, pieces));
        }
        if r.chance(60) {
            s.push(' ');
        }
    }
    s
}

/// The unicode stress text used by the bench.
pub fn stress_text(r: &mut Rng, words: &[String], pieces: &[String], bytes: usize) -> String {
    let mut s = String::new();
    while s.len() < bytes {
        s.push_str(&stress_piece(r, words, pieces));
        s.push(' ');
    }
    s
}
