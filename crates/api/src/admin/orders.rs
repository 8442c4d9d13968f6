//! HTTP for `/api/v1/admin/orders*`.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use gokart_domain::catalog::required_text;
use gokart_domain::validation::visible_text;
use gokart_domain::{OrderStatus, PageRequest, PaymentStatus, Violations};
use gokart_edge::http::ErrorEnvelope;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::addresses::handler::AddressFields;
use crate::auth::AdminUser;
use crate::error::{Error, Result};
use crate::extract::{Json, Path, Query, filled, hyphenated_id};
use crate::orders::refunds::{RefundAsk, RefundView, UnitsAsked};
use crate::orders::repository::OrderFilter;
use crate::orders::service::{self, Actor, AdminAction};
use crate::orders::view::{OrderSummary, OrderView};
use crate::page::Page;
use crate::schemas;
use crate::state::AppState;

/// Filters and paging for all orders.
#[derive(Debug, Deserialize, IntoParams)]
pub struct AdminOrderQuery {
    /// Only orders in this status.
    #[param(value_type = OrderStatus, required = false)]
    pub status: Option<String>,
    /// Only orders whose payment is in this status.
    #[param(value_type = PaymentStatus, required = false)]
    pub payment_status: Option<String>,
    /// Only this customer's orders (the hyphenated id).
    #[param(value_type = Uuid, required = false)]
    pub user_id: Option<String>,
    /// Placed at or after (RFC 3339).
    #[param(value_type = DateTime<Utc>, required = false)]
    pub from: Option<String>,
    /// Placed before (RFC 3339).
    #[param(value_type = DateTime<Utc>, required = false)]
    pub to: Option<String>,
    /// Page number, from 1.
    #[param(value_type = u32, required = false, minimum = 1, maximum = 100000)]
    pub page: Option<String>,
    /// Items per page, 1 to 100 (default 20).
    #[param(value_type = u32, required = false, minimum = 1, maximum = 100)]
    pub page_size: Option<String>,
}

impl AdminOrderQuery {
    fn validate(&self) -> Result<(OrderFilter, PageRequest), Violations> {
        let mut v = Violations::new();
        let status = filled(&self.status).and_then(|s| match s.parse::<OrderStatus>() {
            Ok(status) => Some(status),
            Err(_) => {
                v.add("status", "is not an order status");
                None
            }
        });
        let payment_status =
            filled(&self.payment_status).and_then(|s| match s.parse::<PaymentStatus>() {
                Ok(status) => Some(status),
                Err(_) => {
                    v.add(
                        "payment_status",
                        "must be pending, paid, failed, partially_refunded or refunded",
                    );
                    None
                }
            });
        let user_id = filled(&self.user_id).and_then(|raw| match hyphenated_id(raw) {
            Some(id) => Some(id),
            None => {
                v.add("user_id", "must be a user id");
                None
            }
        });
        let mut time = |field: &str, raw: Option<&str>| {
            raw.and_then(|text| match DateTime::parse_from_rfc3339(text) {
                Ok(at) => Some(at.with_timezone(&Utc)),
                Err(_) => {
                    v.add(field, "must be an RFC 3339 time like 2026-01-31T00:00:00Z");
                    None
                }
            })
        };
        let from = time("from", filled(&self.from));
        let to = time("to", filled(&self.to));
        let page =
            PageRequest::from_query_into(self.page.as_deref(), self.page_size.as_deref(), &mut v);
        v.into_result()?;
        Ok((OrderFilter { user_id, status, payment_status, from, to }, page))
    }
}

/// All orders, newest first, with filters.
#[utoipa::path(get, path = "/api/v1/admin/orders", tag = "admin", operation_id = "admin_list_orders",
    security(("bearer" = [])),
    params(AdminOrderQuery),
    responses(
        (status = 200, description = "A page of orders", body = Page<OrderSummary>),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not an admin", body = ErrorEnvelope),
        (status = 422, description = "A filter is invalid", body = ErrorEnvelope),
    ))]
pub async fn list(
    State(state): State<AppState>,
    _admin: AdminUser,
    Query(query): Query<AdminOrderQuery>,
) -> Result<Json<Page<OrderSummary>>> {
    let (filter, page) = query.validate()?;
    let (items, total) = service::list(&state, &filter, page, true).await?;
    Ok(Json(Page::new(items, page, total)))
}

/// Any order, with items and timeline.
#[utoipa::path(get, path = "/api/v1/admin/orders/{id}", tag = "admin", operation_id = "admin_get_order",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Order id")),
    responses(
        (status = 200, description = "The order", body = OrderView),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not an admin", body = ErrorEnvelope),
        (status = 404, description = "No such order", body = ErrorEnvelope),
    ))]
pub async fn get(
    State(state): State<AppState>,
    _admin: AdminUser,
    Path(id): Path<Uuid>,
) -> Result<Json<OrderView>> {
    Ok(Json(service::find_for_staff(&state, id).await?))
}

/// Cancel any order before it ships (same rules as for customers).
#[utoipa::path(post, path = "/api/v1/admin/orders/{id}/cancel", tag = "admin",
    operation_id = "admin_cancel_order", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Order id")),
    responses(
        (status = 200, description = "The cancelled order", body = OrderView),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not an admin", body = ErrorEnvelope),
        (status = 404, description = "No such order", body = ErrorEnvelope),
        (status = 409, description = "Already shipped", body = ErrorEnvelope),
    ))]
pub async fn cancel(
    State(state): State<AppState>,
    _admin: AdminUser,
    Path(id): Path<Uuid>,
) -> Result<Json<OrderView>> {
    service::cancel(&state, id, Actor::Admin, "cancelled by the shop").await?;
    Ok(Json(service::find_for_staff(&state, id).await?))
}

/// A note for staff.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NoteRequest {
    /// The note, 1 to 2000 characters.
    #[serde(default)]
    #[schema(value_type = schemas::RequiredText<2000>, required = true)]
    pub note: String,
}

/// Add a note to an order's timeline that only staff see.
#[utoipa::path(post, path = "/api/v1/admin/orders/{id}/notes", tag = "admin",
    operation_id = "admin_add_order_note", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Order id")),
    request_body = NoteRequest,
    responses(
        (status = 201, description = "The order with the note", body = OrderView),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not an admin", body = ErrorEnvelope),
        (status = 404, description = "No such order", body = ErrorEnvelope),
        (status = 422, description = "The note is empty or too long", body = ErrorEnvelope),
    ))]
pub async fn add_note(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Path(id): Path<Uuid>,
    Json(body): Json<NoteRequest>,
) -> Result<(StatusCode, Json<OrderView>)> {
    let note =
        required_text(&body.note, 2000).map_err(|invalid| Error::invalid("note", &invalid.0))?;
    let order = service::admin_action(&state, id, admin.id, AdminAction::Note(note)).await?;
    Ok((StatusCode::CREATED, Json(order)))
}

/// Send an order that has not shipped to another address, in the country
/// and region it was priced for (its tax and shipping).
#[utoipa::path(put, path = "/api/v1/admin/orders/{id}/shipping-address", tag = "admin",
    operation_id = "admin_change_order_address", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Order id")),
    request_body = AddressFields,
    responses(
        (status = 200, description = "The order, going to the new address", body = OrderView),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not an admin", body = ErrorEnvelope),
        (status = 404, description = "No such order", body = ErrorEnvelope),
        (status = 409, description = "Shipped or cancelled already (`order_shipped`)", body = ErrorEnvelope),
        (status = 422, description = "A field is invalid, or the country or region differs", body = ErrorEnvelope),
    ))]
pub async fn change_shipping_address(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Path(id): Path<Uuid>,
    Json(body): Json<AddressFields>,
) -> Result<Json<OrderView>> {
    let address = body.validate()?;
    let action = AdminAction::ShippingAddress(address);
    Ok(Json(service::admin_action(&state, id, admin.id, action).await?))
}

/// How an order shipped by hand travels.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ShipRequest {
    /// The carrier, 1 to 100 characters on one line.
    #[serde(default)]
    #[schema(value_type = schemas::ShipmentText, required = true)]
    pub carrier: String,
    /// Its tracking number, 1 to 100 characters on one line.
    #[serde(default)]
    #[schema(value_type = schemas::ShipmentText, required = true)]
    pub tracking_number: String,
}

/// Mark a paid order shipped by hand (for a shop without the warehouse
/// step): the customer gets the shipping email, and the pipeline goes on
/// from there.
#[utoipa::path(post, path = "/api/v1/admin/orders/{id}/ship", tag = "admin",
    operation_id = "admin_ship_order", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Order id")),
    request_body = ShipRequest,
    responses(
        (status = 200, description = "The shipped order", body = OrderView),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not an admin", body = ErrorEnvelope),
        (status = 404, description = "No such order", body = ErrorEnvelope),
        (status = 409, description = "Not paid, or shipped already (`order_not_shippable`)", body = ErrorEnvelope),
        (status = 422, description = "A field is missing or too long", body = ErrorEnvelope),
    ))]
pub async fn ship(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Path(id): Path<Uuid>,
    Json(body): Json<ShipRequest>,
) -> Result<Json<OrderView>> {
    // One line each: they go into the customer's email and timeline.
    let one_line = |raw: &str| {
        required_text(raw, 100).and_then(|text| visible_text(&text, &[]).map(|()| text))
    };
    let mut v = Violations::new();
    let carrier = v.check("carrier", one_line(&body.carrier));
    let tracking = v.check("tracking_number", one_line(&body.tracking_number));
    v.into_result()?;
    let action = AdminAction::Ship {
        carrier: carrier.unwrap_or_default(),
        tracking_number: tracking.unwrap_or_default(),
    };
    Ok(Json(service::admin_action(&state, id, admin.id, action).await?))
}

/// Which email to send again.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ResendRequest {
    /// The status whose email it is; one the order has reached.
    #[serde(default)]
    #[schema(value_type = OrderStatus, required = true)]
    pub status: String,
}

/// Send the customer's email for a status the order reached again.
#[utoipa::path(post, path = "/api/v1/admin/orders/{id}/resend-email", tag = "admin",
    operation_id = "admin_resend_order_email", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Order id")),
    request_body = ResendRequest,
    responses(
        (status = 200, description = "The email is queued; the order", body = OrderView),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not an admin", body = ErrorEnvelope),
        (status = 404, description = "No such order", body = ErrorEnvelope),
        (status = 409, description = "The order never reached that status (`status_not_reached`)", body = ErrorEnvelope),
        (status = 422, description = "`status` is not an order status", body = ErrorEnvelope),
    ))]
pub async fn resend_email(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Path(id): Path<Uuid>,
    Json(body): Json<ResendRequest>,
) -> Result<Json<OrderView>> {
    let status = body
        .status
        .trim()
        .parse::<OrderStatus>()
        .map_err(|_| Error::invalid("status", "is not an order status"))?;
    let action = AdminAction::ResendEmail(status);
    Ok(Json(service::admin_action(&state, id, admin.id, action).await?))
}

/// Units of one line to refund.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RefundItemRequest {
    /// The line (`items[].id` of the order).
    pub order_item_id: Uuid,
    /// Units, at least 1 and no more than are left to refund.
    #[schema(minimum = 1, maximum = 1_000_000)]
    pub quantity: i64,
}

/// What to give back: an `amount`, or `items` (each with its share of tax
/// and discount) and/or the shipping not yet refunded.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RefundRequest {
    /// A sum in minor units, not tied to lines; not with `items` or
    /// `include_shipping`.
    #[schema(minimum = 1, maximum = 100_000_000_000_i64)]
    pub amount: Option<i64>,
    /// Units of lines, each line named once.
    #[schema(max_items = 1000)]
    pub items: Option<Vec<RefundItemRequest>>,
    /// With the shipping charge (what of it is not refunded yet).
    #[serde(default)]
    pub include_shipping: bool,
    /// Why, 1 to 500 characters (staff see it; the customer sees the
    /// amount).
    #[serde(default)]
    #[schema(value_type = schemas::RequiredText<500>, required = true)]
    pub reason: String,
}

impl RefundRequest {
    fn validate(&self) -> Result<(RefundAsk, String), Violations> {
        let mut v = Violations::new();
        let reason = v.check("reason", required_text(&self.reason, 500));
        let lines = self.items.as_deref().unwrap_or_default();
        let by_lines = !lines.is_empty() || self.include_shipping;
        let ask = match self.amount {
            Some(_) if by_lines => {
                v.add("amount", "give an amount, or items and the shipping, not both");
                None
            }
            Some(amount) if !(1..=100_000_000_000).contains(&amount) => {
                v.add("amount", "must be an amount above 0 in minor units");
                None
            }
            Some(amount) => Some(RefundAsk::Amount(amount)),
            None if !by_lines => {
                v.add("items", "give the items to refund, the shipping, or an amount");
                None
            }
            None => {
                if lines.len() > 1000 {
                    v.add("items", "must be at most 1000 lines");
                }
                for (index, line) in lines.iter().enumerate() {
                    if !(1..=1_000_000).contains(&line.quantity) {
                        v.add(format!("items[{index}].quantity"), "must be 1 to 1000000");
                    }
                }
                let items = lines
                    .iter()
                    .map(|line| UnitsAsked {
                        order_item_id: line.order_item_id,
                        quantity: line.quantity,
                    })
                    .collect();
                Some(RefundAsk::Items { items, shipping: self.include_shipping })
            }
        };
        v.into_result()?;
        Ok((ask.unwrap_or(RefundAsk::Amount(0)), reason.unwrap_or_default()))
    }
}

/// Give back part or all of an order's payment: an amount, or units of
/// lines with their share of tax and discount, and the shipping. By hand
/// (the manual provider) it is given back at once; through Stripe it is
/// `pending` until Stripe accepts it. Refunds never add up to more than
/// was paid.
#[utoipa::path(post, path = "/api/v1/admin/orders/{id}/refunds", tag = "admin",
    operation_id = "admin_refund_order", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Order id")),
    request_body = RefundRequest,
    responses(
        (status = 201, description = "The refund", body = RefundView),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not an admin", body = ErrorEnvelope),
        (status = 404, description = "No such order", body = ErrorEnvelope),
        (status = 409, description = "More than is left to refund (`refund_exceeds_paid`), or nothing paid yet (`order_not_paid`)", body = ErrorEnvelope),
        (status = 422, description = "A field is invalid, or a line is not the order's", body = ErrorEnvelope),
    ))]
pub async fn refund(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Path(id): Path<Uuid>,
    Json(body): Json<RefundRequest>,
) -> Result<(StatusCode, Json<RefundView>)> {
    let (ask, reason) = body.validate()?;
    let refund = service::refund(&state, id, admin.id, &ask, &reason).await?;
    Ok((StatusCode::CREATED, Json(refund)))
}
