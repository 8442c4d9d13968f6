//! Integration tests: the real worker on a random port, over real HTTP.

// A failed unwrap in a test or its helpers is a failed test, which is the point.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use gokart_edge::Env;
use gokart_mega_worker::{WorkerConfig, startup};

/// Starts the worker on a random port; returns its base URL.
async fn spawn_worker() -> String {
    let config = WorkerConfig::from_env(&Env::from_pairs([("PORT", "0")])).unwrap();
    let server = startup::build(config).await.unwrap();
    let address = format!("http://{}", server.local_addr().unwrap());
    tokio::spawn(server.run_until(std::future::pending()));
    address
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
