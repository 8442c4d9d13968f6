//! API keys for server-to-server callers: `Authorization: Bearer gk_...`
//! on the admin routes their scopes allow, 403 everywhere else. A key is
//! shown once, kept only as its SHA-256, acts for the admin who made it
//! (never beyond that admin's own standing: a demoted or deleted admin's
//! keys stop working), and stops at once when revoked or expired.

use axum::http::Method;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Serialize};
use sqlx::PgExecutor;
use utoipa::ToSchema;
use uuid::Uuid;

use super::tokens::hash_opaque_token;
use crate::error::{Error, Result};

/// What every key starts with.
pub const PREFIX: &str = "gk_";

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum Scope {
    /// Read products, variants, categories, collections, stock; export.
    #[serde(rename = "catalog:read")]
    CatalogRead,
    /// Change them; import (reads too).
    #[serde(rename = "catalog:write")]
    CatalogWrite,
    /// Read orders.
    #[serde(rename = "orders:read")]
    OrdersRead,
    /// Act on orders (reads too).
    #[serde(rename = "orders:write")]
    OrdersWrite,
    /// Manage webhook endpoints.
    #[serde(rename = "webhooks:write")]
    WebhooksWrite,
}

impl Scope {
    /// Its name.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::CatalogRead => "catalog:read",
            Scope::CatalogWrite => "catalog:write",
            Scope::OrdersRead => "orders:read",
            Scope::OrdersWrite => "orders:write",
            Scope::WebhooksWrite => "webhooks:write",
        }
    }

    /// The scopes that allow what this one names (a write scope allows
    /// reading too).
    fn granted_by(self) -> &'static [&'static str] {
        match self {
            Scope::CatalogRead => &["catalog:read", "catalog:write"],
            Scope::CatalogWrite => &["catalog:write"],
            Scope::OrdersRead => &["orders:read", "orders:write"],
            Scope::OrdersWrite => &["orders:write"],
            Scope::WebhooksWrite => &["webhooks:write"],
        }
    }

    /// The scope a key needs for `method` on the route `template`; `None`
    /// for routes no key may use (users, keys, shop settings, and
    /// everything outside the admin API).
    pub fn needed(method: &Method, template: &str) -> Option<Scope> {
        let rest = template.strip_prefix("/api/v1/admin/")?;
        let reads = method == Method::GET || method == Method::HEAD;
        let family = rest.split('/').next().unwrap_or_default();
        match (family, reads) {
            ("products" | "variants" | "categories" | "collections" | "media", true)
            | ("inventory" | "exports", true) => Some(Scope::CatalogRead),
            ("products" | "variants" | "categories" | "collections" | "media", false)
            | ("imports", _) => Some(Scope::CatalogWrite),
            ("orders" | "returns", true) => Some(Scope::OrdersRead),
            ("orders" | "returns", false) => Some(Scope::OrdersWrite),
            ("webhooks", _) => Some(Scope::WebhooksWrite),
            _ => None,
        }
    }
}

/// A new key: what the caller is shown once, and what is stored.
#[allow(missing_debug_implementations, reason = "it holds the key itself")]
pub struct NewKey {
    /// The whole key.
    pub key: String,
    /// Its first characters, kept to tell keys apart.
    pub prefix: String,
    /// Its hash, kept to recognise it.
    pub hash: Vec<u8>,
}

/// A new random key (`gk_` and 40 characters: 240 bits).
pub fn new_key() -> Result<NewKey> {
    let mut bytes = [0u8; 30];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| Error::Internal(anyhow::anyhow!("no randomness for an API key")))?;
    let key = format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes));
    let prefix = key.chars().take(PREFIX.len() + 8).collect();
    let hash = hash_opaque_token(&key);
    Ok(NewKey { key, prefix, hash })
}

/// A live key, as a request presents it.
#[derive(Debug, Clone)]
pub struct LiveKey {
    /// Its id.
    pub id: Uuid,
    /// The admin it acts for.
    pub admin: Uuid,
    /// Its scopes.
    pub scopes: Vec<String>,
}

impl LiveKey {
    /// Whether it has `scope` (or one that includes it).
    pub fn allows(&self, scope: Scope) -> bool {
        self.scopes.iter().any(|held| scope.granted_by().contains(&held.as_str()))
    }
}

/// The live key `key` (not revoked, not expired, its admin still an
/// admin), noting that it was used (at most once a minute).
pub async fn authenticate(db: &sqlx::PgPool, key: &str) -> Result<Option<LiveKey>> {
    let hash = hash_opaque_token(key);
    let Some(row) = sqlx::query!(
        r#"SELECT k.id, k.created_by, k.scopes,
                  coalesce(k.last_used_at < now() - interval '1 minute', true) AS "stale!"
           FROM api_keys k JOIN users u ON u.id = k.created_by AND u.role = 'admin'
           WHERE k.key_hash = $1 AND k.revoked_at IS NULL
             AND (k.expires_at IS NULL OR k.expires_at > now())"#,
        hash
    )
    .fetch_optional(db)
    .await?
    else {
        return Ok(None);
    };
    if row.stale {
        sqlx::query!("UPDATE api_keys SET last_used_at = now() WHERE id = $1", row.id)
            .execute(db)
            .await?;
    }
    Ok(Some(LiveKey { id: row.id, admin: row.created_by, scopes: row.scopes }))
}

/// A key as admins see it.
#[derive(Debug, Clone)]
pub struct KeyRow {
    /// Id.
    pub id: Uuid,
    /// What it is for.
    pub name: String,
    /// `gk_` and the next 8 characters.
    pub prefix: String,
    /// Its scopes.
    pub scopes: Vec<String>,
    /// The admin it acts for.
    pub created_by: Uuid,
    /// When it stops working by itself.
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was last used (to the minute).
    pub last_used_at: Option<DateTime<Utc>>,
    /// When it was revoked.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Made at.
    pub created_at: DateTime<Utc>,
}

/// Every key, newest first.
pub async fn list(db: impl PgExecutor<'_>) -> Result<Vec<KeyRow>> {
    Ok(sqlx::query_as!(
        KeyRow,
        "SELECT id, name, prefix, scopes, created_by, expires_at, last_used_at, revoked_at,
                created_at
         FROM api_keys ORDER BY created_at DESC, id DESC"
    )
    .fetch_all(db)
    .await?)
}

/// Stores a new key; its row.
pub async fn insert(
    db: impl PgExecutor<'_>,
    name: &str,
    key: &NewKey,
    scopes: &[String],
    created_by: Uuid,
    expires_at: Option<DateTime<Utc>>,
) -> Result<KeyRow> {
    Ok(sqlx::query_as!(
        KeyRow,
        "INSERT INTO api_keys (id, name, prefix, key_hash, scopes, created_by, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         RETURNING id, name, prefix, scopes, created_by, expires_at, last_used_at, revoked_at,
                   created_at",
        Uuid::now_v7(),
        name,
        key.prefix,
        key.hash,
        scopes,
        created_by,
        expires_at
    )
    .fetch_one(db)
    .await?)
}

/// Revokes key `id`; whether it exists (revoking twice is fine).
pub async fn revoke(db: impl PgExecutor<'_>, id: Uuid) -> Result<bool> {
    let done = sqlx::query!(
        "UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1",
        id
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_need_the_scope_of_their_family() {
        let needed = |method: Method, path: &str| Scope::needed(&method, path);
        assert_eq!(needed(Method::GET, "/api/v1/admin/products/{id}"), Some(Scope::CatalogRead));
        assert_eq!(needed(Method::PUT, "/api/v1/admin/products/{id}"), Some(Scope::CatalogWrite));
        assert_eq!(
            needed(Method::GET, "/api/v1/admin/exports/products.csv"),
            Some(Scope::CatalogRead)
        );
        assert_eq!(needed(Method::POST, "/api/v1/admin/imports"), Some(Scope::CatalogWrite));
        assert_eq!(needed(Method::GET, "/api/v1/admin/orders"), Some(Scope::OrdersRead));
        assert_eq!(
            needed(Method::POST, "/api/v1/admin/orders/{id}/cancel"),
            Some(Scope::OrdersWrite)
        );
        assert_eq!(
            needed(Method::DELETE, "/api/v1/admin/webhooks/{id}"),
            Some(Scope::WebhooksWrite)
        );
        for (method, path) in [
            (Method::GET, "/api/v1/admin/users"),
            (Method::POST, "/api/v1/admin/api-keys"),
            (Method::GET, "/api/v1/admin/discounts"),
            (Method::GET, "/api/v1/users/me"),
        ] {
            assert_eq!(needed(method, path), None, "{path}");
        }
    }

    #[test]
    fn write_scopes_read_too() {
        let key = |scopes: &[&str]| LiveKey {
            id: Uuid::nil(),
            admin: Uuid::nil(),
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
        };
        assert!(key(&["catalog:write"]).allows(Scope::CatalogRead));
        assert!(!key(&["catalog:read"]).allows(Scope::CatalogWrite));
        assert!(!key(&["orders:write"]).allows(Scope::CatalogRead));
    }

    #[test]
    fn keys_are_long_random_and_recognisable() {
        let (a, b) = (new_key().unwrap(), new_key().unwrap());
        assert!(a.key.starts_with("gk_") && a.key.len() == 43 && a.key != b.key);
        assert_eq!(a.prefix, a.key[..11]);
        assert_eq!(a.hash, hash_opaque_token(&a.key));
    }
}
