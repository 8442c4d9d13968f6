//! HTTP for `/api/v1/admin/returns*`: the shop answers returns, marks
//! their units received and refunds them.

use std::collections::HashMap;

use axum::extract::State;
use gokart_domain::catalog::{optional_text, required_text};
use gokart_domain::returns::ReturnStatus;
use gokart_domain::{PageRequest, Violations};
use gokart_edge::http::ErrorEnvelope;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::AdminUser;
use crate::error::{Error, Result};
use crate::extract::{Json, Path, Query, filled};
use crate::orders::returns::{self, ReturnAction, ReturnView};
use crate::orders::service;
use crate::page::Page;
use crate::schemas;
use crate::state::AppState;

/// A filter and paging for returns.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ReturnQuery {
    /// Only returns in this status.
    #[param(value_type = ReturnStatus, required = false)]
    pub status: Option<String>,
    /// Page number, from 1.
    #[param(value_type = u32, required = false, minimum = 1, maximum = 100000)]
    pub page: Option<String>,
    /// Items per page, 1 to 100 (default 20).
    #[param(value_type = u32, required = false, minimum = 1, maximum = 100)]
    pub page_size: Option<String>,
}

/// Every return, newest first; `requested` ones wait for an answer.
#[utoipa::path(get, path = "/api/v1/admin/returns", tag = "admin", operation_id = "admin_list_returns",
    security(("bearer" = [])),
    params(ReturnQuery),
    responses(
        (status = 200, description = "A page of returns", body = Page<ReturnView>),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not an admin", body = ErrorEnvelope),
        (status = 422, description = "A filter is invalid", body = ErrorEnvelope),
    ))]
pub async fn list(
    State(state): State<AppState>,
    _admin: AdminUser,
    Query(query): Query<ReturnQuery>,
) -> Result<Json<Page<ReturnView>>> {
    let mut v = Violations::new();
    let status = match filled(&query.status) {
        None => None,
        Some(raw) => match raw.parse::<ReturnStatus>() {
            Ok(status) => Some(status),
            Err(_) => {
                v.add("status", "must be requested, approved, rejected, received or refunded");
                None
            }
        },
    };
    let page =
        PageRequest::from_query_into(query.page.as_deref(), query.page_size.as_deref(), &mut v);
    v.into_result()?;
    let (items, total) = returns::list(&state.db, status, page.limit(), page.offset()).await?;
    Ok(Json(Page::new(items, page, total)))
}

/// Taking a return.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ApproveRequest {
    /// The shop pays for sending the units back (default false).
    #[serde(default)]
    pub return_shipping: bool,
    /// A word to the customer, up to 2000 characters.
    #[schema(max_length = 2000)]
    #[serde(default)]
    pub note: Option<String>,
}

/// Refusing a return.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RejectRequest {
    /// Why, for the customer: 1 to 2000 characters.
    #[serde(default)]
    #[schema(value_type = schemas::RequiredText<2000>, required = true)]
    pub note: String,
}

/// Whether one line's units go back into stock.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ReceivedLine {
    /// A line of the return.
    pub order_item_id: Uuid,
    /// Back into stock (false: damaged, or kept aside).
    pub restock: bool,
}

/// The units of a return arrived.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ReceiveRequest {
    /// Lines whose units do not simply go back into stock; every line not
    /// listed is restocked.
    #[serde(default)]
    #[schema(max_items = 1000)]
    pub items: Vec<ReceivedLine>,
}

/// Refunding a return's units.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ReturnRefundRequest {
    /// With the shipping charge not yet refunded (default false).
    #[serde(default)]
    pub include_shipping: bool,
    /// Why, up to 500 characters (default "returned").
    #[schema(max_length = 500)]
    #[serde(default)]
    pub reason: Option<String>,
}

async fn act(
    state: &AppState,
    admin: Uuid,
    id: Uuid,
    action: ReturnAction,
) -> Result<Json<ReturnView>> {
    Ok(Json(service::act_on_return(state, id, admin, &action).await?))
}

/// Approve a requested return, saying whether the shop pays the return
/// shipping; the customer is emailed.
#[utoipa::path(post, path = "/api/v1/admin/returns/{id}/approve", tag = "admin",
    operation_id = "admin_approve_return", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Return id")),
    request_body = ApproveRequest,
    responses(
        (status = 200, description = "The approved return", body = ReturnView),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not an admin", body = ErrorEnvelope),
        (status = 404, description = "No such return", body = ErrorEnvelope),
        (status = 409, description = "Answered already (`illegal_transition`)", body = ErrorEnvelope),
        (status = 422, description = "The note is too long", body = ErrorEnvelope),
    ))]
pub async fn approve(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Path(id): Path<Uuid>,
    Json(body): Json<ApproveRequest>,
) -> Result<Json<ReturnView>> {
    let note = match body.note.as_deref() {
        Some(raw) => Some(optional_text(raw, 2000).map_err(|err| Error::invalid("note", &err.0))?),
        None => None,
    }
    .filter(|note| !note.is_empty());
    act(&state, admin.id, id, ReturnAction::Approve { return_shipping: body.return_shipping, note })
        .await
}

/// Reject a requested return with a note for the customer, who is
/// emailed; its units can be asked for again.
#[utoipa::path(post, path = "/api/v1/admin/returns/{id}/reject", tag = "admin",
    operation_id = "admin_reject_return", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Return id")),
    request_body = RejectRequest,
    responses(
        (status = 200, description = "The rejected return", body = ReturnView),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not an admin", body = ErrorEnvelope),
        (status = 404, description = "No such return", body = ErrorEnvelope),
        (status = 409, description = "Answered already (`illegal_transition`)", body = ErrorEnvelope),
        (status = 422, description = "The note is missing or too long", body = ErrorEnvelope),
    ))]
pub async fn reject(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Path(id): Path<Uuid>,
    Json(body): Json<RejectRequest>,
) -> Result<Json<ReturnView>> {
    let note = required_text(&body.note, 2000).map_err(|err| Error::invalid("note", &err.0))?;
    act(&state, admin.id, id, ReturnAction::Reject { note }).await
}

/// Mark an approved return's units received; each line goes back into
/// stock unless listed with `restock: false`.
#[utoipa::path(post, path = "/api/v1/admin/returns/{id}/receive", tag = "admin",
    operation_id = "admin_receive_return", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Return id")),
    request_body = ReceiveRequest,
    responses(
        (status = 200, description = "The received return", body = ReturnView),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not an admin", body = ErrorEnvelope),
        (status = 404, description = "No such return", body = ErrorEnvelope),
        (status = 409, description = "Not approved, or received already (`illegal_transition`)", body = ErrorEnvelope),
        (status = 422, description = "A line is not the return's", body = ErrorEnvelope),
    ))]
pub async fn receive(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Path(id): Path<Uuid>,
    Json(body): Json<ReceiveRequest>,
) -> Result<Json<ReturnView>> {
    let found = returns::find(&state.db, id).await?.ok_or(Error::NotFound("return"))?;
    let mut restock: HashMap<Uuid, bool> =
        found.items.iter().map(|line| (line.order_item_id, true)).collect();
    let mut v = Violations::new();
    for (index, line) in body.items.iter().enumerate() {
        match restock.get_mut(&line.order_item_id) {
            Some(back) => *back = line.restock,
            None => v.add(format!("items[{index}].order_item_id"), "is not a line of this return"),
        }
    }
    v.into_result()?;
    act(&state, admin.id, id, ReturnAction::Receive { restock }).await
}

/// Refund a received return's units (with their share of tax and
/// discount, and the shipping when asked) through the order's payment.
#[utoipa::path(post, path = "/api/v1/admin/returns/{id}/refund", tag = "admin",
    operation_id = "admin_refund_return", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Return id")),
    request_body = ReturnRefundRequest,
    responses(
        (status = 200, description = "The refunded return, with its `refund_id`", body = ReturnView),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not an admin", body = ErrorEnvelope),
        (status = 404, description = "No such return", body = ErrorEnvelope),
        (status = 409, description = "Not received yet (`illegal_transition`), or its units were refunded already (`refund_exceeds_paid`)", body = ErrorEnvelope),
        (status = 422, description = "The reason is too long", body = ErrorEnvelope),
    ))]
pub async fn refund(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Path(id): Path<Uuid>,
    Json(body): Json<ReturnRefundRequest>,
) -> Result<Json<ReturnView>> {
    let reason = match body.reason.as_deref() {
        Some(raw) => optional_text(raw, 500).map_err(|err| Error::invalid("reason", &err.0))?,
        None => String::new(),
    };
    let reason = if reason.is_empty() { "returned".to_owned() } else { reason };
    let action = ReturnAction::Refund { include_shipping: body.include_shipping, reason };
    act(&state, admin.id, id, action).await
}
