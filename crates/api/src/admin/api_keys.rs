//! HTTP for `/api/v1/admin/api-keys*`: keys for server-to-server callers.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use gokart_domain::Violations;
use gokart_domain::catalog::required_text;
use gokart_edge::http::ErrorEnvelope;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::AdminUser;
use crate::auth::api_keys::{self, KeyRow, Scope};
use crate::error::{Error, Result};
use crate::extract::{Json, Path};
use crate::page::Page;
use crate::schemas;
use crate::state::AppState;

/// As many scopes as there are.
const MAX_SCOPES: usize = 5;

/// A key to make.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ApiKeyRequest {
    /// What it is for, 1 to 100 characters.
    #[schema(value_type = schemas::RequiredText<100>)]
    pub name: String,
    /// What it may do (at least one).
    #[schema(min_items = 1, max_items = 5)]
    pub scopes: Vec<Scope>,
    /// When it stops working by itself (in the future); none: never.
    pub expires_at: Option<DateTime<Utc>>,
}

/// A key as admins see it (never the key itself after it is made).
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyView {
    /// Id.
    pub id: Uuid,
    /// What it is for.
    pub name: String,
    /// `gk_` and the key's next 8 characters.
    pub prefix: String,
    /// What it may do.
    pub scopes: Vec<String>,
    /// The admin it acts for.
    pub created_by: Uuid,
    /// When it stops working by itself.
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was last used (to the minute).
    pub last_used_at: Option<DateTime<Utc>>,
    /// When it was revoked.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Made at.
    pub created_at: DateTime<Utc>,
}

impl From<KeyRow> for ApiKeyView {
    fn from(row: KeyRow) -> Self {
        ApiKeyView {
            id: row.id,
            name: row.name,
            prefix: row.prefix,
            scopes: row.scopes,
            created_by: row.created_by,
            expires_at: row.expires_at,
            last_used_at: row.last_used_at,
            revoked_at: row.revoked_at,
            created_at: row.created_at,
        }
    }
}

/// A new key, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyCreated {
    /// The key.
    #[serde(flatten)]
    pub api_key: ApiKeyView,
    /// The key itself (`gk_...`): send it as `Authorization: Bearer`. Not
    /// shown again.
    pub key: String,
}

/// Every API key, newest first (revoked ones too).
#[utoipa::path(get, path = "/api/v1/admin/api-keys", tag = "admin",
    operation_id = "admin_list_api_keys", security(("bearer" = [])),
    responses(
        (status = 200, description = "Every key", body = Page<ApiKeyView>),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not an admin", body = ErrorEnvelope),
    ))]
pub async fn list(
    State(state): State<AppState>,
    _admin: AdminUser,
) -> Result<Json<Page<ApiKeyView>>> {
    let rows = api_keys::list(&state.db).await?;
    Ok(Json(Page::whole(rows.into_iter().map(ApiKeyView::from).collect())))
}

/// Make an API key that acts for the calling admin within its scopes; the
/// key is in the answer, once.
#[utoipa::path(post, path = "/api/v1/admin/api-keys", tag = "admin",
    operation_id = "admin_create_api_key", security(("bearer" = [])),
    request_body = ApiKeyRequest,
    responses(
        (status = 201, description = "Made, with the key", body = ApiKeyCreated),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not an admin", body = ErrorEnvelope),
        (status = 422, description = "A field is invalid", body = ErrorEnvelope),
    ))]
pub async fn create(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Json(body): Json<ApiKeyRequest>,
) -> Result<(StatusCode, Json<ApiKeyCreated>)> {
    let mut v = Violations::new();
    let name = v.check("name", required_text(&body.name, 100));
    if body.scopes.is_empty() || body.scopes.len() > MAX_SCOPES {
        v.add("scopes", format!("name 1 to {MAX_SCOPES} scopes"));
    }
    if body.expires_at.is_some_and(|at| at <= Utc::now()) {
        v.add("expires_at", "must be in the future");
    }
    v.into_result()?;
    let name = name.ok_or(Error::invalid("name", "is required"))?;
    let mut scopes: Vec<String> = Vec::new();
    for scope in &body.scopes {
        if !scopes.iter().any(|held| held == scope.as_str()) {
            scopes.push(scope.as_str().to_owned());
        }
    }
    let key = api_keys::new_key()?;
    let row = api_keys::insert(&state.db, &name, &key, &scopes, admin.id, body.expires_at).await?;
    Ok((StatusCode::CREATED, Json(ApiKeyCreated { api_key: row.into(), key: key.key })))
}

/// Revoke an API key: it stops working at once.
#[utoipa::path(delete, path = "/api/v1/admin/api-keys/{id}", tag = "admin",
    operation_id = "admin_revoke_api_key", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Key id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not an admin", body = ErrorEnvelope),
        (status = 404, description = "No such key", body = ErrorEnvelope),
    ))]
pub async fn revoke(
    State(state): State<AppState>,
    _admin: AdminUser,
    Path(id): Path<Uuid>,
) -> Result<StatusCode> {
    if !api_keys::revoke(&state.db, id).await? {
        return Err(Error::NotFound("API key"));
    }
    Ok(StatusCode::NO_CONTENT)
}
