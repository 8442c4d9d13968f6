//! SQL for categories.

use sqlx::PgExecutor;
use uuid::Uuid;

use crate::error::{Error, Result};

/// A category with the number of products shoppers can see in it.
#[derive(Debug, Clone)]
pub struct CategoryRow {
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
    /// Its tax class, if it has its own.
    pub tax_class: Option<String>,
    /// Live products in it.
    pub product_count: i64,
}

/// What an admin writes about a category.
#[derive(Debug, Clone)]
pub struct CategoryValues {
    /// Name.
    pub name: String,
    /// URL slug.
    pub slug: String,
    /// Description.
    pub description: String,
    /// Parent category.
    pub parent_id: Option<Uuid>,
    /// Tax class.
    pub tax_class: Option<String>,
}

/// Live categories with their live product counts, by name.
#[tracing::instrument(skip_all)]
pub async fn categories(db: impl PgExecutor<'_>) -> Result<Vec<CategoryRow>> {
    let rows = sqlx::query_as!(
        CategoryRow,
        r#"SELECT c.id, c.name, c.slug, c.description, c.parent_id, c.tax_class,
                  count(p.id) AS "product_count!"
           FROM categories c
           LEFT JOIN products p ON p.category_id = c.id AND p.deleted_at IS NULL AND p.is_active
           GROUP BY c.id
           ORDER BY c.name, c.id"#
    )
    .fetch_all(db)
    .await?;
    Ok(rows)
}

/// The category named by `key` (its id, slug, or name in any case) and
/// every category below it; none when no category has that name.
#[tracing::instrument(skip_all)]
pub async fn resolve_with_descendants(db: impl PgExecutor<'_>, key: &str) -> Result<Vec<Uuid>> {
    let as_id = Uuid::parse_str(key).ok();
    let ids = sqlx::query_scalar!(
        r#"WITH RECURSIVE down (id) AS (
               (SELECT id FROM categories
                WHERE id = $1 OR slug = $2 OR lower(name) = lower($2) LIMIT 1)
               UNION
               SELECT c.id FROM categories c JOIN down ON c.parent_id = down.id
           )
           SELECT id AS "id!" FROM down"#,
        as_id,
        key
    )
    .fetch_all(db)
    .await?;
    Ok(ids)
}

fn category_conflict(err: sqlx::Error) -> Error {
    match &err {
        sqlx::Error::Database(db) => match db.constraint() {
            Some("categories_slug_key") => {
                Error::conflict("slug_taken", "another category has this slug")
            }
            Some("categories_name_key") => {
                Error::conflict("name_taken", "another category has this name")
            }
            Some("categories_parent_id_fkey") => Error::invalid("parent_id", "no such category"),
            Some("categories_no_cycle") => Error::conflict(
                "category_cycle",
                "a category cannot sit inside itself or one of its subcategories",
            ),
            _ => Error::Database(err),
        },
        _ => Error::Database(err),
    }
}

/// Takes the lock every change to the tree takes (the loop check's), before
/// any category row: moves then queue in one order and never deadlock.
#[tracing::instrument(skip_all)]
pub async fn lock_tree(db: impl PgExecutor<'_>) -> Result<()> {
    sqlx::query!("SELECT pg_advisory_xact_lock(hashtext('categories_tree'))").execute(db).await?;
    Ok(())
}

/// Creates a category; its id.
#[tracing::instrument(skip_all)]
pub async fn insert_category(db: impl PgExecutor<'_>, c: &CategoryValues) -> Result<Uuid> {
    sqlx::query_scalar!(
        "INSERT INTO categories (id, name, slug, description, parent_id, tax_class)
         VALUES ($1, $2, $3, $4, $5, $6)
         RETURNING id",
        Uuid::now_v7(),
        c.name,
        c.slug,
        c.description,
        c.parent_id,
        c.tax_class
    )
    .fetch_one(db)
    .await
    .map_err(category_conflict)
}

/// Changes a category.
#[tracing::instrument(skip_all, fields(category = %id))]
pub async fn update_category(db: impl PgExecutor<'_>, id: Uuid, c: &CategoryValues) -> Result<()> {
    sqlx::query!(
        "UPDATE categories SET name = $2, slug = $3, description = $4, parent_id = $5,
                               tax_class = $6
         WHERE id = $1",
        id,
        c.name,
        c.slug,
        c.description,
        c.parent_id,
        c.tax_class
    )
    .execute(db)
    .await
    .map_err(category_conflict)?;
    Ok(())
}

/// How many categories sit directly in `id`.
#[tracing::instrument(skip_all, fields(category = %id))]
pub async fn subcategories(db: impl PgExecutor<'_>, id: Uuid) -> Result<i64> {
    Ok(sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM categories WHERE parent_id = $1"#,
        id
    )
    .fetch_one(db)
    .await?)
}

/// A category, locked until the transaction ends.
#[tracing::instrument(skip_all, fields(category = %id))]
pub async fn lock_category(db: impl PgExecutor<'_>, id: Uuid) -> Result<Option<CategoryRow>> {
    let row = sqlx::query_as!(
        CategoryRow,
        r#"SELECT id, name, slug, description, parent_id, tax_class, 0::bigint AS "product_count!"
           FROM categories WHERE id = $1 FOR UPDATE"#,
        id
    )
    .fetch_optional(db)
    .await?;
    Ok(row)
}

/// Products not deleted in a category (active or not).
#[tracing::instrument(skip_all, fields(category = %id))]
pub async fn products_in_category(db: impl PgExecutor<'_>, id: Uuid) -> Result<i64> {
    let count = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM products WHERE category_id = $1 AND deleted_at IS NULL"#,
        id
    )
    .fetch_one(db)
    .await?;
    Ok(count)
}

/// Deletes a category, detaching deleted products that still pointed at it.
#[tracing::instrument(skip_all, fields(category = %id))]
pub async fn delete_category(db: &mut sqlx::PgConnection, id: Uuid) -> Result<()> {
    sqlx::query!(
        "UPDATE products SET category_id = NULL WHERE category_id = $1 AND deleted_at IS NOT NULL",
        id
    )
    .execute(&mut *db)
    .await?;
    sqlx::query!("DELETE FROM categories WHERE id = $1", id).execute(&mut *db).await?;
    Ok(())
}
