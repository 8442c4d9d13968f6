//! Orders: the status state machine, payment states, and how totals are
//! computed from lines and the shop's pricing rules, all in minor units.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Where an order is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "sqlx",
    derive(sqlx::Type),
    sqlx(type_name = "text", rename_all = "snake_case")
)]
pub enum OrderStatus {
    /// Placed; waiting for the payment.
    PendingPayment,
    /// Paid; fulfillment may start.
    Confirmed,
    /// Being packed in the warehouse.
    Processing,
    /// Handed to the carrier.
    Shipped,
    /// With the courier for delivery today.
    OutForDelivery,
    /// Delivered.
    Delivered,
    /// Cancelled; stock returned, payment refunded if taken.
    Cancelled,
}

impl OrderStatus {
    /// Every status, in the order an order moves through them.
    pub const ALL: [OrderStatus; 7] = [
        OrderStatus::PendingPayment,
        OrderStatus::Confirmed,
        OrderStatus::Processing,
        OrderStatus::Shipped,
        OrderStatus::OutForDelivery,
        OrderStatus::Delivered,
        OrderStatus::Cancelled,
    ];

    /// The stored and serialised name.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::PendingPayment => "pending_payment",
            OrderStatus::Confirmed => "confirmed",
            OrderStatus::Processing => "processing",
            OrderStatus::Shipped => "shipped",
            OrderStatus::OutForDelivery => "out_for_delivery",
            OrderStatus::Delivered => "delivered",
            OrderStatus::Cancelled => "cancelled",
        }
    }

    /// Whether an order in this status may move to `next`. Fulfillment only
    /// moves forward one step at a time; cancelling is possible until the
    /// parcel leaves the warehouse.
    pub fn can_transition_to(self, next: OrderStatus) -> bool {
        use OrderStatus::*;
        matches!(
            (self, next),
            (PendingPayment, Confirmed)
                | (Confirmed, Processing)
                | (Processing, Shipped)
                | (Shipped, OutForDelivery)
                | (OutForDelivery, Delivered)
                | (PendingPayment | Confirmed | Processing, Cancelled)
        )
    }

    /// Whether the order can still be cancelled.
    pub fn is_cancellable(self) -> bool {
        self.can_transition_to(OrderStatus::Cancelled)
    }

    /// Whether the order is paid for and not yet shipped: an admin may
    /// then ship it by hand (skipping the warehouse step, whose later
    /// report is a repeat) or change where it goes.
    pub fn awaits_shipping(self) -> bool {
        matches!(self, OrderStatus::Confirmed | OrderStatus::Processing)
    }

    /// Whether an order now in this status has already been through
    /// `earlier` on its way here (or is in it): a report of `earlier` is then
    /// a repeat, not news. A cancelled order has passed nothing but itself.
    pub fn has_passed(self, earlier: OrderStatus) -> bool {
        if self == earlier {
            return true;
        }
        match (self.fulfillment_rank(), earlier.fulfillment_rank()) {
            (Some(now), Some(then)) => then <= now,
            _ => false,
        }
    }

    /// Position on the forward path; `None` for `cancelled`.
    fn fulfillment_rank(self) -> Option<usize> {
        OrderStatus::ALL[..6].iter().position(|status| *status == self)
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for OrderStatus {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        OrderStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == raw)
            .ok_or_else(|| format!("unknown order status {raw:?}"))
    }
}

/// Where the money is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "sqlx",
    derive(sqlx::Type),
    sqlx(type_name = "text", rename_all = "snake_case")
)]
pub enum PaymentStatus {
    /// Not paid yet.
    Pending,
    /// Paid.
    Paid,
    /// The payment failed.
    Failed,
    /// Paid, and part of it given back.
    PartiallyRefunded,
    /// Paid, then given back in full.
    Refunded,
}

impl PaymentStatus {
    /// The stored and serialised name.
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::Pending => "pending",
            PaymentStatus::Paid => "paid",
            PaymentStatus::Failed => "failed",
            PaymentStatus::PartiallyRefunded => "partially_refunded",
            PaymentStatus::Refunded => "refunded",
        }
    }

    /// Whether money was taken and some of it is still held, so it can be
    /// given back.
    pub fn is_refundable(self) -> bool {
        matches!(self, PaymentStatus::Paid | PaymentStatus::PartiallyRefunded)
    }

    /// The status of a payment of `paid` of which `refunded` was given back.
    pub fn after_refunds(paid: i64, refunded: i64) -> PaymentStatus {
        if refunded <= 0 {
            PaymentStatus::Paid
        } else if refunded >= paid {
            PaymentStatus::Refunded
        } else {
            PaymentStatus::PartiallyRefunded
        }
    }
}

impl FromStr for PaymentStatus {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        [
            PaymentStatus::Pending,
            PaymentStatus::Paid,
            PaymentStatus::Failed,
            PaymentStatus::PartiallyRefunded,
            PaymentStatus::Refunded,
        ]
        .into_iter()
        .find(|status| status.as_str() == raw)
        .ok_or_else(|| format!("unknown payment status {raw:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fulfillment_moves_forward_one_step_at_a_time() {
        use OrderStatus::*;
        let path = [PendingPayment, Confirmed, Processing, Shipped, OutForDelivery, Delivered];
        for pair in path.windows(2) {
            assert!(pair[0].can_transition_to(pair[1]), "{} -> {}", pair[0], pair[1]);
            assert!(!pair[1].can_transition_to(pair[0]), "never backwards");
        }
        assert!(!PendingPayment.can_transition_to(Shipped), "no skipping");
        assert!(!Delivered.can_transition_to(Cancelled));
        assert!(!Cancelled.can_transition_to(Confirmed), "a cancelled order is never revived");
    }

    #[test]
    fn a_status_already_passed_is_recognised_as_a_repeat() {
        use OrderStatus::*;
        assert!(Shipped.has_passed(Processing));
        assert!(Shipped.has_passed(Shipped));
        assert!(Delivered.has_passed(OutForDelivery));
        assert!(!Processing.has_passed(Shipped));
        assert!(!Cancelled.has_passed(Processing));
        assert!(!Processing.has_passed(Cancelled));
        assert!(Cancelled.has_passed(Cancelled));
    }

    #[test]
    fn only_orders_not_yet_shipped_can_be_cancelled() {
        let cancellable: Vec<_> =
            OrderStatus::ALL.into_iter().filter(|s| s.is_cancellable()).collect();
        assert_eq!(
            cancellable,
            [OrderStatus::PendingPayment, OrderStatus::Confirmed, OrderStatus::Processing]
        );
    }

    #[test]
    fn statuses_round_trip_through_their_names() {
        for status in OrderStatus::ALL {
            assert_eq!(status.as_str().parse::<OrderStatus>().unwrap(), status);
        }
        assert!("lost".parse::<OrderStatus>().is_err());
        assert_eq!("refunded".parse::<PaymentStatus>().unwrap(), PaymentStatus::Refunded);
        assert_eq!(
            "partially_refunded".parse::<PaymentStatus>().unwrap(),
            PaymentStatus::PartiallyRefunded
        );
    }

    #[test]
    fn a_payment_is_partially_refunded_until_all_of_it_went_back() {
        assert_eq!(PaymentStatus::after_refunds(1000, 0), PaymentStatus::Paid);
        assert_eq!(PaymentStatus::after_refunds(1000, 1), PaymentStatus::PartiallyRefunded);
        assert_eq!(PaymentStatus::after_refunds(1000, 999), PaymentStatus::PartiallyRefunded);
        assert_eq!(PaymentStatus::after_refunds(1000, 1000), PaymentStatus::Refunded);
        assert!(PaymentStatus::PartiallyRefunded.is_refundable());
        assert!(!PaymentStatus::Refunded.is_refundable());
        assert!(!PaymentStatus::Pending.is_refundable());
    }
}
