//! The edge shared by GoKart's two services.
//!
//! Both the API and the mega-worker load typed configuration from the
//! environment ([`env`]), log the same way ([`telemetry`]), and serve HTTP
//! with the same request ids, error shape, timeouts and graceful shutdown
//! ([`http`]), and prove who they are to each other ([`service_auth`]).
//! Nothing here knows about orders or the database.

pub mod env;
pub mod http;
pub mod metrics;
pub mod server_config;
pub mod service_auth;
pub mod telemetry;

pub use env::{AppEnv, ConfigError, Env};
pub use server_config::ServerConfig;
