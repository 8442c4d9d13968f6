//! Guest and user carts, merging on sign-in, and ownership.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, cart_token, error_of, guest_add, set_cookie};

async fn guest_cart(app: &TestApp, token: &str) -> Value {
    app.client
        .get(app.url("/api/v1/cart"))
        .header("cookie", format!("cart_token={token}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn user_cart(app: &TestApp, access_token: &str) -> Value {
    app.authed(Method::GET, "/api/v1/cart", access_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn quantities(cart: &Value) -> Vec<(String, i64)> {
    cart["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["product_id"].as_str().unwrap().to_owned(), l["quantity"].as_i64().unwrap()))
        .collect()
}

async fn cart_rows(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM carts").fetch_one(&app.db).await.unwrap()
}

#[tokio::test]
async fn a_visitor_who_only_looks_gets_an_empty_cart_and_no_row() {
    let app = TestApp::spawn_shop().await;

    let response = app.get("/api/v1/cart").await;

    assert!(set_cookie(&response, "cart_token").is_none());
    let cart: Value = response.json().await.unwrap();
    assert_eq!(cart["items"], json!([]));
    assert_eq!(cart["subtotal"], json!({"amount": 0, "currency": "usd"}));
    assert_eq!(cart_rows(&app).await, 0);
}

#[tokio::test]
async fn a_guest_fills_a_cart_behind_an_http_only_cookie() {
    let app = TestApp::spawn_shop().await;
    let kettle = app.set_stock("K-001", 10).await;
    let skillet = app.set_stock("K-002", 10).await;

    let first = guest_add(&app, None, &kettle, 2).await;
    let cookie = set_cookie(&first, "cart_token").unwrap();
    let token = cart_token(&first).unwrap();
    guest_add(&app, Some(&token), &kettle, 1).await;
    let last = guest_add(&app, Some(&token), &skillet, 1).await;

    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/api/v1", "Max-Age=2592000"] {
        assert!(cookie.contains(attribute), "{cookie} lacks {attribute}");
    }
    assert_eq!(token.len(), 43, "256 random bits");
    assert!(set_cookie(&last, "cart_token").is_none(), "the token is issued once");
    let cart = guest_cart(&app, &token).await;
    assert_eq!(
        quantities(&cart),
        [(kettle, 3), (skillet, 1)],
        "adding sums into the existing line"
    );
    assert_eq!(cart["subtotal"]["amount"], 3 * 4999 + 3999);
    assert_eq!(cart["items"][0]["line_total"], json!({"amount": 3 * 4999, "currency": "usd"}));
    assert_eq!(cart["items"][0]["availability"], "in_stock");
    let stored: Vec<u8> =
        sqlx::query_scalar("SELECT token_hash FROM carts").fetch_one(&app.db).await.unwrap();
    assert_ne!(stored, token.as_bytes(), "only a hash is stored");
}

#[tokio::test]
async fn a_tampered_or_unknown_token_sees_nothing_and_gets_a_new_cart() {
    let app = TestApp::spawn_shop().await;
    let kettle = app.set_stock("K-001", 10).await;
    let token = cart_token(&guest_add(&app, None, &kettle, 2).await).unwrap();
    let mut tampered = token.clone().into_bytes();
    tampered[0] = if tampered[0] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();

    let peek = guest_cart(&app, &tampered).await;
    let add = guest_add(&app, Some(&tampered), &kettle, 1).await;

    assert_eq!(peek["items"], json!([]));
    let fresh = cart_token(&add).expect("a new token for a new cart");
    assert_ne!(fresh, token);
    assert_eq!(
        quantities(&guest_cart(&app, &token).await),
        [(kettle.clone(), 2)],
        "the real cart is untouched"
    );
    assert_eq!(quantities(&guest_cart(&app, &fresh).await), [(kettle, 1)]);
}

#[tokio::test]
async fn line_changes_set_and_remove() {
    let app = TestApp::spawn_shop().await;
    let kettle = app.set_stock("K-001", 10).await;
    let token = cart_token(&guest_add(&app, None, &kettle, 2).await).unwrap();
    let patch = |quantity: i64| {
        app.client
            .patch(app.url(&format!("/api/v1/cart/items/{kettle}")))
            .header("cookie", format!("cart_token={token}"))
            .json(&json!({"quantity": quantity}))
            .send()
    };

    let set: Value = patch(5).await.unwrap().json().await.unwrap();
    let removed: Value = patch(0).await.unwrap().json().await.unwrap();
    let gone = patch(1).await.unwrap();
    let delete = app
        .client
        .delete(app.url(&format!("/api/v1/cart/items/{kettle}")))
        .header("cookie", format!("cart_token={token}"))
        .send()
        .await
        .unwrap();

    assert_eq!(set["items"][0]["quantity"], 5);
    assert_eq!(removed["items"], json!([]));
    assert_eq!(gone.status(), 404);
    assert_eq!(delete.status(), 404);
}

#[tokio::test]
async fn every_cart_validation_error_is_named_and_changes_nothing() {
    let app = TestApp::spawn_shop().await;
    let kettle = app.set_stock("K-001", 5).await;
    let token = cart_token(&guest_add(&app, None, &kettle, 1).await).unwrap();

    let zero = guest_add(&app, Some(&token), &kettle, 0).await;
    let hundred = guest_add(&app, Some(&token), &kettle, 100).await;
    let unknown = guest_add(&app, Some(&token), &uuid::Uuid::new_v4().to_string(), 1).await;
    let malformed = guest_add(&app, Some(&token), "17", 1).await;
    let too_many = guest_add(&app, Some(&token), &kettle, 5).await;
    let missing_field = app
        .client
        .post(app.url("/api/v1/cart/items"))
        .json(&json!({"quantity": 1}))
        .send()
        .await
        .unwrap();

    assert!(error_of(zero, 422).await.fields.unwrap().contains_key("quantity"));
    assert!(error_of(hundred, 422).await.fields.unwrap().contains_key("quantity"));
    assert_eq!(error_of(unknown, 404).await.code, "not_found");
    assert_eq!(malformed.status(), 404);
    assert_eq!(error_of(too_many, 409).await.code, "insufficient_stock");
    assert!(error_of(missing_field, 422).await.fields.unwrap().contains_key("product_id"));
    assert_eq!(quantities(&guest_cart(&app, &token).await), [(kettle, 1)]);
}

#[tokio::test]
async fn deleted_and_inactive_products_cannot_be_added_and_show_as_unavailable() {
    let app = TestApp::spawn_shop().await;
    let kettle = app.set_stock("K-001", 10).await;
    let skillet = app.set_stock("K-002", 10).await;
    let token = cart_token(&guest_add(&app, None, &kettle, 2).await).unwrap();
    guest_add(&app, Some(&token), &skillet, 4).await;
    sqlx::query("UPDATE products SET deleted_at = now() WHERE id = (SELECT product_id FROM product_variants WHERE sku = 'K-001')")
        .execute(&app.db)
        .await
        .unwrap();
    sqlx::query(
        "UPDATE product_variants SET stock_quantity = 1, price_amount = 4500 WHERE sku = 'K-002'",
    )
    .execute(&app.db)
    .await
    .unwrap();

    let add_deleted = guest_add(&app, Some(&token), &kettle, 1).await;
    let cart = guest_cart(&app, &token).await;

    assert_eq!(add_deleted.status(), 404);
    assert_eq!(cart["items"][0]["availability"], "unavailable");
    assert_eq!(cart["items"][1]["availability"], "insufficient_stock");
    assert_eq!(cart["items"][1]["price"]["amount"], 4500, "today's price is shown");
    assert_eq!(cart["subtotal"]["amount"], 4 * 4500, "unavailable lines are not counted");
}

#[tokio::test]
async fn concurrent_adds_to_one_cart_lose_nothing() {
    let app = TestApp::spawn_shop().await;
    let kettle = app.set_stock("K-001", 99).await;
    let user = app.register_user().await;

    let mut adds = tokio::task::JoinSet::new();
    for _ in 0..12 {
        let (client, url, token, product) = (
            app.client.clone(),
            app.url("/api/v1/cart/items"),
            user.access_token.clone(),
            kettle.clone(),
        );
        adds.spawn(async move {
            client
                .post(url)
                .bearer_auth(token)
                .json(&json!({"product_id": product, "quantity": 2}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        });
    }
    let statuses = adds.join_all().await;

    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    assert_eq!(quantities(&user_cart(&app, &user.access_token).await), [(kettle, 24)]);
    assert_eq!(cart_rows(&app).await, 1, "one cart per user");
}

#[tokio::test]
async fn signing_in_merges_the_guest_cart_with_caps() {
    let app = TestApp::spawn_shop().await;
    let kettle = app.set_stock("K-001", 6).await;
    let skillet = app.set_stock("K-002", 200).await;
    let knife = app.set_stock("K-003", 10).await;
    let user = app.register_user().await;
    for (product, quantity) in [(&kettle, 4), (&skillet, 90)] {
        app.authed(Method::POST, "/api/v1/cart/items", &user.access_token)
            .json(&json!({"product_id": product, "quantity": quantity}))
            .send()
            .await
            .unwrap();
    }
    sqlx::query("UPDATE product_variants SET stock_quantity = 200 WHERE sku = 'K-002'")
        .execute(&app.db)
        .await
        .unwrap();
    app.authed(Method::PATCH, &format!("/api/v1/cart/items/{skillet}"), &user.access_token)
        .json(&json!({"quantity": 90}))
        .send()
        .await
        .unwrap();
    let token = cart_token(&guest_add(&app, None, &kettle, 4).await).unwrap();
    guest_add(&app, Some(&token), &skillet, 20).await;
    guest_add(&app, Some(&token), &knife, 3).await;

    let login = app.login_with_cart(&user, &token).await;

    assert_eq!(login.status(), 200);
    assert!(
        set_cookie(&login, "cart_token").unwrap().contains("Max-Age=0"),
        "the guest cookie is cleared"
    );
    let cart = user_cart(&app, &user.access_token).await;
    assert_eq!(
        quantities(&cart),
        [(kettle, 6), (skillet, 99), (knife, 3)],
        "summed, capped at stock and at 99"
    );
    assert_eq!(guest_cart(&app, &token).await["items"], json!([]), "the guest cart is gone");
    assert_eq!(cart_rows(&app).await, 1);
}

#[tokio::test]
async fn registering_merges_the_guest_cart() {
    let app = TestApp::spawn_shop().await;
    let kettle = app.set_stock("K-001", 10).await;
    let token = cart_token(&guest_add(&app, None, &kettle, 3).await).unwrap();

    let registered = app
        .client
        .post(app.url("/api/v1/users"))
        .header("cookie", format!("cart_token={token}"))
        .json(&json!({"name": "New", "email": "new@example.com", "password": "correct horse battery"}))
        .send()
        .await
        .unwrap();
    let user = crate::helpers::TestUser::from_response(
        registered,
        "new@example.com".into(),
        "correct horse battery".into(),
    )
    .await;

    assert_eq!(quantities(&user_cart(&app, &user.access_token).await), [(kettle, 3)]);
}

#[tokio::test]
async fn a_stale_cart_token_at_sign_in_is_ignored() {
    let app = TestApp::spawn_shop().await;
    let user = app.register_user().await;

    let login = app.login_with_cart(&user, "no-such-cart-token-at-all-aaaaaaaaaaaaaaaaaaa").await;

    assert_eq!(login.status(), 200);
}

#[tokio::test]
async fn users_never_see_each_others_or_guests_carts() {
    let app = TestApp::spawn_shop().await;
    let kettle = app.set_stock("K-001", 10).await;
    let alice = app.register_user().await;
    let bob = app.register_user().await;
    app.authed(Method::POST, "/api/v1/cart/items", &alice.access_token)
        .json(&json!({"product_id": kettle, "quantity": 1}))
        .send()
        .await
        .unwrap();
    let guest = cart_token(&guest_add(&app, None, &kettle, 2).await).unwrap();

    let bobs = user_cart(&app, &bob.access_token).await;
    let bob_with_guest_cookie: Value = app
        .authed(Method::GET, "/api/v1/cart", &bob.access_token)
        .header("cookie", format!("cart_token={guest}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let bad_token =
        app.client.get(app.url("/api/v1/cart")).bearer_auth("not-a-token").send().await.unwrap();

    assert_eq!(bobs["items"], json!([]));
    assert_eq!(
        bob_with_guest_cookie["items"],
        json!([]),
        "a signed-in user sees their own cart only"
    );
    assert_eq!(bad_token.status(), 401, "a bad token is refused, not treated as a guest");
}

#[tokio::test]
async fn idle_guest_carts_are_cleared_by_housekeeping() {
    let app = TestApp::spawn_shop().await;
    let kettle = app.set_stock("K-001", 10).await;
    let old = cart_token(&guest_add(&app, None, &kettle, 1).await).unwrap();
    let recent = cart_token(&guest_add(&app, None, &kettle, 1).await).unwrap();
    let user = app.register_user().await;
    app.authed(Method::POST, "/api/v1/cart/items", &user.access_token)
        .json(&json!({"product_id": kettle, "quantity": 1}))
        .send()
        .await
        .unwrap();
    sqlx::query("UPDATE carts SET updated_at = now() - interval '31 days' WHERE token_hash IS NOT NULL AND id = (SELECT id FROM carts WHERE user_id IS NULL ORDER BY created_at LIMIT 1)")
        .execute(&app.db).await.unwrap();
    sqlx::query(
        "UPDATE carts SET updated_at = now() - interval '90 days' WHERE user_id IS NOT NULL",
    )
    .execute(&app.db)
    .await
    .unwrap();
    let state = app.state(&[]);

    let deleted = gokart_api::cart::service::delete_idle_guest_carts(
        &state,
        std::time::Duration::from_secs(30 * 86_400),
    )
    .await
    .unwrap();

    assert_eq!(deleted, 1);
    assert_eq!(guest_cart(&app, &old).await["items"], json!([]));
    assert_eq!(quantities(&guest_cart(&app, &recent).await).len(), 1);
    assert_eq!(
        quantities(&user_cart(&app, &user.access_token).await).len(),
        1,
        "user carts are never swept"
    );
}

#[tokio::test]
async fn a_cart_holds_at_most_a_hundred_different_products() {
    let app = TestApp::spawn_shop().await;
    sqlx::query("UPDATE product_variants SET stock_quantity = 10").execute(&app.db).await.unwrap();
    let ids: Vec<uuid::Uuid> =
        sqlx::query_scalar("SELECT id FROM product_variants ORDER BY sku LIMIT 101")
            .fetch_all(&app.db)
            .await
            .unwrap();
    let user = app.register_user().await;
    for id in &ids[..100] {
        let response = app
            .authed(Method::POST, "/api/v1/cart/items", &user.access_token)
            .json(&json!({"variant_id": id, "quantity": 1}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }

    let one_more = app
        .authed(Method::POST, "/api/v1/cart/items", &user.access_token)
        .json(&json!({"variant_id": ids[100], "quantity": 1}))
        .send()
        .await
        .unwrap();
    let existing_line = app
        .authed(Method::POST, "/api/v1/cart/items", &user.access_token)
        .json(&json!({"variant_id": ids[0], "quantity": 1}))
        .send()
        .await
        .unwrap();

    assert!(error_of(one_more, 422).await.fields.unwrap().contains_key("product_id"));
    assert_eq!(existing_line.status(), 200, "existing lines can still grow");
}
