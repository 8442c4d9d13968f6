//! `api seed`: demo data for a local shop, safe to run repeatedly.
//!
//! Each capability adds its own step here; every step leaves rows that
//! already exist untouched.

use anyhow::Context;
use gokart_domain::{Email, NewPassword, PersonName, Role};
use secrecy::ExposeSecret;

use crate::config::SeedConfig;
use crate::state::AppState;
use crate::users::repository as users;

/// Loads every demo data set.
pub async fn run(state: &AppState, seed: &SeedConfig) -> anyhow::Result<()> {
    seed_admin(state, seed).await?;
    tracing::info!("demo data loaded");
    Ok(())
}

/// The demo admin (`ADMIN_EMAIL` / `ADMIN_PASSWORD`), if missing.
async fn seed_admin(state: &AppState, seed: &SeedConfig) -> anyhow::Result<()> {
    let email = Email::parse(&seed.admin_email)
        .map_err(|err| anyhow::anyhow!("configuration error: ADMIN_EMAIL: {err}"))?;
    if users::find_by_email(&state.db, email.as_str()).await?.is_some() {
        tracing::info!(email = %email, "demo admin already exists");
        return Ok(());
    }
    let password = NewPassword::parse(seed.admin_password.expose_secret())
        .map_err(|err| anyhow::anyhow!("configuration error: ADMIN_PASSWORD: {err}"))?;
    let name = PersonName::parse("Admin").map_err(|err| anyhow::anyhow!("{err}"))?;
    let hash = state.passwords.hash(&password).await?;
    let created = users::insert_if_missing(&state.db, &name, &email, &hash, Role::Admin)
        .await
        .context("cannot create the demo admin")?;
    if created {
        tracing::info!(email = %email, "demo admin created");
    }
    Ok(())
}
