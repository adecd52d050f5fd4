//! The JSON Lines helper: round trip and errors.
#![cfg(feature = "std")]

mod common;

use electra_tokenizer::jsonl::{tokenize_jsonl, JsonlError};
use electra_tokenizer::{EncodeOptions, Options, Tokenizer};

fn tok() -> Tokenizer {
    Tokenizer::from_vocab_txt(common::VOCAB, Options::default()).unwrap()
}

#[derive(serde::Deserialize)]
struct Row {
    input_ids: Vec<u32>,
    token_type_ids: Vec<u32>,
    attention_mask: Vec<u32>,
    offsets: Vec<(usize, usize)>,
}

#[test]
fn round_trip_singles_and_pairs() {
    let t = tok();
    let texts = ["Hello, World!", "naïve café [MASK] 東京", "", "a \"quoted\" \\ line\twith tab"];
    let mut input = String::new();
    for (i, s) in texts.iter().enumerate() {
        if i % 2 == 0 {
            input.push_str(&serde_json::to_string(s).unwrap());
        } else {
            input.push_str(&serde_json::to_string(&[s, &texts[0]]).unwrap());
        }
        input.push('\n');
    }
    input.push_str("\n   \n"); // blank lines are skipped
    let opts = EncodeOptions { pad_to: Some(24), ..EncodeOptions::default() };
    let mut out = Vec::new();
    tokenize_jsonl(&t, input.as_bytes(), &mut out, &opts).unwrap();
    let out = String::from_utf8(out).unwrap();
    let rows: Vec<Row> = out.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(rows.len(), texts.len());
    for (i, (row, s)) in rows.iter().zip(texts).enumerate() {
        let e = if i % 2 == 0 { t.encode(s, &opts) } else { t.encode_pair(s, texts[0], &opts) }.unwrap();
        assert_eq!(row.input_ids, e.input_ids);
        assert_eq!(row.token_type_ids, e.token_type_ids);
        assert_eq!(row.attention_mask, e.attention_mask);
        assert_eq!(row.offsets, e.offsets);
    }
}

#[test]
fn bad_line_names_the_line() {
    let t = tok();
    let input = "\"fine\"\n[\"pair\", \"ok\"]\n{\"text\": 1}\n\"never reached\"\n";
    let err = tokenize_jsonl(&t, input.as_bytes(), Vec::new(), &EncodeOptions::default()).unwrap_err();
    match &err {
        JsonlError::BadLine { line, .. } => assert_eq!(*line, 3),
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().starts_with("line 3:"), "{err}");
    for bad in ["[1, 2]", "[\"a\"]", "[\"a\", \"b\", \"c\"]", "nul", "\"unterminated"] {
        let e = tokenize_jsonl(&t, bad.as_bytes(), Vec::new(), &EncodeOptions::default()).unwrap_err();
        assert!(matches!(e, JsonlError::BadLine { line: 1, .. }), "{bad}: {e:?}");
    }
    // Invalid UTF-8 is a bad line, not an I/O failure.
    let e = tokenize_jsonl(&t, &b"\"ok\"\n\"\xff\"\n"[..], Vec::new(), &EncodeOptions::default()).unwrap_err();
    assert!(matches!(e, JsonlError::BadLine { line: 2, .. }), "{e:?}");
    // An encoding failure names its line too.
    let opts = EncodeOptions {
        max_length: Some(4),
        truncation: electra_tokenizer::Truncation::OnlySecond,
        ..EncodeOptions::default()
    };
    let e = tokenize_jsonl(&t, "\"a b c d e f\"\n".as_bytes(), Vec::new(), &opts).unwrap_err();
    assert!(matches!(e, JsonlError::Encode { line: 1, .. }), "{e:?}");
}
