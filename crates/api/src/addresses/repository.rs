//! SQL for addresses. Every query is scoped to its owner.

use chrono::{DateTime, Utc};
use gokart_domain::Address;
use sqlx::PgExecutor;
use uuid::Uuid;

use crate::error::Result;

/// A stored address.
#[derive(Debug, Clone)]
pub struct AddressRow {
    /// Id.
    pub id: Uuid,
    /// Recipient.
    pub name: String,
    /// Phone.
    pub phone: String,
    /// Street.
    pub street1: String,
    /// Second street line.
    pub street2: Option<String>,
    /// City.
    pub city: String,
    /// State or region.
    pub state: Option<String>,
    /// Postal code.
    pub postal_code: String,
    /// ISO country code.
    pub country: String,
    /// Default for shipping.
    pub is_default_shipping: bool,
    /// Default for billing.
    pub is_default_billing: bool,
    /// Added at.
    pub created_at: DateTime<Utc>,
}

// Stored addresses were parsed on the way in, so the row is copied as is.
/// The postal address itself, without the book's id, defaults and
/// timestamp: what an order keeps a copy of.
impl From<&AddressRow> for Address {
    fn from(row: &AddressRow) -> Self {
        Address {
            name: row.name.clone(),
            phone: row.phone.clone(),
            street1: row.street1.clone(),
            street2: row.street2.clone(),
            city: row.city.clone(),
            state: row.state.clone(),
            postal_code: row.postal_code.clone(),
            country: row.country.clone(),
        }
    }
}

/// `user`'s addresses, oldest first.
#[tracing::instrument(skip_all, fields(user = %user))]
pub async fn list(db: impl PgExecutor<'_>, user: Uuid) -> Result<Vec<AddressRow>> {
    let rows = sqlx::query_as!(
        AddressRow,
        "SELECT id, name, phone, street1, street2, city, state, postal_code, country,
                is_default_shipping, is_default_billing, created_at
         FROM addresses WHERE user_id = $1 ORDER BY created_at, id",
        user
    )
    .fetch_all(db)
    .await?;
    Ok(rows)
}

/// One of `user`'s addresses.
#[tracing::instrument(skip_all, fields(user = %user, address = %id))]
pub async fn find(db: impl PgExecutor<'_>, user: Uuid, id: Uuid) -> Result<Option<AddressRow>> {
    let row = sqlx::query_as!(
        AddressRow,
        "SELECT id, name, phone, street1, street2, city, state, postal_code, country,
                is_default_shipping, is_default_billing, created_at
         FROM addresses WHERE user_id = $1 AND id = $2",
        user,
        id
    )
    .fetch_optional(db)
    .await?;
    Ok(row)
}

/// Two of `user`'s addresses (the same one twice is fine), in one round
/// trip; each `None` when it is not theirs.
#[tracing::instrument(skip_all, fields(user = %user))]
pub async fn find_two(
    db: impl PgExecutor<'_>,
    user: Uuid,
    first: Uuid,
    second: Uuid,
) -> Result<(Option<AddressRow>, Option<AddressRow>)> {
    let rows = sqlx::query_as!(
        AddressRow,
        "SELECT id, name, phone, street1, street2, city, state, postal_code, country,
                is_default_shipping, is_default_billing, created_at
         FROM addresses WHERE user_id = $1 AND id IN ($2, $3)",
        user,
        first,
        second
    )
    .fetch_all(db)
    .await?;
    let pick = |id: Uuid| rows.iter().find(|row| row.id == id).cloned();
    Ok((pick(first), pick(second)))
}

/// How many addresses `user` has.
#[tracing::instrument(skip_all, fields(user = %user))]
pub async fn count(db: impl PgExecutor<'_>, user: Uuid) -> Result<i64> {
    let count = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM addresses WHERE user_id = $1"#,
        user
    )
    .fetch_one(db)
    .await?;
    Ok(count)
}

/// Adds an address for `user`.
#[tracing::instrument(skip_all, fields(user = %user))]
pub async fn insert(
    db: impl PgExecutor<'_>,
    user: Uuid,
    a: &Address,
    default_shipping: bool,
    default_billing: bool,
) -> Result<AddressRow> {
    let row = sqlx::query_as!(
        AddressRow,
        "INSERT INTO addresses (id, user_id, name, phone, street1, street2, city, state, postal_code,
                                country, is_default_shipping, is_default_billing)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         RETURNING id, name, phone, street1, street2, city, state, postal_code, country,
                   is_default_shipping, is_default_billing, created_at",
        Uuid::new_v4(),
        user,
        a.name,
        a.phone,
        a.street1,
        a.street2,
        a.city,
        a.state,
        a.postal_code,
        a.country,
        default_shipping,
        default_billing
    )
    .fetch_one(db)
    .await?;
    Ok(row)
}

/// Replaces an address's fields; `None` if it is not `user`'s.
#[tracing::instrument(skip_all, fields(user = %user, address = %id))]
pub async fn update(
    db: impl PgExecutor<'_>,
    user: Uuid,
    id: Uuid,
    a: &Address,
) -> Result<Option<AddressRow>> {
    let row = sqlx::query_as!(
        AddressRow,
        "UPDATE addresses SET name = $3, phone = $4, street1 = $5, street2 = $6, city = $7,
                state = $8, postal_code = $9, country = $10
         WHERE user_id = $1 AND id = $2
         RETURNING id, name, phone, street1, street2, city, state, postal_code, country,
                   is_default_shipping, is_default_billing, created_at",
        user,
        id,
        a.name,
        a.phone,
        a.street1,
        a.street2,
        a.city,
        a.state,
        a.postal_code,
        a.country
    )
    .fetch_optional(db)
    .await?;
    Ok(row)
}

/// Deletes one of `user`'s addresses; whether it existed.
#[tracing::instrument(skip_all, fields(user = %user, address = %id))]
pub async fn delete(db: impl PgExecutor<'_>, user: Uuid, id: Uuid) -> Result<bool> {
    let done = sqlx::query!("DELETE FROM addresses WHERE user_id = $1 AND id = $2", user, id)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Clears `user`'s current defaults of the given kinds.
#[tracing::instrument(skip_all, fields(user = %user))]
pub async fn clear_defaults(
    db: impl PgExecutor<'_>,
    user: Uuid,
    shipping: bool,
    billing: bool,
) -> Result<()> {
    sqlx::query!(
        "UPDATE addresses SET
             is_default_shipping = is_default_shipping AND NOT $2,
             is_default_billing = is_default_billing AND NOT $3
         WHERE user_id = $1 AND ((is_default_shipping AND $2) OR (is_default_billing AND $3))",
        user,
        shipping,
        billing
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Makes an address the default of the given kinds; `None` if not `user`'s.
#[tracing::instrument(skip_all, fields(user = %user, address = %id))]
pub async fn set_defaults(
    db: impl PgExecutor<'_>,
    user: Uuid,
    id: Uuid,
    shipping: bool,
    billing: bool,
) -> Result<Option<AddressRow>> {
    let row = sqlx::query_as!(
        AddressRow,
        "UPDATE addresses SET
             is_default_shipping = is_default_shipping OR $3,
             is_default_billing = is_default_billing OR $4
         WHERE user_id = $1 AND id = $2
         RETURNING id, name, phone, street1, street2, city, state, postal_code, country,
                   is_default_shipping, is_default_billing, created_at",
        user,
        id,
        shipping,
        billing
    )
    .fetch_optional(db)
    .await?;
    Ok(row)
}
