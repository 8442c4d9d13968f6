//! HTTP for `/api/v1/admin/dead-letters*`: outbox work the relay gave up on.

use axum::extract::State;
use gokart_edge::http::ErrorEnvelope;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::AdminUser;
use crate::error::Result;
use crate::extract::{Json, Path, Query};
use crate::outbox::dead_letters::{self, DeadLetter};
use crate::page::{Page, PageQuery};
use crate::state::AppState;

/// The answer to a retry.
#[derive(Debug, Serialize, ToSchema)]
pub struct Retried {
    /// The row, now due again.
    pub id: Uuid,
}

/// Outbox rows that used up their attempts, most recent first.
#[utoipa::path(get, path = "/api/v1/admin/dead-letters", tag = "admin",
    operation_id = "admin_list_dead_letters", security(("bearer" = [])),
    params(PageQuery),
    responses(
        (status = 200, description = "A page of dead letters", body = Page<DeadLetter>),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not an admin", body = ErrorEnvelope),
        (status = 422, description = "Bad paging", body = ErrorEnvelope),
    ))]
pub async fn list(
    State(state): State<AppState>,
    _admin: AdminUser,
    Query(query): Query<PageQuery>,
) -> Result<Json<Page<DeadLetter>>> {
    let page = query.request()?;
    let (items, total) = dead_letters::list(&state, page).await?;
    Ok(Json(Page::new(items, page, total)))
}

/// Sends a dead letter again, with a fresh set of attempts.
#[utoipa::path(post, path = "/api/v1/admin/dead-letters/{id}/retry", tag = "admin",
    operation_id = "admin_retry_dead_letter", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Outbox row id")),
    responses(
        (status = 200, description = "Due again", body = Retried),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not an admin", body = ErrorEnvelope),
        (status = 404, description = "No such dead letter", body = ErrorEnvelope),
    ))]
pub async fn retry(
    State(state): State<AppState>,
    _admin: AdminUser,
    Path(id): Path<Uuid>,
) -> Result<Json<Retried>> {
    dead_letters::retry(&state, id).await?;
    Ok(Json(Retried { id }))
}
