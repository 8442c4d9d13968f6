//! HTTP for the public catalog: `/api/v1/categories`, `/api/v1/products*`.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::{DateTime, Utc};
use gokart_domain::{Currency, Money, Options, ProductQuery, ProductSort, RawProductQuery};
use gokart_edge::http::ErrorEnvelope;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::repository::{Product, VariantRow};
use super::service::{self, Category};
use crate::error::Result;
use crate::etag::cached_json;
use crate::extract::{Path, Query};
use crate::media::{MediaView, Urls};
use crate::page::Page;
use crate::schemas;
use crate::search::handler::{FacetsView, facet_names};
use crate::state::AppState;

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

/// A category and how many products shoppers can see in it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryView {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// URL slug.
    pub slug: String,
    /// Description.
    pub description: String,
    /// The category it sits in; none for a top-level one.
    pub parent_id: Option<Uuid>,
    /// Its tax class (its products are taxed at the destination's rate for
    /// it), if it has its own; subcategories without one take it.
    pub tax_class: Option<String>,
    /// From the top-level category down to this one.
    pub path: Vec<CategoryCrumb>,
    /// Visible products directly in it.
    pub product_count: i64,
}

/// One step of a category's path.
#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryCrumb {
    /// Id.
    pub id: Uuid,
    /// URL slug.
    pub slug: String,
    /// Name.
    pub name: String,
}

impl From<Category> for CategoryView {
    fn from(Category { row, path }: Category) -> Self {
        CategoryView {
            id: row.id,
            name: row.name,
            slug: row.slug,
            description: row.description,
            parent_id: row.parent_id,
            tax_class: row.tax_class,
            path: path
                .into_iter()
                .map(|c| CategoryCrumb { id: c.id, slug: c.slug, name: c.name })
                .collect(),
            product_count: row.product_count,
        }
    }
}

/// Filters, search, sort and paging for the product list.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ProductListParams {
    /// Full-text search; partial words match ("kett" finds "kettle"), and a
    /// search that finds nothing retries tolerating typos.
    #[param(value_type = schemas::OptionalText<200>, required = false)]
    pub q: Option<String>,
    /// Category slug, id or name; its subcategories' products are listed too.
    #[param(value_type = schemas::OptionalText<200>, required = false)]
    pub category: Option<String>,
    /// Lowest price in minor units, inclusive (at most `max_price`).
    #[param(value_type = i64, required = false, minimum = 0, maximum = 9_223_372_036_854_775_807_i64)]
    pub min_price: Option<String>,
    /// Highest price in minor units, inclusive.
    #[param(value_type = i64, required = false, minimum = 0, maximum = 9_223_372_036_854_775_807_i64)]
    pub max_price: Option<String>,
    /// `true`: only in stock; `false`: only out of stock.
    #[param(value_type = bool, required = false)]
    pub in_stock: Option<String>,
    /// The order: `relevance` by default with `q`, `newest` otherwise.
    #[param(value_type = ProductSort, required = false)]
    pub sort: Option<String>,
    /// Page number, from 1.
    #[param(value_type = u32, required = false, minimum = 1, maximum = 100000)]
    pub page: Option<String>,
    /// Items per page, 1 to 100 (default 20).
    #[param(value_type = u32, required = false, minimum = 1, maximum = 100)]
    pub page_size: Option<String>,
    /// Synonym of `page_size` (which wins when both are given).
    #[param(value_type = u32, required = false, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
    /// Only this brand, as products carry it (the `brand` facet's values).
    #[param(value_type = schemas::OptionalText<200>, required = false)]
    pub brand: Option<String>,
    /// Only products offering these option values, `Name:Value`
    /// comma-separated, at most 3 (`Color:Navy,Size:M`; the `options`
    /// facet's values).
    #[param(value_type = schemas::OptionalText<200>, required = false)]
    pub options: Option<String>,
    /// Facets to count over every match, comma-separated: any of
    /// `category`, `brand`, `price`, `options`.
    #[param(value_type = schemas::OptionalText<200>, required = false)]
    pub facets: Option<String>,
}

/// The `If-None-Match` request header of the conditional GETs
/// ([`crate::etag::cached_json`]).
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IfNoneMatch {
    /// `ETag`s of versions the client holds (or `*`); a match answers 304.
    #[param(rename = "If-None-Match", required = false)]
    pub if_none_match: String,
}

/// A page of the product list.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProductList {
    /// The products on this page.
    pub items: Vec<ProductView>,
    /// 1-based page number.
    pub page: u32,
    /// Items per page requested.
    pub page_size: u32,
    /// Matching products across all pages (at least this many when
    /// `total_is_exact` is false).
    pub total: i64,
    /// Whether `total` is exact (it is up to 10,000 matches).
    pub total_is_exact: bool,
    /// Counts per value over every match, for the facets asked for; left
    /// out while the search index is building.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub facets: Option<FacetsView>,
}

/// Browse and search products.
#[utoipa::path(get, path = "/api/v1/products", tag = "catalog", operation_id = "list_products",
    security(), params(ProductListParams, IfNoneMatch),
    responses(
        (status = 200, description = "A page of products", body = ProductList),
        (status = 422, description = "A parameter is invalid", body = ErrorEnvelope),
    ))]
pub async fn list_products(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<ProductListParams>,
) -> Result<Response> {
    let query = ProductQuery::parse(RawProductQuery {
        q: params.q.as_deref(),
        category: params.category.as_deref(),
        min_price: params.min_price.as_deref(),
        max_price: params.max_price.as_deref(),
        in_stock: params.in_stock.as_deref(),
        sort: params.sort.as_deref(),
        page: params.page.as_deref(),
        page_size: params.page_size.as_deref(),
        limit: params.limit.as_deref(),
        brand: params.brand.as_deref(),
        options: params.options.as_deref(),
    })?;
    let facets = facet_names(params.facets.as_deref())?;
    let listing = service::list_products(&state, &query, facets).await?;
    let urls = state.media_urls();
    let items =
        listing.products.into_iter().map(|product| ProductView::new(product, urls)).collect();
    let list = ProductList {
        items,
        page: query.page.page,
        page_size: query.page.page_size,
        total: listing.total,
        total_is_exact: listing.total_is_exact,
        facets: listing.facets.map(|facets| FacetsView::new(facets, &state)),
    };
    cached_json(&headers, &list)
}

/// One product.
#[utoipa::path(get, path = "/api/v1/products/{id}", tag = "catalog", operation_id = "get_product",
    security(), params(("id" = Uuid, Path, description = "Product id"), IfNoneMatch),
    responses(
        (status = 200, description = "The product", body = ProductView),
        (status = 404, description = "No such product on sale", body = ErrorEnvelope),
    ))]
pub async fn product(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
) -> Result<Response> {
    let product = ProductView::new(service::product(&state, id).await?, state.media_urls());
    cached_json(&headers, &product)
}

/// Every category with its product count.
#[utoipa::path(get, path = "/api/v1/categories", tag = "catalog", operation_id = "list_categories",
    security(), params(IfNoneMatch),
    responses(
        (status = 200, description = "All categories, by name", body = Page<CategoryView>),
    ))]
pub async fn categories(State(state): State<AppState>, headers: HeaderMap) -> Result<Response> {
    let items = service::categories(&state).await?.into_iter().map(CategoryView::from).collect();
    cached_json(&headers, &Page::whole(items))
}
