//! Catalog use cases.

use gokart_domain::{MAX_STOCK, Money, ProductQuery};
use uuid::Uuid;

use super::repository::{
    self, CategoryRow, ListFilter, Matching, Product, ProductFields, VariantFields, VariantRow,
};
use crate::error::{Error, Result};
use crate::state::AppState;

/// A page of visible products for `query`, and how many match in all.
/// A search that matches no word falls back to typo-tolerant matching on
/// product names.
#[tracing::instrument(skip_all)]
pub async fn list_products(state: &AppState, query: &ProductQuery) -> Result<(Vec<Product>, i64)> {
    let category_id = match &query.category {
        None => None,
        Some(key) => match repository::resolve_category(&state.db, key).await? {
            Some(id) => Some(id),
            None => return Ok((Vec::new(), 0)),
        },
    };
    let mut filter = ListFilter {
        search: query.search.as_ref().map(|terms| (terms, Matching::FullText)),
        category_id,
        min_price: query.min_price,
        max_price: query.max_price,
        in_stock: query.in_stock,
    };
    let mut total = repository::count(&state.db, &filter).await?;
    if total == 0
        && let Some(terms) = &query.search
    {
        filter.search = Some((terms, Matching::Fuzzy));
        total = repository::count(&state.db, &filter).await?;
    }
    let (limit, offset) = (query.page.limit(), query.page.offset());
    if offset >= total {
        return Ok((Vec::new(), total));
    }
    let rows = repository::list(&state.db, &filter, query.sort, limit, offset).await?;
    Ok((repository::attach_variants(&state.db, rows).await?, total))
}

/// A product shoppers can see.
pub async fn product(state: &AppState, id: Uuid) -> Result<Product> {
    let mut db = state.db.acquire().await?;
    repository::visible_product(&mut db, id).await?.ok_or(Error::NotFound("product"))
}

/// Every category with its live product count.
pub async fn categories(state: &AppState) -> Result<Vec<CategoryRow>> {
    repository::categories(&state.db).await
}

/// Product changes from an admin; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct ProductChanges {
    /// Category.
    pub category_id: Option<Uuid>,
    /// Name.
    pub name: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Brand.
    pub brand: Option<String>,
    /// SKU.
    pub sku: Option<String>,
    /// Price.
    pub price: Option<Money>,
    /// Units available.
    pub stock_quantity: Option<i32>,
    /// Image URLs.
    pub images: Option<Vec<String>>,
    /// Thumbnail URL; empty clears it.
    pub thumbnail: Option<String>,
    /// Attributes object.
    pub attributes: Option<serde_json::Value>,
    /// Warranty text; empty clears it.
    pub warranty: Option<String>,
    /// Offered to shoppers.
    pub is_active: Option<bool>,
}

impl ProductChanges {
    /// Whether it changes what only a variant holds.
    fn touches_variant(&self) -> bool {
        self.sku.is_some() || self.price.is_some() || self.stock_quantity.is_some()
    }

    fn apply_to_variant(&self, mut fields: VariantFields) -> VariantFields {
        if let Some(sku) = &self.sku {
            fields.sku.clone_from(sku);
        }
        if let Some(price) = self.price {
            fields.price_amount = price.amount;
        }
        if let Some(stock) = self.stock_quantity {
            fields.stock_quantity = stock;
        }
        fields
    }

    fn apply(self, mut fields: ProductFields) -> ProductFields {
        let non_empty = |text: String| Some(text).filter(|t| !t.is_empty());
        if let Some(category_id) = self.category_id {
            fields.category_id = category_id;
        }
        if let Some(name) = self.name {
            fields.name = name;
        }
        if let Some(description) = self.description {
            fields.description = description;
        }
        if let Some(brand) = self.brand {
            fields.brand = brand;
        }
        if let Some(price) = self.price {
            fields.currency = price.currency.as_str().to_owned();
        }
        if let Some(images) = self.images {
            fields.images = images;
        }
        if let Some(thumbnail) = self.thumbnail {
            fields.thumbnail = non_empty(thumbnail);
        }
        if let Some(attributes) = self.attributes {
            fields.attributes = attributes;
        }
        if let Some(warranty) = self.warranty {
            fields.warranty = non_empty(warranty);
        }
        if let Some(is_active) = self.is_active {
            fields.is_active = is_active;
        }
        fields
    }
}

/// Creates a product and its one variant; name, SKU, price and category
/// are required.
#[tracing::instrument(skip_all)]
pub async fn create_product(state: &AppState, changes: ProductChanges) -> Result<Product> {
    let mut missing = gokart_domain::Violations::new();
    for (field, absent) in [
        ("name", changes.name.is_none()),
        ("sku", changes.sku.is_none()),
        ("price", changes.price.is_none()),
        ("category_id", changes.category_id.is_none()),
    ] {
        if absent {
            missing.add(field, "is required");
        }
    }
    missing.into_result()?;
    let blank = ProductFields {
        category_id: Uuid::nil(),
        name: String::new(),
        description: String::new(),
        brand: String::new(),
        currency: "usd".to_owned(),
        images: Vec::new(),
        thumbnail: None,
        attributes: serde_json::json!({}),
        warranty: None,
        is_active: true,
    };
    let no_variant = VariantFields { sku: String::new(), price_amount: 0, stock_quantity: 0 };
    let variant = changes.apply_to_variant(no_variant);
    let mut tx = state.db.begin().await?;
    let id = repository::insert_product(&mut *tx, &changes.apply(blank)).await?;
    repository::insert_variant(&mut *tx, id, &variant).await?;
    let created = repository::lock_product(&mut tx, id).await?.ok_or(Error::NotFound("product"))?;
    tx.commit().await?;
    Ok(created)
}

/// The one variant of `product` that a product-level change (SKU, price,
/// stock) applies to; a product with several must be changed per variant.
fn only_variant(product: &Product, field: &'static str) -> Result<VariantRow> {
    match product.variants.as_slice() {
        [only] => Ok(only.clone()),
        _ => Err(Error::variant_required(field)),
    }
}

/// Applies `changes` to product `id`.
#[tracing::instrument(skip_all, fields(product = %id))]
pub async fn update_product(
    state: &AppState,
    id: Uuid,
    changes: ProductChanges,
) -> Result<Product> {
    let mut tx = state.db.begin().await?;
    let current = repository::lock_product(&mut tx, id).await?.ok_or(Error::NotFound("product"))?;
    if changes.touches_variant() {
        let field = if changes.sku.is_some() {
            "sku"
        } else if changes.price.is_some() {
            "price"
        } else {
            "stock_quantity"
        };
        let variant = only_variant(&current, field)?;
        let fields = changes.apply_to_variant(VariantFields::from(&variant));
        repository::update_variant(&mut *tx, variant.id, &fields).await?;
    }
    repository::update_product(&mut *tx, id, &changes.apply(current.row.into())).await?;
    let updated = repository::lock_product(&mut tx, id).await?.ok_or(Error::NotFound("product"))?;
    tx.commit().await?;
    Ok(updated)
}

/// Hides product `id` from shoppers for good; orders keep their copy.
pub async fn delete_product(state: &AppState, id: Uuid) -> Result<()> {
    if repository::soft_delete_product(&state.db, id).await? {
        Ok(())
    } else {
        Err(Error::NotFound("product"))
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

/// Adjusts the stock of a product's one variant atomically; going below
/// zero is a 409, past [`MAX_STOCK`] a 422 naming `delta`.
#[tracing::instrument(skip_all, fields(product = %id))]
pub async fn adjust_stock(state: &AppState, id: Uuid, change: StockChange) -> Result<Product> {
    let mut tx = state.db.begin().await?;
    let current = repository::lock_product(&mut tx, id).await?.ok_or(Error::NotFound("product"))?;
    let field = match change {
        StockChange::Delta(_) => "delta",
        StockChange::Quantity(_) => "quantity",
    };
    let variant = only_variant(&current, field)?;
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
    let updated = repository::lock_product(&mut tx, id).await?.ok_or(Error::NotFound("product"))?;
    tx.commit().await?;
    Ok(updated)
}

/// Creates a category.
pub async fn create_category(
    state: &AppState,
    name: &str,
    slug: &str,
    description: &str,
) -> Result<CategoryRow> {
    repository::insert_category(&state.db, name, slug, description).await
}

/// Changes a category; `None` leaves a field as it is.
pub async fn update_category(
    state: &AppState,
    id: Uuid,
    name: Option<String>,
    slug: Option<String>,
    description: Option<String>,
) -> Result<CategoryRow> {
    let mut tx = state.db.begin().await?;
    let current =
        repository::lock_category(&mut *tx, id).await?.ok_or(Error::NotFound("category"))?;
    let updated = repository::update_category(
        &mut *tx,
        id,
        name.as_deref().unwrap_or(&current.name),
        slug.as_deref().unwrap_or(&current.slug),
        description.as_deref().unwrap_or(&current.description),
    )
    .await?;
    tx.commit().await?;
    Ok(updated)
}

/// Deletes a category that has no products left (deleted ones aside).
#[tracing::instrument(skip_all, fields(category = %id))]
pub async fn delete_category(state: &AppState, id: Uuid) -> Result<()> {
    let mut tx = state.db.begin().await?;
    repository::lock_category(&mut *tx, id).await?.ok_or(Error::NotFound("category"))?;
    let products = repository::products_in_category(&mut *tx, id).await?;
    if products > 0 {
        return Err(Error::conflict(
            "category_not_empty",
            format!("the category still has {products} products; move or delete them first"),
        ));
    }
    repository::delete_category(&mut tx, id).await?;
    tx.commit().await?;
    Ok(())
}
