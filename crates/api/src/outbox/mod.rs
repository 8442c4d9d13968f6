//! The transactional outbox: work that must follow a commit (the next
//! fulfillment step, the customer's email, a refund) is written as a row in
//! the same transaction as the change that causes it, so it can never be
//! lost between the commit and a send.
//!
//! Each row is an [`OutboxMessage`]. The [`relay`] delivers every kind
//! through its [`courier`]: worker tasks to a [`backend::TaskBackend`],
//! refunds to a [`backend::RefundBackend`] (Stripe), with one lease, backoff
//! and dead-letter policy. Rows that use up their attempts stay in the
//! table as dead letters ([`dead_letters`]).

pub mod backend;
pub mod cloud_tasks;
pub mod courier;
pub mod dead_letters;
pub mod message;
pub mod relay;
mod task;

use gokart_edge::http::{TraceId, current_trace_id};
pub use message::{OutboxMessage, REFUND_KIND};
use sqlx::PgExecutor;
use uuid::Uuid;

use crate::error::{Error, Result};

/// Writes `message` in the caller's transaction; the relay is woken when it
/// commits.
#[tracing::instrument(skip_all)]
pub async fn enqueue(db: impl PgExecutor<'_>, message: &OutboxMessage) -> Result<Uuid> {
    let id = Uuid::now_v7();
    let (kind, payload) = message.to_columns().map_err(|err| Error::Internal(err.into()))?;
    // The task continues the trace of the request that queued it.
    let trace = current_trace_id();
    sqlx::query!(
        "INSERT INTO outbox (id, kind, payload, trace_id) VALUES ($1, $2, $3, $4)",
        id,
        kind,
        payload,
        trace.as_ref().map(TraceId::as_str)
    )
    .execute(db)
    .await?;
    Ok(id)
}
