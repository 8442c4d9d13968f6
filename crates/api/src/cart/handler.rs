//! HTTP for `/api/v1/cart*`.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use gokart_domain::{Currency, Money, Violations};
use gokart_edge::http::ErrorEnvelope;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{
    AdditionalProperties, KnownFormat, ObjectBuilder, OneOfBuilder, SchemaFormat, Type,
};
use utoipa::openapi::{RefOr, Schema};
use utoipa::{PartialSchema, ToSchema};
use uuid::Uuid;

use super::owner::{CartOwner, cart_cookie};
use super::repository::{Item, LineRow};
use super::service::{self, Changed};
use crate::error::{Error, Result};
use crate::extract::{Json, Path};
use crate::media::Urls;
use crate::state::AppState;

/// Whether a line can be bought as it stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Availability {
    /// Enough in stock.
    InStock,
    /// Fewer in stock than the line wants.
    InsufficientStock,
    /// No longer on sale.
    Unavailable,
}

/// A cart line, priced as the product is now.
#[derive(Debug, Serialize, ToSchema)]
pub struct CartLine {
    /// Product id.
    pub product_id: Uuid,
    /// The variant of the product in the cart.
    pub variant_id: Uuid,
    /// The variant's value of each option, by option name.
    pub options: BTreeMap<String, String>,
    /// Product name now.
    pub name: String,
    /// Unit price now.
    pub price: Money,
    /// The variant's image (card-sized).
    pub thumbnail: Option<String>,
    /// Units wanted.
    pub quantity: i32,
    /// Units in stock now.
    pub stock_quantity: i32,
    /// Price × quantity.
    pub line_total: Money,
    /// Whether it can be bought as it stands.
    pub availability: Availability,
}

/// A cart.
#[derive(Debug, Serialize, ToSchema)]
pub struct CartView {
    /// Lines, in the order they were added.
    pub items: Vec<CartLine>,
    /// Sum of the lines that are still on sale.
    pub subtotal: Money,
    /// Units across all lines.
    pub item_count: i64,
}

impl CartView {
    fn from_lines(lines: Vec<LineRow>, urls: Urls<'_>) -> Result<Self> {
        let mut subtotal = Money::zero(Currency::USD);
        let mut item_count = 0i64;
        let mut items = Vec::with_capacity(lines.len());
        for line in lines {
            let currency = Currency::parse(&line.currency).unwrap_or(Currency::USD);
            let price = Money::new(line.price_amount, currency);
            let line_total = price.checked_mul(i64::from(line.quantity)).map_err(money_error)?;
            let availability = if !line.on_sale {
                Availability::Unavailable
            } else if line.quantity > line.stock_quantity {
                Availability::InsufficientStock
            } else {
                Availability::InStock
            };
            if availability != Availability::Unavailable {
                subtotal = subtotal.checked_add(line_total).map_err(money_error)?;
            }
            item_count += i64::from(line.quantity);
            let thumbnail = line.image(urls);
            items.push(CartLine {
                product_id: line.product_id,
                variant_id: line.variant_id,
                // Built by the query as an object of strings.
                options: serde_json::from_value(line.options).unwrap_or_default(),
                name: line.name,
                price,
                thumbnail,
                quantity: line.quantity,
                stock_quantity: line.stock_quantity,
                line_total,
                availability,
            });
        }
        Ok(CartView { items, subtotal, item_count })
    }
}

fn money_error(err: gokart_domain::MoneyError) -> Error {
    Error::Internal(anyhow::anyhow!("cart total: {err}"))
}

/// A variant to put in the cart: its `variant_id`, or the `product_id` of a
/// product with one variant on sale.
#[derive(Debug, Deserialize)]
pub struct AddItemRequest {
    /// Variant id.
    pub variant_id: Option<String>,
    /// Product id.
    pub product_id: Option<String>,
    /// Units to add, 1 to 99 (added to an existing line).
    pub quantity: i64,
}

// Written out: "exactly one of" is a `oneOf` no derive states.
impl PartialSchema for AddItemRequest {
    fn schema() -> RefOr<Schema> {
        let pick = |field: &str, description: &str| {
            let id = ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))
                .description(Some(description));
            let quantity = ObjectBuilder::new()
                .schema_type(Type::Integer)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
                .minimum(Some(1))
                .maximum(Some(99))
                .description(Some("Units to add, 1 to 99 (added to an existing line)"));
            ObjectBuilder::new()
                .schema_type(Type::Object)
                .title(Some(field))
                .property(field, id)
                .property("quantity", quantity)
                .required(field)
                .required("quantity")
                // Each branch names its own id only, so no body matches both.
                .additional_properties(Some(AdditionalProperties::FreeForm(false)))
        };
        OneOfBuilder::new()
            .description(Some(
                "A variant to put in the cart: exactly one of `variant_id` and `product_id`",
            ))
            .item(pick("variant_id", "The variant"))
            .item(pick(
                "product_id",
                "A product with one variant on sale; with several, 422 `variant_required`",
            ))
            .into()
    }
}

impl ToSchema for AddItemRequest {}

/// A new quantity for a line.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SetQuantityRequest {
    /// Units, 0 to 99; 0 removes the line.
    #[schema(minimum = 0, maximum = 99)]
    pub quantity: i64,
}

fn respond(state: &AppState, changed: Changed) -> Result<Response> {
    let body = Json(CartView::from_lines(changed.lines, state.media_urls())?);
    Ok(match changed.new_guest_token {
        Some(token) => {
            let cookie = cart_cookie(&token, state.config.auth.cookie_secure);
            ([(header::SET_COOKIE, cookie)], body).into_response()
        }
        None => body.into_response(),
    })
}

fn quantity(raw: i64, min: i64) -> Result<i32> {
    if (min..=99).contains(&raw) {
        i32::try_from(raw).map_err(|_| Error::invalid("quantity", "is out of range"))
    } else {
        Err(Error::invalid("quantity", &format!("must be between {min} and 99")))
    }
}

/// The cart: the signed-in user's, or the guest's behind the `cart_token` cookie.
#[utoipa::path(get, path = "/api/v1/cart", tag = "cart", operation_id = "get_cart",
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "The cart (empty for a new visitor)", body = CartView),
        (status = 401, description = "A bearer token was sent and is not valid", body = ErrorEnvelope),
    ))]
pub async fn get(State(state): State<AppState>, owner: CartOwner) -> Result<Json<CartView>> {
    Ok(Json(CartView::from_lines(service::view(&state, &owner).await?, state.media_urls())?))
}

/// Add a product; a guest without a cart gets one and its `cart_token` cookie.
#[utoipa::path(post, path = "/api/v1/cart/items", tag = "cart", operation_id = "add_cart_item",
    security((), ("bearer" = [])), request_body = AddItemRequest,
    responses(
        (status = 200, description = "The cart after the change", body = CartView,
            headers(("Set-Cookie" = String,
                description = "For a guest without a cart: `cart_token=...; Path=/api/v1; HttpOnly; SameSite=Lax`"))),
        (status = 404, description = "No such product on sale", body = ErrorEnvelope),
        (status = 409, description = "Not enough in stock", body = ErrorEnvelope),
        (status = 422, description = "Bad quantity, or the cart is full", body = ErrorEnvelope),
    ))]
pub async fn add_item(
    State(state): State<AppState>,
    owner: CartOwner,
    Json(body): Json<AddItemRequest>,
) -> Result<Response> {
    let id = |raw: &str, what| Uuid::parse_str(raw.trim()).map_err(|_| Error::NotFound(what));
    let item = match (&body.variant_id, &body.product_id) {
        (Some(variant), None) => Item::Variant(id(variant, "variant")?),
        (None, Some(product)) => Item::Product(id(product, "product")?),
        _ => {
            let mut v = Violations::new();
            for field in ["variant_id", "product_id"] {
                v.add(field, "give exactly one of variant_id and product_id");
            }
            return Err(Error::Validation(v));
        }
    };
    let quantity = quantity(body.quantity, 1)?;
    let changed = service::add(&state, &owner, item, quantity).await?;
    respond(&state, changed)
}

/// Set a line's quantity; 0 removes it.
#[utoipa::path(patch, path = "/api/v1/cart/items/{variant_id}", tag = "cart",
    operation_id = "set_cart_item_quantity", security((), ("bearer" = [])),
    params(("variant_id" = Uuid, Path, description = "The line's variant (or its product, when the cart holds one variant of it)")),
    request_body = SetQuantityRequest,
    responses(
        (status = 200, description = "The cart after the change", body = CartView),
        (status = 404, description = "No such line in your cart", body = ErrorEnvelope),
        (status = 409, description = "Not enough in stock", body = ErrorEnvelope),
        (status = 422, description = "Bad quantity", body = ErrorEnvelope),
    ))]
pub async fn set_quantity(
    State(state): State<AppState>,
    owner: CartOwner,
    Path(product): Path<Uuid>,
    Json(body): Json<SetQuantityRequest>,
) -> Result<Json<CartView>> {
    let quantity = quantity(body.quantity, 0)?;
    let lines = service::set_quantity(&state, &owner, product, quantity).await?;
    Ok(Json(CartView::from_lines(lines, state.media_urls())?))
}

/// Remove a line.
#[utoipa::path(delete, path = "/api/v1/cart/items/{variant_id}", tag = "cart",
    operation_id = "remove_cart_item", security((), ("bearer" = [])),
    params(("variant_id" = Uuid, Path, description = "The line's variant (or its product, when the cart holds one variant of it)")),
    responses(
        (status = 200, description = "The cart after the change", body = CartView),
        (status = 404, description = "No such line in your cart", body = ErrorEnvelope),
    ))]
pub async fn remove_item(
    State(state): State<AppState>,
    owner: CartOwner,
    Path(product): Path<Uuid>,
) -> Result<Json<CartView>> {
    let lines = service::remove(&state, &owner, product).await?;
    Ok(Json(CartView::from_lines(lines, state.media_urls())?))
}
