//! Applying what the worker reports: the state machine decides, and the
//! workflow queues what follows.

use gokart_domain::{OrderStatus, PaymentStatus, StatusReport};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::orders::repository as orders;
use crate::orders::workflow::{self, Transition};
use crate::state::AppState;

/// The outcome of a status report.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatusApplied {
    /// The order.
    pub order_id: Uuid,
    /// Its status now.
    pub status: OrderStatus,
    /// `false` when the report repeated a transition already applied.
    pub applied: bool,
}

/// Applies `report` to order `id`: a repeat of a transition the order has
/// already made changes nothing; an illegal one is a conflict; a legal one
/// updates the order, its timeline and queues the next step and the
/// customer's email, in one transaction.
#[tracing::instrument(skip_all, fields(order = %id, status = %report.status))]
pub async fn apply_report(
    state: &AppState,
    id: Uuid,
    report: &StatusReport,
) -> Result<StatusApplied> {
    report.validate()?;
    let mut tx = state.db.begin().await?;
    let order = orders::find(&mut *tx, id, None, true).await?.ok_or(Error::NotFound("order"))?;
    let current: OrderStatus =
        order.status.parse().map_err(|err: String| Error::Internal(anyhow::anyhow!(err)))?;
    if current.has_passed(report.status) {
        return Ok(StatusApplied { order_id: id, status: current, applied: false });
    }
    if !current.can_transition_to(report.status) {
        return Err(Error::conflict(
            "illegal_transition",
            format!("an order that is {current} cannot become {}", report.status),
        ));
    }
    let note = match (report.status, &report.tracking_number) {
        (OrderStatus::Processing, _) => "packed in the warehouse".to_owned(),
        (OrderStatus::Shipped, Some(tracking)) => format!("shipped, tracking number {tracking}"),
        (OrderStatus::OutForDelivery, _) => "out for delivery".to_owned(),
        _ => "delivered".to_owned(),
    };
    if report.status == OrderStatus::Shipped {
        orders::set_shipment(
            &mut *tx,
            id,
            report.tracking_number.as_deref(),
            report.estimated_delivery_date,
        )
        .await?;
    }
    let payment = order.payment_status.parse().unwrap_or(PaymentStatus::Paid);
    workflow::advance(
        &mut tx,
        id,
        Transition { status: report.status, payment, actor: "fulfillment", note: &note },
    )
    .await?;
    tx.commit().await?;
    Ok(StatusApplied { order_id: id, status: report.status, applied: true })
}
