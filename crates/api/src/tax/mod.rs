//! The shop's tax rates, by country, region and tax class, as admins keep
//! them. Pricing reads them with the shipping zones in one query, and the
//! engine ([`gokart_domain::pricing::TaxRules::for_destination`]) picks the
//! ones that apply to a destination.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use uuid::Uuid;

use crate::error::{Error, Result};

/// A stored rate.
#[derive(Debug, Clone)]
pub struct TaxRateRow {
    /// Id.
    pub id: Uuid,
    /// ISO 3166-1 alpha-2 code.
    pub country: String,
    /// A region of the country.
    pub region: Option<String>,
    /// The tax class it is for.
    pub tax_class: Option<String>,
    /// Basis points.
    pub rate_bps: i32,
    /// Prices include it.
    pub inclusive: bool,
    /// Added at.
    pub created_at: DateTime<Utc>,
    /// Last changed at.
    pub updated_at: DateTime<Utc>,
}

/// A rate's fields, checked.
#[derive(Debug, Clone)]
pub struct TaxRateFields {
    /// ISO 3166-1 alpha-2 code.
    pub country: String,
    /// A region of the country.
    pub region: Option<String>,
    /// The tax class it is for.
    pub tax_class: Option<String>,
    /// Basis points, 0 to 10,000.
    pub rate_bps: i32,
    /// Prices include it.
    pub inclusive: bool,
}

fn taken(err: sqlx::Error) -> Error {
    match &err {
        sqlx::Error::Database(db) if db.constraint() == Some("tax_rates_scope_key") => {
            Error::conflict(
                "tax_rate_exists",
                "a rate for this country, region and tax class exists; change that one",
            )
        }
        _ => Error::Database(err),
    }
}

/// Every rate, by country, region and class.
pub async fn list(db: impl PgExecutor<'_>) -> Result<Vec<TaxRateRow>> {
    Ok(sqlx::query_as!(
        TaxRateRow,
        "SELECT id, country, region, tax_class, rate_bps, inclusive, created_at, updated_at
         FROM tax_rates ORDER BY country, region NULLS FIRST, tax_class NULLS FIRST"
    )
    .fetch_all(db)
    .await?)
}

/// Adds a rate; one for the same scope is a 409.
#[tracing::instrument(skip_all)]
pub async fn insert(db: impl PgExecutor<'_>, fields: &TaxRateFields) -> Result<TaxRateRow> {
    sqlx::query_as!(
        TaxRateRow,
        "INSERT INTO tax_rates (id, country, region, tax_class, rate_bps, inclusive)
         VALUES ($1, $2, $3, $4, $5, $6)
         RETURNING id, country, region, tax_class, rate_bps, inclusive, created_at, updated_at",
        Uuid::now_v7(),
        fields.country,
        fields.region,
        fields.tax_class,
        fields.rate_bps,
        fields.inclusive
    )
    .fetch_one(db)
    .await
    .map_err(taken)
}

/// Replaces rate `id`'s fields; `None` when there is no such rate.
#[tracing::instrument(skip_all, fields(rate = %id))]
pub async fn update(
    db: impl PgExecutor<'_>,
    id: Uuid,
    fields: &TaxRateFields,
) -> Result<Option<TaxRateRow>> {
    sqlx::query_as!(
        TaxRateRow,
        "UPDATE tax_rates SET country = $2, region = $3, tax_class = $4, rate_bps = $5,
                              inclusive = $6
         WHERE id = $1
         RETURNING id, country, region, tax_class, rate_bps, inclusive, created_at, updated_at",
        id,
        fields.country,
        fields.region,
        fields.tax_class,
        fields.rate_bps,
        fields.inclusive
    )
    .fetch_optional(db)
    .await
    .map_err(taken)
}

/// Deletes rate `id`; whether it existed.
#[tracing::instrument(skip_all, fields(rate = %id))]
pub async fn delete(db: impl PgExecutor<'_>, id: Uuid) -> Result<bool> {
    let done = sqlx::query!("DELETE FROM tax_rates WHERE id = $1", id).execute(db).await?;
    Ok(done.rows_affected() == 1)
}
