//! The `mega-worker` binary: parses the command line and hands over to the library.

use std::process::ExitCode;

use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = gokart_mega_worker::cli::Cli::parse();
    match gokart_mega_worker::cli::run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("mega-worker: {err:#}");
            ExitCode::FAILURE
        }
    }
}
