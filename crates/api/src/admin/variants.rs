//! HTTP for `/api/v1/admin/products/{id}/variants` and
//! `/api/v1/admin/variants*`.

use axum::extract::State;
use axum::http::StatusCode;
use gokart_edge::http::ErrorEnvelope;
use uuid::Uuid;

use super::catalog_requests::{StockRequest, VariantRequest};
use super::catalog_schemas::NewVariantRequest;
use crate::auth::AdminUser;
use crate::catalog::variants::{self, Changed};
use crate::catalog::view::VariantView;
use crate::error::{Error, Result};
use crate::extract::{Json, Path};
use crate::state::AppState;

fn view(changed: &Changed) -> Result<Json<VariantView>> {
    VariantView::of(&changed.product, changed.variant).map(Json).ok_or(Error::NotFound("variant"))
}

/// Add a variant to a product.
#[utoipa::path(post, path = "/api/v1/admin/products/{id}/variants", tag = "admin",
    operation_id = "admin_create_variant", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Product id")),
    request_body = NewVariantRequest,
    responses(
        (status = 201, description = "Created", body = VariantView),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not an admin", body = ErrorEnvelope),
        (status = 404, description = "No such product", body = ErrorEnvelope),
        (status = 409, description = "The SKU is taken (`sku_taken`), another variant has these options (`variant_exists`), or the product has 100 variants", body = ErrorEnvelope),
        (status = 422, description = "A field is invalid or missing", body = ErrorEnvelope),
    ))]
pub async fn create(
    State(state): State<AppState>,
    _admin: AdminUser,
    Path(id): Path<Uuid>,
    Json(body): Json<VariantRequest>,
) -> Result<(StatusCode, Json<VariantView>)> {
    let changed = variants::create(&state, id, body.validate()?).await?;
    Ok((StatusCode::CREATED, view(&changed)?))
}

/// Change a variant; absent fields stay as they are.
#[utoipa::path(put, path = "/api/v1/admin/variants/{id}", tag = "admin",
    operation_id = "admin_update_variant", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Variant id")),
    request_body = VariantRequest,
    responses(
        (status = 200, description = "Updated", body = VariantView),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not an admin", body = ErrorEnvelope),
        (status = 404, description = "No such variant", body = ErrorEnvelope),
        (status = 409, description = "The SKU is taken, or another variant has these options", body = ErrorEnvelope),
        (status = 422, description = "A field is invalid", body = ErrorEnvelope),
    ))]
pub async fn update(
    State(state): State<AppState>,
    _admin: AdminUser,
    Path(id): Path<Uuid>,
    Json(body): Json<VariantRequest>,
) -> Result<Json<VariantView>> {
    view(&variants::update(&state, id, body.validate()?).await?)
}

/// Delete a variant: shoppers no longer see it; orders keep their copy.
#[utoipa::path(delete, path = "/api/v1/admin/variants/{id}", tag = "admin",
    operation_id = "admin_delete_variant", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Variant id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not an admin", body = ErrorEnvelope),
        (status = 404, description = "No such variant", body = ErrorEnvelope),
        (status = 409, description = "It is the product's last variant", body = ErrorEnvelope),
    ))]
pub async fn delete(
    State(state): State<AppState>,
    _admin: AdminUser,
    Path(id): Path<Uuid>,
) -> Result<StatusCode> {
    variants::delete(&state, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Adjust a variant's stock by `delta` or set it to `quantity`, atomically.
#[utoipa::path(patch, path = "/api/v1/admin/variants/{id}/stock", tag = "admin",
    operation_id = "admin_adjust_variant_stock", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Variant id")),
    request_body = StockRequest,
    responses(
        (status = 200, description = "The variant with its new stock", body = VariantView),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not an admin", body = ErrorEnvelope),
        (status = 404, description = "No such variant", body = ErrorEnvelope),
        (status = 409, description = "Stock would go below zero", body = ErrorEnvelope),
        (status = 422, description = "Neither or both of delta and quantity", body = ErrorEnvelope),
    ))]
pub async fn adjust_stock(
    State(state): State<AppState>,
    _admin: AdminUser,
    Path(id): Path<Uuid>,
    Json(body): Json<StockRequest>,
) -> Result<Json<VariantView>> {
    view(&variants::adjust_stock(&state, id, body.change()?).await?)
}
