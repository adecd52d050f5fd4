//! Tokenizers for the text commands: bundled in the model file, or given on the command line.

use std::path::{Path, PathBuf};

use electra_engine::ModelFile;
use electra_tokenizer::Tokenizer;
use serde_json::Value;

use crate::load::Error;

/// Where a tokenizer comes from.
#[derive(clap::Args, Clone, Default)]
pub struct Source {
    /// A vocab.txt (BERT WordPiece) instead of the model's bundled tokenizer.
    #[arg(long, value_name = "vocab.txt")]
    pub vocab: Option<PathBuf>,
    /// A tokenizer.json (a tokenizer_config.json beside it is read too).
    #[arg(long, value_name = "tokenizer.json", conflicts_with = "vocab")]
    pub tokenizer: Option<PathBuf>,
    /// Do not lowercase (overrides the bundled or given settings).
    #[arg(long)]
    pub no_lower_case: bool,
}

fn read(path: &Path) -> Result<String, Error> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()).into())
}

/// The effective tokenizer_config.json: the given one with `--no-lower-case` applied.
fn config_json(config: Option<&str>, no_lower_case: bool) -> Result<Option<String>, Error> {
    if !no_lower_case {
        return Ok(config.map(String::from));
    }
    let mut v: Value = match config {
        Some(c) => serde_json::from_str(c).map_err(|e| format!("tokenizer_config.json: {e}"))?,
        None => Value::Object(Default::default()),
    };
    v.as_object_mut().ok_or("tokenizer_config.json is not an object")?.insert("do_lower_case".into(), Value::Bool(false));
    Ok(Some(v.to_string()))
}

fn build(vocab: Option<&str>, tokenizer_json: Option<&str>, config: Option<&str>, no_lower_case: bool) -> Result<Tokenizer, Error> {
    let config = config_json(config, no_lower_case)?;
    let tok = match (tokenizer_json, vocab) {
        (Some(tj), _) => Tokenizer::from_tokenizer_json(tj, config.as_deref()),
        (None, Some(v)) => Tokenizer::from_vocab_and_config(v, config.as_deref()),
        (None, None) => return Err("no tokenizer: the model file bundles none; pass --vocab or --tokenizer".into()),
    };
    tok.map_err(|e| format!("tokenizer: {e}").into())
}

/// From `--vocab` / `--tokenizer` when given, else the model file's bundled files.
pub fn tokenizer(src: &Source, file: Option<&ModelFile<'_>>) -> Result<Tokenizer, Error> {
    if let Some(v) = &src.vocab {
        return build(Some(&read(v)?), None, None, src.no_lower_case);
    }
    if let Some(t) = &src.tokenizer {
        let cfg = t.with_file_name("tokenizer_config.json");
        let cfg = if cfg.is_file() { Some(read(&cfg)?) } else { None };
        return build(None, Some(&read(t)?), cfg.as_deref(), src.no_lower_case);
    }
    let file = file.ok_or("no tokenizer: pass a model file, --vocab or --tokenizer")?;
    let blob = |name: &str| -> Result<Option<&str>, Error> {
        match file.blob(name) {
            None => Ok(None),
            Some(b) => std::str::from_utf8(b).map(Some).map_err(|_| format!("bundled {name} is not UTF-8").into()),
        }
    };
    build(blob("blob/vocab.txt")?, blob("blob/tokenizer.json")?, blob("blob/tokenizer_config.json")?, src.no_lower_case)
}
