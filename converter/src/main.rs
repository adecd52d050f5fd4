//! `electra-convert MODEL_DIR -o FILE [--int8 | --f16 | --f32] [--head NAME]`

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use electra_convert::{convert, Options, WeightType};
use electra_engine::config::Head;

#[derive(Parser)]
#[command(name = "electra-convert", version, about = "Convert a Hugging Face ELECTRA or BERT checkpoint into one flat model file")]
struct Args {
    /// Folder with config.json and model.safetensors (or a sharded index); vocab.txt,
    /// tokenizer.json and tokenizer_config.json are bundled when present.
    model_dir: PathBuf,
    /// Output model file (written atomically).
    #[arg(short, long)]
    output: PathBuf,
    /// Quantize weights to int8 with per-row scales (the default).
    #[arg(long, group = "dtype")]
    int8: bool,
    /// Store weights as f16.
    #[arg(long, group = "dtype")]
    f16: bool,
    /// Store weights as f32 (exact).
    #[arg(long, group = "dtype")]
    f32: bool,
    /// Head to build instead of config.architectures: base, pretraining, masked_lm, causal_lm,
    /// sequence_classification, multiple_choice, token_classification, question_answering.
    #[arg(long)]
    head: Option<String>,
    /// int8: do not move activation outliers into the weights (see docs/quantization.md).
    #[arg(long)]
    no_smoothing: bool,
    /// int8: calibrate on these inputs (JSON in `electra infer`'s input format) instead of
    /// 4 random-token sequences.
    #[arg(long, value_name = "IN.json")]
    calibration: Option<PathBuf>,
    /// int8: also write the per-layer error report against the f32 model (printed unless -q)
    /// as JSON here.
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
    /// No progress bar or summary.
    #[arg(short, long)]
    quiet: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("electra-convert: error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let weight_type = if args.f32 {
        WeightType::F32
    } else if args.f16 {
        WeightType::F16
    } else {
        WeightType::Int8
    };
    let head = match &args.head {
        None => None,
        Some(name) => Some(Head::from_name(name).ok_or_else(|| {
            let all: Vec<&str> = Head::ALL.iter().map(|h| h.name()).collect();
            format!("unknown head \"{name}\"; expected one of {}", all.join(", "))
        })?),
    };
    if weight_type != WeightType::Int8 && (args.report.is_some() || args.calibration.is_some()) {
        return Err("--report and --calibration apply to --int8 only".into());
    }
    let opts = Options {
        head,
        progress: !args.quiet,
        smoothing: !args.no_smoothing,
        calibration: args.calibration.clone(),
        report: weight_type == WeightType::Int8 && (args.report.is_some() || !args.quiet),
        output: Some(args.output.clone()),
        ..Options::new(args.model_dir, weight_type)
    };
    let mut converted = convert(&opts)?;
    converted.write(&args.output)?;
    if let Some(report) = &converted.report {
        if !args.quiet {
            eprintln!("int8 vs f32 on the calibration inputs (per token, real positions only):");
            eprintln!("  layer  site              rel. error  mean cos   min cos");
            for e in report {
                eprintln!("  {:>5}  {:<16}  {:>10.5}  {:>8.6}  {:>8.6}", e.layer, e.site, e.relative_error, e.mean_cosine, e.min_cosine);
            }
        }
        if let Some(path) = &args.report {
            let json = serde_json::to_string_pretty(report)?;
            std::fs::write(path, json + "\n").map_err(|e| format!("{}: {e}", path.display()))?;
        }
    }
    if !args.quiet {
        let c = &converted.config;
        eprintln!(
            "wrote {} ({:.2} MB): {} ({}), {:?} weights, {} layers, hidden {}, {} tensors{}",
            args.output.display(),
            converted.bytes.len() as f64 / 1e6,
            converted.head.hf_class(),
            converted.head.name(),
            weight_type,
            c.num_hidden_layers,
            c.hidden_size,
            converted.tensors,
            if converted.bundled.is_empty() { String::new() } else { format!(", bundled {}", converted.bundled.join(", ")) },
        );
        if !converted.unused.is_empty() {
            let shown: Vec<&str> = converted.unused.iter().take(8).map(String::as_str).collect();
            eprintln!(
                "note: {} checkpoint tensors are not used by this head: {}{}",
                converted.unused.len(),
                shown.join(", "),
                if converted.unused.len() > 8 { ", ..." } else { "" }
            );
        }
    }
    Ok(())
}
