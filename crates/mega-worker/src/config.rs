//! The worker's typed configuration; every variable is documented in
//! `worker.env.example`.

use std::path::PathBuf;
use std::time::Duration;

use gokart_edge::service_auth::ServiceAuthConfig;
use gokart_edge::{ConfigError, Env, ServerConfig};
use secrecy::SecretString;

use crate::notify::address::Mailbox;

/// The worker's identity in `local` service-auth mode.
pub const LOCAL_WORKER_IDENTITY: &str = "worker@gokart.local";
/// The API's identity in `local` mode: its relay pushes the tasks.
pub const LOCAL_API_IDENTITY: &str = "api@gokart.local";

/// Everything the worker reads from its environment.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Listening, limits and logging (`PORT` defaults to 8081).
    pub server: ServerConfig,
    /// `PUBLIC_URL`: the worker's own URL, the audience its callers' tokens
    /// must name.
    pub public_url: String,
    /// `ECOMMERCE_API_URL`: where status reports go (and their tokens' audience).
    pub api_url: String,
    /// How long each step takes.
    pub processing: ProcessingTimes,
    /// How emails leave.
    pub email: EmailConfig,
    /// Who this worker is to the API, and whom it accepts tasks from.
    pub service_auth: ServiceAuthConfig,
}

/// The simulated duration of each fulfillment step.
#[derive(Debug, Clone, Copy)]
pub struct ProcessingTimes {
    /// `WAREHOUSE_PROCESSING_TIME`: packing.
    pub warehouse: Duration,
    /// `SHIPPING_PROCESSING_TIME`: handing over to the carrier.
    pub shipping: Duration,
    /// `DELIVERY_PROCESSING_TIME`: from out for delivery to delivered.
    pub delivery: Duration,
}

/// Where customer emails go.
#[derive(Debug, Clone)]
pub enum EmailProvider {
    /// `local`: each email is an `.eml` file in `MAIL_DIR`.
    Local {
        /// `MAIL_DIR`.
        dir: PathBuf,
    },
    /// `resend`: the Resend HTTP API.
    Resend {
        /// `RESEND_API_KEY`.
        api_key: SecretString,
        /// `RESEND_API_BASE`: another address for the API (a local stand-in).
        api_base: String,
    },
}

/// Email settings.
#[derive(Debug, Clone)]
pub struct EmailConfig {
    /// `EMAIL_PROVIDER`: `local` (default) or `resend`.
    pub provider: EmailProvider,
    /// `RESEND_FROM_EMAIL`: the sender, e.g. `GoKart <orders@shop.example>`.
    pub from: String,
}

impl WorkerConfig {
    /// Reads and validates every variable, naming the first bad one.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let server = ServerConfig::from_env(env, 8081)?;
        let public_url = env.url("PUBLIC_URL", &format!("http://localhost:{}", server.port))?;
        let api_url = env.url("ECOMMERCE_API_URL", "http://localhost:8080")?;
        let step = Duration::from_secs(2);
        let processing = ProcessingTimes {
            warehouse: env.duration("WAREHOUSE_PROCESSING_TIME", step)?,
            shipping: env.duration("SHIPPING_PROCESSING_TIME", step)?,
            delivery: env.duration("DELIVERY_PROCESSING_TIME", step)?,
        };
        // A step that outlives the request is answered 503 and redone: keep
        // each well inside the timeout, with room for the status report.
        let room = Duration::from_secs(5);
        for (name, time) in [
            ("WAREHOUSE_PROCESSING_TIME", processing.warehouse),
            ("SHIPPING_PROCESSING_TIME", processing.shipping),
            ("DELIVERY_PROCESSING_TIME", processing.delivery),
        ] {
            if time + room > server.request_timeout {
                return Err(ConfigError::new(
                    name,
                    format!(
                        "must be at least 5s shorter than REQUEST_TIMEOUT ({:?})",
                        server.request_timeout
                    ),
                ));
            }
        }
        let provider = match env.string("EMAIL_PROVIDER", "local").as_str() {
            "local" => {
                EmailProvider::Local { dir: PathBuf::from(env.string("MAIL_DIR", ".local/mail")) }
            }
            "resend" => EmailProvider::Resend {
                api_key: SecretString::from(env.require("RESEND_API_KEY")?),
                api_base: env.url("RESEND_API_BASE", "https://api.resend.com")?,
            },
            other => {
                return Err(ConfigError::new(
                    "EMAIL_PROVIDER",
                    format!("expected local or resend, not {other:?}"),
                ));
            }
        };
        let from = env.string("RESEND_FROM_EMAIL", "GoKart <orders@gokart.local>");
        // One sender, checked now rather than at the first email.
        Mailbox::parse(&from)
            .map_err(|err| ConfigError::new("RESEND_FROM_EMAIL", err.to_string()))?;
        let service_auth = ServiceAuthConfig::from_env(
            env,
            server.app_env,
            LOCAL_WORKER_IDENTITY,
            &[LOCAL_API_IDENTITY],
        )?;
        Ok(WorkerConfig {
            server,
            public_url,
            api_url,
            processing,
            email: EmailConfig { provider, from },
            service_auth,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_worker_listens_on_8081_by_default() {
        let config = WorkerConfig::from_env(&Env::default()).unwrap();
        assert_eq!(config.server.port, 8081);
        assert_eq!(config.public_url, "http://localhost:8081");
        assert!(matches!(config.email.provider, EmailProvider::Local { .. }));
    }

    #[test]
    fn a_step_longer_than_the_request_timeout_is_refused() {
        let env = Env::from_pairs([("REQUEST_TIMEOUT", "10s"), ("SHIPPING_PROCESSING_TIME", "8s")]);
        let err = WorkerConfig::from_env(&env).unwrap_err();
        assert_eq!(err.var, "SHIPPING_PROCESSING_TIME");
    }

    #[test]
    fn a_sender_that_is_not_one_mailbox_is_refused() {
        for bad in [
            "orders@shop.test, eve@evil.test",
            "GoKart <orders@shop.test>, Eve <eve@evil.test>",
            "GoKart <orders@shop.test",
            "GoKart\r\nBcc: eve@evil.test <orders@shop.test>",
            "GoKart",
        ] {
            let env = Env::from_pairs([("RESEND_FROM_EMAIL", bad)]);
            assert_eq!(
                WorkerConfig::from_env(&env).unwrap_err().var,
                "RESEND_FROM_EMAIL",
                "{bad:?}"
            );
        }
        for good in
            ["GoKart <orders@shop.test>", "\"GoKart, Inc.\" <orders@shop.test>", "orders@shop.test"]
        {
            let env = Env::from_pairs([("RESEND_FROM_EMAIL", good)]);
            assert!(WorkerConfig::from_env(&env).is_ok(), "{good:?}");
        }
    }

    #[test]
    fn resend_needs_its_key() {
        let env = Env::from_pairs([("EMAIL_PROVIDER", "resend")]);
        assert_eq!(WorkerConfig::from_env(&env).unwrap_err().var, "RESEND_API_KEY");
    }
}
