//! HTTP for `/api/v1/admin/collections*`.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use gokart_domain::catalog::{optional_text, required_text};
use gokart_domain::{Slug, Violations};
use gokart_edge::http::ErrorEnvelope;
use serde::{Deserialize, Serialize};
use utoipa::openapi::{RefOr, Schema};
use utoipa::{PartialSchema, ToSchema};
use uuid::Uuid;

use super::catalog_schemas::with_required_name;
use crate::auth::AdminUser;
use crate::collections::service::{self, CollectionChanges, Kept, MAX_PRODUCTS};
use crate::error::Result;
use crate::extract::{Json, Path};
use crate::schemas;
use crate::state::AppState;

/// A collection to create (title required; the handle is derived from it
/// when absent), or changes to one (absent fields stay).
#[derive(Debug, Deserialize, ToSchema)]
pub struct CollectionRequest {
    /// URL handle, e.g. `new-arrivals`.
    #[schema(value_type = Option<schemas::Slug>)]
    pub handle: Option<String>,
    /// Title, 1 to 200 characters.
    #[schema(value_type = Option<schemas::RequiredText<200>>)]
    pub title: Option<String>,
    /// Description.
    #[schema(value_type = Option<schemas::OptionalText<2000>>)]
    pub description: Option<String>,
    /// Its products in order, replacing the current list (at most 500).
    #[schema(value_type = Option<Vec<Uuid>>, max_items = 500)]
    pub product_ids: Option<Vec<String>>,
}

impl CollectionRequest {
    fn validate(self, creating: bool) -> std::result::Result<CollectionChanges, Violations> {
        let mut v = Violations::new();
        let title = self.title.and_then(|raw| v.check("title", required_text(&raw, 200)));
        if creating && title.is_none() && !v.fields().contains_key("title") {
            v.add("title", "is required");
        }
        let handle = match self.handle {
            Some(raw) => v.check("handle", Slug::parse(&raw)).map(|s| s.as_str().to_owned()),
            None if creating => title
                .as_deref()
                .and_then(|title| v.check("handle", Slug::from_name(title)))
                .map(|s| s.as_str().to_owned()),
            None => None,
        };
        let description =
            self.description.and_then(|raw| v.check("description", optional_text(&raw, 2000)));
        let product_ids = self.product_ids.and_then(|raw| {
            if raw.len() > MAX_PRODUCTS {
                v.add("product_ids", format!("at most {MAX_PRODUCTS} products"));
                return None;
            }
            let mut ids: Vec<Uuid> = Vec::with_capacity(raw.len());
            for id in &raw {
                match Uuid::parse_str(id.trim()) {
                    Ok(id) if ids.contains(&id) => {
                        v.add("product_ids", format!("{id} is listed twice"));
                        return None;
                    }
                    Ok(id) => ids.push(id),
                    Err(_) => {
                        v.add("product_ids", "no such product");
                        return None;
                    }
                }
            }
            Some(ids)
        });
        v.into_result()?;
        Ok(CollectionChanges { handle, title, description, product_ids })
    }
}

/// The body that creates a collection: a [`CollectionRequest`] with a
/// title (read as a `CollectionRequest`, whose check requires it).
#[derive(Debug, Clone, Copy)]
pub struct NewCollectionRequest;

impl PartialSchema for NewCollectionRequest {
    fn schema() -> RefOr<Schema> {
        with_required_name(&CollectionRequest::name(), "title", 200, "handle")
    }
}

impl ToSchema for NewCollectionRequest {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((CollectionRequest::name().into_owned(), CollectionRequest::schema()));
        CollectionRequest::schemas(schemas);
    }
}

/// A collection as admins see it: every product it lists.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdminCollectionView {
    /// Id.
    pub id: Uuid,
    /// URL handle.
    pub handle: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Its products (not deleted), in order.
    pub product_ids: Vec<Uuid>,
    /// Added at.
    pub created_at: DateTime<Utc>,
    /// Last changed at.
    pub updated_at: DateTime<Utc>,
}

impl From<Kept> for AdminCollectionView {
    fn from(Kept { row, product_ids }: Kept) -> Self {
        AdminCollectionView {
            id: row.id,
            handle: row.handle,
            title: row.title,
            description: row.description,
            product_ids,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// Create a collection.
#[utoipa::path(post, path = "/api/v1/admin/collections", tag = "admin",
    operation_id = "admin_create_collection", security(("bearer" = [])),
    request_body = NewCollectionRequest,
    responses(
        (status = 201, description = "Created", body = AdminCollectionView),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not an admin", body = ErrorEnvelope),
        (status = 409, description = "The handle is taken", body = ErrorEnvelope),
        (status = 422, description = "A field is invalid or missing", body = ErrorEnvelope),
    ))]
pub async fn create(
    State(state): State<AppState>,
    _admin: AdminUser,
    Json(body): Json<CollectionRequest>,
) -> Result<(StatusCode, Json<AdminCollectionView>)> {
    let created = service::create(&state, body.validate(true)?).await?;
    Ok((StatusCode::CREATED, Json(created.into())))
}

/// Change a collection; `product_ids` replaces its list.
#[utoipa::path(put, path = "/api/v1/admin/collections/{id}", tag = "admin",
    operation_id = "admin_update_collection", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Collection id")),
    request_body = CollectionRequest,
    responses(
        (status = 200, description = "Updated", body = AdminCollectionView),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not an admin", body = ErrorEnvelope),
        (status = 404, description = "No such collection", body = ErrorEnvelope),
        (status = 409, description = "The handle is taken", body = ErrorEnvelope),
        (status = 422, description = "A field is invalid", body = ErrorEnvelope),
    ))]
pub async fn update(
    State(state): State<AppState>,
    _admin: AdminUser,
    Path(id): Path<Uuid>,
    Json(body): Json<CollectionRequest>,
) -> Result<Json<AdminCollectionView>> {
    Ok(Json(service::update(&state, id, body.validate(false)?).await?.into()))
}

/// Delete a collection; its products stay.
#[utoipa::path(delete, path = "/api/v1/admin/collections/{id}", tag = "admin",
    operation_id = "admin_delete_collection", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Collection id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not an admin", body = ErrorEnvelope),
        (status = 404, description = "No such collection", body = ErrorEnvelope),
    ))]
pub async fn delete(
    State(state): State<AppState>,
    _admin: AdminUser,
    Path(id): Path<Uuid>,
) -> Result<StatusCode> {
    service::delete(&state, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
