//! Applying what the worker reports: the state machine decides, and the
//! workflow queues what follows.

use gokart_domain::{OrderStatus, StatusReport};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::orders::repository as orders;
use crate::orders::workflow;
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
    let applied = workflow::apply_report(&mut tx, &order, report).await?;
    if !applied {
        return Ok(StatusApplied { order_id: id, status: order.status, applied: false });
    }
    tx.commit().await?;
    Ok(StatusApplied { order_id: id, status: report.status, applied: true })
}
