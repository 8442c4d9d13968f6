//! Request bodies at the edge: every route refuses an oversized body with the
//! JSON error shape, a declared length over the limit is refused before the
//! body is read, and a body that stalls gives its slot back.

use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{TestApp, error_of};

/// `PUT`/`POST`/`PATCH`/`DELETE` operations of the served document that take
/// a body, with every path parameter filled in.
async fn operations_with_a_body(app: &TestApp) -> Vec<(reqwest::Method, String)> {
    let spec: Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
    let mut found = Vec::new();
    for (template, item) in spec["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            if operation.get("requestBody").is_none() {
                continue;
            }
            let path = template
                .split('/')
                .map(|part| {
                    if part.starts_with('{') {
                        uuid::Uuid::new_v4().to_string()
                    } else {
                        part.to_owned()
                    }
                })
                .collect::<Vec<_>>()
                .join("/");
            found.push((
                reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(),
                path,
            ));
        }
    }
    found
}

/// Sends raw bytes and reads the answer until the server closes or `wait`
/// passes; returns what arrived.
async fn raw_exchange(address: &str, request: &[u8], wait: Duration) -> String {
    let mut stream = TcpStream::connect(address.trim_start_matches("http://")).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(wait, stream.read_to_end(&mut answer)).await;
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn every_route_that_takes_a_body_refuses_an_oversized_one_as_json() {
    // The photo upload takes up to MEDIA_MAX_BYTES plus 64 KiB for the rest
    // of its form, the product import IMPORT_MAX_MB: the body is over both.
    let app = TestApp::spawn_with(
        |env| {
            env.set("REQUEST_BODY_LIMIT_BYTES", "4096");
            env.set("MEDIA_MAX_BYTES", "1024");
            env.set("IMPORT_MAX_MB", "1");
        },
        Default::default(),
    )
    .await;
    let operations = operations_with_a_body(&app).await;
    assert!(operations.iter().any(|(_, path)| path == "/api/v1/webhooks/stripe"));
    let oversized = format!("{{\"padding\": \"{}\"}}", "x".repeat(1_100_000));

    for (method, path) in operations {
        let response = app
            .client
            .request(method.clone(), app.url(&path))
            .header("content-type", "application/json")
            .header("stripe-signature", "t=1,v1=00")
            .body(oversized.clone())
            .send()
            .await
            .unwrap();
        let error = error_of(response, 413).await;
        assert_eq!(error.code, "payload_too_large", "{method} {path}");
    }
}

#[tokio::test]
async fn a_chunked_body_that_grows_past_the_limit_is_a_json_413() {
    let app =
        TestApp::spawn_with(|env| env.set("REQUEST_BODY_LIMIT_BYTES", "4096"), Default::default())
            .await;
    let chunk = format!("1000\r\n{}\r\n", " ".repeat(4096));
    let request = format!(
        "POST /api/v1/webhooks/stripe HTTP/1.1\r\nhost: localhost\r\n\
         content-type: application/json\r\nstripe-signature: t=1,v1=00\r\n\
         transfer-encoding: chunked\r\n\r\n{chunk}{chunk}0\r\n\r\n"
    );

    let answer = raw_exchange(&app.address, request.as_bytes(), Duration::from_secs(5)).await;

    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("\"payload_too_large\""), "{answer}");
}

#[tokio::test]
async fn a_declared_length_over_the_limit_is_refused_before_the_body_is_sent() {
    let app = TestApp::spawn().await;
    let request = "POST /api/v1/auth/login HTTP/1.1\r\nhost: localhost\r\n\
        content-type: application/json\r\ncontent-length: 10000000\r\n\r\n";

    let started = Instant::now();
    let answer = raw_exchange(&app.address, request.as_bytes(), Duration::from_secs(5)).await;

    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("\"payload_too_large\""), "{answer}");
    assert!(started.elapsed() < Duration::from_secs(2), "answered without waiting for the body");
}

#[tokio::test]
async fn a_stalled_body_gets_a_408_and_frees_its_slot() {
    let app = TestApp::spawn_with(
        |env| {
            env.set("BODY_READ_TIMEOUT", "1s");
            env.set("MAX_IN_FLIGHT_REQUESTS", "2");
        },
        Default::default(),
    )
    .await;
    let stalled = "POST /api/v1/auth/login HTTP/1.1\r\nhost: localhost\r\n\
        content-type: application/json\r\ncontent-length: 100\r\n\r\n{\"email\"";
    let first =
        tokio::spawn(raw_exchange_owned(app.address.clone(), stalled, Duration::from_secs(5)));
    let second =
        tokio::spawn(raw_exchange_owned(app.address.clone(), stalled, Duration::from_secs(5)));
    // Both slots are taken while the bodies stall.
    let mut shed = false;
    for _ in 0..50 {
        if app.get("/readyz").await.status() == 503 {
            shed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(shed, "two stalled bodies hold both slots");

    let first = first.await.unwrap();
    let second = second.await.unwrap();

    for answer in [first, second] {
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
        assert!(answer.contains("\"body_timeout\""), "{answer}");
    }
    assert_eq!(app.get("/readyz").await.status(), 200, "the slots are free again");
}

async fn raw_exchange_owned(address: String, request: &'static str, wait: Duration) -> String {
    raw_exchange(&address, request.as_bytes(), wait).await
}

#[tokio::test]
async fn a_browser_on_an_allowed_origin_can_read_its_413() {
    let app = TestApp::spawn_with(
        |env| {
            env.set("REQUEST_BODY_LIMIT_BYTES", "4096");
            env.set("CORS_ALLOW_ORIGINS", "https://shop.example.com");
        },
        Default::default(),
    )
    .await;

    let response = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("origin", "https://shop.example.com")
        .header("content-type", "application/json")
        .body(format!("{{\"email\": \"{}\"}}", "x".repeat(8192)))
        .send()
        .await
        .unwrap();

    assert_eq!(response.headers()["access-control-allow-origin"], "https://shop.example.com");
    assert_eq!(error_of(response, 413).await.code, "payload_too_large");
}
