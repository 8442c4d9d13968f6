//! `GET /api/v1/shop`: what a client needs to know about this shop before
//! it can take an order: its currency and how it takes payment.

use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use crate::extract::Json;
use crate::orders::view::PaymentMethod;
use crate::state::AppState;

/// The shop's public settings.
#[derive(Debug, Serialize, ToSchema)]
pub struct ShopView {
    /// The currency of every price, ISO 4217, lower-case.
    pub currency: String,
    /// The `payment_method` checkout takes.
    #[schema(value_type = PaymentMethod)]
    pub payment_method: &'static str,
    /// With `stripe`: the publishable key the browser's Stripe.js confirms
    /// payments with, when one is configured.
    pub stripe_publishable_key: Option<String>,
}

/// The shop's public settings.
#[utoipa::path(get, path = "/api/v1/shop", tag = "shop", operation_id = "get_shop", security(),
    responses((status = 200, description = "The shop's public settings", body = ShopView)))]
pub async fn show(State(state): State<AppState>) -> Json<ShopView> {
    let payments = &state.config.payments;
    Json(ShopView {
        currency: gokart_domain::Currency::USD.as_str().to_owned(),
        payment_method: payments.provider.method(),
        stripe_publishable_key: payments.card_key().map(str::to_owned),
    })
}
