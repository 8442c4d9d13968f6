//! Access tokens (short-lived JWTs) and refresh tokens (random at sign-in,
//! then each the keyed hash of the one it replaces; stored hashed).

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use gokart_domain::Role;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// Who issues access tokens, and for whom.
pub const ISSUER: &str = "gokart";
/// The audience of access tokens: this API and nothing else.
pub const AUDIENCE: &str = "gokart-api";

/// The claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// The user's id.
    pub sub: Uuid,
    /// The session the token belongs to.
    pub sid: Uuid,
    /// The user's role when the token was issued.
    pub role: Role,
    /// Issued at (Unix seconds).
    pub iat: i64,
    /// Expires at (Unix seconds).
    pub exp: i64,
    /// Always [`ISSUER`].
    pub iss: String,
    /// Always [`AUDIENCE`].
    pub aud: String,
}

/// Signs and checks access tokens: HS256 only, issuer, audience and expiry
/// all required.
#[derive(Clone)]
pub struct AccessTokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl: Duration,
    successors: ring::hmac::Key,
}

impl std::fmt::Debug for AccessTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessTokens").field("ttl", &self.ttl).finish_non_exhaustive()
    }
}

impl AccessTokens {
    /// Tokens signed with `secret`, valid for `ttl`.
    pub fn new(secret: &SecretString, ttl: Duration) -> Self {
        let key = secret.expose_secret().as_bytes();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.leeway = 5;
        AccessTokens {
            encoding: EncodingKey::from_secret(key),
            decoding: DecodingKey::from_secret(key),
            validation,
            ttl,
            successors: ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key),
        }
    }

    /// The refresh token that replaces `presented` when it is rotated: a
    /// keyed hash of it, so it is as unguessable as a random token, yet the
    /// same every time. Two tabs refreshing with one token at once both get
    /// the same replacement instead of one of them looking like a thief.
    pub fn refresh_successor(&self, presented: &str) -> String {
        // Labelled, so that nothing else signed with this key (access
        // tokens) can ever be taken for a successor.
        let mut context = ring::hmac::Context::with_key(&self.successors);
        context.update(b"gokart refresh successor\0");
        context.update(presented.as_bytes());
        let tag = context.sign();
        URL_SAFE_NO_PAD.encode(tag.as_ref())
    }

    /// A signed token for `user` in `session`, and its lifetime in seconds.
    pub fn issue(&self, user: Uuid, session: Uuid, role: Role) -> anyhow::Result<(String, u64)> {
        let now = chrono::Utc::now().timestamp();
        let ttl = i64::try_from(self.ttl.as_secs()).unwrap_or(i64::MAX / 2);
        let claims = Claims {
            sub: user,
            sid: session,
            role,
            iat: now,
            exp: now.saturating_add(ttl),
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)?;
        Ok((token, self.ttl.as_secs()))
    }

    /// The claims of a valid token; `None` for anything else.
    pub fn verify(&self, token: &str) -> Option<Claims> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .ok()
    }
}

/// A new opaque token (refresh tokens, guest cart tokens): 256 random
/// bits, URL-safe base64.
pub fn new_opaque_token() -> String {
    let mut bytes = [0u8; 32];
    argon2::password_hash::rand_core::RngCore::fill_bytes(
        &mut argon2::password_hash::rand_core::OsRng,
        &mut bytes,
    );
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The SHA-256 of an opaque token: the only form in which it is stored.
pub fn hash_opaque_token(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens() -> AccessTokens {
        AccessTokens::new(&SecretString::from("test-secret".to_owned()), Duration::from_secs(60))
    }

    #[test]
    fn an_issued_token_verifies_with_its_claims() {
        let (user, session) = (Uuid::new_v4(), Uuid::new_v4());
        let (token, ttl) = tokens().issue(user, session, Role::Admin).unwrap();
        let claims = tokens().verify(&token).unwrap();
        assert_eq!((claims.sub, claims.sid, claims.role, ttl), (user, session, Role::Admin, 60));
    }

    #[test]
    fn a_token_signed_with_another_key_is_refused() {
        let other =
            AccessTokens::new(&SecretString::from("other".to_owned()), Duration::from_secs(60));
        let (token, _) = other.issue(Uuid::new_v4(), Uuid::new_v4(), Role::User).unwrap();
        assert!(tokens().verify(&token).is_none());
    }

    #[test]
    fn refresh_tokens_are_random_and_hashed() {
        let (a, b) = (new_opaque_token(), new_opaque_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43, "256 bits in unpadded base64");
        assert_eq!(hash_opaque_token(&a).len(), 32);
        assert_eq!(hash_opaque_token(&a), hash_opaque_token(&a));
    }
}
