//! Emails through the Resend API, against a local stand-in that speaks its
//! wire format (`POST /emails`, bearer key, `Idempotency-Key`) and, like
//! Resend, sends once per key.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{Value, json};

use super::{push, relay_token, spawn_worker_with};

#[derive(Clone, Default)]
struct Inbox {
    /// Emails sent, by idempotency key.
    sent: Arc<Mutex<HashMap<String, Value>>>,
    /// Every request, as (key, status answered).
    requests: Arc<Mutex<Vec<(String, u16)>>>,
    /// Status to answer instead of sending, when set.
    fail_with: Arc<Mutex<Option<u16>>>,
    /// The error `name` answered with it.
    fail_name: Arc<Mutex<&'static str>>,
}

async fn emails(
    State(inbox): State<Inbox>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> (StatusCode, Json<Value>) {
    let key =
        headers.get("idempotency-key").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let authorized =
        headers.get("authorization").and_then(|v| v.to_str().ok()) == Some("Bearer re_test_key");
    let status = match *inbox.fail_with.lock().unwrap() {
        _ if !authorized => 401,
        Some(status) => status,
        None => {
            inbox.sent.lock().unwrap().entry(key.clone()).or_insert(body);
            200
        }
    };
    inbox.requests.lock().unwrap().push((key.clone(), status));
    let answer = if status == 200 {
        json!({"id": format!("email-{key}")})
    } else {
        json!({"name": *inbox.fail_name.lock().unwrap(), "message": "stand-in failure"})
    };
    (StatusCode::from_u16(status).unwrap(), Json(answer))
}

async fn resend_worker() -> (String, Inbox) {
    resend_worker_from("GoKart <orders@shop.test>").await
}

/// A worker sending through a stand-in Resend, as `from`.
async fn resend_worker_from(from: &str) -> (String, Inbox) {
    let inbox = Inbox::default();
    let router = Router::new().route("/emails", post(emails)).with_state(inbox.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    let worker = spawn_worker_with(
        "http://127.0.0.1:9",
        &[
            ("EMAIL_PROVIDER", "resend"),
            ("RESEND_API_KEY", "re_test_key"),
            ("RESEND_API_BASE", &base),
            ("RESEND_FROM_EMAIL", from),
        ],
    )
    .await;
    (worker, inbox)
}

fn shipped_notification() -> String {
    notification_to("Ada Lovelace", "ada@example.com")
}

fn notification_to(name: &str, email: &str) -> String {
    json!({
        "order_id": "0193a0d6-6b5e-7c4e-9d1e-3f1e2a4b5c6d",
        "order_number": "GK-AAAA-BBBB-CCCC",
        "status": "shipped",
        "payment_status": "paid",
        "recipient_name": name,
        "recipient_email": email,
        "items": [{"name": "Electric Kettle", "quantity": 1,
                   "line_total": {"amount": 4999, "currency": "usd"}}],
        "total": {"amount": 5398, "currency": "usd"},
        "tracking_number": "TRK-0A1B-2C3D-4E5F",
        "estimated_delivery_date": "2026-12-03"
    })
    .to_string()
}

#[tokio::test]
async fn a_notification_delivered_twice_is_sent_once_with_the_task_name_as_key() {
    let (worker, inbox) = resend_worker().await;
    let token = relay_token().await;

    let first = push(&worker, "notification", Some(&token), &shipped_notification()).await;
    let again = push(&worker, "notification", Some(&token), &shipped_notification()).await;

    assert_eq!((first.status().as_u16(), again.status().as_u16()), (200, 200));
    let requests = inbox.requests.lock().unwrap().clone();
    assert_eq!(requests, [("t-1".to_owned(), 200), ("t-1".to_owned(), 200)]);
    let sent = inbox.sent.lock().unwrap().clone();
    assert_eq!(sent.len(), 1, "one email for one task");
    let email = &sent["t-1"];
    assert_eq!(email["from"], "GoKart <orders@shop.test>");
    assert_eq!(email["to"], json!(["ada@example.com"]));
    assert_eq!(email["subject"], "Order GK-AAAA-BBBB-CCCC shipped");
    assert!(email["html"].as_str().unwrap().contains("TRK-0A1B-2C3D-4E5F"));
    assert!(email["text"].as_str().unwrap().contains("Expected delivery: 2026-12-03"));
}

#[tokio::test]
async fn a_resend_outage_is_retried_and_a_rejected_email_is_not() {
    let (worker, inbox) = resend_worker().await;
    let token = relay_token().await;

    *inbox.fail_with.lock().unwrap() = Some(503);
    let outage = push(&worker, "notification", Some(&token), &shipped_notification()).await;
    *inbox.fail_with.lock().unwrap() = Some(422);
    let rejected = push(&worker, "notification", Some(&token), &shipped_notification()).await;

    assert_eq!(outage.status(), 503, "the queue retries");
    assert_eq!(rejected.status(), 200, "acknowledged, never retried forever");
    let body: Value = rejected.json().await.unwrap();
    assert_eq!(body["outcome"], "dropped");
    assert!(inbox.sent.lock().unwrap().is_empty());
}

#[tokio::test]
async fn resend_errors_are_retried_or_dropped_by_their_name() {
    let (worker, inbox) = resend_worker().await;
    let token = relay_token().await;
    let mut outcomes = Vec::new();
    for (status, name) in [
        (409, "invalid_idempotent_request"),
        (409, "concurrent_idempotent_requests"),
        (422, "invalid_from_address"),
        (422, "validation_error"),
    ] {
        *inbox.fail_with.lock().unwrap() = Some(status);
        *inbox.fail_name.lock().unwrap() = name;
        let answer = push(&worker, "notification", Some(&token), &shipped_notification()).await;
        outcomes.push((name, answer.status().as_u16()));
    }

    assert_eq!(
        outcomes,
        [
            ("invalid_idempotent_request", 200),
            ("concurrent_idempotent_requests", 503),
            ("invalid_from_address", 503),
            ("validation_error", 200),
        ],
        "a key already used means sent; setup errors wait for a fix; bad emails are dropped"
    );
}

#[tokio::test]
async fn resend_gets_the_bare_recipient_address_whatever_the_name() {
    let (worker, inbox) = resend_worker().await;
    let token = relay_token().await;
    let hostile = notification_to(
        "Eve, attacker@evil.com <x@evil.com>\r\nBcc: y@evil.com",
        "ada@example.com",
    );

    let answer = push(&worker, "notification", Some(&token), &hostile).await;

    assert_eq!(answer.status(), 200);
    let sent = inbox.sent.lock().unwrap().clone();
    assert_eq!(sent["t-1"]["to"], json!(["ada@example.com"]));
    assert!(sent["t-1"].get("bcc").is_none() && sent["t-1"].get("cc").is_none());
}

#[tokio::test]
async fn a_recipient_address_that_is_not_one_mailbox_is_dropped_unsent() {
    let (worker, inbox) = resend_worker().await;
    let token = relay_token().await;
    let two = notification_to("Ada", "ada@example.com, eve@evil.com");

    let answer = push(&worker, "notification", Some(&token), &two).await;

    assert_eq!(answer.status(), 200);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["outcome"], "dropped");
    assert!(inbox.requests.lock().unwrap().is_empty(), "nothing reaches Resend");
}

#[tokio::test]
async fn a_sender_name_with_specials_is_quoted_for_resend() {
    let (worker, inbox) = resend_worker_from("GoKart, Inc. <orders@shop.test>").await;
    let token = relay_token().await;

    let answer = push(&worker, "notification", Some(&token), &shipped_notification()).await;

    assert_eq!(answer.status(), 200);
    let sent = inbox.sent.lock().unwrap().clone();
    assert_eq!(sent["t-1"]["from"], "\"GoKart, Inc.\" <orders@shop.test>");
}
