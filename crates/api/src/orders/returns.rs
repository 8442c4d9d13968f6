//! Returns (RMAs): a customer (or the guest holding the order's token) asks
//! to send back some units of a delivered order within `RETURN_WINDOW`,
//! each line with a reason; the shop approves (saying whether it pays the
//! return shipping) or rejects with a note, marks the units received
//! (choosing per line whether they go back into stock), and refunds them
//! (`orders/refunds.rs`, with their share of tax and discount). The states
//! are `gokart_domain::returns`; every change is on the order's timeline
//! and emails the customer. Returns are asked for and moved under the
//! order's row lock, so units in returns never exceed what was delivered,
//! however many are asked for at once.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use gokart_domain::returns::{ReturnStatus, returnable, within_window};
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgExecutor};
use utoipa::ToSchema;
use uuid::Uuid;

use super::refunds::{self, RefundAsk, UnitsAsked};
use super::repository::{self as orders, ItemRow, OrderRow};
use super::workflow;
use crate::error::{Error, Result};
use crate::outbox::{self, OutboxMessage};

/// Some units of a line, in a return.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReturnItem {
    /// The line (`items[].id` of the order).
    pub order_item_id: Uuid,
    /// The line's name, as it was bought.
    pub name: String,
    /// Units.
    pub quantity: i32,
    /// Why the customer sends them back.
    pub reason: String,
    /// Once received: whether they went back into stock.
    pub restocked: Option<bool>,
}

/// A return, as clients see it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReturnView {
    /// Id.
    pub id: Uuid,
    /// The order.
    pub order_id: Uuid,
    /// The order's number, as its customer knows it.
    pub order_number: String,
    /// `requested`, `approved`, `rejected`, `received` or `refunded`.
    #[schema(value_type = ReturnStatus)]
    pub status: ReturnStatus,
    /// The shop pays for sending the units back.
    pub return_shipping: bool,
    /// The shop's word to the customer (why a return was rejected).
    pub note: Option<String>,
    /// The refund that gave the units' money back; none on a refunded
    /// return when that money had been given back before it.
    pub refund_id: Option<Uuid>,
    /// The units.
    pub items: Vec<ReturnItem>,
    /// Asked for at.
    pub created_at: DateTime<Utc>,
    /// Last changed at.
    pub updated_at: DateTime<Utc>,
}

/// A return `t` as the JSON of a [`ReturnView`].
const RETURN_JSON: &str = "json_build_object(
    'id', t.id, 'order_id', t.order_id,
    'order_number', (SELECT o.order_number FROM orders o WHERE o.id = t.order_id),
    'status', t.status,
    'return_shipping', t.return_shipping, 'note', t.note, 'refund_id', t.refund_id,
    'created_at', t.created_at, 'updated_at', t.updated_at,
    'items', COALESCE((SELECT json_agg(json_build_object(
                'order_item_id', i.order_item_id, 'name', l.name, 'quantity', i.quantity,
                'reason', i.reason, 'restocked', i.restocked) ORDER BY i.order_item_id)
              FROM return_items i JOIN order_items l ON l.id = i.order_item_id
              WHERE i.return_id = t.id), '[]'))";

/// The returns of `order`, oldest first.
pub async fn for_order(db: impl PgExecutor<'_>, order: Uuid) -> Result<Vec<ReturnView>> {
    let rows: Vec<sqlx::types::Json<ReturnView>> = sqlx::query_scalar(&format!(
        "SELECT {RETURN_JSON} FROM returns t WHERE t.order_id = $1 ORDER BY t.created_at, t.id"
    ))
    .bind(order)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|row| row.0).collect())
}

/// Return `id`.
pub async fn find(db: impl PgExecutor<'_>, id: Uuid) -> Result<Option<ReturnView>> {
    let found: Option<sqlx::types::Json<ReturnView>> =
        sqlx::query_scalar(&format!("SELECT {RETURN_JSON} FROM returns t WHERE t.id = $1"))
            .bind(id)
            .fetch_optional(db)
            .await?;
    Ok(found.map(|row| row.0))
}

/// A page of returns, newest first, only those in `status` when given; and
/// how many there are.
pub async fn list(
    db: &sqlx::PgPool,
    status: Option<ReturnStatus>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<ReturnView>, i64)> {
    let rows: Vec<sqlx::types::Json<ReturnView>> = sqlx::query_scalar(&format!(
        "SELECT {RETURN_JSON} FROM returns t WHERE ($1::text IS NULL OR t.status = $1)
         ORDER BY t.created_at DESC, t.id DESC LIMIT $2 OFFSET $3"
    ))
    .bind(status.map(ReturnStatus::as_str))
    .bind(limit)
    .bind(offset)
    .fetch_all(db)
    .await?;
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM returns WHERE ($1::text IS NULL OR status = $1)"#,
        status.map(ReturnStatus::as_str)
    )
    .fetch_one(db)
    .await?;
    Ok((rows.into_iter().map(|row| row.0).collect(), total))
}

/// Units of each line of `order` in returns that hold units.
async fn held_units(db: impl PgExecutor<'_>, order: Uuid) -> Result<HashMap<Uuid, i64>> {
    let rows = sqlx::query!(
        r#"SELECT i.order_item_id, SUM(i.quantity)::int8 AS "units!"
           FROM return_items i JOIN returns t ON t.id = i.return_id
           WHERE t.order_id = $1 AND t.status <> 'rejected'
           GROUP BY i.order_item_id"#,
        order
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|row| (row.order_item_id, row.units)).collect())
}

/// Units of a line a customer asks to return.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitsReturned {
    /// The line.
    pub order_item_id: Uuid,
    /// Units.
    pub quantity: i64,
    /// Why, 1 to 500 characters.
    pub reason: String,
}

/// Asks for a return of `asked` from the (locked) `order` with its
/// `items`, `window` after its delivery, for `actor`: a 422 names a line
/// that is not the order's, a 409 `not_returnable` says why the units
/// cannot be returned. The new return's id.
pub async fn request(
    tx: &mut PgConnection,
    order: &OrderRow,
    items: &[ItemRow],
    asked: &[UnitsReturned],
    actor: &str,
    window: std::time::Duration,
) -> Result<Uuid> {
    let not_returnable = |message: String| Error::conflict("not_returnable", message);
    if window.is_zero() {
        return Err(not_returnable("this shop takes no returns".to_owned()));
    }
    let delivered_at = match order.status {
        gokart_domain::OrderStatus::Delivered => delivered_at(&mut *tx, order.id).await?,
        _ => None,
    };
    let Some(delivered_at) = delivered_at else {
        return Err(not_returnable(format!(
            "an order that is {} cannot be returned; returns open on delivery",
            order.status
        )));
    };
    let window = chrono::Duration::from_std(window).unwrap_or(chrono::Duration::MAX);
    if !within_window(delivered_at, Utc::now(), window) {
        let closed = (delivered_at + window).format("%Y-%m-%d");
        return Err(not_returnable(format!("the return window closed on {closed}")));
    }
    let held = held_units(&mut *tx, order.id).await?;
    let mut lines = Vec::with_capacity(asked.len());
    for (index, units) in asked.iter().enumerate() {
        let field = format!("items[{index}].order_item_id");
        let item = items
            .iter()
            .find(|item| item.id == units.order_item_id)
            .ok_or_else(|| Error::invalid(&field, "is not a line of this order"))?;
        if asked[..index].iter().any(|earlier| earlier.order_item_id == item.id) {
            return Err(Error::invalid(&field, "is named twice"));
        }
        let left = returnable(i64::from(item.quantity), held.get(&item.id).copied().unwrap_or(0));
        if units.quantity > left {
            return Err(not_returnable(format!(
                "{} ({}): only {left} of its {} units can still be returned",
                item.name, item.sku, item.quantity
            )));
        }
        lines.push((item, units));
    }
    let id = Uuid::now_v7();
    sqlx::query!(
        "INSERT INTO returns (id, order_id, status, requested_by) VALUES ($1, $2, 'requested', $3)",
        id,
        order.id,
        actor
    )
    .execute(&mut *tx)
    .await?;
    let ids: Vec<Uuid> = lines.iter().map(|(item, _)| item.id).collect();
    let quantities: Vec<i32> =
        lines.iter().map(|(_, units)| i32::try_from(units.quantity).unwrap_or(i32::MAX)).collect();
    let reasons: Vec<String> = lines.iter().map(|(_, units)| units.reason.clone()).collect();
    sqlx::query!(
        "INSERT INTO return_items (return_id, order_item_id, quantity, reason)
         SELECT $1, * FROM unnest($2::uuid[], $3::int4[], $4::text[])",
        id,
        &ids,
        &quantities,
        &reasons
    )
    .execute(&mut *tx)
    .await?;
    let what: Vec<String> =
        lines.iter().map(|(item, units)| format!("{} × {}", units.quantity, item.name)).collect();
    let note = format!("return requested: {}", what.join(", "));
    announce(tx, order, id, ReturnStatus::Requested, actor, &note).await?;
    Ok(id)
}

/// When `order` was delivered: its first entry as delivered (notes,
/// refunds and returns later add entries under the status it is in).
async fn delivered_at(db: impl PgExecutor<'_>, order: Uuid) -> Result<Option<DateTime<Utc>>> {
    Ok(sqlx::query_scalar!(
        "SELECT min(created_at) FROM order_events WHERE order_id = $1 AND status = 'delivered'",
        order
    )
    .fetch_one(db)
    .await?)
}

/// What the shop does with a return.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReturnAction {
    /// Take the units back; the shop pays the return shipping when true.
    Approve {
        /// The shop pays the return shipping.
        return_shipping: bool,
        /// A word to the customer.
        note: Option<String>,
    },
    /// Refuse, saying why.
    Reject {
        /// Why, for the customer.
        note: String,
    },
    /// The units arrived: each line's back into stock when listed true.
    Receive {
        /// Per line: back into stock.
        restock: HashMap<Uuid, bool>,
    },
    /// Give the units' money back, with the shipping when true.
    Refund {
        /// With the shipping not yet refunded.
        include_shipping: bool,
        /// Why, for the refund.
        reason: String,
    },
}

impl ReturnAction {
    fn next(&self) -> ReturnStatus {
        match self {
            ReturnAction::Approve { .. } => ReturnStatus::Approved,
            ReturnAction::Reject { .. } => ReturnStatus::Rejected,
            ReturnAction::Receive { .. } => ReturnStatus::Received,
            ReturnAction::Refund { .. } => ReturnStatus::Refunded,
        }
    }
}

/// Applies `action` by `actor` to return `ret` of the (locked) `order`: a
/// transition its state does not allow is a 409 `illegal_transition`.
pub async fn act(
    tx: &mut PgConnection,
    order: &OrderRow,
    ret: &ReturnView,
    action: &ReturnAction,
    actor: &str,
) -> Result<()> {
    let next = action.next();
    if !ret.status.can_transition_to(next) {
        return Err(Error::conflict(
            "illegal_transition",
            format!("a return that is {} cannot become {next}", ret.status),
        ));
    }
    let items = orders::items(&mut *tx, order.id).await?;
    let name = |line: Uuid| {
        items.iter().find(|item| item.id == line).map_or("a line", |item| item.name.as_str())
    };
    let (note, refund, return_shipping, word) = match action {
        ReturnAction::Approve { return_shipping, note } => {
            let shipping =
                if *return_shipping { " (the shop pays the return shipping)" } else { "" };
            (format!("return approved{shipping}"), None, *return_shipping, note.clone())
        }
        ReturnAction::Reject { note } => {
            (format!("return rejected: {note}"), None, ret.return_shipping, Some(note.clone()))
        }
        ReturnAction::Receive { restock } => {
            let back: Vec<(Uuid, i32)> = ret
                .items
                .iter()
                .filter(|line| restock.get(&line.order_item_id).copied().unwrap_or(false))
                .filter_map(|line| {
                    let item = items.iter().find(|item| item.id == line.order_item_id)?;
                    Some((item.variant_id, line.quantity))
                })
                .collect();
            restock_units(tx, back).await?;
            let ids: Vec<Uuid> = ret.items.iter().map(|line| line.order_item_id).collect();
            let flags: Vec<bool> = ret
                .items
                .iter()
                .map(|line| restock.get(&line.order_item_id).copied().unwrap_or(false))
                .collect();
            sqlx::query!(
                "UPDATE return_items i SET restocked = r.restocked
                 FROM unnest($2::uuid[], $3::bool[]) AS r(order_item_id, restocked)
                 WHERE i.return_id = $1 AND i.order_item_id = r.order_item_id",
                ret.id,
                &ids,
                &flags
            )
            .execute(&mut *tx)
            .await?;
            let what: Vec<String> = ret
                .items
                .iter()
                .zip(&flags)
                .map(|(line, back)| {
                    let into = if *back { "back in stock" } else { "not restocked" };
                    format!("{} × {} ({into})", line.quantity, name(line.order_item_id))
                })
                .collect();
            (
                format!("return received: {}", what.join(", ")),
                None,
                ret.return_shipping,
                ret.note.clone(),
            )
        }
        ReturnAction::Refund { include_shipping, reason } => {
            let refunded = refunds::refunded(&mut *tx, order.id).await?;
            let (note, refund) = match refund_of(order, &items, &refunded, ret, *include_shipping)?
            {
                Some(planned) => {
                    workflow::refund(tx, order, &planned, workflow::Asked { actor, reason })
                        .await?;
                    ("return refunded".to_owned(), Some(planned.id))
                }
                None => ("return closed: its units were already refunded".to_owned(), None),
            };
            (note, refund, ret.return_shipping, ret.note.clone())
        }
    };
    sqlx::query!(
        "UPDATE returns SET status = $2, refund_id = COALESCE($3, refund_id),
                return_shipping = $4, note = $5
         WHERE id = $1",
        ret.id,
        next as ReturnStatus,
        refund,
        return_shipping,
        word
    )
    .execute(&mut *tx)
    .await?;
    announce(tx, order, ret.id, next, actor, &note).await
}

/// The refund received return `ret` makes: its units not refunded before
/// (and the rest of the shipping when asked), and never more than is left
/// of the payment; none when nothing of it is left to give back (an admin
/// refunded its units, or the whole payment, already; or they cost
/// nothing), and the return closes without one.
fn refund_of(
    order: &OrderRow,
    items: &[ItemRow],
    refunded: &refunds::Refunded,
    ret: &ReturnView,
    include_shipping: bool,
) -> Result<Option<refunds::NewRefund>> {
    let units: Vec<UnitsAsked> = ret
        .items
        .iter()
        .filter_map(|line| {
            let bought = items.iter().find(|item| item.id == line.order_item_id)?;
            let before = refunded.units.get(&bought.id).copied().unwrap_or(0);
            let quantity = i64::from(line.quantity).min(i64::from(bought.quantity) - before);
            (quantity > 0).then_some(UnitsAsked { order_item_id: bought.id, quantity })
        })
        .collect();
    let shipping = include_shipping && order.shipping_amount > refunded.shipping;
    if order.total_amount <= refunded.asked || (units.is_empty() && !shipping) {
        return Ok(None);
    }
    match refunds::plan(order, items, refunded, &RefundAsk::Items { items: units, shipping }) {
        Ok(planned) => Ok(Some(planned)),
        // Refunds of amounts left less than the units' share: the rest.
        Err(Error::Conflict { code: "refund_exceeds_paid", .. }) => {
            Ok(refunds::rest(order, refunded))
        }
        // The units cost nothing.
        Err(Error::Validation(_)) => Ok(None),
        Err(other) => Err(other),
    }
}

/// Puts units of variants back into stock, locking them in id order as
/// checkout does.
async fn restock_units(tx: &mut PgConnection, mut back: Vec<(Uuid, i32)>) -> Result<()> {
    if back.is_empty() {
        return Ok(());
    }
    back.sort_unstable();
    let (ids, quantities): (Vec<Uuid>, Vec<i32>) = back.into_iter().unzip();
    orders::lock_variants(&mut *tx, &ids).await?;
    orders::move_stock(&mut *tx, &ids, &quantities).await
}

/// The return's change on the order's timeline, and the customer's email.
async fn announce(
    tx: &mut PgConnection,
    order: &OrderRow,
    id: Uuid,
    status: ReturnStatus,
    actor: &str,
    note: &str,
) -> Result<()> {
    orders::add_event(&mut *tx, order.id, order.status, actor, Some(note)).await?;
    outbox::enqueue(&mut *tx, &OutboxMessage::return_notice(id, status)).await?;
    Ok(())
}
