//! Collection use cases: browsing for anyone, upkeep for admins.

use std::sync::Arc;

use gokart_domain::PageRequest;
use uuid::Uuid;

use super::repository::{self, CollectionRow, CollectionValues};
use crate::catalog;
use crate::catalog::cache::Shelved;
use crate::error::{Error, Result};
use crate::state::AppState;

/// The most products one collection lists.
pub const MAX_PRODUCTS: usize = 500;

/// A page of collections and how many there are.
pub async fn list(state: &AppState, page: PageRequest) -> Result<(Vec<CollectionRow>, i64)> {
    let total = repository::count(&state.db).await?;
    let rows = repository::list(&state.db, page.limit(), page.offset()).await?;
    Ok((rows, total))
}

/// A collection by handle with a page of its products shoppers can see
/// (their variants on sale), and how many there are.
pub async fn show(
    state: &AppState,
    handle: &str,
    page: PageRequest,
) -> Result<(CollectionRow, Vec<Arc<Shelved>>, i64)> {
    let collection =
        repository::by_handle(&state.db, handle).await?.ok_or(Error::NotFound("collection"))?;
    let total = repository::visible_count(&state.db, collection.id).await?;
    let rows =
        repository::visible_products(&state.db, collection.id, page.limit(), page.offset()).await?;
    Ok((collection, catalog::service::shelved_rows(state, rows).await?, total))
}

/// Collection changes from an admin; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct CollectionChanges {
    /// URL handle.
    pub handle: Option<String>,
    /// Title.
    pub title: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// The products, in order, replacing the current list.
    pub product_ids: Option<Vec<Uuid>>,
}

/// A collection as admins keep it: with every product it lists.
#[derive(Debug, Clone)]
pub struct Kept {
    /// The collection.
    pub row: CollectionRow,
    /// Its products (not deleted), in order.
    pub product_ids: Vec<Uuid>,
}

/// Creates a collection (handle and title required).
pub async fn create(state: &AppState, changes: CollectionChanges) -> Result<Kept> {
    let (Some(handle), Some(title)) = (changes.handle.clone(), changes.title.clone()) else {
        return Err(Error::invalid("title", "is required"));
    };
    let values =
        CollectionValues { handle, title, description: changes.description.unwrap_or_default() };
    let mut tx = state.db.begin().await?;
    let id = repository::insert(&mut *tx, &values).await?;
    if let Some(products) = &changes.product_ids {
        set_products(&mut tx, id, products).await?;
    }
    let kept = kept(&mut tx, id).await?;
    tx.commit().await?;
    Ok(kept)
}

/// Changes collection `id`.
pub async fn update(state: &AppState, id: Uuid, changes: CollectionChanges) -> Result<Kept> {
    let mut tx = state.db.begin().await?;
    let current = repository::lock(&mut *tx, id).await?.ok_or(Error::NotFound("collection"))?;
    let values = CollectionValues {
        handle: changes.handle.unwrap_or(current.handle),
        title: changes.title.unwrap_or(current.title),
        description: changes.description.unwrap_or(current.description),
    };
    repository::update(&mut *tx, id, &values).await?;
    if let Some(products) = &changes.product_ids {
        set_products(&mut tx, id, products).await?;
    }
    let kept = kept(&mut tx, id).await?;
    tx.commit().await?;
    Ok(kept)
}

/// Deletes collection `id`; its products stay.
pub async fn delete(state: &AppState, id: Uuid) -> Result<()> {
    if repository::delete(&state.db, id).await? {
        Ok(())
    } else {
        Err(Error::NotFound("collection"))
    }
}

async fn set_products(tx: &mut sqlx::PgConnection, id: Uuid, products: &[Uuid]) -> Result<()> {
    let existing = repository::existing_products(&mut *tx, products).await?;
    if let Some(missing) = products.iter().find(|p| !existing.contains(p)) {
        return Err(Error::invalid("product_ids", &format!("no such product: {missing}")));
    }
    repository::set_products(tx, id, products).await
}

async fn kept(tx: &mut sqlx::PgConnection, id: Uuid) -> Result<Kept> {
    let row = repository::lock(&mut *tx, id).await?.ok_or(Error::NotFound("collection"))?;
    let product_ids = repository::product_ids(&mut *tx, id).await?;
    Ok(Kept { row, product_ids })
}
