//! HTTP for `/api/v1/admin/tax-rates*`.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use gokart_domain::catalog::optional_text;
use gokart_domain::{Invalid, Violations};
use gokart_edge::http::ErrorEnvelope;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::AdminUser;
use crate::error::{Error, Result};
use crate::extract::{Json, Path};
use crate::page::Page;
use crate::schemas;
use crate::state::AppState;
use crate::tax::{self, TaxRateFields, TaxRateRow};

/// A tax rate: for a country, optionally one region of it, optionally one
/// tax class (the most specific rate for a line wins).
#[derive(Debug, Deserialize, ToSchema)]
pub struct TaxRateRequest {
    /// ISO 3166-1 alpha-2 country code.
    #[schema(value_type = schemas::CountryCode)]
    pub country: String,
    /// A region of the country, as addresses spell it (e.g. `CA`); none or
    /// empty: the whole country.
    #[schema(value_type = Option<schemas::OptionalText<100>>)]
    pub region: Option<String>,
    /// The tax class it is for (lower-case letters, digits and hyphens, e.g.
    /// `reduced`); none: every line without a rate of its own class.
    #[schema(pattern = "^[a-z0-9][a-z0-9-]{0,49}$")]
    pub tax_class: Option<String>,
    /// Rate in basis points: 825 is 8.25%.
    #[schema(minimum = 0, maximum = 10000)]
    pub rate_bps: i64,
    /// Prices shown to this destination already include the tax.
    #[serde(default)]
    pub inclusive: bool,
}

/// Checks a tax class's shape.
pub fn tax_class(raw: &str) -> std::result::Result<String, Invalid> {
    let class = raw.trim();
    let shaped = (1..=50).contains(&class.len())
        && class.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !class.starts_with('-');
    if shaped {
        Ok(class.to_owned())
    } else {
        Err(Invalid::new("must be 1 to 50 lower-case letters, digits or hyphens, like `reduced`"))
    }
}

impl TaxRateRequest {
    fn validate(&self) -> std::result::Result<TaxRateFields, Violations> {
        let mut v = Violations::new();
        let country = v.check("country", gokart_domain::address::country(&self.country));
        let region = self
            .region
            .as_deref()
            .and_then(|raw| v.check("region", optional_text(raw, 100)))
            .filter(|region| !region.is_empty());
        let tax_class =
            self.tax_class.as_deref().and_then(|raw| v.check("tax_class", tax_class(raw)));
        let rate_bps = i32::try_from(self.rate_bps).ok().filter(|bps| (0..=10_000).contains(bps));
        if rate_bps.is_none() {
            v.add("rate_bps", "must be between 0 and 10000 (basis points: 825 is 8.25%)");
        }
        match (country, rate_bps) {
            (Some(country), Some(rate_bps)) if v.is_empty() => Ok(TaxRateFields {
                country,
                region,
                tax_class,
                rate_bps,
                inclusive: self.inclusive,
            }),
            _ => Err(v),
        }
    }
}

/// A tax rate as admins see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaxRateView {
    /// Id.
    pub id: Uuid,
    /// ISO 3166-1 alpha-2 country code.
    pub country: String,
    /// Its region, if it is for one.
    pub region: Option<String>,
    /// Its tax class, if it is for one.
    pub tax_class: Option<String>,
    /// Basis points.
    pub rate_bps: i32,
    /// Prices include it.
    pub inclusive: bool,
    /// Added at.
    pub created_at: DateTime<Utc>,
    /// Last changed at.
    pub updated_at: DateTime<Utc>,
}

impl From<TaxRateRow> for TaxRateView {
    fn from(row: TaxRateRow) -> Self {
        TaxRateView {
            id: row.id,
            country: row.country,
            region: row.region,
            tax_class: row.tax_class,
            rate_bps: row.rate_bps,
            inclusive: row.inclusive,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// Every tax rate, by country, region and class.
#[utoipa::path(get, path = "/api/v1/admin/tax-rates", tag = "admin",
    operation_id = "admin_list_tax_rates", security(("bearer" = [])),
    responses(
        (status = 200, description = "Every rate", body = Page<TaxRateView>),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not an admin", body = ErrorEnvelope),
    ))]
pub async fn list(
    State(state): State<AppState>,
    _admin: AdminUser,
) -> Result<Json<Page<TaxRateView>>> {
    let rates = tax::list(&state.db).await?;
    Ok(Json(Page::whole(rates.into_iter().map(TaxRateView::from).collect())))
}

/// Add a tax rate.
#[utoipa::path(post, path = "/api/v1/admin/tax-rates", tag = "admin",
    operation_id = "admin_create_tax_rate", security(("bearer" = [])),
    request_body = TaxRateRequest,
    responses(
        (status = 201, description = "Created", body = TaxRateView),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not an admin", body = ErrorEnvelope),
        (status = 409, description = "A rate for this scope exists (`tax_rate_exists`)", body = ErrorEnvelope),
        (status = 422, description = "A field is invalid", body = ErrorEnvelope),
    ))]
pub async fn create(
    State(state): State<AppState>,
    _admin: AdminUser,
    Json(body): Json<TaxRateRequest>,
) -> Result<(StatusCode, Json<TaxRateView>)> {
    let row = tax::insert(&state.db, &body.validate()?).await?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

/// Replace a tax rate's fields.
#[utoipa::path(put, path = "/api/v1/admin/tax-rates/{id}", tag = "admin",
    operation_id = "admin_update_tax_rate", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Tax rate id")),
    request_body = TaxRateRequest,
    responses(
        (status = 200, description = "Updated", body = TaxRateView),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not an admin", body = ErrorEnvelope),
        (status = 404, description = "No such rate", body = ErrorEnvelope),
        (status = 409, description = "Another rate has this scope", body = ErrorEnvelope),
        (status = 422, description = "A field is invalid", body = ErrorEnvelope),
    ))]
pub async fn update(
    State(state): State<AppState>,
    _admin: AdminUser,
    Path(id): Path<Uuid>,
    Json(body): Json<TaxRateRequest>,
) -> Result<Json<TaxRateView>> {
    let fields = body.validate()?;
    let row = tax::update(&state.db, id, &fields).await?.ok_or(Error::NotFound("tax rate"))?;
    Ok(Json(row.into()))
}

/// Delete a tax rate.
#[utoipa::path(delete, path = "/api/v1/admin/tax-rates/{id}", tag = "admin",
    operation_id = "admin_delete_tax_rate", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Tax rate id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not an admin", body = ErrorEnvelope),
        (status = 404, description = "No such rate", body = ErrorEnvelope),
    ))]
pub async fn delete(
    State(state): State<AppState>,
    _admin: AdminUser,
    Path(id): Path<Uuid>,
) -> Result<StatusCode> {
    if !tax::delete(&state.db, id).await? {
        return Err(Error::NotFound("tax rate"));
    }
    Ok(StatusCode::NO_CONTENT)
}
