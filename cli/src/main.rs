//! `electra`: run ELECTRA model files on JSON or text, inspect them, tokenize, benchmark.

/// `println!` that returns an error instead of panicking (e.g. on a closed pipe).
macro_rules! out {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout(), $($t)*)?;
    }};
}

mod commands;
mod load;
mod text;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "electra", version, about = "Run ELECTRA models converted with electra-convert")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a model on token ids from JSON and print its outputs as JSON.
    Infer(commands::infer::Args),
    /// Show a model file's config, head, tensors and bundled files.
    Info(commands::info::Args),
    /// Tokenize JSON Lines from stdin (a string or [text, pair] per line).
    Tokenize(commands::tokenize::Args),
    /// Run the model's head on text and print a readable result.
    Run(commands::run::Args),
    /// Time forward passes on random ids (last line: median_ms=... load_ms=... peak_rss_mb=...).
    Bench(commands::bench::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Infer(a) => commands::infer::run(a),
        Command::Info(a) => commands::info::run(a),
        Command::Tokenize(a) => commands::tokenize::run(a),
        Command::Run(a) => commands::run::run(a),
        Command::Bench(a) => commands::bench::run(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // A reader that closed the pipe (`| head`) is not an error.
        Err(e) if e.downcast_ref::<std::io::Error>().is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe) => {
            ExitCode::SUCCESS
        }
        Err(e) => {
            // One line, no panic: the contract scripts rely on.
            let msg = e.to_string().replace('\n', " ");
            eprintln!("electra: error: {msg}");
            ExitCode::FAILURE
        }
    }
}
