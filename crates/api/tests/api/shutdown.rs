//! Graceful shutdown: stop accepting, finish what is in flight.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use tokio::sync::Notify;

use crate::helpers::TestApp;

#[tokio::test]
async fn shutdown_finishes_in_flight_requests_then_refuses_new_ones() {
    let started = Arc::new(Notify::new());
    let signal = started.clone();
    let slow = get(move || {
        let signal = signal.clone();
        async move {
            signal.notify_one();
            tokio::time::sleep(Duration::from_millis(500)).await;
            "finished"
        }
    });
    let mut app = TestApp::spawn_with(|_| {}, Router::new().route("/probe/slow", slow)).await;
    let request = app.client.get(app.url("/probe/slow")).send();
    let in_flight = tokio::spawn(request);
    started.notified().await;

    app.stop().await.unwrap();
    let response = in_flight.await.unwrap().unwrap();
    let after = reqwest::Client::new().get(app.url("/healthz")).send().await;

    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "finished");
    assert!(after.is_err(), "a stopped server must refuse connections");
}
