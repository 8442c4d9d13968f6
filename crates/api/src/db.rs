//! The PostgreSQL pool and the embedded migrations.

use std::str::FromStr;

use anyhow::Context;
use secrecy::ExposeSecret;
use sqlx::PgPool;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::config::DatabaseConfig;

/// Every migration in `migrations/`, compiled into the binary.
pub static MIGRATOR: Migrator = sqlx::migrate!("../../migrations");

/// How alike a search word and a word of a product's name must be for the
/// typo-tolerant search (`<%`): one letter swapped in a six-letter word
/// ("kettel") scores 0.57, below pg_trgm's default of 0.6.
const WORD_SIMILARITY: (&str, &str) = ("pg_trgm.word_similarity_threshold", "0.5");

/// A pool that connects on first use, so the API can start (and report
/// not-ready on `/readyz`) while the database is still coming up.
pub fn pool(config: &DatabaseConfig) -> anyhow::Result<PgPool> {
    Ok(PgPoolOptions::new()
        .max_connections(config.max_connections)
        .min_connections(config.min_connections)
        .acquire_timeout(config.acquire_timeout)
        .connect_lazy_with(connect_options(config, "gokart-api", &[WORD_SIMILARITY])?))
}

/// The outbox relay's own small pool, so relaying never takes connections
/// from requests. Its bookkeeping (claims, "sent" marks) commits without
/// waiting for the WAL flush: a mark lost in a crash only means the task is
/// sent again, which every receiver tolerates, while the order changes that
/// create the work stay durable.
pub fn relay_pool(config: &DatabaseConfig, connections: u32) -> anyhow::Result<PgPool> {
    let options = connect_options(config, "gokart-relay", &[("synchronous_commit", "off")])?;
    Ok(PgPoolOptions::new()
        .max_connections(connections)
        .min_connections(0)
        .acquire_timeout(config.acquire_timeout)
        .connect_lazy_with(options))
}

/// `DATABASE_URL` with the statement timeout and `settings` applied to
/// every session, named `application` in `pg_stat_activity`.
fn connect_options(
    config: &DatabaseConfig,
    application: &str,
    settings: &[(&str, &str)],
) -> anyhow::Result<PgConnectOptions> {
    let statement_timeout = config.statement_timeout.as_millis().to_string();
    let mut options = vec![("statement_timeout", statement_timeout.as_str())];
    options.extend_from_slice(settings);
    Ok(PgConnectOptions::from_str(config.url.expose_secret())
        .context("configuration error: DATABASE_URL: not a valid PostgreSQL URL")?
        .application_name(application)
        .options(options))
}

/// A pool with one connection already made, failing fast when the database
/// cannot be reached (for the one-shot commands).
pub async fn connect(config: &DatabaseConfig) -> anyhow::Result<PgPool> {
    let pool = pool(config)?;
    pool.acquire().await.context("cannot connect to the database (DATABASE_URL)")?;
    Ok(pool)
}

/// Applies pending migrations; several instances starting at once are
/// serialised by sqlx's advisory lock.
pub async fn migrate(pool: &PgPool) -> anyhow::Result<()> {
    MIGRATOR.run(pool).await.context("cannot apply database migrations")
}
