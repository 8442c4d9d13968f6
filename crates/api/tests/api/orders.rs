//! Checkout, orders, cancellation and expiry: no oversell, nothing changed
//! by a refusal, replays answered once.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{
    TestApp, TestUser, add_to_cart, checkout, checkout_all, checkout_body, error_of,
};

async fn count(app: &TestApp, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT count(*) FROM {table}")).fetch_one(&app.db).await.unwrap()
}

fn statuses(order: &Value) -> Vec<String> {
    order["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["status"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn checkout_turns_the_cart_into_a_paid_order_in_one_step() {
    let app = TestApp::spawn_shop().await;
    let kettle = app.set_stock("K-001", 10).await;
    let scale = app.set_stock("K-007", 10).await;
    let (user, address) = app.customer().await;
    add_to_cart(&app, &user, &kettle, 2).await;
    add_to_cart(&app, &user, &scale, 1).await;

    let response = checkout(&app, &user, &address).await;

    assert_eq!(response.status(), 201);
    let order: Value = response.json().await.unwrap();
    let number = order["order_number"].as_str().unwrap();
    assert!(number.starts_with("GK-") && number.len() == 17, "{number}");
    assert_eq!(
        (order["status"].as_str(), order["payment_status"].as_str()),
        (Some("confirmed"), Some("paid"))
    );
    // 2 × 4999 + 1999 = 11997; 8% tax = 959.76 -> 960; free shipping from 5000.
    assert_eq!(order["subtotal"], json!({"amount": 11997, "currency": "usd"}));
    assert_eq!(order["tax"]["amount"], 960);
    assert_eq!(order["shipping"]["amount"], 0);
    assert_eq!(order["total"]["amount"], 12957);
    let kettle_line =
        order["items"].as_array().unwrap().iter().find(|i| i["sku"] == "K-001").unwrap();
    assert_eq!(kettle_line["name"], "Electric Kettle");
    assert_eq!(kettle_line["line_total"]["amount"], 9998);
    assert_eq!(order["shipping_address"]["city"], "Springfield");
    assert_eq!(statuses(&order), ["pending_payment", "confirmed"]);
    assert_eq!((app.stock_of("K-001").await, app.stock_of("K-007").await), (8, 9));
    assert_eq!(count(&app, "cart_items").await, 0, "the cart is emptied");
    let queued: Vec<String> =
        sqlx::query_scalar("SELECT kind FROM outbox WHERE kind <> 'account_email' ORDER BY kind")
            .fetch_all(&app.db)
            .await
            .unwrap();
    assert_eq!(queued, ["notification", "warehouse"], "fulfillment starts in the same transaction");
}

#[tokio::test]
async fn a_small_order_pays_for_shipping() {
    let app = TestApp::spawn_shop().await;
    let pens = app.set_stock("BS-003", 10).await;
    let (user, address) = app.customer().await;
    add_to_cart(&app, &user, &pens, 1).await;

    let order: Value = checkout(&app, &user, &address).await.json().await.unwrap();

    assert_eq!(order["shipping"]["amount"], 599);
    assert_eq!(order["total"]["amount"], 999 + 80 + 599);
}

#[tokio::test]
async fn every_refusal_leaves_stock_cart_and_orders_unchanged() {
    let app = TestApp::spawn_shop().await;
    let kettle = app.set_stock("K-001", 5).await;
    let skillet = app.set_stock("K-002", 5).await;
    let (user, address) = app.customer().await;
    let (_stranger, strangers_address) = app.customer().await;
    let empty = checkout(&app, &user, &address).await;
    add_to_cart(&app, &user, &kettle, 3).await;
    add_to_cart(&app, &user, &skillet, 2).await;

    let foreign = checkout(&app, &user, &strangers_address).await;
    let method = app
        .authed(Method::POST, "/api/v1/orders", &user.access_token)
        .json(&json!({"shipping_address_id": address, "billing_address_id": "nope", "payment_method": "bitcoin"}))
        .send()
        .await
        .unwrap();
    sqlx::query("UPDATE product_variants SET stock_quantity = 2 WHERE sku = 'K-001'")
        .execute(&app.db)
        .await
        .unwrap();
    let short = checkout(&app, &user, &address).await;
    sqlx::query("WITH v AS (UPDATE product_variants SET stock_quantity = 5 WHERE sku = 'K-001' RETURNING product_id) UPDATE products SET is_active = false WHERE id = (SELECT product_id FROM v)")
        .execute(&app.db)
        .await
        .unwrap();
    let unavailable = checkout(&app, &user, &address).await;

    assert_eq!(error_of(empty, 409).await.code, "cart_empty");
    assert!(error_of(foreign, 422).await.fields.unwrap().contains_key("shipping_address_id"));
    let fields = error_of(method, 422).await.fields.unwrap();
    assert!(fields.contains_key("billing_address_id") && fields.contains_key("payment_method"));
    assert_eq!(error_of(short, 409).await.code, "insufficient_stock");
    assert_eq!(error_of(unavailable, 409).await.code, "product_unavailable");
    assert_eq!((app.stock_of("K-001").await, app.stock_of("K-002").await), (5, 5));
    assert_eq!(count(&app, "cart_items").await, 2);
    assert_eq!(count(&app, "orders").await, 0);
    assert_eq!(order_work(&app).await, 0);
}

#[tokio::test]
async fn thirty_buyers_for_five_units_make_five_orders() {
    let app = TestApp::spawn_shop().await;
    let kettle = app.set_stock("K-001", 5).await;
    let mut buyers = Vec::new();
    for _ in 0..30 {
        let (user, address) = app.customer().await;
        add_to_cart(&app, &user, &kettle, 1).await;
        buyers.push((user, address));
    }

    let results = checkout_all(&app, buyers).await;

    assert_eq!(results.iter().filter(|s| **s == 201).count(), 5, "{results:?}");
    assert_eq!(results.iter().filter(|s| **s == 409).count(), 25, "{results:?}");
    assert_eq!(app.stock_of("K-001").await, 0);
    assert_eq!(count(&app, "orders").await, 5);
}

#[tokio::test]
async fn carts_with_the_same_products_in_opposite_orders_never_deadlock() {
    let app = TestApp::spawn_shop().await;
    let a = app.set_stock("K-001", 1000).await;
    let b = app.set_stock("K-002", 1000).await;
    let mut buyers = Vec::new();
    for n in 0..16 {
        let (user, address) = app.customer().await;
        let (first, second) = if n % 2 == 0 { (&a, &b) } else { (&b, &a) };
        add_to_cart(&app, &user, first, 2).await;
        add_to_cart(&app, &user, second, 3).await;
        buyers.push((user, address));
    }

    let results = checkout_all(&app, buyers).await;

    assert!(results.iter().all(|s| *s == 201), "{results:?}");
    assert_eq!((app.stock_of("K-001").await, app.stock_of("K-002").await), (1000 - 40, 1000 - 40));
}

/// A checkout by `user` that runs while another transaction holds the
/// change `sql` makes, committed once the checkout waits for its lock.
async fn checkout_during(
    app: &TestApp,
    user: &TestUser,
    address: &str,
    sql: &str,
) -> reqwest::Response {
    let mut other = app.db.begin().await.unwrap();
    sqlx::query(sql).execute(&mut *other).await.unwrap();
    let placing = tokio::spawn(
        app.authed(Method::POST, "/api/v1/orders", &user.access_token)
            .json(&checkout_body(address))
            .send(),
    );
    app.until_a_query_waits_for_a_lock().await;
    other.commit().await.unwrap();
    placing.await.unwrap().unwrap()
}

#[tokio::test]
async fn a_price_change_during_checkout_is_charged_at_the_new_price() {
    let app = TestApp::spawn_shop().await;
    let kettle = app.set_stock("K-001", 10).await;
    let (user, address) = app.customer().await;
    add_to_cart(&app, &user, &kettle, 1).await;

    // An admin's price change holds the product row while the checkout,
    // which read the old price, reaches the point where it locks it.
    let response = checkout_during(
        &app,
        &user,
        &address,
        "UPDATE product_variants SET price_amount = 5999 WHERE sku = 'K-001'",
    )
    .await;

    assert_eq!(response.status(), 201);
    let order: Value = response.json().await.unwrap();
    assert_eq!(order["items"][0]["unit_price"]["amount"], 5999, "the new price, not the old");
    assert_eq!(order["subtotal"]["amount"], 5999);
    assert_eq!(app.stock_of("K-001").await, 9);
    assert_eq!(count(&app, "orders").await, 1, "the stale attempt left nothing behind");
    assert_eq!(count(&app, "order_items").await, 1);
}

#[tokio::test]
async fn stock_sold_out_during_checkout_is_refused_and_nothing_is_written() {
    let app = TestApp::spawn_shop().await;
    let kettle = app.set_stock("K-001", 3).await;
    let (user, address) = app.customer().await;
    add_to_cart(&app, &user, &kettle, 2).await;

    let response = checkout_during(
        &app,
        &user,
        &address,
        "UPDATE product_variants SET stock_quantity = 1 WHERE sku = 'K-001'",
    )
    .await;

    assert_eq!(error_of(response, 409).await.code, "insufficient_stock");
    assert_eq!(app.stock_of("K-001").await, 1);
    assert_eq!(count(&app, "orders").await, 0);
    assert_eq!(order_work(&app).await, 0);
    assert_eq!(count(&app, "cart_items").await, 1, "the cart is kept");
}

#[tokio::test]
async fn a_replayed_idempotency_key_answers_with_the_same_order() {
    let app = TestApp::spawn_shop().await;
    let kettle = app.set_stock("K-001", 10).await;
    let (user, address) = app.customer().await;
    add_to_cart(&app, &user, &kettle, 1).await;
    let send = |body: Value| {
        app.authed(Method::POST, "/api/v1/orders", &user.access_token)
            .header("idempotency-key", "order-123")
            .json(&body)
            .send()
    };

    let first = send(checkout_body(&address)).await.unwrap();
    let replay = send(checkout_body(&address)).await.unwrap();
    let mut other = checkout_body(&address);
    other["payment_method"] = json!("manual ");
    let reused = send(other).await.unwrap();

    assert_eq!(first.status(), 201);
    assert_eq!(replay.status(), 201);
    let (first, replay): (Value, Value) =
        (first.json().await.unwrap(), replay.json().await.unwrap());
    assert_eq!(first, replay, "the same answer, byte for byte");
    assert_eq!(count(&app, "orders").await, 1);
    assert_eq!(app.stock_of("K-001").await, 9);
    assert_eq!(reused.status(), 422);
}

#[tokio::test]
async fn a_key_still_in_flight_is_a_409_and_a_failed_attempt_frees_its_key() {
    let app = TestApp::spawn_shop().await;
    let (user, address) = app.customer().await;
    let request = gokart_api::orders::handler::CheckoutRequest {
        shipping_address_id: Some(address.clone()),
        billing_address_id: Some(address.clone()),
        email: None,
        shipping_address: None,
        billing_address: None,
        payment_method: "manual".into(),
        shipping_method: None,
        expected_total: None,
    };
    let hash = gokart_api::orders::idempotency::fingerprint(&request).unwrap();
    sqlx::query(
        "INSERT INTO idempotency_keys (owner_id, key, request_hash) VALUES ($1::uuid, 'busy', $2)",
    )
    .bind(&user.id)
    .bind(&hash)
    .execute(&app.db)
    .await
    .unwrap();
    let send = |key: &'static str| {
        app.authed(Method::POST, "/api/v1/orders", &user.access_token)
            .header("idempotency-key", key)
            .json(&checkout_body(&address))
            .send()
    };

    let busy = send("busy").await.unwrap();
    let failed = send("retry-me").await.unwrap();
    let kettle = app.set_stock("K-001", 10).await;
    add_to_cart(&app, &user, &kettle, 1).await;
    let retried = send("retry-me").await.unwrap();

    assert_eq!(error_of(busy, 409).await.code, "idempotency_key_in_flight");
    assert_eq!(error_of(failed, 409).await.code, "cart_empty");
    assert_eq!(retried.status(), 201, "a refused attempt does not burn the key");
}

#[tokio::test]
async fn customers_see_only_their_own_orders() {
    let app = TestApp::spawn_shop().await;
    let kettle = app.set_stock("K-001", 10).await;
    let (alice, address) = app.customer().await;
    let (bob, _) = app.customer().await;
    add_to_cart(&app, &alice, &kettle, 1).await;
    let order: Value = checkout(&app, &alice, &address).await.json().await.unwrap();
    let path = format!("/api/v1/orders/{}", order["id"].as_str().unwrap());

    let mine: Value = app
        .authed(Method::GET, "/api/v1/orders", &alice.access_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let detail: Value = app
        .authed(Method::GET, &path, &alice.access_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let bobs: Value = app
        .authed(Method::GET, "/api/v1/orders", &bob.access_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let peek = app.authed(Method::GET, &path, &bob.access_token).send().await.unwrap();
    let cancel = app
        .authed(Method::POST, &format!("{path}/cancel"), &bob.access_token)
        .send()
        .await
        .unwrap();

    assert_eq!(mine["total"], 1);
    assert_eq!(mine["items"][0]["order_number"], order["order_number"]);
    assert_eq!(detail, order);
    assert_eq!(bobs["total"], 0);
    assert_eq!(error_of(peek, 404).await.code, "not_found");
    assert_eq!(cancel.status(), 404);
    assert_eq!(app.stock_of("K-001").await, 9);
}

#[tokio::test]
async fn cancelling_restocks_refunds_and_is_a_no_op_the_second_time() {
    let app = TestApp::spawn_shop().await;
    let kettle = app.set_stock("K-001", 10).await;
    let (user, address) = app.customer().await;
    add_to_cart(&app, &user, &kettle, 3).await;
    let order: Value = checkout(&app, &user, &address).await.json().await.unwrap();
    let path = format!("/api/v1/orders/{}/cancel", order["id"].as_str().unwrap());

    let first = app.authed(Method::POST, &path, &user.access_token).send().await.unwrap();
    let second = app.authed(Method::POST, &path, &user.access_token).send().await.unwrap();

    assert_eq!(first.status(), 200);
    let cancelled: Value = first.json().await.unwrap();
    assert_eq!(
        (cancelled["status"].as_str(), cancelled["payment_status"].as_str()),
        (Some("cancelled"), Some("refunded"))
    );
    assert_eq!(statuses(&cancelled), ["pending_payment", "confirmed", "cancelled"]);
    assert_eq!(second.status(), 200);
    let again: Value = second.json().await.unwrap();
    assert_eq!(statuses(&again).len(), 3, "no second entry");
    assert_eq!(app.stock_of("K-001").await, 10, "restocked exactly once");
}

#[tokio::test]
async fn a_shipped_order_cannot_be_cancelled() {
    let app = TestApp::spawn_shop().await;
    let kettle = app.set_stock("K-001", 10).await;
    let (user, address) = app.customer().await;
    add_to_cart(&app, &user, &kettle, 1).await;
    let order: Value = checkout(&app, &user, &address).await.json().await.unwrap();
    sqlx::query("UPDATE orders SET status = 'shipped'").execute(&app.db).await.unwrap();

    let response = app
        .authed(
            Method::POST,
            &format!("/api/v1/orders/{}/cancel", order["id"].as_str().unwrap()),
            &user.access_token,
        )
        .send()
        .await
        .unwrap();

    assert_eq!(error_of(response, 409).await.code, "order_not_cancellable");
    assert_eq!(app.stock_of("K-001").await, 9);
}

#[tokio::test]
async fn admins_list_filter_read_and_cancel_any_order() {
    let app = TestApp::spawn_shop().await;
    let kettle = app.set_stock("K-001", 10).await;
    let admin = app.create_admin().await;
    let (user, address) = app.customer().await;
    add_to_cart(&app, &user, &kettle, 1).await;
    let order: Value = checkout(&app, &user, &address).await.json().await.unwrap();
    let id = order["id"].as_str().unwrap();

    let confirmed: Value = app
        .authed(Method::GET, "/api/v1/admin/orders?status=confirmed", &admin.access_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let by_user: Value = app
        .authed(
            Method::GET,
            &format!("/api/v1/admin/orders?user_id={}&payment_status=paid", user.id),
            &admin.access_token,
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let future: Value = app
        .authed(Method::GET, "/api/v1/admin/orders?from=2999-01-01T00:00:00Z", &admin.access_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let bad = app
        .authed(Method::GET, "/api/v1/admin/orders?status=lost&from=yesterday", &admin.access_token)
        .send()
        .await
        .unwrap();
    let as_customer =
        app.authed(Method::GET, "/api/v1/admin/orders", &user.access_token).send().await.unwrap();
    let detail = app
        .authed(Method::GET, &format!("/api/v1/admin/orders/{id}"), &admin.access_token)
        .send()
        .await
        .unwrap();
    let cancelled: Value = app
        .authed(Method::POST, &format!("/api/v1/admin/orders/{id}/cancel"), &admin.access_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    assert_eq!(confirmed["total"], 1);
    assert_eq!(confirmed["items"][0]["user_id"], user.id.as_str());
    assert_eq!(by_user["total"], 1);
    assert_eq!(future["total"], 0);
    let fields = error_of(bad, 422).await.fields.unwrap();
    assert!(fields.contains_key("status") && fields.contains_key("from"));
    assert_eq!(as_customer.status(), 403);
    assert_eq!(detail.status(), 200);
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(cancelled["timeline"][2]["note"], "cancelled by the shop; payment refunded");
}

#[tokio::test]
async fn maintenance_expires_unpaid_orders_and_restocks_exactly_once() {
    let app = TestApp::spawn_shop().await;
    let kettle = app.set_stock("K-001", 10).await;
    let (user, address) = app.customer().await;
    add_to_cart(&app, &user, &kettle, 4).await;
    checkout(&app, &user, &address).await;
    // An order whose payment never came, placed an hour ago.
    sqlx::query("UPDATE orders SET status = 'pending_payment', payment_status = 'pending', created_at = now() - interval '1 hour'")
        .execute(&app.db)
        .await
        .unwrap();
    let state = app.state(&[]);

    let first = gokart_api::maintenance::run(&state).await.unwrap();
    let second = gokart_api::maintenance::run(&state).await.unwrap();

    assert_eq!((first.orders_expired, second.orders_expired), (1, 0));
    assert_eq!(app.stock_of("K-001").await, 10);
    let (status, payment): (String, String) =
        sqlx::query_as("SELECT status, payment_status FROM orders")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!((status.as_str(), payment.as_str()), ("cancelled", "pending"));
}

#[tokio::test]
async fn maintenance_purges_outbox_rows_sent_a_week_ago_and_keeps_the_rest() {
    let app = TestApp::spawn().await;
    for (kind, sent, dead) in [
        ("warehouse", Some("8 days"), None),
        ("notification", Some("1 day"), None),
        ("warehouse", None, None),
        ("shipping", None, Some("30 days")),
    ] {
        sqlx::query(
            "INSERT INTO outbox (id, kind, payload, sent_at, dead_at)
             VALUES (gen_random_uuid(), $1, '{}', now() - $2::interval, now() - $3::interval)",
        )
        .bind(kind)
        .bind(sent)
        .bind(dead)
        .execute(&app.db)
        .await
        .unwrap();
    }

    let report = gokart_api::maintenance::run(&app.state(&[])).await.unwrap();

    assert_eq!(report.outbox_purged, 1);
    assert_eq!(count(&app, "outbox").await, 3, "recent, unsent and dead rows stay");
}

#[tokio::test]
async fn a_deleted_account_leaves_its_orders_for_the_books() {
    let app = TestApp::spawn_shop().await;
    let kettle = app.set_stock("K-001", 10).await;
    let (user, address) = app.customer().await;
    add_to_cart(&app, &user, &kettle, 1).await;
    checkout(&app, &user, &address).await;

    let deleted = app
        .authed(Method::DELETE, "/api/v1/users/account", &user.access_token)
        .json(&json!({"password": user.password}))
        .send()
        .await
        .unwrap();

    assert_eq!(deleted.status(), 204);
    let kept: (i64, i64) = sqlx::query_as("SELECT count(*), count(user_id) FROM orders")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(kept, (1, 0), "kept, detached from the person");
}

/// Outbox rows of order work (customers' verification emails aside).
async fn order_work(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM outbox WHERE kind <> 'account_email'")
        .fetch_one(&app.db)
        .await
        .unwrap()
}
