//! `Idempotency-Key` for checkout, kept in PostgreSQL for 24 hours per
//! owner: a customer's account, or a guest's cart.
//!
//! The first request with a key claims it; its answer is stored in the same
//! transaction that creates the order. A replay with the same body gets that
//! answer again; a different body is a 422; a request while the first is
//! still running is a 409. A claim whose request died is taken over after a
//! minute.

use sha2::{Digest, Sha256};
use sqlx::PgExecutor;
use uuid::Uuid;

use crate::error::{Error, Result};

/// What a key allows.
#[derive(Debug)]
pub enum Claim {
    /// First use: go ahead, then [`complete`] or [`release`].
    Fresh,
    /// Already answered: send this again.
    Replay {
        /// HTTP status of the first answer.
        status: u16,
        /// Body of the first answer.
        body: serde_json::Value,
    },
}

/// A request's `Idempotency-Key` with the fingerprint of its body.
#[derive(Debug, Clone)]
pub struct IdempotencyKey {
    /// The key as sent.
    pub key: String,
    /// A hash of the request body, to tell a replay from a reuse.
    pub fingerprint: Vec<u8>,
}

impl IdempotencyKey {
    /// The `Idempotency-Key` header of a request with `body`, if it has one;
    /// a malformed key is a 422 naming the header.
    pub fn from_request(
        headers: &axum::http::HeaderMap,
        body: &impl serde::Serialize,
    ) -> Result<Option<Self>> {
        let Some(value) = headers.get("idempotency-key") else {
            return Ok(None);
        };
        match value.to_str() {
            Ok(key) if valid_key(key) => {
                Ok(Some(IdempotencyKey { key: key.to_owned(), fingerprint: fingerprint(body)? }))
            }
            _ => {
                Err(Error::invalid("Idempotency-Key", "must be 1 to 255 visible ASCII characters"))
            }
        }
    }
}

/// Checks a key: 1 to 255 visible ASCII characters.
fn valid_key(key: &str) -> bool {
    (1..=255).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic())
}

/// A fingerprint of a request body, to tell a replay from a reuse.
pub fn fingerprint(body: &impl serde::Serialize) -> Result<Vec<u8>> {
    let bytes = serde_json::to_vec(body).map_err(|err| Error::Internal(err.into()))?;
    Ok(Sha256::digest(bytes).to_vec())
}

/// Claims `key` for `owner`, or says how it was used before.
#[tracing::instrument(skip_all, fields(owner = %owner))]
pub async fn claim(
    db: impl PgExecutor<'_> + Copy,
    owner: Uuid,
    key: &str,
    request: &[u8],
) -> Result<Claim> {
    let inserted = sqlx::query!(
        "INSERT INTO idempotency_keys (owner_id, key, request_hash) VALUES ($1, $2, $3)
         ON CONFLICT (owner_id, key) DO UPDATE SET created_at = now()
             WHERE idempotency_keys.response_status IS NULL
               AND idempotency_keys.created_at < now() - interval '1 minute'
               AND idempotency_keys.request_hash = EXCLUDED.request_hash
         RETURNING owner_id",
        owner,
        key,
        request
    )
    .fetch_optional(db)
    .await?;
    if inserted.is_some() {
        return Ok(Claim::Fresh);
    }
    let existing = sqlx::query!(
        "SELECT request_hash, response_status, response_body FROM idempotency_keys
         WHERE owner_id = $1 AND key = $2",
        owner,
        key
    )
    .fetch_one(db)
    .await?;
    if existing.request_hash != request {
        return Err(Error::invalid(
            "Idempotency-Key",
            "was used before with a different request body",
        ));
    }
    match (existing.response_status, existing.response_body) {
        (Some(status), Some(body)) => {
            Ok(Claim::Replay { status: u16::try_from(status).unwrap_or(200), body })
        }
        _ => Err(Error::conflict(
            "idempotency_key_in_flight",
            "a request with this Idempotency-Key is still being processed",
        )),
    }
}

/// Stores the answer for `key` (in the transaction that made it).
#[tracing::instrument(skip_all, fields(owner = %owner))]
pub async fn complete(
    db: impl PgExecutor<'_>,
    owner: Uuid,
    key: &str,
    status: u16,
    body: &serde_json::Value,
) -> Result<()> {
    sqlx::query!(
        "UPDATE idempotency_keys SET response_status = $3, response_body = $4
         WHERE owner_id = $1 AND key = $2",
        owner,
        key,
        i32::from(status),
        body
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Frees `key` after a request that changed nothing, so it can be retried.
#[tracing::instrument(skip_all, fields(owner = %owner))]
pub async fn release(db: impl PgExecutor<'_>, owner: Uuid, key: &str) -> Result<()> {
    sqlx::query!(
        "DELETE FROM idempotency_keys WHERE owner_id = $1 AND key = $2 AND response_status IS NULL",
        owner,
        key
    )
    .execute(db)
    .await?;
    Ok(())
}
