//! The product cache: product pages and lists answered from memory, the
//! same bytes and `ETag`s as from PostgreSQL, every change (stock included)
//! shown within a second, and never an oversold unit.

use std::io::Read;
use std::time::{Duration, Instant};

use reqwest::header::{ACCEPT_ENCODING, CONTENT_ENCODING, ETAG, IF_NONE_MATCH, VARY};
use serde_json::Value;

use crate::helpers::{TestApp, add_to_cart, checkout_all};

/// How soon a committed change shows on every instance's pages.
const BOUND: Duration = Duration::from_secs(1);

async fn cached_shop() -> TestApp {
    let app = TestApp::spawn_shop_with(|env| env.set("PRODUCT_CACHE_MB", "16")).await;
    until_following(&app).await;
    // The demo catalog was loaded as the app started: its changes reach
    // the cache within the bound.
    tokio::time::sleep(BOUND).await;
    app
}

/// Waits until the cache follows the catalog (it answers nothing before).
async fn until_following(app: &TestApp) {
    let started = Instant::now();
    loop {
        let ready: Value = app.get("/readyz").await.json().await.unwrap();
        if ready["product_cache"] == "following" {
            return;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "the cache never followed: {ready}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn product_id(app: &TestApp, sku: &str) -> String {
    sqlx::query_scalar("SELECT product_id::text FROM product_variants WHERE sku = $1")
        .bind(sku)
        .fetch_one(&app.db)
        .await
        .unwrap()
}

async fn stock_shown(app: &TestApp, product: &str) -> i64 {
    let page: Value = app.get(&format!("/api/v1/products/{product}")).await.json().await.unwrap();
    page["stock_quantity"].as_i64().unwrap()
}

/// Reads `path` until `shows` holds of its JSON; fails when `what` is not
/// shown within [`BOUND`] of the call.
async fn until_shown(
    app: &TestApp,
    path: &str,
    what: &str,
    shows: impl Fn(&Value) -> bool,
) -> Value {
    let started = Instant::now();
    loop {
        let page: Value = app.get(path).await.json().await.unwrap();
        if shows(&page) {
            return page;
        }
        assert!(
            started.elapsed() < BOUND,
            "{what} not shown after {:?}: {page}",
            started.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Until product `id`'s page shows `stock` units.
async fn until_stock_shown(app: &TestApp, id: &str, stock: i64, what: &str) {
    let path = format!("/api/v1/products/{id}");
    until_shown(app, &path, what, |page| page["stock_quantity"].as_i64() == Some(stock)).await;
}

/// Writes `sql` as a session whose triggers do not fire: a change the
/// catalog feed cannot see.
async fn write_unseen(app: &TestApp, sql: &str) {
    let mut tx = app.db.begin().await.unwrap();
    sqlx::query("SET LOCAL session_replication_role = replica").execute(&mut *tx).await.unwrap();
    sqlx::query(sql).execute(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn pages_come_from_memory_and_every_change_shows_within_a_second() {
    let app = cached_shop().await;
    let kettle = product_id(&app, "K-001").await;

    // A change the feed cannot see stays unseen: the page is the cache's.
    // (A product read as a change arrives is not kept: then again.)
    let mut unseen = false;
    for attempt in 0..5 {
        let before = stock_shown(&app, &kettle).await;
        let sql = format!(
            "UPDATE product_variants SET stock_quantity = {} WHERE sku = 'K-001'",
            999 + attempt
        );
        write_unseen(&app, &sql).await;
        tokio::time::sleep(Duration::from_millis(1200)).await;
        if stock_shown(&app, &kettle).await == before {
            unseen = true;
            break;
        }
    }
    assert!(unseen, "never served from memory");
    let stock = i64::from(app.stock_of("K-001").await);

    // A sale, written as checkout writes it, shows within the bound, and so
    // does a change the search index has no use for.
    for (sql, pointer, expected) in [
        (
            "UPDATE product_variants SET stock_quantity = stock_quantity - 1 WHERE sku = 'K-001'",
            "/stock_quantity",
            stock - 1,
        ),
        (
            "UPDATE product_variants SET compare_at_amount = 99999 WHERE sku = 'K-001'",
            "/variants/0/compare_at_price/amount",
            99999,
        ),
    ] {
        sqlx::query(sql).execute(&app.db).await.unwrap();
        until_shown(&app, &format!("/api/v1/products/{kettle}"), sql, |page| {
            page.pointer(pointer).and_then(Value::as_i64) == Some(expected)
        })
        .await;
    }

    // A product taken off sale leaves pages and lists within the bound.
    sqlx::query("UPDATE products SET is_active = false WHERE id = $1::uuid")
        .bind(&kettle)
        .execute(&app.db)
        .await
        .unwrap();
    let written = Instant::now();
    while app.get(&format!("/api/v1/products/{kettle}")).await.status() != 404 {
        assert!(written.elapsed() < BOUND, "still shown after {:?}", written.elapsed());
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn the_cache_answers_the_same_bytes_and_etags_as_postgres() {
    let cached = cached_shop().await;
    let direct = cached.spawn_sibling(|env| env.set("PRODUCT_CACHE_MB", "0")).await;
    let kettle = product_id(&cached, "K-001").await;
    let admin = cached.create_admin().await;
    let picks = cached
        .authed(reqwest::Method::POST, "/api/v1/admin/collections", &admin.access_token)
        .json(&serde_json::json!({"title": "Picks", "product_ids": [kettle]}))
        .send()
        .await
        .unwrap();
    assert_eq!(picks.status(), 201);
    for path in [
        format!("/api/v1/products/{kettle}"),
        "/api/v1/products?category=kitchen&sort=price_asc".to_owned(),
        "/api/v1/products?q=kettle".to_owned(),
        "/api/v1/products?page_size=100".to_owned(),
        "/api/v1/categories".to_owned(),
        "/api/v1/collections/picks".to_owned(),
    ] {
        // Twice: read into the cache, then answered by it.
        for _ in 0..2 {
            let (a, b) = (cached.get(&path).await, direct.get(&path).await);
            assert_eq!((a.status().as_u16(), b.status().as_u16()), (200, 200), "{path}");
            let tags = (a.headers()[ETAG].clone(), b.headers()[ETAG].clone());
            assert_eq!(tags.0, tags.1, "{path}");
            assert_eq!(a.bytes().await.unwrap(), b.bytes().await.unwrap(), "{path}");
            let again =
                cached.client.get(cached.url(&path)).header(IF_NONE_MATCH, tags.0).send().await;
            assert_eq!(again.unwrap().status(), 304, "{path}");
        }
    }
}

#[tokio::test]
async fn kept_pages_go_gzipped_to_browsers_and_revalidate_either_way() {
    let app = cached_shop().await;
    let path = "/api/v1/products?page_size=100";
    let browser = |tag: Option<&str>| {
        let request = app.client.get(app.url(path)).header(ACCEPT_ENCODING, "gzip, deflate, br");
        match tag {
            Some(tag) => request.header(IF_NONE_MATCH, tag),
            None => request,
        }
    };
    // Twice each: read into the cache, then answered by it.
    for _ in 0..2 {
        let plain = app.get(path).await;
        assert_eq!(plain.status(), 200);
        assert_eq!(plain.headers()[VARY], "accept-encoding");
        assert!(plain.headers().get(CONTENT_ENCODING).is_none());
        let tag = plain.headers()[ETAG].to_str().unwrap().to_owned();
        let plain = plain.bytes().await.unwrap();

        let zipped = browser(None).send().await.unwrap();
        assert_eq!(zipped.status(), 200);
        assert_eq!(zipped.headers()[CONTENT_ENCODING], "gzip");
        assert_eq!(zipped.headers()[VARY], "accept-encoding");
        // Other bytes, same content: the weak form of the same tag.
        assert_eq!(zipped.headers()[ETAG].to_str().unwrap(), format!("W/{tag}"));
        let zipped = zipped.bytes().await.unwrap();
        assert!(zipped.len() * 4 < plain.len(), "{} of {} bytes", zipped.len(), plain.len());
        let mut unzipped = Vec::new();
        flate2::read::GzDecoder::new(&zipped[..]).read_to_end(&mut unzipped).unwrap();
        assert_eq!(unzipped, plain);

        // A client holding either version is told it is current.
        let fresh = browser(Some(&tag)).send().await.unwrap();
        assert_eq!(fresh.status(), 304);
        assert!(fresh.headers().get(CONTENT_ENCODING).is_none());
        let weak = format!("W/{tag}");
        let fresh = app.client.get(app.url(path)).header(IF_NONE_MATCH, &weak).send().await;
        assert_eq!(fresh.unwrap().status(), 304);
    }
    // A client that refuses gzip gets the plain bytes.
    let refusing =
        app.client.get(app.url(path)).header(ACCEPT_ENCODING, "gzip;q=0, br").send().await.unwrap();
    assert!(refusing.headers().get(CONTENT_ENCODING).is_none());
    let body: Value = refusing.json().await.unwrap();
    assert!(!body["items"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn a_change_that_began_first_but_committed_last_is_not_lost() {
    let app = cached_shop().await;
    let kettle = product_id(&app, "K-001").await;
    stock_shown(&app, &kettle).await;
    // The earlier transaction begins, a later one changes the stock and
    // commits, then the earlier one changes it again and commits last.
    let mut earlier = app.db.begin().await.unwrap();
    sqlx::query("SELECT now()").execute(&mut *earlier).await.unwrap();
    sqlx::query("UPDATE product_variants SET stock_quantity = 50 WHERE sku = 'K-001'")
        .execute(&app.db)
        .await
        .unwrap();
    until_stock_shown(&app, &kettle, 50, "the later-begun change").await;
    sqlx::query("UPDATE product_variants SET stock_quantity = 7 WHERE sku = 'K-001'")
        .execute(&mut *earlier)
        .await
        .unwrap();
    earlier.commit().await.unwrap();
    until_stock_shown(&app, &kettle, 7, "the change committed last").await;
}

#[tokio::test]
async fn a_product_page_held_in_memory_never_sells_a_unit_twice() {
    let app = cached_shop().await;
    let kettle = app.set_stock("K-001", 5).await;
    let mut buyers = Vec::new();
    for _ in 0..24 {
        let (user, address) = app.customer().await;
        add_to_cart(&app, &user, &kettle, 1).await;
        buyers.push((user, address));
    }
    until_stock_shown(&app, &kettle, 5, "the stock set").await;

    let results = checkout_all(&app, buyers).await;

    assert_eq!(results.iter().filter(|s| **s == 201).count(), 5, "{results:?}");
    assert_eq!(results.iter().filter(|s| **s == 409).count(), 19, "{results:?}");
    assert_eq!(app.stock_of("K-001").await, 0);
    until_stock_shown(&app, &kettle, 0, "the sold-out stock").await;
}

#[tokio::test]
async fn an_admin_sees_their_own_change_on_the_next_read() {
    let app = cached_shop().await;
    let admin = app.create_admin().await;
    let kettle = product_id(&app, "K-001").await;
    let variant: String =
        sqlx::query_scalar("SELECT id::text FROM product_variants WHERE sku = 'K-001'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    for quantity in [3, 0, 12] {
        stock_shown(&app, &kettle).await;
        let path = format!("/api/v1/admin/variants/{variant}/stock");
        let changed = app
            .authed(reqwest::Method::PATCH, &path, &admin.access_token)
            .json(&serde_json::json!({ "quantity": quantity }))
            .send()
            .await
            .unwrap();
        assert_eq!(changed.status(), 200);
        assert_eq!(stock_shown(&app, &kettle).await, quantity, "at once, not after the feed");
    }
}

#[tokio::test]
async fn lists_and_categories_held_in_memory_follow_the_catalog() {
    let app = cached_shop().await;
    let in_kitchen = |page: &Value| -> Vec<(String, i64)> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (p["name"].as_str().unwrap().to_owned(), p["stock_quantity"].as_i64().unwrap())
            })
            .collect()
    };
    let path = "/api/v1/products?category=kitchen&sort=price_asc&page_size=100";
    let before: Value = app.get(path).await.json().await.unwrap();
    let kettle = before["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["sku"] == "K-001")
        .map(|p| p["stock_quantity"].as_i64().unwrap())
        .unwrap();
    // A sale: the list held in memory shows it within the bound.
    sqlx::query(
        "UPDATE product_variants SET stock_quantity = stock_quantity - 1 WHERE sku = 'K-001'",
    )
    .execute(&app.db)
    .await
    .unwrap();
    let page = until_shown(&app, path, "the sale on the list", |page| {
        let shown = page["items"].as_array().unwrap().iter().find(|p| p["sku"] == "K-001");
        shown.and_then(|p| p["stock_quantity"].as_i64()) == Some(kettle - 1)
    })
    .await;
    assert_eq!(in_kitchen(&page).len(), in_kitchen(&before).len());

    // A category added (not through this instance): listed within the bound.
    let names = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let categories: Value = app.get("/api/v1/categories").await.json().await.unwrap();
    assert!(!names(&categories).contains(&"Garden".to_owned()));
    sqlx::query(
        "INSERT INTO categories (id, name, slug) VALUES (gen_random_uuid(), 'Garden', 'garden')",
    )
    .execute(&app.db)
    .await
    .unwrap();
    until_shown(&app, "/api/v1/categories", "the new category", |categories| {
        names(categories).contains(&"Garden".to_owned())
    })
    .await;
}

#[tokio::test]
async fn collection_pages_held_in_memory_follow_their_products_and_the_collection() {
    let app = cached_shop().await;
    let admin = app.create_admin().await;
    let kettle = product_id(&app, "K-001").await;
    let created = app
        .authed(reqwest::Method::POST, "/api/v1/admin/collections", &admin.access_token)
        .json(&serde_json::json!({"title": "Picks", "product_ids": [kettle]}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let names = |page: &Value| -> Vec<String> {
        let items = page["products"]["items"].as_array().unwrap();
        items.iter().map(|p| p["name"].as_str().unwrap().to_owned()).collect()
    };
    let page: Value = app.get("/api/v1/collections/picks").await.json().await.unwrap();
    assert_eq!(names(&page).len(), 1);

    // A product added to it, and the collection renamed, not through this
    // instance: both shown within the bound.
    let lamp = product_id(&app, "K-002").await;
    sqlx::query(
        "INSERT INTO collection_products (collection_id, product_id, position)
         SELECT id, $1::uuid, 1 FROM collections WHERE handle = 'picks'",
    )
    .bind(&lamp)
    .execute(&app.db)
    .await
    .unwrap();
    sqlx::query("UPDATE collections SET title = 'Staff Picks' WHERE handle = 'picks'")
        .execute(&app.db)
        .await
        .unwrap();
    until_shown(&app, "/api/v1/collections/picks", "the changed collection", |page| {
        names(page).len() == 2 && page["title"] == "Staff Picks"
    })
    .await;
}
