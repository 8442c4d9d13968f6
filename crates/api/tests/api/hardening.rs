//! The API's own protections: the docs page's policy and the per-route
//! bounds that shed load instead of queueing it.

use reqwest::Method;

use crate::helpers::{TestApp, add_to_cart, checkout_body, error_of};

#[tokio::test]
async fn json_is_locked_down_and_only_the_docs_page_may_load_its_own_assets() {
    let app = TestApp::spawn().await;

    let json = app.get("/api/v1/categories").await;
    let docs = app.get("/api/v1/docs/").await;

    let policy = |response: &reqwest::Response| {
        response.headers()["content-security-policy"].to_str().unwrap().to_owned()
    };
    assert!(policy(&json).starts_with("default-src 'none'"), "{}", policy(&json));
    assert_eq!(docs.status(), 200);
    assert!(policy(&docs).starts_with("default-src 'self'"), "{}", policy(&docs));
    assert!(!policy(&docs).contains("script-src"), "scripts only from this origin");
    for response in [&json, &docs] {
        assert_eq!(response.headers()["x-content-type-options"], "nosniff");
        assert_eq!(response.headers()["x-frame-options"], "DENY");
    }
}

#[tokio::test]
async fn checkouts_past_their_bound_are_turned_away_and_the_held_one_completes() {
    let app = TestApp::spawn_shop_with(|env| env.set("CHECKOUT_MAX_IN_FLIGHT", "1")).await;
    let kettle = app.set_stock("K-001", 10).await;
    let (first, first_address) = app.customer().await;
    let (second, second_address) = app.customer().await;
    add_to_cart(&app, &first, &kettle, 1).await;
    add_to_cart(&app, &second, &kettle, 1).await;
    // Hold the product so the first checkout waits inside its slot.
    let mut holder = app.db.begin().await.unwrap();
    sqlx::query("UPDATE product_variants SET stock_quantity = stock_quantity WHERE sku = 'K-001'")
        .execute(&mut *holder)
        .await
        .unwrap();
    let held = tokio::spawn(
        app.authed(Method::POST, "/api/v1/orders", &first.access_token)
            .json(&checkout_body(&first_address))
            .send(),
    );
    app.until_a_query_waits_for_a_lock().await;

    let turned_away = app
        .authed(Method::POST, "/api/v1/orders", &second.access_token)
        .json(&checkout_body(&second_address))
        .send()
        .await
        .unwrap();

    assert_eq!(turned_away.headers()["retry-after"], "1");
    assert_eq!(error_of(turned_away, 503).await.code, "overloaded");
    // Other routes are not bound by the checkout limit.
    assert_eq!(app.get("/api/v1/categories").await.status(), 200);
    holder.commit().await.unwrap();
    assert_eq!(held.await.unwrap().unwrap().status(), 201);
    let retried = app
        .authed(Method::POST, "/api/v1/orders", &second.access_token)
        .json(&checkout_body(&second_address))
        .send()
        .await
        .unwrap();
    assert_eq!(retried.status(), 201, "the slot is free again");
    let orders: i64 =
        sqlx::query_scalar("SELECT count(*) FROM orders").fetch_one(&app.db).await.unwrap();
    assert_eq!(orders, 2, "the refused checkout wrote nothing");
}

#[tokio::test]
async fn a_body_that_is_not_a_json_object_is_refused_even_if_its_fields_line_up() {
    let app = TestApp::spawn().await;
    let user = app.register_user().await;

    // serde would read `[name, email]` into the profile by position.
    let by_position = app
        .authed(Method::PUT, "/api/v1/users/profile", &user.access_token)
        .header("content-type", "application/json")
        .body(r#"["Mallory", "mallory@example.com"]"#)
        .send()
        .await
        .unwrap();

    let error = error_of(by_position, 422).await;
    assert_eq!(error.fields.unwrap()["body"], "must be a JSON object");
    let profile: serde_json::Value = app
        .authed(Method::GET, "/api/v1/users/profile", &user.access_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(profile["email"], user.email.as_str(), "nothing was changed");
}

#[tokio::test]
async fn a_webhook_without_a_signature_is_a_400_whether_or_not_stripe_is_on() {
    let app = TestApp::spawn().await;

    let unsigned = app.post_raw("/api/v1/webhooks/stripe", "application/json", "{}").await;

    assert_eq!(error_of(unsigned, 400).await.code, "missing_signature");
}
