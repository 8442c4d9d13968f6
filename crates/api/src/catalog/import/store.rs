//! SQL for imports: the job, its staged rows, its report, and the batch
//! writes (one statement per kind of write, whatever the batch's size).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::types::Json;
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use super::parse::{ImportRow, RowError};
use super::plan::{Counts, Group, Plan, SkuOwner};
use crate::catalog::repository;
use crate::error::Result;

/// The most row errors an import keeps.
pub const MAX_ERRORS: i64 = 1000;

/// How long a job is held by the instance running it without a word from
/// it; after that another may take it over.
pub const LEASE_SECONDS: f64 = 120.0;

/// An import as admins see it.
#[derive(Debug, Clone)]
pub struct ImportRecord {
    /// Id.
    pub id: Uuid,
    /// `queued`, `running`, `done` or `failed`.
    pub status: String,
    /// Rows in the file.
    pub rows_total: i32,
    /// Rows done with (written, unchanged or skipped).
    pub rows_done: i32,
    /// Rows skipped for errors.
    pub rows_failed: i32,
    /// Products added.
    pub products_created: i32,
    /// Products changed.
    pub products_updated: i32,
    /// Variants added.
    pub variants_created: i32,
    /// Variants changed.
    pub variants_updated: i32,
    /// Why the job failed, when it did.
    pub failure: Option<String>,
    /// Uploaded at.
    pub created_at: DateTime<Utc>,
    /// Finished at.
    pub finished_at: Option<DateTime<Utc>>,
}

/// Starts an import of a file with `columns` (its rows follow with
/// [`stage`] and [`record_errors`], then [`queue`]).
pub async fn create(
    db: impl PgExecutor<'_>,
    id: Uuid,
    columns: &[String],
    created_by: Uuid,
) -> Result<()> {
    sqlx::query!(
        "INSERT INTO product_imports (id, state, columns, rows_total, created_by)
         VALUES ($1, 'queued', $2, 0, $3)",
        id,
        columns,
        created_by
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Records that the file had `rows` rows, `failed` of them bad already.
pub async fn counted(db: impl PgExecutor<'_>, id: Uuid, rows: i32, failed: i32) -> Result<()> {
    sqlx::query!(
        "UPDATE product_imports SET rows_total = $2, rows_done = $3, rows_failed = $3
         WHERE id = $1",
        id,
        rows,
        failed
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Who has each of `skus`.
pub async fn sku_owners(
    db: impl PgExecutor<'_>,
    skus: &[String],
) -> Result<HashMap<String, SkuOwner>> {
    let rows = sqlx::query!(
        r#"SELECT sku, product_id, deleted_at IS NOT NULL AS "deleted!"
           FROM product_variants WHERE sku = ANY($1)"#,
        skus
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.sku, SkuOwner { product_id: r.product_id, deleted: r.deleted }))
        .collect())
}

/// Stages good rows, each with its group key.
pub async fn stage(db: impl PgExecutor<'_>, id: Uuid, rows: &[(String, ImportRow)]) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut keys = Vec::with_capacity(rows.len());
    let mut numbers = Vec::with_capacity(rows.len());
    let mut products = Vec::with_capacity(rows.len());
    let mut names = Vec::with_capacity(rows.len());
    let mut descriptions = Vec::with_capacity(rows.len());
    let mut brands = Vec::with_capacity(rows.len());
    let mut categories = Vec::with_capacity(rows.len());
    let mut actives = Vec::with_capacity(rows.len());
    let mut option_names = Vec::with_capacity(rows.len());
    let mut option_values = Vec::with_capacity(rows.len());
    let mut skus = Vec::with_capacity(rows.len());
    let mut prices = Vec::with_capacity(rows.len());
    let mut compare_ats = Vec::with_capacity(rows.len());
    let mut stocks = Vec::with_capacity(rows.len());
    let mut weights = Vec::with_capacity(rows.len());
    let mut images = Vec::with_capacity(rows.len());
    let mut refused = Vec::with_capacity(rows.len());
    for (key, row) in rows {
        keys.push(key.as_str());
        numbers.push(row.row);
        products.push(row.product_id);
        names.push(row.name.as_deref());
        descriptions.push(row.description.as_deref());
        brands.push(row.brand.as_deref());
        categories.push(row.category.as_deref());
        actives.push(row.active);
        option_names.push(Json(&row.option_names));
        option_values.push(Json(&row.option_values));
        skus.push(row.sku.as_str());
        prices.push(row.price);
        compare_ats.push(row.compare_at);
        stocks.push(row.stock);
        weights.push(row.weight_grams);
        images.push(row.image_urls.as_ref().map(Json));
        refused.push(row.refused);
    }
    sqlx::query!(
        r#"INSERT INTO product_import_rows
               (import_id, group_key, row_no, product_id, name, description, brand, category,
                active, option_names, option_values, sku, price, compare_at, stock,
                weight_grams, image_urls, refused)
           SELECT $1, * FROM unnest($2::text[], $3::int[], $4::uuid[], $5::text[], $6::text[],
                                    $7::text[], $8::text[], $9::bool[], $10::jsonb[],
                                    $11::jsonb[], $12::text[], $13::int8[], $14::int8[],
                                    $15::int4[], $16::int4[], $17::jsonb[], $18::bool[])"#,
        id,
        &keys as &[&str],
        &numbers,
        &products as &[Option<Uuid>],
        &names as &[Option<&str>],
        &descriptions as &[Option<&str>],
        &brands as &[Option<&str>],
        &categories as &[Option<&str>],
        &actives as &[Option<bool>],
        &option_names as &[Json<&Vec<String>>],
        &option_values as &[Json<&Vec<String>>],
        &skus as &[&str],
        &prices as &[Option<i64>],
        &compare_ats as &[Option<i64>],
        &stocks as &[Option<i32>],
        &weights as &[Option<i32>],
        &images as &[Option<Json<&Vec<String>>>],
        &refused,
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Keeps `errors` in the import's report, up to [`MAX_ERRORS`] in all.
pub async fn record_errors(db: impl PgExecutor<'_>, id: Uuid, errors: &[RowError]) -> Result<()> {
    if errors.is_empty() {
        return Ok(());
    }
    let rows: Vec<i32> = errors.iter().map(|e| e.row).collect();
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    let messages: Vec<&str> = errors.iter().map(|e| e.message.as_str()).collect();
    sqlx::query!(
        "INSERT INTO product_import_errors (import_id, row_no, field, message)
         SELECT $1, r, f, m FROM unnest($2::int[], $3::text[], $4::text[]) AS x (r, f, m)
         LIMIT greatest(0, $5 - (SELECT count(*) FROM product_import_errors WHERE import_id = $1))
         ON CONFLICT DO NOTHING",
        id,
        &rows,
        &fields as &[&str],
        &messages as &[&str],
        MAX_ERRORS
    )
    .execute(db)
    .await?;
    Ok(())
}

/// A job taken to run.
#[derive(Debug, Clone)]
pub struct Claimed {
    /// The import.
    pub id: Uuid,
    /// The file's columns.
    pub columns: Vec<String>,
    /// Its rows are done up to this group key.
    pub done_through: String,
    /// This run's hold on it.
    pub lease: Uuid,
    /// How many runs have taken it, this one included.
    pub attempts: i32,
}

/// Takes the oldest queued import, or one whose runner stopped answering.
pub async fn claim(db: impl PgExecutor<'_>) -> Result<Option<Claimed>> {
    Ok(sqlx::query_as!(
        Claimed,
        "UPDATE product_imports
         SET state = 'running', lease = gen_random_uuid(),
             lease_until = now() + make_interval(secs => $1), attempts = attempts + 1,
             started_at = coalesce(started_at, now())
         WHERE id = (SELECT id FROM product_imports
                     WHERE state = 'queued' OR (state = 'running' AND lease_until < now())
                     ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
         RETURNING id, columns, done_through, lease AS \"lease!\", attempts",
        LEASE_SECONDS
    )
    .fetch_optional(db)
    .await?)
}

/// The next `limit` groups after `after`, each whole.
pub async fn next_groups(
    db: impl PgExecutor<'_>,
    id: Uuid,
    after: &str,
    limit: i64,
) -> Result<Vec<Group>> {
    let rows = sqlx::query!(
        r#"SELECT group_key, row_no, product_id, name, description, brand, category, active,
                  option_names AS "option_names: Json<Vec<String>>",
                  option_values AS "option_values: Json<Vec<String>>",
                  sku, price, compare_at, stock, weight_grams,
                  image_urls AS "image_urls: Json<Vec<String>>", refused
           FROM product_import_rows
           WHERE import_id = $1 AND group_key IN (
               SELECT DISTINCT group_key FROM product_import_rows
               WHERE import_id = $1 AND group_key > $2 ORDER BY group_key LIMIT $3)
           ORDER BY group_key, row_no"#,
        id,
        after,
        limit
    )
    .fetch_all(db)
    .await?;
    let mut groups: Vec<Group> = Vec::new();
    for r in rows {
        let row = ImportRow {
            row: r.row_no,
            product_id: r.product_id,
            name: r.name,
            description: r.description,
            brand: r.brand,
            category: r.category,
            active: r.active,
            option_names: r.option_names.0,
            option_values: r.option_values.0,
            sku: r.sku,
            price: r.price,
            compare_at: r.compare_at,
            stock: r.stock,
            weight_grams: r.weight_grams,
            image_urls: r.image_urls.map(|urls| urls.0),
            refused: r.refused,
        };
        match groups.last_mut() {
            Some(group) if group.key == r.group_key => group.rows.push(row),
            _ => groups.push(Group { key: r.group_key, rows: vec![row] }),
        }
    }
    Ok(groups)
}

/// Category ids by slug.
pub async fn categories(
    db: impl PgExecutor<'_>,
    slugs: &[String],
) -> Result<HashMap<String, Uuid>> {
    let rows = sqlx::query!("SELECT slug, id FROM categories WHERE slug = ANY($1)", slugs)
        .fetch_all(db)
        .await?;
    Ok(rows.into_iter().map(|r| (r.slug, r.id)).collect())
}

/// Writes `plan`: a statement for each kind of write that it has.
#[allow(clippy::too_many_lines, reason = "one statement per kind of write, in order")]
pub async fn apply(db: &mut PgConnection, plan: &Plan) -> Result<()> {
    if !plan.new_products.is_empty() {
        let p = &plan.new_products;
        sqlx::query!(
            "INSERT INTO products (id, category_id, name, description, brand, currency, images,
                                   thumbnail, is_active)
             SELECT x.id, x.category_id, x.name, x.description, x.brand, x.currency,
                    ARRAY(SELECT jsonb_array_elements_text(x.images)), x.thumbnail, x.is_active
             FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[],
                         $7::jsonb[], $8::text[], $9::bool[])
                  AS x (id, category_id, name, description, brand, currency, images, thumbnail,
                        is_active)",
            &p.iter().map(|r| r.id).collect::<Vec<_>>(),
            &p.iter().map(|r| r.category_id).collect::<Vec<_>>() as &[Option<Uuid>],
            &p.iter().map(|r| r.name.as_str()).collect::<Vec<_>>() as &[&str],
            &p.iter().map(|r| r.description.as_str()).collect::<Vec<_>>() as &[&str],
            &p.iter().map(|r| r.brand.as_str()).collect::<Vec<_>>() as &[&str],
            &p.iter().map(|r| r.currency.as_str()).collect::<Vec<_>>() as &[&str],
            &p.iter().map(|r| Json(&r.images)).collect::<Vec<_>>() as &[Json<&Vec<String>>],
            &p.iter().map(|r| r.thumbnail.as_deref()).collect::<Vec<_>>() as &[Option<&str>],
            &p.iter().map(|r| r.is_active).collect::<Vec<_>>(),
        )
        .execute(&mut *db)
        .await?;
    }
    if !plan.changed_products.is_empty() {
        let p = &plan.changed_products;
        sqlx::query!(
            "UPDATE products p
             SET category_id = x.category_id, name = x.name, description = x.description,
                 brand = x.brand, images = ARRAY(SELECT jsonb_array_elements_text(x.images)),
                 thumbnail = x.thumbnail, is_active = x.is_active
             FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[],
                         $6::jsonb[], $7::text[], $8::bool[])
                  AS x (id, category_id, name, description, brand, images, thumbnail, is_active)
             WHERE p.id = x.id",
            &p.iter().map(|r| r.id).collect::<Vec<_>>(),
            &p.iter().map(|r| r.category_id).collect::<Vec<_>>() as &[Option<Uuid>],
            &p.iter().map(|r| r.name.as_str()).collect::<Vec<_>>() as &[&str],
            &p.iter().map(|r| r.description.as_str()).collect::<Vec<_>>() as &[&str],
            &p.iter().map(|r| r.brand.as_str()).collect::<Vec<_>>() as &[&str],
            &p.iter().map(|r| Json(&r.images)).collect::<Vec<_>>() as &[Json<&Vec<String>>],
            &p.iter().map(|r| r.thumbnail.as_deref()).collect::<Vec<_>>() as &[Option<&str>],
            &p.iter().map(|r| r.is_active).collect::<Vec<_>>(),
        )
        .execute(&mut *db)
        .await?;
    }
    if !plan.options.is_empty() {
        let o = &plan.options;
        sqlx::query!(
            r#"INSERT INTO product_options (id, product_id, position, name, "values")
               SELECT x.id, x.product_id, x.position, x.name,
                      ARRAY(SELECT jsonb_array_elements_text(x.vals))
               FROM unnest($1::uuid[], $2::uuid[], $3::int2[], $4::text[], $5::jsonb[])
                    AS x (id, product_id, position, name, vals)
               ON CONFLICT (product_id, position) DO UPDATE SET "values" = EXCLUDED."values""#,
            &o.iter().map(|w| w.id).collect::<Vec<_>>(),
            &o.iter().map(|w| w.product_id).collect::<Vec<_>>(),
            &o.iter().map(|w| w.position).collect::<Vec<_>>(),
            &o.iter().map(|w| w.name.as_str()).collect::<Vec<_>>() as &[&str],
            &o.iter().map(|w| Json(&w.values)).collect::<Vec<_>>() as &[Json<&Vec<String>>],
        )
        .execute(&mut *db)
        .await?;
    }
    // Variants that take each other's option values first give theirs up,
    // so that no step holds two alike (the combination index is unique),
    // and new variants go in once the old have moved.
    if !plan.moved.is_empty() {
        repository::park_option_values(&mut *db, &plan.moved).await?;
    }
    if !plan.changed_variants.is_empty() {
        let v = &plan.changed_variants;
        // Locked since they were read (see `repository::lock_products`).
        let ids: Vec<Uuid> = v.iter().map(|r| r.id).collect();
        sqlx::query!(
            "UPDATE product_variants p
             SET option_values = ARRAY(SELECT jsonb_array_elements_text(x.vals)),
                 price_amount = x.price, compare_at_amount = x.compare_at,
                 stock_quantity = x.stock, weight_grams = x.weight
             FROM unnest($1::uuid[], $2::jsonb[], $3::int8[], $4::int8[], $5::int4[],
                         $6::int4[]) AS x (id, vals, price, compare_at, stock, weight)
             WHERE p.id = x.id",
            &ids,
            &v.iter().map(|r| Json(&r.option_values)).collect::<Vec<_>>()
                as &[Json<&Vec<String>>],
            &v.iter().map(|r| r.price_amount).collect::<Vec<_>>(),
            &v.iter().map(|r| r.compare_at_amount).collect::<Vec<_>>() as &[Option<i64>],
            &v.iter().map(|r| r.stock_quantity).collect::<Vec<_>>(),
            &v.iter().map(|r| r.weight_grams).collect::<Vec<_>>() as &[Option<i32>],
        )
        .execute(&mut *db)
        .await?;
    }
    if !plan.new_variants.is_empty() {
        let v = &plan.new_variants;
        sqlx::query!(
            "INSERT INTO product_variants (id, product_id, sku, option_values, price_amount,
                                           compare_at_amount, stock_quantity, weight_grams,
                                           is_active, position)
             SELECT x.id, x.product_id, x.sku, ARRAY(SELECT jsonb_array_elements_text(x.vals)),
                    x.price, x.compare_at, x.stock, x.weight, true, x.position
             FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::jsonb[], $5::int8[],
                         $6::int8[], $7::int4[], $8::int4[], $9::int4[])
                  AS x (id, product_id, sku, vals, price, compare_at, stock, weight, position)",
            &v.iter().map(|r| r.id).collect::<Vec<_>>(),
            &v.iter().map(|r| r.product_id).collect::<Vec<_>>(),
            &v.iter().map(|r| r.sku.as_str()).collect::<Vec<_>>() as &[&str],
            &v.iter().map(|r| Json(&r.option_values)).collect::<Vec<_>>()
                as &[Json<&Vec<String>>],
            &v.iter().map(|r| r.price_amount).collect::<Vec<_>>(),
            &v.iter().map(|r| r.compare_at_amount).collect::<Vec<_>>() as &[Option<i64>],
            &v.iter().map(|r| r.stock_quantity).collect::<Vec<_>>(),
            &v.iter().map(|r| r.weight_grams).collect::<Vec<_>>() as &[Option<i32>],
            &v.iter().map(|r| r.position).collect::<Vec<_>>(),
        )
        .execute(&mut *db)
        .await?;
    }
    Ok(())
}

/// Moves the job on past `through`, with what a batch did; `false` when
/// this run no longer holds it (another took it over).
#[allow(clippy::too_many_arguments, reason = "one update of the job's figures")]
pub async fn advance(
    db: impl PgExecutor<'_>,
    claimed: &Claimed,
    through: &str,
    rows: i32,
    failed: i32,
    counts: Counts,
) -> Result<bool> {
    let moved = sqlx::query!(
        "UPDATE product_imports
         SET done_through = $3, rows_done = rows_done + $4, rows_failed = rows_failed + $5,
             products_created = products_created + $6, products_updated = products_updated + $7,
             variants_created = variants_created + $8, variants_updated = variants_updated + $9,
             lease_until = now() + make_interval(secs => $10)
         WHERE id = $1 AND lease = $2 AND state = 'running'",
        claimed.id,
        claimed.lease,
        through,
        rows,
        failed,
        counts.products_created,
        counts.products_updated,
        counts.variants_created,
        counts.variants_updated,
        LEASE_SECONDS
    )
    .execute(db)
    .await?;
    Ok(moved.rows_affected() == 1)
}

/// Ends the job: `done`, or `failed` with why; its staged rows go.
pub async fn finish(db: &mut PgConnection, claimed: &Claimed, failure: Option<&str>) -> Result<()> {
    let ended = sqlx::query!(
        "UPDATE product_imports
         SET state = CASE WHEN $3::text IS NULL THEN 'done' ELSE 'failed' END, failure = $3,
             lease = NULL, lease_until = NULL, finished_at = now()
         WHERE id = $1 AND lease = $2",
        claimed.id,
        claimed.lease,
        failure
    )
    .execute(&mut *db)
    .await?;
    if ended.rows_affected() == 1 {
        sqlx::query!("DELETE FROM product_import_rows WHERE import_id = $1", claimed.id)
            .execute(&mut *db)
            .await?;
    }
    Ok(())
}

/// An import, when there is one with this id.
pub async fn find(db: impl PgExecutor<'_>, id: Uuid) -> Result<Option<ImportRecord>> {
    Ok(sqlx::query_as!(
        ImportRecord,
        "SELECT id, state AS status, rows_total, rows_done, rows_failed, products_created,
                products_updated, variants_created, variants_updated, failure, created_at,
                finished_at
         FROM product_imports WHERE id = $1",
        id
    )
    .fetch_optional(db)
    .await?)
}

/// The errors kept for an import, by row.
pub async fn errors(db: impl PgExecutor<'_>, id: Uuid) -> Result<Vec<RowError>> {
    let rows = sqlx::query!(
        "SELECT row_no, field, message FROM product_import_errors
         WHERE import_id = $1 ORDER BY row_no, field",
        id
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|r| RowError::new(r.row_no, r.field, r.message)).collect())
}
