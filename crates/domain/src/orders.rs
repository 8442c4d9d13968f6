//! Orders: the status state machine, payment states, and how totals are
//! computed from lines and the shop's pricing rules, all in minor units.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::money::{Money, MoneyError};

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
    /// Paid, then given back.
    Refunded,
}

impl PaymentStatus {
    /// The stored and serialised name.
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::Pending => "pending",
            PaymentStatus::Paid => "paid",
            PaymentStatus::Failed => "failed",
            PaymentStatus::Refunded => "refunded",
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
            PaymentStatus::Refunded,
        ]
        .into_iter()
        .find(|status| status.as_str() == raw)
        .ok_or_else(|| format!("unknown payment status {raw:?}"))
    }
}

/// The shop's pricing rules for an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PricingRules {
    /// Tax rate in basis points (825 = 8.25%), applied to the discounted subtotal.
    pub tax_rate_bps: u32,
    /// Flat shipping charge.
    pub shipping: Money,
    /// Subtotal from which shipping is free, if any.
    pub free_shipping_from: Option<Money>,
    /// Flat discount, never more than the subtotal.
    pub discount: Money,
}

/// What an order costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Totals {
    /// Sum of line totals.
    pub subtotal: Money,
    /// Tax on the subtotal after the discount.
    pub tax: Money,
    /// Shipping.
    pub shipping: Money,
    /// Discount applied.
    pub discount: Money,
    /// subtotal − discount + tax + shipping.
    pub total: Money,
}

impl PricingRules {
    /// Totals for lines of (unit price, quantity).
    pub fn totals(&self, lines: &[(Money, i64)]) -> Result<Totals, MoneyError> {
        let mut subtotal = Money::zero(self.shipping.currency);
        for (price, quantity) in lines {
            subtotal = subtotal.checked_add(price.checked_mul(*quantity)?)?;
        }
        let discount =
            if self.discount.amount > subtotal.amount { subtotal } else { self.discount };
        let taxable = subtotal.checked_sub(discount)?;
        let tax = taxable.percent_bps(self.tax_rate_bps)?;
        let free = self.free_shipping_from.is_some_and(|from| subtotal.amount >= from.amount);
        let shipping = if free { Money::zero(subtotal.currency) } else { self.shipping };
        let total = taxable.checked_add(tax)?.checked_add(shipping)?;
        Ok(Totals { subtotal, tax, shipping, discount, total })
    }
}

/// Parses a rate given as a decimal fraction ("0.0825") into basis points
/// without floating point; at most four decimals, between 0 and 1.
pub fn parse_rate_bps(raw: &str) -> Result<u32, String> {
    let invalid = || format!("invalid rate {raw:?}: expected a fraction like 0.0825 (8.25%)");
    let text = raw.trim();
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty() && fraction.is_empty() || fraction.len() > 4 {
        return Err(invalid());
    }
    if !whole.bytes().chain(fraction.bytes()).all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    let whole: u32 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| invalid())? };
    let padded = format!("{fraction:0<4}");
    let fraction: u32 = padded.parse().map_err(|_| invalid())?;
    let bps =
        whole.checked_mul(10_000).and_then(|w| w.checked_add(fraction)).ok_or_else(invalid)?;
    if bps > 10_000 {
        return Err(invalid());
    }
    Ok(bps)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;

    fn usd(amount: i64) -> Money {
        Money::new(amount, Currency::USD)
    }

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
    }

    #[test]
    fn totals_apply_discount_tax_and_shipping_in_minor_units() {
        let rules = PricingRules {
            tax_rate_bps: 825,
            shipping: usd(599),
            free_shipping_from: Some(usd(10_000)),
            discount: usd(500),
        };
        let totals = rules.totals(&[(usd(1999), 2), (usd(1250), 1)]).unwrap();
        assert_eq!(totals.subtotal, usd(5248));
        // 8.25% of 4748 = 391.71 -> 392
        assert_eq!(totals.tax, usd(392));
        assert_eq!(totals.shipping, usd(599));
        assert_eq!(totals.total, usd(4748 + 392 + 599));
        let free = rules.totals(&[(usd(10_000), 1)]).unwrap();
        assert_eq!(free.shipping, usd(0));
    }

    #[test]
    fn a_discount_never_makes_a_total_negative() {
        let rules = PricingRules {
            tax_rate_bps: 0,
            shipping: usd(0),
            free_shipping_from: None,
            discount: usd(1000),
        };
        let totals = rules.totals(&[(usd(300), 1)]).unwrap();
        assert_eq!((totals.discount, totals.total), (usd(300), usd(0)));
    }

    #[test]
    fn rates_parse_exactly_into_basis_points() {
        assert_eq!(parse_rate_bps("0.0825"), Ok(825));
        assert_eq!(parse_rate_bps("0.08"), Ok(800));
        assert_eq!(parse_rate_bps("0"), Ok(0));
        assert_eq!(parse_rate_bps(".2"), Ok(2000));
        for bad in ["", ".", "0.00001", "-0.1", "1.5", "abc", "0,08"] {
            assert!(parse_rate_bps(bad).is_err(), "{bad:?}");
        }
    }
}
