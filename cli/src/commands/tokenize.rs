//! `electra tokenize (FILE | --vocab vocab.txt | --tokenizer tokenizer.json) [--no-lower-case]
//! [--max-length N]`: JSON Lines in (a string or a [text, pair] array per line), one JSON object
//! per line out with input_ids, token_type_ids, attention_mask and offsets (in chars).

use std::path::PathBuf;

use electra_tokenizer::EncodeOptions;

use crate::load::{self, Error};
use crate::text;

#[derive(clap::Args)]
pub struct Args {
    /// Model file whose bundled tokenizer to use.
    file: Option<PathBuf>,
    #[command(flatten)]
    source: text::Source,
    /// Truncate to this many tokens, special tokens included (longest_first for pairs).
    #[arg(long)]
    max_length: Option<usize>,
}

pub fn run(args: Args) -> Result<(), Error> {
    let map = args.file.as_deref().map(load::map).transpose()?;
    let file = match (&args.file, &map) {
        (Some(p), Some(m)) => Some(electra_engine::ModelFile::parse(m.bytes()).map_err(|e| format!("{}: {e}", p.display()))?),
        _ => None,
    };
    let tok = text::tokenizer(&args.source, file.as_ref())?;
    let opts = EncodeOptions { max_length: args.max_length, ..EncodeOptions::default() };
    let stdin = std::io::stdin().lock();
    let stdout = std::io::BufWriter::new(std::io::stdout().lock());
    electra_tokenizer::jsonl::tokenize_jsonl(&tok, stdin, stdout, &opts).map_err(|e| e.to_string())?;
    Ok(())
}
