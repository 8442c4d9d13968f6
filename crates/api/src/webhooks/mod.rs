//! Outbound webhooks. A shop registers endpoints (a URL and the event
//! types it wants); each event is queued in the outbox, one row per
//! endpoint that takes it, in the transaction that makes the change, so an
//! event is never lost nor sent for a change that rolled back. The relay
//! delivers the rows with its retries, backoff and dead letters, signed
//! per Standard Webhooks ([`signature`]), to public addresses only
//! ([`destination`]), and logs every attempt ([`sender`]).
//!
//! Order: deliveries to one endpoint about one subject (an order, a
//! product, a variant) go out one at a time, in the order the changes
//! were made; a delivery that is retrying holds back the later ones of its
//! subject until it succeeds or becomes a dead letter.

pub mod destination;
pub mod endpoints;
pub mod sender;
pub mod signature;

use gokart_domain::{OrderStatus, PaymentStatus};
use gokart_edge::http::{TraceId, current_trace_id};
use serde::{Deserialize, Serialize};
use sqlx::PgExecutor;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::Result;
use crate::orders::repository::OrderRow;

/// What a webhook reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum EventType {
    /// An order was placed.
    #[serde(rename = "order.created")]
    OrderCreated,
    /// Its payment was taken.
    #[serde(rename = "order.paid")]
    OrderPaid,
    /// Its status changed (confirmed, processing, shipped, ...).
    #[serde(rename = "order.status_changed")]
    OrderStatusChanged,
    /// It was cancelled.
    #[serde(rename = "order.cancelled")]
    OrderCancelled,
    /// Its payment was given back.
    #[serde(rename = "order.refunded")]
    OrderRefunded,
    /// A product was added.
    #[serde(rename = "product.created")]
    ProductCreated,
    /// A product or one of its variants changed.
    #[serde(rename = "product.updated")]
    ProductUpdated,
    /// A product was deleted.
    #[serde(rename = "product.deleted")]
    ProductDeleted,
    /// A variant's stock fell to the low-stock threshold or below.
    #[serde(rename = "inventory.low")]
    InventoryLow,
}

impl EventType {
    /// Every type.
    pub const ALL: [EventType; 9] = [
        EventType::OrderCreated,
        EventType::OrderPaid,
        EventType::OrderStatusChanged,
        EventType::OrderCancelled,
        EventType::OrderRefunded,
        EventType::ProductCreated,
        EventType::ProductUpdated,
        EventType::ProductDeleted,
        EventType::InventoryLow,
    ];

    /// Its name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::OrderCreated => "order.created",
            EventType::OrderPaid => "order.paid",
            EventType::OrderStatusChanged => "order.status_changed",
            EventType::OrderCancelled => "order.cancelled",
            EventType::OrderRefunded => "order.refunded",
            EventType::ProductCreated => "product.created",
            EventType::ProductUpdated => "product.updated",
            EventType::ProductDeleted => "product.deleted",
            EventType::InventoryLow => "inventory.low",
        }
    }

    /// The type named `name`.
    pub fn parse(name: &str) -> Option<EventType> {
        EventType::ALL.into_iter().find(|kind| kind.as_str() == name)
    }
}

/// One delivery of an event to one endpoint, as the outbox keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookMessage {
    /// The endpoint.
    pub endpoint_id: Uuid,
    /// The `webhook-id`: one per event, kept by retries and replays.
    pub event_id: String,
    /// The event type.
    #[serde(rename = "type")]
    pub event_type: String,
    /// What it is about (`order:{id}`): its queue.
    pub subject: String,
    /// When it happened (RFC 3339, UTC).
    pub timestamp: String,
    /// The event's object.
    pub data: serde_json::Value,
}

/// An event to announce.
#[derive(Debug, Clone)]
pub struct Event {
    /// Its type.
    pub kind: EventType,
    /// What it is about (`order:{id}`, `product:{id}`): deliveries about
    /// one subject keep their order.
    pub subject: String,
    /// The object it reports.
    pub data: serde_json::Value,
}

/// Whether an enabled endpoint takes any of `kinds` (so that a change of
/// many products can skip building events no one receives).
pub async fn wanted(db: impl PgExecutor<'_>, kinds: &[EventType]) -> Result<bool> {
    let kinds: Vec<&str> = kinds.iter().map(|kind| kind.as_str()).collect();
    Ok(sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM webhook_endpoints WHERE enabled AND events && $1)
           AS "wanted!""#,
        &kinds as &[&str]
    )
    .fetch_one(db)
    .await?)
}

/// Queues `events` for every enabled endpoint that takes them, in the
/// caller's transaction, with one statement (which inserts nothing when no
/// endpoint takes them).
pub async fn emit(db: impl PgExecutor<'_>, events: &[Event]) -> Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    let ids: Vec<String> =
        events.iter().map(|_| format!("msg_{}", Uuid::now_v7().simple())).collect();
    let kinds: Vec<&str> = events.iter().map(|event| event.kind.as_str()).collect();
    let subjects: Vec<&str> = events.iter().map(|event| event.subject.as_str()).collect();
    let data: Vec<serde_json::Value> = events.iter().map(|event| event.data.clone()).collect();
    let trace = current_trace_id();
    // Ordered by when the statement began, not the transaction: a change
    // that waited for another's row locks is stamped after it.
    sqlx::query!(
        r#"INSERT INTO outbox (id, kind, payload, trace_id, created_at)
           SELECT gen_random_uuid(), 'webhook',
                  jsonb_build_object(
                      'endpoint_id', e.id, 'event_id', x.event_id, 'type', x.type,
                      'subject', x.subject, 'data', x.data,
                      'timestamp', to_char(statement_timestamp() AT TIME ZONE 'UTC',
                                           'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')),
                  $5, statement_timestamp() + x.n * interval '1 microsecond'
           FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[])
                    WITH ORDINALITY AS x (event_id, type, subject, data, n)
           JOIN webhook_endpoints e ON e.enabled AND x.type = ANY (e.events)"#,
        &ids,
        &kinds as &[&str],
        &subjects as &[&str],
        &data,
        trace.as_ref().map(TraceId::as_str)
    )
    .execute(db)
    .await?;
    Ok(())
}

/// The event `kind` about `order`, which is now `status` with `payment`:
/// the order's figures and statuses, and what they were before.
pub fn order_event(
    kind: EventType,
    order: &OrderRow,
    status: OrderStatus,
    payment: PaymentStatus,
) -> Event {
    let mut data = serde_json::json!({
        "order": {
            "id": order.id,
            "order_number": order.order_number,
            "user_id": order.user_id,
            "status": status,
            "payment_status": payment,
            "payment_method": order.payment_method,
            "currency": order.currency,
            "subtotal": order.subtotal_amount,
            "tax": order.tax_amount,
            "shipping": order.shipping_amount,
            "discount": order.discount_amount,
            "total": order.total_amount,
            "created_at": order.created_at,
        },
    });
    if kind != EventType::OrderCreated {
        data["previous_status"] = serde_json::json!(order.status);
        data["previous_payment_status"] = serde_json::json!(order.payment_status);
    }
    Event { kind, subject: format!("order:{}", order.id), data }
}

/// Stock held by a variant: before and after a change.
#[derive(Debug, Clone, Copy)]
pub struct StockMove<'a> {
    /// The variant.
    pub variant_id: Uuid,
    /// Its product.
    pub product_id: Uuid,
    /// Its SKU.
    pub sku: &'a str,
    /// Units before.
    pub before: i32,
    /// Units after.
    pub after: i32,
}

/// `inventory.low` for each move that brought a variant from above
/// `threshold` to it or below.
pub fn inventory_low(moves: &[StockMove<'_>], threshold: i32) -> Vec<Event> {
    moves
        .iter()
        .filter(|m| m.before > threshold && m.after <= threshold)
        .map(|m| Event {
            kind: EventType::InventoryLow,
            subject: format!("variant:{}", m.variant_id),
            data: serde_json::json!({
                "variant": {
                    "id": m.variant_id,
                    "product_id": m.product_id,
                    "sku": m.sku,
                    "stock_quantity": m.after,
                },
                "threshold": threshold,
            }),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_types_are_named_as_on_the_wire() {
        for kind in EventType::ALL {
            assert_eq!(EventType::parse(kind.as_str()), Some(kind));
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
        }
        assert_eq!(EventType::parse("order.exploded"), None);
    }

    #[test]
    fn stock_is_low_once_when_it_falls_to_the_threshold() {
        let at = |before, after| StockMove {
            variant_id: Uuid::nil(),
            product_id: Uuid::nil(),
            sku: "K-1",
            before,
            after,
        };
        let low = |before, after| inventory_low(&[at(before, after)], 5).len();
        assert_eq!(low(6, 5), 1);
        assert_eq!(low(20, 0), 1);
        assert_eq!(low(5, 4), 0, "already low");
        assert_eq!(low(6, 6), 0);
        assert_eq!(low(2, 10), 0, "restocked");
    }
}
