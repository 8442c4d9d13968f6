//! Variant and option changes from admins. Each locks the product first,
//! as every admin change to a product does, so two of them never interleave.
//! Checkout locks only variants and writes only their stock, which admin
//! changes leave to statements of their own.

use std::collections::BTreeMap;

use gokart_domain::MAX_STOCK;
use gokart_domain::variants::{MAX_VARIANTS, first_clash};
use gokart_domain::{ProductOption, Violations};
use sqlx::PgConnection;
use uuid::Uuid;

use super::events::announce;
use super::repository::{self, Product, VariantRow};
use crate::error::{Error, Result};
use crate::state::AppState;
use crate::webhooks::EventType;

/// Variant changes from an admin; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct VariantChanges {
    /// SKU.
    pub sku: Option<String>,
    /// Option values by option name, to check against the product's.
    pub options: Option<BTreeMap<String, String>>,
    /// Price in minor units.
    pub price: Option<i64>,
    /// Former price; `Some(None)` clears it.
    pub compare_at: Option<Option<i64>>,
    /// Units.
    pub stock_quantity: Option<i32>,
    /// Weight; `Some(None)` clears it.
    pub weight_grams: Option<Option<i32>>,
    /// For sale.
    pub is_active: Option<bool>,
}

impl VariantChanges {
    /// `fields` with these changes made.
    pub fn apply(&self, mut fields: VariantRow) -> VariantRow {
        if let Some(sku) = &self.sku {
            fields.sku.clone_from(sku);
        }
        if let Some(price) = self.price {
            fields.price_amount = price;
        }
        if let Some(compare_at) = self.compare_at {
            fields.compare_at_amount = compare_at;
        }
        if let Some(stock) = self.stock_quantity {
            fields.stock_quantity = stock;
        }
        if let Some(weight) = self.weight_grams {
            fields.weight_grams = weight;
        }
        if let Some(is_active) = self.is_active {
            fields.is_active = is_active;
        }
        fields
    }
}

/// A stock adjustment.
#[derive(Debug, Clone, Copy)]
pub enum StockChange {
    /// Add (or, negative, remove) units; never below zero.
    Delta(i32),
    /// Set the count outright.
    Quantity(i32),
}

/// A new variant's fields before `changes` apply.
pub(super) fn blank_variant(option_values: Vec<String>) -> VariantRow {
    VariantRow {
        id: Uuid::now_v7(),
        // Set when it is added to its product.
        product_id: Uuid::nil(),
        position: 0,
        sku: String::new(),
        option_values,
        price_amount: 0,
        compare_at_amount: None,
        stock_quantity: 0,
        weight_grams: None,
        is_active: true,
    }
}

/// Changes `variant`'s stock (its product is locked).
pub(super) async fn move_stock(
    tx: &mut PgConnection,
    variant: &VariantRow,
    change: StockChange,
) -> Result<()> {
    match change {
        StockChange::Delta(delta) => {
            if delta > 0
                && i64::from(variant.stock_quantity) + i64::from(delta) > i64::from(MAX_STOCK)
            {
                return Err(Error::invalid(
                    "delta",
                    "would bring the stock above 1000000000, the most one product can hold",
                ));
            }
            repository::add_stock(&mut *tx, variant.id, delta).await?;
        }
        StockChange::Quantity(quantity) => {
            repository::set_stock(&mut *tx, variant.id, quantity).await?;
        }
    }
    Ok(())
}

/// A product after a change to one of its variants, and that variant's id.
#[derive(Debug)]
pub struct Changed {
    /// The product, locked and read again after the change.
    pub product: Product,
    /// The variant changed.
    pub variant: Uuid,
}

async fn locked(tx: &mut PgConnection, product: Uuid) -> Result<Product> {
    repository::lock_product(tx, product).await?.ok_or(Error::NotFound("product"))
}

/// The product of variant `id`, locked.
async fn locked_by_variant(tx: &mut PgConnection, id: Uuid) -> Result<Product> {
    let product =
        repository::variant_product(&mut *tx, id).await?.ok_or(Error::NotFound("variant"))?;
    locked(tx, product).await
}

/// Adds a variant to product `id`: a SKU, a price and one value of each of
/// the product's options are required.
#[tracing::instrument(skip_all, fields(product = %id))]
pub async fn create(state: &AppState, id: Uuid, changes: VariantChanges) -> Result<Changed> {
    let mut tx = state.db.begin().await?;
    let product = locked(&mut tx, id).await?;
    let mut v = Violations::new();
    if changes.sku.is_none() {
        v.add("sku", "is required");
    }
    if changes.price.is_none() {
        v.add("price", "is required");
    }
    let chosen = changes.options.clone().unwrap_or_default();
    let combination = v.check("options", product.option_set().combination(&chosen));
    v.into_result()?;
    if product.variants.len() >= MAX_VARIANTS {
        return Err(Error::conflict(
            "too_many_variants",
            format!("a product has at most {MAX_VARIANTS} variants"),
        ));
    }
    let fields = changes.apply(blank_variant(combination.unwrap_or_default()));
    let variant = repository::insert_variant(&mut *tx, id, &fields).await?;
    let after = locked(&mut tx, id).await?;
    announce(&mut tx, state, EventType::ProductUpdated, &product.variants, &after).await?;
    let product = after;
    tx.commit().await?;
    Ok(Changed { product, variant })
}

/// Changes variant `id`; absent fields stay as they are.
#[tracing::instrument(skip_all, fields(variant = %id))]
pub async fn update(state: &AppState, id: Uuid, changes: VariantChanges) -> Result<Changed> {
    let mut tx = state.db.begin().await?;
    let product = locked_by_variant(&mut tx, id).await?;
    let current = product.variants.iter().find(|v| v.id == id).ok_or(Error::NotFound("variant"))?;
    let mut fields = changes.apply(current.clone());
    if let Some(chosen) = &changes.options {
        let combination = product.option_set().combination(chosen);
        fields.option_values = combination.map_err(|err| Error::invalid("options", &err.0))?;
    }
    repository::update_variant(&mut *tx, &fields).await?;
    if let Some(quantity) = changes.stock_quantity {
        repository::set_stock(&mut *tx, id, quantity).await?;
    }
    let after = locked(&mut tx, product.row.id).await?;
    announce(&mut tx, state, EventType::ProductUpdated, &product.variants, &after).await?;
    tx.commit().await?;
    Ok(Changed { product: after, variant: id })
}

/// Deletes variant `id` for shoppers (orders keep it); a product keeps at
/// least one variant.
#[tracing::instrument(skip_all, fields(variant = %id))]
pub async fn delete(state: &AppState, id: Uuid) -> Result<()> {
    let mut tx = state.db.begin().await?;
    let product = locked_by_variant(&mut tx, id).await?;
    if !product.variants.iter().any(|v| v.id == id) {
        return Err(Error::NotFound("variant"));
    }
    if product.variants.len() <= 1 {
        return Err(Error::conflict(
            "last_variant",
            "a product keeps at least one variant; delete the product instead",
        ));
    }
    repository::soft_delete_variant(&mut *tx, id).await?;
    let after = locked(&mut tx, product.row.id).await?;
    announce(&mut tx, state, EventType::ProductUpdated, &product.variants, &after).await?;
    tx.commit().await?;
    Ok(())
}

/// Adjusts variant `id`'s stock atomically; below zero is a 409, past the
/// most one variant holds a 422 naming `delta`.
#[tracing::instrument(skip_all, fields(variant = %id))]
pub async fn adjust_stock(state: &AppState, id: Uuid, change: StockChange) -> Result<Changed> {
    let mut tx = state.db.begin().await?;
    let product = locked_by_variant(&mut tx, id).await?;
    let current = product.variants.iter().find(|v| v.id == id).ok_or(Error::NotFound("variant"))?;
    move_stock(&mut tx, current, change).await?;
    let after = locked(&mut tx, product.row.id).await?;
    announce(&mut tx, state, EventType::ProductUpdated, &product.variants, &after).await?;
    tx.commit().await?;
    Ok(Changed { product: after, variant: id })
}

/// Replaces `product`'s options with `options` (its product locked). An
/// option given with its id keeps its place in every variant, spelled as
/// the option now spells it; a new option gives every variant its first
/// value, so existing variants stay valid and distinct. Removing a value a
/// variant uses, or an option whose removal leaves two variants alike, is a
/// 409 naming the variants.
pub(super) async fn change_options(
    tx: &mut PgConnection,
    product: &Product,
    options: &[(Option<Uuid>, ProductOption)],
) -> Result<()> {
    let mut sources = Vec::with_capacity(options.len());
    for (i, (id, _)) in options.iter().enumerate() {
        if id.is_some() && options[..i].iter().any(|(earlier, _)| earlier == id) {
            return Err(Error::invalid(&format!("options[{i}].id"), "names an option twice"));
        }
        let source = match id {
            Some(id) => match product.options.iter().position(|o| o.id == *id) {
                Some(position) => Some(position),
                None => return Err(Error::invalid(&format!("options[{i}].id"), "no such option")),
            },
            None => None,
        };
        sources.push(source);
    }
    let mut missing: Vec<String> = Vec::new();
    let mut combinations = Vec::with_capacity(product.variants.len());
    for variant in &product.variants {
        let mut values = Vec::with_capacity(options.len());
        for ((_, option), source) in options.iter().zip(&sources) {
            let value = match source {
                Some(position) => {
                    let old = variant.option_values.get(*position).map_or("", String::as_str);
                    option.value(old).map(str::to_owned)
                }
                None => option.values.first().cloned(),
            };
            match value {
                Some(value) => values.push(value),
                None => missing.push(variant.sku.clone()),
            }
        }
        combinations.push(values);
    }
    if !missing.is_empty() {
        missing.dedup();
        return Err(Error::conflict(
            "option_value_in_use",
            format!("variants {} use a value the options no longer have", missing.join(", ")),
        ));
    }
    if let Some((first, again)) = first_clash(&combinations) {
        return Err(Error::conflict(
            "variant_exists",
            format!(
                "variants {} and {} would have the same option values",
                product.variants[first].sku, product.variants[again].sku
            ),
        ));
    }
    repository::replace_options(tx, product.row.id, options).await?;
    let changed: Vec<(&VariantRow, Vec<String>)> = product
        .variants
        .iter()
        .zip(combinations)
        .filter(|(variant, values)| variant.option_values != *values)
        .collect();
    // Swapping two options can give one variant another's values: park the
    // changed ones on values of their own first, so that no step of the
    // change ever holds two variants alike.
    let parked: Vec<Uuid> = changed.iter().map(|(variant, _)| variant.id).collect();
    repository::park_option_values(&mut *tx, &parked).await?;
    for (variant, values) in changed {
        let fields = VariantRow { option_values: values, ..variant.clone() };
        repository::update_variant(&mut *tx, &fields).await?;
    }
    Ok(())
}
