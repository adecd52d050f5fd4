//! `electra info FILE`

use std::path::PathBuf;

use crate::load::{self, Error};

#[derive(clap::Args)]
pub struct Args {
    /// Model file written by electra-convert.
    file: PathBuf,
    /// Also list every tensor.
    #[arg(long)]
    tensors: bool,
}

pub fn run(args: Args) -> Result<(), Error> {
    let map = load::map(&args.file)?;
    let model = load::model(&args.file, &map)?;
    let file = model.file();
    let h = &file.header;
    let c = model.config();
    out!("file:       {} ({} bytes, format v{})", args.file.display(), map.bytes().len(), file.preamble.version);
    out!("producer:   {}", h.producer);
    out!("head:       {} ({})", model.head.hf_class(), model.head.name());
    out!("weights:    {:?}", h.weight_dtype);
    out!("kernels:    {} (int8 GEMM and activation quantization; ELECTRA_ISA forces one)", model.kernels().name());
    out!(
        "config:     vocab {} embedding {} hidden {} layers {} heads {} intermediate {} act {:?}",
        c.vocab_size, c.embedding_size, c.hidden_size, c.num_hidden_layers, c.num_attention_heads, c.intermediate_size, c.hidden_act
    );
    out!(
        "            max_position {} type_vocab {} eps {:e} positions {:?} decoder {} labels {}",
        c.max_position_embeddings, c.type_vocab_size, c.layer_norm_eps, c.position_embedding_type, c.is_decoder, c.num_labels
    );
    let labels: Vec<&str> = file.labels().collect();
    if !labels.is_empty() {
        out!("id2label:   {}", labels.join(", "));
    }
    if let Some(t) = &h.tokenizer {
        out!(
            "tokenizer:  lower_case {} strip_accents {:?} chinese_chars {} max_length {:?}",
            t.do_lower_case, t.strip_accents, t.tokenize_chinese_chars, t.model_max_length
        );
    }
    let blobs: Vec<String> = (0..file.len())
        .filter_map(|i| file.tensor(i).ok())
        .filter(|t| t.dtype == electra_engine::DType::U8)
        .map(|t| format!("{} ({} bytes)", t.name, t.data.len()))
        .collect();
    out!("bundled:    {}", if blobs.is_empty() { "none".to_string() } else { blobs.join(", ") });
    if args.tensors {
        for i in 0..file.len() {
            let t = file.tensor(i)?;
            out!("  {:<64} {:?} {:?}", t.name, t.dtype, t.dims());
        }
    }
    Ok(())
}
