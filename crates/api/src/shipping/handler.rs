//! HTTP for `/api/v1/cart/shipping-options`.

use axum::extract::State;
use gokart_domain::{Money, Violations};
use gokart_edge::http::ErrorEnvelope;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::cart::owner::CartOwner;
use crate::cart::service as cart;
use crate::error::Result;
use crate::extract::{Json, Query};
use crate::pricing::Destination;
use crate::schemas;
use crate::state::AppState;

/// Where the cart would go.
#[derive(Debug, Deserialize, IntoParams)]
pub struct DestinationQuery {
    /// ISO 3166-1 alpha-2 country code.
    #[param(value_type = schemas::CountryCode)]
    pub country: Option<String>,
    /// Its region (state or province), as addresses spell it.
    #[param(value_type = schemas::OptionalText<100>, required = false)]
    pub region: Option<String>,
}

/// A way the cart can be shipped there, priced for it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ShippingOption {
    /// The method's id (what checkout names).
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// What it costs for this cart (free over the method's threshold).
    pub price: Money,
    /// Fewest days to deliver.
    pub estimated_days_min: i32,
    /// Most days to deliver.
    pub estimated_days_max: i32,
}

/// The shipping methods that serve a destination, priced for the cart (by
/// its weight, and its subtotal after discounts, which the free-shipping
/// threshold is checked against; a free-shipping code makes them 0); methods that do not take a cart this heavy
/// are left out, and a destination no zone serves has none.
#[utoipa::path(get, path = "/api/v1/cart/shipping-options", tag = "cart",
    operation_id = "cart_shipping_options", security((), ("bearer" = [])),
    params(DestinationQuery),
    responses(
        (status = 200, description = "The options, in the zone's order", body = Vec<ShippingOption>),
        (status = 422, description = "The country is missing or not a country code", body = ErrorEnvelope),
    ))]
pub async fn options(
    State(state): State<AppState>,
    owner: CartOwner,
    Query(query): Query<DestinationQuery>,
) -> Result<Json<Vec<ShippingOption>>> {
    let mut v = Violations::new();
    let destination =
        Destination::from_query(query.country.as_deref(), query.region.as_deref(), &mut v);
    if destination.is_none() && v.is_empty() {
        v.add("country", "is required");
    }
    v.into_result()?;
    let Some(destination) = destination else { return Ok(Json(Vec::new())) };
    let (options, currency) = cart::shipping_options(&state, &owner, &destination).await?;
    Ok(Json(
        options
            .into_iter()
            .map(|(row, charge)| ShippingOption {
                id: row.id,
                name: row.name,
                price: Money::new(charge, currency),
                estimated_days_min: row.estimated_days_min,
                estimated_days_max: row.estimated_days_max,
            })
            .collect(),
    ))
}
