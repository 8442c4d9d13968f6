//! Housekeeping: expire unpaid orders (restocking them), delete idle guest
//! carts, and purge ended sessions, old idempotency keys, outbox rows sent
//! long ago, old webhook delivery logs and old import reports. Each order
//! is handled in its own transaction; the report counts what was done.

use serde::Serialize;
use utoipa::ToSchema;

use crate::error::Result;
use crate::state::AppState;
use crate::{cart, orders};

/// What one maintenance run did.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct MaintenanceReport {
    /// Unpaid orders cancelled and restocked.
    pub orders_expired: u64,
    /// Idle guest carts deleted.
    pub guest_carts_deleted: u64,
    /// Ended sessions deleted with their refresh tokens.
    pub sessions_purged: u64,
    /// Idempotency keys past their 24 hours deleted.
    pub idempotency_keys_purged: u64,
    /// Failed-login records past their window deleted.
    pub login_attempts_purged: u64,
    /// Stripe payments found succeeded without their webhook, and applied.
    pub payments_reconciled: u64,
    /// Stripe refunds sent from the outbox.
    pub refunds_sent: u64,
    /// Outbox rows sent more than 7 days ago deleted (dead letters stay).
    pub outbox_purged: u64,
    /// Emailed account links expired for more than a day deleted.
    pub account_links_purged: u64,
    /// Catalog changes older than an hour, which every search index has
    /// read, deleted.
    pub catalog_changes_purged: u64,
    /// Webhook delivery attempts logged more than 30 days ago deleted.
    pub webhook_deliveries_purged: u64,
    /// Product imports finished more than 30 days ago deleted, with their
    /// reports.
    pub imports_purged: u64,
}

/// Runs maintenance every `interval` for as long as the process lives (the
/// local stand-in for Cloud Scheduler). A failed run is logged and retried
/// at the next tick.
pub fn spawn_interval(state: AppState, interval: std::time::Duration) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticks.tick().await;
        loop {
            ticks.tick().await;
            if let Err(err) = run(&state).await {
                tracing::error!(error = %err, "maintenance failed");
            }
        }
    });
}

/// Runs every housekeeping task once.
#[tracing::instrument(skip_all)]
pub async fn run(state: &AppState) -> Result<MaintenanceReport> {
    // Reconcile first: an order paid without its webhook must not expire.
    let payments_reconciled = orders::service::reconcile_stripe(state).await?;
    let refunds_sent = crate::payments::refunds::process_due(state, None).await?;
    let orders_expired = orders::service::expire_unpaid(state).await?;
    let guest_carts_deleted =
        cart::service::delete_idle_guest_carts(state, state.config.guest_cart_max_idle).await?;
    let purged = sqlx::query!(
        r#"WITH ended_sessions AS (
               DELETE FROM sessions
               WHERE expires_at < now() OR revoked_at < now() - interval '30 days' RETURNING 1),
           old_keys AS (
               DELETE FROM idempotency_keys
               WHERE created_at < now() - interval '24 hours' RETURNING 1),
           old_attempts AS (
               DELETE FROM login_throttle
               WHERE window_started_at < now() - make_interval(secs => $1) RETURNING 1),
           sent AS (
               DELETE FROM outbox WHERE sent_at < now() - interval '7 days' RETURNING 1),
           old_links AS (
               DELETE FROM account_tokens WHERE expires_at < now() - interval '1 day' RETURNING 1),
           old_changes AS (
               DELETE FROM catalog_changes WHERE at < now() - interval '1 hour' RETURNING 1),
           old_deliveries AS (
               DELETE FROM webhook_deliveries WHERE created_at < now() - interval '30 days'
               RETURNING 1),
           old_imports AS (
               DELETE FROM product_imports WHERE finished_at < now() - interval '30 days'
               RETURNING 1)
           SELECT (SELECT count(*) FROM ended_sessions) AS "sessions!",
                  (SELECT count(*) FROM old_keys) AS "keys!",
                  (SELECT count(*) FROM old_attempts) AS "attempts!",
                  (SELECT count(*) FROM sent) AS "outbox!",
                  (SELECT count(*) FROM old_links) AS "links!",
                  (SELECT count(*) FROM old_changes) AS "changes!",
                  (SELECT count(*) FROM old_deliveries) AS "deliveries!",
                  (SELECT count(*) FROM old_imports) AS "imports!""#,
        state.config.auth.limits.failure_window.as_secs_f64()
    )
    .fetch_one(&state.db)
    .await?;
    let count = |n: i64| u64::try_from(n).unwrap_or_default();
    let report = MaintenanceReport {
        orders_expired,
        guest_carts_deleted,
        sessions_purged: count(purged.sessions),
        idempotency_keys_purged: count(purged.keys),
        login_attempts_purged: count(purged.attempts),
        payments_reconciled,
        refunds_sent,
        outbox_purged: count(purged.outbox),
        account_links_purged: count(purged.links),
        catalog_changes_purged: count(purged.changes),
        webhook_deliveries_purged: count(purged.deliveries),
        imports_purged: count(purged.imports),
    };
    tracing::info!(?report, "maintenance done");
    Ok(report)
}
