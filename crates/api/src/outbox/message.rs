//! What the outbox carries, as one typed enum: producers build a variant,
//! consumers match on one. A message is stored as two columns, `kind` and
//! `payload`, which are exactly its adjacently tagged serde form, so the
//! rows read the same as before the type existed and the worker's task
//! kinds keep their names.

use gokart_domain::returns::ReturnStatus;
use gokart_domain::{OrderStatus, StepTask, TaskKind};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::webhooks::WebhookMessage;

/// One unit of work that must follow a commit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "payload")]
pub enum OutboxMessage {
    /// Pack the order (the worker's warehouse step).
    #[serde(rename = "warehouse")]
    Warehouse(StepTask),
    /// Hand it to the carrier (the worker's shipping step).
    #[serde(rename = "shipping")]
    Shipping(StepTask),
    /// Deliver it (the worker's delivery step).
    #[serde(rename = "delivery")]
    Delivery(StepTask),
    /// Email the customer that their order reached `event`.
    #[serde(rename = "notification")]
    Notification(OrderEvent),
    /// Give a provider payment back (sent by the refund sender, not the relay).
    #[serde(rename = "payment.refund")]
    Refund(RefundRequest),
    /// Email an account holder the link `link_id` (its token is derived
    /// when the email is sent, never stored).
    #[serde(rename = "account_email")]
    AccountEmail(AccountLink),
    /// Email an admin that a webhook endpoint was disabled.
    #[serde(rename = "admin_notice")]
    AdminNotice(AdminNotice),
    /// Email a customer where their return is.
    #[serde(rename = "return_notice")]
    ReturnNotice(ReturnNotice),
    /// Tell a webhook endpoint about an event (sent by the relay itself).
    #[serde(rename = "webhook")]
    Webhook(WebhookMessage),
}

/// An emailed account link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountLink {
    /// The link (`account_tokens.id`).
    pub link_id: Uuid,
}

/// Something an admin must hear about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminNotice {
    /// The admin.
    pub user_id: Uuid,
    /// What happened: the webhook endpoint that was disabled.
    pub webhook_disabled: Uuid,
}

/// A return reached a status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnNotice {
    /// The return.
    pub return_id: Uuid,
    /// The status it reached.
    pub status: ReturnStatus,
}

/// An order reached a status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderEvent {
    /// The order.
    pub order_id: Uuid,
    /// The status it reached.
    pub event: OrderStatus,
}

/// A refund to send for an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundRequest {
    /// The order whose payment goes back, in part or in whole.
    pub order_id: Uuid,
    /// The refund (`refunds.id`): what to give back, and the provider's
    /// idempotency key.
    pub refund_id: Uuid,
}

/// The stored kind of [`OutboxMessage::Refund`].
pub const REFUND_KIND: &str = "payment.refund";

impl OutboxMessage {
    /// The fulfillment step `kind` for `order_id` (a notification is not a step).
    pub fn step(kind: TaskKind, order_id: Uuid) -> Option<Self> {
        let task = StepTask { order_id };
        match kind {
            TaskKind::Warehouse => Some(OutboxMessage::Warehouse(task)),
            TaskKind::Shipping => Some(OutboxMessage::Shipping(task)),
            TaskKind::Delivery => Some(OutboxMessage::Delivery(task)),
            TaskKind::Notification
            | TaskKind::AccountEmail
            | TaskKind::AdminNotice
            | TaskKind::CustomerNotice => None,
        }
    }

    /// The customer's email about `order_id` reaching `event`.
    pub fn notification(order_id: Uuid, event: OrderStatus) -> Self {
        OutboxMessage::Notification(OrderEvent { order_id, event })
    }

    /// Refund `refund_id` of `order_id`'s payment.
    pub fn refund(order_id: Uuid, refund_id: Uuid) -> Self {
        OutboxMessage::Refund(RefundRequest { order_id, refund_id })
    }

    /// The customer's email about return `return_id` reaching `status`.
    pub fn return_notice(return_id: Uuid, status: ReturnStatus) -> Self {
        OutboxMessage::ReturnNotice(ReturnNotice { return_id, status })
    }

    /// The email carrying account link `link_id`.
    pub fn account_email(link_id: Uuid) -> Self {
        OutboxMessage::AccountEmail(AccountLink { link_id })
    }

    /// The worker task kind that delivers it; `None` for a refund or a
    /// webhook.
    pub fn task_kind(&self) -> Option<TaskKind> {
        match self {
            OutboxMessage::Warehouse(_) => Some(TaskKind::Warehouse),
            OutboxMessage::Shipping(_) => Some(TaskKind::Shipping),
            OutboxMessage::Delivery(_) => Some(TaskKind::Delivery),
            OutboxMessage::Notification(_) => Some(TaskKind::Notification),
            OutboxMessage::AccountEmail(_) => Some(TaskKind::AccountEmail),
            OutboxMessage::AdminNotice(_) => Some(TaskKind::AdminNotice),
            OutboxMessage::ReturnNotice(_) => Some(TaskKind::CustomerNotice),
            OutboxMessage::Refund(_) | OutboxMessage::Webhook(_) => None,
        }
    }

    /// The two columns it is stored in: `kind` and `payload`.
    pub fn to_columns(&self) -> serde_json::Result<(String, serde_json::Value)> {
        let mut tagged = serde_json::to_value(self)?;
        let kind = tagged["kind"].as_str().map(str::to_owned).unwrap_or_default();
        Ok((kind, tagged["payload"].take()))
    }

    /// The message stored as `kind` and `payload`; an error names what in
    /// them is not a message.
    pub fn from_columns(kind: &str, payload: &serde_json::Value) -> serde_json::Result<Self> {
        serde_json::from_value(serde_json::json!({ "kind": kind, "payload": payload }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_stored_as_their_kind_and_payload_and_read_back() {
        let (order, refund) = (Uuid::now_v7(), Uuid::now_v7());
        let messages = [
            OutboxMessage::Warehouse(StepTask { order_id: order }),
            OutboxMessage::notification(order, OrderStatus::Shipped),
            OutboxMessage::refund(order, refund),
            OutboxMessage::account_email(order),
        ];
        let expected = [
            ("warehouse", serde_json::json!({"order_id": order})),
            ("notification", serde_json::json!({"order_id": order, "event": "shipped"})),
            ("payment.refund", serde_json::json!({"order_id": order, "refund_id": refund})),
            ("account_email", serde_json::json!({"link_id": order})),
        ];
        for (message, (kind, payload)) in messages.iter().zip(expected) {
            let (stored_kind, stored_payload) = message.to_columns().unwrap();
            assert_eq!((stored_kind.as_str(), &stored_payload), (kind, &payload));
            assert_eq!(&OutboxMessage::from_columns(kind, &payload).unwrap(), message);
        }
    }

    #[test]
    fn a_step_kind_is_a_worker_task_of_the_same_name() {
        for kind in TaskKind::ALL {
            if let Some(message) = OutboxMessage::step(kind, Uuid::nil()) {
                assert_eq!(message.task_kind(), Some(kind));
                assert_eq!(message.to_columns().unwrap().0, kind.as_str());
            }
        }
        assert_eq!(
            OutboxMessage::refund(Uuid::nil(), Uuid::nil()).to_columns().unwrap().0,
            REFUND_KIND
        );
    }

    #[test]
    fn rows_that_are_not_messages_are_refused() {
        assert!(OutboxMessage::from_columns("warehouse", &serde_json::json!({})).is_err());
        assert!(
            OutboxMessage::from_columns("teleport", &serde_json::json!({"order_id": Uuid::nil()}))
                .is_err()
        );
    }
}
