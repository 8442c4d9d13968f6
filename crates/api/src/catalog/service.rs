//! Catalog use cases.

use gokart_domain::{MAX_STOCK, Money, ProductQuery};
use uuid::Uuid;

use super::repository::{self, CategoryRow, ListFilter, Matching, ProductFields, ProductRow};
use crate::error::{Error, Result};
use crate::state::AppState;

/// A page of visible products for `query`, and how many match in all.
/// A search that matches no word falls back to typo-tolerant matching on
/// product names.
#[tracing::instrument(skip_all)]
pub async fn list_products(
    state: &AppState,
    query: &ProductQuery,
) -> Result<(Vec<ProductRow>, i64)> {
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
    Ok((rows, total))
}

/// A product shoppers can see.
pub async fn product(state: &AppState, id: Uuid) -> Result<ProductRow> {
    repository::visible_product(&state.db, id).await?.ok_or(Error::NotFound("product"))
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
        if let Some(sku) = self.sku {
            fields.sku = sku;
        }
        if let Some(price) = self.price {
            fields.price_amount = price.amount;
            fields.currency = price.currency.as_str().to_owned();
        }
        if let Some(stock) = self.stock_quantity {
            fields.stock_quantity = stock;
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

/// Creates a product; name, SKU, price and category are required.
#[tracing::instrument(skip_all)]
pub async fn create_product(state: &AppState, changes: ProductChanges) -> Result<ProductRow> {
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
        sku: String::new(),
        price_amount: 0,
        currency: "usd".to_owned(),
        stock_quantity: 0,
        images: Vec::new(),
        thumbnail: None,
        attributes: serde_json::json!({}),
        warranty: None,
        is_active: true,
    };
    repository::insert_product(&state.db, &changes.apply(blank)).await
}

/// Applies `changes` to product `id`.
#[tracing::instrument(skip_all, fields(product = %id))]
pub async fn update_product(
    state: &AppState,
    id: Uuid,
    changes: ProductChanges,
) -> Result<ProductRow> {
    let mut tx = state.db.begin().await?;
    let current =
        repository::lock_product(&mut *tx, id).await?.ok_or(Error::NotFound("product"))?;
    let updated = repository::update_product(&mut *tx, id, &changes.apply(current.into())).await?;
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

/// Adjusts stock atomically; going below zero is a 409, past
/// [`MAX_STOCK`] a 422 naming `delta`.
#[tracing::instrument(skip_all, fields(product = %id))]
pub async fn adjust_stock(state: &AppState, id: Uuid, change: StockChange) -> Result<ProductRow> {
    let updated = match change {
        StockChange::Delta(delta) => {
            let mut tx = state.db.begin().await?;
            let current =
                repository::lock_product(&mut *tx, id).await?.ok_or(Error::NotFound("product"))?;
            if delta > 0
                && i64::from(current.stock_quantity) + i64::from(delta) > i64::from(MAX_STOCK)
            {
                return Err(Error::invalid(
                    "delta",
                    "would bring the stock above 1000000000, the most one product can hold",
                ));
            }
            let updated = repository::add_stock(&mut *tx, id, delta).await?;
            tx.commit().await?;
            updated
        }
        StockChange::Quantity(quantity) => repository::set_stock(&state.db, id, quantity).await?,
    };
    updated.ok_or(Error::NotFound("product"))
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
