//! `api seed`: demo data for a local shop, safe to run repeatedly.
//!
//! Each capability adds its own seeding step here (the demo admin, the
//! catalog); every step leaves rows that already exist untouched.

use sqlx::PgPool;

use crate::config::ApiConfig;

/// Loads every demo data set.
pub async fn run(pool: &PgPool, config: &ApiConfig) -> anyhow::Result<()> {
    let _ = (pool, config);
    tracing::info!("demo data loaded");
    Ok(())
}
