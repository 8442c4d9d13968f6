//! The order as clients see it.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use gokart_domain::{Currency, Money, OrderStatus, PaymentStatus};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::refunds::{RefundRow, RefundStatus, RefundView};
use super::repository::{OrderRow, WholeOrder};
use crate::error::Result;
use crate::pricing::AdjustmentView;

// The document's name for `payment_method` (see `Provider::method`).
/// How an order is paid: `manual` (accepted at once, like cash on
/// delivery) or `stripe` (a card, confirmed in the browser with the
/// order's `client_secret`). A shop takes the one it is configured for.
#[derive(Debug, Clone, Copy, ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum PaymentMethod {
    /// Accepted at once.
    Manual,
    /// Card payments through Stripe.
    Stripe,
}

/// A bought line.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OrderItemView {
    /// The line's id, which refunds and returns name (`order_item_id`).
    pub id: Uuid,
    /// Product.
    pub product_id: Uuid,
    /// Variant.
    pub variant_id: Uuid,
    /// Name when bought.
    pub name: String,
    /// SKU when bought.
    pub sku: String,
    /// The variant's option values when bought, by option name.
    pub options: BTreeMap<String, String>,
    /// Image when bought.
    pub image: Option<String>,
    /// Unit price when bought.
    pub unit_price: Money,
    /// Units.
    pub quantity: i32,
    /// Price × units.
    pub line_total: Money,
    /// Its share of the discounts.
    pub discount: Money,
    /// Tax on its discounted amount.
    pub tax: Money,
    /// The rate it was taxed at, in basis points.
    pub tax_rate_bps: i32,
}

/// The shipping method an order was charged for.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OrderShippingMethod {
    /// The method's id (it may since have been removed).
    pub id: Uuid,
    /// Its name then.
    pub name: String,
}

/// A timeline entry.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TimelineEntry {
    /// Status reached.
    pub status: OrderStatus,
    /// When.
    pub at: DateTime<Utc>,
    /// Why, when there is more to say.
    pub note: Option<String>,
    /// Who: `customer`, `guest`, `payment`, `fulfillment`, `system`, or
    /// `admin` and the admin's email (shown to staff only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// An admin's note, seen by staff only.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub internal: bool,
}

/// An order with its items and timeline.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OrderView {
    /// Id.
    pub id: Uuid,
    /// Public order number, for the customer and support.
    pub order_number: String,
    /// Order status.
    pub status: OrderStatus,
    /// Payment status.
    pub payment_status: PaymentStatus,
    /// How it is paid.
    #[schema(value_type = PaymentMethod)]
    pub payment_method: String,
    /// Lines bought.
    pub items: Vec<OrderItemView>,
    /// Sum of lines.
    pub subtotal: Money,
    /// Tax.
    pub tax: Money,
    /// Shipping.
    pub shipping: Money,
    /// Discount.
    pub discount: Money,
    /// Total charged.
    pub total: Money,
    /// Whether the prices included the tax (then `tax` is the part of them
    /// that is tax, not added on top).
    pub prices_include_tax: bool,
    /// Every pricing adjustment, explained.
    pub adjustments: Vec<AdjustmentView>,
    /// The shipping method charged.
    pub shipping_method: Option<OrderShippingMethod>,
    /// Where it goes.
    #[schema(value_type = gokart_domain::Address)]
    pub shipping_address: serde_json::Value,
    /// Who pays.
    #[schema(value_type = gokart_domain::Address)]
    pub billing_address: serde_json::Value,
    /// Carrier tracking number, once shipped.
    pub tracking_number: Option<String>,
    /// Expected delivery: from the shipping method's estimate at checkout,
    /// then the carrier's once shipped.
    pub estimated_delivery_date: Option<NaiveDate>,
    /// Every status it reached, oldest first (for staff, with who did it
    /// and their notes).
    pub timeline: Vec<TimelineEntry>,
    /// The carrier of an order shipped by hand.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carrier: Option<String>,
    /// Given back so far (refunds the payment provider has accepted).
    pub refunded: Money,
    /// Every refund, oldest first (for staff, with why and who).
    #[serde(default)]
    pub refunds: Vec<RefundView>,
    /// Placed at.
    pub created_at: DateTime<Utc>,
    /// Last changed at.
    pub updated_at: DateTime<Utc>,
    /// With Stripe, at checkout: what the browser confirms the payment with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    /// A guest's checkout only: the token that opens this order
    /// (`GET /api/v1/orders/lookup?token=`); the order emails carry it too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_token: Option<String>,
}

/// An order in a list, without items and timeline.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrderSummary {
    /// Id.
    pub id: Uuid,
    /// Public order number.
    pub order_number: String,
    /// Order status.
    pub status: OrderStatus,
    /// Payment status.
    pub payment_status: PaymentStatus,
    /// Total charged.
    pub total: Money,
    /// Customer (admins only; absent once the account is deleted).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<Uuid>,
    /// Placed at.
    pub created_at: DateTime<Utc>,
}

impl OrderSummary {
    /// The summary of `row`; `with_user` for admin lists.
    pub fn from_row(row: OrderRow, with_user: bool) -> Result<Self> {
        let currency = Currency::parse(&row.currency).unwrap_or(Currency::USD);
        Ok(OrderSummary {
            id: row.id,
            order_number: row.order_number,
            status: row.status,
            payment_status: row.payment_status,
            total: Money::new(row.total_amount, currency),
            user_id: row.user_id.filter(|_| with_user),
            created_at: row.created_at,
        })
    }
}

impl OrderView {
    /// The full view of an order with its `refunds`, as its customer sees
    /// it.
    pub fn new(whole: WholeOrder, refunds: Vec<RefundRow>) -> Result<Self> {
        Self::seen_by(whole, refunds, false)
    }

    /// The full view of an order with its `refunds`, as staff see it: with
    /// who did what, and their notes.
    pub fn for_staff(whole: WholeOrder, refunds: Vec<RefundRow>) -> Result<Self> {
        Self::seen_by(whole, refunds, true)
    }

    fn seen_by(
        (row, items, events): WholeOrder,
        refunds: Vec<RefundRow>,
        staff: bool,
    ) -> Result<Self> {
        let currency = Currency::parse(&row.currency).unwrap_or(Currency::USD);
        let money = |amount| Money::new(amount, currency);
        let refunded = refunds
            .iter()
            .filter(|refund| refund.status == RefundStatus::Succeeded)
            .map(|refund| refund.amount)
            .sum();
        Ok(OrderView {
            id: row.id,
            order_number: row.order_number,
            status: row.status,
            payment_status: row.payment_status,
            payment_method: row.payment_method,
            items: items
                .into_iter()
                .map(|item| OrderItemView {
                    id: item.id,
                    product_id: item.product_id,
                    variant_id: item.variant_id,
                    name: item.name,
                    sku: item.sku,
                    // Written by checkout as an object of strings.
                    options: serde_json::from_value(item.options).unwrap_or_default(),
                    image: item.image,
                    unit_price: money(item.unit_price_amount),
                    quantity: item.quantity,
                    line_total: money(item.line_total_amount),
                    discount: money(item.discount_amount),
                    tax: money(item.tax_amount),
                    tax_rate_bps: item.tax_rate_bps,
                })
                .collect(),
            subtotal: money(row.subtotal_amount),
            tax: money(row.tax_amount),
            shipping: money(row.shipping_amount),
            discount: money(row.discount_amount),
            total: money(row.total_amount),
            prices_include_tax: row.prices_include_tax,
            // Written by checkout from `AdjustmentView`s.
            adjustments: serde_json::from_value(row.adjustments).unwrap_or_default(),
            shipping_method: row
                .shipping_method_id
                .zip(row.shipping_method_name)
                .map(|(id, name)| OrderShippingMethod { id, name }),
            shipping_address: row.shipping_address,
            billing_address: row.billing_address,
            tracking_number: row.tracking_number,
            estimated_delivery_date: row.estimated_delivery_date,
            timeline: events
                .into_iter()
                .filter(|event| staff || !event.internal)
                .map(|event| TimelineEntry {
                    status: event.status,
                    at: event.created_at,
                    note: event.note,
                    actor: staff.then_some(event.actor),
                    internal: event.internal,
                })
                .collect(),
            carrier: row.carrier,
            refunded: money(refunded),
            refunds: refunds
                .into_iter()
                .map(|refund| RefundView::new(refund, currency, staff))
                .collect(),
            created_at: row.created_at,
            updated_at: row.updated_at,
            client_secret: None,
            order_token: None,
        })
    }
}
