//! The order workflow in one place: every status change is written with
//! its timeline entry and the work it causes (the next fulfillment step and
//! the customer's email) in the caller's transaction, so none of it can be
//! lost or happen without the others.

use gokart_domain::{OrderStatus, PaymentStatus, StepTask, TaskKind};
use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::error::Result;
use crate::orders::repository as orders;
use crate::outbox;

/// One change of an order's status.
#[derive(Debug, Clone, Copy)]
pub struct Transition<'a> {
    /// The status the order moves to.
    pub status: OrderStatus,
    /// Its payment status afterwards.
    pub payment: PaymentStatus,
    /// Who made the change, as the timeline shows it.
    pub actor: &'a str,
    /// Why, for the timeline.
    pub note: &'a str,
}

/// Applies `transition` to the (locked) order `id`, appends it to the
/// timeline, and queues the next fulfillment step and the customer's
/// notification.
pub async fn advance(tx: &mut PgConnection, id: Uuid, transition: Transition<'_>) -> Result<()> {
    let Transition { status, payment, actor, note } = transition;
    orders::set_status(&mut *tx, id, status.as_str(), payment.as_str()).await?;
    orders::add_event(&mut *tx, id, status.as_str(), actor, Some(note)).await?;
    if let Some(step) = TaskKind::after(status) {
        outbox::enqueue(&mut *tx, step.as_str(), &StepTask { order_id: id }).await?;
    }
    outbox::enqueue(
        &mut *tx,
        TaskKind::Notification.as_str(),
        &json!({"order_id": id, "event": status}),
    )
    .await?;
    Ok(())
}
