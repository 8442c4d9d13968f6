//! Delivering one outbox row and keeping its books, whoever does it: the
//! relay's loop, or a pass that drains some rows at once (a refund right
//! after a cancellation, maintenance). A row is claimed in one statement
//! with `FOR UPDATE SKIP LOCKED` under a lease (it becomes due again if the
//! process dies mid-send), so no transaction is open while it is sent; a
//! failed send is retried with exponential backoff and jitter; a row that
//! uses up its attempts is kept as a dead letter for an admin to retry.

use std::sync::Arc;
use std::time::Duration;

use sqlx::{PgExecutor, PgPool};
use uuid::Uuid;

use super::REFUND_KIND;
use super::backend::{RefundBackend, TaskBackend};
use super::task::{self, OutboxRow, Prepared};
use crate::auth::links::AccountLinks;
use crate::config::FulfillmentConfig;
use crate::error::Result;
use crate::metrics::{ApiMetrics, TaskOutcome};
use crate::orders::workflow;
use crate::webhooks::sender::Sender;

/// What came of sending a row.
#[derive(Debug)]
enum Attempt {
    /// Taken; for a refund, its id and the provider's id for it.
    Sent(Option<(Uuid, String)>),
    /// Nothing to send any more, and why.
    Skipped(String),
    /// Never sendable: a dead letter at once.
    Broken(String),
}

/// Which due rows a claim takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    /// Every kind: the relay.
    Everything,
    /// Refunds only, of one order when given.
    Refunds {
        /// Only this order's.
        order: Option<Uuid>,
    },
}

/// Where a courier sends each kind of row; a kind without one waits.
#[derive(Debug, Clone, Default)]
pub struct Backends {
    /// Worker tasks.
    pub tasks: Option<Arc<dyn TaskBackend>>,
    /// Refunds (the payment provider).
    pub refunds: Option<Arc<dyn RefundBackend>>,
    /// Webhook deliveries.
    pub webhooks: Option<Sender>,
}

/// Sends outbox rows through their backends and records each outcome.
#[derive(Debug, Clone)]
pub struct Courier {
    db: PgPool,
    tasks: Option<Arc<dyn TaskBackend>>,
    refunds: Option<Arc<dyn RefundBackend>>,
    webhooks: Option<Sender>,
    lease: Duration,
    max_attempts: i32,
    backoff_min: Duration,
    backoff_max: Duration,
    metrics: ApiMetrics,
    links: AccountLinks,
}

impl Courier {
    /// A courier over `db` handing worker tasks to `tasks`, refunds to
    /// `refunds` and webhooks to `webhooks`, account emails with links
    /// from `links`; a row whose backend is missing is retried later.
    pub fn new(
        db: PgPool,
        backends: Backends,
        config: &FulfillmentConfig,
        metrics: ApiMetrics,
        links: AccountLinks,
    ) -> Self {
        let Backends { tasks, refunds, webhooks } = backends;
        Courier {
            db,
            tasks,
            refunds,
            webhooks,
            metrics,
            links,
            // Longer than any send may take, so a live send keeps its row.
            lease: config.dispatch_deadline + Duration::from_secs(30),
            max_attempts: config.max_attempts,
            backoff_min: config.backoff_min,
            backoff_max: config.backoff_max,
        }
    }

    /// Its database pool.
    pub fn pool(&self) -> PgPool {
        self.db.clone()
    }

    /// Delivers every row of `which` that is due, one after another, until
    /// none is left; how many were sent.
    pub async fn drain(&self, which: Which) -> Result<u64> {
        let mut sent = 0;
        loop {
            let rows = self.claim(8, which).await?;
            if rows.is_empty() {
                return Ok(sent);
            }
            for row in rows {
                if self.deliver(row).await {
                    sent += 1;
                }
            }
        }
    }
    /// Leases up to `limit` due rows of `which` to this instance.
    pub(super) async fn claim(&self, limit: usize, which: Which) -> Result<Vec<OutboxRow>> {
        let (only_refunds, order) = match which {
            Which::Everything => (false, None),
            Which::Refunds { order } => (true, order.map(|id| id.to_string())),
        };
        let rows = sqlx::query!(
            "UPDATE outbox SET attempts = attempts + 1,
                    available_at = now() + make_interval(secs => $3)
             WHERE id IN (SELECT id FROM outbox
                          WHERE sent_at IS NULL AND dead_at IS NULL
                            AND available_at <= now()
                            AND (NOT $1 OR kind = $4)
                            AND ($5::text IS NULL OR payload->>'order_id' = $5)
                            -- A webhook waits for the earlier ones of its queue.
                            AND NOT (kind = 'webhook' AND EXISTS (
                                SELECT 1 FROM outbox earlier
                                WHERE earlier.kind = 'webhook'
                                  AND earlier.sent_at IS NULL AND earlier.dead_at IS NULL
                                  AND earlier.payload->>'endpoint_id' = outbox.payload->>'endpoint_id'
                                  AND earlier.payload->>'subject' = outbox.payload->>'subject'
                                  AND (earlier.created_at, earlier.id) < (outbox.created_at, outbox.id)))
                          ORDER BY available_at
                          LIMIT $2
                          FOR UPDATE SKIP LOCKED)
             RETURNING id, kind, payload, attempts, trace_id",
            only_refunds,
            i64::try_from(limit).unwrap_or(i64::MAX),
            self.lease.as_secs_f64(),
            REFUND_KIND,
            order
        )
        .fetch_all(&self.db)
        .await?;
        Ok(rows
            .into_iter()
            .map(|row| OutboxRow {
                id: row.id,
                kind: row.kind,
                payload: row.payload,
                attempts: row.attempts,
                trace_id: row.trace_id,
            })
            .collect())
    }

    /// Sends one row and records the outcome. Each write names the claim it
    /// belongs to (`attempts`), so a send that outlived its lease cannot
    /// overwrite what a later claim recorded. Database errors leave the row
    /// leased; it becomes due again when the lease runs out.
    /// Whether it was sent.
    #[tracing::instrument(skip_all, fields(outbox = %row.id, kind = %row.kind, attempt = row.attempts))]
    pub(super) async fn deliver(&self, row: OutboxRow) -> bool {
        // Claims count attempts even when a send never reported back (the
        // process died, or the outcome could not be written).
        if row.attempts > self.max_attempts {
            let reason = format!("no outcome recorded after {} attempts", row.attempts - 1);
            if let Err(err) = self.bury(&row, &reason).await {
                tracing::warn!(error = %err, "outbox row not buried; its lease will expire");
            }
            return false;
        }
        // Finish well inside the lease, so no other instance takes the row
        // while this send is still in flight.
        let attempt = async {
            match task::prepare(&self.db, &self.links, &row).await {
                Ok(Prepared::Send(task)) => match &self.tasks {
                    Some(tasks) => tasks.send(&task).await.map(|()| Attempt::Sent(None)),
                    None => Err("no task backend here".to_owned()),
                },
                Ok(Prepared::Refund(refund)) => match &self.refunds {
                    Some(refunds) => refunds
                        .refund(&refund)
                        .await
                        .map(|reference| Attempt::Sent(Some((refund.id, reference)))),
                    None => Err("no payment provider to refund through".to_owned()),
                },
                Ok(Prepared::Webhook(message)) => match &self.webhooks {
                    Some(webhooks) => webhooks
                        .deliver(row.id, row.attempts, &message)
                        .await
                        .map(|skipped| skipped.map_or(Attempt::Sent(None), Attempt::Skipped)),
                    None => Err("webhooks are not delivered here".to_owned()),
                },
                Ok(Prepared::Skip(reason)) => Ok(Attempt::Skipped(reason)),
                Ok(Prepared::Broken(reason)) => Ok(Attempt::Broken(reason)),
                Err(err) => Err(err.to_string()),
            }
        };
        let limit = self.lease.saturating_sub(Duration::from_secs(15));
        let result = tokio::time::timeout(limit, attempt)
            .await
            .unwrap_or_else(|_| Err(format!("no answer within {limit:?}")));
        let sent = matches!(result, Ok(Attempt::Sent(_)));
        let outcome = match result {
            Ok(Attempt::Sent(refund)) => {
                self.metrics.task_sent(&row.kind, TaskOutcome::Sent);
                self.sent(&row, refund).await
            }
            Ok(Attempt::Skipped(skipped)) => {
                self.metrics.task_sent(&row.kind, TaskOutcome::Skipped);
                self.mark_sent(&row, Some(&skipped)).await
            }
            Ok(Attempt::Broken(broken)) => self.bury(&row, &broken).await,
            Err(reason) => self.retry_later(&row, &reason).await,
        };
        if let Err(err) = outcome {
            tracing::warn!(error = %err, "outbox row outcome not recorded; its lease will expire");
        }
        sent
    }

    /// Records that `row` was sent; for a refund (its id and the provider's
    /// id for it), the provider took it, so the refund is given back in the
    /// same transaction.
    async fn sent(&self, row: &OutboxRow, refund: Option<(Uuid, String)>) -> Result<()> {
        let Some((refund, reference)) = refund else {
            return self.mark_sent(row, None).await;
        };
        let mut tx = self.db.begin().await?;
        mark_sent_in(&mut *tx, row, None).await?;
        workflow::refund_settled(&mut tx, refund, Some(&reference)).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn mark_sent(&self, row: &OutboxRow, note: Option<&str>) -> Result<()> {
        mark_sent_in(&self.db, row, note).await
    }

    async fn retry_later(&self, row: &OutboxRow, reason: &str) -> Result<()> {
        if row.attempts >= self.max_attempts {
            return self.bury(row, reason).await;
        }
        self.metrics.task_sent(&row.kind, TaskOutcome::Retried);
        let delay = self.backoff(row.attempts);
        tracing::warn!(error = reason, retry_in = ?delay, "task not sent");
        sqlx::query!(
            "UPDATE outbox SET last_error = $2, available_at = now() + make_interval(secs => $3)
             WHERE id = $1 AND attempts = $4 AND sent_at IS NULL AND dead_at IS NULL",
            row.id,
            reason,
            delay.as_secs_f64(),
            row.attempts
        )
        .execute(&self.db)
        .await?;
        Ok(())
    }

    /// Sets a row aside as a dead letter, for the admin listing.
    async fn bury(&self, row: &OutboxRow, reason: &str) -> Result<()> {
        tracing::error!(error = reason, attempts = row.attempts, "task is a dead letter");
        self.metrics.task_sent(&row.kind, TaskOutcome::Dead);
        sqlx::query!(
            "UPDATE outbox SET last_error = $2, dead_at = now()
             WHERE id = $1 AND attempts = $3 AND sent_at IS NULL AND dead_at IS NULL",
            row.id,
            reason,
            row.attempts
        )
        .execute(&self.db)
        .await?;
        Ok(())
    }

    /// The delay after `attempts` failed sends: doubling from the minimum,
    /// capped, with "equal jitter" (half fixed, half random) so that rows
    /// failing together do not retry together.
    fn backoff(&self, attempts: i32) -> Duration {
        let doublings = u32::try_from(attempts.saturating_sub(1)).unwrap_or(0).min(30);
        let ceiling = self.backoff_min.saturating_mul(1 << doublings).min(self.backoff_max);
        let random = f64::from(uuid::Uuid::new_v4().as_u128() as u32) / f64::from(u32::MAX);
        ceiling.mul_f64(0.5 + 0.5 * random)
    }
}

/// Marks `row` sent, if the claim it belongs to is still current.
async fn mark_sent_in(db: impl PgExecutor<'_>, row: &OutboxRow, note: Option<&str>) -> Result<()> {
    sqlx::query!(
        "UPDATE outbox SET sent_at = now(), last_error = $2
         WHERE id = $1 AND attempts = $3 AND sent_at IS NULL AND dead_at IS NULL",
        row.id,
        note,
        row.attempts
    )
    .execute(db)
    .await?;
    Ok(())
}
