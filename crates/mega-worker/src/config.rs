//! The worker's typed configuration; every variable is documented in
//! `worker.env.example`.

use gokart_edge::{ConfigError, Env, ServerConfig};

/// Everything the worker reads from its environment.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Listening, limits and logging (`PORT` defaults to 8081).
    pub server: ServerConfig,
}

impl WorkerConfig {
    /// Reads and validates every variable, naming the first bad one.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(WorkerConfig { server: ServerConfig::from_env(env, 8081)? })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_worker_listens_on_8081_by_default() {
        let config = WorkerConfig::from_env(&Env::default()).unwrap();
        assert_eq!(config.server.port, 8081);
    }
}
