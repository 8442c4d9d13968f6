//! Catalog use cases.

use std::collections::HashMap;
use std::sync::Arc;

use gokart_domain::variants::first_clash;
use gokart_domain::{Options, ProductOption, ProductQuery, ProductSort, SearchTerms, Violations};
use uuid::Uuid;

use super::cache::{ProductCache, Shelved};
use super::events::announce;
use super::repository::{
    self, CategoryRow, CategoryValues, ListFilter, Matching, Product, ProductRow, VariantRow,
};
use super::variants::{self, StockChange, VariantChanges, blank_variant, move_stock};
use super::view::ProductView;
use crate::error::{Error, Result};
use crate::search::engine::{FacetNames, Facets, SUGGESTIONS, SearchRequest, Suggestion, WINDOW};
use crate::search::{self};
use crate::state::AppState;
use crate::webhooks::{self, Event, EventType};

/// A page of the product list, and what it is a page of.
#[derive(Debug)]
pub struct Listing {
    /// The page's products, as shoppers see them.
    pub products: Vec<Arc<Shelved>>,
    /// How many match in all: exactly, or at least this many.
    pub total: i64,
    /// Whether `total` is exact.
    pub total_is_exact: bool,
    /// The facets asked for, counted over every match (by the search
    /// engine; none while it is building or off).
    pub facets: Option<Facets>,
}

/// A page of visible products for `query`: from the search engine once it
/// is built (to its window of results), else from PostgreSQL.
#[tracing::instrument(skip_all)]
pub async fn list_products(
    state: &AppState,
    query: &ProductQuery,
    facets: FacetNames,
) -> Result<Listing> {
    // A category lists the products of its subcategories too.
    let category_ids = match &query.category {
        None => None,
        Some(key) => match repository::resolve_with_descendants(&state.db, key).await? {
            ids if ids.is_empty() => {
                let facets = (!facets.none()).then(Facets::default);
                return Ok(Listing {
                    products: Vec::new(),
                    total: 0,
                    total_is_exact: true,
                    facets,
                });
            }
            ids => Some(ids),
        },
    };
    let (limit, offset) = (query.page.limit(), query.page.offset());
    let within = usize::try_from(offset.saturating_add(limit)).is_ok_and(|end| end <= WINDOW);
    let (page, total, total_is_exact, facets) = match state.search.ready() {
        Some(index) if within => {
            let request = SearchRequest {
                text: query.search.as_ref().map(|terms| terms.text.clone()),
                category_ids,
                min_price: query.min_price,
                max_price: query.max_price,
                in_stock: query.in_stock,
                brand: query.brand.clone(),
                options: query.options.clone(),
                sort: query.sort,
                limit: usize::try_from(limit).unwrap_or(1),
                offset: usize::try_from(offset).unwrap_or(0),
                facets,
            };
            let hits = search::blocking(move || index.search(&request)).await?;
            let total = i64::try_from(hits.total).unwrap_or(i64::MAX);
            (Page::Ids(hits.ids), total, true, (!facets.none()).then_some(hits.facets))
        }
        _ => {
            let filter = ListFilter {
                search: query.search.as_ref().map(|terms| (terms, Matching::FullText)),
                category_ids,
                min_price: query.min_price,
                max_price: query.max_price,
                in_stock: query.in_stock,
                brand: query.brand.as_deref(),
                options: &query.options,
            };
            let (rows, total, exact) = sql_page(state, filter, query).await?;
            (Page::Rows(rows), total, exact, None)
        }
    };
    let products = shelved(state, page).await?;
    Ok(Listing { products, total, total_is_exact, facets })
}

/// `rows` (visible products) as shoppers see them, in order: from the
/// product cache, and from PostgreSQL what it does not hold.
pub async fn shelved_rows(state: &AppState, rows: Vec<ProductRow>) -> Result<Vec<Arc<Shelved>>> {
    shelved(state, Page::Rows(rows)).await
}

/// A page's products: their ids (from the search engine), or their rows
/// (from PostgreSQL's own search).
enum Page {
    Ids(Vec<Uuid>),
    Rows(Vec<ProductRow>),
}

/// The visible products of `page` as shoppers see them, in its order: from
/// the product cache, and from PostgreSQL what it does not hold (which the
/// cache then keeps).
async fn shelved(state: &AppState, page: Page) -> Result<Vec<Arc<Shelved>>> {
    let cache = state.product_cache();
    let ids: Vec<Uuid> = match &page {
        Page::Ids(ids) => ids.clone(),
        Page::Rows(rows) => rows.iter().map(|row| row.id).collect(),
    };
    let mut found: HashMap<Uuid, Arc<Shelved>> = HashMap::with_capacity(ids.len());
    if let Some(cache) = cache {
        found.extend(ids.iter().filter_map(|id| Some((*id, cache.get(*id)?))));
    }
    if found.len() < ids.len() {
        let generation = cache.map(ProductCache::generation);
        let rows = match page {
            Page::Rows(rows) => {
                rows.into_iter().filter(|row| !found.contains_key(&row.id)).collect()
            }
            Page::Ids(ids) => {
                let missing: Vec<Uuid> =
                    ids.into_iter().filter(|id| !found.contains_key(id)).collect();
                repository::visible_in_order(&state.db, &missing).await?
            }
        };
        let mut db = state.db.acquire().await?;
        let urls = state.media_urls();
        let mut read = Vec::with_capacity(rows.len());
        for mut product in repository::complete(&mut db, rows).await? {
            // Shoppers see the variants on sale.
            product.variants.retain(|v| v.is_active);
            let id = product.row.id;
            read.push((id, Arc::new(Shelved::new(&ProductView::new(product, urls))?)));
        }
        if let (Some(cache), Some(generation)) = (cache, generation) {
            cache.keep(generation, &read);
        }
        found.extend(read);
    }
    Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
}

/// A page from PostgreSQL's own search (the engine's fallback): full text
/// with prefixes, then trigram similarity when that finds nothing. The
/// total is counted to [`WINDOW`] and is a lower bound beyond it.
async fn sql_page(
    state: &AppState,
    mut filter: ListFilter<'_>,
    query: &ProductQuery,
) -> Result<(Vec<ProductRow>, i64, bool)> {
    let cap = i64::try_from(WINDOW).unwrap_or(i64::MAX);
    let mut total = repository::count(&state.db, &filter, cap + 1).await?;
    if total == 0
        && let Some(terms) = &query.search
    {
        filter.search = Some((terms, Matching::Fuzzy));
        total = repository::count(&state.db, &filter, cap + 1).await?;
    }
    let exact = total <= cap;
    let total = total.min(cap);
    let (limit, offset) = (query.page.limit(), query.page.offset());
    if exact && offset >= total {
        return Ok((Vec::new(), total, exact));
    }
    let rows = repository::list(&state.db, &filter, query.sort, limit, offset).await?;
    Ok((rows, total, exact))
}

/// Up to eight completions of what a shopper is typing: categories and
/// product names from the search engine, or product names from
/// PostgreSQL's search while it is building or off.
#[tracing::instrument(skip_all)]
pub async fn suggest(state: &AppState, terms: &SearchTerms) -> Result<Vec<Suggestion>> {
    if let Some(index) = state.search.ready() {
        return Ok(index.suggest(&terms.text));
    }
    let filter = ListFilter { search: Some((terms, Matching::FullText)), ..ListFilter::default() };
    let limit = i64::try_from(SUGGESTIONS).unwrap_or(8);
    let rows = repository::list(&state.db, &filter, ProductSort::Relevance, limit, 0).await?;
    Ok(rows
        .into_iter()
        .map(|row| Suggestion { text: row.name, category: false, id: row.id })
        .collect())
}

/// A product shoppers can see, as they see it: from the product cache, or
/// from PostgreSQL (which the cache then keeps).
pub async fn product(state: &AppState, id: Uuid) -> Result<Arc<Shelved>> {
    if let Some(product) = state.product_cache().and_then(|cache| cache.get(id)) {
        return Ok(product);
    }
    shelved(state, Page::Ids(vec![id])).await?.pop().ok_or(Error::NotFound("product"))
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
    /// SKU of the product's one variant.
    pub sku: Option<String>,
    /// Price of the product's one variant, in minor units.
    pub price: Option<i64>,
    /// Units of the product's one variant.
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
    /// The options, each with its id when it is an existing one.
    pub options: Option<Vec<(Option<Uuid>, ProductOption)>>,
    /// Creating only: the variants.
    pub variants: Option<Vec<VariantChanges>>,
}

impl ProductChanges {
    /// The product-level field that changes what only a variant holds.
    fn variant_field(&self) -> Option<&'static str> {
        if self.sku.is_some() {
            Some("sku")
        } else if self.price.is_some() {
            Some("price")
        } else if self.stock_quantity.is_some() {
            Some("stock_quantity")
        } else {
            None
        }
    }

    /// The product-level SKU, price and stock as changes to one variant.
    fn as_variant(&self) -> VariantChanges {
        VariantChanges {
            sku: self.sku.clone(),
            price: self.price,
            stock_quantity: self.stock_quantity,
            ..VariantChanges::default()
        }
    }

    fn apply(&self, mut fields: ProductRow) -> ProductRow {
        let non_empty = |text: &String| Some(text.clone()).filter(|t| !t.is_empty());
        if let Some(category_id) = self.category_id {
            fields.category_id = Some(category_id);
        }
        if let Some(name) = &self.name {
            fields.name.clone_from(name);
        }
        if let Some(description) = &self.description {
            fields.description.clone_from(description);
        }
        if let Some(brand) = &self.brand {
            fields.brand.clone_from(brand);
        }
        if let Some(images) = &self.images {
            fields.images.clone_from(images);
        }
        if let Some(thumbnail) = &self.thumbnail {
            fields.thumbnail = non_empty(thumbnail);
        }
        if let Some(attributes) = &self.attributes {
            fields.attributes = attributes.clone();
        }
        if let Some(warranty) = &self.warranty {
            fields.warranty = non_empty(warranty);
        }
        if let Some(is_active) = self.is_active {
            fields.is_active = is_active;
        }
        fields
    }
}

/// Creates a product with its options and variants in one transaction.
/// Name and category are required, and either variants (each with a SKU,
/// a price and one value of every option) or, for a product without
/// options, a product-level SKU and price for its one variant.
#[tracing::instrument(skip_all)]
pub async fn create_product(state: &AppState, changes: ProductChanges) -> Result<Product> {
    let mut v = Violations::new();
    for (field, absent) in
        [("name", changes.name.is_none()), ("category_id", changes.category_id.is_none())]
    {
        if absent {
            v.add(field, "is required");
        }
    }
    let options: Vec<(Option<Uuid>, ProductOption)> = changes.options.clone().unwrap_or_default();
    let option_set = Options::from_stored(options.iter().map(|(_, o)| o.clone()).collect());
    let drafts = match &changes.variants {
        Some(variants) => {
            if let Some(field) = changes.variant_field() {
                v.add(field, "give it per variant, in variants");
            }
            variants.clone()
        }
        None => {
            if !option_set.is_empty() {
                v.add("variants", "is required when the product has options");
            }
            vec![changes.as_variant()]
        }
    };
    let prefix = |i: usize| {
        if changes.variants.is_some() { format!("variants[{i}].") } else { String::new() }
    };
    let mut variants = Vec::with_capacity(drafts.len());
    for (i, draft) in drafts.into_iter().enumerate() {
        if draft.sku.is_none() {
            v.add(format!("{}sku", prefix(i)), "is required");
        }
        if draft.price.is_none() {
            v.add(format!("{}price", prefix(i)), "is required");
        }
        let chosen = draft.options.clone().unwrap_or_default();
        let combination =
            v.check(&format!("{}options", prefix(i)), option_set.combination(&chosen));
        variants.push(draft.apply(blank_variant(combination.unwrap_or_default())));
    }
    for (i, (id, _)) in options.iter().enumerate() {
        if id.is_some() {
            v.add(format!("options[{i}].id"), "a new product's options have no ids yet");
        }
    }
    let combinations: Vec<Vec<String>> = variants.iter().map(|f| f.option_values.clone()).collect();
    if v.is_empty()
        && let Some((first, again)) = first_clash(&combinations)
    {
        v.add(format!("variants[{again}].options"), format!("repeats variants[{first}]"));
    }
    let skus: Vec<Vec<String>> = variants.iter().map(|f| vec![f.sku.clone()]).collect();
    if v.is_empty()
        && let Some((first, again)) = first_clash(&skus)
    {
        v.add(format!("variants[{again}].sku"), format!("repeats variants[{first}]"));
    }
    v.into_result()?;
    let blank = ProductRow::blank(Uuid::now_v7());
    let mut tx = state.db.begin().await?;
    let id = repository::insert_product(&mut *tx, &changes.apply(blank)).await?;
    repository::replace_options(&mut tx, id, &options).await?;
    for variant in &variants {
        repository::insert_variant(&mut *tx, id, variant).await?;
    }
    let created = repository::lock_product(&mut tx, id).await?.ok_or(Error::NotFound("product"))?;
    announce(&mut tx, state, EventType::ProductCreated, &[], &created).await?;
    tx.commit().await?;
    Ok(created)
}

/// The one variant of `product` that a product-level change (SKU, price,
/// stock) applies to; a product with several must be changed per variant,
/// a 422 `variant_required` naming `field`.
pub(super) fn only_variant(product: &Product, field: &'static str) -> Result<VariantRow> {
    match product.variants.as_slice() {
        [only] => Ok(only.clone()),
        _ => Err(Error::variant_required(field)),
    }
}

/// Applies `changes` to product `id`: its own fields, its options (see
/// [`super::variants::change_options`]) and, for a product with one
/// variant, that variant's SKU, price and stock.
#[tracing::instrument(skip_all, fields(product = %id))]
pub async fn update_product(
    state: &AppState,
    id: Uuid,
    changes: ProductChanges,
) -> Result<Product> {
    if changes.variants.is_some() {
        return Err(Error::invalid(
            "variants",
            "change variants through /api/v1/admin/products/{id}/variants and /api/v1/admin/variants/{id}",
        ));
    }
    let mut tx = state.db.begin().await?;
    let mut current =
        repository::lock_product(&mut tx, id).await?.ok_or(Error::NotFound("product"))?;
    let before = current.variants.clone();
    if let Some(options) = &changes.options {
        variants::change_options(&mut tx, &current, options).await?;
        current = repository::lock_product(&mut tx, id).await?.ok_or(Error::NotFound("product"))?;
    }
    if let Some(field) = changes.variant_field() {
        let variant = only_variant(&current, field)?;
        repository::update_variant(&mut *tx, &changes.as_variant().apply(variant.clone())).await?;
        if let Some(quantity) = changes.stock_quantity {
            repository::set_stock(&mut *tx, variant.id, quantity).await?;
        }
    }
    repository::update_product(&mut *tx, &changes.apply(current.row)).await?;
    let updated = repository::lock_product(&mut tx, id).await?.ok_or(Error::NotFound("product"))?;
    announce(&mut tx, state, EventType::ProductUpdated, &before, &updated).await?;
    tx.commit().await?;
    Ok(updated)
}

/// Hides product `id` from shoppers for good; orders keep their copy.
pub async fn delete_product(state: &AppState, id: Uuid) -> Result<()> {
    let mut tx = state.db.begin().await?;
    if !repository::soft_delete_product(&mut *tx, id).await? {
        return Err(Error::NotFound("product"));
    }
    let deleted = Event {
        kind: EventType::ProductDeleted,
        subject: format!("product:{id}"),
        data: serde_json::json!({ "product": { "id": id } }),
    };
    webhooks::emit(&mut *tx, &[deleted]).await?;
    tx.commit().await?;
    Ok(())
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
    move_stock(&mut tx, &variant, change).await?;
    let updated = repository::lock_product(&mut tx, id).await?.ok_or(Error::NotFound("product"))?;
    announce(&mut tx, state, EventType::ProductUpdated, &current.variants, &updated).await?;
    tx.commit().await?;
    Ok(updated)
}

/// A category with its place in the tree.
#[derive(Debug, Clone)]
pub struct Category {
    /// The category.
    pub row: CategoryRow,
    /// From the top-level category down to this one.
    pub path: Vec<CategoryRow>,
}

/// Every category with its path from the top, by name.
pub async fn categories(state: &AppState) -> Result<Vec<Category>> {
    let rows = repository::categories(&state.db).await?;
    let by_id: HashMap<Uuid, &CategoryRow> = rows.iter().map(|row| (row.id, row)).collect();
    let path = |row: &CategoryRow| {
        let mut path = vec![row.clone()];
        // The database refuses loops; the bound keeps a bad row from hanging us.
        while let Some(parent) = path.last().and_then(|c| c.parent_id).and_then(|id| by_id.get(&id))
            && path.len() <= rows.len()
        {
            path.push((*parent).clone());
        }
        path.reverse();
        path
    };
    Ok(rows.iter().map(|row| Category { row: row.clone(), path: path(row) }).collect())
}

async fn category(state: &AppState, id: Uuid) -> Result<Category> {
    let all = categories(state).await?;
    all.into_iter().find(|c| c.row.id == id).ok_or(Error::NotFound("category"))
}

/// Category changes from an admin; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct CategoryChanges {
    /// Name.
    pub name: Option<String>,
    /// URL slug.
    pub slug: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Parent; `Some(None)` makes it top-level.
    pub parent_id: Option<Option<Uuid>>,
    /// Tax class; `Some(None)` clears it.
    pub tax_class: Option<Option<String>>,
}

impl CategoryChanges {
    fn apply(self, mut values: CategoryValues) -> CategoryValues {
        if let Some(name) = self.name {
            values.name = name;
        }
        if let Some(slug) = self.slug {
            values.slug = slug;
        }
        if let Some(description) = self.description {
            values.description = description;
        }
        if let Some(parent_id) = self.parent_id {
            values.parent_id = parent_id;
        }
        if let Some(tax_class) = self.tax_class {
            values.tax_class = tax_class;
        }
        values
    }
}

/// Creates a category (name and slug required), inside `parent_id` when given.
pub async fn create_category(state: &AppState, changes: CategoryChanges) -> Result<Category> {
    let blank = CategoryValues {
        name: String::new(),
        slug: String::new(),
        description: String::new(),
        parent_id: None,
        tax_class: None,
    };
    let mut tx = state.db.begin().await?;
    if changes.parent_id.is_some_and(|parent| parent.is_some()) {
        repository::lock_tree(&mut *tx).await?;
    }
    let id = repository::insert_category(&mut *tx, &changes.apply(blank)).await?;
    tx.commit().await?;
    category(state, id).await
}

/// Changes a category; moving it under one of its own subcategories is a
/// 409 `category_cycle`.
pub async fn update_category(
    state: &AppState,
    id: Uuid,
    changes: CategoryChanges,
) -> Result<Category> {
    let mut tx = state.db.begin().await?;
    repository::lock_tree(&mut *tx).await?;
    let current =
        repository::lock_category(&mut *tx, id).await?.ok_or(Error::NotFound("category"))?;
    let values = CategoryValues {
        name: current.name,
        slug: current.slug,
        description: current.description,
        parent_id: current.parent_id,
        tax_class: current.tax_class,
    };
    repository::update_category(&mut *tx, id, &changes.apply(values)).await?;
    tx.commit().await?;
    category(state, id).await
}

/// Deletes a category that has no subcategories and no products left
/// (deleted ones aside).
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
    let children = repository::subcategories(&mut *tx, id).await?;
    if children > 0 {
        return Err(Error::conflict(
            "category_not_empty",
            format!("the category still has {children} subcategories; move or delete them first"),
        ));
    }
    repository::delete_category(&mut tx, id).await?;
    tx.commit().await?;
    Ok(())
}
