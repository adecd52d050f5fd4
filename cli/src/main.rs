//! `electra`: run ELECTRA model files on JSON or text, inspect them, tokenize, benchmark.

mod commands;
mod load;

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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Infer(a) => commands::infer::run(a),
        Command::Info(a) => commands::info::run(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line, no panic: the contract scripts rely on.
            let msg = e.to_string().replace('\n', " ");
            eprintln!("electra: error: {msg}");
            ExitCode::FAILURE
        }
    }
}
