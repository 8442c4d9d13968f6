//! Product media: photos uploaded by admins, checked and re-encoded
//! ([`process`]), kept by a [`store::MediaStore`], listed on their product
//! in order and attached to variants.
//!
//! Every upload gets its own keys, `products/{product}/{media}/original.{ext}`
//! and `.../w{width}.webp`, so a stored object never changes: URLs are
//! cached for good, and a replaced photo is a new upload.

pub mod handler;
pub mod library;
pub mod process;
pub mod repository;
pub mod service;
pub mod store;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// One photo as its product's row carries it (`products.media`, written by
/// the database from `product_media` and `variant_media`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaEntry {
    /// Id.
    pub id: Uuid,
    /// Place among its product's photos, from 0.
    pub position: i32,
    /// Text alternative.
    pub alt: String,
    /// Format of the original: `jpeg`, `png` or `webp`.
    pub format: String,
    /// Width in pixels.
    pub width: i32,
    /// Height in pixels.
    pub height: i32,
    /// Widths of its WebP renditions, narrowest first.
    pub renditions: Vec<i32>,
    /// The variants it shows.
    pub variant_ids: Vec<Uuid>,
}

/// A product photo as clients see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MediaView {
    /// Id.
    pub id: Uuid,
    /// The full-size image (re-encoded, without metadata).
    pub url: String,
    /// Text alternative.
    pub alt: String,
    /// Width in pixels.
    pub width: i32,
    /// Height in pixels.
    pub height: i32,
    /// Resized WebP copies by width in pixels (keys are widths, e.g. `"600"`).
    #[schema(value_type = BTreeMap<String, String>)]
    pub renditions: BTreeMap<u32, String>,
    /// Place among its product's photos, from 0.
    pub position: i32,
}

/// The stored key of a photo's original.
pub fn original_key(product: Uuid, media: Uuid, format: process::Format) -> String {
    format!("products/{product}/{media}/original.{}", format.extension())
}

/// The stored key of a photo's rendition `width` pixels wide.
pub fn rendition_key(product: Uuid, media: Uuid, width: u32) -> String {
    format!("products/{product}/{media}/w{width}.webp")
}

/// The width of the rendition a product card shows.
const CARD_WIDTH: u32 = 600;

/// Turns stored keys into the URLs shoppers load.
#[derive(Debug, Clone, Copy)]
pub struct Urls<'a> {
    base: &'a str,
}

impl<'a> Urls<'a> {
    /// URLs under `base` (`MEDIA_PUBLIC_URL`).
    pub fn new(base: &'a str) -> Self {
        Urls { base }
    }

    fn at(&self, key: &str) -> String {
        format!("{}/{key}", self.base)
    }

    fn widths(entry: &MediaEntry) -> impl Iterator<Item = u32> + '_ {
        entry.renditions.iter().filter_map(|w| u32::try_from(*w).ok())
    }

    /// The full-size image of `entry` of `product`.
    fn original(&self, product: Uuid, entry: &MediaEntry) -> String {
        let format = process::Format::parse(&entry.format).unwrap_or(process::Format::Jpeg);
        self.at(&original_key(product, entry.id, format))
    }

    /// `entry` of `product` as clients see it.
    pub fn view(&self, product: Uuid, entry: &MediaEntry) -> MediaView {
        MediaView {
            id: entry.id,
            url: self.original(product, entry),
            alt: entry.alt.clone(),
            width: entry.width,
            height: entry.height,
            renditions: Self::widths(entry)
                .map(|width| (width, self.at(&rendition_key(product, entry.id, width))))
                .collect(),
            position: entry.position,
        }
    }

    /// The image a product card or a cart line shows for `entry`: its
    /// narrowest rendition at least as wide as a card, else (a photo
    /// narrower than a card) the full-size image.
    pub fn card(&self, product: Uuid, entry: &MediaEntry) -> String {
        match Self::widths(entry).filter(|width| *width >= CARD_WIDTH).min() {
            Some(width) => self.at(&rendition_key(product, entry.id, width)),
            None => self.original(product, entry),
        }
    }
}

/// The photo that shows `variant` of a product with `media`: the first
/// attached to it, else the product's first.
pub fn for_variant(media: &[MediaEntry], variant: Uuid) -> Option<&MediaEntry> {
    media.iter().find(|m| m.variant_ids.contains(&variant)).or_else(|| media.first())
}
