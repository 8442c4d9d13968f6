//! HTTP for the public catalog: `/api/v1/categories`, `/api/v1/products*`.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use gokart_domain::{ProductQuery, ProductSort, RawProductQuery};
use gokart_edge::http::ErrorEnvelope;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::cache::{ProductCache, Shelved};
use super::service::{self, Category};
use super::view::ProductView;
use crate::error::Result;
use crate::etag::{TaggedJson, json_with_tag};
use crate::extract::{Path, Query};
use crate::page::Page;
use crate::schemas;
use crate::search::handler::{FacetsView, facet_names};
use crate::state::AppState;

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
    #[schema(value_type = Vec<ProductView>)]
    pub items: Vec<Arc<Shelved>>,
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
    RawQuery(raw): RawQuery,
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
    // Browsing pages are kept whole; a search's are the engine's to answer
    // (their words are too many to keep).
    let key = query.search.is_none().then(|| format!("products?{}", raw.unwrap_or_default()));
    from_pages(&state, &headers, key, async {
        let listing = service::list_products(&state, &query, facets).await?;
        Ok(ProductList {
            items: listing.products,
            page: query.page.page,
            page_size: query.page.page_size,
            total: listing.total,
            total_is_exact: listing.total_is_exact,
            facets: listing.facets.map(|facets| FacetsView::new(facets, &state)),
        })
    })
    .await
}

/// The response kept in the product cache for `key`, or the one `make`
/// makes (then kept for the next request, unless the catalog changed
/// meanwhile; with no key, not kept). Same bytes and `ETag` either way.
pub async fn from_pages<T: Serialize>(
    state: &AppState,
    headers: &HeaderMap,
    key: Option<String>,
    make: impl Future<Output = Result<T>>,
) -> Result<Response> {
    let cache = key.as_ref().and(state.product_cache());
    if let Some(page) = cache.zip(key.as_deref()).and_then(|(cache, key)| cache.page(key)) {
        return page.respond(headers);
    }
    let generation = cache.map(ProductCache::generation);
    let value = make.await?;
    // A page to keep is gzipped once, here; one sent once is not worth it.
    let page = TaggedJson::new(&value, cache.is_some())?;
    let response = page.respond(headers);
    if let (Some(cache), Some(generation), Some(key)) = (cache, generation, key) {
        cache.keep_page(generation, key, page);
    }
    response
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
    let product = service::product(&state, id).await?;
    json_with_tag(&headers, product.etag().clone(), product.body())
}

/// Every category with its product count.
#[utoipa::path(get, path = "/api/v1/categories", tag = "catalog", operation_id = "list_categories",
    security(), params(IfNoneMatch),
    responses(
        (status = 200, description = "All categories, by name", body = Page<CategoryView>),
    ))]
pub async fn categories(State(state): State<AppState>, headers: HeaderMap) -> Result<Response> {
    from_pages(&state, &headers, Some("categories".to_owned()), async {
        let items: Vec<CategoryView> =
            service::categories(&state).await?.into_iter().map(CategoryView::from).collect();
        Ok(Page::whole(items))
    })
    .await
}
