//! The fulfillment steps: pack, ship, deliver. Each takes its configured
//! time, then reports the order's new status; the API decides what comes
//! next. A step run twice reports the same thing twice, which the API
//! treats as a no-op, so redelivered tasks change nothing.
//!
//! A step, once started, runs to its end even if the queue stops waiting
//! for it (a dispatch deadline shorter than the step): the queue's retry
//! then runs it again, and the second report is the no-op.

use std::time::Duration;

use axum::extract::State;
use chrono::{Days, NaiveDate, Utc};
use gokart_domain::{OrderStatus, StatusReport, StepTask};
use gokart_edge::http::spawn_with_request_context;
use gokart_edge::service_auth::ServiceCaller;
use uuid::Uuid;

use crate::state::WorkerState;
use crate::task::{Outcome, Payload, TaskMeta};

/// Days from shipping to the carrier's promised delivery.
const DELIVERY_ESTIMATE_DAYS: u64 = 3;

/// `POST /tasks/warehouse`: pack the order; reports `processing`.
#[tracing::instrument(skip_all, fields(task = meta.name, retries = meta.retries))]
pub async fn warehouse(
    State(state): State<WorkerState>,
    _caller: ServiceCaller,
    meta: TaskMeta,
    Payload(task): Payload<StepTask>,
) -> Outcome {
    let packing = state.config.processing.warehouse;
    run(state, task.order_id, vec![(packing, report(OrderStatus::Processing))]).await
}

/// `POST /tasks/shipping`: hand the parcel to the carrier; reports
/// `shipped` with a tracking number and a delivery estimate.
#[tracing::instrument(skip_all, fields(task = meta.name, retries = meta.retries))]
pub async fn shipping(
    State(state): State<WorkerState>,
    _caller: ServiceCaller,
    meta: TaskMeta,
    Payload(task): Payload<StepTask>,
) -> Outcome {
    let shipped = StatusReport {
        status: OrderStatus::Shipped,
        tracking_number: Some(tracking_number(task.order_id)),
        estimated_delivery_date: Some(delivery_estimate(Utc::now().date_naive())),
    };
    let handing_over = state.config.processing.shipping;
    run(state, task.order_id, vec![(handing_over, shipped)]).await
}

/// `POST /tasks/delivery`: the courier takes the parcel (`out_for_delivery`)
/// and delivers it (`delivered`).
#[tracing::instrument(skip_all, fields(task = meta.name, retries = meta.retries))]
pub async fn delivery(
    State(state): State<WorkerState>,
    _caller: ServiceCaller,
    meta: TaskMeta,
    Payload(task): Payload<StepTask>,
) -> Outcome {
    let driving = state.config.processing.delivery;
    let stages = vec![
        (Duration::ZERO, report(OrderStatus::OutForDelivery)),
        (driving, report(OrderStatus::Delivered)),
    ];
    run(state, task.order_id, stages).await
}

/// Runs a step's stages in order, each one a wait and then a report,
/// stopping at the first report that is not accepted. The step runs in a
/// task of its own, so that it finishes even when the request that started
/// it is dropped.
async fn run(state: WorkerState, order: Uuid, stages: Vec<(Duration, StatusReport)>) -> Outcome {
    let step = async move {
        for (wait, report) in stages {
            tokio::time::sleep(wait).await;
            match state.api.report(order, &report).await.into() {
                Outcome::Done => {}
                refused_or_failed => return refused_or_failed,
            }
        }
        Outcome::Done
    };
    spawn_with_request_context(step)
        .await
        .unwrap_or_else(|err| Outcome::Retry(format!("the step failed: {err}")))
}

fn report(status: OrderStatus) -> StatusReport {
    StatusReport { status, tracking_number: None, estimated_delivery_date: None }
}

/// The carrier's tracking number for an order: derived from the order id,
/// so a redelivered shipping task reports the same number.
pub fn tracking_number(order: Uuid) -> String {
    let digits = format!("{:012X}", order.as_u128() & 0xFFFF_FFFF_FFFF);
    format!("TRK-{}-{}-{}", &digits[..4], &digits[4..8], &digits[8..])
}

fn delivery_estimate(today: NaiveDate) -> NaiveDate {
    today.checked_add_days(Days::new(DELIVERY_ESTIMATE_DAYS)).unwrap_or(today)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracking_numbers_are_stable_per_order_and_valid_reports() {
        let order = Uuid::new_v4();
        assert_eq!(tracking_number(order), tracking_number(order));
        let shipped = StatusReport {
            status: OrderStatus::Shipped,
            tracking_number: Some(tracking_number(order)),
            estimated_delivery_date: Some(delivery_estimate(Utc::now().date_naive())),
        };
        assert!(shipped.validate().is_ok());
    }
}
