//! Building the worker: state, router and listener.

use gokart_edge::http::Server;

use crate::config::WorkerConfig;
use crate::routes;
use crate::state::WorkerState;

/// Builds the worker, bound and ready to serve.
pub async fn build(config: WorkerConfig) -> anyhow::Result<Server> {
    let address = config.server.bind_address();
    let server_config = config.server.clone();
    let state = WorkerState::new(config)?;
    Server::bind(&server_config, routes::router(state), None)
        .await
        .map_err(|err| anyhow::anyhow!("cannot listen on {address}: {err}"))
}
