//! The embedded search engine: built from PostgreSQL, kept current by the
//! catalog's change feed, answering like PostgreSQL does for every filter
//! and sort, and rebuilt on demand.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};
use sqlx::postgres::PgListener;

use crate::helpers::TestApp;

/// How long a catalog change may take to reach the index. The feed reads
/// changes every half second and on every notification; the margin is
/// for a loaded test machine.
const FEED_DEADLINE: Duration = Duration::from_secs(3);

async fn page(app: &TestApp, query: &str) -> Value {
    let response = app.get(&format!("/api/v1/products?{query}")).await;
    assert_eq!(response.status(), 200, "{query}");
    response.json().await.unwrap()
}

fn names(page: &Value) -> Vec<&str> {
    page["items"].as_array().unwrap().iter().filter_map(|p| p["name"].as_str()).collect()
}

/// Waits until the list for `query` satisfies `check`; how long it took.
async fn until(app: &TestApp, query: &str, check: impl Fn(&[&str]) -> bool) -> Duration {
    let started = Instant::now();
    loop {
        let page = page(app, query).await;
        if check(&names(&page)) {
            return started.elapsed();
        }
        assert!(started.elapsed() < FEED_DEADLINE, "{query}: still {:?}", names(&page));
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

async fn execute(app: &TestApp, sql: &str) {
    sqlx::query(sql).execute(&app.db).await.unwrap();
}

#[tokio::test]
async fn readiness_reports_the_index_and_searches_answer_while_it_builds() {
    let shop = TestApp::spawn_shop().await;
    let ready: Value = shop.get("/readyz").await.json().await.unwrap();
    assert_eq!(ready["search"], "off", "tests search PostgreSQL unless they ask");

    // Started on a stocked shop, an instance answers every search at once:
    // from PostgreSQL while it builds its index, then from the index.
    let app = shop.spawn_sibling(|env| env.set("SEARCH_ENGINE", "true")).await;
    let kettle = page(&app, "q=electric+kettle").await;
    assert_eq!(names(&kettle).first(), Some(&"Electric Kettle"));
    app.until_indexed().await;
    let ready: Value = app.get("/readyz").await.json().await.unwrap();
    assert_eq!(ready["search"], "ready");
}

#[tokio::test]
async fn catalog_changes_reach_the_index_within_moments() {
    let app = TestApp::spawn_indexed_shop().await;

    // A product renamed.
    execute(&app, "UPDATE products SET name = 'Gravity Hammock' WHERE name = 'Hammock'").await;
    until(&app, "q=gravity", |found| found == ["Gravity Hammock"]).await;

    // Its category renamed: found by the new category name.
    execute(&app, "UPDATE categories SET name = 'Wilderness' WHERE slug = 'outdoors'").await;
    until(&app, "q=wilderness&page_size=100", |found| found.contains(&"Gravity Hammock")).await;

    // The last unit sold (stock crosses zero, written as checkout does).
    execute(&app, "UPDATE product_variants SET stock_quantity = 0 WHERE sku = 'F-002'").await;
    until(&app, "q=yoga+mat&in_stock=true", |found| !found.contains(&"Yoga Mat")).await;
    until(&app, "q=yoga+mat&in_stock=false", |found| found == ["Yoga Mat"]).await;

    // A price changed.
    execute(&app, "UPDATE product_variants SET price_amount = 123 WHERE sku = 'F-002'").await;
    until(&app, "max_price=123", |found| found == ["Yoga Mat"]).await;

    // A product taken off sale.
    execute(&app, "UPDATE products SET deleted_at = now() WHERE name = 'Binoculars'").await;
    until(&app, "q=binoculars", |found| found.is_empty()).await;

    // A product added by an admin, through the API.
    let admin = app.create_admin().await;
    let outdoors: String =
        sqlx::query_scalar("SELECT id::text FROM categories WHERE slug = 'outdoors'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    let created = app
        .authed(Method::POST, "/api/v1/admin/products", &admin.access_token)
        .json(&json!({
            "name": "Packable Rain Shell", "description": "Seam-sealed and light.",
            "brand": "Trailhead", "sku": "O-900", "price": {"amount": 8900, "currency": "usd"},
            "stock_quantity": 5, "category_id": outdoors
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    until(&app, "q=rain+shel", |found| found.first() == Some(&"Packable Rain Shell")).await;
}

#[tokio::test]
async fn a_second_instance_follows_the_changes_of_the_first() {
    let first = TestApp::spawn_indexed_shop().await;
    let second = first.spawn_sibling(|env| env.set("SEARCH_ENGINE", "true")).await;
    second.until_indexed().await;
    let admin = first.create_admin().await;
    let hammock: String =
        sqlx::query_scalar("SELECT id::text FROM products WHERE name = 'Hammock'")
            .fetch_one(&first.db)
            .await
            .unwrap();
    let renamed = first
        .authed(Method::PUT, &format!("/api/v1/admin/products/{hammock}"), &admin.access_token)
        .json(&json!({"name": "Canopy Hammock"}))
        .send()
        .await
        .unwrap();
    assert_eq!(renamed.status(), 200);
    until(&second, "q=canopy", |found| found == ["Canopy Hammock"]).await;
}

/// Every product listed for `query`, through all its pages.
async fn all(app: &TestApp, query: &str) -> (i64, Vec<Value>) {
    let mut items = Vec::new();
    let mut total = 0;
    for n in 1.. {
        let page = page(app, &format!("{query}&page_size=100&page={n}")).await;
        total = page["total"].as_i64().unwrap();
        let batch = page["items"].as_array().unwrap().clone();
        if batch.is_empty() {
            break;
        }
        items.extend(batch);
    }
    (total, items)
}

#[tokio::test]
async fn the_engine_agrees_with_postgres_on_every_filter_and_sort() {
    let engine = TestApp::spawn_indexed_shop().await;
    let sql = engine.spawn_sibling(|_| {}).await;
    execute(&engine, "UPDATE product_variants SET stock_quantity = 0 WHERE sku LIKE 'K-%'").await;
    engine.until_indexed().await;
    until(&engine, "q=kettle&in_stock=false", |found| found.contains(&"Electric Kettle")).await;

    for query in [
        "sort=newest",
        "category=apparel",
        "category=tops&sort=price_asc",
        "category=kitchen&in_stock=false",
        "in_stock=true&sort=price_desc",
        "min_price=2000&max_price=5000&sort=price_asc",
        "min_price=10000",
        "max_price=3000&category=outdoors",
        "q=wireless",
        "q=mat&sort=price_desc",
        "q=organic+cotton+tee&category=apparel",
        "brand=Threadwell",
        "options=Color:Navy",
        "category=apparel&options=Size:M,Color:Black&sort=price_asc",
        "q=tee&brand=Threadwell&options=Size:XL",
    ] {
        let (engine_total, engine_items) = all(&engine, query).await;
        let (sql_total, sql_items) = all(&sql, query).await;
        assert!(sql_total > 0, "{query} finds something");
        assert_eq!(engine_total, sql_total, "{query}: totals");
        let ids = |items: &[Value]| {
            let mut ids: Vec<String> = items.iter().map(|p| p["id"].to_string()).collect();
            ids.sort();
            ids
        };
        assert_eq!(ids(&engine_items), ids(&sql_items), "{query}: the same products");
        if query.contains("sort=price") {
            let prices = |items: &[Value]| -> Vec<i64> {
                items.iter().map(|p| p["price"]["amount"].as_i64().unwrap()).collect()
            };
            assert_eq!(prices(&engine_items), prices(&sql_items), "{query}: in price order");
        }
    }
}

#[tokio::test]
async fn a_rebuild_reads_the_catalog_again_and_every_instance_rebuilds() {
    let app = TestApp::spawn_indexed_shop().await;
    let mut listener = PgListener::connect(&app.database_url).await.unwrap();
    listener.listen(gokart_api::search::CHANNEL).await.unwrap();
    // A change the feed cannot see: written with the trigger that stamps it
    // switched off, and stamped a day ago.
    execute(&app, "ALTER TABLE products DISABLE TRIGGER products_set_updated_at").await;
    execute(
        &app,
        "UPDATE products SET name = 'Zeppelin Hammock', updated_at = now() - interval '1 day'
         WHERE name = 'Hammock'",
    )
    .await;
    execute(&app, "ALTER TABLE products ENABLE TRIGGER products_set_updated_at").await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(names(&page(&app, "q=zeppelin").await).is_empty(), "the feed missed it");

    let (products, _) = gokart_api::search::rebuild(&app.db).await.unwrap();
    assert_eq!(products, 150);
    loop {
        let notification = listener.recv().await.unwrap();
        if notification.payload() == gokart_api::search::REBUILD {
            break;
        }
    }
    until(&app, "q=zeppelin", |found| found == ["Zeppelin Hammock"]).await;
}

#[tokio::test]
async fn facets_count_the_matches_of_the_query_and_agree_with_its_filters() {
    let app = TestApp::spawn_indexed_shop().await;
    let apparel = page(&app, "category=apparel&facets=category,brand,price,options").await;
    assert_eq!(apparel["total_is_exact"], true);
    let total = apparel["total"].as_i64().unwrap();
    let facets = &apparel["facets"];

    // Each product is in one category: the counts add up to the total, and
    // only the apparel tree's categories appear, named.
    let categories = facets["category"].as_array().unwrap();
    let sum: i64 = categories.iter().map(|c| c["count"].as_i64().unwrap()).sum();
    assert_eq!(sum, total);
    let labels: Vec<&str> = categories.iter().filter_map(|c| c["label"].as_str()).collect();
    assert!(labels.contains(&"Tops") && !labels.contains(&"Kitchen"), "{labels:?}");
    for category in categories {
        let only =
            page(&app, &format!("category={}&page_size=1", category["value"].as_str().unwrap()))
                .await;
        assert_eq!(only["total"], category["count"], "{category}");
    }

    // A price bucket counts what its price filter finds.
    for bucket in facets["price"].as_array().unwrap() {
        let mut filter = format!("category=apparel&page_size=1&min_price={}", bucket["min"]);
        if let Some(max) = bucket["max"].as_i64() {
            filter.push_str(&format!("&max_price={}", max - 1));
        }
        assert_eq!(page(&app, &filter).await["total"], bucket["count"], "{bucket}");
    }

    // Brands and option values.
    let brands = facets["brand"].as_array().unwrap();
    assert!(!brands.is_empty() && brands.iter().all(|b| b["count"].as_i64() > Some(0)));
    let options = facets["options"].as_array().unwrap();
    assert!(
        options
            .iter()
            .any(|o| o["option"] == "Size" && o["value"] == "M" && o["count"].as_i64() > Some(1)),
        "{options:?}"
    );

    // Facets follow the search text.
    let tee = page(&app, "q=organic+cotton+tee&facets=brand").await;
    let brands = tee["facets"]["brand"].as_array().unwrap();
    assert_eq!(brands.len(), 1, "{brands:?}");
    assert!(tee["facets"].get("price").is_none(), "only what was asked for");
}

#[tokio::test]
async fn an_unknown_facet_is_refused_by_name_and_postgres_answers_without_facets() {
    let app = TestApp::spawn_shop().await;
    let refused = app.get("/api/v1/products?facets=brand,colour").await;
    let error = crate::helpers::error_of(refused, 422).await;
    assert!(error.fields.as_ref().is_some_and(|f| f.contains_key("facets")), "{error:?}");

    for bad in ["options=Color", "options=:Navy", "options=A:1,B:2,C:3,D:4"] {
        let refused = app.get(&format!("/api/v1/products?{bad}")).await;
        let error = crate::helpers::error_of(refused, 422).await;
        assert!(
            error.fields.as_ref().is_some_and(|f| f.contains_key("options")),
            "{bad}: {error:?}"
        );
    }

    let listed = page(&app, "facets=brand").await;
    assert!(listed.get("facets").is_none(), "no index, no facets: {listed}");
    assert_eq!(listed["total_is_exact"], true);
}

async fn suggestions(app: &TestApp, q: &str) -> Vec<(String, String)> {
    let response = app.get(&format!("/api/v1/products/suggest?q={q}")).await;
    assert_eq!(response.status(), 200, "{q}");
    let body: Value = response.json().await.unwrap();
    body["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["text"].as_str().unwrap().to_owned(), s["kind"].as_str().unwrap().to_owned()))
        .collect()
}

#[tokio::test]
async fn suggestions_complete_product_and_category_names_as_typed() {
    let app = TestApp::spawn_indexed_shop().await;
    let product = |name: &str| (name.to_owned(), "product".to_owned());
    // A name that begins as typed first.
    let kett = suggestions(&app, "kett").await;
    assert_eq!(kett, [product("Kettlebell 16kg"), product("Electric Kettle")]);
    let app_ = suggestions(&app, "appa").await;
    assert_eq!(app_.first(), Some(&("Apparel".to_owned(), "category".to_owned())), "{app_:?}");
    let two = suggestions(&app, "wireless+ea").await;
    assert_eq!(two, [product("Wireless Earbuds")]);
    assert!(suggestions(&app, "w").await.len() <= 8);
    assert!(suggestions(&app, "").await.is_empty());
    assert!(suggestions(&app, "zzzzqx").await.is_empty());

    let long = "a".repeat(201);
    let refused = app.get(&format!("/api/v1/products/suggest?q={long}")).await;
    let error = crate::helpers::error_of(refused, 422).await;
    assert!(error.fields.as_ref().is_some_and(|f| f.contains_key("q")), "{error:?}");

    // Without the index, PostgreSQL completes product names.
    let sql = app.spawn_sibling(|_| {}).await;
    let kett = suggestions(&sql, "kett").await;
    assert!(kett.iter().any(|(text, _)| text == "Electric Kettle"), "{kett:?}");
}
