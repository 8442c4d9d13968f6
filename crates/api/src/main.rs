//! The `api` binary: parses the command line and hands over to the library.

use std::process::ExitCode;

use clap::Parser;

/// mimalloc, not the C library's allocator: a request allocates and frees
/// dozens of small buffers, which glibc's malloc (and musl's, in the
/// container) serves at a much higher cost, and its arenas fragment less
/// under the search index's building. Its arenas commit memory as used
/// (`MI_DEFAULT_ARENA_EAGER_COMMIT=0`, set in `.cargo/config.toml`), so the
/// process holds no more than it uses.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = gokart_api::cli::Cli::parse();
    match gokart_api::cli::run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("api: {err:#}");
            ExitCode::FAILURE
        }
    }
}
