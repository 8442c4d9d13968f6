//! Minting service tokens for calls to another service, cached per audience
//! until shortly before they expire.

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use secrecy::ExposeSecret;
use tokio::sync::Mutex;

use super::claims::{LOCAL_ISSUER, ServiceClaims, normalise_url};
use super::config::{ServiceAuthConfig, ServiceAuthMode};

/// How long a locally minted token lives (Google's last an hour too).
const LOCAL_TOKEN_TTL: Duration = Duration::from_secs(3600);
/// A cached token is replaced this long before it expires.
const REFRESH_MARGIN: Duration = Duration::from_secs(300);

/// Why no token could be had.
#[derive(Debug, thiserror::Error)]
pub enum MintError {
    /// The metadata server could not be reached or refused.
    #[error("metadata server: {0}")]
    Metadata(String),
    /// Signing failed.
    #[error("signing a service token: {0}")]
    Signing(#[from] jsonwebtoken::errors::Error),
}

/// Mints ID tokens that prove this service's identity to another.
#[derive(Debug)]
pub struct TokenMinter {
    source: Source,
    cache: Mutex<HashMap<String, (String, Instant)>>,
}

enum Source {
    Local { key: Box<EncodingKey>, email: String },
    Metadata { http: reqwest::Client, host: String },
}

impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Local { email, .. } => write!(f, "Local({email}, key redacted)"),
            Source::Metadata { host, .. } => write!(f, "Metadata({host})"),
        }
    }
}

impl TokenMinter {
    /// A minter for this service's identity in `config`'s mode.
    pub fn new(config: &ServiceAuthConfig) -> Self {
        let source = match config.mode {
            ServiceAuthMode::Local => Source::Local {
                key: Box::new(EncodingKey::from_secret(config.secret.expose_secret().as_bytes())),
                email: config.identity.clone(),
            },
            ServiceAuthMode::Google => Source::Metadata {
                http: reqwest::Client::builder()
                    .timeout(Duration::from_secs(10))
                    .build()
                    .unwrap_or_default(),
                host: config.metadata_host.clone(),
            },
        };
        TokenMinter { source, cache: Mutex::new(HashMap::new()) }
    }

    /// A token for calling the service at `audience` (its URL).
    pub async fn token(&self, audience: &str) -> Result<String, MintError> {
        let audience = normalise_url(audience);
        let mut cache = self.cache.lock().await;
        if let Some((token, expires)) = cache.get(audience)
            && Instant::now() + REFRESH_MARGIN < *expires
        {
            return Ok(token.clone());
        }
        let (token, lifetime) = match &self.source {
            Source::Local { key, email } => (sign_local(key, email, audience)?, LOCAL_TOKEN_TTL),
            Source::Metadata { http, host } => (
                fetch_identity(http, host, audience).await?,
                // Google's ID tokens last an hour; refresh well before.
                Duration::from_secs(45 * 60) + REFRESH_MARGIN,
            ),
        };
        cache.insert(audience.to_owned(), (token.clone(), Instant::now() + lifetime));
        Ok(token)
    }
}

fn sign_local(key: &EncodingKey, email: &str, audience: &str) -> Result<String, MintError> {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
    let claims = ServiceClaims {
        iss: LOCAL_ISSUER.to_owned(),
        aud: audience.to_owned(),
        sub: email.to_owned(),
        email: email.to_owned(),
        email_verified: true,
        iat: now,
        exp: now + LOCAL_TOKEN_TTL.as_secs(),
    };
    Ok(jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, key)?)
}

/// An ID token for `audience` from the metadata server, with the email
/// claims (`format=full`).
async fn fetch_identity(
    http: &reqwest::Client,
    host: &str,
    audience: &str,
) -> Result<String, MintError> {
    let url =
        format!("http://{host}/computeMetadata/v1/instance/service-accounts/default/identity");
    let response = http
        .get(url)
        .query(&[("audience", audience), ("format", "full")])
        .header("Metadata-Flavor", "Google")
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|err| MintError::Metadata(err.to_string()))?;
    let token = response.text().await.map_err(|err| MintError::Metadata(err.to_string()))?;
    Ok(token.trim().to_owned())
}
