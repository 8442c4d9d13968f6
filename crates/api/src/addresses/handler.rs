//! HTTP for `/api/v1/addresses*`.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use gokart_domain::{Address, RawAddress, Violations};
use gokart_edge::http::ErrorEnvelope;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::repository::AddressRow;
use super::service::{self, Defaults};
use crate::auth::AuthUser;
use crate::error::{Error, Result};
use crate::extract::{Json, Path};
use crate::page::Page;
use crate::schemas;
use crate::state::AppState;

/// An address in the caller's book.
#[derive(Debug, Serialize, ToSchema)]
pub struct AddressView {
    /// Id.
    pub id: Uuid,
    /// The postal address.
    #[serde(flatten)]
    pub address: Address,
    /// The default shipping address.
    pub is_default_shipping: bool,
    /// The default billing address.
    pub is_default_billing: bool,
    /// Added at.
    pub created_at: DateTime<Utc>,
}

impl From<AddressRow> for AddressView {
    fn from(row: AddressRow) -> Self {
        AddressView {
            id: row.id,
            address: Address::from(&row),
            is_default_shipping: row.is_default_shipping,
            is_default_billing: row.is_default_billing,
            created_at: row.created_at,
        }
    }
}

/// An address to add, or its new fields.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AddressRequest {
    /// The address.
    #[serde(flatten)]
    pub fields: AddressFields,
    /// Make it the default shipping address (on creation).
    #[serde(default)]
    pub is_default_shipping: bool,
    /// Make it the default billing address (on creation).
    #[serde(default)]
    pub is_default_billing: bool,
}

/// A postal address as received: the address book's fields, and a guest
/// checkout's addresses.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct AddressFields {
    /// Recipient.
    #[serde(default)]
    #[schema(value_type = schemas::RequiredText<100>, required = true)]
    pub name: String,
    /// Phone number.
    #[serde(default)]
    #[schema(value_type = schemas::Phone, required = true)]
    pub phone: String,
    /// Street and number.
    #[serde(default)]
    #[schema(value_type = schemas::RequiredText<200>, required = true)]
    pub street1: String,
    /// Apartment, suite, building; empty is none.
    #[schema(value_type = Option<schemas::OptionalText<200>>)]
    pub street2: Option<String>,
    /// City.
    #[serde(default)]
    #[schema(value_type = schemas::RequiredText<100>, required = true)]
    pub city: String,
    /// State, province or region; empty is none.
    #[schema(value_type = Option<schemas::OptionalText<100>>)]
    pub state: Option<String>,
    /// Postal code.
    #[serde(default)]
    #[schema(value_type = schemas::PostalCode, required = true)]
    pub postal_code: String,
    /// ISO 3166-1 alpha-2 country code.
    #[serde(default)]
    #[schema(value_type = schemas::CountryCode, required = true)]
    pub country: String,
}

impl AddressFields {
    /// The address fields as received, for [`Address::parse`].
    pub fn as_raw(&self) -> RawAddress<'_> {
        RawAddress {
            name: &self.name,
            phone: &self.phone,
            street1: &self.street1,
            street2: self.street2.as_deref(),
            city: &self.city,
            state: self.state.as_deref(),
            postal_code: &self.postal_code,
            country: &self.country,
        }
    }

    /// The address, or every bad field named.
    pub fn validate(&self) -> Result<Address, Violations> {
        Address::parse(self.as_raw())
    }
}

/// Which default to set.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SetDefaultRequest {
    /// `shipping`, `billing` or `both`.
    #[serde(rename = "type")]
    #[schema(value_type = DefaultKind)]
    pub kind: String,
}

// The document's name for the set-default `type`, which `set_default`
// reads as a string and matches.
/// Which default an address becomes.
#[derive(Debug, Clone, Copy, ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum DefaultKind {
    /// The default shipping address.
    Shipping,
    /// The default billing address.
    Billing,
    /// Both defaults.
    Both,
}

/// The caller's addresses, oldest first.
#[utoipa::path(get, path = "/api/v1/addresses", tag = "addresses", operation_id = "list_addresses",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The address book", body = Page<AddressView>),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
    ))]
pub async fn list(
    State(state): State<AppState>,
    user: AuthUser,
) -> Result<Json<Page<AddressView>>> {
    let rows = service::list(&state, user.id).await?;
    Ok(Json(Page::whole(rows.into_iter().map(AddressView::from).collect())))
}

/// Add an address (at most 20).
#[utoipa::path(post, path = "/api/v1/addresses", tag = "addresses", operation_id = "create_address",
    security(("bearer" = [])),
    request_body = AddressRequest,
    responses(
        (status = 201, description = "Added", body = AddressView),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 409, description = "The book already holds 20 addresses", body = ErrorEnvelope),
        (status = 422, description = "A field is invalid", body = ErrorEnvelope),
    ))]
pub async fn create(
    State(state): State<AppState>,
    user: AuthUser,
    Json(body): Json<AddressRequest>,
) -> Result<(StatusCode, Json<AddressView>)> {
    let address = body.fields.validate()?;
    let defaults =
        Defaults { shipping: body.is_default_shipping, billing: body.is_default_billing };
    let row = service::create(&state, user.id, &address, defaults).await?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

/// One of the caller's addresses.
#[utoipa::path(get, path = "/api/v1/addresses/{id}", tag = "addresses", operation_id = "get_address",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Address id")),
    responses(
        (status = 200, description = "The address", body = AddressView),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 404, description = "No such address of yours", body = ErrorEnvelope),
    ))]
pub async fn get(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
) -> Result<Json<AddressView>> {
    Ok(Json(service::find(&state, user.id, id).await?.into()))
}

/// Replace an address's fields.
#[utoipa::path(put, path = "/api/v1/addresses/{id}", tag = "addresses", operation_id = "update_address",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Address id")),
    request_body = AddressRequest,
    responses(
        (status = 200, description = "Updated", body = AddressView),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 404, description = "No such address of yours", body = ErrorEnvelope),
        (status = 422, description = "A field is invalid", body = ErrorEnvelope),
    ))]
pub async fn update(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    Json(body): Json<AddressRequest>,
) -> Result<Json<AddressView>> {
    let address = body.fields.validate()?;
    Ok(Json(service::update(&state, user.id, id, &address).await?.into()))
}

/// Delete an address.
#[utoipa::path(delete, path = "/api/v1/addresses/{id}", tag = "addresses", operation_id = "delete_address",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Address id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 404, description = "No such address of yours", body = ErrorEnvelope),
    ))]
pub async fn delete(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
) -> Result<StatusCode> {
    service::delete(&state, user.id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Make an address the default for shipping, billing or both.
#[utoipa::path(put, path = "/api/v1/addresses/{id}/set-default", tag = "addresses",
    operation_id = "set_default_address", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Address id")),
    request_body = SetDefaultRequest,
    responses(
        (status = 200, description = "The address, now a default", body = AddressView),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 404, description = "No such address of yours", body = ErrorEnvelope),
        (status = 422, description = "Unknown type", body = ErrorEnvelope),
    ))]
pub async fn set_default(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    Json(body): Json<SetDefaultRequest>,
) -> Result<Json<AddressView>> {
    let defaults = match body.kind.as_str() {
        "shipping" => Defaults { shipping: true, billing: false },
        "billing" => Defaults { shipping: false, billing: true },
        "both" => Defaults { shipping: true, billing: true },
        _ => return Err(Error::invalid("type", "must be shipping, billing or both")),
    };
    Ok(Json(service::set_default(&state, user.id, id, defaults).await?.into()))
}
