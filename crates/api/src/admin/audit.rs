//! HTTP for `/api/v1/admin/audit`: who changed what, when.

use axum::extract::State;
use gokart_domain::{PageRequest, Violations};
use gokart_edge::http::ErrorEnvelope;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::audit::{self, AuditEntry};
use crate::auth::AdminUser;
use crate::error::Result;
use crate::extract::{Json, Query, filled, hyphenated_id};
use crate::page::Page;
use crate::state::AppState;

/// Which entries: about one subject type, or one subject.
#[derive(Debug, Deserialize, IntoParams)]
pub struct AuditQuery {
    /// `product`, `variant`, `category`, `collection`, `media`, `order`,
    /// `return`, `user`, `discount`, `shipping_zone`, `tax_rate`,
    /// `webhook`, `webhook_delivery`, `api_key`, `dead_letter` or `import`.
    #[param(value_type = String, required = false, max_length = 40)]
    pub subject_type: Option<String>,
    /// One subject's id (with `subject_type`).
    #[param(value_type = Uuid, required = false)]
    pub subject_id: Option<String>,
    /// Page number, from 1.
    #[param(value_type = u32, required = false, minimum = 1, maximum = 100000)]
    pub page: Option<String>,
    /// Items per page, 1 to 100 (default 20).
    #[param(value_type = u32, required = false, minimum = 1, maximum = 100)]
    pub page_size: Option<String>,
}

/// The admin writes that succeeded, newest first: who (and with which API
/// key), when, the request id, and the subject before and after.
#[utoipa::path(get, path = "/api/v1/admin/audit", tag = "admin", operation_id = "admin_list_audit",
    security(("bearer" = [])),
    params(AuditQuery),
    responses(
        (status = 200, description = "A page of audit entries", body = Page<AuditEntry>),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not an admin", body = ErrorEnvelope),
        (status = 422, description = "A filter is invalid", body = ErrorEnvelope),
    ))]
pub async fn list(
    State(state): State<AppState>,
    _admin: AdminUser,
    Query(query): Query<AuditQuery>,
) -> Result<Json<Page<AuditEntry>>> {
    let mut v = Violations::new();
    let kind = filled(&query.subject_type);
    if let Some(kind) = kind
        && !audit::subject_types().any(|known| known == kind)
    {
        v.add("subject_type", "is not a subject the audit log records");
    }
    let id = filled(&query.subject_id).and_then(|raw| match hyphenated_id(raw) {
        Some(id) => Some(id),
        None => {
            v.add("subject_id", "must be an id");
            None
        }
    });
    if id.is_some() && kind.is_none() {
        v.add("subject_type", "is needed with subject_id");
    }
    let page =
        PageRequest::from_query_into(query.page.as_deref(), query.page_size.as_deref(), &mut v);
    v.into_result()?;
    let (items, total) = audit::list(&state.db, kind, id, page.limit(), page.offset()).await?;
    Ok(Json(Page::new(items, page, total)))
}
