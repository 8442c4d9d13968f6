//! HTTP for `/api/v1/admin/categories*` and `/api/v1/admin/products*`.

use axum::extract::State;
use axum::http::StatusCode;
use gokart_edge::http::ErrorEnvelope;
use uuid::Uuid;

use super::catalog_requests::{CategoryRequest, ProductRequest, StockRequest, category_fields};
use super::catalog_schemas::{NewCategoryRequest, NewProductRequest};
use crate::auth::AdminUser;
use crate::catalog::handler::CategoryView;
use crate::catalog::service;
use crate::catalog::view::ProductView;
use crate::error::{Error, Result};
use crate::extract::{Json, Path};
use crate::state::AppState;

/// Create a product.
#[utoipa::path(post, path = "/api/v1/admin/products", tag = "admin",
    operation_id = "admin_create_product", security(("bearer" = [])),
    request_body = NewProductRequest,
    responses(
        (status = 201, description = "Created", body = ProductView),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not an admin", body = ErrorEnvelope),
        (status = 409, description = "The SKU is taken", body = ErrorEnvelope),
        (status = 422, description = "A field is invalid or missing", body = ErrorEnvelope),
    ))]
pub async fn create_product(
    State(state): State<AppState>,
    _admin: AdminUser,
    Json(body): Json<ProductRequest>,
) -> Result<(StatusCode, Json<ProductView>)> {
    let product = service::create_product(&state, body.validate()?).await?;
    Ok((StatusCode::CREATED, Json(ProductView::new(product, state.media_urls()))))
}

/// Change a product.
#[utoipa::path(put, path = "/api/v1/admin/products/{id}", tag = "admin",
    operation_id = "admin_update_product", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Product id")),
    request_body = ProductRequest,
    responses(
        (status = 200, description = "Updated", body = ProductView),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not an admin", body = ErrorEnvelope),
        (status = 404, description = "No such product", body = ErrorEnvelope),
        (status = 409, description = "The SKU is taken, sku, price or stock was sent for a product with several variants (`variant_required`), or an option change would break a variant", body = ErrorEnvelope),
        (status = 422, description = "A field is invalid", body = ErrorEnvelope),
    ))]
pub async fn update_product(
    State(state): State<AppState>,
    _admin: AdminUser,
    Path(id): Path<Uuid>,
    Json(body): Json<ProductRequest>,
) -> Result<Json<ProductView>> {
    let product = service::update_product(&state, id, body.validate()?).await?;
    Ok(Json(ProductView::new(product, state.media_urls())))
}

/// Delete a product: shoppers no longer see it; orders keep their copy.
#[utoipa::path(delete, path = "/api/v1/admin/products/{id}", tag = "admin",
    operation_id = "admin_delete_product", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Product id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not an admin", body = ErrorEnvelope),
        (status = 404, description = "No such product", body = ErrorEnvelope),
    ))]
pub async fn delete_product(
    State(state): State<AppState>,
    _admin: AdminUser,
    Path(id): Path<Uuid>,
) -> Result<StatusCode> {
    service::delete_product(&state, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Adjust stock by `delta` or set it to `quantity`, atomically.
#[utoipa::path(patch, path = "/api/v1/admin/products/{id}/stock", tag = "admin",
    operation_id = "admin_adjust_stock", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Product id")),
    request_body = StockRequest,
    responses(
        (status = 200, description = "The product with its new stock", body = ProductView),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not an admin", body = ErrorEnvelope),
        (status = 404, description = "No such product", body = ErrorEnvelope),
        (status = 409, description = "Stock would go below zero, or the product has several variants (`variant_required`)", body = ErrorEnvelope),
        (status = 422, description = "Neither or both of delta and quantity", body = ErrorEnvelope),
    ))]
pub async fn adjust_stock(
    State(state): State<AppState>,
    _admin: AdminUser,
    Path(id): Path<Uuid>,
    Json(body): Json<StockRequest>,
) -> Result<Json<ProductView>> {
    let product = service::adjust_stock(&state, id, body.change()?).await?;
    Ok(Json(ProductView::new(product, state.media_urls())))
}

/// Create a category.
#[utoipa::path(post, path = "/api/v1/admin/categories", tag = "admin",
    operation_id = "admin_create_category", security(("bearer" = [])),
    request_body = NewCategoryRequest,
    responses(
        (status = 201, description = "Created", body = CategoryView),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not an admin", body = ErrorEnvelope),
        (status = 409, description = "The name or slug is taken", body = ErrorEnvelope),
        (status = 422, description = "A field is invalid", body = ErrorEnvelope),
    ))]
pub async fn create_category(
    State(state): State<AppState>,
    _admin: AdminUser,
    Json(body): Json<CategoryRequest>,
) -> Result<(StatusCode, Json<CategoryView>)> {
    let changes = category_fields(body, true)?;
    if changes.name.is_none() || changes.slug.is_none() {
        return Err(Error::invalid("name", "is required"));
    }
    let created = service::create_category(&state, changes).await?;
    Ok((StatusCode::CREATED, Json(created.into())))
}

/// Change a category.
#[utoipa::path(put, path = "/api/v1/admin/categories/{id}", tag = "admin",
    operation_id = "admin_update_category", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Category id")),
    request_body = CategoryRequest,
    responses(
        (status = 200, description = "Updated", body = CategoryView),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not an admin", body = ErrorEnvelope),
        (status = 404, description = "No such category", body = ErrorEnvelope),
        (status = 409, description = "The name or slug is taken, or the new parent is inside it", body = ErrorEnvelope),
        (status = 422, description = "A field is invalid", body = ErrorEnvelope),
    ))]
pub async fn update_category(
    State(state): State<AppState>,
    _admin: AdminUser,
    Path(id): Path<Uuid>,
    Json(body): Json<CategoryRequest>,
) -> Result<Json<CategoryView>> {
    let changes = category_fields(body, false)?;
    Ok(Json(service::update_category(&state, id, changes).await?.into()))
}

/// Delete a category that has no products and no subcategories.
#[utoipa::path(delete, path = "/api/v1/admin/categories/{id}", tag = "admin",
    operation_id = "admin_delete_category", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Category id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not an admin", body = ErrorEnvelope),
        (status = 404, description = "No such category", body = ErrorEnvelope),
        (status = 409, description = "It still has products or subcategories", body = ErrorEnvelope),
    ))]
pub async fn delete_category(
    State(state): State<AppState>,
    _admin: AdminUser,
    Path(id): Path<Uuid>,
) -> Result<StatusCode> {
    service::delete_category(&state, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
