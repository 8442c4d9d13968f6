//! Serving a router until a shutdown signal, then draining in-flight requests.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::watch;
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
        let (stopping_tx, mut stopping_rx) = watch::channel(false);
        let signal = async move {
            shutdown.await;
            tracing::info!("shutting down: no new connections, finishing in-flight requests");
            let _ = stopping_tx.send(true);
        };
        let service = self.router.into_make_service_with_connect_info::<SocketAddr>();
        let server = axum::serve(self.listener, service).with_graceful_shutdown(signal);
        let grace = self.grace;
        let deadline = async move {
            if stopping_rx.wait_for(|stopping| *stopping).await.is_err() {
                // The server ended on its own; nothing to time out.
                std::future::pending::<()>().await;
            }
            tokio::time::sleep(grace).await;
        };
        tokio::select! {
            result = server => result,
            () = deadline => {
                tracing::warn!(
                    grace_secs = grace.as_secs_f64(),
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
