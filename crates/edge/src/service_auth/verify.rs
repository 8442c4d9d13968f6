//! Checking service tokens: one code path for both modes, only the key
//! source differs.

use std::time::{Duration, Instant};

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use secrecy::ExposeSecret;
use tokio::sync::{Mutex, RwLock};

use super::claims::{GOOGLE_ISSUER, LOCAL_ISSUER, ServiceClaims, normalise_url};
use super::config::{ServiceAuthConfig, ServiceAuthMode};

/// Keys are refetched at least this often, as Google rotates them.
const JWKS_MAX_AGE: Duration = Duration::from_secs(3600);
/// An unknown `kid` refetches fresh keys at most this often, so a stream of
/// forged tokens cannot turn into a stream of fetches.
const JWKS_MIN_REFETCH: Duration = Duration::from_secs(30);
/// Clock skew tolerated on `exp` and `iat`.
const LEEWAY_SECS: u64 = 30;

/// Why a token was refused.
#[derive(Debug, thiserror::Error)]
pub enum ServiceAuthError {
    /// No bearer token at all.
    #[error("a service token is required")]
    Missing,
    /// Not a valid token for this service (signature, algorithm, key id,
    /// issuer, audience, expiry): 401.
    #[error("invalid service token: {0}")]
    Invalid(String),
    /// A valid token from a caller that may not call this service: 403.
    #[error("{0} may not call this service")]
    NotAllowed(String),
    /// The signing keys could not be fetched: 503, so the caller retries.
    #[error("service token keys unavailable: {0}")]
    KeysUnavailable(String),
}

/// Checks service tokens addressed to one service.
#[derive(Debug)]
pub struct TokenVerifier {
    audience: String,
    issuers: Vec<String>,
    allowed: Vec<String>,
    keys: Keys,
}

enum Keys {
    Shared(Box<DecodingKey>),
    Published(Jwks),
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Keys::Shared(_) => f.write_str("Shared(redacted)"),
            Keys::Published(jwks) => write!(f, "Published({:?})", jwks.url),
        }
    }
}

impl TokenVerifier {
    /// A verifier for tokens minted for this service: `SERVICE_AUTH_AUDIENCE`
    /// when set, else `public_url`.
    pub fn new(config: &ServiceAuthConfig, public_url: &str) -> Self {
        let audience = config.audience.as_deref().unwrap_or(public_url);
        let (issuers, keys) = match config.mode {
            ServiceAuthMode::Local => (
                vec![LOCAL_ISSUER.to_owned()],
                Keys::Shared(Box::new(DecodingKey::from_secret(
                    config.secret.expose_secret().as_bytes(),
                ))),
            ),
            ServiceAuthMode::Google => (
                // Google documents both spellings of its issuer.
                vec![GOOGLE_ISSUER.to_owned(), "accounts.google.com".to_owned()],
                Keys::Published(Jwks::new(config.jwks_url.clone())),
            ),
        };
        TokenVerifier {
            audience: normalise_url(audience).to_owned(),
            issuers,
            allowed: config.allowed_emails.clone(),
            keys,
        }
    }

    /// The caller's claims, if `token` is a valid token from an allowed caller.
    pub async fn verify(&self, token: &str) -> Result<ServiceClaims, ServiceAuthError> {
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| ServiceAuthError::Invalid("malformed token".into()))?;
        let (algorithm, key) = match &self.keys {
            Keys::Shared(key) => (Algorithm::HS256, key.as_ref().clone()),
            Keys::Published(jwks) => {
                let kid = header
                    .kid
                    .as_deref()
                    .ok_or_else(|| ServiceAuthError::Invalid("no key id".into()))?;
                (Algorithm::RS256, jwks.key(kid).await?)
            }
        };
        if header.alg != algorithm {
            return Err(ServiceAuthError::Invalid(format!("algorithm {:?} refused", header.alg)));
        }
        let mut validation = Validation::new(algorithm);
        validation.set_issuer(&self.issuers);
        validation.set_audience(&[self.audience.clone(), format!("{}/", self.audience)]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud"]);
        validation.leeway = LEEWAY_SECS;
        let claims = jsonwebtoken::decode::<ServiceClaims>(token, &key, &validation)
            .map_err(|err| ServiceAuthError::Invalid(err.to_string()))?
            .claims;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        if claims.iat > now + LEEWAY_SECS {
            return Err(ServiceAuthError::Invalid("issued in the future".into()));
        }
        let email = claims.email.to_ascii_lowercase();
        if email.is_empty() || !claims.email_verified || !self.allowed.contains(&email) {
            return Err(ServiceAuthError::NotAllowed(if email.is_empty() {
                "a caller without an email".into()
            } else {
                email
            }));
        }
        Ok(claims)
    }
}

/// Google's published signing keys, cached and refetched on an unknown `kid`.
struct Jwks {
    url: Option<String>,
    http: reqwest::Client,
    cached: RwLock<Option<(JwkSet, Instant)>>,
    /// Held while fetching; when an unknown `kid` last forced a fetch.
    last_forced: Mutex<Option<Instant>>,
}

impl Jwks {
    fn new(url: Option<String>) -> Self {
        Jwks {
            url,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap_or_default(),
            cached: RwLock::new(None),
            last_forced: Mutex::new(None),
        }
    }

    async fn key(&self, kid: &str) -> Result<DecodingKey, ServiceAuthError> {
        if let Some(key) = self.cached_key(kid).await {
            return key;
        }
        let mut last_forced = self.last_forced.lock().await;
        // Another request may have refreshed the keys while this one waited.
        if let Some(key) = self.cached_key(kid).await {
            return key;
        }
        let fresh = matches!(
            self.cached.read().await.as_ref(),
            Some((_, fetched)) if fetched.elapsed() < JWKS_MAX_AGE
        );
        // Fresh keys without this `kid`: Google may have rotated, so fetch
        // again, but not more often than JWKS_MIN_REFETCH.
        let may_force = last_forced.is_none_or(|at| at.elapsed() >= JWKS_MIN_REFETCH);
        if !fresh || may_force {
            let keys = self.fetch().await?;
            *self.cached.write().await = Some((keys, Instant::now()));
            if fresh {
                *last_forced = Some(Instant::now());
            }
        }
        self.cached_key(kid)
            .await
            .unwrap_or_else(|| Err(ServiceAuthError::Invalid(format!("unknown key id {kid:?}"))))
    }

    /// The key for `kid`, if the cached set is fresh and has it.
    async fn cached_key(&self, kid: &str) -> Option<Result<DecodingKey, ServiceAuthError>> {
        let cached = self.cached.read().await;
        let (set, _) = cached.as_ref().filter(|(_, fetched)| fetched.elapsed() < JWKS_MAX_AGE)?;
        let jwk = set.find(kid)?;
        Some(
            DecodingKey::from_jwk(jwk)
                .map_err(|err| ServiceAuthError::Invalid(format!("unusable key {kid:?}: {err}"))),
        )
    }

    async fn fetch(&self) -> Result<JwkSet, ServiceAuthError> {
        let unavailable = |err: reqwest::Error| ServiceAuthError::KeysUnavailable(err.to_string());
        let url = match &self.url {
            Some(url) => url.clone(),
            None => self.discover().await?,
        };
        self.http
            .get(url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(unavailable)?
            .json::<JwkSet>()
            .await
            .map_err(unavailable)
    }

    /// The key set's address from the issuer's OpenID configuration.
    async fn discover(&self) -> Result<String, ServiceAuthError> {
        #[derive(serde::Deserialize)]
        struct Discovery {
            jwks_uri: String,
        }
        let unavailable = |err: reqwest::Error| ServiceAuthError::KeysUnavailable(err.to_string());
        Ok(self
            .http
            .get(format!("{GOOGLE_ISSUER}/.well-known/openid-configuration"))
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(unavailable)?
            .json::<Discovery>()
            .await
            .map_err(unavailable)?
            .jwks_uri)
    }
}
