//! Integration tests: the real worker on a random port, over real HTTP.

// A failed unwrap in a test or its helpers is a failed test, which is the point.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod emails;
mod resend;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use gokart_edge::service_auth::{ServiceAuthConfig, TokenMinter};
use gokart_edge::{AppEnv, Env};
use gokart_mega_worker::{WorkerConfig, startup};

/// The audience the test worker expects: its own URL as configured.
const WORKER_URL: &str = "http://worker.gokart.test";

/// Starts the worker on a random port, reporting to `api` (nothing listens
/// there by default) with `extra` settings; returns its base URL.
async fn spawn_worker_with(api: &str, extra: &[(&str, &str)]) -> String {
    let mut env = Env::from_pairs([
        ("PORT", "0"),
        ("PUBLIC_URL", WORKER_URL),
        ("ECOMMERCE_API_URL", api),
        ("WAREHOUSE_PROCESSING_TIME", "0s"),
    ]);
    for (name, value) in extra {
        env.set(*name, *value);
    }
    let config = WorkerConfig::from_env(&env).unwrap();
    let server = startup::build(config).await.unwrap();
    let address = format!("http://{}", server.local_addr().unwrap());
    tokio::spawn(server.run_until(std::future::pending()));
    address
}

async fn spawn_worker() -> String {
    spawn_worker_with("http://127.0.0.1:9", &[]).await
}

/// A token from the API's relay, minted as the local backend does.
async fn relay_token() -> String {
    let config = ServiceAuthConfig::from_env(
        &Env::default(),
        AppEnv::Development,
        "api@gokart.local",
        &["worker@gokart.local"],
    )
    .unwrap();
    TokenMinter::new(&config).token(WORKER_URL).await.unwrap()
}

async fn push(worker: &str, kind: &str, token: Option<&str>, body: &str) -> reqwest::Response {
    let mut request = reqwest::Client::new()
        .post(format!("{worker}/tasks/{kind}"))
        .header("content-type", "application/json")
        .header("X-CloudTasks-TaskName", "t-1")
        .body(body.to_owned());
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn tasks_without_a_valid_token_are_refused() {
    let worker = spawn_worker().await;
    let body = r#"{"order_id": "0193a0d6-6b5e-7c4e-9d1e-3f1e2a4b5c6d"}"#;

    for kind in ["warehouse", "shipping", "delivery", "notification"] {
        assert_eq!(push(&worker, kind, None, body).await.status(), 401, "{kind}");
        assert_eq!(push(&worker, kind, Some("not.a.token"), body).await.status(), 401, "{kind}");
    }
}

#[tokio::test]
async fn a_malformed_task_is_acknowledged_not_retried_forever() {
    let worker = spawn_worker().await;
    let token = relay_token().await;

    for kind in ["warehouse", "shipping", "delivery", "notification"] {
        let response = push(&worker, kind, Some(&token), r#"{"nonsense": true}"#).await;
        assert_eq!(response.status(), 200, "{kind}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["outcome"], "dropped", "{kind}");
    }
}

#[tokio::test]
async fn a_step_whose_report_cannot_reach_the_api_is_retried() {
    let worker = spawn_worker().await;
    let token = relay_token().await;
    let body = r#"{"order_id": "0193a0d6-6b5e-7c4e-9d1e-3f1e2a4b5c6d"}"#;

    let response = push(&worker, "warehouse", Some(&token), body).await;

    assert_eq!(response.status(), 503, "the queue must try again");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "task_failed");
}

#[tokio::test]
async fn healthz_answers_ok() {
    let worker = spawn_worker().await;

    let response = reqwest::get(format!("{worker}/healthz")).await.unwrap();

    assert_eq!(response.status(), 200);
    assert!(response.headers().contains_key("x-request-id"));
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ok");
}

#[tokio::test]
async fn an_unknown_route_is_a_json_404() {
    let worker = spawn_worker().await;

    let response = reqwest::get(format!("{worker}/tasks/unknown")).await.unwrap();

    assert_eq!(response.status(), 404);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "route_not_found");
}

#[test]
fn sigterm_stops_the_worker_cleanly() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_mega-worker"))
        .arg("serve")
        .env_clear()
        .env("PORT", port.to_string())
        .current_dir(std::env::temp_dir())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut up = false;
    while !up && Instant::now() < deadline {
        up = std::net::TcpStream::connect(("127.0.0.1", port)).is_ok();
        if !up {
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    let killed = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    let status = wait_with_deadline(&mut child, deadline);

    assert!(up, "the worker never listened");
    assert!(killed.success());
    assert_eq!(status.and_then(|s| s.code()), Some(0));
}

fn wait_with_deadline(
    child: &mut std::process::Child,
    deadline: Instant,
) -> Option<std::process::ExitStatus> {
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().ok();
    child.wait().ok();
    None
}

/// A stand-in API answering every status report with `status` and `code`.
async fn api_answering(status: u16, code: &'static str) -> String {
    let router = axum::Router::new().fallback(move || async move {
        (
            axum::http::StatusCode::from_u16(status).unwrap(),
            axum::Json(serde_json::json!({"error": {"code": code, "message": "stand-in"}})),
        )
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    address
}

#[tokio::test]
async fn a_report_about_a_missing_order_is_dropped_but_a_missing_route_is_retried() {
    let token = relay_token().await;
    let body = r#"{"order_id": "0193a0d6-6b5e-7c4e-9d1e-3f1e2a4b5c6d"}"#;
    let no_order = spawn_worker_with(&api_answering(404, "not_found").await, &[]).await;
    let wrong_url = spawn_worker_with(&api_answering(404, "route_not_found").await, &[]).await;

    let dropped = push(&no_order, "warehouse", Some(&token), body).await;
    let retried = push(&wrong_url, "warehouse", Some(&token), body).await;

    assert_eq!(dropped.status(), 200);
    assert_eq!(retried.status(), 503);
}
