//! At 100,000 products, every shopper query PostgreSQL runs uses an index.

use gokart_api::catalog::repository::{ListFilter, Matching, explain_list};
use gokart_domain::{ProductSort, SearchTerms};

use crate::helpers::TestApp;

fn uses_no_full_scan(plan: &str) -> bool {
    !plan.contains("Seq Scan on products")
}

#[tokio::test]
async fn list_detail_category_price_and_search_plans_use_indexes_at_100k_products() {
    let app = TestApp::spawn().await;
    gokart_api::catalog::seed::demo_catalog(&app.db).await.unwrap();
    gokart_api::catalog::seed::synthetic_products(&app.db, 100_000).await.unwrap();
    sqlx::query("ANALYZE").execute(&app.db).await.unwrap();
    let category: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM categories WHERE slug = 'kitchen'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    let two: Vec<uuid::Uuid> =
        sqlx::query_scalar("SELECT id FROM categories ORDER BY slug LIMIT 2")
            .fetch_all(&app.db)
            .await
            .unwrap();
    let kett = SearchTerms::parse("kett").unwrap().unwrap();
    let typo = SearchTerms::parse("binoculers").unwrap().unwrap();
    let all = ListFilter::default();
    let cases = [
        ("newest", ListFilter { ..all.clone() }, ProductSort::Newest),
        (
            "category",
            ListFilter { category_ids: Some(vec![category]), ..all.clone() },
            ProductSort::Newest,
        ),
        ("price", ListFilter { ..all.clone() }, ProductSort::PriceAsc),
        (
            "a category with a subcategory",
            ListFilter { category_ids: Some(two.clone()), ..all.clone() },
            ProductSort::Newest,
        ),
        (
            "category by price",
            ListFilter { category_ids: Some(vec![category]), ..all.clone() },
            ProductSort::PriceDesc,
        ),
        (
            "search",
            ListFilter { search: Some((&kett, Matching::FullText)), ..all.clone() },
            ProductSort::Relevance,
        ),
        (
            "typo search",
            ListFilter { search: Some((&typo, Matching::Fuzzy)), ..all.clone() },
            ProductSort::Relevance,
        ),
    ];

    for (name, filter, sort) in cases {
        let plan = explain_list(&app.db, &filter, sort, 20, 0).await.unwrap();
        assert!(plan.contains("Index"), "{name} uses an index:\n{plan}");
        assert!(uses_no_full_scan(&plan), "{name} scans the whole table:\n{plan}");
    }
    let detail: Vec<String> = sqlx::query_scalar(
        "EXPLAIN SELECT * FROM products WHERE id = $1 AND deleted_at IS NULL AND is_active",
    )
    .bind(uuid::Uuid::new_v4())
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert!(detail.join("\n").contains("products_pkey"), "{detail:?}");

    // Past 10,000 matches PostgreSQL stops counting and says so; pages
    // past it are still served.
    let first = app.get("/api/v1/products?page_size=1").await.json::<serde_json::Value>().await;
    let first = first.unwrap();
    assert_eq!(
        (first["total"].as_i64(), first["total_is_exact"].as_bool()),
        (Some(10_000), Some(false))
    );
    let deep = app.get("/api/v1/products?page=600&page_size=20").await;
    let deep: serde_json::Value = deep.json().await.unwrap();
    assert_eq!(deep["items"].as_array().map(Vec::len), Some(20), "page 600 is served");

    // The index counts every match exactly, and leaves pages past its
    // window to PostgreSQL.
    let indexed = app.spawn_sibling(|env| env.set("SEARCH_ENGINE", "true")).await;
    let started = std::time::Instant::now();
    indexed.until_indexed_within(std::time::Duration::from_secs(300)).await;
    eprintln!("100,150 products indexed in {:?}", started.elapsed());
    let first: serde_json::Value =
        indexed.get("/api/v1/products?page_size=1").await.json().await.unwrap();
    assert_eq!(
        (first["total"].as_i64(), first["total_is_exact"].as_bool()),
        (Some(100_150), Some(true))
    );
    let deep: serde_json::Value =
        indexed.get("/api/v1/products?page=600&page_size=20").await.json().await.unwrap();
    assert_eq!(deep["items"].as_array().map(Vec::len), Some(20), "page 600 is served");
}
