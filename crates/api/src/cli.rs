//! The `api` command line: `serve`, `migrate` and `seed`.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use gokart_edge::http::{probe, shutdown_signal};
use gokart_edge::{Env, telemetry};

use crate::config::{ApiConfig, SeedConfig};
use crate::state::AppState;
use crate::{db, seed, startup};

/// GoKart's public REST API.
///
/// Configuration comes from environment variables, over an optional env file
/// (`api.env` in the working directory, or the file given with --env-file).
/// Every variable is listed with its default in `api.env.example`.
#[derive(Debug, Parser)]
#[command(name = "api", version)]
pub struct Cli {
    /// Read variables from this file instead of `./api.env` (the process
    /// environment still wins).
    #[arg(long, global = true, value_name = "PATH")]
    pub env_file: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

/// What to do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the REST API until SIGTERM or Ctrl-C, then finish in-flight
    /// requests and exit. Applies pending migrations first unless
    /// RUN_MIGRATIONS=false.
    Serve,
    /// Apply pending database migrations, then exit.
    Migrate,
    /// Apply migrations, then load the demo data: the admin
    /// (ADMIN_EMAIL / ADMIN_PASSWORD) and a catalog of 10 categories and 150
    /// products with photos drawn for them (stored like uploaded ones).
    /// Safe to run repeatedly: existing rows are left as they are.
    Seed {
        /// Also generate this many products (fresh SKUs each run), e.g.
        /// 100000 for benchmarks.
        #[arg(long, value_name = "N", default_value_t = 0)]
        synthetic_products: u32,
        /// Leave the demo products without photos (drawing them takes a few
        /// seconds).
        #[arg(long)]
        no_photos: bool,
    },
    /// Exit 0 if the API on PORT answers /readyz with 200, 1 otherwise (for
    /// container health checks: the runtime image has no shell or curl).
    Healthcheck,
    /// Set a new password for the account with EMAIL, read from standard
    /// input (one line), and sign out all of its sessions. Production
    /// refuses to serve while an admin still has the demo password: this is
    /// how to change it.
    SetPassword {
        /// The account's email.
        email: String,
    },
    /// The product search index.
    Search {
        #[command(subcommand)]
        command: SearchCommand,
    },
    /// Print the OpenAPI document, as served at /api/v1/openapi.json, to
    /// standard output (for linters and client generators; needs no database).
    Openapi,
}

/// What to do with the search index.
#[derive(Debug, Subcommand)]
pub enum SearchCommand {
    /// Build an index from PostgreSQL (reporting how long it took), then ask
    /// every running instance to rebuild its own.
    Rebuild,
}

/// Runs `cli`, returning an error whose `{:#}` display is one clear line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let env = Env::load(cli.env_file.as_deref(), "api.env")?;
    match cli.command {
        Command::Serve => {
            let server = startup::build(configure(&env)?).await?;
            let address = server.local_addr()?;
            tracing::info!(%address, "api listening");
            server.run_until(shutdown_signal()).await.context("server failed")?;
            tracing::info!("api stopped");
        }
        Command::Migrate => {
            let pool = db::connect(&configure(&env)?.database).await?;
            db::migrate(&pool).await?;
            tracing::info!("migrations applied");
        }
        Command::Seed { synthetic_products, no_photos } => {
            let config = configure(&env)?;
            let seed_config = SeedConfig::from_env(&env)?;
            let pool = db::connect(&config.database).await?;
            db::migrate(&pool).await?;
            let what = seed::What { synthetic_products, photos: !no_photos };
            seed::run(&AppState::new(config, pool)?, &seed_config, what).await?;
        }
        Command::SetPassword { email } => {
            let mut line = String::new();
            std::io::stdin().read_line(&mut line).context("cannot read the new password")?;
            let password =
                crate::users::service::chosen_password(line.trim_end_matches(['\r', '\n']))
                    .map_err(|why| anyhow::anyhow!("the new password {why}"))?;
            let config = configure(&env)?;
            let pool = db::connect(&config.database).await?;
            let state = AppState::new(config, pool)?;
            crate::users::service::set_password(&state, &email, &password)
                .await
                .map_err(|err| anyhow::anyhow!("cannot set the password of {email}: {err}"))?;
            tracing::info!(%email, "password set; every session of the account is signed out");
        }
        Command::Search { command: SearchCommand::Rebuild } => {
            let pool = db::connect(&configure(&env)?.database).await?;
            let (products, took) = crate::search::rebuild(&pool)
                .await
                .map_err(|err| anyhow::anyhow!("cannot rebuild the search index: {err}"))?;
            tracing::info!(
                products,
                seconds = took.as_secs_f64(),
                "search index built; running instances asked to rebuild theirs"
            );
        }
        Command::Openapi => {
            let document = serde_json::to_string_pretty(&crate::routes::document())
                .context("could not serialise the OpenAPI document")?;
            let mut out = std::io::stdout().lock();
            std::io::Write::write_all(&mut out, document.as_bytes())?;
            std::io::Write::write_all(&mut out, b"\n")?;
        }
        Command::Healthcheck => {
            let port = env.parse("PORT", 8080)?;
            anyhow::ensure!(probe(port, "/readyz").await, "not ready on port {port}");
        }
    }
    Ok(())
}

/// Reads the configuration and starts logging as it asks.
fn configure(env: &Env) -> anyhow::Result<ApiConfig> {
    let config = ApiConfig::from_env(env)?;
    telemetry::init(config.server.log_format, &config.server.log_filter)?;
    Ok(config)
}
