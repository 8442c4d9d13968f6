//! The order workflow: the one place an order's status or payment status
//! changes. Each change is a named function that checks the domain's rules,
//! then writes the new statuses with their timeline entry and the work they
//! cause (the next fulfillment step, the customer's email, a refund) in the
//! caller's transaction, so none of it can be lost or happen without the
//! others. Payments, the worker's reports and maintenance call these; none
//! of them writes a status itself (a test keeps it so).

use gokart_domain::{Currency, Money, OrderStatus, PaymentStatus, StatusReport, TaskKind};
use sqlx::PgConnection;
use uuid::Uuid;

use super::refunds::{self, NewRefund, RefundStatus, Refunded};
use super::repository::{self as orders, OrderRow};
use crate::error::{Error, Result};
use crate::outbox::{self, OutboxMessage};
use crate::webhooks::{self, EventType};

/// One change of an order's status.
#[derive(Debug, Clone, Copy)]
struct Transition<'a> {
    /// The status the order moves to.
    status: OrderStatus,
    /// Its payment status afterwards.
    payment: PaymentStatus,
    /// Who made the change, as the timeline shows it.
    actor: &'a str,
    /// Why, for the timeline.
    note: &'a str,
}

/// Applies `transition` to the (locked) `order`, appends it to the
/// timeline, and queues the next fulfillment step, the customer's
/// notification and the webhooks.
async fn advance(
    tx: &mut PgConnection,
    order: &OrderRow,
    transition: Transition<'_>,
) -> Result<()> {
    let Transition { status, payment, actor, note } = transition;
    let id = order.id;
    orders::set_status(&mut *tx, id, status, payment).await?;
    orders::add_event(&mut *tx, id, status, actor, Some(note)).await?;
    if let Some(step) = TaskKind::after(status).and_then(|kind| OutboxMessage::step(kind, id)) {
        outbox::enqueue(&mut *tx, &step).await?;
    }
    outbox::enqueue(&mut *tx, &OutboxMessage::notification(id, status)).await?;
    announce(tx, order, status, payment).await
}

/// Queues the webhooks of `order` becoming `status` with `payment`.
async fn announce(
    tx: &mut PgConnection,
    order: &OrderRow,
    status: OrderStatus,
    payment: PaymentStatus,
) -> Result<()> {
    let event = |kind| webhooks::order_event(kind, order, status, payment);
    let paid = payment != order.payment_status && payment == PaymentStatus::Paid;
    let refunded = payment != order.payment_status
        && matches!(payment, PaymentStatus::PartiallyRefunded | PaymentStatus::Refunded);
    let mut events = Vec::new();
    if paid {
        events.push(event(EventType::OrderPaid));
    }
    if status != order.status {
        events.push(event(EventType::OrderStatusChanged));
        if status == OrderStatus::Cancelled {
            events.push(event(EventType::OrderCancelled));
        }
    }
    if refunded {
        events.push(event(EventType::OrderRefunded));
    }
    webhooks::emit(&mut *tx, &events).await
}

/// Changes only the payment status of the (locked) `order`, with a timeline
/// entry under its current status; nothing is queued.
async fn set_payment(
    tx: &mut PgConnection,
    order: &OrderRow,
    payment: PaymentStatus,
    note: &str,
) -> Result<()> {
    orders::set_status(&mut *tx, order.id, order.status, payment).await?;
    orders::add_event(&mut *tx, order.id, order.status, "payment", Some(note)).await?;
    announce(tx, order, order.status, payment).await
}

/// The first timeline entry of a new order, and its webhook.
pub async fn placed(tx: &mut PgConnection, order: &OrderRow) -> Result<()> {
    let placed = OrderStatus::PendingPayment;
    orders::add_event(&mut *tx, order.id, placed, "customer", Some("order placed")).await?;
    let created =
        webhooks::order_event(EventType::OrderCreated, order, placed, order.payment_status);
    webhooks::emit(&mut *tx, &[created]).await
}

/// Confirms the (locked) `order`, awaiting payment, as paid, and starts
/// fulfillment.
pub async fn confirm_payment(tx: &mut PgConnection, order: &OrderRow, note: &str) -> Result<()> {
    if !order.status.can_transition_to(OrderStatus::Confirmed) {
        return Err(Error::conflict(
            "illegal_transition",
            format!("an order that is {} cannot be confirmed", order.status),
        ));
    }
    let transition = Transition {
        status: OrderStatus::Confirmed,
        payment: PaymentStatus::Paid,
        actor: "payment",
        note,
    };
    advance(tx, order, transition).await
}

/// Applies a successful payment to the (locked) `order`: an order awaiting
/// payment is confirmed and fulfillment queued; a cancelled one is marked
/// paid and refunded, never revived (its stock may be sold again already);
/// anything else has seen this payment already and is left alone.
pub async fn payment_succeeded(tx: &mut PgConnection, order: &OrderRow) -> Result<()> {
    match (order.status, order.payment_status) {
        (OrderStatus::PendingPayment, _) => confirm_payment(tx, order, "payment received").await,
        (OrderStatus::Cancelled, PaymentStatus::Pending | PaymentStatus::Failed) => {
            let note = "payment arrived after cancellation; refunding it";
            set_payment(tx, order, PaymentStatus::Paid, note).await?;
            let refunded = refunds::refunded(&mut *tx, order.id).await?;
            if let Some(rest) = refunds::rest(order, &refunded) {
                let by = Asked { actor: "payment", reason: "paid after cancellation" };
                request(tx, order, &rest, by, Refund::ByProvider).await?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Records a failed payment on the (locked) `order` while it still awaits
/// its first; a late or repeated failure changes nothing.
pub async fn payment_failed(tx: &mut PgConnection, order: &OrderRow) -> Result<()> {
    if (order.status, order.payment_status) == (OrderStatus::PendingPayment, PaymentStatus::Pending)
    {
        set_payment(tx, order, PaymentStatus::Failed, "payment failed").await?;
    }
    Ok(())
}

/// Who asked for a refund, and why.
#[derive(Debug, Clone, Copy)]
pub struct Asked<'a> {
    /// As the timeline names them.
    pub actor: &'a str,
    /// Why, 1 to 500 characters.
    pub reason: &'a str,
}

/// Gives back `refund` of the (locked) `order`, worked out by
/// `refunds::plan` under its lock: by hand at once, or through the payment
/// provider (queued, given back once the provider accepts).
pub async fn refund(
    tx: &mut PgConnection,
    order: &OrderRow,
    refund: &NewRefund,
    asked: Asked<'_>,
) -> Result<()> {
    request(tx, order, refund, asked, Refund::of(order)).await
}

async fn request(
    tx: &mut PgConnection,
    order: &OrderRow,
    refund: &NewRefund,
    asked: Asked<'_>,
    via: Refund,
) -> Result<()> {
    store(tx, order, refund, asked, via).await?;
    let Asked { actor, reason } = asked;
    let amount = money(order, refund.amount);
    match via {
        Refund::Immediate => settle_payment(tx, order, actor, &format!("{amount} refunded")).await,
        Refund::ByProvider => {
            let note = format!("refund of {amount} requested ({reason})");
            orders::add_note(&mut *tx, order.id, order.status, actor, &note).await
        }
    }
}

/// Stores `refund` of `order`: given back already when `via` is
/// immediate; otherwise pending, and queued for the payment provider.
async fn store(
    tx: &mut PgConnection,
    order: &OrderRow,
    refund: &NewRefund,
    asked: Asked<'_>,
    via: Refund,
) -> Result<()> {
    let status = match via {
        Refund::Immediate => RefundStatus::Succeeded,
        Refund::ByProvider => RefundStatus::Pending,
    };
    let meta = refunds::Meta {
        reason: asked.reason,
        method: &order.payment_method,
        actor: asked.actor,
        status,
        reference: None,
    };
    refunds::insert(&mut *tx, order.id, refund, meta).await?;
    if via == Refund::ByProvider {
        outbox::enqueue(&mut *tx, &OutboxMessage::refund(order.id, refund.id)).await?;
    }
    Ok(())
}

/// Records that the payment provider accepted refund `id` (its id for it
/// is `reference`); a refund recorded already stays as it is.
pub async fn refund_settled(
    tx: &mut PgConnection,
    id: Uuid,
    reference: Option<&str>,
) -> Result<()> {
    let Some((order, amount)) = refunds::settle(&mut *tx, id, reference).await? else {
        return Ok(());
    };
    let Some(order) = orders::find(&mut *tx, order, None, true).await? else { return Ok(()) };
    let note = format!("{} refunded", money(&order, amount));
    settle_payment(tx, &order, "payment", &note).await
}

/// Applies the payment provider's word that `amount_refunded` of the
/// (locked) `order`'s payment has been given back in all: what is more than
/// the refunds GoKart knows of was refunded elsewhere (the provider's
/// dashboard) and is recorded as a refund of its own. Counting the refunds
/// still pending as given back means a late or repeated report never
/// records one twice.
pub async fn provider_refunded(
    tx: &mut PgConnection,
    order: &OrderRow,
    amount_refunded: i64,
) -> Result<()> {
    if !(order.payment_status.is_refundable() || order.payment_status == PaymentStatus::Refunded) {
        return Ok(());
    }
    let Refunded { asked, .. } = refunds::refunded(&mut *tx, order.id).await?;
    let extra = amount_refunded.min(order.total_amount) - asked;
    if extra <= 0 {
        return Ok(());
    }
    let refund =
        NewRefund { id: Uuid::now_v7(), amount: extra, shipping_amount: 0, items: Vec::new() };
    let meta = refunds::Meta {
        reason: "refunded in the payment provider's dashboard",
        method: &order.payment_method,
        actor: "payment",
        status: RefundStatus::Succeeded,
        reference: None,
    };
    refunds::insert(&mut *tx, order.id, &refund, meta).await?;
    let note = format!("{} refunded in the payment provider's dashboard", money(order, extra));
    settle_payment(tx, order, "payment", &note).await
}

/// After a refund of the (locked) `order` was given back: its payment
/// status follows what its refunds gave back, and the timeline says so.
async fn settle_payment(
    tx: &mut PgConnection,
    order: &OrderRow,
    actor: &str,
    note: &str,
) -> Result<()> {
    let Refunded { settled, .. } = refunds::refunded(&mut *tx, order.id).await?;
    let payment = PaymentStatus::after_refunds(order.total_amount, settled);
    if payment != order.payment_status {
        orders::set_status(&mut *tx, order.id, order.status, payment).await?;
    }
    orders::add_event(&mut *tx, order.id, order.status, actor, Some(note)).await?;
    announce(tx, order, order.status, payment).await
}

fn money(order: &OrderRow, amount: i64) -> Money {
    Money::new(amount, Currency::parse(&order.currency).unwrap_or(Currency::USD))
}

/// Applies what the worker reports about the (locked) `order`: a repeat of a
/// transition the order has already made changes nothing (`false`); an
/// illegal one is a conflict; a legal one moves the order on (`true`).
pub async fn apply_report(
    tx: &mut PgConnection,
    order: &OrderRow,
    report: &StatusReport,
) -> Result<bool> {
    let current = order.status;
    if current.has_passed(report.status) {
        return Ok(false);
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
            order.id,
            report.tracking_number.as_deref(),
            report.estimated_delivery_date,
        )
        .await?;
    }
    let transition = Transition {
        status: report.status,
        payment: order.payment_status,
        actor: "fulfillment",
        note: &note,
    };
    advance(tx, order, transition).await?;
    Ok(true)
}

/// Ships the (locked) `order` by hand with `carrier` and `tracking`, for a
/// shop without the warehouse step: the pipeline goes on from `shipped`
/// (a warehouse report that comes later is a repeat, and changes nothing).
pub async fn ship_by_hand(
    tx: &mut PgConnection,
    order: &OrderRow,
    actor: &str,
    carrier: &str,
    tracking: &str,
) -> Result<()> {
    if !order.status.awaits_shipping() {
        return Err(Error::conflict(
            "order_not_shippable",
            format!("an order that is {} cannot be shipped", order.status),
        ));
    }
    // The delivery estimate made at checkout stands.
    orders::set_shipment(&mut *tx, order.id, Some(tracking), order.estimated_delivery_date).await?;
    orders::set_carrier(&mut *tx, order.id, carrier).await?;
    let note = format!("shipped by hand with {carrier}, tracking number {tracking}");
    let transition = Transition {
        status: OrderStatus::Shipped,
        payment: order.payment_status,
        actor,
        note: &note,
    };
    advance(tx, order, transition).await
}

/// Adds `note` to the (locked) `order`'s timeline, for staff only.
pub async fn note(tx: &mut PgConnection, order: &OrderRow, actor: &str, note: &str) -> Result<()> {
    orders::add_note(&mut *tx, order.id, order.status, actor, note).await
}

/// Sends the customer's email for `status` of the (locked) `order` again:
/// one it was sent, so a status on the order's way to where it is now (a
/// cancelled order's only email is its cancellation; an order awaiting
/// payment has had none); the timeline notes it for staff.
pub async fn resend_email(
    tx: &mut PgConnection,
    order: &OrderRow,
    status: OrderStatus,
    actor: &str,
) -> Result<()> {
    if status == OrderStatus::PendingPayment || !order.status.has_passed(status) {
        return Err(Error::conflict(
            "status_not_reached",
            format!("the order has not been {status}, so there is no such email to send"),
        ));
    }
    outbox::enqueue(&mut *tx, &OutboxMessage::notification(order.id, status)).await?;
    let note = format!("the {status} email sent again");
    orders::add_note(&mut *tx, order.id, order.status, actor, &note).await
}

/// Sends the (locked) `order`, not yet shipped, to `address` instead, in
/// the same country and region it was priced for (its tax and shipping).
pub async fn change_shipping_address(
    tx: &mut PgConnection,
    order: &OrderRow,
    address: &serde_json::Value,
    actor: &str,
) -> Result<()> {
    if !(order.status == OrderStatus::PendingPayment || order.status.awaits_shipping()) {
        return Err(Error::conflict(
            "order_shipped",
            format!("an order that is {} goes where it went", order.status),
        ));
    }
    // As pricing matches them: the country as parsed (upper case), the
    // region in any case.
    let region = |address: &serde_json::Value, field: &str| {
        let text = address.get(field).and_then(serde_json::Value::as_str).unwrap_or_default();
        text.trim().to_lowercase()
    };
    for field in ["country", "state"] {
        if region(&order.shipping_address, field) != region(address, field) {
            return Err(Error::invalid(
                field,
                "must stay as the order was priced for (its tax and shipping); cancel it and \
                 order again to send it elsewhere",
            ));
        }
    }
    orders::set_shipping_address(&mut *tx, order.id, address).await?;
    orders::add_note(&mut *tx, order.id, order.status, actor, "shipping address changed").await
}

/// How a payment is given back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refund {
    /// Nothing was taken elsewhere (the manual provider): refunded at once.
    Immediate,
    /// Through the payment provider: queued, and given back once the
    /// provider confirms.
    ByProvider,
}

impl Refund {
    /// How `order`'s payment is given back: the manual provider holds no
    /// money elsewhere; Stripe's refunds go through the outbox.
    pub fn of(order: &OrderRow) -> Refund {
        if order.payment_method == crate::payments::Provider::Stripe.method() {
            Refund::ByProvider
        } else {
            Refund::Immediate
        }
    }
}

/// Cancels the (locked) `order`: its stock goes back on the shelf, a taken
/// payment is refunded as `refund` says, and the timeline says who and why.
/// Cancelling a cancelled order changes nothing; an order past the point of
/// cancelling is a conflict.
pub async fn cancel(
    tx: &mut PgConnection,
    order: &OrderRow,
    actor: &str,
    reason: &str,
    refund: Refund,
) -> Result<()> {
    if order.status == OrderStatus::Cancelled {
        return Ok(());
    }
    if !order.status.is_cancellable() {
        return Err(Error::conflict(
            "order_not_cancellable",
            format!("an order that is {} can no longer be cancelled", order.status),
        ));
    }
    restock(tx, order.id).await?;
    // After the variants, as checkout locks them: the order's discount uses
    // go back.
    crate::discounts::release(tx, order.id).await?;
    let rest = if order.payment_status.is_refundable() {
        refunds::rest(order, &refunds::refunded(&mut *tx, order.id).await?)
    } else {
        None
    };
    let payment = match &rest {
        Some(rest) => {
            store(tx, order, rest, Asked { actor, reason }, refund).await?;
            match refund {
                Refund::Immediate => PaymentStatus::Refunded,
                Refund::ByProvider => order.payment_status,
            }
        }
        None => order.payment_status,
    };
    let note = match (rest.is_some(), refund) {
        (false, _) => reason.to_owned(),
        (true, Refund::Immediate) => format!("{reason}; payment refunded"),
        (true, Refund::ByProvider) => format!("{reason}; refund requested"),
    };
    let transition = Transition { status: OrderStatus::Cancelled, payment, actor, note: &note };
    advance(tx, order, transition).await
}

/// Puts the units of order `id` back into stock, locking the variants in id
/// order as checkout does.
async fn restock(tx: &mut PgConnection, id: Uuid) -> Result<()> {
    let mut returned: Vec<(Uuid, i32)> = orders::items(&mut *tx, id)
        .await?
        .iter()
        .map(|item| (item.variant_id, item.quantity))
        .collect();
    returned.sort_unstable();
    let (ids, quantities): (Vec<Uuid>, Vec<i32>) = returned.into_iter().unzip();
    orders::lock_variants(&mut *tx, &ids).await?;
    orders::move_stock(&mut *tx, &ids, &quantities).await
}
