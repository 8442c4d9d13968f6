//! What every handler can reach.

use std::sync::Arc;

use sqlx::PgPool;

use crate::config::ApiConfig;

/// Shared, cheaply cloned application state.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The PostgreSQL pool.
    pub db: PgPool,
    /// Configuration read at start-up.
    pub config: Arc<ApiConfig>,
}
