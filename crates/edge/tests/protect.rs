//! The edge's protections, over real HTTP: security headers on every
//! response, a header size limit, a deadline for slow clients, and load
//! shedding with 503 + Retry-After.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use gokart_edge::http::{ErrorEnvelope, Server};
use gokart_edge::{Env, ServerConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;

/// A server on a free port with `settings`; `/slow` waits for a permit from
/// the returned semaphore, `/` answers at once.
async fn serve(settings: &[(&str, &str)]) -> (String, Arc<Semaphore>) {
    let mut env = Env::from_pairs([("PORT", "0")]);
    for (name, value) in settings {
        env.set(*name, *value);
    }
    let config = ServerConfig::from_env(&env, 0).unwrap();
    let gate = Arc::new(Semaphore::new(0));
    let waiting = gate.clone();
    let router = Router::new().route("/", get(|| async { "hello" })).route(
        "/slow",
        get(move || {
            let gate = waiting.clone();
            async move {
                let _permit = gate.acquire().await.unwrap();
                "done"
            }
        }),
    );
    let server = Server::bind(&config, router, None).await.unwrap();
    let address = format!("http://{}", server.local_addr().unwrap());
    tokio::spawn(server.run_until(std::future::pending()));
    (address, gate)
}

fn header<'a>(response: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    response.headers().get(name).and_then(|value| value.to_str().ok())
}

#[tokio::test]
async fn every_response_carries_the_security_headers_and_hsts_only_in_production() {
    let (development, _) = serve(&[]).await;
    let client = reqwest::Client::new();
    for path in ["/", "/no-such-route"] {
        let response = client.get(format!("{development}{path}")).send().await.unwrap();
        assert_eq!(header(&response, "x-content-type-options"), Some("nosniff"), "{path}");
        assert_eq!(header(&response, "referrer-policy"), Some("no-referrer"), "{path}");
        assert_eq!(header(&response, "x-frame-options"), Some("DENY"), "{path}");
        let policy = header(&response, "content-security-policy").unwrap();
        assert!(policy.starts_with("default-src 'none'"), "{path}: {policy}");
        assert_eq!(header(&response, "strict-transport-security"), None, "{path}: plain HTTP here");
    }

    let (production, _) = serve(&[("APP_ENV", "production"), ("HOST", "127.0.0.1")]).await;
    let response = client.get(format!("{production}/")).send().await.unwrap();
    assert_eq!(
        header(&response, "strict-transport-security"),
        Some("max-age=31536000; includeSubDomains")
    );
}

#[tokio::test]
async fn oversized_headers_are_a_json_431() {
    let (url, _) = serve(&[("REQUEST_HEADER_LIMIT_BYTES", "4096")]).await;
    let client = reqwest::Client::new();

    let fits = client.get(format!("{url}/")).header("x-padding", "a".repeat(3000)).send().await;
    let too_large =
        client.get(format!("{url}/")).header("x-padding", "a".repeat(5000)).send().await.unwrap();

    assert_eq!(fits.unwrap().status(), 200);
    assert_eq!(too_large.status(), 431);
    let body: ErrorEnvelope = too_large.json().await.unwrap();
    assert_eq!(body.error.code, "headers_too_large");
}

#[tokio::test]
async fn a_client_trickling_its_headers_is_disconnected_at_the_deadline() {
    let (url, _) = serve(&[("HEADER_READ_TIMEOUT", "1s")]).await;
    let address = url.trim_start_matches("http://");
    let mut slow = TcpStream::connect(address).await.unwrap();
    let started = Instant::now();
    slow.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").await.unwrap();

    // Never finish the headers: the server must close the connection.
    let mut buffer = [0u8; 256];
    let read = tokio::time::timeout(Duration::from_secs(5), slow.read(&mut buffer)).await;

    let closed_after = started.elapsed();
    assert!(read.is_ok(), "the server kept the half-sent request open");
    assert!(closed_after >= Duration::from_millis(900), "closed too early: {closed_after:?}");
    // Meanwhile and afterwards, other clients are served.
    assert_eq!(reqwest::get(format!("{url}/")).await.unwrap().status(), 200);
}

#[tokio::test]
async fn requests_past_the_bound_are_shed_with_retry_after_not_queued() {
    let (url, gate) = serve(&[("MAX_IN_FLIGHT_REQUESTS", "2")]).await;
    let client = reqwest::Client::new();
    let busy: Vec<_> =
        (0..2).map(|_| tokio::spawn(client.get(format!("{url}/slow")).send())).collect();
    // Wait until both hold their slots.
    let mut shed = None;
    for _ in 0..100 {
        let response = client.get(format!("{url}/")).send().await.unwrap();
        if response.status() == 503 {
            shed = Some(response);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let shed = shed.expect("a third request was never turned away");
    assert_eq!(header(&shed, "retry-after"), Some("1"));
    let body: ErrorEnvelope = shed.json().await.unwrap();
    assert_eq!(body.error.code, "overloaded");
    gate.add_permits(2);
    for request in busy {
        assert_eq!(request.await.unwrap().unwrap().status(), 200, "the held requests finish");
    }
    assert_eq!(client.get(format!("{url}/")).send().await.unwrap().status(), 200, "slots return");
}
