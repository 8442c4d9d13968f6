//! The worker's routes: one POST endpoint per task kind under `/tasks/`, and
//! a liveness probe.

use axum::Router;
use axum::routing::get;
use gokart_edge::http::Json;
use serde::Serialize;

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
pub fn router() -> Router {
    Router::new().route("/healthz", get(healthz))
}
