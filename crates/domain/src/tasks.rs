//! The contract between the API and the worker: the fulfillment steps, what
//! each task carries, and what the worker reports back. Both services
//! (de)serialise exactly these types, so a change here is a change to both.
//!
//! The API owns the workflow: [`TaskKind::after`] says which step follows
//! each status, and the worker never decides what comes next.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::money::Money;
use crate::orders::{OrderStatus, PaymentStatus};
use crate::validation::Violations;

/// A kind of task the worker runs, one endpoint each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskKind {
    /// Pack the order; reports `processing`.
    Warehouse,
    /// Hand it to the carrier; reports `shipped` with a tracking number.
    Shipping,
    /// Deliver it; reports `out_for_delivery`, then `delivered`.
    Delivery,
    /// Email the customer about a change to their order.
    Notification,
    /// Email an account holder a link: a password reset, an address to verify.
    AccountEmail,
    /// Email an admin about something that needs them (a webhook endpoint
    /// that was disabled).
    AdminNotice,
    /// Email a customer a notice about their order (where a return is),
    /// in the same shape as an admin's.
    CustomerNotice,
}

impl TaskKind {
    /// Every kind.
    pub const ALL: [TaskKind; 7] = [
        TaskKind::Warehouse,
        TaskKind::Shipping,
        TaskKind::Delivery,
        TaskKind::Notification,
        TaskKind::AccountEmail,
        TaskKind::AdminNotice,
        TaskKind::CustomerNotice,
    ];

    /// The stored name, also the last segment of the worker's path.
    pub fn as_str(self) -> &'static str {
        match self {
            TaskKind::Warehouse => "warehouse",
            TaskKind::Shipping => "shipping",
            TaskKind::Delivery => "delivery",
            TaskKind::Notification => "notification",
            TaskKind::AccountEmail => "account_email",
            TaskKind::AdminNotice => "admin_notice",
            TaskKind::CustomerNotice => "customer_notice",
        }
    }

    /// The worker's endpoint for this kind.
    pub fn path(self) -> &'static str {
        match self {
            TaskKind::Warehouse => "/tasks/warehouse",
            TaskKind::Shipping => "/tasks/shipping",
            TaskKind::Delivery => "/tasks/delivery",
            TaskKind::Notification => "/tasks/notification",
            TaskKind::AccountEmail => "/tasks/account_email",
            TaskKind::AdminNotice => "/tasks/admin_notice",
            TaskKind::CustomerNotice => "/tasks/customer_notice",
        }
    }

    /// The fulfillment step that starts once an order reaches `status`:
    /// paid orders are packed, packed ones shipped, shipped ones delivered.
    /// (`out_for_delivery` is reported by the delivery step itself.)
    pub fn after(status: OrderStatus) -> Option<TaskKind> {
        match status {
            OrderStatus::Confirmed => Some(TaskKind::Warehouse),
            OrderStatus::Processing => Some(TaskKind::Shipping),
            OrderStatus::Shipped => Some(TaskKind::Delivery),
            _ => None,
        }
    }

    /// The status a step leaves the order in once it is done; `None` for
    /// emails, which move nothing.
    pub fn reaches(self) -> Option<OrderStatus> {
        match self {
            TaskKind::Warehouse => Some(OrderStatus::Processing),
            TaskKind::Shipping => Some(OrderStatus::Shipped),
            TaskKind::Delivery => Some(OrderStatus::Delivered),
            TaskKind::Notification
            | TaskKind::AccountEmail
            | TaskKind::AdminNotice
            | TaskKind::CustomerNotice => None,
        }
    }
}

impl fmt::Display for TaskKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TaskKind {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        TaskKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == raw)
            .ok_or_else(|| format!("unknown task kind {raw:?}"))
    }
}

/// The body of a warehouse, shipping or delivery task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepTask {
    /// The order to work on.
    pub order_id: Uuid,
}

/// The body of a notification task: everything the email says, so the
/// worker needs no database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationTask {
    /// The order it is about.
    pub order_id: Uuid,
    /// The number the customer knows it by.
    pub order_number: String,
    /// What happened: the status the order has reached.
    pub status: OrderStatus,
    /// Where the money is.
    pub payment_status: PaymentStatus,
    /// The customer's name.
    pub recipient_name: String,
    /// The customer's email address.
    pub recipient_email: String,
    /// What was ordered.
    pub items: Vec<NotificationLine>,
    /// The order total.
    pub total: Money,
    /// The carrier's tracking number, once shipped.
    pub tracking_number: Option<String>,
    /// The carrier, for an order the shop shipped by hand.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carrier: Option<String>,
    /// When the carrier expects to deliver, once shipped.
    pub estimated_delivery_date: Option<NaiveDate>,
    /// For a guest's order, the link that shows it (it carries the order's
    /// access token).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_link: Option<String>,
}

/// Why an account holder is sent a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountEmailPurpose {
    /// They asked to reset a forgotten password.
    PasswordReset,
    /// They gave an address that must be shown to be theirs.
    VerifyEmail,
}

impl AccountEmailPurpose {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            AccountEmailPurpose::PasswordReset => "password_reset",
            AccountEmailPurpose::VerifyEmail => "verify_email",
        }
    }

    /// The stored name back.
    pub fn parse(raw: &str) -> Option<Self> {
        [AccountEmailPurpose::PasswordReset, AccountEmailPurpose::VerifyEmail]
            .into_iter()
            .find(|purpose| purpose.as_str() == raw)
    }
}

/// The body of an account email task: the link and whom it goes to, so the
/// worker needs no database. The link carries a single-use token; the
/// worker only puts it in the email.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountEmailTask {
    /// What the link does.
    pub purpose: AccountEmailPurpose,
    /// The account holder's name.
    pub recipient_name: String,
    /// The address the email goes to.
    pub recipient_email: String,
    /// The link to follow.
    pub link: String,
    /// How long the link works, in minutes.
    pub valid_minutes: u32,
}

/// The body of an admin notice: whom it goes to and what it says, so the
/// worker needs no database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminNoticeTask {
    /// The admin's name.
    pub recipient_name: String,
    /// The address the email goes to.
    pub recipient_email: String,
    /// The email's subject.
    pub subject: String,
    /// Its paragraphs, plain text.
    pub paragraphs: Vec<String>,
    /// Where in the admin to act on it.
    pub link: String,
}

/// One line of an order, as an email lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationLine {
    /// The product name at the time of the order.
    pub name: String,
    /// How many.
    pub quantity: i32,
    /// Price times quantity.
    pub line_total: Money,
}

/// What the worker reports after a step: the order's new status, and for
/// `shipped` the tracking number and delivery estimate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatusReport {
    /// `processing`, `shipped`, `out_for_delivery` or `delivered`.
    pub status: OrderStatus,
    /// Required with `shipped`: letters, digits and dashes, at most 64.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(pattern = "^[A-Za-z0-9-]{1,64}$"))]
    pub tracking_number: Option<String>,
    /// Required with `shipped`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimated_delivery_date: Option<NaiveDate>,
}

/// The statuses only fulfillment reports (never payment or cancellation).
pub const REPORTABLE: [OrderStatus; 4] = [
    OrderStatus::Processing,
    OrderStatus::Shipped,
    OrderStatus::OutForDelivery,
    OrderStatus::Delivered,
];

impl StatusReport {
    /// Checks the report's fields, naming each bad one.
    pub fn validate(&self) -> Result<(), Violations> {
        let mut violations = Violations::default();
        if !REPORTABLE.contains(&self.status) {
            violations.add("status", "must be processing, shipped, out_for_delivery or delivered");
        }
        let shipped = self.status == OrderStatus::Shipped;
        match &self.tracking_number {
            Some(number) if !is_tracking_number(number) => {
                violations.add("tracking_number", "must be 1 to 64 letters, digits or dashes")
            }
            None if shipped => violations.add("tracking_number", "is required when shipped"),
            _ => {}
        }
        if shipped && self.estimated_delivery_date.is_none() {
            violations.add("estimated_delivery_date", "is required when shipped");
        }
        violations.into_result()
    }
}

fn is_tracking_number(raw: &str) -> bool {
    (1..=64).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_paid_step_is_followed_by_the_next_one() {
        assert_eq!(TaskKind::after(OrderStatus::Confirmed), Some(TaskKind::Warehouse));
        assert_eq!(TaskKind::after(OrderStatus::Processing), Some(TaskKind::Shipping));
        assert_eq!(TaskKind::after(OrderStatus::Shipped), Some(TaskKind::Delivery));
        for done in [
            OrderStatus::PendingPayment,
            OrderStatus::OutForDelivery,
            OrderStatus::Delivered,
            OrderStatus::Cancelled,
        ] {
            assert_eq!(TaskKind::after(done), None, "{done}");
        }
    }

    #[test]
    fn kinds_round_trip_through_their_names_and_paths() {
        for kind in TaskKind::ALL {
            assert_eq!(kind.as_str().parse::<TaskKind>(), Ok(kind));
            assert_eq!(kind.path(), format!("/tasks/{kind}"));
        }
    }

    #[test]
    fn a_shipment_report_needs_a_tracking_number_and_a_date() {
        let report = StatusReport {
            status: OrderStatus::Shipped,
            tracking_number: None,
            estimated_delivery_date: None,
        };
        let fields = report.validate().unwrap_err().fields().clone();
        assert!(fields.contains_key("tracking_number"));
        assert!(fields.contains_key("estimated_delivery_date"));
    }

    #[test]
    fn payment_and_cancellation_cannot_be_reported_by_the_worker() {
        for status in [OrderStatus::Confirmed, OrderStatus::Cancelled, OrderStatus::PendingPayment]
        {
            let report =
                StatusReport { status, tracking_number: None, estimated_delivery_date: None };
            assert!(report.validate().unwrap_err().fields().clone().contains_key("status"));
        }
    }

    #[test]
    fn tracking_numbers_are_short_and_plain() {
        assert!(is_tracking_number("TRK-2026-0A1B2C"));
        assert!(!is_tracking_number(""));
        assert!(!is_tracking_number("TRK 1"));
        assert!(!is_tracking_number(&"A".repeat(65)));
    }
}
