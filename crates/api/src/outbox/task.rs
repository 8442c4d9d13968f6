//! Turning an outbox row into the task the worker receives. Notification
//! bodies are filled in here, from the order as it is when sent, so the
//! worker needs no database.

use gokart_domain::returns::ReturnStatus;
use gokart_domain::{
    AccountEmailPurpose, AccountEmailTask, AdminNoticeTask, Currency, Money, NotificationLine,
    NotificationTask, OrderStatus,
};
use gokart_edge::http::TraceId;
use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use uuid::Uuid;

use super::OutboxMessage;
use super::backend::{ProviderRefund, Task};
use super::message::{AdminNotice, ReturnNotice};
use crate::auth::links::AccountLinks;
use crate::auth::repository as auth;
use crate::error::{Error, Result};
use crate::orders::repository as orders;
use crate::orders::{refunds, returns};
use crate::webhooks::WebhookMessage;

/// A claimed outbox row.
#[derive(Debug, Clone)]
pub(super) struct OutboxRow {
    pub id: Uuid,
    pub kind: String,
    pub payload: Value,
    /// Sends so far, this one included.
    pub attempts: i32,
    /// The trace of the request that queued it.
    pub trace_id: Option<String>,
}

/// What to do with a row.
#[derive(Debug)]
pub(super) enum Prepared {
    /// Send this task.
    Send(Task),
    /// Give this back through the payment provider.
    Refund(ProviderRefund),
    /// Deliver this event to a webhook endpoint.
    Webhook(WebhookMessage),
    /// Nothing to send any more (say why in the row).
    Skip(String),
    /// The row can never be sent: a dead letter at once.
    Broken(String),
}

/// The task name for an outbox row: a hash of its id, so names are stable
/// across re-sends (Cloud Tasks refuses a second task with the same name)
/// and not sequential (which Cloud Tasks spreads badly).
pub(super) fn task_name(outbox_id: Uuid) -> String {
    Sha256::digest(outbox_id.as_bytes()).iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// The task for `row`, or why there is none; account emails get their
/// links from `links`.
pub(super) async fn prepare(
    db: &PgPool,
    links: &AccountLinks,
    row: &OutboxRow,
) -> Result<Prepared> {
    let message = match OutboxMessage::from_columns(&row.kind, &row.payload) {
        Ok(message) => message,
        Err(err) => return Ok(Prepared::Broken(format!("not an outbox message: {err}"))),
    };
    let kind = match (&message, message.task_kind()) {
        (_, Some(kind)) => kind,
        (OutboxMessage::Refund(refund), None) => {
            let Some((order, amount)) = refunds::amount_of(db, refund.refund_id).await? else {
                return Ok(Prepared::Broken("the refund does not exist".into()));
            };
            return Ok(match orders::payment_reference(db, order).await? {
                Some(intent) => {
                    Prepared::Refund(ProviderRefund { id: refund.refund_id, order, intent, amount })
                }
                None => Prepared::Broken("a refund of an order with no payment reference".into()),
            });
        }
        (OutboxMessage::Webhook(message), None) => return Ok(Prepared::Webhook(message.clone())),
        (_, None) => return Ok(Prepared::Broken(format!("not a worker task: {}", row.kind))),
    };
    let body = match &message {
        OutboxMessage::Notification(event) => {
            match notification(db, links, event.order_id, event.event).await? {
                Some(notification) => serde_json::to_vec(&notification),
                None => return Ok(Prepared::Skip("the order has no customer to tell".into())),
            }
        }
        OutboxMessage::Warehouse(step)
        | OutboxMessage::Shipping(step)
        | OutboxMessage::Delivery(step) => {
            // A step whose work is done needs no resending: the queue gave up
            // waiting for a slow run (past the dispatch deadline) that
            // finished anyway.
            match orders::status(db, step.order_id).await? {
                None => return Ok(Prepared::Broken("the order does not exist".into())),
                Some(OrderStatus::Cancelled) => {
                    return Ok(Prepared::Skip("the order was cancelled".into()));
                }
                Some(status) if kind.reaches().is_some_and(|end| status.has_passed(end)) => {
                    return Ok(Prepared::Skip(format!("the order is already {status}")));
                }
                Some(_) => serde_json::to_vec(step),
            }
        }
        OutboxMessage::AdminNotice(notice) => match admin_notice(db, links, notice).await? {
            Some(task) => serde_json::to_vec(&task),
            None => return Ok(Prepared::Skip("no such admin any more".into())),
        },
        OutboxMessage::ReturnNotice(notice) => match return_notice(db, links, notice).await? {
            Some(task) => serde_json::to_vec(&task),
            None => return Ok(Prepared::Skip("the order has no customer to tell".into())),
        },
        OutboxMessage::AccountEmail(link) => match account_email(db, links, link.link_id).await? {
            Some(task) => serde_json::to_vec(&task),
            None => return Ok(Prepared::Skip("the link was used or replaced, or expired".into())),
        },
        OutboxMessage::Refund(_) | OutboxMessage::Webhook(_) => {
            return Ok(Prepared::Broken(format!("not a worker task: {}", row.kind)));
        }
    }
    .map_err(|err| Error::Internal(err.into()))?;
    let traceparent =
        row.trace_id.as_deref().and_then(TraceId::parse).map(|trace| trace.traceparent());
    Ok(Prepared::Send(Task {
        name: task_name(row.id),
        kind,
        body,
        retries: row.attempts - 1,
        traceparent,
    }))
}

/// The email telling an admin that a webhook endpoint was disabled, while
/// they are an admin.
async fn admin_notice(
    db: &PgPool,
    links: &AccountLinks,
    notice: &AdminNotice,
) -> Result<Option<AdminNoticeTask>> {
    let Some(admin) = auth::admin_contact(db, notice.user_id).await? else { return Ok(None) };
    let endpoint = notice.webhook_disabled;
    let url = crate::webhooks::endpoints::find(db, endpoint).await?.map(|found| found.url);
    let url = url.unwrap_or_else(|| "(since deleted)".to_owned());
    Ok(Some(AdminNoticeTask {
        recipient_name: admin.name,
        recipient_email: admin.email,
        subject: "A webhook endpoint was disabled".to_owned(),
        paragraphs: vec![
            format!(
                "Every delivery to the webhook endpoint {url} failed for too long, so it was disabled and its waiting events were dropped."
            ),
            format!(
                "Its delivery log (GET /api/v1/admin/webhooks/{endpoint}/deliveries) shows what it answered. Once it works again, enable it, and replay from the log any delivery it missed."
            ),
        ],
        link: links.admin_link("/admin"),
    }))
}

/// The customer's email about where their return is; `None` when the
/// order has no customer any more (the account was deleted).
async fn return_notice(
    db: &PgPool,
    links: &AccountLinks,
    notice: &ReturnNotice,
) -> Result<Option<AdminNoticeTask>> {
    let Some(found) = returns::find(db, notice.return_id).await? else { return Ok(None) };
    let order = found.order_id;
    let Some(facts) = orders::notification_facts(db, order).await? else { return Ok(None) };
    let (Some(name), Some(email)) = (facts.name, facts.email) else { return Ok(None) };
    let items = orders::items(db, order).await?;
    let lines: Vec<String> = found
        .items
        .iter()
        .map(|line| {
            let what = items
                .iter()
                .find(|item| item.id == line.order_item_id)
                .map_or("an item", |item| item.name.as_str());
            format!("{} × {what}", line.quantity)
        })
        .collect();
    let lines = lines.join(", ");
    let number = &facts.order_number;
    let (subject, mut paragraphs) = match notice.status {
        ReturnStatus::Requested => (
            format!("We have your return request for order {number}"),
            vec![
                format!("You asked to return {lines}."),
                "The shop will look at it and tell you what happens next.".to_owned(),
            ],
        ),
        ReturnStatus::Approved => (
            format!("Your return for order {number} is approved"),
            vec![
                format!("Please send back {lines}."),
                if found.return_shipping {
                    "The shop pays for sending them back.".to_owned()
                } else {
                    "Sending them back is at your cost.".to_owned()
                },
            ],
        ),
        ReturnStatus::Rejected => (
            format!("Your return for order {number} was not accepted"),
            vec![format!("The shop did not accept the return of {lines}.")],
        ),
        ReturnStatus::Received => (
            format!("Your returned items from order {number} arrived"),
            vec![format!("The shop received {lines}. Your refund follows.")],
        ),
        ReturnStatus::Refunded => {
            let refund = match found.refund_id {
                Some(id) => refunds::find(db, order, id).await?,
                None => None,
            };
            let currency =
                Currency::parse(&facts.currency).map_err(|err| Error::Internal(err.into()))?;
            let amount = refund.map_or_else(String::new, |refund| {
                format!("{} ", Money::new(refund.amount, currency))
            });
            (
                format!("Your return for order {number} is refunded"),
                vec![format!("{amount}for {lines} is on its way back to you.")],
            )
        }
    };
    if let Some(note) = &found.note {
        paragraphs.push(format!("From the shop: {note}"));
    }
    let link = if facts.guest {
        links.order_link(&links.order_token(order))
    } else {
        links.admin_link(&format!("/orders/{order}"))
    };
    Ok(Some(AdminNoticeTask {
        recipient_name: name,
        recipient_email: email,
        subject,
        paragraphs,
        link,
    }))
}

/// The email carrying link `id`, while the link is live: a used, replaced
/// or expired link is not worth an email.
async fn account_email(
    db: &PgPool,
    links: &AccountLinks,
    id: Uuid,
) -> Result<Option<AccountEmailTask>> {
    let Some(facts) = auth::live_link_facts(db, id).await? else { return Ok(None) };
    let Some(purpose) = AccountEmailPurpose::parse(&facts.purpose) else { return Ok(None) };
    Ok(Some(AccountEmailTask {
        purpose,
        recipient_name: facts.name,
        recipient_email: facts.email,
        link: links.link(purpose, &links.token(id)),
        valid_minutes: u32::try_from(facts.minutes_left).unwrap_or(u32::MAX),
    }))
}

/// The email's facts for `status` of order `id`; `None` when the order has
/// no customer any more (the account was deleted).
async fn notification(
    db: &PgPool,
    links: &AccountLinks,
    id: Uuid,
    status: OrderStatus,
) -> Result<Option<NotificationTask>> {
    let Some(facts) = orders::notification_facts(db, id).await? else {
        return Ok(None);
    };
    let (Some(name), Some(email)) = (facts.name, facts.email) else {
        return Ok(None);
    };
    let currency = Currency::parse(&facts.currency).map_err(|err| Error::Internal(err.into()))?;
    let items = orders::items(db, id)
        .await?
        .into_iter()
        .map(|item| NotificationLine {
            name: item.name,
            quantity: item.quantity,
            line_total: Money::new(item.line_total_amount, currency),
        })
        .collect();
    Ok(Some(NotificationTask {
        order_id: id,
        order_number: facts.order_number,
        status,
        payment_status: facts.payment_status,
        recipient_name: name,
        recipient_email: email,
        items,
        total: Money::new(facts.total_amount, currency),
        tracking_number: facts.tracking_number,
        carrier: facts.carrier,
        estimated_delivery_date: facts.estimated_delivery_date,
        order_link: facts.guest.then(|| links.order_link(&links.order_token(id))),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_names_are_stable_and_not_sequential() {
        let first = Uuid::now_v7();
        let second = Uuid::now_v7();
        assert_eq!(task_name(first), task_name(first));
        assert_eq!(task_name(first).len(), 32);
        // v7 ids share their time prefix; their task names do not.
        assert_ne!(task_name(first)[..8], task_name(second)[..8]);
    }
}
