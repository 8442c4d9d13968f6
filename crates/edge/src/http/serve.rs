//! Serving a router until a shutdown signal, then draining in-flight requests.
//!
//! Connections are served by hyper directly rather than through
//! `axum::serve`, for the limits a public server needs that `axum::serve`
//! does not set: a deadline for a client to send its request headers (a
//! client trickling them a byte at a time holds a connection, not a task,
//! and only for that long) and a cap on the header buffer.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request};
use axum::response::Response;
use axum::routing::MethodRouter;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::{Service, ServiceExt};
use tower_http::cors::CorsLayer;

use super::layers::with_edge_layers;
use crate::ServerConfig;
use crate::metrics::Metrics;

/// A bound, not yet serving, HTTP server. Binding first means the real port
/// is known before serving starts (tests bind port 0 and read it back), and
/// no caller ever has to sleep waiting for the server to come up.
#[derive(Debug)]
pub struct Server {
    listener: TcpListener,
    router: Router,
    cors: Option<CorsLayer>,
    config: ServerConfig,
    metrics: Option<Metrics>,
    /// The scrape endpoint's own listener and routes (`METRICS_PORT`).
    scrape: Option<(TcpListener, Router)>,
}

impl Server {
    /// Binds `config`'s address for `router`, which is served inside the edge
    /// layers, with `cors` for browser clients on other origins.
    pub async fn bind(
        config: &ServerConfig,
        router: Router,
        cors: Option<CorsLayer>,
    ) -> std::io::Result<Server> {
        let listener = TcpListener::bind(config.bind_address()).await?;
        Ok(Server { listener, router, cors, config: config.clone(), metrics: None, scrape: None })
    }

    /// Records every request in `metrics`, and serves `scrape` (the handler
    /// that renders them) as `GET /metrics` on `METRICS_PORT` when it is
    /// set: a port of its own, never the public one.
    pub async fn with_metrics(
        mut self,
        metrics: Metrics,
        scrape: MethodRouter,
    ) -> std::io::Result<Server> {
        if let Some(port) = self.config.metrics_port {
            let listener = TcpListener::bind(SocketAddr::new(self.config.host, port)).await?;
            self.scrape = Some((listener, Router::new().route("/metrics", scrape)));
        }
        self.metrics = Some(metrics);
        Ok(self)
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Where the metrics are served, if they are.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.scrape.as_ref().and_then(|(listener, _)| listener.local_addr().ok())
    }

    /// Serves until `shutdown` completes; then stops accepting connections
    /// and lets in-flight requests finish for at most the configured grace
    /// period (Cloud Run allows ten seconds after SIGTERM).
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let Server { listener, router, cors, config, metrics, scrape } = self;
        let mut http = http1::Builder::new();
        // Headers past the limit get a JSON 431 from the edge layers; hyper's
        // own cap (a bare 431) only stops what is far larger.
        http.timer(TokioTimer::new())
            .header_read_timeout(config.header_read_timeout)
            .max_buf_size((config.header_limit_bytes * 2).max(16 * 1024));
        let connections = GracefulShutdown::new();
        let (stop, stopping) = watch::channel(false);
        let router = with_edge_layers(router, &config, cors, metrics);
        let public = accept(listener, router, &http, &connections, stopping.clone());
        let scrape = async {
            if let Some((listener, routes)) = scrape {
                let routes = with_edge_layers(routes, &config, None, None);
                accept(listener, routes, &http, &connections, stopping).await;
            }
        };
        let signal = async move {
            shutdown.await;
            let _ = stop.send(true);
        };
        tokio::join!(public, scrape, signal);
        tracing::info!("shutting down: no new connections, finishing in-flight requests");
        tokio::select! {
            () = connections.shutdown() => Ok(()),
            () = tokio::time::sleep(config.shutdown_grace) => {
                tracing::warn!(
                    grace_secs = config.shutdown_grace.as_secs_f64(),
                    "requests still running after the grace period were cut off"
                );
                Ok(())
            }
        }
    }
}

/// Accepts connections on `listener` and serves `router` on each until
/// `stopping` turns true; the listener is closed on return.
async fn accept(
    listener: TcpListener,
    router: impl Service<Request, Response = Response, Error = Infallible, Future: Send>
    + Clone
    + Send
    + 'static,
    http: &http1::Builder,
    connections: &GracefulShutdown,
    mut stopping: watch::Receiver<bool>,
) {
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of file descriptors, or a connection reset before
                    // it was accepted: keep serving the others.
                    tracing::warn!(error = %err, "could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = async { let _ = stopping.wait_for(|stopping| *stopping).await; } => return,
        };
        if let Err(err) = stream.set_nodelay(true) {
            tracing::debug!(error = %err, "could not set TCP_NODELAY");
        }
        let service = router.clone().map_request(move |request: hyper::Request<Incoming>| {
            let mut request = request.map(Body::new);
            request.extensions_mut().insert(ConnectInfo(remote));
            request
        });
        let connection =
            http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let connection = connections.watch(connection);
        tokio::spawn(async move {
            if let Err(err) = connection.await {
                tracing::debug!(error = %err, "connection ended with an error");
            }
        });
    }
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %err, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut stream) => {
                stream.recv().await;
            }
            Err(err) => {
                tracing::warn!(error = %err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
