//! Building the worker: router and listener.

use gokart_edge::http::Server;

use crate::config::WorkerConfig;
use crate::routes;

/// Builds the worker, bound and ready to serve.
pub async fn build(config: WorkerConfig) -> anyhow::Result<Server> {
    let address = config.server.bind_address();
    Server::bind(&config.server, routes::router(), None)
        .await
        .map_err(|err| anyhow::anyhow!("cannot listen on {address}: {err}"))
}
