//! Building the application: pool, migrations, state, router, listener.

use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use gokart_edge::http::Server;
use gokart_edge::metrics::Metrics;
use gokart_edge::service_auth::TokenMinter;

use crate::config::{ApiConfig, DEV_ADMIN_PASSWORD, TaskBackendKind};
use crate::db;
use crate::metrics::{self, ApiMetrics, Scrape};
use crate::outbox::backend::{LocalDispatcher, RefundBackend, TaskBackend};
use crate::outbox::cloud_tasks::CloudTasks;
use crate::outbox::courier::Backends;
use crate::outbox::relay::Relay;
use crate::routes;
use crate::state::AppState;
use crate::webhooks::destination::Destinations;
use crate::webhooks::sender::Sender;

/// Builds the API, bound and ready to serve.
pub async fn build(config: ApiConfig) -> anyhow::Result<Server> {
    build_with_routes(config, Router::new()).await
}

/// Builds the API with `extra` routes mounted beside the real ones and given
/// the same layers (tests use this to exercise failure paths end to end).
pub async fn build_with_routes(
    config: ApiConfig,
    extra: Router<AppState>,
) -> anyhow::Result<Server> {
    let pool = db::pool(&config.database)?;
    if config.database.migrate_on_start {
        db::migrate(&pool).await?;
    }
    let server_config = config
        .server
        .clone()
        .with_large_body(
            routes::MEDIA_UPLOAD_ROUTE,
            config.media.max_bytes + routes::MEDIA_FORM_OVERHEAD_BYTES,
        )
        .with_large_body(routes::IMPORT_ROUTE, config.import_max_bytes);
    let cors = routes::cors(&config);
    let state = AppState::new(config, pool)?;
    refuse_demo_admin_password(&state).await?;
    if let Some(cache) = &state.products {
        cache.spawn(state.search.subscribe());
    }
    state.search.spawn(state.db.clone());
    crate::catalog::import::spawn(state.clone());
    if let Some(interval) = state.config.maintenance_interval {
        crate::maintenance::spawn_interval(state.clone(), interval);
    }
    let api_metrics = ApiMetrics::default();
    let metrics = Metrics::new(|registry| api_metrics.register(registry));
    let mut relay_db = None;
    if state.config.fulfillment.relay_enabled {
        let relay = relay(&state, api_metrics.clone()).await?;
        relay_db = Some(relay.pool());
        relay.spawn();
    }
    let scrape = get(metrics::scrape).with_state(Scrape {
        metrics: metrics.clone(),
        api: api_metrics,
        db: state.db.clone(),
        relay_db,
    });
    let app = match &state.config.web_dir {
        Some(dir) => {
            let cards = state.config.payments.card_key().is_some();
            let app = crate::web::WebApp::load(dir, state.config.media_origin(), cards)?;
            if app.is_none() {
                tracing::info!(dir = %dir.display(), "no web app built there; serving the API alone");
            }
            app
        }
        None => None,
    };
    let router = routes::router(state, extra, app);
    let cannot_listen =
        |err| anyhow::anyhow!("cannot listen on {}: {err}", server_config.bind_address());
    let server = Server::bind(&server_config, router, cors).await.map_err(cannot_listen)?;
    server.with_metrics(metrics, scrape).await.map_err(|err| {
        anyhow::anyhow!("cannot serve metrics on port {:?}: {err}", server_config.metrics_port)
    })
}

/// In production, refuses to serve while an admin can still sign in with the
/// demo password that `api seed` uses in development.
async fn refuse_demo_admin_password(state: &AppState) -> anyhow::Result<()> {
    if !state.config.server.app_env.is_production() {
        return Ok(());
    }
    let exposed = crate::users::service::admins_with_password(state, DEV_ADMIN_PASSWORD)
        .await
        .map_err(|err| anyhow::anyhow!("cannot check the admin accounts: {err}"))?;
    if let Some(email) = exposed.first() {
        anyhow::bail!(
            "admin account {email} still has the development password; set a new one with \
             `api set-password {email}` (it reads the password from standard input) \
             before serving in production"
        );
    }
    Ok(())
}

/// The outbox relay with the configured task backend.
async fn relay(state: &AppState, metrics: ApiMetrics) -> anyhow::Result<Relay> {
    let config = &state.config.fulfillment;
    let tokens = Arc::new(TokenMinter::new(&config.service_auth));
    let backend: Arc<dyn TaskBackend> = match config.backend {
        TaskBackendKind::Local => Arc::new(LocalDispatcher::new(
            &config.worker_url,
            &config.queue,
            config.dispatch_deadline,
            tokens,
        )?),
        TaskBackendKind::CloudTasks => Arc::new(CloudTasks::connect(config).await?),
    };
    // A few connections serve any number of sends: each holds one only
    // for a short statement, never while the worker answers.
    let connections = u32::try_from(config.relay_concurrency.div_ceil(8)).unwrap_or(4).clamp(2, 8);
    // One more for the LISTEN connection, which stays checked out.
    let pool = db::relay_pool(&state.config.database, connections + 1)?;
    let refunds = state.stripe.clone().map(|stripe| -> Arc<dyn RefundBackend> { Arc::new(stripe) });
    let hooks = &state.config.webhooks;
    let webhooks =
        Sender::new(pool.clone(), Destinations::of(hooks), hooks.timeout, hooks.disable_after)?;
    let backends = Backends { tasks: Some(backend), refunds, webhooks: Some(webhooks) };
    Ok(Relay::new(pool, backends, config, metrics, state.links.clone()))
}
