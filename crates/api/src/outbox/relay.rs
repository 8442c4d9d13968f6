//! The relay: moves due outbox rows to their backends, worker tasks and
//! refunds alike, through one [`Courier`] (leases, backoff, dead letters).
//!
//! It wakes on `LISTEN outbox` (a trigger notifies on every commit that
//! wrote rows) and on a periodic sweep (retries, missed notifications).
//! Rows are claimed in one statement with `FOR UPDATE SKIP LOCKED`, so any
//! number of API instances share the work without sending a row twice at
//! once.

use std::sync::Arc;
use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::PgListener;
use tokio::sync::{Notify, Semaphore};

use super::courier::{Backends, Courier, Which};
use crate::auth::links::AccountLinks;
use crate::config::FulfillmentConfig;
use crate::metrics::ApiMetrics;

/// The relay's settings and its courier.
#[derive(Debug, Clone)]
pub struct Relay {
    courier: Courier,
    concurrency: usize,
    sweep_interval: Duration,
}

impl Relay {
    /// A relay over `db` that sends each kind of row through its backend
    /// (refunds: none without a payment provider), account emails with
    /// links from `links`.
    pub fn new(
        db: PgPool,
        backends: Backends,
        config: &FulfillmentConfig,
        metrics: ApiMetrics,
        links: AccountLinks,
    ) -> Self {
        Relay {
            courier: Courier::new(db, backends, config, metrics, links),
            concurrency: config.relay_concurrency,
            sweep_interval: config.sweep_interval,
        }
    }

    /// Its database pool (for metrics).
    pub fn pool(&self) -> PgPool {
        self.courier.pool()
    }

    /// Runs the relay for as long as the process lives.
    pub fn spawn(self) -> tokio::task::JoinHandle<()> {
        let wake = Arc::new(Notify::new());
        tokio::spawn(listen(self.courier.pool(), wake.clone()));
        tokio::spawn(self.run(wake))
    }

    async fn run(self, wake: Arc<Notify>) {
        let slots = Arc::new(Semaphore::new(self.concurrency));
        loop {
            let free = slots.available_permits();
            let claimed = if free == 0 {
                Vec::new()
            } else {
                match self.courier.claim(free, Which::Everything).await {
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
                let courier = self.courier.clone();
                let wake = wake.clone();
                tokio::spawn(async move {
                    courier.deliver(row).await;
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
