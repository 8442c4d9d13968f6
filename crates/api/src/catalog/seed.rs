//! Demo catalog data: the curated catalog in `data/catalog.json` (compiled
//! into the binary, so seeding needs no files and no network), and
//! generated products in bulk for benchmarks.

use std::collections::HashMap;

use anyhow::Context;
use gokart_domain::ProductOption;
use serde::Deserialize;
use sqlx::PgPool;
use uuid::Uuid;

use super::repository::{self, ProductRow, VariantRow};
use super::seed_photos::{self, PhotoPlan};
use crate::state::AppState;

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
    /// The slug of the category it sits in.
    parent: Option<String>,
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
    warranty: Option<String>,
    /// Options; a product with some gets one variant per combination.
    #[serde(default)]
    options: Vec<SeedOption>,
}

#[derive(Debug, Deserialize)]
struct SeedOption {
    name: String,
    values: Vec<String>,
}

impl SeedProduct {
    /// One variant per combination of option values (the product's SKU
    /// alone without options), each with a SKU of its own, XL a little
    /// dearer, and stock that varies as a shop's does.
    fn variants(&self) -> Vec<VariantRow> {
        let mut combinations: Vec<Vec<String>> = vec![Vec::new()];
        for option in &self.options {
            combinations = combinations
                .iter()
                .flat_map(|picked| {
                    option.values.iter().map(move |value| {
                        let mut next = picked.clone();
                        next.push(value.clone());
                        next
                    })
                })
                .collect();
        }
        combinations
            .into_iter()
            .enumerate()
            .map(|(i, values)| {
                let mut sku = self.sku.clone();
                for value in &values {
                    let code: String = value
                        .chars()
                        .filter(char::is_ascii_alphanumeric)
                        .take(8)
                        .map(|c| c.to_ascii_uppercase())
                        .collect();
                    sku.push('-');
                    sku.push_str(&code);
                }
                let upcharge = if values.iter().any(|v| v == "XL") { 200 } else { 0 };
                let stock = if self.options.is_empty() {
                    self.stock_quantity
                } else {
                    i32::try_from((i * 7 + 3) % 17).unwrap_or_default()
                };
                VariantRow {
                    id: Uuid::now_v7(),
                    // Set when it is added to its product.
                    product_id: Uuid::nil(),
                    position: 0,
                    sku,
                    option_values: values,
                    price_amount: self.price + upcharge,
                    compare_at_amount: None,
                    stock_quantity: stock,
                    weight_grams: None,
                    is_active: true,
                }
            })
            .collect()
    }
}

fn catalog() -> anyhow::Result<Catalog> {
    serde_json::from_str(CATALOG).context("data/catalog.json is malformed")
}

/// Draws photos for the demo products that have none (see
/// [`super::seed_photos`]); how many were added.
pub async fn demo_photos(state: &AppState) -> anyhow::Result<u64> {
    let mut plans = Vec::new();
    for product in catalog()?.products {
        let first = product.variants().into_iter().next().map(|v| v.sku).unwrap_or_default();
        let found =
            sqlx::query_scalar!("SELECT product_id FROM product_variants WHERE sku = $1", first)
                .fetch_optional(&state.db)
                .await?;
        let Some(id) = found else { continue };
        let colours = product
            .options
            .iter()
            .position(|o| o.name.eq_ignore_ascii_case("color"))
            .map(|i| (i, product.options[i].values.clone()));
        plans.push(PhotoPlan {
            product: id,
            name: product.name,
            category: product.category,
            colours,
        });
    }
    seed_photos::photograph_all(state, plans).await
}

/// Loads the demo catalog; rows that exist (by slug or SKU) are left alone.
/// Returns how many products were added.
pub async fn demo_catalog(db: &PgPool) -> anyhow::Result<u64> {
    let catalog = catalog()?;
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
    for category in &catalog.categories {
        if let Some(parent) = &category.parent {
            sqlx::query!(
                "UPDATE categories SET parent_id = (SELECT id FROM categories WHERE slug = $2)
                 WHERE slug = $1 AND parent_id IS NULL",
                category.slug,
                parent
            )
            .execute(&mut *tx)
            .await?;
        }
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
        let variants = product.variants();
        let first = variants.first().map(|v| v.sku.as_str()).unwrap_or_default();
        let seeded = sqlx::query_scalar!(
            r#"SELECT EXISTS (SELECT 1 FROM product_variants WHERE sku = $1) AS "seeded!""#,
            first
        )
        .fetch_one(&mut *tx)
        .await?;
        if seeded {
            continue;
        }
        let now = chrono::Utc::now(); // placeholder: the database stamps the row
        let row = ProductRow {
            id: Uuid::now_v7(),
            category_id: Some(*category),
            name: product.name.clone(),
            description: product.description.clone(),
            brand: product.brand.clone(),
            currency: "usd".to_owned(),
            // Photos are drawn and uploaded after ([`demo_photos`]).
            images: Vec::new(),
            thumbnail: None,
            attributes: serde_json::json!({}),
            warranty: product.warranty.clone(),
            is_active: true,
            created_at: now,
            updated_at: now,
            media: sqlx::types::Json(Vec::new()),
        };
        let options: Vec<(Option<Uuid>, ProductOption)> = product
            .options
            .iter()
            .map(|o| (None, ProductOption { name: o.name.clone(), values: o.values.clone() }))
            .collect();
        let id = repository::insert_product(&mut *tx, &row).await?;
        repository::replace_options(&mut tx, id, &options).await?;
        for variant in &variants {
            repository::insert_variant(&mut *tx, id, variant).await?;
        }
        added += 1;
    }
    tx.commit().await?;
    Ok(added)
}

/// Adds `count` generated products spread over the existing categories, in
/// one statement (about 100,000 in seconds). Every fourth comes in sizes S,
/// M and L (L a little dearer), a variant each; the others have one
/// variant. Each run uses fresh SKUs. Returns how many products were added.
pub async fn synthetic_products(db: &PgPool, count: i64) -> anyhow::Result<u64> {
    let run = Uuid::new_v4().simple().to_string();
    let mut tx = db.begin().await?;
    // A bulk load may outlast the per-statement limit meant for requests.
    sqlx::query!("SET LOCAL statement_timeout = 0").execute(&mut *tx).await?;
    let added = sqlx::query_scalar!(
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
               SELECT gen_random_uuid() AS id, n, n % 4 = 0 AS sized,
                      99 + (n * 7919) % 99900 AS price,
                      'SYN-' || $1::text || '-' || n AS sku
               FROM generate_series(1, $2::bigint) AS n
           ), products_added AS (
           -- The copies the variant trigger keeps, written up front: its
           -- row triggers run once the statement has inserted every
           -- variant, and find nothing to change.
           INSERT INTO products (id, category_id, name, description, brand, created_at,
                                 price_min, price_max, variant_terms)
           SELECT id,
                  cats.ids[1 + n % cardinality(cats.ids)],
                  adjectives[1 + n % 14] || ' ' || nouns[1 + (n / 14) % 20] || ' ' || n,
                  'A ' || lower(adjectives[1 + n % 14]) || ' ' || lower(nouns[1 + (n / 14) % 20])
                      || ' made for everyday use, model ' || n || '.',
                  brands[1 + n % 10],
                  now() - make_interval(secs => n),
                  price,
                  price + CASE WHEN sized THEN 200 ELSE 0 END,
                  CASE WHEN sized THEN 'S ' || sku || '-S M ' || sku || '-M L ' || sku || '-L'
                       ELSE ' ' || sku END
           FROM generated, words, cats
           WHERE cardinality(cats.ids) > 0
           RETURNING id
           ), options_added AS (
           INSERT INTO product_options (id, product_id, position, name, "values")
           SELECT gen_random_uuid(), g.id, 0, 'Size', ARRAY['S', 'M', 'L']
           FROM generated g JOIN products_added USING (id)
           WHERE g.sized
           ), variants_added AS (
           INSERT INTO product_variants (id, product_id, sku, option_values, price_amount,
                                         stock_quantity, position)
           SELECT gen_random_uuid(), g.id, g.sku || coalesce('-' || s.size, ''),
                  CASE WHEN s.size IS NULL THEN '{}'::text[] ELSE ARRAY[s.size] END,
                  g.price + CASE WHEN s.size = 'L' THEN 200 ELSE 0 END,
                  (g.n * 31 + coalesce(s.k, 0) * 7) % 200,
                  coalesce(s.k - 1, 0)
           FROM generated g JOIN products_added USING (id)
           LEFT JOIN LATERAL (
               SELECT size, k FROM unnest(ARRAY['S', 'M', 'L']) WITH ORDINALITY AS t(size, k)
               WHERE g.sized
           ) s ON true
           )
           SELECT count(*) AS "added!" FROM products_added"#,
        run,
        count
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(u64::try_from(added).unwrap_or_default())
}
