//! Refunds: money given back from an order, in part or in whole. A refund
//! is an amount, or some units of some lines (each with its share of the
//! line's tax and discount, see `gokart_domain::refunds`) and perhaps the
//! shipping. Through the payment provider a refund is `pending` until the
//! provider accepts it (the outbox sends it, with its own idempotency key);
//! by hand it has `succeeded` at once. Refunds are planned and written under
//! the order's row lock, so together they never give back more than was
//! paid, however many are asked for at once. The workflow is what writes
//! them; this module reads, plans and stores.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use gokart_domain::refunds::{RefundError, RefundableLine, charged};
use gokart_domain::{Currency, Money};
use serde::{Deserialize, Serialize};
use sqlx::PgExecutor;
use utoipa::ToSchema;
use uuid::Uuid;

use super::repository::{ItemRow, OrderRow};
use crate::error::{Error, Result};

/// Where a refund is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum RefundStatus {
    /// Asked of the payment provider, which has not accepted it yet.
    Pending,
    /// Given back.
    Succeeded,
}

/// Some units of a line, refunded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundItemRow {
    /// The line (`order_items.id`).
    pub order_item_id: Uuid,
    /// Units.
    pub quantity: i32,
    /// Given back for them.
    pub amount: i64,
    /// The tax in `amount`.
    pub tax_amount: i64,
    /// The discount the units had.
    pub discount_amount: i64,
}

/// A stored refund.
#[derive(Debug, Clone, Deserialize)]
pub struct RefundRow {
    /// Id.
    pub id: Uuid,
    /// The order.
    pub order_id: Uuid,
    /// Given back, in all.
    pub amount: i64,
    /// The part of `amount` that is shipping.
    pub shipping_amount: i64,
    /// Why.
    pub reason: String,
    /// `manual` or `stripe`.
    pub method: String,
    /// Where it is.
    pub status: RefundStatus,
    /// The provider's id for it.
    pub provider_reference: Option<String>,
    /// Who asked for it.
    pub actor: String,
    /// Asked for at.
    pub created_at: DateTime<Utc>,
    /// Given back at.
    pub settled_at: Option<DateTime<Utc>>,
    /// The units it gives back.
    pub items: Vec<RefundItemRow>,
}

/// What an order's refunds add up to, read under the order's lock.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Refunded {
    /// Every refund, pending or not: what can no longer be asked for.
    pub asked: i64,
    /// Refunds given back.
    pub settled: i64,
    /// The shipping given back or asked for.
    pub shipping: i64,
    /// Units of each line given back or asked for.
    pub units: HashMap<Uuid, i64>,
}

/// Some units of one line, to refund.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnitsAsked {
    /// The line.
    pub order_item_id: Uuid,
    /// Units.
    pub quantity: i64,
}

/// What a refund is asked to give back: an amount, or units of lines and
/// perhaps the shipping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundAsk {
    /// A sum of money, not tied to lines.
    Amount(i64),
    /// Units of lines, each with its share of tax and discount, and the
    /// shipping not yet refunded when `shipping`.
    Items {
        /// The lines.
        items: Vec<UnitsAsked>,
        /// With the shipping.
        shipping: bool,
    },
}

/// A refund worked out, to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRefund {
    /// Its id.
    pub id: Uuid,
    /// Given back, in all.
    pub amount: i64,
    /// The shipping in it.
    pub shipping_amount: i64,
    /// The units.
    pub items: Vec<RefundItemRow>,
}

/// Works out `ask` on `order` with its `items`, given what was `refunded`
/// already: a 422 names a line that is not the order's, a 409
/// `refund_exceeds_paid` says what is left when the refund asks too much.
pub fn plan(
    order: &OrderRow,
    items: &[ItemRow],
    refunded: &Refunded,
    ask: &RefundAsk,
) -> Result<NewRefund> {
    let money = |amount| Money::new(amount, currency(order));
    let left = order.total_amount - refunded.asked;
    let mut refund =
        NewRefund { id: Uuid::now_v7(), amount: 0, shipping_amount: 0, items: Vec::new() };
    match ask {
        RefundAsk::Amount(amount) => refund.amount = *amount,
        RefundAsk::Items { items: asked, shipping } => {
            for (index, units) in asked.iter().enumerate() {
                let field = format!("items[{index}].order_item_id");
                let item = items
                    .iter()
                    .find(|item| item.id == units.order_item_id)
                    .ok_or_else(|| Error::invalid(&field, "is not a line of this order"))?;
                if asked[..index].iter().any(|earlier| earlier.order_item_id == item.id) {
                    return Err(Error::invalid(&field, "is named twice"));
                }
                let line = refundable(order, item, refunded);
                let share = line.refund(units.quantity).map_err(|err| match err {
                    RefundError::NotPositive => {
                        Error::invalid(&format!("items[{index}].quantity"), "must be at least 1")
                    }
                    RefundError::TooMany { .. } => Error::conflict(
                        "refund_exceeds_paid",
                        format!("{} ({}): {err}", item.name, item.sku),
                    ),
                })?;
                refund.amount += share.amount;
                refund.items.push(RefundItemRow {
                    order_item_id: item.id,
                    quantity: i32::try_from(units.quantity).unwrap_or(i32::MAX),
                    amount: share.amount,
                    tax_amount: share.tax,
                    discount_amount: share.discount,
                });
            }
            if *shipping {
                refund.shipping_amount = (order.shipping_amount - refunded.shipping).max(0);
                refund.amount += refund.shipping_amount;
            }
        }
    }
    if refund.amount <= 0 {
        let field = if matches!(ask, RefundAsk::Amount(_)) { "amount" } else { "items" };
        return Err(Error::invalid(field, "the refund would give nothing back"));
    }
    if refund.amount > left {
        return Err(Error::conflict(
            "refund_exceeds_paid",
            format!(
                "the refund of {} is more than the {} of the payment not yet refunded",
                money(refund.amount),
                money(left.max(0))
            ),
        ));
    }
    Ok(refund)
}

/// What is left to refund of everything: the rest of the payment, as the
/// refund a cancellation makes.
pub fn rest(order: &OrderRow, refunded: &Refunded) -> Option<NewRefund> {
    let amount = order.total_amount - refunded.asked;
    (amount > 0).then(|| NewRefund {
        id: Uuid::now_v7(),
        amount,
        shipping_amount: (order.shipping_amount - refunded.shipping).clamp(0, amount),
        items: Vec::new(),
    })
}

fn currency(order: &OrderRow) -> Currency {
    Currency::parse(&order.currency).unwrap_or(Currency::USD)
}

/// `item` of `order`, as a refund sees it.
fn refundable(order: &OrderRow, item: &ItemRow, refunded: &Refunded) -> RefundableLine {
    RefundableLine {
        quantity: i64::from(item.quantity),
        refunded_units: refunded.units.get(&item.id).copied().unwrap_or(0),
        charged: charged(
            item.line_total_amount,
            item.discount_amount,
            item.tax_amount,
            order.prices_include_tax,
        ),
        tax: item.tax_amount,
        discount: item.discount_amount,
    }
}

/// What the refunds of `order` add up to (read it under the order's lock).
pub async fn refunded(db: impl PgExecutor<'_>, order: Uuid) -> Result<Refunded> {
    let row = sqlx::query!(
        r#"SELECT COALESCE(SUM(amount), 0)::int8 AS "asked!",
                  COALESCE(SUM(amount) FILTER (WHERE status = 'succeeded'), 0)::int8 AS "settled!",
                  COALESCE(SUM(shipping_amount), 0)::int8 AS "shipping!",
                  COALESCE((SELECT jsonb_object_agg(order_item_id, units) FROM (
                      SELECT i.order_item_id, SUM(i.quantity) AS units
                      FROM refund_items i JOIN refunds r ON r.id = i.refund_id
                      WHERE r.order_id = $1 GROUP BY i.order_item_id) per_line),
                    '{}') AS "units!: sqlx::types::Json<HashMap<Uuid, i64>>"
           FROM refunds WHERE order_id = $1"#,
        order
    )
    .fetch_one(db)
    .await?;
    Ok(Refunded {
        asked: row.asked,
        settled: row.settled,
        shipping: row.shipping,
        units: row.units.0,
    })
}

/// How a refund is stored.
#[derive(Debug, Clone, Copy)]
pub struct Meta<'a> {
    /// Why.
    pub reason: &'a str,
    /// `manual` or `stripe`: the order's payment method.
    pub method: &'a str,
    /// Who asked for it.
    pub actor: &'a str,
    /// Given back already, or pending.
    pub status: RefundStatus,
    /// The provider's id for it, when known.
    pub reference: Option<&'a str>,
}

/// Stores `refund` of `order` as `meta` says.
pub(super) async fn insert(
    tx: &mut sqlx::PgConnection,
    order: Uuid,
    refund: &NewRefund,
    meta: Meta<'_>,
) -> Result<()> {
    sqlx::query!(
        "INSERT INTO refunds (id, order_id, amount, shipping_amount, reason, method, status,
                              provider_reference, actor, settled_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, CASE WHEN $7 = 'succeeded' THEN now() END)",
        refund.id,
        order,
        refund.amount,
        refund.shipping_amount,
        meta.reason,
        meta.method,
        meta.status as RefundStatus,
        meta.reference,
        meta.actor
    )
    .execute(&mut *tx)
    .await?;
    if refund.items.is_empty() {
        return Ok(());
    }
    let lines: Vec<Uuid> = refund.items.iter().map(|i| i.order_item_id).collect();
    let quantities: Vec<i32> = refund.items.iter().map(|i| i.quantity).collect();
    let amounts: Vec<i64> = refund.items.iter().map(|i| i.amount).collect();
    let taxes: Vec<i64> = refund.items.iter().map(|i| i.tax_amount).collect();
    let discounts: Vec<i64> = refund.items.iter().map(|i| i.discount_amount).collect();
    sqlx::query!(
        "INSERT INTO refund_items (refund_id, order_item_id, quantity, amount, tax_amount,
                                   discount_amount)
         SELECT $1, * FROM unnest($2::uuid[], $3::int4[], $4::int8[], $5::int8[], $6::int8[])",
        refund.id,
        &lines,
        &quantities,
        &amounts,
        &taxes,
        &discounts
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Marks pending refund `id` given back, with the provider's `reference`;
/// its order and amount, or `None` when it was settled already (a repeat).
pub(super) async fn settle(
    db: impl PgExecutor<'_>,
    id: Uuid,
    reference: Option<&str>,
) -> Result<Option<(Uuid, i64)>> {
    Ok(sqlx::query!(
        "UPDATE refunds SET status = 'succeeded', settled_at = now(),
                provider_reference = COALESCE($2, provider_reference)
         WHERE id = $1 AND status = 'pending' RETURNING order_id, amount",
        id,
        reference
    )
    .fetch_optional(db)
    .await?
    .map(|row| (row.order_id, row.amount)))
}

/// The order and amount of refund `id`, to send it to the provider.
pub async fn amount_of(db: impl PgExecutor<'_>, id: Uuid) -> Result<Option<(Uuid, i64)>> {
    Ok(sqlx::query!("SELECT order_id, amount FROM refunds WHERE id = $1", id)
        .fetch_optional(db)
        .await?
        .map(|row| (row.order_id, row.amount)))
}

/// A refund `r` as the JSON of a [`RefundRow`].
const REFUND_JSON: &str = "json_build_object(
    'id', r.id, 'order_id', r.order_id, 'amount', r.amount,
    'shipping_amount', r.shipping_amount, 'reason', r.reason, 'method', r.method,
    'status', r.status, 'provider_reference', r.provider_reference, 'actor', r.actor,
    'created_at', r.created_at, 'settled_at', r.settled_at,
    'items', COALESCE((SELECT json_agg(json_build_object(
                'order_item_id', i.order_item_id, 'quantity', i.quantity, 'amount', i.amount,
                'tax_amount', i.tax_amount, 'discount_amount', i.discount_amount)
                ORDER BY i.order_item_id)
              FROM refund_items i WHERE i.refund_id = r.id), '[]'))";

/// The refunds of `order`, oldest first, with their units.
pub async fn for_order(db: impl PgExecutor<'_>, order: Uuid) -> Result<Vec<RefundRow>> {
    let rows: Vec<sqlx::types::Json<RefundRow>> = sqlx::query_scalar(&format!(
        "SELECT {REFUND_JSON} FROM refunds r WHERE r.order_id = $1 ORDER BY r.created_at, r.id"
    ))
    .bind(order)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|row| row.0).collect())
}

/// Refund `id` of `order`, with its units.
pub async fn find(db: impl PgExecutor<'_>, order: Uuid, id: Uuid) -> Result<Option<RefundRow>> {
    let found: Option<sqlx::types::Json<RefundRow>> = sqlx::query_scalar(&format!(
        "SELECT {REFUND_JSON} FROM refunds r WHERE r.order_id = $1 AND r.id = $2"
    ))
    .bind(order)
    .bind(id)
    .fetch_optional(db)
    .await?;
    Ok(found.map(|row| row.0))
}

/// Some units of a line, as a refund gave them back.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RefundItemView {
    /// The line (`items[].id` of the order).
    pub order_item_id: Uuid,
    /// Units.
    pub quantity: i32,
    /// Given back for them, tax included.
    pub amount: Money,
    /// The tax in `amount`.
    pub tax: Money,
    /// The discount the units had (not given back: it was never paid).
    pub discount: Money,
}

/// A refund, as clients see it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RefundView {
    /// Id.
    pub id: Uuid,
    /// The order.
    pub order_id: Uuid,
    /// Given back, in all.
    pub amount: Money,
    /// The shipping in `amount`.
    pub shipping: Money,
    /// `pending` until the payment provider accepts it, then `succeeded`.
    pub status: RefundStatus,
    /// `manual` (given back by hand) or `stripe`.
    pub method: String,
    /// The units it gives back; empty for a refund of an amount.
    pub items: Vec<RefundItemView>,
    /// Why (staff only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Who asked for it (staff only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// The payment provider's id for it (staff only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_reference: Option<String>,
    /// Asked for at.
    pub created_at: DateTime<Utc>,
    /// Given back at.
    pub settled_at: Option<DateTime<Utc>>,
}

impl RefundView {
    /// `row` in `currency`, with the staff's fields when `staff`.
    pub fn new(row: RefundRow, currency: Currency, staff: bool) -> Self {
        let money = |amount| Money::new(amount, currency);
        RefundView {
            id: row.id,
            order_id: row.order_id,
            amount: money(row.amount),
            shipping: money(row.shipping_amount),
            status: row.status,
            method: row.method,
            items: row
                .items
                .into_iter()
                .map(|item| RefundItemView {
                    order_item_id: item.order_item_id,
                    quantity: item.quantity,
                    amount: money(item.amount),
                    tax: money(item.tax_amount),
                    discount: money(item.discount_amount),
                })
                .collect(),
            reason: staff.then_some(row.reason),
            actor: staff.then_some(row.actor),
            provider_reference: row.provider_reference.filter(|_| staff),
            created_at: row.created_at,
            settled_at: row.settled_at,
        }
    }
}
