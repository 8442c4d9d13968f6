//! The `mega-worker` command line.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use gokart_edge::http::{probe, shutdown_signal};
use gokart_edge::{Env, telemetry};

use crate::config::WorkerConfig;
use crate::startup;

/// GoKart's internal fulfillment worker.
///
/// Configuration comes from environment variables, over an optional env file
/// (`worker.env` in the working directory, or the file given with
/// --env-file). Every variable is listed with its default in
/// `worker.env.example`.
#[derive(Debug, Parser)]
#[command(name = "mega-worker", version)]
pub struct Cli {
    /// Read variables from this file instead of `./worker.env` (the process
    /// environment still wins).
    #[arg(long, global = true, value_name = "PATH")]
    pub env_file: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

/// What to do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve task endpoints until SIGTERM or Ctrl-C, then finish in-flight
    /// tasks and exit.
    Serve,
    /// Exit 0 if the worker on PORT answers /healthz with 200, 1 otherwise
    /// (for container health checks: the runtime image has no shell or curl).
    Healthcheck,
}

/// Runs `cli`, returning an error whose `{:#}` display is one clear line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let env = Env::load(cli.env_file.as_deref(), "worker.env")?;
    match cli.command {
        Command::Serve => {
            let config = WorkerConfig::from_env(&env)?;
            telemetry::init(config.server.log_format, &config.server.log_filter)?;
            let server = startup::build(config).await?;
            let address = server.local_addr()?;
            tracing::info!(%address, "mega-worker listening");
            server.run_until(shutdown_signal()).await.context("server failed")?;
            tracing::info!("mega-worker stopped");
        }
        Command::Healthcheck => {
            let port = env.parse("PORT", 8081)?;
            anyhow::ensure!(probe(port, "/healthz").await, "not healthy on port {port}");
        }
    }
    Ok(())
}
