//! Faults injected under load: database connections cut in the middle of
//! checkouts, a worker slower than the queue waits, the API killed with
//! SIGKILL and started again. After each: every customer's cart became
//! exactly one order, stock adds up exactly, every paid order is delivered
//! once, and no email is written twice.

use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;

use crate::helpers::{TestApp, TestUser, add_to_cart, checkout_body, free_port};
use crate::pipeline::{Pipeline, Worker};

/// `count` customers, each with `units` of `product` in the cart.
async fn shoppers(
    app: &TestApp,
    product: &str,
    count: usize,
    units: i64,
) -> Vec<(TestUser, String)> {
    let mut shoppers = Vec::with_capacity(count);
    for _ in 0..count {
        let (user, address) = app.customer().await;
        add_to_cart(app, &user, product, units).await;
        shoppers.push((user, address));
    }
    shoppers
}

/// Checks out until the cart is an order: retried while the answer is a
/// 503 or no answer at all (the API is down); a 409 `cart_empty` means an
/// earlier attempt went through after all. Any other answer fails the test.
async fn check_out_until_placed(url: String, token: String, address: String) -> Vec<u16> {
    let client = reqwest::Client::new();
    let mut seen = Vec::new();
    for _ in 0..200 {
        let sent = client
            .post(format!("{url}/api/v1/orders"))
            .bearer_auth(&token)
            .json(&checkout_body(&address))
            .timeout(Duration::from_secs(10))
            .send()
            .await;
        let Ok(response) = sent else {
            seen.push(0);
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let status = response.status().as_u16();
        seen.push(status);
        let body: Value = response.json().await.unwrap_or_default();
        match status {
            201 => return seen,
            409 if body["error"]["code"] == "cart_empty" => return seen,
            503 => tokio::time::sleep(Duration::from_millis(50)).await,
            _ => panic!("checkout answered {status}: {body}"),
        }
    }
    panic!("the checkout never went through: {seen:?}");
}

/// Stock adds up: what is left plus what was sold is what there was, and
/// every customer has exactly one order of `units`.
async fn assert_stock_adds_up(
    app: &TestApp,
    sku: &str,
    initial: i64,
    customers: usize,
    units: i64,
) {
    let left: i64 =
        sqlx::query_scalar("SELECT stock_quantity::int8 FROM product_variants WHERE sku = $1")
            .bind(sku)
            .fetch_one(&app.db)
            .await
            .unwrap();
    let sold: i64 = sqlx::query_scalar(
        "SELECT COALESCE(sum(quantity), 0)::int8 FROM order_items i JOIN product_variants v ON v.id = i.variant_id
         WHERE v.sku = $1",
    )
    .bind(sku)
    .fetch_one(&app.db)
    .await
    .unwrap();
    let per_customer: Vec<i64> =
        sqlx::query_scalar("SELECT count(*) FROM orders GROUP BY user_id ORDER BY 1")
            .fetch_all(&app.db)
            .await
            .unwrap();
    assert_eq!(per_customer.len(), customers, "every customer has an order");
    assert!(per_customer.iter().all(|n| *n == 1), "one order each: {per_customer:?}");
    assert_eq!(sold, customers as i64 * units, "each order sold its units once");
    assert_eq!(left + sold, initial, "initial stock = current stock + sold units");
}

/// Each order's queued work: one warehouse task and one email per status
/// reached, never two.
async fn assert_queued_once(app: &TestApp) {
    let repeated: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT kind, payload
                               FROM outbox GROUP BY 1, 2 HAVING count(*) > 1) AS twice",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(repeated, 0, "no task or email queued twice");
}

#[tokio::test]
async fn database_connections_cut_under_checkout_load_lose_and_double_nothing() {
    let app = TestApp::spawn_shop().await;
    let kettle = app.set_stock("K-001", 1000).await;
    let customers = shoppers(&app, &kettle, 24, 2).await;

    let mut checkouts = tokio::task::JoinSet::new();
    for (user, address) in customers {
        checkouts.spawn(check_out_until_placed(app.address.clone(), user.access_token, address));
    }
    // Cut every connection the API holds, again and again, while they run.
    let mut cuts = 0;
    while !checkouts.is_empty() && cuts < 20 {
        let cut: Vec<bool> = sqlx::query_scalar(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
        .fetch_all(&app.db)
        .await
        .unwrap_or_default();
        cuts += usize::from(!cut.is_empty());
        tokio::time::sleep(Duration::from_millis(30)).await;
        if cuts >= 5 {
            break;
        }
    }
    let answers: Vec<Vec<u16>> = checkouts.join_all().await;

    assert!(cuts >= 1, "no connection was ever cut");
    let all: Vec<u16> = answers.concat();
    assert!(all.iter().all(|s| matches!(s, 201 | 409 | 503)), "{all:?}");
    assert_stock_adds_up(&app, "K-001", 1000, 24, 2).await;
    assert_queued_once(&app).await;
    let in_carts: i64 =
        sqlx::query_scalar("SELECT count(*) FROM cart_items").fetch_one(&app.db).await.unwrap();
    assert_eq!(in_carts, 0, "every cart became its order");
}

#[tokio::test]
async fn a_worker_slower_than_the_dispatch_deadline_still_delivers_each_order_once() {
    let pipeline = Pipeline::api_only(|env| env.set("TASK_DISPATCH_DEADLINE", "1s")).await;
    let slow = [
        ("WAREHOUSE_PROCESSING_TIME", "1500ms"),
        ("SHIPPING_PROCESSING_TIME", "1500ms"),
        ("DELIVERY_PROCESSING_TIME", "1500ms"),
    ];
    let _worker =
        Worker::start(pipeline.worker_port, &pipeline.api.address, &pipeline.mail_dir, &slow).await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(pipeline.order().await);
    }

    pipeline.wait_until_delivered_within(&ids, Duration::from_secs(60)).await;

    for id in &ids {
        assert_eq!(pipeline.timeline(id).await, crate::pipeline::FULL_TIMELINE, "{id}");
    }
    let emails = pipeline.emails();
    assert_eq!(emails.len(), 15, "five emails per order, none twice");
    let timed_out: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM outbox WHERE kind <> 'notification' AND attempts > 1",
    )
    .fetch_one(&pipeline.api.db)
    .await
    .unwrap();
    assert!(timed_out > 0, "the queue did give up waiting and sent steps again");
    assert_queued_once(&pipeline.api).await;
}

/// The real `api` binary, serving the test database on `port`.
fn api_process(app: &TestApp, port: u16, worker_port: u16) -> tokio::process::Child {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_api"))
        .arg("serve")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", &app.database_url)
        .env("PORT", port.to_string())
        .env("PUBLIC_URL", format!("http://127.0.0.1:{port}"))
        .env("MEGA_WORKER_URL", format!("http://127.0.0.1:{worker_port}"))
        .env("JWT_SECRET", crate::helpers::TEST_JWT_SECRET)
        .env("RUN_MIGRATIONS", "false")
        .env("MAINTENANCE_INTERVAL", "off")
        .env("RELAY_SWEEP_INTERVAL", "100ms")
        .env("RELAY_BACKOFF_MIN", "50ms")
        .env("RELAY_BACKOFF_MAX", "300ms")
        .env("TASK_DISPATCH_DEADLINE", "5s")
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap()
}

const CUSTOMERS: usize = 40;

#[tokio::test]
async fn the_api_killed_mid_checkout_and_the_worker_stopped_mid_pipeline_lose_and_double_nothing() {
    let pipeline = Pipeline::api_only(|env| env.set("RELAY_ENABLED", "false")).await;
    let app = &pipeline.api;
    let kettle = app.set_stock("K-001", 500).await;
    let customers = shoppers(app, &kettle, CUSTOMERS, 3).await;
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let mut api = api_process(app, port, pipeline.worker_port);
    let mut worker = Some(Worker::start(pipeline.worker_port, &url, &pipeline.mail_dir, &[]).await);
    crate::pipeline::wait_for(Duration::from_secs(10), || async {
        reqwest::get(format!("{url}/readyz")).await.is_ok_and(|r| r.status() == 200)
    })
    .await;

    let mut checkouts = tokio::task::JoinSet::new();
    for (user, address) in customers {
        checkouts.spawn(check_out_until_placed(url.clone(), user.access_token, address));
    }
    // Kill the API with SIGKILL once orders are coming in, with checkouts
    // and the pipeline in flight, and stop the worker with its tasks in
    // flight; then start both again.
    crate::pipeline::wait_for(Duration::from_secs(20), || async {
        let placed: i64 =
            sqlx::query_scalar("SELECT count(*) FROM orders").fetch_one(&app.db).await.unwrap();
        placed >= 5
    })
    .await;
    api.start_kill().unwrap();
    api.wait().await.unwrap();
    let placed_before: i64 =
        sqlx::query_scalar("SELECT count(*) FROM orders").fetch_one(&app.db).await.unwrap();
    let unsent_before = pipeline.unsent().await;
    worker.take();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut api = api_process(app, port, pipeline.worker_port);
    let _worker = Worker::start(pipeline.worker_port, &url, &pipeline.mail_dir, &[]).await;
    let answers: Vec<Vec<u16>> = checkouts.join_all().await;

    let all: Vec<u16> = answers.concat();
    assert!(all.iter().all(|s| matches!(s, 0 | 201 | 409 | 503)), "{all:?}");
    assert!(
        placed_before < CUSTOMERS as i64 || unsent_before > 0,
        "the kill came after all the work: {placed_before} orders, {unsent_before} unsent"
    );
    assert_stock_adds_up(app, "K-001", 500, CUSTOMERS, 3).await;
    let ids: Vec<String> =
        sqlx::query_scalar("SELECT id::text FROM orders").fetch_all(&app.db).await.unwrap();
    assert_eq!(ids.len(), CUSTOMERS);
    pipeline.wait_until_delivered_within(&ids, Duration::from_secs(60)).await;
    for id in &ids {
        assert_eq!(pipeline.timeline(id).await, crate::pipeline::FULL_TIMELINE, "{id}");
    }
    assert_eq!(pipeline.emails().len(), CUSTOMERS * 5, "five emails per order, none twice");
    assert_queued_once(app).await;
    api.start_kill().unwrap();
}
