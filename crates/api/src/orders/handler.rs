//! HTTP for `/api/v1/orders*`.

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use gokart_domain::catalog::required_text;
use gokart_domain::{Email, PageRequest, Violations};
use gokart_edge::http::ErrorEnvelope;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::idempotency::IdempotencyKey;
use super::repository::OrderFilter;
use super::returns::{ReturnView, UnitsReturned};
use super::service::{self, Actor, Buyer, Checkout, CheckoutAnswer, Choices, Guest, OrderAccess};
use super::view::{OrderSummary, OrderView, PaymentMethod};
use crate::addresses::handler::AddressFields;
use crate::auth::AuthUser;
use crate::cart::owner::CartOwner;
use crate::error::{Error, Result};
use crate::extract::{Json, Path, Query};
use crate::page::Page;
use crate::payments::Provider;
use crate::schemas;
use crate::state::AppState;

/// What to check out: the caller's cart, to these addresses. A signed-in
/// customer names addresses of their book; a guest (the `cart_token`
/// cookie, no bearer token) gives an email and the addresses themselves.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct CheckoutRequest {
    /// Signed in: one of the caller's addresses.
    #[schema(value_type = Option<Uuid>)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipping_address_id: Option<String>,
    /// Signed in: one of the caller's addresses.
    #[schema(value_type = Option<Uuid>)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billing_address_id: Option<String>,
    /// Guest: where the order's emails (with its link) go.
    #[schema(value_type = Option<String>, format = Email, max_length = 254)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Guest: where it goes (the address book's fields and rules).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipping_address: Option<AddressFields>,
    /// Guest: who pays.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billing_address: Option<AddressFields>,
    /// The payment method this shop is configured for (`PAYMENT_PROVIDER`);
    /// the other one is refused.
    #[schema(value_type = PaymentMethod)]
    pub payment_method: String,
    /// One of `/cart/shipping-options` for the shipping address; none: the
    /// first there that takes the cart.
    #[schema(value_type = Option<Uuid>)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipping_method: Option<String>,
    /// The total (minor units) the shopper was shown, e.g. by
    /// `GET /cart?country=`; if the order would cost anything else, 409
    /// `price_changed` and nothing is written.
    #[schema(minimum = 0, maximum = 100_000_000_000_i64)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_total: Option<i64>,
}

impl CheckoutRequest {
    fn validate(
        &self,
        owner: CartOwner,
        provider: Provider,
    ) -> Result<(Buyer, Choices), Violations> {
        let mut v = Violations::new();
        let shipping_method =
            match self.shipping_method.as_deref().map(|raw| Uuid::parse_str(raw.trim())) {
                Some(Ok(id)) => Some(id),
                Some(Err(_)) => {
                    v.add("shipping_method", "must be the id of a shipping method");
                    None
                }
                None => None,
            };
        if self.expected_total.is_some_and(|total| total < 0) {
            v.add("expected_total", "must be an amount in minor units, 0 or more");
        }
        let choices = Choices { shipping_method, expected_total: self.expected_total };
        if self.payment_method != provider.method() {
            let accepted =
                format!("must be {} (the payment method this shop accepts)", provider.method());
            v.add("payment_method", accepted);
        }
        let buyer = match owner {
            CartOwner::User(user) => {
                let mut id = |field: &str, raw: Option<&str>| match raw
                    .map(|raw| Uuid::parse_str(raw.trim()))
                {
                    Some(Ok(id)) => Some(id),
                    _ => {
                        v.add(field, "no such address in your address book");
                        None
                    }
                };
                let shipping = id("shipping_address_id", self.shipping_address_id.as_deref());
                let billing = id("billing_address_id", self.billing_address_id.as_deref());
                shipping.zip(billing).map(|(shipping_address_id, billing_address_id)| {
                    let addresses = Checkout { shipping_address_id, billing_address_id };
                    Buyer::Customer { user, addresses }
                })
            }
            CartOwner::Guest(cart_token) => {
                let email =
                    v.check("email", Email::parse(self.email.as_deref().unwrap_or_default()));
                let mut address = |field: &str, raw: Option<&AddressFields>| match raw {
                    Some(fields) => v.nested(field, fields.validate()),
                    None => {
                        v.add(field, "is required: a guest gives the address itself");
                        None
                    }
                };
                let shipping = address("shipping_address", self.shipping_address.as_ref());
                let billing = address("billing_address", self.billing_address.as_ref());
                match (email, shipping, billing) {
                    (Some(email), Some(shipping), Some(billing)) => {
                        Some(Buyer::Guest(Box::new(Guest {
                            // No cookie: no cart, which checkout says (409).
                            cart_token: cart_token.unwrap_or_default(),
                            email,
                            shipping,
                            billing,
                        })))
                    }
                    _ => None,
                }
            }
        };
        match buyer {
            Some(buyer) if v.is_empty() => Ok((buyer, choices)),
            _ => Err(v),
        }
    }
}

/// Paging for the caller's orders.
#[derive(Debug, Deserialize, IntoParams)]
pub struct OrderListQuery {
    /// Page number, from 1.
    #[param(value_type = u32, required = false, minimum = 1, maximum = 100000)]
    pub page: Option<String>,
    /// Items per page, 1 to 100 (default 20).
    #[param(value_type = u32, required = false, minimum = 1, maximum = 100)]
    pub page_size: Option<String>,
}

/// The optional `Idempotency-Key` request header of checkout.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IdempotencyKeyHeader {
    /// Makes retries safe: the same key and body answer with the same order
    /// (kept for 24 hours).
    #[param(rename = "Idempotency-Key", value_type = schemas::IdempotencyKey, required = false)]
    pub idempotency_key: String,
}

/// Place an order from the cart, signed in or as a guest. A guest's answer
/// carries `order_token`, which opens that order and no other.
#[utoipa::path(post, path = "/api/v1/orders", tag = "orders", operation_id = "checkout",
    security((), ("bearer" = [])), params(IdempotencyKeyHeader),
    request_body = CheckoutRequest,
    responses(
        (status = 201, description = "The order", body = OrderView),
        (status = 401, description = "A bearer token was sent and is not valid", body = ErrorEnvelope),
        (status = 403, description = "The shop requires a verified address (`email_not_verified`)", body = ErrorEnvelope),
        (status = 409, description = "Empty cart, a product not on sale or out of stock, the key is in use, `price_changed` (not the `expected_total`), or a code on the cart that may no longer be used (`discount_exhausted`, `discount_expired`, `discount_not_started`)", body = ErrorEnvelope),
        (status = 422, description = "A field is invalid, the key was used with another body, the shop does not ship to the address, or the `shipping_method` does not serve it", body = ErrorEnvelope),
    ))]
pub async fn checkout(
    State(state): State<AppState>,
    owner: CartOwner,
    headers: HeaderMap,
    Json(body): Json<CheckoutRequest>,
) -> Result<Response> {
    let (buyer, choices) = body.validate(owner, state.config.payments.provider)?;
    let key = IdempotencyKey::from_request(&headers, &body)?;
    Ok(match service::checkout_once(&state, &buyer, choices, key).await? {
        CheckoutAnswer::Placed(order) => (StatusCode::CREATED, Json(order)).into_response(),
        CheckoutAnswer::Replayed { status, body } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::CREATED);
            (status, Json(body)).into_response()
        }
    })
}

/// The caller's orders, newest first.
#[utoipa::path(get, path = "/api/v1/orders", tag = "orders", operation_id = "list_orders",
    security(("bearer" = [])),
    params(OrderListQuery),
    responses(
        (status = 200, description = "A page of orders", body = Page<OrderSummary>),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 422, description = "Bad paging values", body = ErrorEnvelope),
    ))]
pub async fn list(
    State(state): State<AppState>,
    user: AuthUser,
    Query(query): Query<OrderListQuery>,
) -> Result<Json<Page<OrderSummary>>> {
    let page = PageRequest::from_query(query.page.as_deref(), query.page_size.as_deref())?;
    let filter = OrderFilter { user_id: Some(user.id), ..OrderFilter::default() };
    let (items, total) = service::list(&state, &filter, page, false).await?;
    Ok(Json(Page::new(items, page, total)))
}

/// One of the caller's orders, with items and timeline.
#[utoipa::path(get, path = "/api/v1/orders/{id}", tag = "orders", operation_id = "get_order",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Order id")),
    responses(
        (status = 200, description = "The order", body = OrderView),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 404, description = "No such order of yours", body = ErrorEnvelope),
    ))]
pub async fn get(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
) -> Result<Json<OrderView>> {
    Ok(Json(service::find(&state, id, Some(user.id)).await?))
}

/// Cancel one of the caller's orders before it ships: stock is returned and
/// a taken payment refunded. Cancelling twice changes nothing.
#[utoipa::path(post, path = "/api/v1/orders/{id}/cancel", tag = "orders", operation_id = "cancel_order",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Order id")),
    responses(
        (status = 200, description = "The cancelled order", body = OrderView),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 404, description = "No such order of yours", body = ErrorEnvelope),
        (status = 409, description = "Already shipped", body = ErrorEnvelope),
    ))]
pub async fn cancel(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
) -> Result<Json<OrderView>> {
    Ok(Json(
        service::cancel(&state, id, Actor::Customer(user.id), "cancelled by the customer").await?,
    ))
}

/// What the browser pays a Stripe order with.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentSecret {
    /// The PaymentIntent's client secret, for Stripe.js.
    pub client_secret: String,
}

/// The client secret to pay an unpaid Stripe order with (again).
#[utoipa::path(post, path = "/api/v1/orders/{id}/payment", tag = "orders",
    operation_id = "get_order_payment_secret", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Order id")),
    responses(
        (status = 200, description = "The client secret", body = PaymentSecret),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 404, description = "No such order of yours", body = ErrorEnvelope),
        (status = 409, description = "The order is not awaiting a card payment", body = ErrorEnvelope),
        (status = 503, description = "Stripe is unreachable; try again", body = ErrorEnvelope),
    ))]
pub async fn payment(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
) -> Result<Json<PaymentSecret>> {
    let client_secret = service::payment_secret(&state, user.id, id).await?;
    Ok(Json(PaymentSecret { client_secret }))
}

/// A guest order's access token.
#[derive(Debug, Deserialize, IntoParams)]
pub struct OrderTokenQuery {
    /// The `order_token` of the checkout answer (also in the order's emails).
    #[param(value_type = String, min_length = 1, max_length = 200)]
    pub token: String,
}

/// The one order a guest's token opens.
#[utoipa::path(get, path = "/api/v1/orders/lookup", tag = "orders", operation_id = "lookup_order",
    security(), params(OrderTokenQuery),
    responses(
        (status = 200, description = "The order", body = OrderView),
        (status = 404, description = "No order opens with this token", body = ErrorEnvelope),
    ))]
pub async fn lookup(
    State(state): State<AppState>,
    Query(query): Query<OrderTokenQuery>,
) -> Result<Json<OrderView>> {
    Ok(Json(service::find_by_token(&state, query.token.trim()).await?))
}

/// Cancel the order a guest's token opens, while it may be cancelled (it
/// has not shipped); a paid order is refunded.
#[utoipa::path(post, path = "/api/v1/orders/lookup/cancel", tag = "orders",
    operation_id = "cancel_order_by_token", security(), params(OrderTokenQuery),
    responses(
        (status = 200, description = "The cancelled order", body = OrderView),
        (status = 404, description = "No order opens with this token", body = ErrorEnvelope),
        (status = 409, description = "It can no longer be cancelled", body = ErrorEnvelope),
    ))]
pub async fn cancel_by_token(
    State(state): State<AppState>,
    Query(query): Query<OrderTokenQuery>,
) -> Result<Json<OrderView>> {
    Ok(Json(service::cancel_by_token(&state, query.token.trim()).await?))
}

/// The client secret to pay, by card, the unpaid Stripe order a guest's
/// token opens (again, e.g. after the checkout answer was lost).
#[utoipa::path(post, path = "/api/v1/orders/lookup/payment", tag = "orders",
    operation_id = "get_order_payment_secret_by_token", security(), params(OrderTokenQuery),
    responses(
        (status = 200, description = "The client secret", body = PaymentSecret),
        (status = 404, description = "No order opens with this token", body = ErrorEnvelope),
        (status = 409, description = "The order is not awaiting a card payment", body = ErrorEnvelope),
        (status = 503, description = "Stripe is unreachable; try again", body = ErrorEnvelope),
    ))]
pub async fn payment_by_token(
    State(state): State<AppState>,
    Query(query): Query<OrderTokenQuery>,
) -> Result<Json<PaymentSecret>> {
    let client_secret = service::payment_secret_by_token(&state, query.token.trim()).await?;
    Ok(Json(PaymentSecret { client_secret }))
}

/// A guest's order token, for the routes an order's owner or its guest
/// may call.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GuestTokenQuery {
    /// A guest's `order_token` (the signed-in owner sends a bearer token
    /// instead).
    #[param(value_type = Option<String>, min_length = 1, max_length = 200)]
    pub token: Option<String>,
}

impl FromRequestParts<AppState> for OrderAccess {
    type Rejection = Error;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> std::result::Result<Self, Self::Rejection> {
        // A request that sends a bearer token means its owner: a bad one is
        // a 401, never a fall back to the token in the query.
        if parts.headers.contains_key(header::AUTHORIZATION) {
            let user = AuthUser::from_request_parts(parts, state).await?;
            return Ok(OrderAccess::Owner(user.id));
        }
        let query = axum::extract::Query::<GuestTokenQuery>::try_from_uri(&parts.uri)
            .map_err(|_| Error::invalid("token", "must be the order's token"))?;
        match query.0.token.as_deref().map(str::trim).filter(|token| !token.is_empty()) {
            Some(token) => Ok(OrderAccess::Guest(token.to_owned())),
            None => Err(Error::Unauthorized("sign in, or give the order's token (`?token=`)")),
        }
    }
}

/// Units of one line to send back.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ReturnLineRequest {
    /// The line (`items[].id` of the order).
    pub order_item_id: Uuid,
    /// Units, at least 1 and no more than were delivered and not yet
    /// returned.
    #[schema(minimum = 1, maximum = 1_000_000)]
    pub quantity: i64,
    /// Why, 1 to 500 characters.
    #[serde(default)]
    #[schema(value_type = schemas::RequiredText<500>, required = true)]
    pub reason: String,
}

/// A return: units of some lines of a delivered order.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ReturnRequest {
    /// The lines, each named once.
    #[serde(default)]
    #[schema(min_items = 1, max_items = 1000)]
    pub items: Vec<ReturnLineRequest>,
}

impl ReturnRequest {
    fn validate(&self) -> std::result::Result<Vec<UnitsReturned>, Violations> {
        let mut v = Violations::new();
        if self.items.is_empty() {
            v.add("items", "name at least one line to return");
        }
        if self.items.len() > 1000 {
            v.add("items", "must be at most 1000 lines");
        }
        let mut asked = Vec::with_capacity(self.items.len());
        for (index, line) in self.items.iter().enumerate() {
            if !(1..=1_000_000).contains(&line.quantity) {
                v.add(format!("items[{index}].quantity"), "must be 1 to 1000000");
            }
            let field = format!("items[{index}].reason");
            let reason = v.check(&field, required_text(&line.reason, 500));
            asked.push(UnitsReturned {
                order_item_id: line.order_item_id,
                quantity: line.quantity,
                reason: reason.unwrap_or_default(),
            });
        }
        v.into_result()?;
        Ok(asked)
    }
}

/// Ask to return units of a delivered order, within the shop's return
/// window (`RETURN_WINDOW`, 30 days by default); the shop answers by email.
/// Its owner signs in; a guest gives the order's token.
#[utoipa::path(post, path = "/api/v1/orders/{id}/returns", tag = "orders",
    operation_id = "request_return", security((), ("bearer" = [])),
    params(("id" = Uuid, Path, description = "Order id"), GuestTokenQuery),
    request_body = ReturnRequest,
    responses(
        (status = 201, description = "The return, `requested`", body = ReturnView),
        (status = 401, description = "Neither signed in nor a token", body = ErrorEnvelope),
        (status = 404, description = "No such order of yours", body = ErrorEnvelope),
        (status = 409, description = "Not delivered, past the window, or more units than can be returned (`not_returnable`)", body = ErrorEnvelope),
        (status = 422, description = "A field is invalid, or a line is not the order's", body = ErrorEnvelope),
    ))]
pub async fn request_return(
    State(state): State<AppState>,
    access: OrderAccess,
    Path(id): Path<Uuid>,
    Json(body): Json<ReturnRequest>,
) -> Result<(StatusCode, Json<ReturnView>)> {
    let asked = body.validate()?;
    let made = service::request_return(&state, id, &access, &asked).await?;
    Ok((StatusCode::CREATED, Json(made)))
}

/// The returns of an order, oldest first. Its owner signs in; a guest
/// gives the order's token.
#[utoipa::path(get, path = "/api/v1/orders/{id}/returns", tag = "orders",
    operation_id = "list_order_returns", security((), ("bearer" = [])),
    params(("id" = Uuid, Path, description = "Order id"), GuestTokenQuery),
    responses(
        (status = 200, description = "The returns", body = Page<ReturnView>),
        (status = 401, description = "Neither signed in nor a token", body = ErrorEnvelope),
        (status = 404, description = "No such order of yours", body = ErrorEnvelope),
    ))]
pub async fn list_returns(
    State(state): State<AppState>,
    access: OrderAccess,
    Path(id): Path<Uuid>,
) -> Result<Json<Page<ReturnView>>> {
    Ok(Json(Page::whole(service::returns_of(&state, id, &access).await?)))
}
