//! Browsing, filtering, sorting, paging, search and caching of the catalog.

use std::collections::HashSet;

use serde_json::Value;

use crate::helpers::{TestApp, error_of};

async fn json(app: &TestApp, path: &str) -> Value {
    let response = app.get(path).await;
    assert_eq!(response.status(), 200, "GET {path}");
    response.json().await.unwrap()
}

fn names(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .collect()
}

fn prices(page: &Value) -> Vec<i64> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["price"]["amount"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn categories_come_with_their_product_counts() {
    let app = TestApp::spawn_shop().await;

    let page = json(&app, "/api/v1/categories").await;

    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 10);
    assert_eq!(items.iter().map(|c| c["product_count"].as_i64().unwrap()).sum::<i64>(), 150);
    assert!(items.iter().any(|c| c["slug"] == "home-office" && c["name"] == "Home Office"));
}

#[tokio::test]
async fn the_first_page_has_twenty_products_and_the_total() {
    let app = TestApp::spawn_shop().await;

    let page = json(&app, "/api/v1/products").await;

    assert_eq!(page["items"].as_array().unwrap().len(), 20);
    assert_eq!(
        (page["page"].as_i64(), page["page_size"].as_i64(), page["total"].as_i64()),
        (Some(1), Some(20), Some(150))
    );
    let product = &page["items"][0];
    for field in [
        "id",
        "name",
        "description",
        "brand",
        "sku",
        "stock_quantity",
        "category_id",
        "images",
        "created_at",
    ] {
        assert!(!product[field].is_null(), "{field} is present");
    }
    // Null until the product has a photo (the test shop has none).
    assert!(product.as_object().unwrap().contains_key("thumbnail"));
    assert_eq!(product["price"]["currency"], "usd");
    assert!(product["price"]["amount"].is_i64());
}

#[tokio::test]
async fn pages_neither_overlap_nor_skip_in_any_sort() {
    let app = TestApp::spawn_shop().await;

    for sort in ["newest", "price_asc", "price_desc"] {
        let mut seen = HashSet::new();
        for page in 1..=9 {
            let body =
                json(&app, &format!("/api/v1/products?sort={sort}&page={page}&page_size=18")).await;
            for item in body["items"].as_array().unwrap() {
                assert!(
                    seen.insert(item["id"].as_str().unwrap().to_owned()),
                    "{sort}: duplicate on page {page}"
                );
            }
        }
        assert_eq!(seen.len(), 150, "{sort}");
    }
}

#[tokio::test]
async fn a_page_past_the_end_is_empty_but_counts() {
    let app = TestApp::spawn_shop().await;

    let page = json(&app, "/api/v1/products?page=99").await;

    assert_eq!(page["items"].as_array().unwrap().len(), 0);
    assert_eq!(page["total"], 150);
}

#[tokio::test]
async fn page_size_is_capped_and_limit_is_its_synonym() {
    let app = TestApp::spawn_shop().await;

    let largest = json(&app, "/api/v1/products?page_size=100").await;
    let limit = json(&app, "/api/v1/products?limit=7").await;
    let too_big = error_of(app.get("/api/v1/products?page_size=101").await, 422).await;
    let bad_limit = error_of(app.get("/api/v1/products?limit=0").await, 422).await;

    assert_eq!(largest["items"].as_array().unwrap().len(), 100);
    assert_eq!(limit["items"].as_array().unwrap().len(), 7);
    assert!(too_big.fields.unwrap().contains_key("page_size"));
    assert!(bad_limit.fields.unwrap().contains_key("limit"));
}

#[tokio::test]
async fn every_bad_parameter_is_a_422_naming_it() {
    let app = TestApp::spawn_shop().await;

    let cases = [
        ("min_price=-5", "min_price"),
        ("max_price=cheap", "max_price"),
        ("min_price=900&max_price=100", "min_price"),
        ("in_stock=perhaps", "in_stock"),
        ("sort=popular", "sort"),
        ("page=0", "page"),
        ("page=abc", "page"),
    ];

    for (query, field) in cases {
        let error = error_of(app.get(&format!("/api/v1/products?{query}")).await, 422).await;
        assert!(error.fields.unwrap().contains_key(field), "{query} names {field}");
    }
}

#[tokio::test]
async fn category_matches_a_slug_an_id_or_a_name() {
    let app = TestApp::spawn_shop().await;
    let categories = json(&app, "/api/v1/categories").await;
    let kitchen = categories["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["slug"] == "kitchen")
        .unwrap()
        .clone();

    let by_slug = json(&app, "/api/v1/products?category=kitchen&page_size=100").await;
    let by_id = json(
        &app,
        &format!("/api/v1/products?category={}&page_size=100", kitchen["id"].as_str().unwrap()),
    )
    .await;
    let by_name = json(&app, "/api/v1/products?category=KITCHEN&page_size=100").await;
    let unknown = json(&app, "/api/v1/products?category=garden").await;

    assert_eq!(by_slug["total"], 20);
    assert!(by_slug["items"].as_array().unwrap().iter().all(|p| p["category_id"] == kitchen["id"]));
    assert_eq!(names(&by_id), names(&by_slug));
    assert_eq!(names(&by_name), names(&by_slug));
    assert_eq!(unknown["total"], 0);
}

#[tokio::test]
async fn price_bounds_are_inclusive() {
    let app = TestApp::spawn_shop().await;

    let page = json(&app, "/api/v1/products?min_price=2999&max_price=3999&page_size=100").await;

    let prices = prices(&page);
    assert!(!prices.is_empty());
    assert!(prices.iter().all(|p| (2999..=3999).contains(p)), "{prices:?}");
    assert!(prices.contains(&2999) && prices.contains(&3999));
}

#[tokio::test]
async fn in_stock_filters_both_ways() {
    let app = TestApp::spawn_shop().await;

    let available = json(&app, "/api/v1/products?in_stock=true&page_size=100").await;
    let sold_out = json(&app, "/api/v1/products?in_stock=false&page_size=100").await;

    let stock = |page: &Value| -> Vec<i64> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["stock_quantity"].as_i64().unwrap())
            .collect()
    };
    assert!(stock(&available).iter().all(|s| *s > 0));
    assert!(!stock(&sold_out).is_empty() && stock(&sold_out).iter().all(|s| *s == 0));
    assert_eq!(available["total"].as_i64().unwrap() + sold_out["total"].as_i64().unwrap(), 150);
}

#[tokio::test]
async fn each_sort_orders_as_named() {
    let app = TestApp::spawn_shop().await;

    let ascending = prices(&json(&app, "/api/v1/products?sort=price_asc&page_size=100").await);
    let descending = prices(&json(&app, "/api/v1/products?sort=price_desc&page_size=100").await);
    let newest = json(&app, "/api/v1/products?sort=newest&page_size=100").await;

    assert!(ascending.windows(2).all(|w| w[0] <= w[1]));
    assert!(descending.windows(2).all(|w| w[0] >= w[1]));
    let created: Vec<&str> = newest["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["created_at"].as_str().unwrap())
        .collect();
    assert!(created.windows(2).all(|w| w[0] >= w[1]));
}

#[tokio::test]
async fn search_finds_exact_words_and_ranks_names_first() {
    let app = TestApp::spawn_shop().await;

    let coffee = json(&app, "/api/v1/products?q=coffee").await;
    let brand = json(&app, "/api/v1/products?q=sonora&page_size=100").await;

    assert_eq!(
        names(&coffee)[0],
        "Pour-Over Coffee Set",
        "a name match outranks a description match"
    );
    assert!(names(&coffee).contains(&"Spice Grinder".to_owned()), "descriptions are searched too");
    assert_eq!(brand["total"], 4, "brands are searched");
}

#[tokio::test]
async fn search_matches_a_partly_typed_word() {
    let app = TestApp::spawn_shop().await;

    let page = json(&app, "/api/v1/products?q=kett").await;

    assert!(names(&page).contains(&"Electric Kettle".to_owned()), "{:?}", names(&page));
}

#[tokio::test]
async fn search_tolerates_a_typo_when_nothing_matches_exactly() {
    let app = TestApp::spawn_shop().await;

    let page = json(&app, "/api/v1/products?q=ketle").await;

    assert_eq!(
        names(&page).first().map(String::as_str),
        Some("Electric Kettle"),
        "{:?}",
        names(&page)
    );
}

#[tokio::test]
async fn a_search_that_matches_nothing_is_an_empty_page() {
    let app = TestApp::spawn_shop().await;

    let page = json(&app, "/api/v1/products?q=zqxjvwpl").await;

    assert_eq!(page["total"], 0);
    assert_eq!(page["items"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn search_combines_with_filters() {
    let app = TestApp::spawn_shop().await;

    let page = json(&app, "/api/v1/products?q=stainless&category=kitchen&max_price=2000").await;

    assert_eq!(names(&page), ["Measuring Cup Set"]);
}

#[tokio::test]
async fn search_syntax_characters_are_harmless() {
    let app = TestApp::spawn_shop().await;

    for q in ["%27%3B--", "%26%7C%21()%3A*", "%5C", "a%20%26%20%7C"] {
        let response = app.get(&format!("/api/v1/products?q={q}")).await;
        assert_eq!(response.status(), 200, "q={q}");
    }
}

#[tokio::test]
async fn a_product_is_served_by_id_and_unknown_ones_are_404() {
    let app = TestApp::spawn_shop().await;
    let first = json(&app, "/api/v1/products?page_size=1").await;
    let id = first["items"][0]["id"].as_str().unwrap().to_owned();

    let product = json(&app, &format!("/api/v1/products/{id}")).await;
    let unknown = app.get(&format!("/api/v1/products/{}", uuid::Uuid::new_v4())).await;
    let malformed = app.get("/api/v1/products/42").await;

    assert_eq!(product["id"], id.as_str());
    assert_eq!(error_of(unknown, 404).await.code, "not_found");
    assert_eq!(error_of(malformed, 404).await.code, "not_found");
}

#[tokio::test]
async fn an_unchanged_product_or_list_answers_304() {
    let app = TestApp::spawn_shop().await;
    let list = app.get("/api/v1/products?page_size=1").await;
    let list_etag = list.headers()["etag"].to_str().unwrap().to_owned();
    let body: Value = list.json().await.unwrap();
    let id = body["items"][0]["id"].as_str().unwrap().to_owned();
    let detail = app.get(&format!("/api/v1/products/{id}")).await;
    let etag = detail.headers()["etag"].to_str().unwrap().to_owned();

    let again = app
        .client
        .get(app.url(&format!("/api/v1/products/{id}")))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    let list_again = app
        .client
        .get(app.url("/api/v1/products?page_size=1"))
        .header("if-none-match", &list_etag)
        .send()
        .await
        .unwrap();
    sqlx::query(
        "UPDATE product_variants SET price_amount = price_amount + 1 WHERE product_id = $1::uuid",
    )
    .bind(&id)
    .execute(&app.db)
    .await
    .unwrap();
    let changed = app
        .client
        .get(app.url(&format!("/api/v1/products/{id}")))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();

    assert_eq!(again.status(), 304);
    assert_eq!(again.headers()["etag"], etag.as_str());
    assert!(again.bytes().await.unwrap().is_empty());
    assert_eq!(list_again.status(), 304);
    assert_eq!(changed.status(), 200, "a price change is a new version");
    assert_ne!(changed.headers()["etag"], etag.as_str());
}

#[tokio::test]
async fn deleted_and_inactive_products_are_invisible_to_shoppers() {
    let app = TestApp::spawn_shop().await;
    let page = json(&app, "/api/v1/products?page_size=2").await;
    let (gone, hidden) = (
        page["items"][0]["id"].as_str().unwrap().to_owned(),
        page["items"][1]["id"].as_str().unwrap().to_owned(),
    );
    sqlx::query("UPDATE products SET deleted_at = now() WHERE id = $1::uuid")
        .bind(&gone)
        .execute(&app.db)
        .await
        .unwrap();
    sqlx::query("UPDATE products SET is_active = false WHERE id = $1::uuid")
        .bind(&hidden)
        .execute(&app.db)
        .await
        .unwrap();

    let list = json(&app, "/api/v1/products?page_size=100&page=1").await;
    let rest = json(&app, "/api/v1/products?page_size=100&page=2").await;

    assert_eq!(list["total"], 148);
    let ids: Vec<&Value> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .chain(rest["items"].as_array().unwrap())
        .map(|p| &p["id"])
        .collect();
    assert!(!ids.iter().any(|id| *id == gone.as_str() || *id == hidden.as_str()));
    assert_eq!(app.get(&format!("/api/v1/products/{gone}")).await.status(), 404);
    assert_eq!(app.get(&format!("/api/v1/products/{hidden}")).await.status(), 404);
}

#[tokio::test]
async fn generated_products_come_in_sizes_and_keep_their_copies_exact() {
    let app = TestApp::spawn_shop().await;
    let added = gokart_api::catalog::seed::synthetic_products(&app.db, 40).await.unwrap();
    assert_eq!(added, 40);
    // What the variant trigger would compute, against what was written.
    let drifted: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM products p,
             LATERAL (SELECT min(price_amount) AS low, max(price_amount) AS high,
                             string_agg(array_to_string(option_values, ' ') || ' ' || sku, ' '
                                        ORDER BY position, id) AS terms
                      FROM product_variants v WHERE v.product_id = p.id) live
         WHERE p.price_min IS DISTINCT FROM live.low OR p.price_max IS DISTINCT FROM live.high
            OR p.variant_terms IS DISTINCT FROM live.terms",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(drifted, 0);

    let sized: uuid::Uuid =
        sqlx::query_scalar("SELECT product_id FROM product_variants WHERE sku LIKE 'SYN-%-4-M'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    let product = json(&app, &format!("/api/v1/products/{sized}")).await;
    assert_eq!(product["options"][0]["values"], serde_json::json!(["S", "M", "L"]));
    let sizes: Vec<&str> = product["variants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["options"]["Size"].as_str().unwrap())
        .collect();
    assert_eq!(sizes, ["S", "M", "L"]);
    let range = &product["price_range"];
    assert_eq!(
        range["max"]["amount"].as_i64().unwrap() - range["min"]["amount"].as_i64().unwrap(),
        200
    );
    let found = json(&app, "/api/v1/products?q=SYN").await;
    assert_eq!(found["total"], 40, "searchable by SKU");
}
