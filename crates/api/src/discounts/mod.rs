//! Discount codes and automatic promotions: the stored rules, the codes on
//! a cart, and redemptions. Whether a discount may be used is decided here
//! ([`DiscountRow::refusal`]); what it takes off, by the pricing engine.
//! A limited discount is redeemed under its row lock at checkout
//! ([`redeem`]), so its limits hold exactly however many checkouts race.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use gokart_domain::pricing::{Benefit, Promotion, Scope};
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgExecutor};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::{Error, Result};

/// What a discount takes off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum Kind {
    /// `value` basis points of each line it covers (1000 is 10%).
    Percentage,
    /// `value` minor units, spread over the lines it covers.
    Fixed,
    /// The shipping charge.
    FreeShipping,
}

/// Why a code does not apply to a cart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// No such code.
    Unknown,
    /// Its end has passed.
    Expired,
    /// Its start has not come yet.
    NotStarted,
    /// Used as often as it may be (in all, or by this customer).
    Exhausted,
    /// The cart's subtotal is below its minimum.
    MinimumNotMet,
    /// It covers nothing in the cart.
    NotApplicable,
    /// Another discount that takes more off applies instead (it does not
    /// stack with it).
    NotCombinable,
}

impl Reason {
    /// Its snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            Reason::Unknown => "unknown",
            Reason::Expired => "expired",
            Reason::NotStarted => "not_started",
            Reason::Exhausted => "exhausted",
            Reason::MinimumNotMet => "minimum_not_met",
            Reason::NotApplicable => "not_applicable",
            Reason::NotCombinable => "not_combinable",
        }
    }

    /// For people.
    pub fn explain(self) -> &'static str {
        match self {
            Reason::Unknown => "there is no such discount code",
            Reason::Expired => "this code has expired",
            Reason::NotStarted => "this code is not valid yet",
            Reason::Exhausted => "this code has been used up",
            Reason::MinimumNotMet => "the cart is below this code's minimum subtotal",
            Reason::NotApplicable => "this code does not cover anything in the cart",
            Reason::NotCombinable => "another discount that takes more off applies instead",
        }
    }
}

impl From<Reason> for Error {
    fn from(reason: Reason) -> Self {
        Error::DiscountRefused { reason: reason.name(), message: reason.explain() }
    }
}

/// A stored discount (also read as JSON, when gathered with other rules).
#[derive(Debug, Clone, sqlx::FromRow, Deserialize)]
pub struct DiscountRow {
    /// Id.
    pub id: Uuid,
    /// What it is and when it applies.
    #[sqlx(flatten)]
    #[serde(flatten)]
    pub rule: DiscountFields,
    /// Orders not cancelled that carry it (kept while it has a usage limit).
    pub times_used: i32,
    /// Added at.
    pub created_at: DateTime<Utc>,
    /// Last changed at.
    pub updated_at: DateTime<Utc>,
}

impl DiscountRow {
    /// What the pricing engine needs of it.
    pub fn promotion(&self) -> Promotion {
        Promotion {
            id: self.id,
            code: self.rule.code.clone(),
            benefit: match self.rule.kind {
                Kind::Percentage => {
                    Benefit::Percentage(u32::try_from(self.rule.value).unwrap_or(0))
                }
                Kind::Fixed => Benefit::Fixed(self.rule.value),
                Kind::FreeShipping => Benefit::FreeShipping,
            },
            min_subtotal: self.rule.min_subtotal,
            scope: Scope {
                categories: self.rule.category_ids.clone(),
                collections: self.rule.collection_ids.clone(),
                products: self.rule.product_ids.clone(),
            },
            stackable: self.rule.stackable,
        }
    }

    /// Whether it is limited, and so redeemed under its lock.
    pub fn limited(&self) -> bool {
        self.rule.usage_limit.is_some() || self.rule.per_customer_limit.is_some()
    }

    /// Why it may not be used at `now` by a customer who used it
    /// `customer_uses` times, if it may not; the cart's contents are the
    /// pricing engine's to judge.
    pub fn refusal(&self, now: DateTime<Utc>, customer_uses: i64) -> Option<Reason> {
        if self.rule.starts_at.is_some_and(|start| now < start) {
            return Some(Reason::NotStarted);
        }
        if self.rule.ends_at.is_some_and(|end| now >= end) {
            return Some(Reason::Expired);
        }
        let used_up = self.rule.usage_limit.is_some_and(|limit| self.times_used >= limit)
            || self.rule.per_customer_limit.is_some_and(|limit| customer_uses >= i64::from(limit));
        used_up.then_some(Reason::Exhausted)
    }
}

/// Who is buying, as discount limits count them: guests by email,
/// customers by account and by their account's email alike.
#[derive(Debug, Clone, Default)]
pub struct Customer {
    /// The account, when signed in.
    pub user: Option<Uuid>,
    /// The guest's email (lower-case), once known.
    pub email: Option<String>,
}

const RETURNED: &str = "id, code, description, kind, value, min_subtotal, starts_at, ends_at, \
    usage_limit, per_customer_limit, category_ids, collection_ids, product_ids, automatic, \
    stackable, times_used, created_at, updated_at";
const COLUMNS: &str = "d.id, d.code, d.description, d.kind, d.value, d.min_subtotal, d.starts_at, \
    d.ends_at, d.usage_limit, d.per_customer_limit, d.category_ids, d.collection_ids, d.product_ids, \
    d.automatic, d.stackable, d.times_used, d.created_at, d.updated_at";

/// The discount with `code` (any case), if one exists.
pub async fn by_code(db: impl PgExecutor<'_>, code: &str) -> Result<Option<DiscountRow>> {
    Ok(sqlx::query_as(&format!("SELECT {COLUMNS} FROM discounts d WHERE code = upper($1)"))
        .bind(code.trim())
        .fetch_optional(db)
        .await?)
}

/// Discount `id`, if it exists.
pub async fn find(db: impl PgExecutor<'_>, id: Uuid) -> Result<Option<DiscountRow>> {
    Ok(sqlx::query_as(&format!("SELECT {COLUMNS} FROM discounts d WHERE id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await?)
}

/// A page of discounts, newest first, and how many there are.
pub async fn list(
    db: &mut PgConnection,
    limit: i64,
    offset: i64,
) -> Result<(Vec<DiscountRow>, i64)> {
    let rows = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM discounts d ORDER BY created_at DESC, id DESC LIMIT $1 OFFSET $2"
    ))
    .bind(limit)
    .bind(offset)
    .fetch_all(&mut *db)
    .await?;
    let total = sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM discounts"#)
        .fetch_one(&mut *db)
        .await?;
    Ok((rows, total))
}

/// How many orders not cancelled carry each of `discounts`.
pub async fn redemption_counts(
    db: impl PgExecutor<'_>,
    discounts: &[Uuid],
) -> Result<HashMap<Uuid, i64>> {
    let rows = sqlx::query!(
        r#"SELECT discount_id, count(*) AS "n!" FROM discount_redemptions
           WHERE discount_id = ANY($1) GROUP BY discount_id"#,
        discounts
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|row| (row.discount_id, row.n)).collect())
}

/// How often `customer` used each of `discounts` (orders not cancelled).
pub async fn uses_by(
    db: impl PgExecutor<'_>,
    discounts: &[Uuid],
    customer: &Customer,
) -> Result<HashMap<Uuid, i64>> {
    if discounts.is_empty() || (customer.user.is_none() && customer.email.is_none()) {
        return Ok(HashMap::new());
    }
    let rows = sqlx::query!(
        r#"SELECT discount_id, count(*) AS "n!" FROM discount_redemptions
           WHERE discount_id = ANY($1)
             AND (user_id = $2 OR email = $3
                  OR email = (SELECT lower(email) FROM users WHERE id = $2))
           GROUP BY discount_id"#,
        discounts,
        customer.user,
        customer.email
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|row| (row.discount_id, row.n)).collect())
}

/// Most codes one cart holds.
pub const MAX_CODES_PER_CART: i64 = 5;

/// Puts `discount` on cart `cart` (once); `false` when the cart already
/// holds as many codes as it may.
pub async fn add_to_cart(db: &mut PgConnection, cart: Uuid, discount: Uuid) -> Result<bool> {
    let held = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM cart_discount_codes WHERE cart_id = $1 AND discount_id <> $2"#,
        cart,
        discount
    )
    .fetch_one(&mut *db)
    .await?;
    if held >= MAX_CODES_PER_CART {
        return Ok(false);
    }
    sqlx::query!(
        "INSERT INTO cart_discount_codes (cart_id, discount_id) VALUES ($1, $2)
         ON CONFLICT DO NOTHING",
        cart,
        discount
    )
    .execute(&mut *db)
    .await?;
    Ok(true)
}

/// Takes `code` off cart `cart`; whether it was on it.
pub async fn remove_from_cart(db: impl PgExecutor<'_>, cart: Uuid, code: &str) -> Result<bool> {
    let done = sqlx::query!(
        "DELETE FROM cart_discount_codes
         WHERE cart_id = $1 AND discount_id IN (SELECT id FROM discounts WHERE code = upper($2))",
        cart,
        code.trim()
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Moves a guest cart's codes to a user's cart (before the guest cart goes).
pub async fn merge_codes(db: impl PgExecutor<'_>, guest: Uuid, user_cart: Uuid) -> Result<()> {
    sqlx::query!(
        "INSERT INTO cart_discount_codes (cart_id, discount_id, added_at)
         SELECT $2, discount_id, added_at FROM cart_discount_codes g
         WHERE g.cart_id = $1
           AND (SELECT count(*) FROM cart_discount_codes WHERE cart_id = $2) < $3
         ON CONFLICT DO NOTHING",
        guest,
        user_cart,
        MAX_CODES_PER_CART
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Records that order `order` carries `used`. Limited discounts are locked
/// (in id order) and checked again first; `Err(id)` names the first one
/// used up meanwhile, and nothing is written.
pub async fn redeem(
    tx: &mut PgConnection,
    used: &[&DiscountRow],
    order: Uuid,
    customer: &Customer,
) -> Result<std::result::Result<(), Uuid>> {
    if used.is_empty() {
        return Ok(Ok(()));
    }
    let mut limited: Vec<Uuid> = used.iter().filter(|d| d.limited()).map(|d| d.id).collect();
    limited.sort_unstable();
    if !limited.is_empty() {
        let locked = sqlx::query!(
            "SELECT id, usage_limit, per_customer_limit, times_used FROM discounts
             WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE",
            &limited
        )
        .fetch_all(&mut *tx)
        .await?;
        let mine = uses_by(&mut *tx, &limited, customer).await?;
        for row in &locked {
            let total_out = row.usage_limit.is_some_and(|limit| row.times_used >= limit);
            let mine_out = row
                .per_customer_limit
                .is_some_and(|limit| mine.get(&row.id).copied().unwrap_or(0) >= i64::from(limit));
            if total_out || mine_out {
                return Ok(Err(row.id));
            }
        }
        if locked.len() != limited.len() {
            // Deleted since it was read.
            let gone = limited.iter().find(|id| !locked.iter().any(|row| row.id == **id));
            return Ok(Err(gone.copied().unwrap_or_default()));
        }
        sqlx::query!(
            "UPDATE discounts SET times_used = times_used + 1
             WHERE id = ANY($1) AND usage_limit IS NOT NULL",
            &limited
        )
        .execute(&mut *tx)
        .await?;
    }
    let ids: Vec<Uuid> = used.iter().map(|d| d.id).collect();
    sqlx::query!(
        "INSERT INTO discount_redemptions (discount_id, order_id, user_id, email)
         SELECT id, $2, $3, COALESCE($4, (SELECT lower(email) FROM users WHERE id = $3), '')
         FROM unnest($1::uuid[]) AS id",
        &ids,
        order,
        customer.user,
        customer.email
    )
    .execute(&mut *tx)
    .await?;
    Ok(Ok(()))
}

/// Gives back the uses of a cancelled order. Locks the discounts after the
/// order's variants, as checkout does.
pub async fn release(tx: &mut PgConnection, order: Uuid) -> Result<()> {
    sqlx::query!(
        "WITH gone AS (DELETE FROM discount_redemptions WHERE order_id = $1 RETURNING discount_id)
         UPDATE discounts SET times_used = greatest(times_used - 1, 0)
         WHERE id IN (SELECT discount_id FROM gone) AND usage_limit IS NOT NULL",
        order
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// A discount's rule: what it takes off, from what, when and how often.
#[derive(Debug, Clone, sqlx::FromRow, Deserialize)]
pub struct DiscountFields {
    /// The code, upper-case; `None` for an automatic promotion.
    pub code: Option<String>,
    /// What shoppers see it called.
    pub description: String,
    /// What it takes off.
    pub kind: Kind,
    /// Basis points, minor units or 0.
    pub value: i64,
    /// Minimum subtotal.
    pub min_subtotal: Option<i64>,
    /// Valid from.
    pub starts_at: Option<DateTime<Utc>>,
    /// Valid until.
    pub ends_at: Option<DateTime<Utc>>,
    /// Most uses.
    pub usage_limit: Option<i32>,
    /// Most uses per customer.
    pub per_customer_limit: Option<i32>,
    /// Categories covered.
    pub category_ids: Vec<Uuid>,
    /// Collections covered.
    pub collection_ids: Vec<Uuid>,
    /// Products covered.
    pub product_ids: Vec<Uuid>,
    /// Without a code.
    pub automatic: bool,
    /// Stacks with other stackable ones.
    pub stackable: bool,
}

fn code_taken(err: sqlx::Error) -> Error {
    match &err {
        sqlx::Error::Database(db) if db.constraint() == Some("discounts_code_key") => {
            Error::conflict("discount_code_taken", "another discount has this code")
        }
        _ => Error::Database(err),
    }
}

/// The ids among `fields`' scope that name nothing: (field, index).
pub async fn unknown_scope(
    db: &mut PgConnection,
    fields: &DiscountFields,
) -> Result<Vec<(&'static str, usize)>> {
    let mut unknown = Vec::new();
    let categories: Vec<Uuid> =
        sqlx::query_scalar!("SELECT id FROM categories WHERE id = ANY($1)", &fields.category_ids)
            .fetch_all(&mut *db)
            .await?;
    let collections: Vec<Uuid> = sqlx::query_scalar!(
        "SELECT id FROM collections WHERE id = ANY($1)",
        &fields.collection_ids
    )
    .fetch_all(&mut *db)
    .await?;
    let products: Vec<Uuid> = sqlx::query_scalar!(
        "SELECT id FROM products WHERE id = ANY($1) AND deleted_at IS NULL",
        &fields.product_ids
    )
    .fetch_all(&mut *db)
    .await?;
    for (field, wanted, found) in [
        ("applies_to.category_ids", &fields.category_ids, &categories),
        ("applies_to.collection_ids", &fields.collection_ids, &collections),
        ("applies_to.product_ids", &fields.product_ids, &products),
    ] {
        if let Some(i) = wanted.iter().position(|id| !found.contains(id)) {
            unknown.push((field, i));
        }
    }
    Ok(unknown)
}

/// Creates discount `id` (when `creating`) or replaces its fields; `None`
/// when there is no discount `id` to change. A code another discount has
/// is a 409.
pub async fn save(
    db: impl PgExecutor<'_>,
    id: Uuid,
    fields: &DiscountFields,
    creating: bool,
) -> Result<Option<DiscountRow>> {
    let sql = if creating {
        format!(
            "INSERT INTO discounts (id, code, description, kind, value, min_subtotal, starts_at,
                 ends_at, usage_limit, per_customer_limit, category_ids, collection_ids,
                 product_ids, automatic, stackable)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
             RETURNING {RETURNED}"
        )
    } else {
        // The use count a new limit is checked against is counted afresh.
        format!(
            "UPDATE discounts SET code = $2, description = $3, kind = $4, value = $5,
                 min_subtotal = $6, starts_at = $7, ends_at = $8, usage_limit = $9,
                 per_customer_limit = $10, category_ids = $11, collection_ids = $12,
                 product_ids = $13, automatic = $14, stackable = $15,
                 times_used = (SELECT count(*) FROM discount_redemptions WHERE discount_id = $1)
             WHERE id = $1 RETURNING {RETURNED}"
        )
    };
    sqlx::query_as(&sql)
        .bind(id)
        .bind(&fields.code)
        .bind(&fields.description)
        .bind(fields.kind)
        .bind(fields.value)
        .bind(fields.min_subtotal)
        .bind(fields.starts_at)
        .bind(fields.ends_at)
        .bind(fields.usage_limit)
        .bind(fields.per_customer_limit)
        .bind(&fields.category_ids)
        .bind(&fields.collection_ids)
        .bind(&fields.product_ids)
        .bind(fields.automatic)
        .bind(fields.stackable)
        .fetch_optional(db)
        .await
        .map_err(code_taken)
}

/// Deletes discount `id`; whether it existed. Orders that carried it keep
/// their adjustments.
pub async fn delete(db: impl PgExecutor<'_>, id: Uuid) -> Result<bool> {
    let done = sqlx::query!("DELETE FROM discounts WHERE id = $1", id).execute(db).await?;
    Ok(done.rows_affected() == 1)
}

/// The demo shop's codes, where missing: `WELCOME10` (10% off, once per
/// customer) and `FREESHIP` (free shipping from 25.00). How many were added.
pub async fn seed_demo(db: impl PgExecutor<'_>) -> Result<u64> {
    let done = sqlx::query!(
        "INSERT INTO discounts (id, code, description, kind, value, min_subtotal,
                                per_customer_limit, stackable)
         VALUES ($1, 'WELCOME10', 'Welcome: 10% off', 'percentage', 1000, NULL, 1, false),
                ($2, 'FREESHIP', 'Free shipping from 25.00', 'free_shipping', 0, 2500, NULL, true)
         ON CONFLICT (code) DO NOTHING",
        Uuid::now_v7(),
        Uuid::now_v7()
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}
