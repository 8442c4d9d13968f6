//! Service-to-service authentication: OIDC ID tokens between the task
//! queue, the worker, the API and the scheduler.
//!
//! In `google` mode tokens come from the metadata server and are checked
//! against Google's published keys; in `local` mode they carry the same
//! claims, signed with a key both services share. Either way one
//! [`TokenVerifier`] checks the signature and algorithm, issuer, audience
//! (the receiving service's own URL), expiry, and that the caller's email
//! is verified and on the allow-list.

mod claims;
mod config;
mod extract;
mod mint;
mod verify;

pub use claims::{GOOGLE_ISSUER, LOCAL_ISSUER, ServiceClaims};
pub use config::{DEV_SERVICE_AUTH_SECRET, ServiceAuthConfig, ServiceAuthMode};
pub use extract::ServiceCaller;
pub use mint::{MintError, TokenMinter};
pub use verify::{ServiceAuthError, TokenVerifier};
