//! The worker's routes: one POST endpoint per task kind under `/tasks/`
//! (each admits only service tokens minted for the worker's URL by an
//! allowed caller), and a liveness probe.

use axum::Router;
use axum::routing::{get, post};
use gokart_domain::TaskKind;
use gokart_edge::http::Json;
use serde::Serialize;

use crate::state::WorkerState;
use crate::{notify, steps};

/// A probe's answer.
#[derive(Debug, Serialize)]
pub struct Health {
    /// Always `ok` while the process serves.
    pub status: &'static str,
}

/// Liveness: the process is up and serving.
pub async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// Every route of the worker.
pub fn router(state: WorkerState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route(TaskKind::Warehouse.path(), post(steps::warehouse))
        .route(TaskKind::Shipping.path(), post(steps::shipping))
        .route(TaskKind::Delivery.path(), post(steps::delivery))
        .route(TaskKind::Notification.path(), post(notify::notification))
        .route(TaskKind::AccountEmail.path(), post(notify::account_email))
        .route(TaskKind::AdminNotice.path(), post(notify::admin_notice))
        .route(TaskKind::CustomerNotice.path(), post(notify::admin_notice))
        .with_state(state)
}
