//! tokenizer.json and tokenizer_config.json (serde_json without std).
//!
//! Supported tokenizer.json components: model `WordPiece`; normalizer `BertNormalizer` or null;
//! pre_tokenizer `BertPreTokenizer`; post_processor `TemplateProcessing`, `BertProcessing` or
//! null; decoder `WordPiece` or null; `added_tokens` with `normalized: false` (every special
//! token of a BERT/ELECTRA file). Anything else is [`Error::Unsupported`]. `truncation` and
//! `padding` are ignored: [`crate::EncodeOptions`] says what to do per call.

use crate::added::AddedToken;
use crate::encoding::{Piece, Template};
use crate::normalize::NormConfig;
use crate::wordpiece::{Decoder, Vocab};
use crate::{Error, Options, Parts};
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;
use serde::de::{IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

fn json_err(file: &'static str, e: serde_json::Error) -> Error {
    Error::Json { file, message: e.to_string() }
}

const TJ: &str = "tokenizer.json";

/// The vocab object, kept in file order without building a map.
struct VocabEntries(Vec<(String, u32)>);

impl<'de> Deserialize<'de> for VocabEntries {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = VocabEntries;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map from token to id")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<VocabEntries, A::Error> {
                let mut v = Vec::with_capacity(m.size_hint().unwrap_or(0).min(1 << 20));
                while let Some((k, id)) = m.next_entry::<String, u32>()? {
                    v.push((k, id));
                }
                Ok(VocabEntries(v))
            }
        }
        d.deserialize_map(V)
    }
}

#[derive(Deserialize)]
struct Probe {
    model: ProbeModel,
}

#[derive(Deserialize)]
struct ProbeModel {
    #[serde(rename = "type", default)]
    ty: Option<String>,
    #[serde(default, rename = "vocab")]
    _vocab: Option<IgnoredAny>,
}

fn default_unk() -> String {
    "[UNK]".into()
}
fn default_max_chars() -> usize {
    100
}

#[derive(Deserialize)]
struct ModelJson {
    #[serde(default = "default_unk")]
    unk_token: String,
    #[serde(default)]
    continuing_subword_prefix: Option<String>,
    #[serde(default = "default_max_chars")]
    max_input_chars_per_word: usize,
    vocab: VocabEntries,
}

#[derive(Deserialize)]
struct AddedTokenJson {
    id: u32,
    content: String,
    #[serde(default)]
    single_word: bool,
    #[serde(default)]
    lstrip: bool,
    #[serde(default)]
    rstrip: bool,
    #[serde(default)]
    normalized: bool,
    #[serde(default)]
    special: bool,
}

#[derive(Deserialize)]
struct TokenizerJson {
    #[serde(default)]
    added_tokens: Vec<AddedTokenJson>,
    #[serde(default)]
    normalizer: Option<Value>,
    #[serde(default)]
    pre_tokenizer: Option<Value>,
    #[serde(default)]
    post_processor: Option<Value>,
    #[serde(default)]
    decoder: Option<Value>,
    #[serde(default)]
    padding: Option<Value>,
    model: ModelJson,
}

fn ty(v: &Value) -> &str {
    v.get("type").and_then(Value::as_str).unwrap_or("")
}

fn unsupported(component: &'static str, v: &Value) -> Error {
    let found = match ty(v) {
        "" => format!("{v}").chars().take(80).collect(),
        t => t.to_string(),
    };
    Error::Unsupported { component, found }
}

fn get_bool(v: &Value, key: &str, default: bool) -> Result<bool, Error> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(default),
        Some(Value::Bool(b)) => Ok(*b),
        Some(other) => Err(Error::Json { file: TJ, message: format!("{key}: expected a boolean, found {other}") }),
    }
}

fn template_pieces(v: &Value, specials: &BTreeMap<String, Vec<u32>>) -> Result<Vec<Piece>, Error> {
    let bad = |m: String| Error::Json { file: TJ, message: format!("post_processor: {m}") };
    let list = v.as_array().ok_or_else(|| bad("template is not an array".into()))?;
    let mut out = Vec::new();
    for p in list {
        if let Some(s) = p.get("Sequence") {
            let id = s.get("id").and_then(Value::as_str).unwrap_or("A");
            let type_id = s.get("type_id").and_then(Value::as_u64).unwrap_or(0) as u32;
            let second = match id {
                "A" => false,
                "B" => true,
                other => return Err(bad(format!("unknown sequence id {other:?}"))),
            };
            out.push(Piece::Sequence { second, type_id });
        } else if let Some(s) = p.get("SpecialToken") {
            let id = s.get("id").and_then(Value::as_str).ok_or_else(|| bad("special token without id".into()))?;
            let type_id = s.get("type_id").and_then(Value::as_u64).unwrap_or(0) as u32;
            let ids = specials.get(id).ok_or_else(|| bad(format!("special token {id:?} missing from special_tokens")))?;
            out.push(Piece::Special { ids: ids.clone(), type_id });
        } else {
            return Err(bad(format!("unknown template piece {p}")));
        }
    }
    Ok(out)
}

/// (template, cls name, sep name)
fn parse_post_processor(v: Option<&Value>) -> Result<(Template, Option<String>, Option<String>), Error> {
    let bad = |m: &str| Error::Json { file: TJ, message: format!("post_processor: {m}") };
    let Some(v) = v.filter(|v| !v.is_null()) else {
        // No post-processor: sequences are merged as they are.
        let t = Template {
            single: alloc::vec![Piece::Sequence { second: false, type_id: 0 }],
            pair: alloc::vec![Piece::Sequence { second: false, type_id: 0 }, Piece::Sequence { second: true, type_id: 1 }],
        };
        return Ok((t, None, None));
    };
    match ty(v) {
        "BertProcessing" => {
            let pair = |k: &str| -> Result<(String, u32), Error> {
                let a = v.get(k).and_then(Value::as_array).ok_or_else(|| bad("cls/sep must be [token, id]"))?;
                match a.as_slice() {
                    [Value::String(s), Value::Number(n)] => {
                        let id = n.as_u64().and_then(|n| u32::try_from(n).ok()).ok_or_else(|| bad("bad id"))?;
                        Ok((s.clone(), id))
                    }
                    _ => Err(bad("cls/sep must be [token, id]")),
                }
            };
            let (cls, cls_id) = pair("cls")?;
            let (sep, sep_id) = pair("sep")?;
            Ok((Template::bert(cls_id, sep_id), Some(cls), Some(sep)))
        }
        "TemplateProcessing" => {
            let mut specials = BTreeMap::new();
            if let Some(m) = v.get("special_tokens").and_then(Value::as_object) {
                for (k, st) in m {
                    let ids = st
                        .get("ids")
                        .and_then(Value::as_array)
                        .ok_or_else(|| bad("special token without ids"))?
                        .iter()
                        .map(|x| x.as_u64().and_then(|n| u32::try_from(n).ok()).ok_or_else(|| bad("bad id")))
                        .collect::<Result<Vec<u32>, Error>>()?;
                    specials.insert(k.clone(), ids);
                }
            }
            let single = template_pieces(v.get("single").unwrap_or(&Value::Null), &specials)?;
            let pair = template_pieces(v.get("pair").unwrap_or(&Value::Null), &specials)?;
            // Names for Options: the first special token of `single` and the last one.
            let names: Vec<&str> = v
                .get("single")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|p| p.get("SpecialToken").and_then(|s| s.get("id")).and_then(Value::as_str))
                        .collect()
                })
                .unwrap_or_default();
            let cls = names.first().map(|s| s.to_string());
            let sep = names.last().map(|s| s.to_string());
            Ok((Template { single, pair }, cls, sep))
        }
        _ => Err(unsupported("post_processor", v)),
    }
}

pub(crate) fn parse_tokenizer_json(s: &str) -> Result<Parts, Error> {
    let probe: Probe = serde_json::from_str(s).map_err(|e| json_err(TJ, e))?;
    match probe.model.ty.as_deref() {
        Some("WordPiece") => {}
        // Files written by old versions may omit the type; the vocab shape then decides.
        None => {}
        Some(other) => return Err(Error::Unsupported { component: "model", found: other.into() }),
    }
    let t: TokenizerJson = serde_json::from_str(s).map_err(|e| json_err(TJ, e))?;
    let mut options = Options::default();

    let norm = match t.normalizer.as_ref().filter(|v| !v.is_null()) {
        None => NormConfig { clean_text: false, handle_chinese_chars: false, strip_accents: false, lowercase: false },
        Some(v) if ty(v) == "BertNormalizer" => {
            let lowercase = get_bool(v, "lowercase", true)?;
            let strip = match v.get("strip_accents") {
                None | Some(Value::Null) => None,
                Some(Value::Bool(b)) => Some(*b),
                Some(o) => return Err(Error::Json { file: TJ, message: format!("strip_accents: {o}") }),
            };
            NormConfig {
                clean_text: get_bool(v, "clean_text", true)?,
                handle_chinese_chars: get_bool(v, "handle_chinese_chars", true)?,
                strip_accents: strip.unwrap_or(lowercase),
                lowercase,
            }
            .with_options(&mut options, strip)
        }
        Some(v) => return Err(unsupported("normalizer", v)),
    };
    if t.normalizer.as_ref().is_none_or(Value::is_null) {
        options.do_lower_case = false;
        options.strip_accents = Some(false);
        options.tokenize_chinese_chars = false;
        options.clean_text = false;
    }
    match t.pre_tokenizer.as_ref() {
        Some(v) if ty(v) == "BertPreTokenizer" => {}
        Some(v) => return Err(unsupported("pre_tokenizer", v)),
        None => return Err(Error::Unsupported { component: "pre_tokenizer", found: "null".into() }),
    }
    let decoder = match t.decoder.as_ref().filter(|v| !v.is_null()) {
        None => Decoder::Join,
        Some(v) if ty(v) == "WordPiece" => Decoder::WordPiece {
            prefix: v.get("prefix").and_then(Value::as_str).unwrap_or("##").into(),
            cleanup: get_bool(v, "cleanup", true)?,
        },
        Some(v) => return Err(unsupported("decoder", v)),
    };
    let (template, cls, sep) = parse_post_processor(t.post_processor.as_ref())?;

    let mut vocab = Vocab::new(t.model.vocab.0, false)?;
    let mut added = Vec::new();
    for a in t.added_tokens {
        if a.content.is_empty() {
            return Err(Error::EmptyAddedToken);
        }
        if a.normalized {
            return Err(Error::Unsupported {
                component: "added_tokens",
                found: format!("{:?} with normalized: true", a.content),
            });
        }
        vocab.ensure(&a.content, a.id)?;
        added.push(AddedToken {
            content: a.content,
            id: a.id,
            single_word: a.single_word,
            lstrip: a.lstrip,
            rstrip: a.rstrip,
            special: a.special,
        });
    }
    // Template ids must be real tokens.
    for p in template.single.iter().chain(template.pair.iter()) {
        if let Piece::Special { ids, .. } = p {
            for &id in ids {
                if vocab.token(id).is_none() {
                    return Err(Error::MissingSpecialToken { role: "post_processor", token: format!("id {id}") });
                }
            }
        }
    }

    options.unk_token = t.model.unk_token;
    options.max_input_chars_per_word = t.model.max_input_chars_per_word;
    if let Some(c) = cls {
        options.cls_token = c;
    }
    if let Some(s) = sep {
        options.sep_token = s;
    }
    if let Some(pad) = t.padding.as_ref().and_then(|p| p.get("pad_token")).and_then(Value::as_str) {
        options.pad_token = pad.into();
    }
    Ok(Parts {
        options,
        vocab,
        prefix: t.model.continuing_subword_prefix.unwrap_or_else(|| "##".into()),
        added,
        template: Some(template),
        decoder,
        norm,
    })
}

impl NormConfig {
    fn with_options(self, o: &mut Options, strip: Option<bool>) -> Self {
        o.do_lower_case = self.lowercase;
        o.strip_accents = strip;
        o.tokenize_chinese_chars = self.handle_chinese_chars;
        o.clean_text = self.clean_text;
        self
    }
}

/// The keys of tokenizer_config.json we use.
#[derive(Default, Debug)]
pub(crate) struct Config {
    do_lower_case: Option<bool>,
    strip_accents: Option<bool>,
    tokenize_chinese_chars: Option<bool>,
    tokens: Vec<(&'static str, String)>,
    pub never_split: Option<Vec<String>>,
}

const TC: &str = "tokenizer_config.json";

pub(crate) fn parse_config(s: &str) -> Result<Config, Error> {
    let v: Value = serde_json::from_str(s).map_err(|e| json_err(TC, e))?;
    let obj = v.as_object().ok_or_else(|| Error::Json { file: TC, message: "not a JSON object".into() })?;
    let bad = |k: &str, want: &str| Error::Json { file: TC, message: format!("{k}: expected {want}") };
    let opt_bool = |k: &str| -> Result<Option<bool>, Error> {
        match obj.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(bad(k, "a boolean or null")),
        }
    };
    let mut c = Config {
        do_lower_case: opt_bool("do_lower_case")?,
        strip_accents: opt_bool("strip_accents")?,
        tokenize_chinese_chars: opt_bool("tokenize_chinese_chars")?,
        ..Config::default()
    };
    for key in ["unk_token", "cls_token", "sep_token", "pad_token", "mask_token"] {
        match obj.get(key) {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) => c.tokens.push((key, s.clone())),
            Some(o) => match o.get("content").and_then(Value::as_str) {
                Some(s) => c.tokens.push((key, s.into())),
                None => return Err(bad(key, "a string or an object with \"content\"")),
            },
        }
    }
    match obj.get("never_split") {
        None | Some(Value::Null) => {}
        Some(Value::Array(a)) => {
            let list = a
                .iter()
                .map(|x| x.as_str().map(String::from).ok_or_else(|| bad("never_split", "a list of strings")))
                .collect::<Result<Vec<_>, _>>()?;
            c.never_split = Some(list);
        }
        Some(_) => return Err(bad("never_split", "a list of strings")),
    }
    Ok(c)
}

impl Config {
    /// transformers' `BertTokenizer.__init__` defaults for absent keys: lowercase, accents follow
    /// lowercase, CJK spacing on.
    pub fn apply_normalizer(&self, o: &mut Options) {
        o.do_lower_case = self.do_lower_case.unwrap_or(true);
        o.strip_accents = self.strip_accents;
        o.tokenize_chinese_chars = self.tokenize_chinese_chars.unwrap_or(true);
    }

    pub fn apply_tokens(&self, o: &mut Options) {
        for (k, v) in &self.tokens {
            let slot = match *k {
                "unk_token" => &mut o.unk_token,
                "cls_token" => &mut o.cls_token,
                "sep_token" => &mut o.sep_token,
                "pad_token" => &mut o.pad_token,
                _ => &mut o.mask_token,
            };
            *slot = v.clone();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VOCAB: &str = r#""[PAD]":0,"[UNK]":1,"[CLS]":2,"[SEP]":3,"[MASK]":4,"hello":5"#;

    fn doc(normalizer: &str, post: &str) -> String {
        format!(
            r###"{{"version":"1.0","truncation":null,"padding":null,
            "added_tokens":[{{"id":0,"content":"[PAD]","single_word":false,"lstrip":false,"rstrip":false,"normalized":false,"special":true}}],
            "normalizer":{normalizer},"pre_tokenizer":{{"type":"BertPreTokenizer"}},"post_processor":{post},
            "decoder":{{"type":"WordPiece","prefix":"##","cleanup":true}},
            "model":{{"type":"WordPiece","unk_token":"[UNK]","continuing_subword_prefix":"##","max_input_chars_per_word":100,"vocab":{{{VOCAB}}}}}}}"###
        )
    }

    #[test]
    fn parses_bert_tokenizer_json() {
        let s = doc(
            r#"{"type":"BertNormalizer","clean_text":true,"handle_chinese_chars":true,"strip_accents":null,"lowercase":false}"#,
            r#"{"type":"BertProcessing","sep":["[SEP]",3],"cls":["[CLS]",2]}"#,
        );
        let p = parse_tokenizer_json(&s).unwrap();
        assert!(!p.norm.lowercase && !p.norm.strip_accents);
        assert_eq!(p.template, Some(Template::bert(2, 3)));
        assert_eq!(p.options.strip_accents, None);
        assert_eq!(p.added.len(), 1);
    }

    #[test]
    fn rejects_unsupported_parts() {
        let s = doc(r#"{"type":"NFC"}"#, "null");
        assert!(matches!(parse_tokenizer_json(&s), Err(Error::Unsupported { component: "normalizer", .. })));
        let s = doc("null", "null").replace(r#""type":"WordPiece","unk"#, r#""type":"BPE","unk"#);
        assert!(matches!(parse_tokenizer_json(&s), Err(Error::Unsupported { component: "model", .. })));
        assert!(matches!(parse_tokenizer_json("{"), Err(Error::Json { .. })));
    }

    #[test]
    fn config_tokens_accept_strings_and_objects() {
        let c = parse_config(r#"{"do_lower_case":false,"unk_token":{"content":"<unk>"},"sep_token":"</s>","never_split":["[X]"]}"#).unwrap();
        let mut o = Options::default();
        c.apply_normalizer(&mut o);
        c.apply_tokens(&mut o);
        assert!(!o.do_lower_case);
        assert_eq!((o.unk_token.as_str(), o.sep_token.as_str()), ("<unk>", "</s>"));
        assert_eq!(c.never_split.as_deref(), Some(&["[X]".to_string()][..]));
        assert!(parse_config(r#"{"do_lower_case":"yes"}"#).is_err());
        assert!(parse_config("[1]").is_err());
    }
}
