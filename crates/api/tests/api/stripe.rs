//! Card payments through Stripe, against a local stand-in speaking Stripe's
//! wire format, and webhooks signed exactly as Stripe signs them.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, error_of};
use crate::stripe_standin::StripeStandIn;
use gokart_api::payments::webhook::sign;

const WEBHOOK_SECRET: &str = "whsec_test_secret";

async fn shop(stripe: &StripeStandIn) -> TestApp {
    shop_with(stripe, |_| {}).await
}

async fn shop_with(
    stripe: &StripeStandIn,
    configure: impl FnOnce(&mut gokart_edge::Env),
) -> TestApp {
    let base = stripe.url.clone();
    let app = TestApp::spawn_with(
        move |env| {
            env.set("PAYMENT_PROVIDER", "stripe");
            env.set("STRIPE_SECRET_KEY", "sk_test_standin");
            env.set("STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET);
            env.set("STRIPE_API_BASE", base);
            configure(env);
        },
        Default::default(),
    )
    .await;
    gokart_api::catalog::seed::demo_catalog(&app.db).await.unwrap();
    sqlx::query("UPDATE product_variants SET stock_quantity = 10 WHERE sku = 'K-001'")
        .execute(&app.db)
        .await
        .unwrap();
    app
}

/// A customer who has put 2 kettles in the cart and checked out with Stripe.
async fn stripe_order(app: &TestApp) -> (TestUser, Value) {
    let (user, address) = app.customer().await;
    let kettle: uuid::Uuid =
        sqlx::query_scalar("SELECT product_id FROM product_variants WHERE sku = 'K-001'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    app.authed(Method::POST, "/api/v1/cart/items", &user.access_token)
        .json(&json!({"product_id": kettle, "quantity": 2}))
        .send()
        .await
        .unwrap();
    let address = address.as_str();
    let response = app
        .authed(Method::POST, "/api/v1/orders", &user.access_token)
        .json(&json!({"shipping_address_id": address, "billing_address_id": address, "payment_method": "stripe"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    (user, response.json().await.unwrap())
}

async fn intent_of(app: &TestApp, order: &Value) -> String {
    sqlx::query_scalar("SELECT payment_reference FROM orders WHERE id = $1::uuid")
        .bind(order["id"].as_str().unwrap())
        .fetch_one(&app.db)
        .await
        .unwrap()
}

async fn deliver(app: &TestApp, event: &Value, timestamp: i64) -> reqwest::Response {
    let body = serde_json::to_vec(event).unwrap();
    app.client
        .post(app.url("/api/v1/webhooks/stripe"))
        .header("content-type", "application/json")
        .header("stripe-signature", sign(&body, WEBHOOK_SECRET, timestamp))
        .body(body)
        .send()
        .await
        .unwrap()
}

fn event(id: &str, kind: &str, object: Value) -> Value {
    let mut event = json!({"id": id, "object": "event", "type": kind, "api_version": "2024-06-20",
                           "created": 1_700_000_000, "livemode": false, "data": {}});
    event["data"]["object"] = object;
    event
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

async fn order_state(app: &TestApp, order: &Value) -> (String, String) {
    sqlx::query_as("SELECT status, payment_status FROM orders WHERE id = $1::uuid")
        .bind(order["id"].as_str().unwrap())
        .fetch_one(&app.db)
        .await
        .unwrap()
}

async fn run_maintenance(
    app: &TestApp,
    stripe: &StripeStandIn,
) -> gokart_api::maintenance::MaintenanceReport {
    let state = app.state(&[
        ("PAYMENT_PROVIDER", "stripe"),
        ("STRIPE_SECRET_KEY", "sk_test_standin"),
        ("STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET),
        ("STRIPE_API_BASE", stripe.url.as_str()),
    ]);
    gokart_api::maintenance::run(&state).await.unwrap()
}

#[tokio::test]
async fn checkout_creates_a_payment_intent_after_commit_with_the_order_as_idempotency_key() {
    let stripe = StripeStandIn::start().await;
    let app = shop(&stripe).await;

    let (_, order) = stripe_order(&app).await;

    assert_eq!(
        (order["status"].as_str(), order["payment_status"].as_str()),
        (Some("pending_payment"), Some("pending"))
    );
    assert!(order["client_secret"].as_str().unwrap().contains("_secret_"));
    let sent = stripe.requests();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].path, "POST /v1/payment_intents");
    assert_eq!(sent[0].form["amount"], order["total"]["amount"].to_string());
    assert_eq!(sent[0].form["currency"], "usd");
    assert_eq!(
        sent[0].idempotency_key.as_deref(),
        Some(format!("order-{}", order["id"].as_str().unwrap()).as_str())
    );
    let fulfillment: i64 =
        sqlx::query_scalar("SELECT count(*) FROM outbox WHERE kind = 'warehouse'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(fulfillment, 0, "nothing ships before the money arrives");
}

#[tokio::test]
async fn a_signed_success_confirms_once_and_a_redelivery_changes_nothing() {
    let stripe = StripeStandIn::start().await;
    let app = shop(&stripe).await;
    let (_, order) = stripe_order(&app).await;
    let intent = intent_of(&app, &order).await;
    let succeeded = event(
        "evt_1",
        "payment_intent.succeeded",
        json!({"id": intent, "object": "payment_intent"}),
    );

    let first = deliver(&app, &succeeded, now()).await;
    let again = deliver(&app, &succeeded, now()).await;

    assert_eq!(first.status(), 200);
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["duplicate"], true);
    assert_eq!(order_state(&app, &order).await, ("confirmed".into(), "paid".into()));
    let started: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox WHERE kind = 'warehouse'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(started, 1, "one fulfillment chain, not two");
}

#[tokio::test]
async fn bad_or_stale_signatures_are_refused_and_change_nothing() {
    let stripe = StripeStandIn::start().await;
    let app = shop(&stripe).await;
    let (_, order) = stripe_order(&app).await;
    let intent = intent_of(&app, &order).await;
    let succeeded = event(
        "evt_2",
        "payment_intent.succeeded",
        json!({"id": intent, "object": "payment_intent"}),
    );
    let body = serde_json::to_vec(&succeeded).unwrap();

    let forged = app
        .client
        .post(app.url("/api/v1/webhooks/stripe"))
        .header("stripe-signature", sign(&body, "whsec_wrong", now()))
        .body(body.clone())
        .send()
        .await
        .unwrap();
    let stale = deliver(&app, &succeeded, now() - 600).await;
    let unsigned =
        app.client.post(app.url("/api/v1/webhooks/stripe")).body(body).send().await.unwrap();

    assert_eq!(error_of(forged, 400).await.code, "invalid_signature");
    assert_eq!(error_of(stale, 400).await.code, "invalid_signature");
    assert_eq!(unsigned.status(), 400);
    assert_eq!(order_state(&app, &order).await, ("pending_payment".into(), "pending".into()));
}

#[tokio::test]
async fn a_late_failure_never_moves_a_paid_order_backwards() {
    let stripe = StripeStandIn::start().await;
    let app = shop(&stripe).await;
    let (_, order) = stripe_order(&app).await;
    let intent = intent_of(&app, &order).await;

    deliver(&app, &event("evt_3", "payment_intent.succeeded", json!({"id": intent})), now()).await;
    let late = deliver(
        &app,
        &event("evt_4", "payment_intent.payment_failed", json!({"id": intent})),
        now(),
    )
    .await;
    let unknown =
        deliver(&app, &event("evt_5", "customer.created", json!({"id": "cus_1"})), now()).await;

    assert_eq!(late.status(), 200);
    assert_eq!(unknown.status(), 200);
    assert_eq!(order_state(&app, &order).await, ("confirmed".into(), "paid".into()));
}

#[tokio::test]
async fn a_payment_after_cancellation_is_refunded_never_revived() {
    let stripe = StripeStandIn::start().await;
    let app = shop(&stripe).await;
    let (user, order) = stripe_order(&app).await;
    let intent = intent_of(&app, &order).await;
    let id = order["id"].as_str().unwrap();
    app.authed(Method::POST, &format!("/api/v1/orders/{id}/cancel"), &user.access_token)
        .send()
        .await
        .unwrap();

    deliver(&app, &event("evt_6", "payment_intent.succeeded", json!({"id": intent})), now()).await;
    let report = run_maintenance(&app, &stripe).await;
    deliver(
        &app,
        &event(
            "evt_7",
            "charge.refunded",
            json!({"id": "ch_1", "object": "charge", "payment_intent": intent, "refunded": true}),
        ),
        now(),
    )
    .await;

    assert_eq!(report.refunds_sent, 1);
    let refund = stripe.requests().into_iter().find(|r| r.path == "POST /v1/refunds").unwrap();
    assert_eq!(refund.form["payment_intent"], intent);
    let refund_id: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM refunds WHERE order_id = $1::uuid")
            .bind(id)
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(refund.idempotency_key, Some(format!("refund-{refund_id}")), "one key per refund");
    assert_eq!(refund.form["amount"], order["total"]["amount"].to_string(), "the whole payment");
    assert_eq!(order_state(&app, &order).await, ("cancelled".into(), "refunded".into()));
    let stock: i32 =
        sqlx::query_scalar("SELECT stock_quantity FROM product_variants WHERE sku = 'K-001'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(stock, 10, "the returned stock is not shipped");
}

#[tokio::test]
async fn a_refund_is_retried_after_stripe_fails() {
    let stripe = StripeStandIn::start().await;
    let app = shop(&stripe).await;
    let (user, order) = stripe_order(&app).await;
    let intent = intent_of(&app, &order).await;
    let id = order["id"].as_str().unwrap();
    deliver(&app, &event("evt_8", "payment_intent.succeeded", json!({"id": intent})), now()).await;
    stripe.fail_refunds(1);

    let cancelled: Value = app
        .authed(Method::POST, &format!("/api/v1/orders/{id}/cancel"), &user.access_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (attempts, error): (i32, Option<String>) =
        sqlx::query_as("SELECT attempts, last_error FROM outbox WHERE kind = 'payment.refund'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    sqlx::query("UPDATE outbox SET available_at = now() WHERE kind = 'payment.refund'")
        .execute(&app.db)
        .await
        .unwrap();
    let report = run_maintenance(&app, &stripe).await;

    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(cancelled["payment_status"], "paid", "refunded only once Stripe confirms");
    assert_eq!(attempts, 1);
    assert!(error.is_some());
    assert_eq!(report.refunds_sent, 1);
    let refunds =
        stripe.requests().into_iter().filter(|r| r.path == "POST /v1/refunds").collect::<Vec<_>>();
    assert_eq!(refunds.len(), 2);
    assert_eq!(
        refunds[0].idempotency_key, refunds[1].idempotency_key,
        "the retry cannot refund twice"
    );
    assert_eq!(stripe.refunds_created(), 1);
    assert_eq!(order_state(&app, &order).await, ("cancelled".into(), "refunded".into()));
}

#[tokio::test]
async fn the_relay_sends_a_refund_stripe_refused_again_until_it_is_taken() {
    let stripe = StripeStandIn::start().await;
    let app = shop_with(&stripe, |env| {
        env.set("RELAY_ENABLED", "true");
        env.set("RELAY_SWEEP_INTERVAL", "100ms");
        env.set("RELAY_BACKOFF_MIN", "100ms");
        env.set("RELAY_BACKOFF_MAX", "200ms");
        env.set("MAINTENANCE_INTERVAL", "off");
    })
    .await;
    let (user, order) = stripe_order(&app).await;
    let intent = intent_of(&app, &order).await;
    let id = order["id"].as_str().unwrap();
    deliver(&app, &event("evt_9", "payment_intent.succeeded", json!({"id": intent})), now()).await;
    stripe.fail_refunds(1);

    let cancelled = app
        .authed(Method::POST, &format!("/api/v1/orders/{id}/cancel"), &user.access_token)
        .send()
        .await
        .unwrap();
    let mut state = order_state(&app, &order).await;
    for _ in 0..100 {
        if state.1 == "refunded" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        state = order_state(&app, &order).await;
    }

    assert_eq!(cancelled.status(), 200);
    assert_eq!(state, ("cancelled".into(), "refunded".into()), "the relay retried it");
    assert_eq!(stripe.refunds_created(), 1);
    let (attempts, sent): (i32, bool) = sqlx::query_as(
        "SELECT attempts, sent_at IS NOT NULL FROM outbox WHERE kind = 'payment.refund'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!((attempts, sent), (2, true), "one refusal, one send, by the one courier");
}

#[tokio::test]
async fn maintenance_applies_a_payment_whose_webhook_never_came() {
    let stripe = StripeStandIn::start().await;
    let app = shop(&stripe).await;
    let (_, order) = stripe_order(&app).await;
    let intent = intent_of(&app, &order).await;
    stripe.set_status(&intent, "succeeded");

    let report = run_maintenance(&app, &stripe).await;

    assert_eq!(report.payments_reconciled, 1);
    assert_eq!(order_state(&app, &order).await, ("confirmed".into(), "paid".into()));
}

#[tokio::test]
async fn the_shop_accepts_only_its_payment_method() {
    let stripe = StripeStandIn::start().await;
    let app = shop(&stripe).await;
    let user = app.register_user().await;

    let response = app
        .authed(Method::POST, "/api/v1/orders", &user.access_token)
        .json(&json!({"shipping_address_id": uuid::Uuid::new_v4(), "billing_address_id": uuid::Uuid::new_v4(), "payment_method": "manual"}))
        .send()
        .await
        .unwrap();

    assert!(error_of(response, 422).await.fields.unwrap()["payment_method"].contains("stripe"));
}

#[tokio::test]
async fn an_event_of_a_type_gokart_ignores_is_acknowledged_whatever_its_shape() {
    let stripe = StripeStandIn::start().await;
    let app = shop(&stripe).await;
    let balance =
        event("evt_9", "balance.available", json!({"object": "balance", "available": []}));

    let response = deliver(&app, &balance, now()).await;

    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn a_replayed_stripe_checkout_answers_with_the_same_client_secret() {
    let stripe = StripeStandIn::start().await;
    let app = shop(&stripe).await;
    let user = app.register_user().await;
    let address: Value = app
        .authed(Method::POST, "/api/v1/addresses", &user.access_token)
        .json(&json!({"name": "Ada", "phone": "+1 555 010 0199", "street1": "1 Main St",
                      "city": "Springfield", "postal_code": "62701", "country": "US"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let kettle: uuid::Uuid =
        sqlx::query_scalar("SELECT product_id FROM product_variants WHERE sku = 'K-001'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    app.authed(Method::POST, "/api/v1/cart/items", &user.access_token)
        .json(&json!({"product_id": kettle, "quantity": 1}))
        .send()
        .await
        .unwrap();
    let address = address["id"].as_str().unwrap();
    let body = json!({"shipping_address_id": address, "billing_address_id": address,
                      "payment_method": "stripe"});
    let send = || {
        app.authed(Method::POST, "/api/v1/orders", &user.access_token)
            .header("idempotency-key", "k-1")
            .json(&body)
            .send()
    };

    let first: Value = send().await.unwrap().json().await.unwrap();
    let replay: Value = send().await.unwrap().json().await.unwrap();

    assert!(first["client_secret"].is_string());
    assert_eq!(first, replay);
    let intents =
        stripe.requests().into_iter().filter(|r| r.path == "POST /v1/payment_intents").count();
    assert_eq!(intents, 1);
}

#[tokio::test]
async fn a_cancelled_order_paid_without_a_webhook_is_found_and_refunded() {
    let stripe = StripeStandIn::start().await;
    let app = shop(&stripe).await;
    let (user, order) = stripe_order(&app).await;
    let intent = intent_of(&app, &order).await;
    let cancel = format!("/api/v1/orders/{}/cancel", order["id"].as_str().unwrap());
    app.authed(Method::POST, &cancel, &user.access_token).send().await.unwrap();
    stripe.set_status(&intent, "succeeded");

    let report = run_maintenance(&app, &stripe).await;

    assert_eq!((report.payments_reconciled, report.refunds_sent), (1, 1));
    assert_eq!(order_state(&app, &order).await, ("cancelled".into(), "refunded".into()));
}

#[tokio::test]
async fn a_guest_pays_by_card_and_the_webhook_confirms_their_order() {
    let stripe = StripeStandIn::start().await;
    let app = shop(&stripe).await;
    let kettle: uuid::Uuid =
        sqlx::query_scalar("SELECT product_id FROM product_variants WHERE sku = 'K-001'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    let added = crate::helpers::guest_add(&app, None, &kettle.to_string(), 2).await;
    let cart = crate::helpers::cart_token(&added).unwrap();
    let address = json!({"name": "Grace Guest", "phone": "+1 555 010 0199", "street1": "1 Main St",
                         "city": "Springfield", "state": "IL", "postal_code": "62701", "country": "US"});
    let placed = app
        .client
        .post(app.url("/api/v1/orders"))
        .header("cookie", format!("cart_token={cart}"))
        .json(&json!({"email": "grace@example.com", "shipping_address": address,
                      "billing_address": address, "payment_method": "stripe"}))
        .send()
        .await
        .unwrap();
    assert_eq!(placed.status(), 201);
    let order: Value = placed.json().await.unwrap();
    assert!(order["client_secret"].as_str().unwrap().contains("_secret_"));
    let token = order["order_token"].as_str().unwrap();
    assert_eq!(order_state(&app, &order).await, ("pending_payment".into(), "pending".into()));

    let intent = intent_of(&app, &order).await;
    let succeeded = event(
        "evt_guest",
        "payment_intent.succeeded",
        json!({"id": intent, "object": "payment_intent"}),
    );
    assert_eq!(deliver(&app, &succeeded, now()).await.status(), 200);
    let shown: Value =
        app.get(&format!("/api/v1/orders/lookup?token={token}")).await.json().await.unwrap();
    assert_eq!(
        (shown["status"].as_str(), shown["payment_status"].as_str()),
        (Some("confirmed"), Some("paid"))
    );
}

/// A Stripe order whose payment Stripe confirmed; the admin, the order and
/// its PaymentIntent.
async fn paid_stripe_order(app: &TestApp) -> (TestUser, Value, String) {
    let admin = app.create_admin().await;
    let (_, order) = stripe_order(app).await;
    let intent = intent_of(app, &order).await;
    let paid =
        event(&format!("evt_paid_{intent}"), "payment_intent.succeeded", json!({"id": intent}));
    assert_eq!(deliver(app, &paid, now()).await.status(), 200);
    assert_eq!(order_state(app, &order).await, ("confirmed".into(), "paid".into()));
    (admin, order, intent)
}

async fn refund_by(app: &TestApp, admin: &TestUser, order: &Value, body: Value) -> Value {
    let path = format!("/api/v1/admin/orders/{}/refunds", order["id"].as_str().unwrap());
    let response =
        app.authed(Method::POST, &path, &admin.access_token).json(&body).send().await.unwrap();
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

async fn staff_view(app: &TestApp, admin: &TestUser, order: &Value) -> Value {
    let path = format!("/api/v1/admin/orders/{}", order["id"].as_str().unwrap());
    app.authed(Method::GET, &path, &admin.access_token).send().await.unwrap().json().await.unwrap()
}

#[tokio::test]
async fn a_partial_refund_goes_to_stripe_with_its_own_amount_and_key_and_waits_out_an_outage() {
    let stripe = StripeStandIn::start().await;
    let app = shop(&stripe).await;
    let (admin, order, intent) = paid_stripe_order(&app).await;
    let line = order["items"][0]["id"].clone();

    let first = refund_by(
        &app,
        &admin,
        &order,
        json!({"items": [{"order_item_id": line, "quantity": 1}], "reason": "one arrived broken"}),
    )
    .await;
    // Sent at once: Stripe took it before the answer.
    assert_eq!(first["status"], "succeeded", "{first}");
    let sent = stripe.refunds();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["amount"], first["amount"]["amount"]);
    assert_eq!(sent[0]["payment_intent"], intent);
    assert_eq!(sent[0]["metadata"]["refund_id"], first["id"]);
    assert_eq!(first["provider_reference"], sent[0]["id"]);
    let request = stripe.requests().into_iter().find(|r| r.path == "POST /v1/refunds").unwrap();
    assert_eq!(request.idempotency_key, Some(format!("refund-{}", first["id"].as_str().unwrap())));
    // One kettle of two: half the line.
    let line_charged = order["items"][0]["line_total"]["amount"].as_i64().unwrap()
        + order["items"][0]["tax"]["amount"].as_i64().unwrap();
    assert_eq!(first["amount"]["amount"].as_i64().unwrap(), line_charged / 2);
    assert_eq!(order_state(&app, &order).await, ("confirmed".into(), "partially_refunded".into()));

    // Stripe is down: the refund waits, pending, and nothing reads as given back.
    stripe.fail_refunds(1);
    let second =
        refund_by(&app, &admin, &order, json!({"amount": 500, "reason": "goodwill"})).await;
    assert_eq!(second["status"], "pending");
    let seen = staff_view(&app, &admin, &order).await;
    assert_eq!(seen["refunded"], first["amount"]);
    sqlx::query(
        "UPDATE outbox SET available_at = now() WHERE kind = 'payment.refund' AND sent_at IS NULL",
    )
    .execute(&app.db)
    .await
    .unwrap();
    assert_eq!(run_maintenance(&app, &stripe).await.refunds_sent, 1);
    let seen = staff_view(&app, &admin, &order).await;
    assert_eq!(seen["refunds"][1]["status"], "succeeded");
    assert_eq!(
        seen["refunded"]["amount"].as_i64().unwrap(),
        first["amount"]["amount"].as_i64().unwrap() + 500
    );
    assert_eq!(stripe.refunds_created(), 2, "the retry reused its key: one refund each");
    let keys: Vec<_> = stripe
        .requests()
        .into_iter()
        .filter(|r| r.path == "POST /v1/refunds")
        .filter_map(|r| r.idempotency_key)
        .collect();
    assert_eq!(keys.len(), 3);
    assert_eq!(keys[1], keys[2], "{keys:?}");
    assert_ne!(keys[0], keys[1], "{keys:?}");
}

#[tokio::test]
async fn refunds_made_in_the_stripe_dashboard_are_recorded_once_each() {
    let stripe = StripeStandIn::start().await;
    let app = shop(&stripe).await;
    let (admin, order, intent) = paid_stripe_order(&app).await;
    let total = order["total"]["amount"].as_i64().unwrap();
    refund_by(&app, &admin, &order, json!({"amount": 1000, "reason": "price match"})).await;
    let charge = |evt: &str, refunded: i64| {
        event(
            evt,
            "charge.refunded",
            json!({"id": "ch_1", "object": "charge", "payment_intent": intent, "amount": total,
                   "amount_refunded": refunded, "refunded": refunded == total}),
        )
    };

    // Stripe has given back 17.00: 10.00 of it is ours, 7.00 was done in its dashboard.
    assert_eq!(deliver(&app, &charge("evt_r1", 1700), now()).await.status(), 200);
    let seen = staff_view(&app, &admin, &order).await;
    let refunds = seen["refunds"].as_array().unwrap().clone();
    assert_eq!(refunds.len(), 2, "{seen}");
    assert_eq!(refunds[1]["amount"]["amount"], 700);
    assert_eq!(refunds[1]["actor"], "payment");
    assert_eq!(refunds[1]["status"], "succeeded");
    assert_eq!(seen["refunded"]["amount"], 1700);
    assert_eq!(seen["payment_status"], "partially_refunded");

    // A repeat of the same total, or an older, smaller one: nothing new.
    deliver(&app, &charge("evt_r2", 1700), now()).await;
    deliver(&app, &charge("evt_r0", 1000), now()).await;
    assert_eq!(staff_view(&app, &admin, &order).await["refunds"].as_array().unwrap().len(), 2);

    // The rest, in the dashboard too: refunded in full.
    deliver(&app, &charge("evt_r3", total), now()).await;
    let seen = staff_view(&app, &admin, &order).await;
    assert_eq!(seen["refunds"].as_array().unwrap().len(), 3);
    assert_eq!(seen["refunded"]["amount"].as_i64().unwrap(), total);
    assert_eq!(order_state(&app, &order).await, ("confirmed".into(), "refunded".into()));
    assert_eq!(stripe.refunds_created(), 1, "only the shop's own refund went to Stripe");
}

#[tokio::test]
async fn a_refund_sent_again_after_stripe_forgot_its_key_is_found_not_made_twice() {
    use gokart_api::outbox::backend::ProviderRefund;
    use gokart_api::payments::stripe::Stripe;

    let stripe = StripeStandIn::start().await;
    let secret = secrecy::SecretString::from("sk_test_standin");
    let client = Stripe::new(&secret, Some(&stripe.url)).unwrap();
    let refund = ProviderRefund {
        id: uuid::Uuid::now_v7(),
        order: uuid::Uuid::now_v7(),
        intent: "pi_standin".to_owned(),
        amount: 500,
    };
    let first = client.refund(&refund).await.unwrap();
    // A day on, Stripe no longer knows the idempotency key; a dead letter
    // of the refund is retried.
    stripe.forget_keys();
    assert_eq!(client.refund(&refund).await.unwrap(), first);
    assert_eq!(stripe.refunds_created(), 1, "the money went back once");
    // Another refund of the same payment is made as usual.
    let other = ProviderRefund { id: uuid::Uuid::now_v7(), ..refund.clone() };
    assert_ne!(client.refund(&other).await.unwrap(), first);
    assert_eq!(stripe.refunds_created(), 2);
}
