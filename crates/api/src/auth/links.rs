//! The single-use links account holders are emailed (a password reset). A
//! link's token is a keyed hash of its row id: the API stores only the
//! token's hash, and the relay derives the token again when it sends the
//! email, so a token never rests anywhere, the outbox included, and a
//! re-sent email carries the same link.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use gokart_domain::AccountEmailPurpose;
use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;

/// Makes the tokens and links of account emails.
#[derive(Clone)]
pub struct AccountLinks {
    key: ring::hmac::Key,
    storefront: Arc<str>,
    password_reset_ttl: Duration,
    verification_ttl: Duration,
}

impl std::fmt::Debug for AccountLinks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountLinks")
            .field("storefront", &self.storefront)
            .field("password_reset_ttl", &self.password_reset_ttl)
            .field("verification_ttl", &self.verification_ttl)
            .finish_non_exhaustive()
    }
}

impl AccountLinks {
    /// Links to pages of `storefront`, with tokens keyed by `secret`, that
    /// work for `ttls`: (password reset, email verification).
    pub fn new(secret: &SecretString, storefront: &str, ttls: (Duration, Duration)) -> Self {
        let (password_reset_ttl, verification_ttl) = ttls;
        // A key of its own, derived and labelled, so that nothing else
        // signed with the secret can pass for a link token.
        let root = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.expose_secret().as_bytes());
        let derived = ring::hmac::sign(&root, b"gokart account link key");
        AccountLinks {
            key: ring::hmac::Key::new(ring::hmac::HMAC_SHA256, derived.as_ref()),
            storefront: storefront.trim_end_matches('/').into(),
            password_reset_ttl,
            verification_ttl,
        }
    }

    /// The token of link `id`: 256 bits, URL-safe.
    pub fn token(&self, id: Uuid) -> String {
        URL_SAFE_NO_PAD.encode(ring::hmac::sign(&self.key, id.as_bytes()).as_ref())
    }

    /// The access token of guest order `order`: 256 bits, URL-safe, from
    /// the same key as link tokens but a labelled input, so neither can pass
    /// for the other.
    pub fn order_token(&self, order: Uuid) -> String {
        let mut context = ring::hmac::Context::with_key(&self.key);
        context.update(b"gokart order access\0");
        context.update(order.as_bytes());
        URL_SAFE_NO_PAD.encode(context.sign().as_ref())
    }

    /// The page of the shop's web app at `path` (the admin's, say).
    pub fn admin_link(&self, path: &str) -> String {
        format!("{}{path}", self.storefront)
    }

    /// The storefront page that shows the order `token` opens.
    pub fn order_link(&self, token: &str) -> String {
        format!("{}/orders/lookup?token={token}", self.storefront)
    }

    /// How long a link for `purpose` works.
    pub fn ttl(&self, purpose: AccountEmailPurpose) -> Duration {
        match purpose {
            AccountEmailPurpose::PasswordReset => self.password_reset_ttl,
            AccountEmailPurpose::VerifyEmail => self.verification_ttl,
        }
    }

    /// The storefront page that takes `token` for `purpose`.
    pub fn link(&self, purpose: AccountEmailPurpose, token: &str) -> String {
        let page = match purpose {
            AccountEmailPurpose::PasswordReset => "account/reset-password",
            AccountEmailPurpose::VerifyEmail => "account/verify-email",
        };
        format!("{}/{page}?token={token}", self.storefront)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_stable_per_link_and_keyed() {
        let links = AccountLinks::new(
            &SecretString::from("one secret".to_owned()),
            "https://shop.example.com/",
            (Duration::from_secs(1800), Duration::from_secs(86_400)),
        );
        let other = AccountLinks::new(
            &SecretString::from("another secret".to_owned()),
            "https://shop.example.com",
            (Duration::from_secs(1800), Duration::from_secs(86_400)),
        );
        let id = Uuid::now_v7();
        assert_eq!(links.token(id), links.token(id));
        assert_eq!(links.token(id).len(), 43, "256 bits in base64url");
        assert_ne!(links.token(id), links.token(Uuid::now_v7()));
        assert_ne!(links.token(id), other.token(id));
        assert_ne!(links.order_token(id), links.token(id));
        assert_eq!(links.order_token(id), links.order_token(id));
        assert_eq!(
            links.link(AccountEmailPurpose::PasswordReset, "abc"),
            "https://shop.example.com/account/reset-password?token=abc"
        );
    }
}
