//! Housekeeping: expire unpaid orders (restocking them), delete idle guest
//! carts, and purge ended sessions, old idempotency keys and outbox rows
//! sent long ago. Each order is
//! handled in its own transaction; the report counts what was done.

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
    let report = MaintenanceReport {
        // Reconcile first: an order paid without its webhook must not expire.
        payments_reconciled: orders::service::reconcile_stripe(state).await?,
        refunds_sent: crate::payments::refunds::process_due(state, None).await?,
        orders_expired: orders::service::expire_unpaid(state).await?,
        guest_carts_deleted: cart::service::delete_idle_guest_carts(state, state.config.guest_cart_max_idle).await?,
        sessions_purged: sqlx::query!(
            "DELETE FROM sessions WHERE expires_at < now() OR revoked_at < now() - interval '30 days'"
        )
        .execute(&state.db)
        .await?
        .rows_affected(),
        idempotency_keys_purged: sqlx::query!(
            "DELETE FROM idempotency_keys WHERE created_at < now() - interval '24 hours'"
        )
        .execute(&state.db)
        .await?
        .rows_affected(),
        login_attempts_purged: sqlx::query!(
            "DELETE FROM login_throttle WHERE window_started_at < now() - make_interval(secs => $1)",
            state.config.auth.limits.failure_window.as_secs_f64()
        )
        .execute(&state.db)
        .await?
        .rows_affected(),
        outbox_purged: sqlx::query!(
            "DELETE FROM outbox WHERE sent_at < now() - interval '7 days'"
        )
        .execute(&state.db)
        .await?
        .rows_affected(),
    };
    tracing::info!(?report, "maintenance done");
    Ok(report)
}
