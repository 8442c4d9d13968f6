//! How a service authenticates to the others, read from the environment.

use std::str::FromStr;

use secrecy::SecretString;

use crate::{AppEnv, ConfigError, Env};

/// Where service tokens come from and how they are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceAuthMode {
    /// Tokens signed with `SERVICE_AUTH_SECRET` (HS256); no cloud account needed.
    Local,
    /// Google-signed ID tokens (RS256) from the metadata server.
    Google,
}

impl FromStr for ServiceAuthMode {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        match raw {
            "local" => Ok(ServiceAuthMode::Local),
            "google" => Ok(ServiceAuthMode::Google),
            other => Err(format!("expected local or google, not {other:?}")),
        }
    }
}

/// The development-only shared key of `local` mode; production refuses it.
pub const DEV_SERVICE_AUTH_SECRET: &str = "development-only-service-auth-secret";

/// Service authentication settings, the same variables for both services.
#[derive(Debug, Clone)]
pub struct ServiceAuthConfig {
    /// `SERVICE_AUTH_MODE`: `local` (default) or `google`.
    pub mode: ServiceAuthMode,
    /// `SERVICE_AUTH_SECRET`: the key `local` tokens are signed with.
    pub secret: SecretString,
    /// `SERVICE_ACCOUNT_EMAIL`: this service's identity in `local` mode (in
    /// `google` mode the metadata server's account is used).
    pub identity: String,
    /// `SERVICE_AUTH_ALLOWED_EMAILS`: comma-separated callers this service accepts.
    pub allowed_emails: Vec<String>,
    /// `SERVICE_AUTH_JWKS_URL`: where Google's signing keys are fetched
    /// (default: discovered from the issuer).
    pub jwks_url: Option<String>,
    /// `GCE_METADATA_HOST`: the metadata server (host and optional port).
    pub metadata_host: String,
    /// `SERVICE_AUTH_AUDIENCE`: the audience callers' tokens must name, when
    /// it is not this service's public URL (e.g. callers reach it by an
    /// internal name).
    pub audience: Option<String>,
}

impl ServiceAuthConfig {
    /// Reads the settings; `identity` and `allowed` are the local defaults
    /// for this service.
    pub fn from_env(
        env: &Env,
        app_env: AppEnv,
        identity: &str,
        allowed: &[&str],
    ) -> Result<Self, ConfigError> {
        let mode = env.parse("SERVICE_AUTH_MODE", ServiceAuthMode::Local)?;
        let secret = match mode {
            ServiceAuthMode::Local => {
                let secret = env.secret("SERVICE_AUTH_SECRET", DEV_SERVICE_AUTH_SECRET, app_env)?;
                if app_env == AppEnv::Production
                    && secrecy::ExposeSecret::expose_secret(&secret).len() < 32
                {
                    return Err(ConfigError::new(
                        "SERVICE_AUTH_SECRET",
                        "must be at least 32 characters",
                    ));
                }
                secret
            }
            ServiceAuthMode::Google => SecretString::from(String::new()),
        };
        let allowed_emails: Vec<String> = match env.get("SERVICE_AUTH_ALLOWED_EMAILS") {
            Some(list) => list
                .split(',')
                .map(|email| email.trim().to_ascii_lowercase())
                .filter(|email| !email.is_empty())
                .collect(),
            None if mode == ServiceAuthMode::Local => {
                allowed.iter().map(|email| (*email).to_owned()).collect()
            }
            None => Vec::new(),
        };
        if allowed_emails.is_empty() {
            return Err(ConfigError::new(
                "SERVICE_AUTH_ALLOWED_EMAILS",
                "must name at least one caller's service-account email",
            ));
        }
        let jwks_url = env.get("SERVICE_AUTH_JWKS_URL").map(str::to_owned);
        if let Some(url) = &jwks_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return Err(ConfigError::new("SERVICE_AUTH_JWKS_URL", "must be an http(s) URL"));
        }
        Ok(ServiceAuthConfig {
            mode,
            secret,
            identity: env.string("SERVICE_ACCOUNT_EMAIL", identity).to_ascii_lowercase(),
            allowed_emails,
            jwks_url,
            metadata_host: env.string("GCE_METADATA_HOST", "169.254.169.254"),
            audience: env.get("SERVICE_AUTH_AUDIENCE").map(str::to_owned),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_mode_is_the_default_with_the_given_callers() {
        let config = ServiceAuthConfig::from_env(
            &Env::default(),
            AppEnv::Development,
            "api@gokart.local",
            &["worker@gokart.local"],
        )
        .unwrap();
        assert_eq!(config.mode, ServiceAuthMode::Local);
        assert_eq!(config.identity, "api@gokart.local");
        assert_eq!(config.allowed_emails, ["worker@gokart.local"]);
    }

    #[test]
    fn google_mode_needs_an_explicit_allow_list() {
        let env = Env::from_pairs([("SERVICE_AUTH_MODE", "google")]);
        let err = ServiceAuthConfig::from_env(&env, AppEnv::Production, "a", &["b"]).unwrap_err();
        assert!(err.to_string().contains("SERVICE_AUTH_ALLOWED_EMAILS"), "{err}");
    }

    #[test]
    fn production_refuses_the_development_key() {
        let env = Env::from_pairs([("SERVICE_AUTH_SECRET", DEV_SERVICE_AUTH_SECRET)]);
        let err = ServiceAuthConfig::from_env(&env, AppEnv::Production, "a", &["b"]).unwrap_err();
        assert!(err.to_string().contains("SERVICE_AUTH_SECRET"), "{err}");
    }
}
