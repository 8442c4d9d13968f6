//! The API's own metrics, beside the HTTP ones every service records:
//! database pools, the outbox (depth, age, dead letters), task sends by
//! outcome, and orders by status. Gauges read from the database are
//! refreshed when scraped, so an idle API runs no queries for them.

use axum::extract::State;
use axum::response::Response;
use gokart_edge::metrics::Metrics;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use sqlx::PgPool;
use std::sync::atomic::AtomicU64;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    pool: &'static str,
    state: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TaskLabels {
    kind: String,
    outcome: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatusLabels {
    status: String,
}

/// How a send of an outbox row ended.
#[derive(Debug, Clone, Copy)]
pub enum TaskOutcome {
    /// The backend accepted it.
    Sent,
    /// Nothing to send any more (a cancelled order, a deleted account).
    Skipped,
    /// It failed and will be tried again.
    Retried,
    /// It became a dead letter.
    Dead,
}

/// The API's metrics. Clones share them.
#[derive(Debug, Clone, Default)]
pub struct ApiMetrics {
    pool_connections: Family<PoolLabels, Gauge>,
    outbox_pending: Gauge,
    outbox_oldest_age: Gauge<f64, AtomicU64>,
    outbox_dead: Gauge,
    task_sends: Family<TaskLabels, Counter>,
    orders: Family<StatusLabels, Gauge>,
}

impl ApiMetrics {
    /// Adds these metrics to `registry`.
    pub fn register(&self, registry: &mut Registry) {
        registry.register(
            "db_pool_connections",
            "Database connections by pool (requests, relay) and state (idle, in_use)",
            self.pool_connections.clone(),
        );
        registry.register(
            "outbox_pending",
            "Outbox rows waiting to be sent",
            self.outbox_pending.clone(),
        );
        registry.register(
            "outbox_oldest_pending_age_seconds",
            "Age of the oldest outbox row waiting to be sent",
            self.outbox_oldest_age.clone(),
        );
        registry.register(
            "outbox_dead_letters",
            "Outbox rows set aside after their last attempt",
            self.outbox_dead.clone(),
        );
        registry.register(
            "task_sends",
            "Sends of outbox rows to the task backend, by kind and outcome",
            self.task_sends.clone(),
        );
        registry.register("orders", "Orders by status", self.orders.clone());
    }

    /// Records how one send ended.
    pub fn task_sent(&self, kind: &str, outcome: TaskOutcome) {
        let outcome = match outcome {
            TaskOutcome::Sent => "sent",
            TaskOutcome::Skipped => "skipped",
            TaskOutcome::Retried => "retried",
            TaskOutcome::Dead => "dead",
        };
        self.task_sends.get_or_create(&TaskLabels { kind: kind.to_owned(), outcome }).inc();
    }

    fn pool(&self, name: &'static str, pool: &PgPool) {
        let idle = i64::try_from(pool.num_idle()).unwrap_or(i64::MAX);
        let size = i64::from(pool.size());
        self.pool_connections.get_or_create(&PoolLabels { pool: name, state: "idle" }).set(idle);
        self.pool_connections
            .get_or_create(&PoolLabels { pool: name, state: "in_use" })
            .set((size - idle).max(0));
    }

    /// Reads the database gauges.
    async fn refresh(&self, db: &PgPool) -> sqlx::Result<()> {
        let outbox = sqlx::query!(
            r#"SELECT count(*) FILTER (WHERE dead_at IS NULL) AS "pending!",
                      count(*) FILTER (WHERE dead_at IS NOT NULL) AS "dead!",
                      COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)
                               FILTER (WHERE dead_at IS NULL))::float8, 0) AS "oldest!"
               FROM outbox WHERE sent_at IS NULL"#
        )
        .fetch_one(db)
        .await?;
        self.outbox_pending.set(outbox.pending);
        self.outbox_dead.set(outbox.dead);
        self.outbox_oldest_age.set(outbox.oldest);
        let statuses = sqlx::query!(
            r#"SELECT status AS "status!", count(*) AS "orders!" FROM orders GROUP BY status"#
        )
        .fetch_all(db)
        .await?;
        // A status with no orders left reads 0, not its last count.
        self.orders.clear();
        for row in statuses {
            self.orders.get_or_create(&StatusLabels { status: row.status }).set(row.orders);
        }
        Ok(())
    }
}

/// What the scrape endpoint reads.
#[derive(Debug, Clone)]
pub struct Scrape {
    /// Everything registered, HTTP metrics included.
    pub metrics: Metrics,
    /// The API's own.
    pub api: ApiMetrics,
    /// The requests' pool.
    pub db: PgPool,
    /// The relay's pool, when this instance relays.
    pub relay_db: Option<PgPool>,
}

/// `GET /metrics`: every metric, database gauges read now. A database that
/// cannot be read leaves those gauges at their last values (the pool
/// gauges and the HTTP metrics still tell what is wrong).
pub async fn scrape(State(scrape): State<Scrape>) -> Response {
    scrape.api.pool("requests", &scrape.db);
    if let Some(relay) = &scrape.relay_db {
        scrape.api.pool("relay", relay);
    }
    if let Err(err) = scrape.api.refresh(&scrape.db).await {
        tracing::warn!(error = %err, "metrics: could not read the database gauges");
    }
    scrape.metrics.render()
}
