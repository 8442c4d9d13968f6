//! Every failure is a JSON error in the documented shape, and an unexpected
//! one reveals nothing but a request id.

use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};
use gokart_api::AppState;
use gokart_api::error::{Error, Result};
use gokart_api::extract::{Json, Path};
use gokart_domain::{Invalid, Violations};
use serde::Deserialize;
use serde_json::json;

use crate::helpers::{TestApp, error_of};

#[derive(Deserialize)]
struct NewLine {
    product: String,
    quantity: i64,
}

/// A handler shaped like the real ones: parse, validate each field, answer.
async fn add_line(Json(body): Json<NewLine>) -> Result<Json<serde_json::Value>> {
    let mut violations = Violations::new();
    let quantity = violations.check(
        "quantity",
        (1..=99)
            .contains(&body.quantity)
            .then_some(body.quantity)
            .ok_or(Invalid::new("must be between 1 and 99")),
    );
    let product = violations.check(
        "product",
        (!body.product.trim().is_empty())
            .then_some(body.product)
            .ok_or(Invalid::new("is required")),
    );
    violations.into_result()?;
    Ok(Json(json!({"product": product, "quantity": quantity})))
}

async fn leak_attempt() -> Result<()> {
    Err(Error::Internal(anyhow::anyhow!("connect to postgres://admin:hunter2@10.1.2.3 failed")))
}

async fn panics() -> &'static str {
    panic!("secret panic detail hunter2")
}

async fn slow() -> &'static str {
    tokio::time::sleep(Duration::from_secs(5)).await;
    "too late"
}

async fn item(Path(id): Path<uuid::Uuid>) -> String {
    id.to_string()
}

fn probes() -> Router<AppState> {
    Router::new()
        .route("/probe/lines", post(add_line))
        .route("/probe/internal", get(leak_attempt))
        .route("/probe/panic", get(panics))
        .route("/probe/slow", get(slow))
        .route("/probe/items/{id}", get(item))
}

async fn spawn() -> TestApp {
    TestApp::spawn_with(
        |env| {
            env.set("REQUEST_TIMEOUT", "300ms");
            env.set("REQUEST_BODY_LIMIT_BYTES", "256");
        },
        probes(),
    )
    .await
}

#[tokio::test]
async fn an_unknown_route_is_a_json_404() {
    let app = TestApp::spawn().await;

    let error = error_of(app.get("/api/v1/no-such-thing").await, 404).await;

    assert_eq!(error.code, "route_not_found");
}

#[tokio::test]
async fn a_wrong_method_is_a_json_405() {
    let app = TestApp::spawn().await;

    let error = error_of(app.post_json("/healthz", &json!({})).await, 405).await;

    assert_eq!(error.code, "method_not_allowed");
}

#[tokio::test]
async fn a_valid_body_is_accepted() {
    let app = spawn().await;

    let response =
        app.post_json("/probe/lines", &json!({"product": "kettle", "quantity": 2})).await;

    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body, json!({"product": "kettle", "quantity": 2}));
}

#[tokio::test]
async fn malformed_json_is_a_400() {
    let app = spawn().await;

    let error =
        error_of(app.post_raw("/probe/lines", "application/json", "{\"product\": ").await, 400)
            .await;

    assert_eq!(error.code, "malformed_json");
}

#[tokio::test]
async fn a_non_json_content_type_is_a_400() {
    let app = spawn().await;

    let form = app
        .post_raw("/probe/lines", "application/x-www-form-urlencoded", "product=a&quantity=1")
        .await;
    let missing = app.client.post(app.url("/probe/lines")).body("{}").send().await.unwrap();

    assert_eq!(error_of(form, 400).await.code, "invalid_content_type");
    assert_eq!(error_of(missing, 400).await.code, "invalid_content_type");
}

#[tokio::test]
async fn a_missing_field_is_a_422_naming_it() {
    let app = spawn().await;

    let error =
        error_of(app.post_json("/probe/lines", &json!({"product": "kettle"})).await, 422).await;

    assert_eq!(error.code, "validation_failed");
    let fields = error.fields.expect("fields are named");
    assert_eq!(fields.get("quantity").map(String::as_str), Some("is required"));
}

#[tokio::test]
async fn a_field_of_the_wrong_type_is_a_422_naming_it() {
    let app = spawn().await;

    let error = error_of(
        app.post_json("/probe/lines", &json!({"product": "kettle", "quantity": "two"})).await,
        422,
    )
    .await;

    assert!(error.fields.expect("fields").contains_key("quantity"));
}

#[tokio::test]
async fn every_invalid_field_is_named_at_once() {
    let app = spawn().await;

    let error =
        error_of(app.post_json("/probe/lines", &json!({"product": " ", "quantity": 0})).await, 422)
            .await;

    let fields = error.fields.expect("fields");
    assert_eq!(fields.len(), 2);
    assert_eq!(fields["quantity"], "must be between 1 and 99");
    assert_eq!(fields["product"], "is required");
}

#[tokio::test]
async fn a_body_over_the_limit_is_a_413() {
    let app = spawn().await;
    let big = json!({"product": "x".repeat(1000), "quantity": 1});

    let error = error_of(app.post_json("/probe/lines", &big).await, 413).await;

    assert_eq!(error.code, "payload_too_large");
}

#[tokio::test]
async fn an_unexpected_failure_is_a_500_with_a_request_id_and_no_internals() {
    let app = spawn().await;

    let response = app.get("/probe/internal").await;
    let header_id = response.headers()["x-request-id"].to_str().unwrap().to_owned();
    let text = response.text().await.unwrap();

    assert!(
        !text.contains("hunter2") && !text.contains("10.1.2.3") && !text.contains("postgres"),
        "{text}"
    );
    let body: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["error"]["code"], "internal_error");
    assert_eq!(body["error"]["request_id"], header_id.as_str());
}

#[tokio::test]
async fn a_panicking_handler_is_a_500_and_the_server_keeps_serving() {
    let app = spawn().await;

    let response = app.get("/probe/panic").await;
    let status = response.status();
    let text = response.text().await.unwrap();
    let after = app.get("/healthz").await;

    assert_eq!(status, 500);
    assert!(!text.contains("hunter2"), "{text}");
    assert!(text.contains("internal_error"));
    assert_eq!(after.status(), 200);
}

#[tokio::test]
async fn a_request_over_the_timeout_is_a_503_with_retry_after() {
    let app = spawn().await;

    let response = app.get("/probe/slow").await;

    assert_eq!(response.headers()["retry-after"], "1");
    let error = error_of(response, 503).await;
    assert_eq!(error.code, "request_timeout");
}

#[tokio::test]
async fn a_malformed_path_id_is_the_same_404_as_an_unknown_one() {
    let app = spawn().await;
    let known_shape = uuid::Uuid::new_v4();

    let malformed = error_of(app.get("/probe/items/not-a-uuid").await, 404).await;
    let well_formed = app.get(&format!("/probe/items/{known_shape}")).await;

    assert_eq!(malformed.code, "not_found");
    assert_eq!(well_formed.status(), 200);
}
