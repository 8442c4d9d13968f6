//! Stripe refunds from the outbox, retried with growing delays until Stripe
//! accepts them (and set aside as dead letters after [`MAX_ATTEMPTS`]). A
//! row is claimed with a short lease in its own statement, so no
//! transaction (and no row lock) is open while Stripe answers; Stripe's
//! idempotency key, one per order, makes a retry after an unclear failure
//! safe. When Stripe accepts, the order's payment reads `refunded`.

use uuid::Uuid;

use crate::error::Result;
use gokart_domain::PaymentStatus;

use crate::orders::repository as orders;
use crate::orders::workflow;
use crate::outbox::{OutboxMessage, REFUND_KIND};
use crate::state::AppState;

/// Attempts before a refund is left for a person to look at.
pub const MAX_ATTEMPTS: i32 = 20;

/// Sends the refunds that are due (only `order`'s when given); how many
/// Stripe accepted. A failure is scheduled for later and the rest go on.
pub async fn process_due(state: &AppState, order: Option<Uuid>) -> Result<u64> {
    let Some(stripe) = &state.stripe else {
        return Ok(0);
    };
    let only = order.map(|id| id.to_string());
    let mut done = 0;
    loop {
        let claimed = sqlx::query!(
            r#"UPDATE outbox SET attempts = attempts + 1, available_at = now() + interval '2 minutes'
               WHERE id = (SELECT id FROM outbox
                           WHERE kind = $1 AND sent_at IS NULL AND dead_at IS NULL
                             AND available_at <= now()
                             AND ($2::text IS NULL OR payload->>'order_id' = $2)
                           ORDER BY available_at LIMIT 1 FOR UPDATE SKIP LOCKED)
               RETURNING id, payload, attempts"#,
            REFUND_KIND,
            only
        )
        .fetch_optional(&state.db)
        .await?;
        let Some(task) = claimed else {
            return Ok(done);
        };
        let order = match OutboxMessage::from_columns(REFUND_KIND, &task.payload) {
            Ok(OutboxMessage::Refund(refund)) => Some(refund.order_id),
            _ => None,
        };
        let reference = match order {
            Some(order) => orders::payment_reference(&state.db, order).await?,
            None => None,
        };
        let outcome = match (order, reference) {
            (Some(order), Some(intent)) => stripe.refund(order, &intent).await.map(|()| order),
            _ => Err(anyhow::anyhow!("refund task without an order and PaymentIntent")),
        };
        match outcome {
            Ok(order) => {
                let mut tx = state.db.begin().await?;
                sqlx::query!(
                    "UPDATE outbox SET sent_at = now(), last_error = NULL WHERE id = $1",
                    task.id
                )
                .execute(&mut *tx)
                .await?;
                if let Some(row) = orders::find(&mut *tx, order, None, true).await?
                    && row.payment_status == PaymentStatus::Paid
                {
                    workflow::record_refund(&mut tx, &row, "refund accepted by Stripe").await?;
                }
                tx.commit().await?;
                done += 1;
            }
            Err(err) => {
                let dead = task.attempts >= MAX_ATTEMPTS;
                let backoff_secs =
                    if dead { f64::INFINITY } else { 2f64.powi(task.attempts.clamp(1, 12)) };
                tracing::warn!(error = %err, attempts = task.attempts, dead, "refund failed");
                sqlx::query!(
                    "UPDATE outbox SET last_error = $2,
                            dead_at = CASE WHEN $4 THEN now() END,
                            available_at = CASE WHEN $4 THEN available_at
                                                ELSE now() + make_interval(secs => $3) END
                     WHERE id = $1",
                    task.id,
                    err.to_string(),
                    if dead { 0.0 } else { backoff_secs },
                    dead
                )
                .execute(&state.db)
                .await?;
            }
        }
    }
}
