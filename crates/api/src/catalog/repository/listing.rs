//! The product list: filters, search and sort vary, so this one query is
//! built with `QueryBuilder` from fixed SQL text and bound values only.

use gokart_domain::{ProductSort, SearchTerms};
use sqlx::{PgExecutor, Postgres, QueryBuilder};
use uuid::Uuid;

use super::products::{PRODUCT_COLUMNS, ProductRow};
use crate::error::Result;

/// How `q` is matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Matching {
    /// Full-text search with prefix matching.
    FullText,
    /// Trigram word similarity, for typos.
    Fuzzy,
}

/// A product list request with the category resolved to an id.
#[derive(Debug, Clone, Default)]
pub struct ListFilter<'a> {
    /// Search terms and how to match them.
    pub search: Option<(&'a SearchTerms, Matching)>,
    /// Category ids (a category and its subcategories).
    pub category_ids: Option<Vec<Uuid>>,
    /// Lowest price, inclusive.
    pub min_price: Option<i64>,
    /// Highest price, inclusive.
    pub max_price: Option<i64>,
    /// `true`: in stock; `false`: out of stock.
    pub in_stock: Option<bool>,
    /// Only this brand.
    pub brand: Option<&'a str>,
    /// Only products with a variant on sale offering each of these
    /// (option name, value).
    pub options: &'a [(String, String)],
}

/// `[prefix] SELECT <what> FROM products WHERE <visible and filters>`, with
/// every value bound.
fn filtered<'a>(prefix: &str, what: &str, filter: &ListFilter<'a>) -> QueryBuilder<'a, Postgres> {
    let mut query = QueryBuilder::new(format!(
        "{prefix}SELECT {what} FROM products \
         WHERE deleted_at IS NULL AND is_active AND price_min IS NOT NULL"
    ));
    match filter.search {
        Some((terms, Matching::FullText)) => {
            query.push(" AND search_vector @@ to_tsquery('english', ");
            query.push_bind(terms.prefix_query.as_str()).push(")");
        }
        Some((terms, Matching::Fuzzy)) => {
            query.push(" AND ").push_bind(terms.text.as_str()).push(" <% name");
        }
        None => {}
    }
    match filter.category_ids.as_deref() {
        Some([one]) => {
            query.push(" AND category_id = ").push_bind(*one);
        }
        Some(many) => {
            query.push(" AND category_id = ANY(").push_bind(many.to_vec()).push(")");
        }
        None => {}
    }
    // A price bound matches a product when one of its variants on sale is
    // priced within it; the range columns narrow the search first.
    if let Some(min) = filter.min_price {
        query.push(" AND price_max >= ").push_bind(min);
    }
    if let Some(max) = filter.max_price {
        query.push(" AND price_min <= ").push_bind(max);
    }
    if filter.min_price.is_some() || filter.max_price.is_some() {
        query
            .push(" AND EXISTS (SELECT 1 FROM product_variants v WHERE v.product_id = products.id");
        query.push(" AND v.is_active AND v.deleted_at IS NULL");
        if let Some(min) = filter.min_price {
            query.push(" AND v.price_amount >= ").push_bind(min);
        }
        if let Some(max) = filter.max_price {
            query.push(" AND v.price_amount <= ").push_bind(max);
        }
        query.push(")");
    }
    if let Some(brand) = filter.brand {
        query.push(" AND brand = ").push_bind(brand);
    }
    for (name, value) in filter.options {
        query.push(
            " AND EXISTS (SELECT 1 FROM product_options o JOIN product_variants v \
             ON v.product_id = o.product_id WHERE o.product_id = products.id \
             AND v.is_active AND v.deleted_at IS NULL AND o.name = ",
        );
        query.push_bind(name.as_str()).push(" AND v.option_values[o.position + 1] = ");
        query.push_bind(value.as_str()).push(")");
    }
    // In stock: some variant on sale has units.
    if let Some(in_stock) = filter.in_stock {
        query.push(if in_stock { " AND EXISTS" } else { " AND NOT EXISTS" });
        query.push(" (SELECT 1 FROM product_variants v WHERE v.product_id = products.id");
        query.push(" AND v.is_active AND v.deleted_at IS NULL AND v.stock_quantity > 0)");
    }
    query
}

/// The list query for one page, after `prefix` (`EXPLAIN ` or nothing).
fn page_query<'a>(
    prefix: &str,
    filter: &ListFilter<'a>,
    sort: ProductSort,
    limit: i64,
    offset: i64,
) -> QueryBuilder<'a, Postgres> {
    let mut query = filtered(prefix, PRODUCT_COLUMNS, filter);
    match (sort, filter.search) {
        (ProductSort::Relevance, Some((terms, Matching::FullText))) => {
            query.push(" ORDER BY ts_rank_cd(search_vector, to_tsquery('english', ");
            query.push_bind(terms.prefix_query.as_str()).push(")) DESC, id");
        }
        (ProductSort::Relevance, Some((terms, Matching::Fuzzy))) => {
            query.push(" ORDER BY word_similarity(").push_bind(terms.text.as_str());
            query.push(", name) DESC, id");
        }
        (ProductSort::PriceAsc, _) => {
            query.push(" ORDER BY price_min, id");
        }
        (ProductSort::PriceDesc, _) => {
            query.push(" ORDER BY price_min DESC, id DESC");
        }
        (ProductSort::Newest | ProductSort::Relevance, _) => {
            query.push(" ORDER BY created_at DESC, id DESC");
        }
    }
    query.push(" LIMIT ").push_bind(limit).push(" OFFSET ").push_bind(offset);
    query
}

/// One page of visible products matching `filter`.
#[tracing::instrument(skip_all)]
pub async fn list(
    db: impl PgExecutor<'_>,
    filter: &ListFilter<'_>,
    sort: ProductSort,
    limit: i64,
    offset: i64,
) -> Result<Vec<ProductRow>> {
    let rows = page_query("", filter, sort, limit, offset)
        .build_query_as::<ProductRow>()
        .fetch_all(db)
        .await?;
    Ok(rows)
}

static BY_IDS: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "SELECT {PRODUCT_COLUMNS} FROM products WHERE id = ANY($1) \
         AND deleted_at IS NULL AND is_active AND price_min IS NOT NULL"
    )
});

/// The visible products among `ids`, in the order of `ids` (the search
/// engine's page; one it still holds but the shop no longer shows is left
/// out).
#[tracing::instrument(skip_all)]
pub async fn visible_in_order(db: impl PgExecutor<'_>, ids: &[Uuid]) -> Result<Vec<ProductRow>> {
    let mut rows: Vec<ProductRow> = sqlx::query_as(&BY_IDS).bind(ids).fetch_all(db).await?;
    rows.sort_by_key(|row| ids.iter().position(|id| *id == row.id));
    Ok(rows)
}

/// How many visible products match `filter`, counting no further than
/// `cap` (a broad search matches most of the catalog; counting all of it
/// costs more than the page).
#[tracing::instrument(skip_all)]
pub async fn count(db: impl PgExecutor<'_>, filter: &ListFilter<'_>, cap: i64) -> Result<i64> {
    let mut query = filtered("SELECT count(*) FROM (", "1", filter);
    query.push(" LIMIT ").push_bind(cap).push(") AS matches");
    let total = query.build_query_scalar::<i64>().fetch_one(db).await?;
    Ok(total)
}

/// The query plan PostgreSQL chooses for a page of `filter`, one line per
/// plan node (for checking that lists use indexes).
#[tracing::instrument(skip_all)]
pub async fn explain_list(
    db: impl PgExecutor<'_>,
    filter: &ListFilter<'_>,
    sort: ProductSort,
    limit: i64,
    offset: i64,
) -> Result<String> {
    let lines = page_query("EXPLAIN ", filter, sort, limit, offset)
        .build_query_scalar::<String>()
        .fetch_all(db)
        .await?;
    Ok(lines.join("\n"))
}
