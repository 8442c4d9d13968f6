//! HTTP for `/api/v1/admin/categories*` and `/api/v1/admin/products*`.

use axum::extract::State;
use axum::http::StatusCode;
use gokart_domain::catalog::{optional_text, required_text};
use gokart_domain::{Currency, MAX_STOCK, Money, Sku, Slug, Violations};
use gokart_edge::http::ErrorEnvelope;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::catalog_schemas::{NewCategoryRequest, NewProductRequest, Price};
use crate::auth::AdminUser;
use crate::catalog::handler::{CategoryView, ProductView};
use crate::catalog::service::{self, ProductChanges, StockChange};
use crate::error::{Error, Result};
use crate::extract::{Json, Path};
use crate::schemas;
use crate::state::AppState;

/// The highest price accepted, in minor units: 100 lines of 99 units each
/// still add up far below the 64-bit limit.
const MAX_PRICE: i64 = 10_000_000_000;

/// A category to create, or changes to one (absent fields stay).
#[derive(Debug, Deserialize, ToSchema)]
pub struct CategoryRequest {
    /// Name, 1 to 100 characters (required to create).
    #[schema(value_type = Option<schemas::RequiredText<100>>)]
    pub name: Option<String>,
    /// URL slug; derived from the name when creating without one.
    #[schema(value_type = Option<schemas::Slug>)]
    pub slug: Option<String>,
    /// Description.
    #[schema(value_type = Option<schemas::OptionalText<2000>>)]
    pub description: Option<String>,
}

/// A product to create (name, sku, price and category_id required), or
/// changes to one (absent fields stay). The same names as the product.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ProductRequest {
    /// Name, 1 to 200 characters.
    #[schema(value_type = Option<schemas::RequiredText<200>>)]
    pub name: Option<String>,
    /// Description, up to 5000 characters.
    #[schema(value_type = Option<schemas::OptionalText<5000>>)]
    pub description: Option<String>,
    /// Brand.
    #[schema(value_type = Option<schemas::OptionalText<100>>)]
    pub brand: Option<String>,
    /// Stock-keeping unit, unique for ever.
    #[schema(value_type = Option<schemas::Sku>)]
    pub sku: Option<String>,
    /// Price in minor units and currency.
    #[schema(value_type = Option<Price>)]
    pub price: Option<Money>,
    /// Units available, 0 to 1000000000.
    #[schema(minimum = 0, maximum = 1_000_000_000)]
    pub stock_quantity: Option<i64>,
    /// An existing category's id.
    #[schema(value_type = Option<Uuid>)]
    pub category_id: Option<String>,
    /// Image URLs (at most 20).
    #[schema(value_type = Option<Vec<schemas::ImageUrl>>, max_items = 20)]
    pub images: Option<Vec<String>>,
    /// Thumbnail URL; empty clears it.
    #[schema(value_type = Option<schemas::OptionalText<500>>)]
    pub thumbnail: Option<String>,
    /// Dimensions and other attributes, as a JSON object (no NUL characters).
    #[schema(value_type = Option<Object>)]
    pub attributes: Option<serde_json::Value>,
    /// Warranty; empty clears it.
    #[schema(value_type = Option<schemas::OptionalText<500>>)]
    pub warranty: Option<String>,
    /// Offered to shoppers.
    pub is_active: Option<bool>,
}

/// A stock adjustment: exactly one of `delta` and `quantity`.
#[derive(Debug, Deserialize)]
pub struct StockRequest {
    /// Units to add (negative to remove); the result may not go below zero.
    pub delta: Option<i64>,
    /// The new count, 0 or more.
    pub quantity: Option<i64>,
}

impl ProductRequest {
    fn validate(self) -> Result<ProductChanges, Violations> {
        let mut v = Violations::new();
        let text =
            |v: &mut Violations, field: &str, raw: Option<String>, max: usize, required: bool| {
                raw.and_then(|raw| {
                    let parsed =
                        if required { required_text(&raw, max) } else { optional_text(&raw, max) };
                    v.check(field, parsed)
                })
            };
        let name = text(&mut v, "name", self.name, 200, true);
        let description = text(&mut v, "description", self.description, 5000, false);
        let brand = text(&mut v, "brand", self.brand, 100, false);
        let thumbnail = text(&mut v, "thumbnail", self.thumbnail, 500, false);
        let warranty = text(&mut v, "warranty", self.warranty, 500, false);
        let sku = self
            .sku
            .and_then(|raw| v.check("sku", Sku::parse(&raw)))
            .map(|s| s.as_str().to_owned());
        if self.price.is_some_and(|price| !(0..=MAX_PRICE).contains(&price.amount)) {
            v.add("price", "must be between 0 and 10000000000 minor units");
        }
        if self.price.is_some_and(|price| price.currency != Currency::USD) {
            v.add("price.currency", "must be usd, the shop's currency");
        }
        let stock_quantity = self.stock_quantity.and_then(|stock| match i32::try_from(stock) {
            Ok(stock) if (0..=MAX_STOCK).contains(&stock) => Some(stock),
            _ => {
                v.add("stock_quantity", "must be between 0 and 1000000000");
                None
            }
        });
        let category_id = self.category_id.and_then(|raw| match Uuid::parse_str(raw.trim()) {
            Ok(id) => Some(id),
            Err(_) => {
                v.add("category_id", "no such category");
                None
            }
        });
        if let Some(images) = &self.images
            && (images.len() > 20
                || images.iter().any(|url| {
                    url.trim().is_empty() || url.len() > 500 || url.chars().any(char::is_control)
                }))
        {
            v.add("images", "at most 20 URLs, each 1 to 500 characters");
        }
        if self.attributes.as_ref().is_some_and(|value| {
            // PostgreSQL's jsonb cannot hold a NUL character anywhere.
            !value.is_object() || value.to_string().contains("\\u0000")
        }) {
            v.add("attributes", "must be a JSON object without NUL characters");
        }
        v.into_result()?;
        Ok(ProductChanges {
            category_id,
            name,
            description,
            brand,
            sku,
            price: self.price,
            stock_quantity,
            images: self.images,
            thumbnail,
            attributes: self.attributes,
            warranty,
            is_active: self.is_active,
        })
    }
}

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
    Ok((StatusCode::CREATED, Json(product.into())))
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
        (status = 409, description = "The SKU is taken", body = ErrorEnvelope),
        (status = 422, description = "A field is invalid", body = ErrorEnvelope),
    ))]
pub async fn update_product(
    State(state): State<AppState>,
    _admin: AdminUser,
    Path(id): Path<Uuid>,
    Json(body): Json<ProductRequest>,
) -> Result<Json<ProductView>> {
    Ok(Json(service::update_product(&state, id, body.validate()?).await?.into()))
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
        (status = 409, description = "Stock would go below zero", body = ErrorEnvelope),
        (status = 422, description = "Neither or both of delta and quantity", body = ErrorEnvelope),
    ))]
pub async fn adjust_stock(
    State(state): State<AppState>,
    _admin: AdminUser,
    Path(id): Path<Uuid>,
    Json(body): Json<StockRequest>,
) -> Result<Json<ProductView>> {
    let change = match (body.delta, body.quantity) {
        (Some(delta), None) => i32::try_from(delta)
            .ok()
            .filter(|d| (-MAX_STOCK..=MAX_STOCK).contains(d))
            .map(StockChange::Delta)
            .ok_or(Error::invalid("delta", "must be between -1000000000 and 1000000000"))?,
        (None, Some(quantity)) => i32::try_from(quantity)
            .ok()
            .filter(|q| (0..=MAX_STOCK).contains(q))
            .map(StockChange::Quantity)
            .ok_or(Error::invalid("quantity", "must be between 0 and 1000000000"))?,
        _ => return Err(Error::invalid("delta", "give exactly one of delta and quantity")),
    };
    Ok(Json(service::adjust_stock(&state, id, change).await?.into()))
}

/// Validated category fields; `None` where not given.
struct CategoryFields {
    name: Option<String>,
    slug: Option<String>,
    description: Option<String>,
}

fn category_fields(body: CategoryRequest, creating: bool) -> Result<CategoryFields, Violations> {
    let mut v = Violations::new();
    let name = body.name.and_then(|raw| v.check("name", required_text(&raw, 100)));
    if creating && name.is_none() && !v.fields().contains_key("name") {
        v.add("name", "is required");
    }
    let slug = match body.slug {
        Some(raw) => v.check("slug", Slug::parse(&raw)).map(|s| s.as_str().to_owned()),
        None if creating => name
            .as_deref()
            .and_then(|name| v.check("slug", Slug::from_name(name)))
            .map(|s| s.as_str().to_owned()),
        None => None,
    };
    let description =
        body.description.and_then(|raw| v.check("description", optional_text(&raw, 2000)));
    v.into_result()?;
    Ok(CategoryFields { name, slug, description })
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
    let CategoryFields { name, slug, description } = category_fields(body, true)?;
    let (Some(name), Some(slug)) = (name, slug) else {
        return Err(Error::invalid("name", "is required"));
    };
    let created =
        service::create_category(&state, &name, &slug, description.as_deref().unwrap_or(""))
            .await?;
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
        (status = 409, description = "The name or slug is taken", body = ErrorEnvelope),
        (status = 422, description = "A field is invalid", body = ErrorEnvelope),
    ))]
pub async fn update_category(
    State(state): State<AppState>,
    _admin: AdminUser,
    Path(id): Path<Uuid>,
    Json(body): Json<CategoryRequest>,
) -> Result<Json<CategoryView>> {
    let CategoryFields { name, slug, description } = category_fields(body, false)?;
    Ok(Json(service::update_category(&state, id, name, slug, description).await?.into()))
}

/// Delete a category that has no products.
#[utoipa::path(delete, path = "/api/v1/admin/categories/{id}", tag = "admin",
    operation_id = "admin_delete_category", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Category id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not an admin", body = ErrorEnvelope),
        (status = 404, description = "No such category", body = ErrorEnvelope),
        (status = 409, description = "It still has products", body = ErrorEnvelope),
    ))]
pub async fn delete_category(
    State(state): State<AppState>,
    _admin: AdminUser,
    Path(id): Path<Uuid>,
) -> Result<StatusCode> {
    service::delete_category(&state, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
