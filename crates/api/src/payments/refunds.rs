//! Refunds through Stripe. A refund is an outbox message like any other:
//! the relay sends it, with the same lease, backoff, dead letters and admin
//! retry as a worker task, and Stripe's idempotency key, one per refund
//! (`refund-<refund id>`), makes a re-send after an unclear failure safe.
//! When Stripe accepts, the refund has succeeded and the order's payment
//! reads `partially_refunded` or `refunded`. A cancellation or an admin's
//! refund does not wait for the relay: it drains its order's refunds at
//! once, and maintenance drains the rest.

use std::sync::Arc;

use uuid::Uuid;

use crate::error::Result;
use crate::metrics::ApiMetrics;
use crate::outbox::courier::{Backends, Courier, Which};
use crate::state::AppState;

/// Sends the refunds that are due now (only `order`'s when given) through
/// the outbox's courier; how many Stripe accepted. A failure is scheduled
/// for later and the rest go on.
pub async fn process_due(state: &AppState, order: Option<Uuid>) -> Result<u64> {
    let Some(stripe) = &state.stripe else {
        return Ok(0);
    };
    let backends = Backends { refunds: Some(Arc::new(stripe.clone())), ..Backends::default() };
    let courier = Courier::new(
        state.db.clone(),
        backends,
        &state.config.fulfillment,
        ApiMetrics::default(),
        state.links.clone(),
    );
    courier.drain(Which::Refunds { order }).await
}
