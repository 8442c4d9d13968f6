//! Serving a router until a shutdown signal, then draining in-flight requests.
//!
//! Connections are served by hyper directly rather than through
//! `axum::serve`, for the limits a public server needs that `axum::serve`
//! does not set: a deadline for a client to send its request headers (a
//! client trickling them a byte at a time holds a connection, not a task,
//! and only for that long) and a cap on the header buffer.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::pin;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tower::ServiceExt;
use tower_http::cors::CorsLayer;

use super::with_edge_layers;
use crate::ServerConfig;

/// A bound, not yet serving, HTTP server. Binding first means the real port
/// is known before serving starts (tests bind port 0 and read it back), and
/// no caller ever has to sleep waiting for the server to come up.
#[derive(Debug)]
pub struct Server {
    listener: TcpListener,
    router: Router,
    grace: Duration,
    header_read_timeout: Duration,
    header_buffer_bytes: usize,
}

impl Server {
    /// Binds `config`'s address and wraps `router` in the edge layers, with
    /// `cors` for browser clients on other origins.
    pub async fn bind(
        config: &ServerConfig,
        router: Router,
        cors: Option<CorsLayer>,
    ) -> std::io::Result<Server> {
        let listener = TcpListener::bind(config.bind_address()).await?;
        Ok(Server {
            listener,
            router: with_edge_layers(router, config, cors),
            grace: config.shutdown_grace,
            header_read_timeout: config.header_read_timeout,
            // Headers past the limit get a JSON 431 from the edge layers;
            // hyper's own cap (a bare 431) only stops what is far larger.
            header_buffer_bytes: (config.header_limit_bytes * 2).max(16 * 1024),
        })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` completes; then stops accepting connections
    /// and lets in-flight requests finish for at most the configured grace
    /// period (Cloud Run allows ten seconds after SIGTERM).
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let mut http = http1::Builder::new();
        http.timer(TokioTimer::new())
            .header_read_timeout(self.header_read_timeout)
            .max_buf_size(self.header_buffer_bytes);
        let connections = GracefulShutdown::new();
        let mut shutdown = pin!(shutdown);
        loop {
            let (stream, remote) = tokio::select! {
                accepted = self.listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(err) => {
                        // Out of file descriptors, or a connection reset
                        // before it was accepted: keep serving the others.
                        tracing::warn!(error = %err, "could not accept a connection");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
                () = &mut shutdown => break,
            };
            if let Err(err) = stream.set_nodelay(true) {
                tracing::debug!(error = %err, "could not set TCP_NODELAY");
            }
            let service =
                self.router.clone().map_request(move |request: hyper::Request<Incoming>| {
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
        tracing::info!("shutting down: no new connections, finishing in-flight requests");
        drop(self.listener);
        tokio::select! {
            () = connections.shutdown() => Ok(()),
            () = tokio::time::sleep(self.grace) => {
                tracing::warn!(
                    grace_secs = self.grace.as_secs_f64(),
                    "requests still running after the grace period were cut off"
                );
                Ok(())
            }
        }
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
