//! What the search engine reads from PostgreSQL: the products shoppers can
//! see, as index documents, and which products changed since a moment.

use std::collections::HashMap;
use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use uuid::Uuid;

use super::engine::ProductDoc;
use crate::error::Result;

/// A visible product with what the index holds of its variants on sale.
const DOCS: &str = "\
SELECT p.id, p.name, p.brand, p.description, p.category_id, p.created_at,
       v.skus, v.prices, v.in_stock, v.options
FROM products p
CROSS JOIN LATERAL (
    SELECT coalesce(array_agg(w.sku ORDER BY w.position, w.id), '{}') AS skus,
           coalesce(array_agg(w.price_amount ORDER BY w.position, w.id), '{}') AS prices,
           coalesce(bool_or(w.stock_quantity > 0), false) AS in_stock,
           coalesce((SELECT array_agg(DISTINCT o.name || chr(31) || u.value)
                     FROM product_options o, product_variants x,
                          unnest(x.option_values) WITH ORDINALITY AS u (value, n)
                     WHERE x.product_id = p.id AND x.is_active AND x.deleted_at IS NULL
                       AND o.product_id = p.id AND o.position = u.n - 1), '{}') AS options
    FROM product_variants w
    WHERE w.product_id = p.id AND w.is_active AND w.deleted_at IS NULL) v
WHERE p.deleted_at IS NULL AND p.is_active AND p.price_min IS NOT NULL";

static BATCH: LazyLock<String> =
    LazyLock::new(|| format!("{DOCS} AND p.id > $1 ORDER BY p.id LIMIT $2"));
static BY_ID: LazyLock<String> = LazyLock::new(|| format!("{DOCS} AND p.id = ANY($1)"));

/// Changes after `$1`: products written themselves, any change to a
/// variant (`catalog_changes`, marked when the index holds nothing it
/// changed), a category or one above it renamed or moved. `key` names the
/// change (the writing transaction of a row, or a `catalog_changes` row), so
/// a change is applied once however often it is read, and a change that
/// began earlier but committed later than another is never mistaken for an
/// old one. `at` is when its transaction began.
const CHANGES: &str = "\
WITH RECURSIVE moved (id, at, xid) AS (
    SELECT id, updated_at, xmin::text FROM categories WHERE updated_at > $1
    UNION
    SELECT c.id, m.at, m.xid FROM categories c JOIN moved m ON c.parent_id = m.id
)
SELECT id AS product_id, updated_at AS at, 'p' || xmin::text AS key, false AS index_unchanged
FROM products WHERE updated_at > $1
UNION ALL
SELECT product_id, at, 'c' || id::text, index_unchanged FROM catalog_changes WHERE at > $1
UNION ALL
SELECT p.id, m.at, 'm' || m.xid, false FROM products p JOIN moved m ON p.category_id = m.id";

/// A change to a product.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Change {
    /// The product.
    pub product_id: Uuid,
    /// When the change's transaction began.
    pub at: DateTime<Utc>,
    /// Which change it is.
    pub key: String,
    /// Whether the search index holds nothing it changed (a variant's
    /// stock that stays on the same side of zero, a compare-at price...).
    pub index_unchanged: bool,
}

#[derive(Debug, sqlx::FromRow)]
struct DocRow {
    id: Uuid,
    name: String,
    brand: String,
    description: String,
    category_id: Uuid,
    created_at: DateTime<Utc>,
    skus: Vec<String>,
    prices: Vec<i64>,
    in_stock: bool,
    options: Vec<String>,
}

/// Every category's name and parent, for the paths documents carry.
#[derive(Debug, Default)]
pub struct Categories(HashMap<Uuid, (String, Option<Uuid>)>);

impl Categories {
    /// Reads them all (a shop has hundreds, not millions).
    pub async fn load(db: impl PgExecutor<'_>) -> Result<Categories> {
        let rows: Vec<(Uuid, String, Option<Uuid>)> =
            sqlx::query_as("SELECT id, name, parent_id FROM categories").fetch_all(db).await?;
        Ok(Categories(rows.into_iter().map(|(id, name, parent)| (id, (name, parent))).collect()))
    }

    /// Every category's id and name.
    pub fn names(&self) -> impl Iterator<Item = (Uuid, String)> + '_ {
        self.0.iter().map(|(id, (name, _))| (*id, name.clone()))
    }

    /// The names from `id` up to its root (a cycle, which the schema
    /// refuses, would stop at the tree's depth limit).
    fn path(&self, mut id: Uuid) -> Vec<String> {
        let mut names = Vec::new();
        while let Some((name, parent)) = self.0.get(&id) {
            names.push(name.clone());
            match parent {
                Some(parent) if names.len() < 32 => id = *parent,
                _ => break,
            }
        }
        names
    }

    fn document(&self, row: DocRow) -> ProductDoc {
        ProductDoc {
            categories: self.path(row.category_id),
            id: row.id,
            name: row.name,
            brand: row.brand,
            description: row.description,
            category_id: row.category_id,
            options: row
                .options
                .iter()
                .filter_map(|pair| pair.split_once('\u{1f}'))
                .map(|(name, value)| (name.to_owned(), value.to_owned()))
                .collect(),
            skus: row.skus,
            prices: row.prices,
            in_stock: row.in_stock,
            created_micros: row.created_at.timestamp_micros(),
        }
    }
}

/// Up to `limit` visible products after `after` in id order.
pub async fn batch(
    db: impl PgExecutor<'_>,
    categories: &Categories,
    after: Uuid,
    limit: i64,
) -> Result<Vec<ProductDoc>> {
    let rows: Vec<DocRow> = sqlx::query_as(&BATCH).bind(after).bind(limit).fetch_all(db).await?;
    Ok(rows.into_iter().map(|row| categories.document(row)).collect())
}

/// The visible products among `ids` (the others are gone from the shop).
pub async fn documents(
    db: impl PgExecutor<'_>,
    categories: &Categories,
    ids: &[Uuid],
) -> Result<Vec<ProductDoc>> {
    let rows: Vec<DocRow> = sqlx::query_as(&BY_ID).bind(ids).fetch_all(db).await?;
    Ok(rows.into_iter().map(|row| categories.document(row)).collect())
}

/// The changes after `since` (a product may come more than once).
pub async fn changes(db: impl PgExecutor<'_>, since: DateTime<Utc>) -> Result<Vec<Change>> {
    Ok(sqlx::query_as(CHANGES).bind(since).fetch_all(db).await?)
}

/// A fingerprint of how the catalog is arranged: the category tree and the
/// collections with their products. It changes when a row of them is
/// added, changed or deleted (every write gives a row a new `xmin`).
pub async fn arrangement(db: impl PgExecutor<'_>) -> Result<(i64, i64)> {
    Ok(sqlx::query_as(
        "SELECT sum(rows)::bigint, sum(xids)::bigint FROM (
             SELECT count(*) AS rows, coalesce(sum(xmin::text::bigint), 0) AS xids FROM categories
             UNION ALL
             SELECT count(*), coalesce(sum(xmin::text::bigint), 0) FROM collections
             UNION ALL
             SELECT count(*), coalesce(sum(xmin::text::bigint), 0) FROM collection_products
         ) tables",
    )
    .fetch_one(db)
    .await?)
}

/// The moment from which changes may still appear: every change is stamped
/// with the start of its transaction, so one not yet committed began no
/// earlier than the oldest transaction open now (in this database, any
/// role's that this one may see), and a change committed by now is stamped
/// before now. `margin` is taken off both.
pub async fn horizon(db: impl PgExecutor<'_>, margin: chrono::TimeDelta) -> Result<DateTime<Utc>> {
    let horizon: DateTime<Utc> = sqlx::query_scalar(
        "SELECT least(clock_timestamp(),
                      (SELECT min(xact_start) FROM pg_stat_activity
                       WHERE datname = current_database() AND pid <> pg_backend_pid()
                         AND xact_start IS NOT NULL))",
    )
    .fetch_one(db)
    .await?;
    Ok(horizon - margin)
}
