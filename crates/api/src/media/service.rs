//! Adding, changing and removing product photos.
//!
//! An upload is checked and converted before anything is written, stored
//! next, and recorded last, under the product's lock: a file that fails any
//! check leaves nothing behind, and objects whose record could not be
//! written are removed again.

use std::sync::Arc;

use uuid::Uuid;

pub use super::library::{Media, OwnedClaims};
use super::process;
use super::repository::{self, MediaRow, NewMedia};
use super::{MediaEntry, original_key, rendition_key};
use crate::catalog::repository::products;
use crate::error::{Error, Result};
use crate::state::AppState;

/// The most photos a product may have.
pub const MAX_PER_PRODUCT: i64 = 50;
/// The longest text alternative, in characters.
pub const MAX_ALT_CHARS: usize = 500;

/// An uploaded file and its text alternative.
#[derive(Debug)]
pub struct Upload {
    /// The file's bytes.
    pub bytes: Arc<[u8]>,
    /// What the client said about it.
    pub claims: OwnedClaims,
    /// Text alternative.
    pub alt: String,
}

/// Changes to a photo; absent fields stay as they are.
#[derive(Debug, Default)]
pub struct MediaChanges {
    /// New text alternative.
    pub alt: Option<String>,
    /// New place among the product's photos, from 0 (past the end: last).
    pub position: Option<usize>,
    /// Exactly the variants it shows.
    pub variant_ids: Option<Vec<Uuid>>,
}

/// A photo and the product it belongs to, as stored after a change.
#[derive(Debug)]
pub struct Stored {
    /// The product.
    pub product: Uuid,
    /// The photo.
    pub entry: MediaEntry,
}

async fn stored(db: &mut sqlx::PgConnection, product: Uuid, media: Uuid) -> Result<Stored> {
    let listed = products::media_of(db, product).await?;
    let entry =
        listed.into_iter().find(|entry| entry.id == media).ok_or(Error::NotFound("media"))?;
    Ok(Stored { product, entry })
}

/// Adds a photo to `product`.
pub async fn upload(state: &AppState, product: Uuid, upload: Upload) -> Result<Stored> {
    // Cheap refusals first, before any conversion.
    if !products::exists(&state.db, product).await? {
        return Err(Error::NotFound("product"));
    }
    if repository::count(&state.db, product).await? >= MAX_PER_PRODUCT {
        return Err(too_many());
    }
    let prepared = state.media.prepare(upload.bytes, upload.claims).await?;
    let id = Uuid::now_v7();
    let (format, width, height) = (prepared.format, prepared.width, prepared.height);
    let widths: Vec<i32> =
        prepared.renditions.iter().filter_map(|(w, _)| i32::try_from(*w).ok()).collect();
    let keys = state.media.put(product, id, prepared).await?;
    let recorded = async {
        let mut tx = state.db.begin().await?;
        if products::lock_row(&mut *tx, product).await?.is_none() {
            return Err(Error::NotFound("product"));
        }
        if repository::count(&mut *tx, product).await? >= MAX_PER_PRODUCT {
            return Err(too_many());
        }
        let new = NewMedia {
            id,
            product_id: product,
            alt: &upload.alt,
            format: format.as_str(),
            width: i32::try_from(width).unwrap_or(i32::MAX),
            height: i32::try_from(height).unwrap_or(i32::MAX),
            rendition_widths: &widths,
        };
        repository::insert(&mut *tx, &new).await?;
        let stored = stored(&mut tx, product, id).await?;
        tx.commit().await?;
        Ok(stored)
    }
    .await;
    if recorded.is_err() {
        state.media.remove(&keys).await;
    }
    recorded
}

fn too_many() -> Error {
    Error::conflict("too_many_media", format!("a product has at most {MAX_PER_PRODUCT} photos"))
}

/// The photo `id` with its product locked: every change to a product's
/// photos takes its product's lock first, as variant changes do.
async fn locked(tx: &mut sqlx::PgConnection, id: Uuid) -> Result<MediaRow> {
    let media = repository::find(&mut *tx, id).await?.ok_or(Error::NotFound("media"))?;
    products::lock_row(&mut *tx, media.product_id).await?.ok_or(Error::NotFound("media"))?;
    Ok(media)
}

/// Changes a photo's text, place or variants.
pub async fn update(state: &AppState, id: Uuid, changes: MediaChanges) -> Result<Stored> {
    let mut tx = state.db.begin().await?;
    let media = locked(&mut tx, id).await?;
    if let Some(variants) = &changes.variant_ids {
        let known = repository::variants_of_product(&mut *tx, media.product_id, variants).await?;
        if let Some(unknown) = variants.iter().find(|v| !known.contains(v)) {
            return Err(Error::invalid(
                "variant_ids",
                &format!("{unknown} is not a variant of this photo's product"),
            ));
        }
        repository::set_variants(&mut tx, id, variants).await?;
    }
    if let Some(alt) = &changes.alt {
        repository::set_alt(&mut *tx, id, alt).await?;
    }
    if let Some(position) = changes.position {
        let mut order = repository::ordered(&mut *tx, media.product_id).await?;
        order.retain(|other| *other != id);
        order.insert(position.min(order.len()), id);
        repository::renumber(&mut *tx, &order).await?;
    }
    let stored = stored(&mut tx, media.product_id, id).await?;
    tx.commit().await?;
    Ok(stored)
}

/// Deletes a photo and, unless an order shows it, its stored objects; the
/// others close the gap. Order history keeps its pictures.
pub async fn delete(state: &AppState, id: Uuid) -> Result<()> {
    let mut tx = state.db.begin().await?;
    let media = locked(&mut tx, id).await?;
    repository::delete(&mut *tx, id).await?;
    let rest = repository::ordered(&mut *tx, media.product_id).await?;
    repository::renumber(&mut *tx, &rest).await?;
    let shown = repository::shown_in_orders(&mut *tx, id).await?;
    tx.commit().await?;
    if shown {
        return Ok(());
    }
    let format = process::Format::parse(&media.format).unwrap_or(process::Format::Jpeg);
    let mut keys = vec![original_key(media.product_id, id, format)];
    keys.extend(
        media
            .rendition_widths
            .iter()
            .filter_map(|w| u32::try_from(*w).ok())
            .map(|width| rendition_key(media.product_id, id, width)),
    );
    state.media.remove(&keys).await;
    Ok(())
}
