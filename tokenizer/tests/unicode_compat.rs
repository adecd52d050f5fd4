//! Our character classes (maintained tables + src/compat_tables.rs) against the exact tables
//! `tokenizers` uses, for every code point.

use electra_tokenizer::normalize;
use unicode_categories::UnicodeCategories;

fn all_chars() -> impl Iterator<Item = char> {
    (0u32..=0x10FFFF).filter_map(char::from_u32)
}

#[test]
fn categories_equal_tokenizers_tables() {
    for c in all_chars() {
        assert_eq!(normalize::is_other(c), c.is_other(), "is_other {c:?} U+{:04X}", c as u32);
        assert_eq!(normalize::is_punctuation(c), c.is_punctuation(), "is_punctuation U+{:04X}", c as u32);
        assert_eq!(normalize::is_mark_nonspacing(c), c.is_mark_nonspacing(), "Mn U+{:04X}", c as u32);
        assert_eq!(
            normalize::is_bert_punc(c),
            c.is_ascii_punctuation() || c.is_punctuation(),
            "bert punc U+{:04X}",
            c as u32
        );
    }
}

#[test]
fn nfd_equals_tokenizers_tables() {
    for c in all_chars() {
        let mut ours = Vec::new();
        normalize::decompose(c, |d| ours.push(d));
        let mut old = Vec::new();
        unicode_normalization_alignments::char::decompose_canonical(c, |d| old.push(d));
        assert_eq!(ours, old, "decomposition of U+{:04X}", c as u32);
        assert_eq!(
            normalize::combining_class(c),
            unicode_normalization_alignments::char::canonical_combining_class(c),
            "ccc of U+{:04X}",
            c as u32
        );
    }
}

#[test]
fn chinese_ranges_are_the_tokenizers_ones() {
    let n = all_chars().filter(|&c| normalize::is_chinese_char(c)).count();
    // 0x4E00..=0x9FFF, 0x3400..=0x4DBF, 0x20000..=0x2A6DF, 0x2A700..=0x2B73F, 0x2B740..=0x2B81F,
    // 0x2B920..=0x2CEAF, 0xF900..=0xFAFF, 0x2F800..=0x2FA1F
    let expect = 0x5200 + 0x19C0 + 0xA6E0 + 0x1040 + 0xE0 + 0x1590 + 0x200 + 0x220;
    assert_eq!(n, expect);
}
