//! The transactional outbox: work that must follow a commit (start
//! fulfillment, notify the customer, refund a payment) is written as a row
//! in the same transaction as the change that causes it, so it can never be
//! lost between the commit and a send. A relay delivers the rows at least
//! once.

use serde::Serialize;
use sqlx::PgExecutor;
use uuid::Uuid;

use crate::error::{Error, Result};

/// Kinds of outbox work.
pub mod kind {
    /// A paid order is ready for the warehouse.
    pub const FULFILLMENT_START: &str = "fulfillment.start";
    /// Tell the customer what happened to their order.
    pub const NOTIFY_CUSTOMER: &str = "notification.order";
    /// Give a Stripe payment back (retried until Stripe accepts).
    pub const PAYMENT_REFUND: &str = "payment.refund";
}

/// Writes a work item in the caller's transaction.
pub async fn enqueue(
    db: impl PgExecutor<'_>,
    kind: &str,
    payload: &impl Serialize,
) -> Result<Uuid> {
    let id = Uuid::now_v7();
    let payload = serde_json::to_value(payload).map_err(|err| Error::Internal(err.into()))?;
    sqlx::query!("INSERT INTO outbox (id, kind, payload) VALUES ($1, $2, $3)", id, kind, payload)
        .execute(db)
        .await?;
    Ok(id)
}
