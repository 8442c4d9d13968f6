//! The API's typed configuration, read once at start-up.
//!
//! Every variable, with its default, is documented in `api.env.example`.
//! Secrets are [`SecretString`]s so they never reach a log line by `Debug`.

use std::time::Duration;

use gokart_edge::{AppEnv, ConfigError, Env, ServerConfig};
use secrecy::SecretString;

/// Everything the API reads from its environment.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// Listening, limits and logging.
    pub server: ServerConfig,
    /// `PUBLIC_URL`: the API's own origin as browsers see it.
    pub public_url: String,
    /// The PostgreSQL connection.
    pub database: DatabaseConfig,
    /// Signing keys for user sessions.
    pub auth: AuthConfig,
}

/// How the API reaches PostgreSQL.
#[derive(Debug, Clone)]
pub struct DatabaseConfig {
    /// `DATABASE_URL`, e.g. `postgres://user:pass@host:5432/gokart`, or a
    /// Cloud SQL socket: `postgres://user:pass@/gokart?host=/cloudsql/INSTANCE`.
    pub url: SecretString,
    /// `DATABASE_MAX_CONNECTIONS`: pool size per API instance.
    pub max_connections: u32,
    /// `DATABASE_MIN_CONNECTIONS`: connections kept open while idle.
    pub min_connections: u32,
    /// `DATABASE_ACQUIRE_TIMEOUT`: longest wait for a pooled connection before a 503.
    pub acquire_timeout: Duration,
    /// `DATABASE_STATEMENT_TIMEOUT`: PostgreSQL cancels any statement running longer.
    pub statement_timeout: Duration,
    /// `RUN_MIGRATIONS`: apply pending migrations when `serve` starts.
    pub migrate_on_start: bool,
}

/// User-session signing configuration.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// `JWT_SECRET`: HMAC key for access tokens; required in production.
    pub jwt_secret: SecretString,
}

/// The development-only JWT key; production refuses it.
pub const DEV_JWT_SECRET: &str = "development-only-jwt-secret-change-me";

impl ApiConfig {
    /// Reads and validates every variable, naming the first bad one.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let server = ServerConfig::from_env(env, 8080)?;
        let app_env = server.app_env;
        let public_url = env
            .string("PUBLIC_URL", &format!("http://localhost:{}", server.port))
            .trim_end_matches('/')
            .to_owned();
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
            return Err(ConfigError::new(
                "PUBLIC_URL",
                "must start with http:// or https://",
            ));
        }
        let max_connections = env.parse("DATABASE_MAX_CONNECTIONS", 10)?;
        if max_connections == 0 {
            return Err(ConfigError::new(
                "DATABASE_MAX_CONNECTIONS",
                "must be at least 1",
            ));
        }
        let min_connections = env.parse("DATABASE_MIN_CONNECTIONS", 1)?;
        if min_connections > max_connections {
            return Err(ConfigError::new(
                "DATABASE_MIN_CONNECTIONS",
                "must not exceed DATABASE_MAX_CONNECTIONS",
            ));
        }
        let database = DatabaseConfig {
            url: SecretString::from(env.require("DATABASE_URL")?),
            max_connections,
            min_connections,
            acquire_timeout: env.duration("DATABASE_ACQUIRE_TIMEOUT", Duration::from_secs(5))?,
            statement_timeout: env
                .duration("DATABASE_STATEMENT_TIMEOUT", Duration::from_secs(15))?,
            migrate_on_start: env.flag("RUN_MIGRATIONS", true)?,
        };
        let auth = AuthConfig {
            jwt_secret: env.secret("JWT_SECRET", DEV_JWT_SECRET, app_env)?,
        };
        if app_env == AppEnv::Production && auth_secret_too_short(&auth) {
            return Err(ConfigError::new(
                "JWT_SECRET",
                "must be at least 32 characters",
            ));
        }
        Ok(ApiConfig {
            server,
            public_url,
            database,
            auth,
        })
    }
}

fn auth_secret_too_short(auth: &AuthConfig) -> bool {
    use secrecy::ExposeSecret;
    auth.jwt_secret.expose_secret().len() < 32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Env {
        let mut env = Env::from_pairs([("DATABASE_URL", "postgres://localhost/gokart")]);
        for (key, value) in pairs {
            env.set(*key, *value);
        }
        env
    }

    #[test]
    fn development_needs_only_a_database_url() {
        let config = ApiConfig::from_env(&env(&[])).unwrap();
        assert_eq!(config.public_url, "http://localhost:8080");
        assert_eq!(config.database.max_connections, 10);
        assert!(config.database.migrate_on_start);
    }

    #[test]
    fn a_missing_database_url_is_named() {
        let err = ApiConfig::from_env(&Env::default()).unwrap_err();
        assert_eq!(err.var, "DATABASE_URL");
    }

    #[test]
    fn production_refuses_the_development_jwt_secret() {
        let err = ApiConfig::from_env(&env(&[("APP_ENV", "production")])).unwrap_err();
        assert_eq!(err.var, "JWT_SECRET");
        let err = ApiConfig::from_env(&env(&[
            ("APP_ENV", "production"),
            ("JWT_SECRET", DEV_JWT_SECRET),
        ]))
        .unwrap_err();
        assert_eq!(err.var, "JWT_SECRET");
        let err = ApiConfig::from_env(&env(&[("APP_ENV", "production"), ("JWT_SECRET", "short")]))
            .unwrap_err();
        assert_eq!(err.var, "JWT_SECRET");
        let strong = "k".repeat(48);
        assert!(
            ApiConfig::from_env(&env(&[("APP_ENV", "production"), ("JWT_SECRET", &strong)]))
                .is_ok()
        );
    }

    #[test]
    fn pool_bounds_are_checked() {
        let err = ApiConfig::from_env(&env(&[("DATABASE_MAX_CONNECTIONS", "0")])).unwrap_err();
        assert_eq!(err.var, "DATABASE_MAX_CONNECTIONS");
        let err = ApiConfig::from_env(&env(&[
            ("DATABASE_MAX_CONNECTIONS", "2"),
            ("DATABASE_MIN_CONNECTIONS", "3"),
        ]))
        .unwrap_err();
        assert_eq!(err.var, "DATABASE_MIN_CONNECTIONS");
    }

    #[test]
    fn debug_output_hides_secrets() {
        let config = ApiConfig::from_env(&env(&[("JWT_SECRET", "hunter2-but-longer")])).unwrap();
        let shown = format!("{config:?}");
        assert!(!shown.contains("hunter2"));
        assert!(!shown.contains("postgres://localhost"));
    }
}
