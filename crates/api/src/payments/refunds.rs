//! Stripe refunds from the outbox, retried with growing delays until Stripe
//! accepts them. A row is claimed with a short lease in its own statement,
//! so no transaction (and no row lock) is open while Stripe answers; Stripe's
//! idempotency key, one per order, makes a retry after an unclear failure
//! safe.

use uuid::Uuid;

use crate::error::Result;
use crate::orders::repository as orders;
use crate::outbox::kind;
use crate::state::AppState;

/// Sends the refunds that are due; how many Stripe accepted.
pub async fn process_due(state: &AppState) -> Result<u64> {
    let Some(stripe) = &state.stripe else {
        return Ok(0);
    };
    let mut done = 0;
    loop {
        let claimed = sqlx::query!(
            r#"UPDATE outbox SET attempts = attempts + 1, available_at = now() + interval '2 minutes'
               WHERE id = (SELECT id FROM outbox
                           WHERE kind = $1 AND sent_at IS NULL AND available_at <= now()
                           ORDER BY available_at LIMIT 1 FOR UPDATE SKIP LOCKED)
               RETURNING id, payload, attempts"#,
            kind::PAYMENT_REFUND
        )
        .fetch_optional(&state.db)
        .await?;
        let Some(task) = claimed else {
            return Ok(done);
        };
        let order = task
            .payload
            .get("order_id")
            .and_then(|id| id.as_str())
            .and_then(|id| Uuid::parse_str(id).ok());
        let reference = match order {
            Some(order) => orders::payment_reference(&state.db, order).await?,
            None => None,
        };
        let outcome = match (order, reference) {
            (Some(order), Some(intent)) => stripe.refund(order, &intent).await,
            _ => Err(anyhow::anyhow!("refund task without an order and PaymentIntent")),
        };
        match outcome {
            Ok(()) => {
                sqlx::query!(
                    "UPDATE outbox SET sent_at = now(), last_error = NULL WHERE id = $1",
                    task.id
                )
                .execute(&state.db)
                .await?;
                done += 1;
            }
            Err(err) => {
                let backoff_secs = 2f64.powi(task.attempts.clamp(1, 12));
                tracing::warn!(error = %err, attempts = task.attempts, "refund failed; will retry");
                sqlx::query!(
                    "UPDATE outbox SET last_error = $2, available_at = now() + make_interval(secs => $3)
                     WHERE id = $1",
                    task.id,
                    err.to_string(),
                    backoff_secs
                )
                .execute(&state.db)
                .await?;
                return Ok(done);
            }
        }
    }
}
