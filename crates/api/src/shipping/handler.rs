//! HTTP for `/api/v1/cart/shipping-options`.

use axum::extract::State;
use gokart_domain::catalog::optional_text;
use gokart_domain::pricing::{self, Line, ShippingMethod};
use gokart_domain::{Currency, Money, Violations};
use gokart_edge::http::ErrorEnvelope;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::cart::owner::CartOwner;
use crate::cart::service as cart;
use crate::error::Result;
use crate::extract::{Json, Query};
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
/// its weight and subtotal); methods that do not take a cart this heavy
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
    let country = v.check(
        "country",
        gokart_domain::address::country(query.country.as_deref().unwrap_or_default()),
    );
    let region = query
        .region
        .as_deref()
        .and_then(|raw| v.check("region", optional_text(raw, 100)))
        .filter(|region| !region.is_empty());
    v.into_result()?;
    let Some(country) = country else { return Ok(Json(Vec::new())) };

    let lines = cart::view(&state, &owner).await?;
    let priced: Vec<Line> = lines
        .iter()
        .filter(|line| line.on_sale)
        .map(|line| Line {
            variant: line.variant_id,
            product: line.product_id,
            category: None,
            collections: Vec::new(),
            tax_class: None,
            unit_price: line.price_amount,
            quantity: i64::from(line.quantity),
            weight_grams: line.weight_grams.map(i64::from),
        })
        .collect();
    let merchandise: i64 = priced.iter().map(|l| l.unit_price.saturating_mul(l.quantity)).sum();
    let currency = lines
        .first()
        .and_then(|line| Currency::parse(&line.currency).ok())
        .unwrap_or(Currency::USD);

    let mut db = state.db.acquire().await?;
    let zones = crate::shipping::zones(&mut db).await?;
    let destinations: Vec<pricing::Zone> =
        zones.iter().map(|zone| pricing::Zone::from(&zone.row)).collect();
    let serving = pricing::zone_for(&destinations, &country, region.as_deref()).map(|z| z.id);
    let Some(zone) = zones.iter().find(|zone| Some(zone.row.id) == serving) else {
        return Ok(Json(Vec::new()));
    };
    let options = zone
        .methods
        .iter()
        .filter_map(|row| {
            let method = ShippingMethod::from(row);
            let charge = pricing::shipping_charge(&method, &priced, merchandise).ok()?;
            Some(ShippingOption {
                id: row.id,
                name: row.name.clone(),
                price: Money::new(charge, currency),
                estimated_days_min: row.estimated_days_min,
                estimated_days_max: row.estimated_days_max,
            })
        })
        .collect();
    Ok(Json(options))
}
