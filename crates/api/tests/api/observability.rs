//! One order's journey is one trace across both services, and the metrics
//! on their own ports tell what happened.

use serde_json::Value;

use crate::helpers::checkout_body;
use crate::pipeline::{Pipeline, Worker};

/// The metric lines that start with `prefix`.
async fn scrape(address: &str, prefix: &str) -> Vec<String> {
    let response = reqwest::get(format!("{address}/metrics")).await.unwrap();
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(content_type.starts_with("application/openmetrics-text"), "{content_type}");
    let text = response.text().await.unwrap();
    text.lines().filter(|line| line.starts_with(prefix)).map(str::to_owned).collect()
}

#[tokio::test]
async fn an_orders_journey_is_one_trace_and_the_metrics_count_every_step() {
    let pipeline = Pipeline::api_only(|env| env.set("METRICS_PORT", "0")).await;
    let worker = Worker::start(
        pipeline.worker_port,
        &pipeline.api.address,
        &pipeline.mail_dir,
        &[("METRICS_PORT", "0")],
    )
    .await;
    let (user, address) = pipeline.shopper().await;
    let trace = "0af7651916cd43dd8448eb211c80319c";

    let response = pipeline
        .api
        .authed(reqwest::Method::POST, "/api/v1/orders", &user.access_token)
        .header("traceparent", format!("00-{trace}-b7ad6b7169203331-01"))
        .json(&checkout_body(&address))
        .send()
        .await
        .unwrap();
    let order: Value = response.json().await.unwrap();
    let id = order["id"].as_str().unwrap().to_owned();
    pipeline.wait_until_delivered(std::slice::from_ref(&id)).await;

    // Rows queued by the checkout, and by each report the worker sent back
    // (which only carry the trace if the worker passed it on), all carry it.
    let traces: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT kind, trace_id FROM outbox WHERE payload->>'order_id' = $1 ORDER BY id",
    )
    .bind(&id)
    .fetch_all(&pipeline.api.db)
    .await
    .unwrap();
    let kinds: Vec<&str> = traces.iter().map(|(kind, _)| kind.as_str()).collect();
    assert_eq!(kinds.iter().filter(|kind| **kind == "notification").count(), 5, "{kinds:?}");
    for step in ["warehouse", "shipping", "delivery"] {
        assert!(kinds.contains(&step), "{kinds:?}");
    }
    assert!(traces.iter().all(|(_, t)| t.as_deref() == Some(trace)), "{traces:?}");

    let api = pipeline.api.metrics_address.as_deref().unwrap();
    let sent = scrape(api, "task_sends_total{").await;
    for (kind, count) in [("warehouse", 1), ("shipping", 1), ("delivery", 1), ("notification", 5)] {
        let line = format!(r#"task_sends_total{{kind="{kind}",outcome="sent"}} {count}"#);
        assert!(sent.contains(&line), "{line} not in {sent:?}");
    }
    assert_eq!(scrape(api, "orders{").await, [r#"orders{status="delivered"} 1"#]);
    assert_eq!(scrape(api, "outbox_pending ").await, ["outbox_pending 0"]);
    let checkouts = scrape(api, "http_requests_total{").await;
    let line = r#"http_requests_total{method="POST",route="/api/v1/orders",status="201"} 1"#;
    assert!(checkouts.iter().any(|l| l == line), "{checkouts:?}");
    let reports = scrape(api, "http_request_duration_seconds_count{").await;
    let line = r#"route="/api/v1/internal/orders/{id}/status""#;
    assert!(reports.iter().any(|l| l.contains(line)), "{reports:?}");
    assert_eq!(scrape(api, r#"db_pool_connections{pool="relay""#).await.len(), 2);

    let worker_metrics = worker.metrics.as_deref().unwrap();
    let tasks = scrape(worker_metrics, "http_requests_total{").await;
    for (step, count) in [("warehouse", 1), ("shipping", 1), ("delivery", 1), ("notification", 5)] {
        let line = format!(
            r#"http_requests_total{{method="POST",route="/tasks/{step}",status="200"}} {count}"#
        );
        assert!(tasks.contains(&line), "{line} not in {tasks:?}");
    }
    // The public port does not serve them.
    assert_eq!(pipeline.api.get("/metrics").await.status(), 404);
}
