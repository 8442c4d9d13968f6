//! HTTP server settings common to both services.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use crate::env::{AppEnv, ConfigError, Env};
use crate::telemetry::LogFormat;

/// How a service listens, logs and bounds its requests.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// `APP_ENV`: development (default) or production.
    pub app_env: AppEnv,
    /// `HOST`: interface to bind; loopback in development, all interfaces in production.
    pub host: IpAddr,
    /// `PORT`: TCP port (Cloud Run sets it); `0` picks a free one.
    pub port: u16,
    /// `REQUEST_TIMEOUT`: longest a request may run before a 503.
    pub request_timeout: Duration,
    /// `REQUEST_BODY_LIMIT_BYTES`: largest accepted request body.
    pub body_limit_bytes: usize,
    /// `REQUEST_HEADER_LIMIT_BYTES`: most bytes of header names and values.
    pub header_limit_bytes: usize,
    /// `HEADER_READ_TIMEOUT`: how long a client has to send its request headers.
    pub header_read_timeout: Duration,
    /// `BODY_READ_TIMEOUT`: how long a client has to send its request body
    /// once the headers are in; past it, a 408 frees the request's slot.
    pub body_read_timeout: Duration,
    /// `MAX_IN_FLIGHT_REQUESTS`: requests served at once; past it, 503.
    pub max_in_flight: usize,
    /// `METRICS_PORT`: where `/metrics` is served, on `HOST`; unset, nowhere.
    pub metrics_port: Option<u16>,
    /// `SHUTDOWN_GRACE`: how long in-flight requests may finish after SIGTERM.
    pub shutdown_grace: Duration,
    /// `LOG_FORMAT`: `pretty` (development default) or `json` (production default).
    pub log_format: LogFormat,
    /// `RUST_LOG`: log filter directives.
    pub log_filter: String,
    /// Routes that take larger bodies than `body_limit_bytes` (uploads),
    /// set by the service rather than the environment.
    pub large_bodies: Vec<LargeBody>,
}

/// A route whose body may be larger, and take longer to arrive, than the
/// service-wide limits allow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LargeBody {
    /// The route as registered, e.g. `/api/v1/admin/products/{id}/media`.
    pub route: String,
    /// Largest accepted body.
    pub max_bytes: usize,
    /// How long the client has to send it.
    pub read_timeout: Duration,
}

impl ServerConfig {
    /// Reads the shared server variables; `default_port` differs per service.
    pub fn from_env(env: &Env, default_port: u16) -> Result<Self, ConfigError> {
        let app_env = env.app_env()?;
        let default_host = match app_env {
            AppEnv::Development => IpAddr::V4(Ipv4Addr::LOCALHOST),
            AppEnv::Production => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        };
        let default_format = match app_env {
            AppEnv::Development => LogFormat::Pretty,
            AppEnv::Production => LogFormat::Json,
        };
        let body_limit_bytes = env.parse("REQUEST_BODY_LIMIT_BYTES", 1024 * 1024)?;
        if body_limit_bytes == 0 {
            return Err(ConfigError::new("REQUEST_BODY_LIMIT_BYTES", "must be greater than 0"));
        }
        let request_timeout = env.duration("REQUEST_TIMEOUT", Duration::from_secs(30))?;
        if request_timeout.is_zero() {
            return Err(ConfigError::new("REQUEST_TIMEOUT", "must be greater than 0"));
        }
        let header_limit_bytes = env.parse("REQUEST_HEADER_LIMIT_BYTES", 16 * 1024)?;
        if header_limit_bytes < 1024 {
            return Err(ConfigError::new("REQUEST_HEADER_LIMIT_BYTES", "must be at least 1024"));
        }
        let header_read_timeout = env.duration("HEADER_READ_TIMEOUT", Duration::from_secs(10))?;
        if header_read_timeout.is_zero() {
            return Err(ConfigError::new("HEADER_READ_TIMEOUT", "must be greater than 0"));
        }
        let body_read_timeout =
            env.duration("BODY_READ_TIMEOUT", Duration::from_secs(10).min(request_timeout))?;
        if body_read_timeout.is_zero() || body_read_timeout > request_timeout {
            return Err(ConfigError::new(
                "BODY_READ_TIMEOUT",
                "must be greater than 0 and at most REQUEST_TIMEOUT",
            ));
        }
        let max_in_flight = env.parse("MAX_IN_FLIGHT_REQUESTS", 512)?;
        if max_in_flight == 0 {
            return Err(ConfigError::new("MAX_IN_FLIGHT_REQUESTS", "must be greater than 0"));
        }
        Ok(ServerConfig {
            app_env,
            host: env.parse("HOST", default_host)?,
            port: env.parse("PORT", default_port)?,
            request_timeout,
            body_limit_bytes,
            header_limit_bytes,
            header_read_timeout,
            body_read_timeout,
            max_in_flight,
            metrics_port: match env.string("METRICS_PORT", "").as_str() {
                "" | "off" => None,
                _ => Some(env.parse("METRICS_PORT", 0)?),
            },
            shutdown_grace: env.duration("SHUTDOWN_GRACE", Duration::from_secs(8))?,
            log_format: env.parse("LOG_FORMAT", default_format)?,
            log_filter: env.string("RUST_LOG", "info,sqlx=warn"),
            large_bodies: Vec::new(),
        })
    }

    /// Lets `route` take bodies of up to `max_bytes`, arriving within the
    /// request timeout.
    #[must_use]
    pub fn with_large_body(mut self, route: &str, max_bytes: usize) -> Self {
        self.large_bodies.push(LargeBody {
            route: route.to_owned(),
            max_bytes,
            read_timeout: self.request_timeout,
        });
        self
    }

    /// The largest body any route accepts.
    pub fn largest_body(&self) -> usize {
        self.large_bodies.iter().map(|l| l.max_bytes).fold(self.body_limit_bytes, usize::max)
    }

    /// The address to bind.
    pub fn bind_address(&self) -> SocketAddr {
        SocketAddr::new(self.host, self.port)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn development_defaults_bind_loopback_with_pretty_logs() {
        let config = ServerConfig::from_env(&Env::default(), 8080).unwrap();
        assert_eq!(config.bind_address().to_string(), "127.0.0.1:8080");
        assert_eq!(config.log_format, LogFormat::Pretty);
        assert_eq!(config.body_limit_bytes, 1024 * 1024);
    }

    #[test]
    fn production_binds_all_interfaces_with_json_logs() {
        let env = Env::from_pairs([("APP_ENV", "production"), ("PORT", "9000")]);
        let config = ServerConfig::from_env(&env, 8080).unwrap();
        assert_eq!(config.bind_address().to_string(), "0.0.0.0:9000");
        assert_eq!(config.log_format, LogFormat::Json);
    }

    #[test]
    fn zero_limits_are_refused_by_name() {
        let env = Env::from_pairs([("REQUEST_TIMEOUT", "0s")]);
        assert_eq!(ServerConfig::from_env(&env, 1).unwrap_err().var, "REQUEST_TIMEOUT");
        let env = Env::from_pairs([("REQUEST_BODY_LIMIT_BYTES", "0")]);
        assert_eq!(ServerConfig::from_env(&env, 1).unwrap_err().var, "REQUEST_BODY_LIMIT_BYTES");
        let env = Env::from_pairs([("APP_ENV", "staging")]);
        assert_eq!(ServerConfig::from_env(&env, 1).unwrap_err().var, "APP_ENV");
    }
}
