//! The fulfillment pipeline end to end: the real API (outbox relay, local
//! dispatcher) and the real worker, over real HTTP, with zero processing
//! times; and what happens when parts of it fail.

use std::path::{Path, PathBuf};
use std::time::Duration;

use gokart_edge::Env;
use gokart_mega_worker::{WorkerConfig, startup};
use serde_json::Value;
use tokio::sync::oneshot;

use crate::helpers::{TestApp, TestUser, add_to_cart, checkout, free_port};

/// A running worker; stopped when dropped.
pub struct Worker {
    stop: Option<oneshot::Sender<()>>,
    /// `http://` address of its metrics, when METRICS_PORT was given.
    pub metrics: Option<String>,
}

impl Worker {
    /// The worker on `port`, reporting to the API at `api_url`, writing mail to `mail_dir`.
    pub async fn start(
        port: u16,
        api_url: &str,
        mail_dir: &Path,
        extra: &[(&str, &str)],
    ) -> Worker {
        let mut env = Env::from_pairs([
            ("PORT", port.to_string()),
            ("PUBLIC_URL", format!("http://127.0.0.1:{port}")),
            ("ECOMMERCE_API_URL", api_url.to_owned()),
            ("MAIL_DIR", mail_dir.display().to_string()),
            ("WAREHOUSE_PROCESSING_TIME", "0s".into()),
            ("SHIPPING_PROCESSING_TIME", "0s".into()),
            ("DELIVERY_PROCESSING_TIME", "0s".into()),
        ]);
        for (name, value) in extra {
            env.set(*name, *value);
        }
        let server = startup::build(WorkerConfig::from_env(&env).unwrap()).await.unwrap();
        let metrics = server.metrics_addr().map(|address| format!("http://{address}"));
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(server.run_until(async move {
            let _ = stopped.await;
        }));
        Worker { stop: Some(stop), metrics }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// The API and the worker wired to each other on fixed ports.
pub struct Pipeline {
    pub api: TestApp,
    pub api_port: u16,
    pub worker_port: u16,
    pub mail_dir: PathBuf,
}

impl Pipeline {
    /// API settings that relay quickly to the worker on `worker_port`.
    pub fn api_env(env: &mut Env, api_port: u16, worker_port: u16) {
        env.set("PORT", api_port.to_string());
        env.set("PUBLIC_URL", format!("http://127.0.0.1:{api_port}"));
        env.set("MEGA_WORKER_URL", format!("http://127.0.0.1:{worker_port}"));
        env.set("RELAY_ENABLED", "true");
        env.set("RELAY_SWEEP_INTERVAL", "100ms");
        env.set("RELAY_BACKOFF_MIN", "50ms");
        env.set("RELAY_BACKOFF_MAX", "300ms");
        env.set("TASK_DISPATCH_DEADLINE", "10s");
    }

    /// The API with the demo catalog, relaying to a worker that is not
    /// started yet.
    pub async fn api_only(configure: impl FnOnce(&mut Env)) -> Pipeline {
        let (api_port, worker_port) = (free_port(), free_port());
        let api = TestApp::spawn_shop_with(|env| {
            Pipeline::api_env(env, api_port, worker_port);
            configure(env);
        })
        .await;
        let mail_dir = std::env::temp_dir().join(format!("gokart-mail-{}", uuid::Uuid::new_v4()));
        Pipeline { api, api_port, worker_port, mail_dir }
    }

    /// Starts the worker for this pipeline.
    pub async fn start_worker(&self) -> Worker {
        Worker::start(self.worker_port, &self.api.address, &self.mail_dir, &[]).await
    }

    /// A customer with one kettle in their cart, ready to check out. Their
    /// verification email counts as sent: the tests here follow orders.
    pub async fn shopper(&self) -> (TestUser, String) {
        let kettle = self.api.set_stock("K-001", 1000).await;
        let (user, address) = self.api.customer().await;
        sqlx::query("UPDATE outbox SET sent_at = now() WHERE kind = 'account_email'")
            .execute(&self.api.db)
            .await
            .unwrap();
        add_to_cart(&self.api, &user, &kettle, 1).await;
        (user, address)
    }

    /// Places an order for a new customer; its id.
    pub async fn order(&self) -> String {
        let (user, address) = self.shopper().await;
        let response = checkout(&self.api, &user, &address).await;
        assert_eq!(response.status(), 201);
        let order: Value = response.json().await.unwrap();
        order["id"].as_str().unwrap().to_owned()
    }

    /// The order emails written so far, as (file name, contents).
    pub fn emails(&self) -> Vec<(String, String)> {
        let mut emails = self.all_emails();
        emails.retain(|(_, text)| text.contains("\nSubject: Order "));
        emails
    }

    /// Every email written so far (account links too), as (file name, contents).
    pub fn all_emails(&self) -> Vec<(String, String)> {
        let Ok(entries) = std::fs::read_dir(&self.mail_dir) else { return Vec::new() };
        let mut emails: Vec<_> = entries
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "eml"))
            .map(|path| {
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                (name, std::fs::read_to_string(&path).unwrap())
            })
            .collect();
        emails.sort();
        emails
    }

    /// Waits until every order in `ids` is delivered and the outbox is empty.
    pub async fn wait_until_delivered(&self, ids: &[String]) {
        self.wait_until_delivered_within(ids, Duration::from_secs(30)).await;
    }

    /// The same, waiting at most `limit`.
    pub async fn wait_until_delivered_within(&self, ids: &[String], limit: Duration) {
        wait_for(limit, || async {
            let delivered: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM orders WHERE id::text = ANY($1) AND status = 'delivered'",
            )
            .bind(ids)
            .fetch_one(&self.api.db)
            .await
            .unwrap();
            delivered == ids.len() as i64 && self.unsent().await == 0
        })
        .await;
    }

    /// Waits until every order in `ids` is delivered, then checks each went
    /// through every step once and its customer got one email per step.
    pub async fn assert_delivered_once(&self, ids: &[String]) {
        self.wait_until_delivered(ids).await;
        for id in ids {
            assert_eq!(self.timeline(id).await, FULL_TIMELINE);
        }
        assert_eq!(self.emails().len(), ids.len() * 5, "one email per step and order");
    }

    /// Outbox rows not yet sent (dead letters included).
    pub async fn unsent(&self) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM outbox WHERE sent_at IS NULL")
            .fetch_one(&self.api.db)
            .await
            .unwrap()
    }

    /// The statuses in an order's timeline, oldest first.
    pub async fn timeline(&self, id: &str) -> Vec<String> {
        sqlx::query_scalar("SELECT status FROM order_events WHERE order_id::text = $1 ORDER BY id")
            .bind(id)
            .fetch_all(&self.api.db)
            .await
            .unwrap()
    }
}

impl Drop for Pipeline {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.mail_dir);
    }
}

/// Polls `done` until it holds, failing the test after `limit`.
pub async fn wait_for<F, Fut>(limit: Duration, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + limit;
    while !done().await {
        assert!(tokio::time::Instant::now() < deadline, "condition not met within {limit:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub const FULL_TIMELINE: [&str; 6] =
    ["pending_payment", "confirmed", "processing", "shipped", "out_for_delivery", "delivered"];

#[tokio::test]
async fn a_paid_order_is_delivered_with_its_full_timeline_and_one_email_per_step() {
    let pipeline = Pipeline::api_only(|_| {}).await;
    let _worker = pipeline.start_worker().await;
    let (user, address) = pipeline.shopper().await;

    let response = checkout(&pipeline.api, &user, &address).await;
    let order: Value = response.json().await.unwrap();
    let id = order["id"].as_str().unwrap().to_owned();
    pipeline.wait_until_delivered(std::slice::from_ref(&id)).await;

    let seen: Value = pipeline
        .api
        .authed(reqwest::Method::GET, &format!("/api/v1/orders/{id}"), &user.access_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(seen["status"], "delivered");
    let timeline: Vec<&str> = seen["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["status"].as_str().unwrap())
        .collect();
    assert_eq!(timeline, FULL_TIMELINE);
    let tracking = seen["tracking_number"].as_str().unwrap();
    assert!(tracking.starts_with("TRK-"), "{tracking}");
    assert!(seen["estimated_delivery_date"].is_string());

    let emails = pipeline.emails();
    let subjects: Vec<String> = emails
        .iter()
        .map(|(_, eml)| eml.lines().find_map(|l| l.strip_prefix("Subject: ")).unwrap().to_owned())
        .collect();
    let number = seen["order_number"].as_str().unwrap();
    let mut expected = [
        format!("Order {number} confirmed"),
        format!("Order {number} packed"),
        format!("Order {number} shipped"),
        format!("Order {number} is out for delivery"),
        format!("Order {number} delivered"),
    ];
    expected.sort();
    let mut subjects = subjects;
    subjects.sort();
    assert_eq!(subjects, expected, "one email per step, each once");
    assert!(emails.iter().all(|(_, eml)| eml.contains(&format!("<{}>", user.email))));
}

#[tokio::test]
async fn orders_placed_while_the_worker_is_down_are_delivered_once_it_starts() {
    let pipeline = Pipeline::api_only(|_| {}).await;
    let ids = [pipeline.order().await, pipeline.order().await, pipeline.order().await];
    // The relay keeps trying and records why it cannot send.
    wait_for(Duration::from_secs(10), || async {
        let failing: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM outbox WHERE attempts > 1 AND last_error LIKE 'worker unreachable%'",
        )
        .fetch_one(&pipeline.api.db)
        .await
        .unwrap();
        failing > 0
    })
    .await;

    let _worker = pipeline.start_worker().await;

    pipeline.assert_delivered_once(&ids).await;
}

#[tokio::test]
async fn a_task_delivered_twice_changes_the_order_once_and_emails_once() {
    let pipeline = Pipeline::api_only(|_| {}).await;
    let _worker = pipeline.start_worker().await;
    let id = pipeline.order().await;
    pipeline.wait_until_delivered(std::slice::from_ref(&id)).await;
    let emails = pipeline.emails();

    // Every task for the order is sent again, under the same names, as a
    // queue does after losing an acknowledgement.
    sqlx::query("UPDATE outbox SET sent_at = NULL, available_at = now()")
        .execute(&pipeline.api.db)
        .await
        .unwrap();
    wait_for(Duration::from_secs(20), || async { pipeline.unsent().await == 0 }).await;

    assert_eq!(pipeline.timeline(&id).await, FULL_TIMELINE);
    assert_eq!(pipeline.emails(), emails, "no email is sent twice");
}

#[tokio::test]
async fn work_committed_by_an_api_that_died_before_sending_is_delivered_after_restart() {
    // This instance commits orders but dies before relaying anything, one
    // of its rows mid-send (leased).
    let mut first = Pipeline::api_only(|env| env.set("RELAY_ENABLED", "false")).await;
    let _worker = first.start_worker().await;
    let ids = [first.order().await, first.order().await];
    sqlx::query(
        "UPDATE outbox SET attempts = 1, available_at = now() + interval '1 second'
         WHERE id = (SELECT id FROM outbox WHERE kind <> 'account_email' ORDER BY id LIMIT 1)",
    )
    .execute(&first.api.db)
    .await
    .unwrap();
    first.api.stop().await.unwrap();
    let order_work: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM outbox WHERE sent_at IS NULL AND kind <> 'account_email'",
    )
    .fetch_one(&first.api.db)
    .await
    .unwrap();
    assert_eq!(order_work, 4, "two steps and two order emails wait in the outbox");

    let (port, worker_port) = (first.api_port, first.worker_port);
    let _restarted = first.api.spawn_sibling(|env| Pipeline::api_env(env, port, worker_port)).await;

    first.assert_delivered_once(&ids).await;
}

#[tokio::test]
async fn a_worker_that_keeps_failing_leaves_a_dead_letter_an_admin_can_retry() {
    let pipeline = Pipeline::api_only(|env| env.set("OUTBOX_MAX_ATTEMPTS", "2")).await;
    let id = pipeline.order().await;
    wait_for(Duration::from_secs(10), || async {
        let dead: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox WHERE dead_at IS NOT NULL")
            .fetch_one(&pipeline.api.db)
            .await
            .unwrap();
        dead == 2
    })
    .await;
    let admin = pipeline.api.create_admin().await;

    let listed: Value = pipeline
        .api
        .authed(reqwest::Method::GET, "/api/v1/admin/dead-letters", &admin.access_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["total"], 2);
    let letter = &listed["items"][0];
    assert_eq!(letter["attempts"], 2);
    assert!(letter["last_error"].as_str().unwrap().contains("worker unreachable"));
    assert_eq!(letter["payload"]["order_id"], id.as_str());

    let _worker = pipeline.start_worker().await;
    for item in listed["items"].as_array().unwrap() {
        let retried = pipeline
            .api
            .authed(
                reqwest::Method::POST,
                &format!("/api/v1/admin/dead-letters/{}/retry", item["id"].as_str().unwrap()),
                &admin.access_token,
            )
            .send()
            .await
            .unwrap();
        assert_eq!(retried.status(), 200);
    }
    pipeline.wait_until_delivered(std::slice::from_ref(&id)).await;
}

#[tokio::test]
async fn a_row_whose_sends_never_report_back_becomes_a_dead_letter() {
    let pipeline = Pipeline::api_only(|env| {
        env.set("OUTBOX_MAX_ATTEMPTS", "3");
        env.set("RELAY_ENABLED", "false");
    })
    .await;
    pipeline.order().await;
    // Three claims whose sender died before recording anything.
    sqlx::query("UPDATE outbox SET attempts = 3 WHERE kind = 'warehouse'")
        .execute(&pipeline.api.db)
        .await
        .unwrap();
    let (port, worker_port) = (free_port(), pipeline.worker_port);
    let _relay = pipeline
        .api
        .spawn_sibling(|env| {
            Pipeline::api_env(env, port, worker_port);
            env.set("OUTBOX_MAX_ATTEMPTS", "3");
        })
        .await;

    wait_for(Duration::from_secs(10), || async {
        let error: Option<String> = sqlx::query_scalar(
            "SELECT last_error FROM outbox WHERE kind = 'warehouse' AND dead_at IS NOT NULL",
        )
        .fetch_optional(&pipeline.api.db)
        .await
        .unwrap()
        .flatten();
        error.is_some_and(|error| error.contains("no outcome recorded after 3 attempts"))
    })
    .await;
}
