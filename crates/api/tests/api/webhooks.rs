//! Outbound webhooks end to end: the real API (and worker) delivering to a
//! receiver that verifies every request with the Standard Webhooks
//! reference library from PyPI (`scripts/webhook-receiver.py`), never with
//! our own code.

use std::process::Stdio;
use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::helpers::{TestApp, TestUser, error_of, free_port, names_field};
use crate::pipeline::{FULL_TIMELINE, Pipeline, wait_for};

/// The receiver, killed when dropped.
struct Receiver {
    url: String,
    control: String,
    client: reqwest::Client,
    _process: Child,
}

impl Receiver {
    async fn start() -> Receiver {
        let python = std::env::var("WEBHOOK_RECEIVER_PYTHON").expect(
            "WEBHOOK_RECEIVER_PYTHON names a Python with standardwebhooks; `make test` installs it",
        );
        let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../scripts/webhook-receiver.py");
        let mut process = Command::new(python)
            .arg(script)
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("the receiver starts");
        let stdout = process.stdout.take().unwrap();
        let mut port = String::new();
        BufReader::new(stdout).read_line(&mut port).await.unwrap();
        let base = format!("http://127.0.0.1:{}", port.trim());
        Receiver {
            url: format!("{base}/hook"),
            control: format!("{base}/control"),
            client: reqwest::Client::new(),
            _process: process,
        }
    }

    /// Verify with `secret` from now on; fail the next `fail` deliveries.
    async fn set(&self, secret: &str, fail: u32) {
        let settings = json!({"secret": secret, "fail": fail});
        let answer = self.client.put(&self.control).json(&settings).send().await.unwrap();
        assert_eq!(answer.status(), 204);
    }

    async fn state(&self) -> Value {
        self.client.get(&self.control).send().await.unwrap().json().await.unwrap()
    }

    /// The verified deliveries so far.
    async fn received(&self) -> Vec<Value> {
        self.state().await["received"].as_array().unwrap().clone()
    }

    /// Waits until `count` verified deliveries of type `kind` arrived.
    async fn until(&self, kind: &str, count: usize) -> Vec<Value> {
        let mut found = Vec::new();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while found.len() < count {
            assert!(
                tokio::time::Instant::now() < deadline,
                "{count} {kind} never arrived: {found:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
            found = self.received().await;
            found.retain(|delivery| delivery["body"]["type"] == kind);
        }
        found
    }
}

async fn register(app: &TestApp, admin: &TestUser, url: &str, events: &[&str]) -> Value {
    let answer = app
        .authed(Method::POST, "/api/v1/admin/webhooks", &admin.access_token)
        .json(&json!({"url": url, "events": events}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 201);
    answer.json().await.unwrap()
}

async fn admin_json(app: &TestApp, admin: &TestUser, method: Method, path: &str) -> (u16, Value) {
    let answer = app.authed(method, path, &admin.access_token).send().await.unwrap();
    let status = answer.status().as_u16();
    (status, answer.json().await.unwrap_or(Value::Null))
}

/// A shop whose relay runs (no worker) and that may reach this machine.
async fn shop() -> Pipeline {
    Pipeline::api_only(|env| env.set("WEBHOOK_ALLOWED_HOSTS", "127.0.0.1")).await
}

#[tokio::test]
async fn an_order_s_events_arrive_signed_and_in_the_order_they_happened() {
    let pipeline = shop().await;
    let _worker = pipeline.start_worker().await;
    let app = &pipeline.api;
    let admin = app.create_admin().await;
    let receiver = Receiver::start().await;
    let order_events = ["order.created", "order.paid", "order.status_changed", "order.cancelled"];
    let endpoint = register(app, &admin, &receiver.url, &order_events).await;
    let secret = endpoint["secret"].as_str().unwrap();
    assert!(secret.starts_with("whsec_"));
    // The first delivery fails twice: the order's later events wait for it.
    receiver.set(secret, 2).await;

    let order = pipeline.order().await;
    // Created, paid, then one status change per step to delivered.
    let changes = receiver.until("order.status_changed", FULL_TIMELINE.len() - 1).await;
    let received = receiver.received().await;
    let types: Vec<&str> = received.iter().map(|d| d["body"]["type"].as_str().unwrap()).collect();
    assert_eq!(types[..2], ["order.created", "order.paid"], "{types:?}");
    assert_eq!(types.len(), 2 + FULL_TIMELINE.len() - 1, "{types:?}");
    let statuses: Vec<&str> =
        changes.iter().map(|d| d["body"]["data"]["order"]["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, FULL_TIMELINE[1..], "status changes arrive in the order they happened");
    for change in &changes {
        let data = &change["body"]["data"];
        assert_eq!(data["order"]["id"], order.as_str());
        assert_ne!(data["previous_status"], data["order"]["status"]);
    }
    let created = &received[0]["body"];
    assert_eq!(created["data"]["order"]["status"], "pending_payment");
    assert!(created["data"]["order"]["total"].as_i64().unwrap() > 0);
    assert!(created["timestamp"].as_str().unwrap().ends_with('Z'));
    // One webhook-id per event.
    let mut ids: Vec<&str> = received.iter().map(|d| d["id"].as_str().unwrap()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), received.len());
    assert_eq!(receiver.state().await["rejected"], 0);
    assert_eq!(receiver.state().await["failed"], 2);
}

#[tokio::test]
async fn a_failing_receiver_is_retried_logged_and_replayed_under_the_same_id() {
    let pipeline = shop().await;
    let app = &pipeline.api;
    let admin = app.create_admin().await;
    let receiver = Receiver::start().await;
    let endpoint = register(app, &admin, &receiver.url, &["product.updated"]).await;
    let id = endpoint["id"].as_str().unwrap();
    receiver.set(endpoint["secret"].as_str().unwrap(), 2).await;

    let product = app.set_stock("K-001", 10).await;
    let stock = format!("/api/v1/admin/products/{product}/stock");
    let adjust = |delta: i64| {
        app.authed(Method::PATCH, &stock, &admin.access_token).json(&json!({"delta": delta})).send()
    };
    assert_eq!(adjust(-1).await.unwrap().status(), 200);
    let updated = receiver.until("product.updated", 1).await;
    assert_eq!(updated[0]["body"]["data"]["product"]["id"], product.as_str());
    assert_eq!(updated[0]["body"]["data"]["product"]["stock_quantity"], 9);
    assert_eq!(receiver.state().await["failed"], 2);

    // The log: two 500s, then the success, under one webhook-id.
    let path = format!("/api/v1/admin/webhooks/{id}/deliveries");
    let (status, log) = admin_json(app, &admin, Method::GET, &path).await;
    assert_eq!(status, 200);
    let attempts: Vec<&Value> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["event_type"] == "product.updated")
        .collect();
    let codes: Vec<i64> =
        attempts.iter().rev().map(|a| a["status_code"].as_i64().unwrap()).collect();
    assert_eq!(codes, [500, 500, 204], "{log}");
    assert!(attempts.iter().all(|a| a["event_id"] == updated[0]["id"]));
    assert!(attempts[2]["response_excerpt"].as_str().unwrap().contains("told to fail"));
    assert_eq!(attempts[2]["error"], "answered 500");
    assert!(attempts[0]["error"].is_null());

    // A replay delivers the same event under the same webhook-id.
    let replay =
        format!("/api/v1/admin/webhooks/deliveries/{}/replay", attempts[0]["id"].as_str().unwrap());
    let (status, replayed) = admin_json(app, &admin, Method::POST, &replay).await;
    assert_eq!(status, 202);
    assert_eq!(replayed["event_id"], updated[0]["id"]);
    let again = receiver.until("product.updated", 2).await;
    assert_eq!(again[1]["id"], again[0]["id"]);
    assert_eq!(again[1]["body"], again[0]["body"]);
    let (status, _) = admin_json(
        app,
        &admin,
        Method::POST,
        "/api/v1/admin/webhooks/deliveries/0190a3b4-0000-7000-8000-000000000000/replay",
    )
    .await;
    assert_eq!(status, 404);

    // Stock falling from 9 to the threshold (5) or below: inventory.low, once.
    let both = json!({"url": receiver.url, "events": ["product.updated", "inventory.low"]});
    let path = format!("/api/v1/admin/webhooks/{id}");
    let answer =
        app.authed(Method::PUT, &path, &admin.access_token).json(&both).send().await.unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(adjust(-6).await.unwrap().status(), 200);
    assert_eq!(adjust(-1).await.unwrap().status(), 200);
    let low = receiver.until("inventory.low", 1).await;
    assert_eq!(low[0]["body"]["data"]["variant"]["sku"], "K-001");
    assert_eq!(low[0]["body"]["data"]["variant"]["stock_quantity"], 3);
    assert_eq!(low[0]["body"]["data"]["threshold"], 5);
    receiver.until("product.updated", 4).await;
    assert_eq!(receiver.until("inventory.low", 1).await.len(), 1, "only the crossing is low");
}

#[tokio::test]
async fn a_rotated_secret_signs_beside_the_old_one_for_a_day() {
    let pipeline = shop().await;
    let app = &pipeline.api;
    let admin = app.create_admin().await;
    let receiver = Receiver::start().await;
    let endpoint = register(app, &admin, &receiver.url, &["product.updated"]).await;
    let old = endpoint["secret"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/admin/webhooks/{}/rotate-secret", endpoint["id"].as_str().unwrap());
    let (status, rotated) = admin_json(app, &admin, Method::POST, &path).await;
    assert_eq!(status, 200);
    let new = rotated["secret"].as_str().unwrap();
    assert!(new.starts_with("whsec_") && new != old);
    let until: chrono::DateTime<chrono::Utc> =
        rotated["previous_secret_valid_until"].as_str().unwrap().parse().unwrap();
    let left = until - chrono::Utc::now();
    assert!(left > chrono::Duration::hours(23) && left <= chrono::Duration::hours(24), "{left}");

    let product = app.set_stock("K-001", 100).await;
    let touch = |delta: i64| {
        app.authed(
            Method::PATCH,
            &format!("/api/v1/admin/products/{product}/stock"),
            &admin.access_token,
        )
        .json(&json!({"delta": delta}))
        .send()
    };
    // A receiver still on the old secret verifies, and so does one on the new.
    receiver.set(&old, 0).await;
    assert_eq!(touch(1).await.unwrap().status(), 200);
    let first = receiver.until("product.updated", 1).await;
    assert_eq!(first[0]["signatures"], 2);
    receiver.set(new, 0).await;
    assert_eq!(touch(1).await.unwrap().status(), 200);
    receiver.until("product.updated", 2).await;
    assert_eq!(receiver.state().await["rejected"], 0);
}

#[tokio::test]
async fn endpoints_inside_the_network_are_refused_when_saved_and_when_sent() {
    let app = TestApp::spawn().await;
    let admin = app.create_admin().await;
    for url in [
        "http://127.0.0.1:9000/hook",
        "http://localhost:9000/hook",
        "http://[::1]/hook",
        "http://10.0.0.7/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://2130706433/hook",
    ] {
        let answer = app
            .authed(Method::POST, "/api/v1/admin/webhooks", &admin.access_token)
            .json(&json!({"url": url, "events": ["order.created"]}))
            .send()
            .await
            .unwrap();
        let error = error_of(answer, 422).await;
        assert_eq!(error.code, "forbidden_destination", "{url}");
        assert!(error.fields.as_ref().is_some_and(|f| f.contains_key("url")), "{url}: {error:?}");
    }
    for (body, field) in [
        (json!({"url": "ftp://example.com/x", "events": ["order.created"]}), "url"),
        (json!({"url": "https://example.com/x", "events": []}), "events"),
        (json!({"url": "https://example.com/x", "events": ["order.exploded"]}), "events"),
    ] {
        let answer = app
            .authed(Method::POST, "/api/v1/admin/webhooks", &admin.access_token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let error = error_of(answer, 422).await;
        assert!(names_field(&error, field), "{body}: {error:?}");
    }
    let (_, list) = admin_json(&app, &admin, Method::GET, "/api/v1/admin/webhooks").await;
    assert_eq!(list["total"], 0, "nothing was written");

    // An endpoint saved where this machine was allowed is still refused by
    // an instance where it is not, when it delivers.
    let receiver = Receiver::start().await;
    let allowing =
        TestApp::spawn_shop_with(|env| env.set("WEBHOOK_ALLOWED_HOSTS", "127.0.0.1")).await;
    let strict_admin = allowing.create_admin().await;
    let endpoint = register(&allowing, &strict_admin, &receiver.url, &["product.deleted"]).await;
    receiver.set(endpoint["secret"].as_str().unwrap(), 0).await;
    let strict =
        allowing.spawn_sibling(|env| Pipeline::api_env(env, free_port(), free_port())).await;
    let product = strict.set_stock("K-001", 5).await;
    let deleted = strict
        .authed(
            Method::DELETE,
            &format!("/api/v1/admin/products/{product}"),
            &strict_admin.access_token,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    let path = format!("/api/v1/admin/webhooks/{}/deliveries", endpoint["id"].as_str().unwrap());
    wait_for(Duration::from_secs(10), || async {
        let (_, log) = admin_json(&strict, &strict_admin, Method::GET, &path).await;
        log["total"].as_i64().unwrap_or(0) > 0
    })
    .await;
    let (_, log) = admin_json(&strict, &strict_admin, Method::GET, &path).await;
    let error = log["items"][0]["error"].as_str().unwrap();
    assert!(error.contains("not a public address"), "{error}");
    assert!(log["items"][0]["status_code"].is_null());
    assert!(receiver.received().await.is_empty());
}

#[tokio::test]
async fn an_endpoint_that_keeps_failing_is_disabled_and_its_queue_dropped() {
    let pipeline = Pipeline::api_only(|env| {
        env.set("WEBHOOK_ALLOWED_HOSTS", "127.0.0.1");
        env.set("WEBHOOK_DISABLE_AFTER", "200ms");
    })
    .await;
    let _worker = pipeline.start_worker().await;
    let app = &pipeline.api;
    let admin = app.create_admin().await;
    let receiver = Receiver::start().await;
    let endpoint = register(app, &admin, &receiver.url, &["product.updated"]).await;
    let id = endpoint["id"].as_str().unwrap();
    receiver.set(endpoint["secret"].as_str().unwrap(), 1000).await;
    let product = app.set_stock("K-001", 100).await;
    for _ in 0..3 {
        let answer = app
            .authed(
                Method::PATCH,
                &format!("/api/v1/admin/products/{product}/stock"),
                &admin.access_token,
            )
            .json(&json!({"delta": 1}))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200);
    }
    let path = format!("/api/v1/admin/webhooks/{id}");
    wait_for(Duration::from_secs(15), || async {
        admin_json(app, &admin, Method::GET, &path).await.1["enabled"] == false
    })
    .await;
    let (_, disabled) = admin_json(app, &admin, Method::GET, &path).await;
    assert!(disabled["disabled_reason"].as_str().unwrap().contains("failed"));
    assert!(disabled["failing_since"].is_string());
    // The admins are told, by email.
    wait_for(Duration::from_secs(10), || async {
        pipeline.all_emails().iter().any(|(_, text)| text.contains("webhook endpoint was disabled"))
    })
    .await;
    let emails = pipeline.all_emails();
    let (_, raw) =
        emails.iter().find(|(_, text)| text.contains("webhook endpoint was disabled")).unwrap();
    assert!(raw.contains(&format!("<{}>", admin.email)), "{raw}");
    let parsed = mail_parser::MessageParser::default().parse(raw.as_bytes()).unwrap();
    let notice = parsed.body_text(0).unwrap().into_owned();
    assert!(notice.contains(&receiver.url), "{notice}");
    assert!(notice.contains(&format!("/api/v1/admin/webhooks/{id}/deliveries")), "{notice}");
    // Nothing more is sent to it, and nothing is queued for it.
    let failed = receiver.state().await["failed"].clone();
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(receiver.state().await["failed"], failed);
    let waiting: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM outbox WHERE kind = 'webhook' AND sent_at IS NULL AND dead_at IS NULL",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(waiting, 0);
    // Enabled again, it starts afresh.
    let enable = app
        .authed(Method::PUT, &path, &admin.access_token)
        .json(&json!({"url": receiver.url, "events": ["product.updated"], "enabled": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(enable.status(), 200);
    let enabled: Value = enable.json().await.unwrap();
    assert_eq!(
        (enabled["enabled"].clone(), enabled["failing_since"].clone()),
        (json!(true), Value::Null)
    );
}

#[tokio::test]
async fn maintenance_forgets_delivery_attempts_after_a_month() {
    let app = TestApp::spawn().await;
    let endpoint: uuid::Uuid = sqlx::query_scalar(
        "INSERT INTO webhook_endpoints (id, url, events, secret)
         VALUES (gen_random_uuid(), 'https://erp.example.com/hook', '{order.paid}', 'whsec_x')
         RETURNING id",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    for age in ["31 days", "29 days"] {
        sqlx::query(
            "INSERT INTO webhook_deliveries (id, endpoint_id, outbox_id, event_id, event_type,
                                             attempt, latency_ms, created_at)
             VALUES (gen_random_uuid(), $1, gen_random_uuid(), 'msg_1', 'order.paid', 1, 5,
                     now() - $2::interval)",
        )
        .bind(endpoint)
        .bind(age)
        .execute(&app.db)
        .await
        .unwrap();
    }
    let report = gokart_api::maintenance::run(&app.state(&[])).await.unwrap();
    assert_eq!(report.webhook_deliveries_purged, 1);
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM webhook_deliveries")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(left, 1, "the recent attempt stays");
}
