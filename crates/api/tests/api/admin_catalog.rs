//! Admin management of the catalog: products, stock and categories.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, error_of};

async fn shop() -> (TestApp, TestUser) {
    let app = TestApp::spawn_shop().await;
    let admin = app.create_admin().await;
    (app, admin)
}

async fn category_id(app: &TestApp, slug: &str) -> String {
    let id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM categories WHERE slug = $1")
        .bind(slug)
        .fetch_one(&app.db)
        .await
        .unwrap();
    id.to_string()
}

async fn send(
    app: &TestApp,
    admin: &TestUser,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut request = app.authed(method, path, &admin.access_token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.unwrap()
}

/// Creates [`new_product`] in the kitchen; the created product.
async fn new_kitchen_product(app: &TestApp, admin: &TestUser) -> Value {
    let kitchen = category_id(app, "kitchen").await;
    let body = Some(new_product(&kitchen));
    send(app, admin, Method::POST, "/api/v1/admin/products", body).await.json().await.unwrap()
}

fn new_product(category_id: &str) -> Value {
    json!({
        "name": "Gooseneck Kettle", "description": "Precise pour for filter coffee.", "brand": "Morning Ritual",
        "sku": "KIT-900", "price": {"amount": 6499, "currency": "usd"}, "stock_quantity": 10,
        "category_id": category_id, "images": ["/images/kit-900.jpg"], "thumbnail": "/images/kit-900-thumb.jpg",
        "attributes": {"capacity_ml": 900}, "warranty": "2 year warranty"
    })
}

#[tokio::test]
async fn every_admin_catalog_route_refuses_anonymous_and_customer_callers() {
    let (app, _admin) = shop().await;
    let customer = app.register_user().await;
    let id = uuid::Uuid::new_v4();
    let routes = [
        (Method::POST, "/api/v1/admin/categories".to_owned()),
        (Method::PUT, format!("/api/v1/admin/categories/{id}")),
        (Method::DELETE, format!("/api/v1/admin/categories/{id}")),
        (Method::POST, "/api/v1/admin/products".to_owned()),
        (Method::PUT, format!("/api/v1/admin/products/{id}")),
        (Method::DELETE, format!("/api/v1/admin/products/{id}")),
        (Method::PATCH, format!("/api/v1/admin/products/{id}/stock")),
    ];

    for (method, path) in routes {
        let anonymous = app
            .client
            .request(method.clone(), app.url(&path))
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        let as_customer = app
            .authed(method.clone(), &path, &customer.access_token)
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(anonymous.status(), 401, "{method} {path}");
        assert_eq!(as_customer.status(), 403, "{method} {path}");
    }
}

#[tokio::test]
async fn a_created_product_is_listed_found_and_priced_in_minor_units() {
    let (app, admin) = shop().await;
    let kitchen = category_id(&app, "kitchen").await;

    let created =
        send(&app, &admin, Method::POST, "/api/v1/admin/products", Some(new_product(&kitchen)))
            .await;

    assert_eq!(created.status(), 201);
    let product: Value = created.json().await.unwrap();
    assert_eq!(product["price"], json!({"amount": 6499, "currency": "usd"}));
    assert_eq!(product["attributes"]["capacity_ml"], 900);
    let found: Value = app.get("/api/v1/products?q=gooseneck").await.json().await.unwrap();
    assert_eq!(found["items"][0]["id"], product["id"]);
    let by_category: Value =
        app.get("/api/v1/products?q=kitchen&page_size=100").await.json().await.unwrap();
    assert!(
        by_category["items"].as_array().unwrap().iter().any(|p| p["id"] == product["id"]),
        "category names are searched"
    );
}

#[tokio::test]
async fn product_validation_names_every_field_and_writes_nothing() {
    let (app, admin) = shop().await;
    let body = json!({
        "name": " ", "sku": "bad sku", "price": {"amount": -1, "currency": "usd"}, "stock_quantity": -2,
        "category_id": "nope", "attributes": [1, 2], "images": [""]
    });

    let error =
        error_of(send(&app, &admin, Method::POST, "/api/v1/admin/products", Some(body)).await, 422)
            .await;
    let missing = error_of(
        send(&app, &admin, Method::POST, "/api/v1/admin/products", Some(json!({}))).await,
        422,
    )
    .await;
    let bad_currency = send(&app, &admin, Method::POST, "/api/v1/admin/products",
        Some(json!({"name": "X", "sku": "X-1", "price": {"amount": 5, "currency": "dollars"}, "category_id": uuid::Uuid::new_v4()}))).await;

    let fields = error.fields.unwrap();
    for field in ["name", "sku", "price", "stock_quantity", "category_id", "attributes", "images"] {
        assert!(fields.contains_key(field), "{field} is named: {fields:?}");
    }
    let missing = missing.fields.unwrap();
    for field in ["name", "sku", "price", "category_id"] {
        assert!(missing.contains_key(field), "{field} is required");
    }
    assert!(error_of(bad_currency, 422).await.fields.unwrap().contains_key("price.currency"));
    let count: i64 =
        sqlx::query_scalar("SELECT count(*) FROM products").fetch_one(&app.db).await.unwrap();
    assert_eq!(count, 150);
}

#[tokio::test]
async fn a_taken_sku_is_409_and_an_unknown_category_is_422() {
    let (app, admin) = shop().await;
    let kitchen = category_id(&app, "kitchen").await;
    let mut duplicate = new_product(&kitchen);
    duplicate["sku"] = json!("K-001");
    let mut orphan = new_product(&uuid::Uuid::new_v4().to_string());
    orphan["sku"] = json!("KIT-901");

    let taken = send(&app, &admin, Method::POST, "/api/v1/admin/products", Some(duplicate)).await;
    let unknown = send(&app, &admin, Method::POST, "/api/v1/admin/products", Some(orphan)).await;

    assert_eq!(error_of(taken, 409).await.code, "sku_taken");
    assert!(error_of(unknown, 422).await.fields.unwrap().contains_key("category_id"));
}

#[tokio::test]
async fn an_update_changes_only_the_given_fields() {
    let (app, admin) = shop().await;
    let created = new_kitchen_product(&app, &admin).await;
    let id = created["id"].as_str().unwrap();

    let updated = send(
        &app,
        &admin,
        Method::PUT,
        &format!("/api/v1/admin/products/{id}"),
        Some(json!({"price": {"amount": 5999, "currency": "usd"}, "is_active": false})),
    )
    .await;

    let updated: Value = updated.json().await.unwrap();
    assert_eq!(updated["price"]["amount"], 5999);
    assert_eq!(updated["name"], "Gooseneck Kettle");
    assert_eq!(updated["is_active"], false);
    assert_eq!(
        app.get(&format!("/api/v1/products/{id}")).await.status(),
        404,
        "inactive products are hidden"
    );
}

#[tokio::test]
async fn a_deleted_product_is_hidden_but_kept() {
    let (app, admin) = shop().await;
    let created = new_kitchen_product(&app, &admin).await;
    let id = created["id"].as_str().unwrap();

    let deleted =
        send(&app, &admin, Method::DELETE, &format!("/api/v1/admin/products/{id}"), None).await;
    let again =
        send(&app, &admin, Method::DELETE, &format!("/api/v1/admin/products/{id}"), None).await;

    assert_eq!(deleted.status(), 204);
    assert_eq!(again.status(), 404);
    assert_eq!(app.get(&format!("/api/v1/products/{id}")).await.status(), 404);
    let kept: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM products WHERE id = $1::uuid AND deleted_at IS NOT NULL",
    )
    .bind(id)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(kept, 1, "kept for order history");
}

#[tokio::test]
async fn stock_moves_by_delta_or_quantity_and_never_below_zero() {
    let (app, admin) = shop().await;
    let created = new_kitchen_product(&app, &admin).await;
    let path = format!("/api/v1/admin/products/{}/stock", created["id"].as_str().unwrap());

    let added: Value = send(&app, &admin, Method::PATCH, &path, Some(json!({"delta": 5})))
        .await
        .json()
        .await
        .unwrap();
    let set: Value = send(&app, &admin, Method::PATCH, &path, Some(json!({"quantity": 3})))
        .await
        .json()
        .await
        .unwrap();
    let too_many = send(&app, &admin, Method::PATCH, &path, Some(json!({"delta": -4}))).await;
    let both =
        send(&app, &admin, Method::PATCH, &path, Some(json!({"delta": 1, "quantity": 1}))).await;
    let negative = send(&app, &admin, Method::PATCH, &path, Some(json!({"quantity": -1}))).await;

    assert_eq!(added["stock_quantity"], 15);
    assert_eq!(set["stock_quantity"], 3);
    assert_eq!(error_of(too_many, 409).await.code, "insufficient_stock");
    assert_eq!(both.status(), 422);
    assert_eq!(negative.status(), 422);
    let after: Value = app
        .get(&format!("/api/v1/products/{}", created["id"].as_str().unwrap()))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(after["stock_quantity"], 3, "refused adjustments change nothing");
}

#[tokio::test]
async fn concurrent_decrements_never_oversell() {
    let (app, admin) = shop().await;
    let created = new_kitchen_product(&app, &admin).await;
    let url = app.url(&format!("/api/v1/admin/products/{}/stock", created["id"].as_str().unwrap()));

    let statuses = race_stock_deltas(&app, &admin, &url, -1, 25).await;

    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 10, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 15);
    assert_eq!(app.stock_of("KIT-900").await, 0);
}

#[tokio::test]
async fn concurrent_increments_never_pass_the_stock_cap() {
    let (app, admin) = shop().await;
    let created = new_kitchen_product(&app, &admin).await;
    sqlx::query("UPDATE product_variants SET stock_quantity = $1 WHERE sku = 'KIT-900'")
        .bind(gokart_domain::MAX_STOCK - 10)
        .execute(&app.db)
        .await
        .unwrap();
    let url = app.url(&format!("/api/v1/admin/products/{}/stock", created["id"].as_str().unwrap()));

    let statuses = race_stock_deltas(&app, &admin, &url, 1, 25).await;

    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 10, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 422).count(), 15);
    assert_eq!(app.stock_of("KIT-900").await, gokart_domain::MAX_STOCK);
}

/// Sends `count` stock changes of `delta` to `url` at once; their statuses.
async fn race_stock_deltas(
    app: &TestApp,
    admin: &TestUser,
    url: &str,
    delta: i64,
    count: usize,
) -> Vec<u16> {
    let mut attempts = tokio::task::JoinSet::new();
    for _ in 0..count {
        let (client, url, token) = (app.client.clone(), url.to_owned(), admin.access_token.clone());
        attempts.spawn(async move {
            client
                .patch(url)
                .bearer_auth(token)
                .json(&json!({ "delta": delta }))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        });
    }
    attempts.join_all().await
}

#[tokio::test]
async fn categories_are_created_with_a_derived_slug_and_unique_names() {
    let (app, admin) = shop().await;

    let created = send(
        &app,
        &admin,
        Method::POST,
        "/api/v1/admin/categories",
        Some(json!({"name": "Garden & Patio"})),
    )
    .await;
    let same_name = send(
        &app,
        &admin,
        Method::POST,
        "/api/v1/admin/categories",
        Some(json!({"name": "garden & patio", "slug": "garden-2"})),
    )
    .await;
    let same_slug = send(
        &app,
        &admin,
        Method::POST,
        "/api/v1/admin/categories",
        Some(json!({"name": "Garden", "slug": "garden-patio"})),
    )
    .await;
    let invalid = send(
        &app,
        &admin,
        Method::POST,
        "/api/v1/admin/categories",
        Some(json!({"name": "", "slug": "Bad Slug"})),
    )
    .await;

    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    assert_eq!(created["slug"], "garden-patio");
    assert_eq!(created["product_count"], 0);
    assert_eq!(error_of(same_name, 409).await.code, "name_taken");
    assert_eq!(error_of(same_slug, 409).await.code, "slug_taken");
    let fields = error_of(invalid, 422).await.fields.unwrap();
    assert!(fields.contains_key("name") && fields.contains_key("slug"));
}

#[tokio::test]
async fn renaming_a_category_reindexes_its_products_for_search() {
    let (app, admin) = shop().await;
    let fitness = category_id(&app, "fitness").await;

    let renamed = send(
        &app,
        &admin,
        Method::PUT,
        &format!("/api/v1/admin/categories/{fitness}"),
        Some(json!({"name": "Gymnasium"})),
    )
    .await;
    let found: Value =
        app.get("/api/v1/products?q=gymnasium&page_size=100").await.json().await.unwrap();

    assert_eq!(renamed.status(), 200);
    assert_eq!(found["total"], 20);
}

#[tokio::test]
async fn a_category_with_products_cannot_be_deleted() {
    let (app, admin) = shop().await;
    let kitchen = category_id(&app, "kitchen").await;

    let refused =
        send(&app, &admin, Method::DELETE, &format!("/api/v1/admin/categories/{kitchen}"), None)
            .await;

    assert_eq!(error_of(refused, 409).await.code, "category_not_empty");
    let products: i64 =
        sqlx::query_scalar("SELECT count(*) FROM products").fetch_one(&app.db).await.unwrap();
    assert_eq!(products, 150, "no product went with it");
}

#[tokio::test]
async fn a_category_whose_products_were_all_deleted_can_go() {
    let (app, admin) = shop().await;
    let created: Value = send(
        &app,
        &admin,
        Method::POST,
        "/api/v1/admin/categories",
        Some(json!({"name": "Seasonal"})),
    )
    .await
    .json()
    .await
    .unwrap();
    let category = created["id"].as_str().unwrap();
    let product: Value =
        send(&app, &admin, Method::POST, "/api/v1/admin/products", Some(new_product(category)))
            .await
            .json()
            .await
            .unwrap();
    send(
        &app,
        &admin,
        Method::DELETE,
        &format!("/api/v1/admin/products/{}", product["id"].as_str().unwrap()),
        None,
    )
    .await;

    let deleted =
        send(&app, &admin, Method::DELETE, &format!("/api/v1/admin/categories/{category}"), None)
            .await;
    let missing =
        send(&app, &admin, Method::DELETE, &format!("/api/v1/admin/categories/{category}"), None)
            .await;

    assert_eq!(deleted.status(), 204);
    assert_eq!(missing.status(), 404);
    let kept: i64 =
        sqlx::query_scalar("SELECT count(*) FROM product_variants WHERE sku = 'KIT-900'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(kept, 1, "the deleted product stays for order history");
}
