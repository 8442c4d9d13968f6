//! Shipping zones and their methods. The pricing engine picks the zone for
//! a destination ([`gokart_domain::pricing::zone_for`]) and what a method
//! charges for a cart ([`gokart_domain::pricing::shipping_charge`]).

pub mod handler;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use gokart_domain::pricing::{ShippingMethod, WeightBand};
use serde::{Deserialize, Serialize};
use sqlx::types::Json;
use sqlx::{PgConnection, PgExecutor};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::{Error, Result};

/// A price up to a cart weight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Band {
    /// The heaviest cart at this price, in grams.
    #[schema(minimum = 1, maximum = 1_000_000_000)]
    pub up_to_grams: i64,
    /// The price, in minor units.
    #[schema(minimum = 0, maximum = 10_000_000_000_i64)]
    pub price: i64,
}

/// A stored zone.
#[derive(Debug, Clone)]
pub struct ZoneRow {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// ISO 3166-1 alpha-2 codes.
    pub countries: Vec<String>,
    /// Regions it is limited to.
    pub regions: Vec<String>,
    /// Added at.
    pub created_at: DateTime<Utc>,
    /// Last changed at.
    pub updated_at: DateTime<Utc>,
}

/// A stored method.
#[derive(Debug, Clone, Deserialize)]
pub struct MethodRow {
    /// Id.
    pub id: Uuid,
    /// Its zone.
    pub zone_id: Uuid,
    /// Name.
    pub name: String,
    /// Price in minor units.
    pub price: i64,
    /// Free from this discounted subtotal.
    pub free_over: Option<i64>,
    /// Prices by weight.
    pub weight_bands: Json<Vec<Band>>,
    /// Fewest days to deliver.
    pub estimated_days_min: i32,
    /// Most days to deliver.
    pub estimated_days_max: i32,
}

impl From<&MethodRow> for ShippingMethod {
    fn from(row: &MethodRow) -> Self {
        ShippingMethod {
            id: row.id,
            name: row.name.clone(),
            price: row.price,
            free_over: row.free_over,
            weight_bands: row
                .weight_bands
                .iter()
                .map(|b| WeightBand { up_to_grams: b.up_to_grams, price: b.price })
                .collect(),
        }
    }
}

/// A zone with its methods in order.
#[derive(Debug, Clone)]
pub struct Zone {
    /// The zone.
    pub row: ZoneRow,
    /// Its methods.
    pub methods: Vec<MethodRow>,
}

/// A method's fields, checked; `id` keeps an existing method.
#[derive(Debug, Clone)]
pub struct MethodFields {
    /// The method to keep, if it exists.
    pub id: Option<Uuid>,
    /// Name.
    pub name: String,
    /// Price.
    pub price: i64,
    /// Free from.
    pub free_over: Option<i64>,
    /// Prices by weight, lightest first.
    pub weight_bands: Vec<Band>,
    /// Fewest days.
    pub estimated_days_min: i32,
    /// Most days.
    pub estimated_days_max: i32,
}

/// A zone's fields, checked.
#[derive(Debug, Clone)]
pub struct ZoneFields {
    /// Name.
    pub name: String,
    /// Countries.
    pub countries: Vec<String>,
    /// Regions.
    pub regions: Vec<String>,
    /// Methods, in order (replacing the current ones).
    pub methods: Vec<MethodFields>,
}

/// Every zone with its methods, oldest first.
pub async fn zones(db: &mut PgConnection) -> Result<Vec<Zone>> {
    let rows = sqlx::query_as!(
        ZoneRow,
        "SELECT id, name, countries, regions, created_at, updated_at
         FROM shipping_zones ORDER BY created_at, id"
    )
    .fetch_all(&mut *db)
    .await?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut methods: HashMap<Uuid, Vec<MethodRow>> = HashMap::new();
    for method in methods_of(&mut *db, &ids).await? {
        methods.entry(method.zone_id).or_default().push(method);
    }
    Ok(rows
        .into_iter()
        .map(|row| Zone { methods: methods.remove(&row.id).unwrap_or_default(), row })
        .collect())
}

async fn methods_of(db: impl PgExecutor<'_>, zones: &[Uuid]) -> Result<Vec<MethodRow>> {
    Ok(sqlx::query_as!(
        MethodRow,
        r#"SELECT id, zone_id, name, price, free_over,
                  weight_bands AS "weight_bands: Json<Vec<Band>>",
                  estimated_days_min, estimated_days_max
           FROM shipping_methods WHERE zone_id = ANY($1) ORDER BY zone_id, position"#,
        zones
    )
    .fetch_all(db)
    .await?)
}

/// Zone `id` with its methods.
pub async fn zone(db: &mut PgConnection, id: Uuid) -> Result<Option<Zone>> {
    let row = sqlx::query_as!(
        ZoneRow,
        "SELECT id, name, countries, regions, created_at, updated_at
         FROM shipping_zones WHERE id = $1",
        id
    )
    .fetch_optional(&mut *db)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let methods = methods_of(&mut *db, &[id]).await?;
    Ok(Some(Zone { row, methods }))
}

/// Creates zone `id` (when `creating`) or replaces its fields and methods;
/// a method id that is not one of the zone's is a 422 naming it. `false`
/// when there is no zone `id` to change.
#[tracing::instrument(skip_all, fields(zone = %id))]
pub async fn save(
    db: &mut PgConnection,
    id: Uuid,
    fields: &ZoneFields,
    creating: bool,
) -> Result<bool> {
    let saved = if creating {
        sqlx::query!(
            "INSERT INTO shipping_zones (id, name, countries, regions) VALUES ($1, $2, $3, $4)",
            id,
            fields.name,
            &fields.countries,
            &fields.regions
        )
        .execute(&mut *db)
        .await?
    } else {
        sqlx::query!(
            "UPDATE shipping_zones SET name = $2, countries = $3, regions = $4 WHERE id = $1",
            id,
            fields.name,
            &fields.countries,
            &fields.regions
        )
        .execute(&mut *db)
        .await?
    };
    if saved.rows_affected() == 0 {
        return Ok(false);
    }
    let existing: Vec<Uuid> =
        sqlx::query_scalar!("SELECT id FROM shipping_methods WHERE zone_id = $1", id)
            .fetch_all(&mut *db)
            .await?;
    if let Some(i) =
        fields.methods.iter().position(|m| m.id.is_some_and(|m| !existing.contains(&m)))
    {
        return Err(Error::invalid(&format!("methods[{i}].id"), "no such method in this zone"));
    }
    let kept: Vec<Uuid> = fields.methods.iter().filter_map(|m| m.id).collect();
    sqlx::query!(
        "DELETE FROM shipping_methods WHERE zone_id = $1 AND NOT (id = ANY($2))",
        id,
        &kept
    )
    .execute(&mut *db)
    .await?;
    for (position, method) in (0_i32..).zip(&fields.methods) {
        sqlx::query!(
            "INSERT INTO shipping_methods (id, zone_id, position, name, price, free_over,
                                           weight_bands, estimated_days_min, estimated_days_max)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (id) DO UPDATE SET position = $3, name = $4, price = $5,
                 free_over = $6, weight_bands = $7, estimated_days_min = $8,
                 estimated_days_max = $9",
            method.id.unwrap_or_else(Uuid::now_v7),
            id,
            position,
            method.name,
            method.price,
            method.free_over,
            Json(&method.weight_bands) as _,
            method.estimated_days_min,
            method.estimated_days_max
        )
        .execute(&mut *db)
        .await?;
    }
    Ok(true)
}

/// Deletes zone `id` and its methods; whether it existed.
pub async fn delete(db: impl PgExecutor<'_>, id: Uuid) -> Result<bool> {
    let done = sqlx::query!("DELETE FROM shipping_zones WHERE id = $1", id).execute(db).await?;
    Ok(done.rows_affected() == 1)
}
