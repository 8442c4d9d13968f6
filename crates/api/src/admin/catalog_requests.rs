//! The bodies the admin catalog handlers read, and their checks: a
//! category, a product (the same body creates and changes one), and a stock
//! adjustment. Their fuller OpenAPI shapes are in [`super::catalog_schemas`].

use gokart_domain::catalog::{optional_text, required_text};
use gokart_domain::{Currency, MAX_PRICE, MAX_STOCK, Money, Sku, Slug, Violations};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::catalog::service::ProductChanges;
use crate::schemas;

/// A category to create, or changes to one (absent fields stay).
#[derive(Debug, Deserialize, ToSchema)]
pub struct CategoryRequest {
    /// Name, 1 to 100 characters (required to create).
    #[schema(value_type = Option<schemas::RequiredText<100>>)]
    pub name: Option<String>,
    /// URL slug; derived from the name when creating without one.
    #[schema(value_type = Option<schemas::Slug>)]
    pub slug: Option<String>,
    /// Description.
    #[schema(value_type = Option<schemas::OptionalText<2000>>)]
    pub description: Option<String>,
}

/// A product to create (name, sku, price and category_id required), or
/// changes to one (absent fields stay). The same names as the product.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ProductRequest {
    /// Name, 1 to 200 characters.
    #[schema(value_type = Option<schemas::RequiredText<200>>)]
    pub name: Option<String>,
    /// Description, up to 5000 characters.
    #[schema(value_type = Option<schemas::OptionalText<5000>>)]
    pub description: Option<String>,
    /// Brand.
    #[schema(value_type = Option<schemas::OptionalText<100>>)]
    pub brand: Option<String>,
    /// Stock-keeping unit, unique for ever.
    #[schema(value_type = Option<schemas::Sku>)]
    pub sku: Option<String>,
    /// Price in minor units and currency.
    #[schema(value_type = Option<Price>)]
    pub price: Option<Money>,
    /// Units available, 0 to 1000000000.
    #[schema(minimum = 0, maximum = 1_000_000_000)]
    pub stock_quantity: Option<i64>,
    /// An existing category's id.
    #[schema(value_type = Option<Uuid>)]
    pub category_id: Option<String>,
    /// Image URLs (at most 20).
    #[schema(value_type = Option<Vec<schemas::ImageUrl>>, max_items = 20)]
    pub images: Option<Vec<String>>,
    /// Thumbnail URL; empty clears it.
    #[schema(value_type = Option<schemas::OptionalText<500>>)]
    pub thumbnail: Option<String>,
    /// Dimensions and other attributes, as a JSON object (no NUL characters).
    #[schema(value_type = Option<Object>)]
    pub attributes: Option<serde_json::Value>,
    /// Warranty; empty clears it.
    #[schema(value_type = Option<schemas::OptionalText<500>>)]
    pub warranty: Option<String>,
    /// Offered to shoppers.
    pub is_active: Option<bool>,
}

/// A stock adjustment: exactly one of `delta` and `quantity`.
#[derive(Debug, Deserialize)]
pub struct StockRequest {
    /// Units to add (negative to remove); the result may not go below zero.
    pub delta: Option<i64>,
    /// The new count, 0 or more.
    pub quantity: Option<i64>,
}

impl ProductRequest {
    /// The changes this body asks for, or why each bad field is refused.
    pub(super) fn validate(self) -> Result<ProductChanges, Violations> {
        let mut v = Violations::new();
        let text =
            |v: &mut Violations, field: &str, raw: Option<String>, max: usize, required: bool| {
                raw.and_then(|raw| {
                    let parsed =
                        if required { required_text(&raw, max) } else { optional_text(&raw, max) };
                    v.check(field, parsed)
                })
            };
        let name = text(&mut v, "name", self.name, 200, true);
        let description = text(&mut v, "description", self.description, 5000, false);
        let brand = text(&mut v, "brand", self.brand, 100, false);
        let thumbnail = text(&mut v, "thumbnail", self.thumbnail, 500, false);
        let warranty = text(&mut v, "warranty", self.warranty, 500, false);
        let sku = self
            .sku
            .and_then(|raw| v.check("sku", Sku::parse(&raw)))
            .map(|s| s.as_str().to_owned());
        if self.price.is_some_and(|price| !(0..=MAX_PRICE).contains(&price.amount)) {
            v.add("price", "must be between 0 and 10000000000 minor units");
        }
        if self.price.is_some_and(|price| price.currency != Currency::USD) {
            v.add("price.currency", "must be usd, the shop's currency");
        }
        let stock_quantity = self.stock_quantity.and_then(|stock| match i32::try_from(stock) {
            Ok(stock) if (0..=MAX_STOCK).contains(&stock) => Some(stock),
            _ => {
                v.add("stock_quantity", "must be between 0 and 1000000000");
                None
            }
        });
        let category_id = self.category_id.and_then(|raw| match Uuid::parse_str(raw.trim()) {
            Ok(id) => Some(id),
            Err(_) => {
                v.add("category_id", "no such category");
                None
            }
        });
        if let Some(images) = &self.images
            && (images.len() > 20
                || images.iter().any(|url| {
                    url.trim().is_empty() || url.len() > 500 || url.chars().any(char::is_control)
                }))
        {
            v.add("images", "at most 20 URLs, each 1 to 500 characters");
        }
        if self.attributes.as_ref().is_some_and(|value| {
            // PostgreSQL's jsonb cannot hold a NUL character anywhere.
            !value.is_object() || value.to_string().contains("\\u0000")
        }) {
            v.add("attributes", "must be a JSON object without NUL characters");
        }
        v.into_result()?;
        Ok(ProductChanges {
            category_id,
            name,
            description,
            brand,
            sku,
            price: self.price,
            stock_quantity,
            images: self.images,
            thumbnail,
            attributes: self.attributes,
            warranty,
            is_active: self.is_active,
        })
    }
}

// The document's name for `ProductRequest::price`, which is read as `Money`
// and then held to 0..=MAX_PRICE minor units of the shop's currency.
/// A product's price: whole minor units in the shop's currency.
#[derive(Debug, ToSchema)]
pub struct Price {
    /// Minor units (cents), 0 to 10000000000.
    #[schema(minimum = 0, maximum = 10_000_000_000_i64)]
    pub amount: i64,
    /// The shop's currency (accepted in any case).
    pub currency: ShopCurrency,
}

/// The one currency the shop sells in.
#[derive(Debug, Clone, Copy, ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum ShopCurrency {
    /// United States dollar.
    Usd,
}

/// Validated category fields; `None` where not given.
pub(super) struct CategoryFields {
    pub(super) name: Option<String>,
    pub(super) slug: Option<String>,
    pub(super) description: Option<String>,
}

/// Checks a category body; `creating` requires a name and derives a
/// missing slug from it.
pub(super) fn category_fields(
    body: CategoryRequest,
    creating: bool,
) -> Result<CategoryFields, Violations> {
    let mut v = Violations::new();
    let name = body.name.and_then(|raw| v.check("name", required_text(&raw, 100)));
    if creating && name.is_none() && !v.fields().contains_key("name") {
        v.add("name", "is required");
    }
    let slug = match body.slug {
        Some(raw) => v.check("slug", Slug::parse(&raw)).map(|s| s.as_str().to_owned()),
        None if creating => name
            .as_deref()
            .and_then(|name| v.check("slug", Slug::from_name(name)))
            .map(|s| s.as_str().to_owned()),
        None => None,
    };
    let description =
        body.description.and_then(|raw| v.check("description", optional_text(&raw, 2000)));
    v.into_result()?;
    Ok(CategoryFields { name, slug, description })
}
