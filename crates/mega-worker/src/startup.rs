//! Building the worker: state, router and listener.

use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use gokart_edge::http::Server;
use gokart_edge::metrics::Metrics;

use crate::config::WorkerConfig;
use crate::routes;
use crate::state::WorkerState;

/// Builds the worker, bound and ready to serve.
pub async fn build(config: WorkerConfig) -> anyhow::Result<Server> {
    let address = config.server.bind_address();
    let server_config = config.server.clone();
    let state = WorkerState::new(config)?;
    let server = Server::bind(&server_config, routes::router(state), None)
        .await
        .map_err(|err| anyhow::anyhow!("cannot listen on {address}: {err}"))?;
    // The HTTP metrics tell the tasks' story: one route per step, by status.
    let metrics = Metrics::new(|_| {});
    let scrape = get(render).with_state(metrics.clone());
    server.with_metrics(metrics, scrape).await.map_err(|err| {
        anyhow::anyhow!("cannot serve metrics on port {:?}: {err}", server_config.metrics_port)
    })
}

async fn render(State(metrics): State<Metrics>) -> Response {
    metrics.render()
}
