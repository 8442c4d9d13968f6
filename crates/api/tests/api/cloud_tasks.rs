//! The `cloud-tasks` backend against the Cloud Tasks emulator from PyPI
//! (`make test` installs it): our client creates the queue and the tasks,
//! the emulator pushes them to a running worker, and orders are delivered.
//!
//! The emulator sends no OIDC header (real Cloud Tasks adds the invoker's
//! token), so a small proxy in front of the worker adds one, as Google would;
//! that the task asks for the token, and that a re-sent name counts as sent
//! (the emulator does not deduplicate), are unit tests of the backend.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use gokart_api::config::FulfillmentConfig;
use gokart_api::outbox::cloud_tasks::CloudTasks;
use gokart_edge::service_auth::{ServiceAuthConfig, TokenMinter};
use gokart_edge::{AppEnv, Env};

use crate::helpers::free_port;
use crate::pipeline::{Pipeline, Worker, wait_for};

const INVOKER: &str = "invoker@gokart.local";

/// The emulator on a free port; killed when dropped.
struct Emulator {
    endpoint: String,
    _process: tokio::process::Child,
}

impl Emulator {
    async fn start() -> Emulator {
        let program = std::env::var("GCLOUD_TASKS_EMULATOR")
            .expect("GCLOUD_TASKS_EMULATOR names the emulator; `make test` installs it");
        let port = free_port();
        let process = tokio::process::Command::new(program)
            .args(["start", "--port", &port.to_string(), "--quiet", "--max-retries", "100"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("the emulator starts");
        wait_for(Duration::from_secs(30), || async {
            tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok()
        })
        .await;
        Emulator { endpoint: format!("http://127.0.0.1:{port}"), _process: process }
    }
}

#[derive(Clone)]
struct Proxy {
    worker: String,
    audience: String,
    tokens: std::sync::Arc<TokenMinter>,
    http: reqwest::Client,
}

/// Forwards a pushed task to the worker with the invoker's token added.
async fn forward(
    State(proxy): State<Proxy>,
    Path(kind): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, Bytes) {
    let token = proxy.tokens.token(&proxy.audience).await.unwrap();
    let mut request = proxy
        .http
        .post(format!("{}/tasks/{kind}", proxy.worker))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body);
    for (name, value) in &headers {
        if name.as_str().starts_with("x-cloudtasks-") {
            request = request.header(name, value);
        }
    }
    match request.send().await {
        Ok(answer) => {
            let status = StatusCode::from_u16(answer.status().as_u16()).unwrap();
            (status, answer.bytes().await.unwrap_or_default())
        }
        Err(_) => (StatusCode::BAD_GATEWAY, Bytes::new()),
    }
}

async fn start_proxy(port: u16, worker: String) {
    let audience = format!("http://127.0.0.1:{port}");
    let env = Env::from_pairs([("SERVICE_ACCOUNT_EMAIL", INVOKER)]);
    let config =
        ServiceAuthConfig::from_env(&env, AppEnv::Development, INVOKER, &["unused"]).unwrap();
    let proxy = Proxy {
        worker,
        audience,
        tokens: std::sync::Arc::new(TokenMinter::new(&config)),
        http: reqwest::Client::new(),
    };
    let router = axum::Router::new().route("/tasks/{kind}", post(forward)).with_state(proxy);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
}

#[tokio::test]
async fn orders_are_delivered_through_cloud_tasks() {
    let emulator = Emulator::start().await;
    let queue = format!("fulfillment-{}", uuid::Uuid::new_v4().simple());
    let cloud_tasks = |env: &mut Env| {
        env.set("TASK_BACKEND", "cloud-tasks");
        env.set("CLOUD_TASKS_ENDPOINT", &emulator.endpoint);
        env.set("GCP_PROJECT_ID", "gokart-test");
        env.set("GCP_TASKS_LOCATION_ID", "local");
        env.set("GCP_TASKS_QUEUE_ID", &queue);
        env.set("TASKS_INVOKER_SA_EMAIL", INVOKER);
    };
    let pipeline = Pipeline::api_only(cloud_tasks).await;
    // The queue, created by our client.
    let mut env = Env::default();
    cloud_tasks(&mut env);
    env.set("MEGA_WORKER_URL", format!("http://127.0.0.1:{}", pipeline.worker_port));
    let config = FulfillmentConfig::from_env(&env, AppEnv::Development).unwrap();
    CloudTasks::connect(&config).await.unwrap().ensure_queue().await.unwrap();
    // The queue pushes to the proxy (the worker URL the API knows); the
    // worker behind it checks tokens minted for that URL by the invoker.
    let worker_port = free_port();
    let proxy_url = format!("http://127.0.0.1:{}", pipeline.worker_port);
    start_proxy(pipeline.worker_port, format!("http://127.0.0.1:{worker_port}")).await;
    let _worker = Worker::start(
        worker_port,
        &pipeline.api.address,
        &pipeline.mail_dir,
        &[("PUBLIC_URL", &proxy_url), ("SERVICE_AUTH_ALLOWED_EMAILS", INVOKER)],
    )
    .await;

    let ids = [pipeline.order().await, pipeline.order().await];

    pipeline.wait_until_delivered(&ids).await;
    // The queue pushes the last emails after their rows were handed over.
    wait_for(Duration::from_secs(20), || async { pipeline.emails().len() >= 2 * 5 }).await;
    pipeline.assert_delivered_once(&ids).await;
}
