use crate::helpers::TestApp;

#[tokio::test]
async fn a_request_id_is_generated_when_the_client_sends_none() {
    let app = TestApp::spawn().await;

    let first = app.get("/healthz").await;
    let second = app.get("/healthz").await;

    let first = first.headers()["x-request-id"].to_str().unwrap().to_owned();
    let second = second.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert!(uuid::Uuid::parse_str(&first).is_ok(), "{first}");
    assert_ne!(first, second);
}

#[tokio::test]
async fn a_client_request_id_is_echoed_back() {
    let app = TestApp::spawn().await;

    let response = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "checkout-42.a")
        .send()
        .await
        .unwrap();

    assert_eq!(response.headers()["x-request-id"], "checkout-42.a");
}

#[tokio::test]
async fn a_hostile_request_id_is_replaced() {
    let app = TestApp::spawn().await;
    let oversized = "a".repeat(500);

    let response = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", &oversized)
        .send()
        .await
        .unwrap();

    let echoed = response.headers()["x-request-id"].to_str().unwrap();
    assert_ne!(echoed, oversized);
    assert!(uuid::Uuid::parse_str(echoed).is_ok());
}

#[tokio::test]
async fn error_bodies_carry_the_same_request_id_as_the_header() {
    let app = TestApp::spawn().await;

    let response =
        app.client.get(app.url("/nope")).header("x-request-id", "trace-7").send().await.unwrap();

    assert_eq!(response.headers()["x-request-id"], "trace-7");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["request_id"], "trace-7");
}
