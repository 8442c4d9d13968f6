//! HTTP for `/api/v1/orders*`.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use gokart_domain::{PageRequest, Violations};
use gokart_edge::http::ErrorEnvelope;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::idempotency::IdempotencyKey;
use super::repository::OrderFilter;
use super::service::{self, Actor, Checkout, CheckoutAnswer};
use super::view::{OrderSummary, OrderView, PaymentMethod};
use crate::auth::AuthUser;
use crate::error::Result;
use crate::extract::{Json, Path, Query};
use crate::page::Page;
use crate::payments::Provider;
use crate::schemas;
use crate::state::AppState;

/// What to check out: the caller's cart, to these addresses.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct CheckoutRequest {
    /// One of the caller's addresses.
    #[schema(value_type = Uuid)]
    pub shipping_address_id: String,
    /// One of the caller's addresses.
    #[schema(value_type = Uuid)]
    pub billing_address_id: String,
    /// The payment method this shop is configured for (`PAYMENT_PROVIDER`);
    /// the other one is refused.
    #[schema(value_type = PaymentMethod)]
    pub payment_method: String,
}

impl CheckoutRequest {
    fn validate(&self, provider: Provider) -> Result<Checkout, Violations> {
        let mut v = Violations::new();
        let mut id = |field: &str, raw: &str| match Uuid::parse_str(raw.trim()) {
            Ok(id) => Some(id),
            Err(_) => {
                v.add(field, "no such address in your address book");
                None
            }
        };
        let shipping = id("shipping_address_id", &self.shipping_address_id);
        let billing = id("billing_address_id", &self.billing_address_id);
        if self.payment_method != provider.method() {
            let accepted =
                format!("must be {} (the payment method this shop accepts)", provider.method());
            v.add("payment_method", accepted);
        }
        match (shipping, billing) {
            (Some(shipping_address_id), Some(billing_address_id)) if v.is_empty() => {
                Ok(Checkout { shipping_address_id, billing_address_id })
            }
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

/// Place an order from the cart.
#[utoipa::path(post, path = "/api/v1/orders", tag = "orders", operation_id = "checkout",
    security(("bearer" = [])), params(IdempotencyKeyHeader),
    request_body = CheckoutRequest,
    responses(
        (status = 201, description = "The order", body = OrderView),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 409, description = "Empty cart, a product not on sale or out of stock, or the key is in use", body = ErrorEnvelope),
        (status = 422, description = "A field is invalid, or the key was used with another body", body = ErrorEnvelope),
    ))]
pub async fn checkout(
    State(state): State<AppState>,
    user: AuthUser,
    headers: HeaderMap,
    Json(body): Json<CheckoutRequest>,
) -> Result<Response> {
    let request = body.validate(state.config.payments.provider)?;
    let key = IdempotencyKey::from_request(&headers, &body)?;
    Ok(match service::checkout_once(&state, user.id, request, key).await? {
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
