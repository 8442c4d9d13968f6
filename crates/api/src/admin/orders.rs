//! HTTP for `/api/v1/admin/orders*`.

use axum::extract::State;
use chrono::{DateTime, Utc};
use gokart_domain::{OrderStatus, PageRequest, PaymentStatus, Violations};
use gokart_edge::http::ErrorEnvelope;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::auth::AdminUser;
use crate::error::Result;
use crate::extract::{Json, Path, Query};
use crate::orders::repository::OrderFilter;
use crate::orders::service::{self, Actor};
use crate::orders::view::{OrderSummary, OrderView};
use crate::page::Page;
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
        let present = |value: &Option<String>| {
            value.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned)
        };
        let status = present(&self.status).and_then(|s| match s.parse::<OrderStatus>() {
            Ok(status) => Some(status),
            Err(_) => {
                v.add("status", "is not an order status");
                None
            }
        });
        let payment_status =
            present(&self.payment_status).and_then(|s| match s.parse::<PaymentStatus>() {
                Ok(status) => Some(status),
                Err(_) => {
                    v.add("payment_status", "must be pending, paid, failed or refunded");
                    None
                }
            });
        // Only the hyphenated form, the one ids are shown in.
        let hyphenated = |raw: &str| (raw.len() == 36).then(|| Uuid::parse_str(raw).ok()).flatten();
        let user_id = present(&self.user_id).and_then(|raw| match hyphenated(&raw) {
            Some(id) => Some(id),
            None => {
                v.add("user_id", "must be a user id");
                None
            }
        });
        let mut time = |field: &str, raw: Option<String>| {
            raw.and_then(|text| match DateTime::parse_from_rfc3339(&text) {
                Ok(at) => Some(at.with_timezone(&Utc)),
                Err(_) => {
                    v.add(field, "must be an RFC 3339 time like 2026-01-31T00:00:00Z");
                    None
                }
            })
        };
        let from = time("from", present(&self.from));
        let to = time("to", present(&self.to));
        let page = PageRequest::from_query(self.page.as_deref(), self.page_size.as_deref());
        if let Err(paging) = &page {
            for (field, message) in paging.fields() {
                v.add(field.clone(), message.clone());
            }
        }
        v.into_result()?;
        Ok((OrderFilter { user_id, status, payment_status, from, to }, page.unwrap_or_default()))
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
    Ok(Json(service::find(&state, id, None).await?))
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
    Ok(Json(service::cancel(&state, id, Actor::Admin, "cancelled by the shop").await?))
}
