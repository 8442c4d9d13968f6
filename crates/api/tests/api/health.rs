use axum::Router;

use crate::helpers::{TestApp, error_of};

#[tokio::test]
async fn healthz_answers_ok() {
    let app = TestApp::spawn().await;

    let response = app.get("/healthz").await;

    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ok");
}

#[tokio::test]
async fn readyz_answers_ready_when_the_database_is_up() {
    let app = TestApp::spawn().await;

    let response = app.get("/readyz").await;

    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ready");
}

#[tokio::test]
async fn readyz_is_unavailable_when_the_database_is_gone_but_healthz_still_answers() {
    let app = TestApp::spawn_with(
        |env| env.set("DATABASE_URL", "postgres://gokart@127.0.0.1:1/nowhere"),
        Router::new(),
    )
    .await;

    let error = error_of(app.get("/readyz").await, 503).await;
    let alive = app.get("/healthz").await;

    assert_eq!(error.code, "service_unavailable");
    assert!(error.request_id.is_some());
    assert_eq!(alive.status(), 200);
}
