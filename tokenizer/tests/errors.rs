//! Loading and encoding never panic: every failure is an `Error` with a message.

mod common;

use common::corpus::Rng;
use electra_tokenizer::{EncodeOptions, Error, Options, Tokenizer, Truncation};

#[test]
fn vocab_errors() {
    assert_eq!(Tokenizer::from_vocab_txt("", Options::default()).unwrap_err(), Error::EmptyVocab);
    let e = Tokenizer::from_vocab_txt("[PAD]\n[UNK]\na\nb\na\n", Options::default()).unwrap_err();
    assert!(matches!(&e, Error::DuplicateVocabToken { line: 5, token, first_id: 2 } if token == "a"), "{e:?}");
    assert!(e.to_string().contains("line 5"));
    let e = Tokenizer::from_vocab_txt("[PAD]\n[UNK]\n[CLS]\n[SEP]\n", Options::default()).unwrap_err();
    assert!(matches!(&e, Error::MissingSpecialToken { role: "mask_token", .. }), "{e:?}");
    let opts = Options { unk_token: "<unk>".into(), ..Options::default() };
    let e = Tokenizer::from_vocab_txt(common::VOCAB, opts).unwrap_err();
    assert!(matches!(&e, Error::MissingSpecialToken { role: "unk_token", .. }), "{e:?}");
    // CRLF vocab files load like LF ones.
    let crlf = common::VOCAB.replace('\n', "\r\n");
    let a = Tokenizer::from_vocab_txt(&crlf, Options::default()).unwrap();
    assert_eq!(a.vocab_size(), 30522);
    assert_eq!(a.token_to_id("[MASK]"), Some(103));
    assert_eq!(a.id_to_token(2003), Some("is"));
}

#[test]
fn truncation_errors() {
    let t = Tokenizer::from_vocab_txt(common::VOCAB, Options::default()).unwrap();
    let long = "one two three four five six seven eight";
    let e = t.encode_pair("a b c d e f g h", "x", &EncodeOptions { max_length: Some(6), truncation: Truncation::OnlySecond, ..Default::default() });
    assert!(matches!(e, Err(Error::SequenceTooShort { len: 1, .. })), "{e:?}");
    let e = t.encode(long, &EncodeOptions { max_length: Some(6), truncation: Truncation::OnlySecond, ..Default::default() });
    assert_eq!(e, Err(Error::SecondSequenceNotProvided));
    let e = t.encode(long, &EncodeOptions { max_length: Some(1), ..Default::default() });
    assert!(matches!(e, Err(Error::MaxLengthTooSmall { max_length: 1, special_tokens: 2 })), "{e:?}");
    let e = t.encode(long, &EncodeOptions { max_length: Some(6), stride: 5, ..Default::default() });
    assert!(matches!(e, Err(Error::StrideTooLarge { .. })), "{e:?}");
    // stride == room passes the up-front check but cannot make windows: error, not panic.
    let e = t.encode(long, &EncodeOptions { max_length: Some(6), stride: 4, ..Default::default() });
    assert!(matches!(e, Err(Error::StrideTooLarge { stride: 4, max_len: 4 })), "{e:?}");
    for e in [Error::EmptyVocab, Error::TextTooLong, Error::SecondSequenceNotProvided] {
        assert!(!e.to_string().is_empty());
    }
}

#[test]
fn json_errors() {
    for bad in ["", "{", "[]", "{\"model\": 3}", "{\"model\": {\"type\": \"WordPiece\", \"vocab\": [1]}}", "\u{0}"] {
        let e = Tokenizer::from_tokenizer_json(bad, None).unwrap_err();
        assert!(matches!(e, Error::Json { file: "tokenizer.json", .. }), "{bad:?}: {e:?}");
    }
    let e = Tokenizer::from_vocab_and_config(common::VOCAB, Some("{\"do_lower_case\": 1}")).unwrap_err();
    assert!(matches!(e, Error::Json { file: "tokenizer_config.json", .. }), "{e:?}");
}

/// Random bytes (as lossy UTF-8), random options: never a panic.
#[test]
fn random_input_never_panics() {
    let t = Tokenizer::from_vocab_txt(common::VOCAB, Options::default()).unwrap();
    let mut r = Rng(99);
    for _ in 0..3000 {
        let n = r.below(64);
        let bytes: Vec<u8> = (0..n).map(|_| r.next_u64() as u8).collect();
        let s = String::from_utf8_lossy(&bytes);
        let opts = EncodeOptions {
            max_length: if r.chance(50) { Some(r.below(12)) } else { None },
            truncation: *r.pick(&[Truncation::LongestFirst, Truncation::OnlyFirst, Truncation::OnlySecond]),
            stride: r.below(5),
            pad_to: if r.chance(30) { Some(r.below(20)) } else { None },
            add_special_tokens: r.chance(80),
        };
        let _ = t.encode(&s, &opts);
        let _ = t.encode_pair(&s, &s, &opts);
        let ids: Vec<u32> = (0..r.below(10)).map(|_| r.below(40_000) as u32).collect();
        let _ = t.decode(&ids, r.chance(50));
        // Random JSON-ish documents.
        let _ = Tokenizer::from_tokenizer_json(&s, Some(&s));
        let _ = Tokenizer::from_vocab_and_config(&s, Some(&s));
        let _ = Tokenizer::from_vocab_txt(&s, Options::default());
    }
}
