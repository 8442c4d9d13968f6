//! HTTP for `/api/v1/admin/dead-letters*`: outbox work the relay gave up on.

use axum::extract::State;
use gokart_domain::PageRequest;
use gokart_edge::http::ErrorEnvelope;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::AdminUser;
use crate::error::Result;
use crate::extract::{Json, Path, Query};
use crate::outbox::dead_letters::{self, DeadLetter};
use crate::page::Page;
use crate::state::AppState;

/// Paging for dead letters.
#[derive(Debug, Deserialize, IntoParams)]
pub struct DeadLetterQuery {
    /// Page number, from 1.
    #[param(value_type = u32, required = false, minimum = 1, maximum = 100000)]
    pub page: Option<String>,
    /// Items per page, 1 to 100 (default 20).
    #[param(value_type = u32, required = false, minimum = 1, maximum = 100)]
    pub page_size: Option<String>,
}

/// The answer to a retry.
#[derive(Debug, Serialize, ToSchema)]
pub struct Retried {
    /// The row, now due again.
    pub id: Uuid,
}

/// Outbox rows that used up their attempts, most recent first.
#[utoipa::path(get, path = "/api/v1/admin/dead-letters", tag = "admin",
    operation_id = "admin_list_dead_letters", security(("bearer" = [])),
    params(DeadLetterQuery),
    responses(
        (status = 200, description = "A page of dead letters", body = Page<DeadLetter>),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not an admin", body = ErrorEnvelope),
        (status = 422, description = "Bad paging", body = ErrorEnvelope),
    ))]
pub async fn list(
    State(state): State<AppState>,
    _admin: AdminUser,
    Query(query): Query<DeadLetterQuery>,
) -> Result<Json<Page<DeadLetter>>> {
    let page = PageRequest::from_query(query.page.as_deref(), query.page_size.as_deref())?;
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
