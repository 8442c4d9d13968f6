//! Buying without an account: the guest's cart becomes the order, under the
//! same transaction, locks and idempotency as a customer's; the answer's
//! order token opens that order and no other, the emails carry its link,
//! the guest may cancel with it, and the order joins the account that
//! verifies its address (and only then).

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, cart_token, error_of, guest_add};
use crate::pipeline::{Pipeline, wait_for};

fn address(name: &str) -> Value {
    json!({"name": name, "phone": "+1 555 010 0199", "street1": "1 Main St",
           "city": "Springfield", "state": "IL", "postal_code": "62701", "country": "US"})
}

fn guest_body(email: &str) -> Value {
    json!({"email": email, "shipping_address": address("Grace Guest"),
           "billing_address": address("Grace Guest"), "payment_method": "manual"})
}

/// A guest with `quantity` kettles in a new cart; its token.
async fn guest_with_kettles(app: &TestApp, kettle: &str, quantity: i64) -> String {
    let added = guest_add(app, None, kettle, quantity).await;
    assert_eq!(added.status(), 200);
    cart_token(&added).unwrap()
}

async fn guest_checkout(app: &TestApp, token: &str, body: &Value) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/orders"))
        .header("cookie", format!("cart_token={token}"))
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn lookup(app: &TestApp, token: &str) -> reqwest::Response {
    app.get(&format!("/api/v1/orders/lookup?token={token}")).await
}

#[tokio::test]
async fn a_guest_buys_follows_the_emailed_link_and_sees_the_order_delivered() {
    let pipeline = Pipeline::api_only(|_| {}).await;
    let _worker = pipeline.start_worker().await;
    let app = &pipeline.api;
    let kettle = app.set_stock("K-001", 10).await;
    let cart = guest_with_kettles(app, &kettle, 2).await;

    let placed = guest_checkout(app, &cart, &guest_body("Grace@Example.com")).await;
    assert_eq!(placed.status(), 201);
    let order: Value = placed.json().await.unwrap();
    let token = order["order_token"].as_str().unwrap().to_owned();
    assert!(token.len() >= 22, "at least 128 bits");
    assert_eq!(app.stock_of("K-001").await, 8);
    let stored: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM orders WHERE user_id IS NULL AND guest_email = 'grace@example.com'
           AND access_token_hash IS NOT NULL AND access_token_hash <> convert_to($1, 'UTF8')",
    )
    .bind(&token)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(stored, 1, "stored with the guest's email and only a hash of the token");

    let id = order["id"].as_str().unwrap().to_owned();
    pipeline.wait_until_delivered(std::slice::from_ref(&id)).await;
    let emails = pipeline.emails();
    assert_eq!(emails.len(), 5, "one email per step");
    for (_, raw) in &emails {
        assert!(raw.contains("grace@example.com"));
        let parsed = mail_parser::MessageParser::default().parse(raw.as_bytes()).unwrap();
        let text = parsed.body_text(0).unwrap();
        assert!(text.contains(&format!("/orders/lookup?token={token}")), "{text}");
    }

    let shown: Value = lookup(app, &token).await.json().await.unwrap();
    assert_eq!(shown["id"], order["id"]);
    assert_eq!(shown["status"], "delivered");
    assert!(shown.get("order_token").is_none(), "the token is shown once, at checkout");
    assert_eq!(lookup(app, "not-a-token").await.status(), 404);
    assert_eq!(app.get(&format!("/api/v1/orders/{id}")).await.status(), 401);
}

#[tokio::test]
async fn a_token_opens_its_own_order_only_and_cancels_it_while_allowed() {
    let app = TestApp::spawn_shop().await;
    let kettle = app.set_stock("K-001", 10).await;
    let first = guest_with_kettles(&app, &kettle, 1).await;
    let second = guest_with_kettles(&app, &kettle, 3).await;
    let a: Value =
        guest_checkout(&app, &first, &guest_body("a@example.com")).await.json().await.unwrap();
    let b: Value =
        guest_checkout(&app, &second, &guest_body("b@example.com")).await.json().await.unwrap();
    let (a_token, b_token) =
        (a["order_token"].as_str().unwrap(), b["order_token"].as_str().unwrap());
    assert_ne!(a_token, b_token);
    let shown: Value = lookup(&app, b_token).await.json().await.unwrap();
    assert_eq!(shown["id"], b["id"]);
    assert_eq!(app.stock_of("K-001").await, 6);

    let cancel = |token: &str| {
        app.client.post(app.url(&format!("/api/v1/orders/lookup/cancel?token={token}"))).send()
    };
    let cancelled = cancel(b_token).await.unwrap();
    assert_eq!(cancelled.status(), 200);
    let cancelled: Value = cancelled.json().await.unwrap();
    assert_eq!(
        (cancelled["id"].clone(), cancelled["status"].clone()),
        (b["id"].clone(), json!("cancelled"))
    );
    assert_eq!(app.stock_of("K-001").await, 9, "restocked");
    let a_now: Value = lookup(&app, a_token).await.json().await.unwrap();
    assert_eq!(a_now["status"], "confirmed", "the other order is untouched");
    let again = cancel(b_token).await.unwrap();
    assert_eq!(again.status(), 200, "cancelling twice is the same cancellation");
    assert_eq!(app.stock_of("K-001").await, 9, "restocked once");
    assert_eq!(cancel("nope").await.unwrap().status(), 404);
}

#[tokio::test]
async fn guests_racing_for_the_last_units_never_oversell() {
    let app = TestApp::spawn_shop().await;
    let kettle = app.set_stock("K-001", 30).await;
    let mut carts = Vec::new();
    for _ in 0..30 {
        carts.push(guest_with_kettles(&app, &kettle, 1).await);
    }
    app.set_stock("K-001", 5).await;
    let mut checkouts = tokio::task::JoinSet::new();
    for (n, cart) in carts.into_iter().enumerate() {
        let (client, url) = (app.client.clone(), app.url("/api/v1/orders"));
        let body = guest_body(&format!("racer{n}@example.com"));
        checkouts.spawn(async move {
            let request =
                client.post(url).header("cookie", format!("cart_token={cart}")).json(&body);
            request.send().await.unwrap().status().as_u16()
        });
    }
    let statuses = checkouts.join_all().await;
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 5, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 25, "{statuses:?}");
    assert_eq!(app.stock_of("K-001").await, 0);
    let orders: i64 =
        sqlx::query_scalar("SELECT count(*) FROM orders").fetch_one(&app.db).await.unwrap();
    assert_eq!(orders, 5);
}

#[tokio::test]
async fn a_retried_guest_checkout_gets_the_same_order_and_token() {
    let app = TestApp::spawn_shop().await;
    let kettle = app.set_stock("K-001", 10).await;
    let cart = guest_with_kettles(&app, &kettle, 1).await;
    let send = || {
        app.client
            .post(app.url("/api/v1/orders"))
            .header("cookie", format!("cart_token={cart}"))
            .header("idempotency-key", "guest-retry-1")
            .json(&guest_body("retry@example.com"))
            .send()
    };
    let first: Value = send().await.unwrap().json().await.unwrap();
    let again = send().await.unwrap();
    assert_eq!(again.status(), 201);
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["id"], first["id"]);
    assert_eq!(again["order_token"], first["order_token"]);
    assert_eq!(app.stock_of("K-001").await, 9, "sold once");
    let stored: String = sqlx::query_scalar("SELECT response_body::text FROM idempotency_keys")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert!(!stored.contains(first["order_token"].as_str().unwrap()), "the token is not stored");
}

#[tokio::test]
async fn a_guest_checkout_names_every_bad_field_and_needs_a_cart() {
    let app = TestApp::spawn_shop().await;
    let kettle = app.set_stock("K-001", 10).await;
    let cart = guest_with_kettles(&app, &kettle, 1).await;
    let mut bad = guest_body("not an email");
    bad["shipping_address"]["postal_code"] = json!("");
    bad.as_object_mut().unwrap().remove("billing_address");
    let fields = error_of(guest_checkout(&app, &cart, &bad).await, 422).await.fields.unwrap();
    for field in ["email", "shipping_address.postal_code", "billing_address"] {
        assert!(fields.contains_key(field), "{field}: {fields:?}");
    }
    assert_eq!(app.stock_of("K-001").await, 10);
    let no_cart = app.post_json("/api/v1/orders", &guest_body("x@example.com")).await;
    assert_eq!(error_of(no_cart, 409).await.code, "cart_empty");
}

#[tokio::test]
async fn guest_orders_join_the_account_that_verifies_their_address_and_only_then() {
    let app = TestApp::spawn_shop().await;
    let kettle = app.set_stock("K-001", 10).await;
    let cart = guest_with_kettles(&app, &kettle, 1).await;
    let order: Value =
        guest_checkout(&app, &cart, &guest_body("ada@example.com")).await.json().await.unwrap();

    let registered = app.register("Ada", "ada@example.com", "a long enough passphrase").await;
    assert_eq!(registered.status(), 201);
    let user = crate::helpers::TestUser::from_response(
        registered,
        "ada@example.com".into(),
        "a long enough passphrase".into(),
    )
    .await;
    let list = || async {
        let page: Value = app
            .authed(Method::GET, "/api/v1/orders", &user.access_token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        page["items"].as_array().unwrap().iter().map(|o| o["id"].clone()).collect::<Vec<_>>()
    };
    assert!(list().await.is_empty(), "registering is not proof of the address");

    let link: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM account_tokens").fetch_one(&app.db).await.unwrap();
    let token = app.state(&[("JWT_SECRET", crate::helpers::TEST_JWT_SECRET)]).links.token(link);
    let verified = app.post_json("/api/v1/auth/verify-email", &json!({"token": token})).await;
    assert_eq!(verified.status(), 204);
    wait_for(Duration::from_secs(5), || async { list().await == vec![order["id"].clone()] }).await;
    let shown: Value = app
        .authed(
            Method::GET,
            &format!("/api/v1/orders/{}", order["id"].as_str().unwrap()),
            &user.access_token,
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(shown["id"], order["id"]);
}
