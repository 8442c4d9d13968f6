//! The catalog as clients see it: a product with its options, variants,
//! prices and photos.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use gokart_domain::{Currency, Money, Options};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::repository::{Product, VariantRow};
use crate::media::{MediaView, Urls};

/// A product as shoppers see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProductView {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Brand.
    pub brand: String,
    /// Stock-keeping unit (of the first variant).
    pub sku: String,
    /// The lowest price of a variant on sale.
    pub price: Money,
    /// Units available now, over every variant on sale.
    pub stock_quantity: i64,
    /// Category.
    pub category_id: Option<Uuid>,
    /// Image URLs: its photos' (see `media`) when it has any.
    pub images: Vec<String>,
    /// Thumbnail URL: its first photo's card-sized rendition when it has any.
    pub thumbnail: Option<String>,
    /// Dimensions and other attributes.
    #[schema(value_type = Object)]
    pub attributes: serde_json::Value,
    /// Warranty.
    pub warranty: Option<String>,
    /// Offered to shoppers (admins also see inactive products).
    pub is_active: bool,
    /// Added at.
    pub created_at: DateTime<Utc>,
    /// Last changed at.
    pub updated_at: DateTime<Utc>,
    /// The options its variants choose from, in order.
    pub options: Vec<OptionView>,
    /// What can be bought (shoppers see those on sale; admins all).
    pub variants: Vec<VariantView>,
    /// The lowest and highest price of its variants on sale.
    pub price_range: PriceRange,
    /// Its photos, in order.
    pub media: Vec<MediaView>,
}

/// An option of a product.
#[derive(Debug, Serialize, ToSchema)]
pub struct OptionView {
    /// Id (give it back to keep the option when changing the product).
    pub id: Uuid,
    /// Name, e.g. `Size`.
    pub name: String,
    /// Values, in order.
    pub values: Vec<String>,
}

/// One buyable combination of a product's options.
#[derive(Debug, Serialize, ToSchema)]
pub struct VariantView {
    /// Id: what a cart line names.
    pub id: Uuid,
    /// Its product.
    pub product_id: Uuid,
    /// Stock-keeping unit.
    pub sku: String,
    /// Its value of each option, by option name.
    pub options: BTreeMap<String, String>,
    /// Price.
    pub price: Money,
    /// The former price, shown struck through.
    pub compare_at_price: Option<Money>,
    /// Units available now.
    pub stock_quantity: i32,
    /// Shipping weight in grams.
    pub weight_grams: Option<i32>,
    /// Photos of this variant among the product's media.
    pub media_ids: Vec<Uuid>,
    /// Offered to shoppers.
    pub is_active: bool,
}

/// The lowest and highest price.
#[derive(Debug, Serialize, ToSchema)]
pub struct PriceRange {
    /// Lowest.
    pub min: Money,
    /// Highest.
    pub max: Money,
}

/// A product's currency: its column's CHECK constraint admits only three
/// lower-case letters.
fn currency_of(product: &Product) -> Currency {
    Currency::parse(&product.row.currency).unwrap_or(Currency::USD)
}

impl VariantView {
    /// Variant `id` of `product`, when it has one.
    pub fn of(product: &Product, id: Uuid) -> Option<Self> {
        let variant = product.variants.iter().find(|v| v.id == id)?;
        Some(VariantView::new(variant, product, &product.option_set(), currency_of(product)))
    }

    fn new(variant: &VariantRow, product: &Product, options: &Options, currency: Currency) -> Self {
        VariantView {
            id: variant.id,
            product_id: variant.product_id,
            sku: variant.sku.clone(),
            options: options.named(&variant.option_values),
            price: Money::new(variant.price_amount, currency),
            compare_at_price: variant.compare_at_amount.map(|amount| Money::new(amount, currency)),
            stock_quantity: variant.stock_quantity,
            weight_grams: variant.weight_grams,
            media_ids: product
                .row
                .media
                .iter()
                .filter(|media| media.variant_ids.contains(&variant.id))
                .map(|media| media.id)
                .collect(),
            is_active: variant.is_active,
        }
    }
}

impl ProductView {
    /// `product` as clients see it, its photos at `urls`.
    pub fn new(product: Product, urls: Urls<'_>) -> Self {
        let currency = currency_of(&product);
        let option_set = product.option_set();
        let variants = product
            .variants
            .iter()
            .map(|v| VariantView::new(v, &product, &option_set, currency))
            .collect();
        let Product { row, options, variants: rows } = product;
        let media: Vec<MediaView> = row.media.iter().map(|m| urls.view(row.id, m)).collect();
        let (images, thumbnail) = match row.media.first() {
            Some(first) => {
                (media.iter().map(|m| m.url.clone()).collect(), Some(urls.card(row.id, first)))
            }
            None => (row.images, row.thumbnail),
        };
        let on_sale = || rows.iter().filter(|v| v.is_active);
        let mut prices: Vec<i64> = on_sale().map(|v| v.price_amount).collect();
        if prices.is_empty() {
            // Admins also see products with nothing on sale: their prices.
            prices = rows.iter().map(|v| v.price_amount).collect();
        }
        let lowest = prices.iter().min().copied().unwrap_or_default();
        let highest = prices.iter().max().copied().unwrap_or_default();
        ProductView {
            id: row.id,
            name: row.name,
            description: row.description,
            brand: row.brand,
            sku: rows.first().map(|v| v.sku.clone()).unwrap_or_default(),
            price: Money::new(lowest, currency),
            stock_quantity: on_sale().map(|v| i64::from(v.stock_quantity)).sum(),
            category_id: row.category_id,
            images,
            thumbnail,
            attributes: row.attributes,
            warranty: row.warranty,
            is_active: row.is_active,
            created_at: row.created_at,
            updated_at: row.updated_at,
            options: options
                .into_iter()
                .map(|o| OptionView { id: o.id, name: o.name, values: o.values })
                .collect(),
            variants,
            price_range: PriceRange {
                min: Money::new(lowest, currency),
                max: Money::new(highest, currency),
            },
            media,
        }
    }
}
