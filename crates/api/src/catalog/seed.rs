//! Demo catalog data: the curated catalog in `data/catalog.json` (compiled
//! into the binary, so seeding needs no files and no network), and
//! generated products in bulk for benchmarks.

use std::collections::HashMap;

use anyhow::Context;
use serde::Deserialize;
use sqlx::PgPool;
use uuid::Uuid;

const CATALOG: &str = include_str!("../../data/catalog.json");

#[derive(Debug, Deserialize)]
struct Catalog {
    categories: Vec<SeedCategory>,
    products: Vec<SeedProduct>,
}

#[derive(Debug, Deserialize)]
struct SeedCategory {
    name: String,
    slug: String,
    description: String,
}

#[derive(Debug, Deserialize)]
struct SeedProduct {
    category: String,
    name: String,
    brand: String,
    description: String,
    sku: String,
    price: i64,
    stock_quantity: i32,
    images: Vec<String>,
    thumbnail: String,
    warranty: Option<String>,
}

/// Loads the demo catalog; rows that exist (by slug or SKU) are left alone.
/// Returns how many products were added.
pub async fn demo_catalog(db: &PgPool) -> anyhow::Result<u64> {
    let catalog: Catalog =
        serde_json::from_str(CATALOG).context("data/catalog.json is malformed")?;
    let mut tx = db.begin().await?;
    for category in &catalog.categories {
        sqlx::query!(
            "INSERT INTO categories (id, name, slug, description) VALUES ($1, $2, $3, $4)
             ON CONFLICT DO NOTHING",
            Uuid::now_v7(),
            category.name,
            category.slug,
            category.description
        )
        .execute(&mut *tx)
        .await?;
    }
    let ids: HashMap<String, Uuid> = sqlx::query!("SELECT slug, id FROM categories")
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .map(|row| (row.slug, row.id))
        .collect();
    let mut added = 0;
    for product in &catalog.products {
        let category = ids.get(&product.category).with_context(|| {
            format!("product {} names unknown category {}", product.sku, product.category)
        })?;
        // A product whose SKU is already taken was seeded before.
        added += sqlx::query!(
            "WITH product AS (
                 INSERT INTO products (id, category_id, name, description, brand, images,
                                       thumbnail, warranty)
                 SELECT $1, $2, $3, $4, $5, $9, $10, $11
                 WHERE NOT EXISTS (SELECT 1 FROM product_variants WHERE sku = $6)
                 RETURNING id)
             INSERT INTO product_variants (id, product_id, sku, price_amount, stock_quantity)
             SELECT $12, id, $6, $7, $8 FROM product",
            Uuid::now_v7(),
            category,
            product.name,
            product.description,
            product.brand,
            product.sku,
            product.price,
            product.stock_quantity,
            &product.images,
            product.thumbnail,
            product.warranty,
            Uuid::now_v7()
        )
        .execute(&mut *tx)
        .await?
        .rows_affected();
    }
    tx.commit().await?;
    Ok(added)
}

/// Adds `count` generated products spread over the existing categories, in
/// one statement (about 100,000 in seconds). Each run uses fresh SKUs.
pub async fn synthetic_products(db: &PgPool, count: i64) -> anyhow::Result<u64> {
    let run = Uuid::new_v4().simple().to_string();
    let mut tx = db.begin().await?;
    // A bulk load may outlast the per-statement limit meant for requests.
    sqlx::query!("SET LOCAL statement_timeout = 0").execute(&mut *tx).await?;
    let added = sqlx::query!(
        r#"WITH words AS (
               SELECT ARRAY['Compact','Deluxe','Portable','Classic','Smart','Rugged','Quiet',
                            'Wireless','Premium','Everyday','Pro','Mini','Ultra','Eco'] AS adjectives,
                      ARRAY['Kettle','Lamp','Backpack','Speaker','Notebook','Chair','Bottle',
                            'Jacket','Keyboard','Blender','Tent','Dumbbell','Charger','Pan',
                            'Headphones','Monitor','Mat','Stove','Pen','Desk'] AS nouns,
                      ARRAY['Brightline','Sonora','Trailhead','Deskcraft','Ironform','Inkwell',
                            'Forgewell','Voltcraft','Northbound','Flowstate'] AS brands
           ), cats AS (SELECT array_agg(id ORDER BY slug) AS ids FROM categories),
           generated AS (
               SELECT gen_random_uuid() AS id, n FROM generate_series(1, $2::bigint) AS n
           ), products_added AS (
           -- The copies the variant trigger keeps, written up front so that
           -- it finds nothing to change for each of the many rows.
           INSERT INTO products (id, category_id, name, description, brand, created_at,
                                 price_min, price_max, variant_terms)
           SELECT id,
                  cats.ids[1 + n % cardinality(cats.ids)],
                  adjectives[1 + n % 14] || ' ' || nouns[1 + (n / 14) % 20] || ' ' || n,
                  'A ' || lower(adjectives[1 + n % 14]) || ' ' || lower(nouns[1 + (n / 14) % 20])
                      || ' made for everyday use, model ' || n || '.',
                  brands[1 + n % 10],
                  now() - make_interval(secs => n),
                  99 + (n * 7919) % 99900,
                  99 + (n * 7919) % 99900,
                  ' SYN-' || $1::text || '-' || n
           FROM generated, words, cats
           WHERE cardinality(cats.ids) > 0
           RETURNING id)
           INSERT INTO product_variants (id, product_id, sku, price_amount, stock_quantity)
           SELECT gen_random_uuid(), g.id, 'SYN-' || $1::text || '-' || g.n,
                  99 + (g.n * 7919) % 99900, (g.n * 31) % 200
           FROM generated g JOIN products_added USING (id)"#,
        run,
        count
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    tx.commit().await?;
    Ok(added)
}
