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
    /// Live products in it.
    pub product_count: i64,
}

/// Live categories with their live product counts, by name.
#[tracing::instrument(skip_all)]
pub async fn categories(db: impl PgExecutor<'_>) -> Result<Vec<CategoryRow>> {
    let rows = sqlx::query_as!(
        CategoryRow,
        r#"SELECT c.id, c.name, c.slug, c.description,
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

/// The category named by `key`: its id, slug, or name in any case.
#[tracing::instrument(skip_all)]
pub async fn resolve_category(db: impl PgExecutor<'_>, key: &str) -> Result<Option<Uuid>> {
    let as_id = Uuid::parse_str(key).ok();
    let id = sqlx::query_scalar!(
        "SELECT id FROM categories WHERE id = $1 OR slug = $2 OR lower(name) = lower($2) LIMIT 1",
        as_id,
        key
    )
    .fetch_optional(db)
    .await?;
    Ok(id)
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
            _ => Error::Database(err),
        },
        _ => Error::Database(err),
    }
}

/// Creates a category.
#[tracing::instrument(skip_all)]
pub async fn insert_category(
    db: impl PgExecutor<'_>,
    name: &str,
    slug: &str,
    description: &str,
) -> Result<CategoryRow> {
    let row = sqlx::query_as!(
        CategoryRow,
        r#"INSERT INTO categories (id, name, slug, description) VALUES ($1, $2, $3, $4)
           RETURNING id, name, slug, description, 0::bigint AS "product_count!""#,
        Uuid::now_v7(),
        name,
        slug,
        description
    )
    .fetch_one(db)
    .await
    .map_err(category_conflict)?;
    Ok(row)
}

/// Changes a category.
#[tracing::instrument(skip_all, fields(category = %id))]
pub async fn update_category(
    db: impl PgExecutor<'_>,
    id: Uuid,
    name: &str,
    slug: &str,
    description: &str,
) -> Result<CategoryRow> {
    let row = sqlx::query_as!(
        CategoryRow,
        r#"UPDATE categories SET name = $2, slug = $3, description = $4 WHERE id = $1
           RETURNING id, name, slug, description,
               (SELECT count(*) FROM products p
                WHERE p.category_id = $1 AND p.deleted_at IS NULL AND p.is_active) AS "product_count!""#,
        id,
        name,
        slug,
        description
    )
    .fetch_optional(db)
    .await
    .map_err(category_conflict)?;
    row.ok_or(Error::NotFound("category"))
}

/// A category, locked until the transaction ends.
#[tracing::instrument(skip_all, fields(category = %id))]
pub async fn lock_category(db: impl PgExecutor<'_>, id: Uuid) -> Result<Option<CategoryRow>> {
    let row = sqlx::query_as!(
        CategoryRow,
        r#"SELECT id, name, slug, description, 0::bigint AS "product_count!"
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
