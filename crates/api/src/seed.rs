//! `api seed`: demo data for a local shop, safe to run repeatedly.
//!
//! Each capability adds its own step here; every step leaves rows that
//! already exist untouched.

use anyhow::Context;
use gokart_domain::{Email, NewPassword, PersonName, Role};
use secrecy::ExposeSecret;

use crate::catalog::seed as catalog;
use crate::config::SeedConfig;
use crate::state::AppState;
use crate::users::repository as users;

/// What `api seed` loads besides the admin and the demo catalog.
#[derive(Debug, Clone, Copy)]
pub struct What {
    /// Generated products to add.
    pub synthetic_products: u32,
    /// Whether to draw the demo products' photos.
    pub photos: bool,
}

/// Loads every demo data set, then the generated products `what` asks for.
pub async fn run(state: &AppState, seed: &SeedConfig, what: What) -> anyhow::Result<()> {
    let What { synthetic_products, photos } = what;
    seed_admin(state, seed).await?;
    let added = catalog::demo_catalog(&state.db).await?;
    tracing::info!(products_added = added, "demo catalog loaded");
    let codes = crate::discounts::seed_demo(&state.db).await?;
    tracing::info!(codes_added = codes, "demo discount codes loaded");
    if photos {
        let started = std::time::Instant::now();
        let added = catalog::demo_photos(state).await?;
        tracing::info!(
            photos_added = added,
            seconds = started.elapsed().as_secs_f64(),
            "demo photos drawn"
        );
    }
    if synthetic_products > 0 {
        let started = std::time::Instant::now();
        let added = catalog::synthetic_products(&state.db, i64::from(synthetic_products)).await?;
        tracing::info!(
            products_added = added,
            seconds = started.elapsed().as_secs_f64(),
            "synthetic products generated"
        );
    }
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
