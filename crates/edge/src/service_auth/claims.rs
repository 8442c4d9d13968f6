//! What a service token says: its claims, the two issuers that sign them,
//! and the form audience URLs are compared in.

use serde::{Deserialize, Serialize};

/// The issuer of Google-signed ID tokens.
pub const GOOGLE_ISSUER: &str = "https://accounts.google.com";
/// The issuer of locally signed service tokens.
pub const LOCAL_ISSUER: &str = "gokart-local";

/// The claims of a service ID token (the subset of Google's we rely on).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceClaims {
    /// Who signed it.
    pub iss: String,
    /// The URL of the service it was minted for.
    pub aud: String,
    /// The caller's stable id.
    pub sub: String,
    /// The caller's service-account email.
    #[serde(default)]
    pub email: String,
    /// Whether the issuer vouches for `email`.
    #[serde(default)]
    pub email_verified: bool,
    /// Issued at, seconds since the epoch.
    pub iat: u64,
    /// Expires at, seconds since the epoch.
    pub exp: u64,
}

/// `url` without trailing slashes: audiences compare in this form.
pub(crate) fn normalise_url(url: &str) -> &str {
    url.trim_end_matches('/')
}
