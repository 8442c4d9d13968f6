//! What every task handler can reach.

use std::sync::Arc;

use axum::extract::FromRef;
use gokart_edge::service_auth::{TokenMinter, TokenVerifier};

use crate::callback::ApiClient;
use crate::config::WorkerConfig;
use crate::notify::mailer::Mailer;

/// Shared, cheaply cloned worker state.
#[derive(Debug, Clone)]
pub struct WorkerState {
    /// Configuration read at start-up.
    pub config: Arc<WorkerConfig>,
    /// Checks the task queue's tokens.
    pub tokens: Arc<TokenVerifier>,
    /// Reports step outcomes to the API.
    pub api: Arc<ApiClient>,
    /// Sends customer emails.
    pub mailer: Arc<Mailer>,
}

impl WorkerState {
    /// State for `config`.
    pub fn new(config: WorkerConfig) -> anyhow::Result<Self> {
        let minter = Arc::new(TokenMinter::new(&config.service_auth));
        Ok(WorkerState {
            tokens: Arc::new(TokenVerifier::new(&config.service_auth, &config.public_url)),
            api: Arc::new(ApiClient::new(&config.api_url, minter)?),
            mailer: Arc::new(Mailer::new(&config.email)?),
            config: Arc::new(config),
        })
    }
}

impl FromRef<WorkerState> for Arc<TokenVerifier> {
    fn from_ref(state: &WorkerState) -> Self {
        state.tokens.clone()
    }
}
