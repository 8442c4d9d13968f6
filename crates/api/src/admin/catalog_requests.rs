//! The bodies the admin catalog handlers read, and their checks: a
//! category, a product (the same body creates and changes one), and a stock
//! adjustment. Their fuller OpenAPI shapes are in [`super::catalog_schemas`].

use gokart_domain::catalog::{optional_text, required_text};
use std::collections::BTreeMap;

use gokart_domain::variants::MAX_VARIANTS;
use gokart_domain::{Currency, MAX_PRICE, MAX_STOCK, Money, Options, Sku, Slug, Violations};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::catalog::service::{CategoryChanges, ProductChanges};
use crate::catalog::variants::{StockChange, VariantChanges};
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
    /// The category it sits in; `null` makes it top-level.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Uuid>, nullable)]
    pub parent_id: Option<Option<String>>,
    /// Tax class of its products (e.g. `reduced`, matching a tax rate's
    /// class); `null` clears it, and subcategories without one take it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, nullable, pattern = "^[a-z0-9][a-z0-9-]{0,49}$")]
    pub tax_class: Option<Option<String>>,
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
    /// Up to 3 options (e.g. Size, Color). When creating, every variant
    /// picks one value of each; when changing, an option with an `id` is
    /// that option (renamed, values added or removed), one without is new
    /// (every variant takes its first value), and one left out is removed.
    #[schema(max_items = 3)]
    pub options: Option<Vec<OptionRequest>>,
    /// Creating only: the variants, 1 to 100, instead of a product-level
    /// `sku`, `price` and `stock_quantity`.
    #[schema(max_items = 100)]
    pub variants: Option<Vec<VariantRequest>>,
}

/// An option of a product.
#[derive(Debug, Deserialize, ToSchema)]
pub struct OptionRequest {
    /// The option's id, to keep an existing option when changing a product.
    #[schema(value_type = Option<Uuid>)]
    pub id: Option<String>,
    /// Name, 1 to 50 characters, distinct in any case.
    #[serde(default)]
    #[schema(value_type = schemas::RequiredText<50>, required = true)]
    pub name: String,
    /// Values, 1 to 100, distinct in any case.
    #[serde(default)]
    #[schema(value_type = Vec<schemas::RequiredText<50>>, min_items = 1, max_items = 100, required = true)]
    pub values: Vec<String>,
}

/// A variant to create (sku and price required), or changes to one
/// (absent fields stay).
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct VariantRequest {
    /// Stock-keeping unit, unique for ever.
    #[schema(value_type = Option<schemas::Sku>)]
    pub sku: Option<String>,
    /// One value of each of the product's options, by option name.
    pub options: Option<BTreeMap<String, String>>,
    /// Price in minor units and currency.
    #[schema(value_type = Option<Price>)]
    pub price: Option<Money>,
    /// The former price, shown struck through; `null` clears it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Price>, nullable)]
    pub compare_at_price: Option<Option<Money>>,
    /// Units available, 0 to 1000000000.
    #[schema(minimum = 0, maximum = 1_000_000_000)]
    pub stock_quantity: Option<i64>,
    /// Shipping weight in grams, 0 to 1000000000; `null` clears it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>, nullable, minimum = 0, maximum = 1_000_000_000)]
    pub weight_grams: Option<Option<i64>>,
    /// Offered to shoppers.
    pub is_active: Option<bool>,
}

/// A field that may be sent as `null` to clear it: absent is `None`,
/// `null` is `Some(None)`.
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

fn price_in_range(v: &mut Violations, field: &str, price: Option<Money>) -> Option<i64> {
    let price = price?;
    if !(0..=MAX_PRICE).contains(&price.amount) {
        v.add(field, "must be between 0 and 10000000000 minor units");
        return None;
    }
    if price.currency != Currency::USD {
        v.add(format!("{field}.currency"), "must be usd, the shop's currency");
        return None;
    }
    Some(price.amount)
}

fn count_in_range(v: &mut Violations, field: &str, raw: Option<i64>) -> Option<i32> {
    raw.and_then(|n| match i32::try_from(n) {
        Ok(n) if (0..=MAX_STOCK).contains(&n) => Some(n),
        _ => {
            v.add(field, "must be between 0 and 1000000000");
            None
        }
    })
}

impl VariantRequest {
    /// Checks every field, recording bad ones under `at` (`""` for a body of
    /// its own, `variants[2].` inside a product).
    pub fn check(self, at: &str, v: &mut Violations) -> VariantChanges {
        let sku = self
            .sku
            .and_then(|raw| v.check(&format!("{at}sku"), Sku::parse(&raw)))
            .map(|s| s.as_str().to_owned());
        let options = self.options.filter(|chosen| {
            let bad = chosen.len() > gokart_domain::variants::MAX_OPTIONS
                || chosen.iter().any(|(name, value)| name.len() > 200 || value.len() > 200);
            if bad {
                v.add(format!("{at}options"), "pick one value of each of the product's options");
            }
            !bad
        });
        let price = price_in_range(v, &format!("{at}price"), self.price);
        let compare_at = self
            .compare_at_price
            .map(|price| price_in_range(v, &format!("{at}compare_at_price"), price));
        let stock_quantity = count_in_range(v, &format!("{at}stock_quantity"), self.stock_quantity);
        let weight_grams =
            self.weight_grams.map(|w| count_in_range(v, &format!("{at}weight_grams"), w));
        VariantChanges {
            sku,
            options,
            price,
            compare_at,
            stock_quantity,
            weight_grams,
            is_active: self.is_active,
        }
    }

    /// The changes this body asks for, or why each bad field is refused.
    pub(super) fn validate(self) -> Result<VariantChanges, Violations> {
        let mut v = Violations::new();
        let changes = self.check("", &mut v);
        v.into_result()?;
        Ok(changes)
    }
}

/// A stock adjustment: exactly one of `delta` and `quantity`.
#[derive(Debug, Deserialize)]
pub struct StockRequest {
    /// Units to add (negative to remove); the result may not go below zero.
    pub delta: Option<i64>,
    /// The new count, 0 or more.
    pub quantity: Option<i64>,
}

impl StockRequest {
    /// The change asked for: exactly one of `delta` and `quantity`, in range.
    pub(super) fn change(&self) -> crate::error::Result<StockChange> {
        use crate::error::Error;
        match (self.delta, self.quantity) {
            (Some(delta), None) => i32::try_from(delta)
                .ok()
                .filter(|d| (-MAX_STOCK..=MAX_STOCK).contains(d))
                .map(StockChange::Delta)
                .ok_or(Error::invalid("delta", "must be between -1000000000 and 1000000000")),
            (None, Some(quantity)) => i32::try_from(quantity)
                .ok()
                .filter(|q| (0..=MAX_STOCK).contains(q))
                .map(StockChange::Quantity)
                .ok_or(Error::invalid("quantity", "must be between 0 and 1000000000")),
            _ => Err(Error::invalid("delta", "give exactly one of delta and quantity")),
        }
    }
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
        let price = price_in_range(&mut v, "price", self.price);
        let stock_quantity = count_in_range(&mut v, "stock_quantity", self.stock_quantity);
        let options = self.options.map(|raw| {
            let ids: Vec<Option<Uuid>> = raw
                .iter()
                .enumerate()
                .map(|(i, option)| {
                    option.id.as_deref().and_then(|id| match Uuid::parse_str(id.trim()) {
                        Ok(id) => Some(id),
                        Err(_) => {
                            v.add(format!("options[{i}].id"), "no such option");
                            None
                        }
                    })
                })
                .collect();
            let named: Vec<(String, Vec<String>)> =
                raw.into_iter().map(|option| (option.name, option.values)).collect();
            let checked = Options::parse("options", &named, &mut v).unwrap_or_default();
            ids.into_iter().zip(checked.as_slice().iter().cloned()).collect::<Vec<_>>()
        });
        let variants = self.variants.map(|raw| {
            if raw.is_empty() || raw.len() > MAX_VARIANTS {
                v.add("variants", format!("give 1 to {MAX_VARIANTS} variants"));
            }
            raw.into_iter()
                .enumerate()
                .map(|(i, variant)| variant.check(&format!("variants[{i}]."), &mut v))
                .collect::<Vec<_>>()
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
                    url.is_empty()
                        || url.len() > 500
                        || url.chars().any(|c| c.is_control() || c.is_whitespace())
                }))
        {
            v.add("images", "at most 20 URLs, each 1 to 500 characters without spaces");
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
            price,
            stock_quantity,
            images: self.images,
            thumbnail,
            attributes: self.attributes,
            warranty,
            is_active: self.is_active,
            options,
            variants,
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

/// Checks a category body; `creating` requires a name and derives a
/// missing slug from it.
pub(super) fn category_fields(
    body: CategoryRequest,
    creating: bool,
) -> Result<CategoryChanges, Violations> {
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
    let parent_id = body.parent_id.map(|raw| {
        raw.and_then(|raw| match Uuid::parse_str(raw.trim()) {
            Ok(id) => Some(id),
            Err(_) => {
                v.add("parent_id", "no such category");
                None
            }
        })
    });
    let tax_class = body.tax_class.map(|raw| {
        raw.and_then(|raw| v.check("tax_class", crate::admin::tax_rates::tax_class(&raw)))
    });
    v.into_result()?;
    Ok(CategoryChanges { name, slug, description, parent_id, tax_class })
}
