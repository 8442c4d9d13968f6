//! HTTP for `/api/v1/internal/*`.

use axum::extract::State;
use gokart_domain::StatusReport;
use gokart_edge::http::ErrorEnvelope;
use gokart_edge::service_auth::ServiceCaller;
use uuid::Uuid;

use super::service::{self, StatusApplied};
use crate::error::Result;
use crate::extract::{Json, Path};
use crate::maintenance::{self, MaintenanceReport};
use crate::state::AppState;

/// The worker reports that an order moved on (packed, shipped, out for
/// delivery, delivered). Repeats are 200 no-ops; illegal moves are 409.
#[utoipa::path(post, path = "/api/v1/internal/orders/{id}/status", tag = "internal",
    operation_id = "report_order_status", security(("service_token" = [])),
    params(("id" = Uuid, Path, description = "Order id")),
    request_body = StatusReport,
    responses(
        (status = 200, description = "Applied, or a repeat of what was applied", body = StatusApplied),
        (status = 401, description = "No valid service token", body = ErrorEnvelope),
        (status = 403, description = "The caller may not report statuses", body = ErrorEnvelope),
        (status = 404, description = "No such order", body = ErrorEnvelope),
        (status = 409, description = "Not a legal next status for the order", body = ErrorEnvelope),
        (status = 422, description = "The report is invalid", body = ErrorEnvelope),
    ))]
pub async fn report_status(
    State(state): State<AppState>,
    caller: ServiceCaller,
    Path(id): Path<Uuid>,
    Json(report): Json<StatusReport>,
) -> Result<Json<StatusApplied>> {
    tracing::debug!(caller = caller.email, "status report");
    Ok(Json(service::apply_report(&state, id, &report).await?))
}

/// Runs housekeeping once (Cloud Scheduler calls this; locally the API runs
/// it on an interval too).
#[utoipa::path(post, path = "/api/v1/internal/maintenance", tag = "internal",
    operation_id = "run_maintenance", security(("service_token" = [])),
    responses(
        (status = 200, description = "What was done", body = MaintenanceReport),
        (status = 401, description = "No valid service token", body = ErrorEnvelope),
        (status = 403, description = "The caller may not run maintenance", body = ErrorEnvelope),
    ))]
pub async fn run_maintenance(
    State(state): State<AppState>,
    caller: ServiceCaller,
) -> Result<Json<MaintenanceReport>> {
    tracing::info!(caller = caller.email, "maintenance requested");
    Ok(Json(maintenance::run(&state).await?))
}
