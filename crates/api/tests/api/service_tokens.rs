//! The internal routes: status reports from the worker and the scheduler's
//! maintenance call admit only service tokens minted for the API's URL by an
//! allowed service, and the state machine decides what a report may do.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{EncodingKey, Header};
use serde_json::{Value, json};

use crate::helpers::{TestApp, add_to_cart, checkout, error_of, now};

const API_URL: &str = "http://api.gokart.test";
const WORKER: &str = "worker@gokart.local";
const SCHEDULER: &str = "scheduler@gokart.local";
const LOCAL_SECRET: &str = gokart_edge::service_auth::DEV_SERVICE_AUTH_SECRET;

/// The claims a valid local service token carries for `email`.
fn claims(email: &str) -> Value {
    json!({"iss": "gokart-local", "aud": API_URL, "sub": email, "email": email,
           "email_verified": true, "iat": now(), "exp": now() + 600})
}

fn sign(claims: &Value, secret: &str) -> String {
    jsonwebtoken::encode(&Header::default(), claims, &EncodingKey::from_secret(secret.as_bytes()))
        .unwrap()
}

fn token(email: &str) -> String {
    sign(&claims(email), LOCAL_SECRET)
}

async fn shop() -> TestApp {
    TestApp::spawn_shop_with(|env| env.set("PUBLIC_URL", API_URL)).await
}

/// A confirmed (paid) order; its id.
async fn paid_order(app: &TestApp) -> String {
    let kettle = app.set_stock("K-001", 10).await;
    let (user, address) = app.customer().await;
    add_to_cart(app, &user, &kettle, 1).await;
    let order: Value = checkout(app, &user, &address).await.json().await.unwrap();
    order["id"].as_str().unwrap().to_owned()
}

async fn report(app: &TestApp, order: &str, token: Option<&str>, body: Value) -> reqwest::Response {
    let mut request =
        app.client.post(app.url(&format!("/api/v1/internal/orders/{order}/status"))).json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

async fn status_of(app: &TestApp, order: &str) -> String {
    sqlx::query_scalar("SELECT status FROM orders WHERE id::text = $1")
        .bind(order)
        .fetch_one(&app.db)
        .await
        .unwrap()
}

async fn queued_kinds(app: &TestApp) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT kind FROM outbox WHERE kind <> 'account_email' ORDER BY created_at, kind",
    )
    .fetch_all(&app.db)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_report_moves_the_order_once_and_queues_the_next_step() {
    let app = shop().await;
    let order = paid_order(&app).await;

    let first = report(&app, &order, Some(&token(WORKER)), json!({"status": "processing"})).await;
    let again = report(&app, &order, Some(&token(WORKER)), json!({"status": "processing"})).await;

    assert_eq!(first.status(), 200);
    assert_eq!(first.json::<Value>().await.unwrap()["applied"], true);
    assert_eq!(again.status(), 200);
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["applied"], false, "a repeat is a no-op");
    assert_eq!(again["status"], "processing");
    let events: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM order_events WHERE order_id::text = $1 AND status = 'processing'",
    )
    .bind(&order)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(events, 1);
    // Checkout queued the warehouse step and its email; the report queued
    // shipping and the "packed" email, once.
    let mut kinds = queued_kinds(&app).await;
    kinds.sort();
    assert_eq!(kinds, ["notification", "notification", "shipping", "warehouse"]);
}

#[tokio::test]
async fn a_late_report_of_an_earlier_step_is_a_no_op() {
    let app = shop().await;
    let order = paid_order(&app).await;
    report(&app, &order, Some(&token(WORKER)), json!({"status": "processing"})).await;
    let shipped = json!({"status": "shipped", "tracking_number": "TRK-1",
                         "estimated_delivery_date": "2026-12-24"});
    assert_eq!(report(&app, &order, Some(&token(WORKER)), shipped).await.status(), 200);

    let late = report(&app, &order, Some(&token(WORKER)), json!({"status": "processing"})).await;

    assert_eq!(late.status(), 200);
    assert_eq!(late.json::<Value>().await.unwrap()["applied"], false);
    assert_eq!(status_of(&app, &order).await, "shipped");
}

#[tokio::test]
async fn an_illegal_report_is_a_409_and_an_incomplete_one_a_422() {
    let app = shop().await;
    let order = paid_order(&app).await;

    let skipping = report(&app, &order, Some(&token(WORKER)), json!({"status": "delivered"})).await;
    assert_eq!(error_of(skipping, 409).await.code, "illegal_transition");

    report(&app, &order, Some(&token(WORKER)), json!({"status": "processing"})).await;
    let untracked = report(&app, &order, Some(&token(WORKER)), json!({"status": "shipped"})).await;
    let error = error_of(untracked, 422).await;
    assert!(error.fields.unwrap().contains_key("tracking_number"));

    let cancelling =
        report(&app, &order, Some(&token(WORKER)), json!({"status": "cancelled"})).await;
    assert_eq!(error_of(cancelling, 422).await.code, "validation_failed");
    assert_eq!(status_of(&app, &order).await, "processing");
}

#[tokio::test]
async fn a_cancelled_order_cannot_be_moved_on_by_the_worker() {
    let app = shop().await;
    let order = paid_order(&app).await;
    sqlx::query("UPDATE orders SET status = 'cancelled' WHERE id::text = $1")
        .bind(&order)
        .execute(&app.db)
        .await
        .unwrap();

    let response =
        report(&app, &order, Some(&token(WORKER)), json!({"status": "processing"})).await;

    assert_eq!(error_of(response, 409).await.code, "illegal_transition");
    assert_eq!(status_of(&app, &order).await, "cancelled");
}

fn unsigned(claims: &Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let body = URL_SAFE_NO_PAD.encode(claims.to_string());
    format!("{header}.{body}.")
}

#[tokio::test]
async fn status_reports_refuse_every_token_but_an_allowed_services() {
    let app = shop().await;
    let order = paid_order(&app).await;
    let (customer, _) = app.customer().await;
    let admin = app.create_admin().await;
    let with = |change: &dyn Fn(&mut Value)| {
        let mut claims = claims(WORKER);
        change(&mut claims);
        sign(&claims, LOCAL_SECRET)
    };
    let refused = [
        ("no token", None, 401),
        ("a customer's access token", Some(customer.access_token.clone()), 401),
        ("an admin's access token", Some(admin.access_token.clone()), 401),
        ("another key", Some(sign(&claims(WORKER), "some-other-secret-entirely")), 401),
        ("no signature", Some(unsigned(&claims(WORKER))), 401),
        ("another audience", Some(with(&|c| c["aud"] = json!("http://worker.gokart.test"))), 401),
        ("another issuer", Some(with(&|c| c["iss"] = json!("https://accounts.google.com"))), 401),
        ("expired", Some(with(&|c| c["exp"] = json!(now() - 3600))), 401),
        ("an unknown caller", Some(token("intruder@gokart.local")), 403),
        ("an unverified email", Some(with(&|c| c["email_verified"] = json!(false))), 403),
    ];

    for (what, token, status) in refused {
        let response =
            report(&app, &order, token.as_deref(), json!({"status": "processing"})).await;
        assert_eq!(response.status(), status, "{what}");
    }
    assert_eq!(status_of(&app, &order).await, "confirmed", "nothing was applied");
}

#[tokio::test]
async fn maintenance_runs_for_the_scheduler_and_no_one_else() {
    let app = shop().await;
    let (customer, _) = app.customer().await;
    let call = |token: String| {
        app.client.post(app.url("/api/v1/internal/maintenance")).bearer_auth(token).send()
    };

    let by_customer = call(customer.access_token.clone()).await.unwrap();
    let by_scheduler = call(token(SCHEDULER)).await.unwrap();

    assert_eq!(by_customer.status(), 401);
    assert_eq!(by_scheduler.status(), 200);
    let report: Value = by_scheduler.json().await.unwrap();
    assert_eq!(report["orders_expired"], 0);
}
