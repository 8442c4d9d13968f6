//! Address book use cases. Changes to one user's book are serialised by
//! locking the user's row, so the 20-address cap and the single defaults
//! hold under concurrent requests.

use gokart_domain::Address;
use uuid::Uuid;

use super::repository::{self, AddressRow};
use crate::error::{Error, Result};
use crate::state::AppState;
use crate::users::repository as users;

/// Most addresses one user may keep.
pub const MAX_ADDRESSES: i64 = 20;

/// Which defaults an address becomes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Defaults {
    /// Default shipping address.
    pub shipping: bool,
    /// Default billing address.
    pub billing: bool,
}

/// Adds an address, making it a default where asked.
#[tracing::instrument(skip_all, fields(user = %user))]
pub async fn create(
    state: &AppState,
    user: Uuid,
    address: &Address,
    defaults: Defaults,
) -> Result<AddressRow> {
    let mut tx = state.db.begin().await?;
    users::lock(&mut *tx, user).await?.ok_or(Error::NotFound("user"))?;
    if repository::count(&mut *tx, user).await? >= MAX_ADDRESSES {
        return Err(Error::conflict(
            "address_limit",
            format!("an address book holds at most {MAX_ADDRESSES} addresses"),
        ));
    }
    repository::clear_defaults(&mut *tx, user, defaults.shipping, defaults.billing).await?;
    let row =
        repository::insert(&mut *tx, user, address, defaults.shipping, defaults.billing).await?;
    tx.commit().await?;
    Ok(row)
}

/// Replaces an address's fields.
pub async fn update(
    state: &AppState,
    user: Uuid,
    id: Uuid,
    address: &Address,
) -> Result<AddressRow> {
    repository::update(&state.db, user, id, address).await?.ok_or(Error::NotFound("address"))
}

/// Makes an address the default of the given kinds.
#[tracing::instrument(skip_all, fields(user = %user))]
pub async fn set_default(
    state: &AppState,
    user: Uuid,
    id: Uuid,
    defaults: Defaults,
) -> Result<AddressRow> {
    let mut tx = state.db.begin().await?;
    users::lock(&mut *tx, user).await?.ok_or(Error::NotFound("user"))?;
    repository::find(&mut *tx, user, id).await?.ok_or(Error::NotFound("address"))?;
    repository::clear_defaults(&mut *tx, user, defaults.shipping, defaults.billing).await?;
    let row = repository::set_defaults(&mut *tx, user, id, defaults.shipping, defaults.billing)
        .await?
        .ok_or(Error::NotFound("address"))?;
    tx.commit().await?;
    Ok(row)
}

/// The user's address book.
pub async fn list(state: &AppState, user: Uuid) -> Result<Vec<AddressRow>> {
    repository::list(&state.db, user).await
}

/// One of the user's addresses.
pub async fn find(state: &AppState, user: Uuid, id: Uuid) -> Result<AddressRow> {
    repository::find(&state.db, user, id).await?.ok_or(Error::NotFound("address"))
}

/// Deletes one of the user's addresses.
pub async fn delete(state: &AppState, user: Uuid, id: Uuid) -> Result<()> {
    if repository::delete(&state.db, user, id).await? {
        Ok(())
    } else {
        Err(Error::NotFound("address"))
    }
}
