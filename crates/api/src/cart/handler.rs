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
use utoipa::{IntoParams, PartialSchema, ToSchema};
use uuid::Uuid;

use super::owner::{CartOwner, cart_cookie};
use super::repository::Item;
use super::service::{self, Changed, Priced};
use crate::error::{Error, Result};
use crate::extract::{Json, Path, Query};
use crate::media::Urls;
use crate::pricing::{AdjustmentView, ChosenMethod, CodeStatus, Destination};
use crate::schemas;
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
    /// Its share of the discounts.
    pub discount: Money,
    /// Tax on its discounted amount (0 until a destination is given).
    pub tax: Money,
    /// The rate it is taxed at, in basis points.
    pub tax_rate_bps: u32,
    /// Whether it can be bought as it stands.
    pub availability: Availability,
}

/// A cart, priced: with a destination (`?country=`), the same breakdown
/// checkout will charge; without one, before shipping and tax.
#[derive(Debug, Serialize, ToSchema)]
pub struct CartView {
    /// Lines, in the order they were added.
    pub items: Vec<CartLine>,
    /// Sum of the lines that are still on sale.
    pub subtotal: Money,
    /// Taken off by discounts.
    pub discount: Money,
    /// The shipping charge (0 until a destination is given).
    pub shipping: Money,
    /// Tax (0 until a destination is given; with `prices_include_tax`, the
    /// part of the prices that is tax).
    pub tax: Money,
    /// What checkout would charge.
    pub total: Money,
    /// Whether the destination's prices include its tax.
    pub prices_include_tax: bool,
    /// Every adjustment, explained.
    pub adjustments: Vec<AdjustmentView>,
    /// The codes applied to the cart, each with whether it takes something off.
    pub discount_codes: Vec<CodeStatus>,
    /// The shipping method charged, with a destination.
    pub shipping_method: Option<ChosenMethod>,
    /// With a destination: whether the shop ships there.
    pub ships_to_destination: Option<bool>,
    /// Units across all lines.
    pub item_count: i64,
}

impl CartView {
    fn new(cart: Priced, urls: Urls<'_>) -> Result<Self> {
        let Priced { lines, quote } = cart;
        let money = |amount| quote.money(amount);
        let mut item_count = 0i64;
        let mut items = Vec::with_capacity(lines.len());
        for (index, line) in lines.into_iter().enumerate() {
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
            item_count += i64::from(line.quantity);
            let thumbnail = line.image(urls);
            let priced = quote.line(index);
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
                discount: money(priced.map_or(0, |p| p.discount)),
                tax: money(priced.map_or(0, |p| p.tax)),
                tax_rate_bps: priced.map_or(0, |p| p.tax_rate_bps),
                availability,
            });
        }
        let totals = &quote.priced;
        Ok(CartView {
            items,
            subtotal: money(totals.subtotal),
            discount: money(totals.discount),
            shipping: money(totals.shipping),
            tax: money(totals.tax),
            total: money(totals.total),
            prices_include_tax: quote.prices_include_tax,
            adjustments: quote.adjustments,
            discount_codes: quote.codes,
            shipping_method: quote.method,
            ships_to_destination: quote.ships,
            item_count,
        })
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
    let body = Json(CartView::new(changed.cart, state.media_urls())?);
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

/// Where to price the cart for, and how to ship it.
#[derive(Debug, Deserialize, IntoParams)]
pub struct PreviewQuery {
    /// ISO 3166-1 alpha-2 country code; with it, shipping and tax are
    /// priced as checkout will charge them.
    #[param(value_type = Option<schemas::CountryCode>)]
    pub country: Option<String>,
    /// Its region (state or province), as addresses spell it.
    #[param(value_type = Option<schemas::OptionalText<100>>)]
    pub region: Option<String>,
    /// One of `/cart/shipping-options`; none: the first that takes the cart.
    #[param(value_type = Option<Uuid>)]
    pub shipping_method: Option<String>,
}

impl PreviewQuery {
    /// The destination and method asked for, checked.
    pub fn validate(&self) -> Result<(Option<Destination>, Option<Uuid>)> {
        let mut v = Violations::new();
        let destination =
            Destination::from_query(self.country.as_deref(), self.region.as_deref(), &mut v);
        let method =
            self.shipping_method.as_deref().filter(|raw| !raw.trim().is_empty()).and_then(|raw| {
                match Uuid::parse_str(raw.trim()) {
                    Ok(id) => Some(id),
                    Err(_) => {
                        v.add("shipping_method", "must be the id of a shipping method");
                        None
                    }
                }
            });
        let region = self.region.as_deref().is_some_and(|raw| !raw.trim().is_empty());
        if destination.is_none() && (region || method.is_some()) && v.is_empty() {
            v.add("country", "is required with a region or a shipping method");
        }
        v.into_result()?;
        Ok((destination, method))
    }
}

/// The cart: the signed-in user's, or the guest's behind the `cart_token`
/// cookie, priced. With `country` it is priced for that destination exactly
/// as checkout will charge it.
#[utoipa::path(get, path = "/api/v1/cart", tag = "cart", operation_id = "get_cart",
    security((), ("bearer" = [])),
    params(PreviewQuery),
    responses(
        (status = 200, description = "The cart (empty for a new visitor)", body = CartView),
        (status = 401, description = "A bearer token was sent and is not valid", body = ErrorEnvelope),
        (status = 422, description = "A bad country or region, or a shipping method the destination does not offer", body = ErrorEnvelope),
    ))]
pub async fn get(
    State(state): State<AppState>,
    owner: CartOwner,
    Query(query): Query<PreviewQuery>,
) -> Result<Json<CartView>> {
    let (destination, method) = query.validate()?;
    let cart = service::view(&state, &owner, destination.as_ref(), method).await?;
    Ok(Json(CartView::new(cart, state.media_urls())?))
}

/// A discount code to apply.
#[derive(Debug, Deserialize, ToSchema)]
pub struct DiscountCodeRequest {
    /// The code, in any case.
    #[schema(min_length = 1, max_length = 50)]
    pub code: String,
}

/// Apply a discount code; its effect shows in the cart at once.
#[utoipa::path(post, path = "/api/v1/cart/discount-codes", tag = "cart",
    operation_id = "apply_discount_code", security((), ("bearer" = [])),
    request_body = DiscountCodeRequest,
    responses(
        (status = 200, description = "The cart with the code", body = CartView,
            headers(("Set-Cookie" = String,
                description = "For a guest without a cart: `cart_token=...; Path=/api/v1; HttpOnly; SameSite=Lax`"))),
        (status = 401, description = "A bearer token was sent and is not valid", body = ErrorEnvelope),
        (status = 422, description = "`discount_code_rejected` with a `reason`: `unknown`, `expired`, `not_started`, `exhausted`, `minimum_not_met` or `not_applicable`; or the cart holds 5 codes", body = ErrorEnvelope),
    ))]
pub async fn apply_code(
    State(state): State<AppState>,
    owner: CartOwner,
    Json(body): Json<DiscountCodeRequest>,
) -> Result<Response> {
    let code = body.code.trim();
    if code.is_empty() || code.chars().count() > 50 {
        return Err(Error::invalid("code", "must be 1 to 50 characters"));
    }
    let changed = service::apply_code(&state, &owner, code).await?;
    respond(&state, changed)
}

/// Take a discount code off the cart.
#[utoipa::path(delete, path = "/api/v1/cart/discount-codes/{code}", tag = "cart",
    operation_id = "remove_discount_code", security((), ("bearer" = [])),
    params(("code" = String, Path, description = "The code, in any case")),
    responses(
        (status = 200, description = "The cart without the code", body = CartView),
        (status = 401, description = "A bearer token was sent and is not valid", body = ErrorEnvelope),
        (status = 404, description = "The code is not on the cart", body = ErrorEnvelope),
    ))]
pub async fn remove_code(
    State(state): State<AppState>,
    owner: CartOwner,
    Path(code): Path<String>,
) -> Result<Json<CartView>> {
    let cart = service::remove_code(&state, &owner, &code).await?;
    Ok(Json(CartView::new(cart, state.media_urls())?))
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
    let cart = service::set_quantity(&state, &owner, product, quantity).await?;
    Ok(Json(CartView::new(cart, state.media_urls())?))
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
    let cart = service::remove(&state, &owner, product).await?;
    Ok(Json(CartView::new(cart, state.media_urls())?))
}
