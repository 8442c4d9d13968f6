//! Hostile or absurd input gets a 4xx naming the problem, never a 500.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{TestApp, error_of};

#[tokio::test]
async fn impossible_emails_at_login_are_a_plain_401() {
    let app = TestApp::spawn().await;

    let nul = app.login("a\u{0}b@example.com", "whatever it is").await;
    let huge = app.login(&format!("{}@example.com", "a".repeat(3000)), "whatever it is").await;

    assert_eq!(error_of(nul, 401).await.code, "unauthorized");
    assert_eq!(error_of(huge, 401).await.code, "unauthorized");
}

#[tokio::test]
async fn control_characters_in_catalog_queries_are_refused_by_name() {
    let app = TestApp::spawn_shop().await;

    let category = app.get("/api/v1/products?category=%00").await;
    let search = app.get("/api/v1/products?q=zzqqxx%00").await;

    assert!(error_of(category, 422).await.fields.unwrap().contains_key("category"));
    assert!(error_of(search, 422).await.fields.unwrap().contains_key("q"));
}

#[tokio::test]
async fn absurd_prices_stock_and_attributes_are_refused() {
    let app = TestApp::spawn_shop().await;
    let admin = app.create_admin().await;
    let category: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM categories LIMIT 1").fetch_one(&app.db).await.unwrap();
    let product: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM products LIMIT 1").fetch_one(&app.db).await.unwrap();
    let create = |body: serde_json::Value| {
        app.authed(Method::POST, "/api/v1/admin/products", &admin.access_token).json(&body).send()
    };
    let base = |extra: serde_json::Value| {
        let mut body = json!({"name": "X", "sku": "X-1", "price": {"amount": 100, "currency": "usd"}, "category_id": category});
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        body
    };

    let price =
        create(base(json!({"price": {"amount": 100_000_000_000_000_000i64, "currency": "usd"}})))
            .await
            .unwrap();
    let stock = create(base(json!({"stock_quantity": 2_147_483_647i64}))).await.unwrap();
    let nul = create(base(json!({"attributes": {"note": "a\u{0}b"}}))).await.unwrap();
    let image = create(base(json!({"images": ["/a\u{0}.jpg"]}))).await.unwrap();
    let delta = app
        .authed(
            Method::PATCH,
            &format!("/api/v1/admin/products/{product}/stock"),
            &admin.access_token,
        )
        .json(&json!({"delta": 2_147_483_647i64}))
        .send()
        .await
        .unwrap();
    let search = app
        .authed(Method::GET, "/api/v1/admin/users?q=%00", &admin.access_token)
        .send()
        .await
        .unwrap();

    assert!(error_of(price, 422).await.fields.unwrap().contains_key("price"));
    assert!(error_of(stock, 422).await.fields.unwrap().contains_key("stock_quantity"));
    assert!(error_of(nul, 422).await.fields.unwrap().contains_key("attributes"));
    assert!(error_of(image, 422).await.fields.unwrap().contains_key("images"));
    assert!(error_of(delta, 422).await.fields.unwrap().contains_key("delta"));
    assert!(error_of(search, 422).await.fields.unwrap().contains_key("q"));
}

#[tokio::test]
async fn a_merge_never_takes_a_cart_past_a_hundred_lines() {
    let app = TestApp::spawn_shop().await;
    sqlx::query("UPDATE product_variants SET stock_quantity = 10").execute(&app.db).await.unwrap();
    let ids: Vec<uuid::Uuid> = sqlx::query_scalar("SELECT id FROM product_variants ORDER BY sku")
        .fetch_all(&app.db)
        .await
        .unwrap();
    let user = app.register_user().await;
    for id in &ids[..99] {
        app.authed(Method::POST, "/api/v1/cart/items", &user.access_token)
            .json(&json!({"variant_id": id, "quantity": 1}))
            .send()
            .await
            .unwrap();
    }
    let first = app
        .client
        .post(app.url("/api/v1/cart/items"))
        .json(&json!({"variant_id": ids[99], "quantity": 1}))
        .send()
        .await
        .unwrap();
    let token = crate::helpers::cookie_value(&first, "cart_token").unwrap();
    for id in &ids[100..103] {
        app.client
            .post(app.url("/api/v1/cart/items"))
            .header("cookie", format!("cart_token={token}"))
            .json(&json!({"variant_id": id, "quantity": 1}))
            .send()
            .await
            .unwrap();
    }

    let login = app.login_with_cart(&user, &token).await;

    assert_eq!(login.status(), 200);
    let cart: serde_json::Value = app
        .authed(Method::GET, "/api/v1/cart", &user.access_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(cart["items"].as_array().unwrap().len(), 100);
}

/// A customer's order of 3 of the 10 kettles in stock: the kettle's id and
/// the customer's request to cancel that order.
async fn three_kettles_ordered(app: &TestApp) -> (String, reqwest::RequestBuilder) {
    let kettle = app.set_stock("K-001", 10).await;
    let (customer, address) = app.customer().await;
    crate::helpers::add_to_cart(app, &customer, &kettle, 3).await;
    let order: serde_json::Value =
        crate::helpers::checkout(app, &customer, &address).await.json().await.unwrap();
    let cancel_path = format!("/api/v1/orders/{}/cancel", order["id"].as_str().unwrap());
    (kettle, app.authed(Method::POST, &cancel_path, &customer.access_token))
}

#[tokio::test]
async fn stock_never_passes_its_cap_and_a_later_cancel_still_restocks() {
    let app = TestApp::spawn_shop().await;
    let admin = app.create_admin().await;
    let (kettle, cancel_order) = three_kettles_ordered(&app).await;
    let stock_path = format!("/api/v1/admin/products/{kettle}/stock");
    let adjust = |body: serde_json::Value| {
        app.authed(Method::PATCH, &stock_path, &admin.access_token).json(&body).send()
    };

    let to_the_cap = adjust(json!({"delta": 1_000_000_000 - 7})).await.unwrap();
    let past_the_cap = adjust(json!({"delta": 1})).await.unwrap();
    let cancel = cancel_order.send().await.unwrap();

    assert_eq!(to_the_cap.status(), 200);
    let refused = error_of(past_the_cap, 422).await;
    assert!(refused.fields.unwrap().contains_key("delta"));
    assert_eq!(cancel.status(), 200, "the returned units go back on the shelf");
    let stock: i32 =
        sqlx::query_scalar("SELECT stock_quantity FROM product_variants WHERE sku = 'K-001'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(stock, 1_000_000_003);
}

#[tokio::test]
async fn a_number_that_cannot_be_stored_is_a_409_never_a_500() {
    let app = TestApp::spawn_shop().await;
    let (_, cancel_order) = three_kettles_ordered(&app).await;
    // Stock that only a direct write could have put there.
    app.set_stock("K-001", i32::MAX - 1).await;

    let cancel = cancel_order.send().await.unwrap();

    assert_eq!(error_of(cancel, 409).await.code, "out_of_range");
}
