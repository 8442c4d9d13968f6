//! Dead letters: outbox rows that used up their attempts (or could never be
//! sent). They stay in the table for a person to look at and, once the
//! cause is fixed, send again.

use chrono::{DateTime, Utc};
use gokart_domain::PageRequest;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::state::AppState;

/// A row the relay gave up on.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeadLetter {
    /// The outbox row's id.
    pub id: Uuid,
    /// What kind of work it is.
    #[schema(value_type = DeadLetterKind)]
    pub kind: String,
    /// What the task was about.
    pub payload: serde_json::Value,
    /// Sends tried.
    pub attempts: i32,
    /// Why the last one failed.
    pub last_error: Option<String>,
    /// When the work was written.
    pub created_at: DateTime<Utc>,
    /// When it was given up on.
    pub dead_at: DateTime<Utc>,
}

// The document's name for `DeadLetter::kind`: a `gokart_domain::TaskKind`
// or `super::REFUND_KIND`.
/// What a dead letter was for: a fulfillment step, an email or a refund.
#[derive(Debug, Clone, Copy, ToSchema)]
pub enum DeadLetterKind {
    /// Pack the order.
    #[schema(rename = "warehouse")]
    Warehouse,
    /// Hand it to the carrier.
    #[schema(rename = "shipping")]
    Shipping,
    /// Deliver it.
    #[schema(rename = "delivery")]
    Delivery,
    /// Email the customer.
    #[schema(rename = "notification")]
    Notification,
    /// Give a Stripe payment back.
    #[schema(rename = "payment.refund")]
    PaymentRefund,
}

/// A page of dead letters, most recent first, and how many there are.
#[tracing::instrument(skip_all)]
pub async fn list(state: &AppState, page: PageRequest) -> Result<(Vec<DeadLetter>, i64)> {
    let db = &state.db;
    let items = sqlx::query_as!(
        DeadLetter,
        r#"SELECT id, kind, payload, attempts, last_error, created_at, dead_at AS "dead_at!"
           FROM outbox WHERE dead_at IS NOT NULL
           ORDER BY dead_at DESC, id LIMIT $1 OFFSET $2"#,
        page.limit(),
        page.offset()
    )
    .fetch_all(db)
    .await?;
    let total =
        sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM outbox WHERE dead_at IS NOT NULL"#)
            .fetch_one(db)
            .await?;
    Ok((items, total))
}

/// Puts dead letter `id` back in line with fresh attempts; a 404 if there
/// is no such dead letter.
#[tracing::instrument(skip_all, fields(outbox = %id))]
pub async fn retry(state: &AppState, id: Uuid) -> Result<()> {
    let db = &state.db;
    let revived = sqlx::query!(
        "UPDATE outbox SET dead_at = NULL, attempts = 0, available_at = now()
         WHERE id = $1 AND dead_at IS NOT NULL",
        id
    )
    .execute(db)
    .await?
    .rows_affected();
    if revived == 0 {
        return Err(Error::NotFound("dead letter"));
    }
    // Wake the relays now rather than at their next sweep.
    sqlx::query!("SELECT pg_notify('outbox', '')").execute(db).await?;
    Ok(())
}
