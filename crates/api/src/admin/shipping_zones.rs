//! HTTP for `/api/v1/admin/shipping-zones*`.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use gokart_domain::catalog::required_text;
use gokart_domain::{MAX_PRICE, Violations};
use gokart_edge::http::ErrorEnvelope;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::AdminUser;
use crate::error::{Error, Result};
use crate::extract::{Json, Path};
use crate::page::Page;
use crate::schemas;
use crate::shipping::{self, Band, MethodFields, Zone, ZoneFields};
use crate::state::AppState;

/// The most methods a zone offers.
const MAX_METHODS: usize = 20;

/// A shipping zone and its methods (which replace the current ones).
#[derive(Debug, Deserialize, ToSchema)]
pub struct ShippingZoneRequest {
    /// Name, 1 to 100 characters.
    #[schema(value_type = schemas::RequiredText<100>)]
    pub name: String,
    /// The countries it serves (ISO 3166-1 alpha-2).
    #[schema(value_type = Vec<schemas::CountryCode>, min_items = 1, max_items = 250)]
    pub countries: Vec<String>,
    /// Only these regions of them (as addresses spell them); none: all.
    #[schema(value_type = Option<Vec<schemas::RequiredText<100>>>, max_items = 100)]
    pub regions: Option<Vec<String>>,
    /// Its methods, in the order shoppers see them (at most 20).
    #[schema(max_items = 20)]
    pub methods: Vec<ShippingMethodRequest>,
}

/// A shipping method of a zone.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ShippingMethodRequest {
    /// Give it back to keep the method (and its id).
    #[schema(value_type = Option<Uuid>)]
    pub id: Option<String>,
    /// Name, e.g. `Standard`.
    #[schema(value_type = schemas::RequiredText<100>)]
    pub name: String,
    /// Price in minor units of the shop's currency.
    #[schema(minimum = 0, maximum = 10_000_000_000_i64)]
    pub price: i64,
    /// Free from this subtotal (after discounts), in minor units.
    #[schema(minimum = 0, maximum = 10_000_000_000_i64)]
    pub free_over: Option<i64>,
    /// Prices by cart weight instead of `price`, lightest first.
    #[schema(max_items = 20)]
    pub weight_bands: Option<Vec<Band>>,
    /// Fewest days to deliver.
    #[schema(minimum = 0, maximum = 365)]
    pub estimated_days_min: i64,
    /// Most days to deliver (at least the fewest).
    #[schema(minimum = 0, maximum = 365)]
    pub estimated_days_max: i64,
}

fn amount(v: &mut Violations, field: &str, raw: i64) -> Option<i64> {
    if (0..=MAX_PRICE).contains(&raw) {
        Some(raw)
    } else {
        v.add(field, format!("must be between 0 and {MAX_PRICE} minor units"));
        None
    }
}

fn days(v: &mut Violations, field: &str, raw: i64) -> Option<i32> {
    let days = i32::try_from(raw).ok().filter(|d| (0..=365).contains(d));
    if days.is_none() {
        v.add(field, "must be between 0 and 365 days");
    }
    days
}

impl ShippingMethodRequest {
    fn validate(&self, v: &mut Violations, at: &str) -> Option<MethodFields> {
        let field = |name: &str| format!("{at}.{name}");
        let id = match self.id.as_deref().map(|raw| Uuid::parse_str(raw.trim())) {
            None => None,
            Some(Ok(id)) => Some(id),
            Some(Err(_)) => {
                v.add(field("id"), "no such method in this zone");
                None
            }
        };
        let name = v.check(&field("name"), required_text(&self.name, 100));
        let price = amount(v, &field("price"), self.price);
        let free_over = self.free_over.map(|raw| amount(v, &field("free_over"), raw));
        let bands = self.weight_bands.clone().unwrap_or_default();
        let ascending = bands.windows(2).all(|pair| pair[0].up_to_grams < pair[1].up_to_grams);
        let sane = bands.iter().all(|b| b.up_to_grams > 0 && (0..=MAX_PRICE).contains(&b.price));
        if bands.len() > 20 || !ascending || !sane {
            v.add(
                field("weight_bands"),
                "at most 20 bands, heavier each time, prices of 0 or more",
            );
        }
        let min = days(v, &field("estimated_days_min"), self.estimated_days_min);
        let max = days(v, &field("estimated_days_max"), self.estimated_days_max);
        if let (Some(min), Some(max)) = (min, max)
            && max < min
        {
            v.add(field("estimated_days_max"), "must be at least estimated_days_min");
        }
        Some(MethodFields {
            id,
            name: name?,
            price: price?,
            free_over: free_over.flatten(),
            weight_bands: bands,
            estimated_days_min: min?,
            estimated_days_max: max?,
        })
    }
}

impl ShippingZoneRequest {
    fn validate(&self) -> std::result::Result<ZoneFields, Violations> {
        let mut v = Violations::new();
        let name = v.check("name", required_text(&self.name, 100));
        let mut countries = Vec::new();
        for raw in &self.countries {
            if let Some(code) = v.check("countries", gokart_domain::address::country(raw))
                && !countries.contains(&code)
            {
                countries.push(code);
            }
        }
        if self.countries.is_empty() || self.countries.len() > 250 {
            v.add("countries", "name 1 to 250 countries");
        }
        let mut regions = Vec::new();
        for raw in self.regions.iter().flatten() {
            if let Some(region) = v.check("regions", required_text(raw, 100))
                && !regions.contains(&region)
            {
                regions.push(region);
            }
        }
        if regions.len() > 100 {
            v.add("regions", "at most 100 regions");
        }
        if self.methods.len() > MAX_METHODS {
            v.add("methods", format!("at most {MAX_METHODS} methods"));
        }
        let methods: Vec<Option<MethodFields>> = self
            .methods
            .iter()
            .enumerate()
            .map(|(i, method)| method.validate(&mut v, &format!("methods[{i}]")))
            .collect();
        match (name, methods.into_iter().collect::<Option<Vec<_>>>()) {
            (Some(name), Some(methods)) if v.is_empty() => {
                Ok(ZoneFields { name, countries, regions, methods })
            }
            _ => Err(v),
        }
    }
}

/// A shipping method as admins see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ShippingMethodView {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Price in minor units.
    pub price: i64,
    /// Free from this subtotal.
    pub free_over: Option<i64>,
    /// Prices by weight.
    pub weight_bands: Vec<Band>,
    /// Fewest days to deliver.
    pub estimated_days_min: i32,
    /// Most days to deliver.
    pub estimated_days_max: i32,
}

/// A shipping zone as admins see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ShippingZoneView {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Countries.
    pub countries: Vec<String>,
    /// Regions it is limited to.
    pub regions: Vec<String>,
    /// Methods, in order.
    pub methods: Vec<ShippingMethodView>,
    /// Added at.
    pub created_at: DateTime<Utc>,
    /// Last changed at.
    pub updated_at: DateTime<Utc>,
}

impl From<Zone> for ShippingZoneView {
    fn from(Zone { row, methods }: Zone) -> Self {
        ShippingZoneView {
            id: row.id,
            name: row.name,
            countries: row.countries,
            regions: row.regions,
            methods: methods
                .into_iter()
                .map(|m| ShippingMethodView {
                    id: m.id,
                    name: m.name,
                    price: m.price,
                    free_over: m.free_over,
                    weight_bands: m.weight_bands.0,
                    estimated_days_min: m.estimated_days_min,
                    estimated_days_max: m.estimated_days_max,
                })
                .collect(),
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

async fn saved(state: &AppState, id: Uuid, fields: &ZoneFields, creating: bool) -> Result<Zone> {
    let mut tx = state.db.begin().await?;
    if !shipping::save(&mut tx, id, fields, creating).await? {
        return Err(Error::NotFound("shipping zone"));
    }
    let zone = shipping::zone(&mut tx, id).await?.ok_or(Error::NotFound("shipping zone"))?;
    tx.commit().await?;
    Ok(zone)
}

/// Every shipping zone with its methods.
#[utoipa::path(get, path = "/api/v1/admin/shipping-zones", tag = "admin",
    operation_id = "admin_list_shipping_zones", security(("bearer" = [])),
    responses(
        (status = 200, description = "Every zone", body = Page<ShippingZoneView>),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not an admin", body = ErrorEnvelope),
    ))]
pub async fn list(
    State(state): State<AppState>,
    _admin: AdminUser,
) -> Result<Json<Page<ShippingZoneView>>> {
    let mut db = state.db.acquire().await?;
    let zones = shipping::zones(&mut db).await?;
    Ok(Json(Page::whole(zones.into_iter().map(ShippingZoneView::from).collect())))
}

/// Add a shipping zone with its methods.
#[utoipa::path(post, path = "/api/v1/admin/shipping-zones", tag = "admin",
    operation_id = "admin_create_shipping_zone", security(("bearer" = [])),
    request_body = ShippingZoneRequest,
    responses(
        (status = 201, description = "Created", body = ShippingZoneView),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not an admin", body = ErrorEnvelope),
        (status = 422, description = "A field is invalid", body = ErrorEnvelope),
    ))]
pub async fn create(
    State(state): State<AppState>,
    _admin: AdminUser,
    Json(body): Json<ShippingZoneRequest>,
) -> Result<(StatusCode, Json<ShippingZoneView>)> {
    let zone = saved(&state, Uuid::now_v7(), &body.validate()?, true).await?;
    Ok((StatusCode::CREATED, Json(zone.into())))
}

/// Replace a shipping zone and its methods (a method given with its id is
/// kept under that id).
#[utoipa::path(put, path = "/api/v1/admin/shipping-zones/{id}", tag = "admin",
    operation_id = "admin_update_shipping_zone", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Shipping zone id")),
    request_body = ShippingZoneRequest,
    responses(
        (status = 200, description = "Updated", body = ShippingZoneView),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not an admin", body = ErrorEnvelope),
        (status = 404, description = "No such zone", body = ErrorEnvelope),
        (status = 422, description = "A field is invalid", body = ErrorEnvelope),
    ))]
pub async fn update(
    State(state): State<AppState>,
    _admin: AdminUser,
    Path(id): Path<Uuid>,
    Json(body): Json<ShippingZoneRequest>,
) -> Result<Json<ShippingZoneView>> {
    Ok(Json(saved(&state, id, &body.validate()?, false).await?.into()))
}

/// Delete a shipping zone and its methods.
#[utoipa::path(delete, path = "/api/v1/admin/shipping-zones/{id}", tag = "admin",
    operation_id = "admin_delete_shipping_zone", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Shipping zone id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not an admin", body = ErrorEnvelope),
        (status = 404, description = "No such zone", body = ErrorEnvelope),
    ))]
pub async fn delete(
    State(state): State<AppState>,
    _admin: AdminUser,
    Path(id): Path<Uuid>,
) -> Result<StatusCode> {
    if !shipping::delete(&state.db, id).await? {
        return Err(Error::NotFound("shipping zone"));
    }
    Ok(StatusCode::NO_CONTENT)
}
