//! The relay: moves due outbox rows to the task backend.
//!
//! It wakes on `LISTEN outbox` (a trigger notifies on every commit that
//! wrote rows) and on a periodic sweep (retries, missed notifications).
//! Rows are claimed in one statement with `FOR UPDATE SKIP LOCKED`, so any
//! number of API instances share the work without sending a row twice at
//! once; a claim is a lease (the row becomes due again if this instance
//! dies mid-send), so no transaction is open while a task is sent. A failed
//! send is retried with exponential backoff and jitter; a row that uses up
//! its attempts is kept as a dead letter.

use std::sync::Arc;
use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::PgListener;
use tokio::sync::{Notify, Semaphore};

use super::REFUND_KIND;
use super::backend::TaskBackend;
use super::task::{self, OutboxRow, Prepared};
use crate::config::FulfillmentConfig;
use crate::error::Result;
use crate::metrics::{ApiMetrics, TaskOutcome};

/// The relay's settings and its backend.
#[derive(Debug, Clone)]
pub struct Relay {
    db: PgPool,
    backend: Arc<dyn TaskBackend>,
    concurrency: usize,
    sweep_interval: Duration,
    lease: Duration,
    max_attempts: i32,
    backoff_min: Duration,
    backoff_max: Duration,
    metrics: ApiMetrics,
}

impl Relay {
    /// A relay over `db` that sends through `backend`.
    pub fn new(
        db: PgPool,
        backend: Arc<dyn TaskBackend>,
        config: &FulfillmentConfig,
        metrics: ApiMetrics,
    ) -> Self {
        Relay {
            db,
            backend,
            metrics,
            concurrency: config.relay_concurrency,
            sweep_interval: config.sweep_interval,
            // Longer than any send may take, so a live send keeps its row.
            lease: config.dispatch_deadline + Duration::from_secs(30),
            max_attempts: config.max_attempts,
            backoff_min: config.backoff_min,
            backoff_max: config.backoff_max,
        }
    }

    /// The relay's own pool.
    pub fn pool(&self) -> PgPool {
        self.db.clone()
    }

    /// Runs the relay for as long as the process lives.
    pub fn spawn(self) -> tokio::task::JoinHandle<()> {
        let wake = Arc::new(Notify::new());
        tokio::spawn(listen(self.db.clone(), wake.clone()));
        tokio::spawn(self.run(wake))
    }

    async fn run(self, wake: Arc<Notify>) {
        let slots = Arc::new(Semaphore::new(self.concurrency));
        loop {
            let free = slots.available_permits();
            let claimed = if free == 0 {
                Vec::new()
            } else {
                match self.claim(free).await {
                    Ok(rows) => rows,
                    Err(err) => {
                        tracing::warn!(error = %err, "outbox relay cannot claim rows");
                        Vec::new()
                    }
                }
            };
            let maybe_more = free > 0 && claimed.len() == free;
            for row in claimed {
                let Ok(slot) = slots.clone().acquire_owned().await else { return };
                let relay = self.clone();
                let wake = wake.clone();
                tokio::spawn(async move {
                    relay.deliver(row).await;
                    drop(slot);
                    wake.notify_one();
                });
            }
            if maybe_more {
                continue;
            }
            tokio::select! {
                () = wake.notified() => {}
                () = tokio::time::sleep(self.sweep_interval) => {}
            }
        }
    }

    /// Leases up to `limit` due rows to this instance.
    async fn claim(&self, limit: usize) -> Result<Vec<OutboxRow>> {
        let rows = sqlx::query!(
            "UPDATE outbox SET attempts = attempts + 1,
                    available_at = now() + make_interval(secs => $3)
             WHERE id IN (SELECT id FROM outbox
                          WHERE sent_at IS NULL AND dead_at IS NULL
                            AND available_at <= now() AND kind <> $1
                          ORDER BY available_at
                          LIMIT $2
                          FOR UPDATE SKIP LOCKED)
             RETURNING id, kind, payload, attempts, trace_id",
            REFUND_KIND,
            i64::try_from(limit).unwrap_or(i64::MAX),
            self.lease.as_secs_f64()
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
    #[tracing::instrument(skip_all, fields(outbox = %row.id, kind = %row.kind, attempt = row.attempts))]
    async fn deliver(&self, row: OutboxRow) {
        // Claims count attempts even when a send never reported back (the
        // process died, or the outcome could not be written).
        if row.attempts > self.max_attempts {
            let reason = format!("no outcome recorded after {} attempts", row.attempts - 1);
            if let Err(err) = self.bury(&row, &reason).await {
                tracing::warn!(error = %err, "outbox row not buried; its lease will expire");
            }
            return;
        }
        // Finish well inside the lease, so no other instance takes the row
        // while this send is still in flight.
        let attempt = async {
            match task::prepare(&self.db, &row).await {
                Ok(Prepared::Send(task)) => self.backend.send(&task).await.map(|()| None),
                Ok(Prepared::Skip(reason)) => Ok(Some(Ok(reason))),
                Ok(Prepared::Broken(reason)) => Ok(Some(Err(reason))),
                Err(err) => Err(err.to_string()),
            }
        };
        let limit = self.lease.saturating_sub(Duration::from_secs(15));
        let result = tokio::time::timeout(limit, attempt)
            .await
            .unwrap_or_else(|_| Err(format!("no answer within {limit:?}")));
        let outcome = match result {
            Ok(None) => {
                self.metrics.task_sent(&row.kind, TaskOutcome::Sent);
                self.mark_sent(&row, None).await
            }
            Ok(Some(Ok(skipped))) => {
                self.metrics.task_sent(&row.kind, TaskOutcome::Skipped);
                self.mark_sent(&row, Some(&skipped)).await
            }
            Ok(Some(Err(broken))) => self.bury(&row, &broken).await,
            Err(reason) => self.retry_later(&row, &reason).await,
        };
        if let Err(err) = outcome {
            tracing::warn!(error = %err, "outbox row outcome not recorded; its lease will expire");
        }
    }

    async fn mark_sent(&self, row: &OutboxRow, note: Option<&str>) -> Result<()> {
        sqlx::query!(
            "UPDATE outbox SET sent_at = now(), last_error = $2
             WHERE id = $1 AND attempts = $3 AND sent_at IS NULL AND dead_at IS NULL",
            row.id,
            note,
            row.attempts
        )
        .execute(&self.db)
        .await?;
        Ok(())
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

/// Wakes the relay on every `outbox` notification, reconnecting (and
/// waking it, in case something was missed) whenever the connection drops.
async fn listen(db: PgPool, wake: Arc<Notify>) {
    loop {
        match PgListener::connect_with(&db).await {
            Ok(mut listener) => {
                if let Err(err) = listener.listen("outbox").await {
                    tracing::warn!(error = %err, "cannot LISTEN for outbox rows");
                } else {
                    wake.notify_one();
                    while listener.recv().await.is_ok() {
                        wake.notify_one();
                    }
                }
            }
            Err(err) => tracing::warn!(error = %err, "outbox listener cannot connect"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
