//! Liveness and readiness probes for Cloud Run and load balancers.
//!
//! `/healthz` answers as long as the process serves HTTP; `/readyz` also
//! checks that PostgreSQL answers within a second, so an instance that has
//! lost its database is taken out of rotation instead of failing requests.

use std::time::Duration;

use axum::extract::State;
use serde::Serialize;
use sqlx::Connection;
use utoipa::ToSchema;

use crate::error::{Error, Result};
use crate::extract::Json;
use crate::state::AppState;

/// A probe's answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok` for liveness, `ready` for readiness.
    pub status: &'static str,
    /// Readiness only: the search index, `building` (searches are
    /// answered by PostgreSQL meanwhile), `ready`, or `off`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub search: Option<&'static str>,
    /// Readiness only: the product cache, `waiting` (for the catalog feed;
    /// PostgreSQL answers meanwhile), `following` (it answers), or `off`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_cache: Option<&'static str>,
}

/// Liveness: the process is up and serving.
#[utoipa::path(get, path = "/healthz", tag = "health", operation_id = "healthz", security(),
    responses((status = 200, description = "The process is serving", body = Health)))]
pub async fn healthz() -> Json<Health> {
    Json(Health { status: "ok", search: None, product_cache: None })
}

/// Readiness: the database answers.
#[utoipa::path(get, path = "/readyz", tag = "health", operation_id = "readyz", security(), responses(
    (status = 200, description = "Ready to serve traffic", body = Health),
    (status = 503, description = "The database is unreachable", body = gokart_edge::http::ErrorEnvelope),
))]
pub async fn readyz(State(state): State<AppState>) -> Result<Json<Health>> {
    let check = async {
        let mut connection = state.db.acquire().await?;
        connection.ping().await
    };
    match tokio::time::timeout(Duration::from_secs(1), check).await {
        Ok(Ok(())) => Ok(Json(Health {
            status: "ready",
            search: Some(state.search.state()),
            product_cache: Some(match state.products.as_deref() {
                None => "off",
                Some(cache) if cache.usable() => "following",
                Some(_) => "waiting",
            }),
        })),
        Ok(Err(err)) => {
            tracing::warn!(error = %err, "readiness check failed");
            Err(Error::Unavailable("the database is unreachable"))
        }
        Err(_) => Err(Error::Unavailable("the database did not answer in time")),
    }
}
