//! SQL for user accounts.

use chrono::{DateTime, Utc};
use gokart_domain::{Email, PersonName, Role};
use sqlx::PgExecutor;
use uuid::Uuid;

use crate::error::{Error, OnConstraint, Result};

/// A stored account.
#[derive(Debug, Clone)]
pub struct UserRow {
    /// Id.
    pub id: Uuid,
    /// Display name.
    pub name: String,
    /// Normalised email.
    pub email: String,
    /// `user` or `admin`.
    pub role: Role,
    /// argon2id PHC string.
    pub password_hash: String,
    /// Registered at.
    pub created_at: DateTime<Utc>,
    /// Last changed at.
    pub updated_at: DateTime<Utc>,
    /// When its address was shown to be the holder's; `None` until then and
    /// after each change of address.
    pub email_verified_at: Option<DateTime<Utc>>,
}

fn email_taken() -> Error {
    Error::conflict("email_taken", "an account with this email already exists")
}

/// Inserts an account; a taken email is a 409.
#[tracing::instrument(skip_all)]
pub async fn insert(
    db: impl PgExecutor<'_>,
    name: &PersonName,
    email: &Email,
    password_hash: &str,
    role: Role,
) -> Result<UserRow> {
    let row = sqlx::query_as!(
        UserRow,
        r#"INSERT INTO users (id, name, email, password_hash, role) VALUES ($1, $2, $3, $4, $5)
         RETURNING id, name, email, role AS "role: Role", password_hash, created_at, updated_at,
                email_verified_at"#,
        Uuid::now_v7(),
        name.as_str(),
        email.as_str(),
        password_hash,
        role as Role
    )
    .fetch_one(db)
    .await
    .on_constraint("users_email_key", email_taken)?;
    Ok(row)
}

/// Inserts an account unless the email exists, its address verified (the
/// operator seeding it vouches for it); whether it was inserted.
#[tracing::instrument(skip_all)]
pub async fn insert_if_missing(
    db: impl PgExecutor<'_>,
    name: &PersonName,
    email: &Email,
    password_hash: &str,
    role: Role,
) -> Result<bool> {
    let done = sqlx::query!(
        "INSERT INTO users (id, name, email, password_hash, role, email_verified_at)
         VALUES ($1, $2, $3, $4, $5, now())
         ON CONFLICT (email) DO NOTHING",
        Uuid::now_v7(),
        name.as_str(),
        email.as_str(),
        password_hash,
        role as Role
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The account with `email` (already normalised).
#[tracing::instrument(skip_all)]
pub async fn find_by_email(db: impl PgExecutor<'_>, email: &str) -> Result<Option<UserRow>> {
    Ok(sqlx::query_as!(
        UserRow,
        r#"SELECT id, name, email, role AS "role: Role", password_hash, created_at, updated_at,
                email_verified_at
         FROM users WHERE email = $1"#,
        email
    )
    .fetch_optional(db)
    .await?)
}

/// The account with `id`, locked until the transaction ends. `NO KEY
/// UPDATE` serialises changes to the account without blocking the foreign-key
/// checks of rows that merely reference it (an order being placed), so
/// sign-in and checkout of one user cannot deadlock.
#[tracing::instrument(skip_all, fields(user = %id))]
pub async fn lock(db: impl PgExecutor<'_>, id: Uuid) -> Result<Option<UserRow>> {
    Ok(sqlx::query_as!(
        UserRow,
        r#"SELECT id, name, email, role AS "role: Role", password_hash, created_at, updated_at,
                email_verified_at
         FROM users WHERE id = $1 FOR NO KEY UPDATE"#,
        id
    )
    .fetch_optional(db)
    .await?)
}

/// The account with `id`.
#[tracing::instrument(skip_all, fields(user = %id))]
pub async fn find(db: impl PgExecutor<'_>, id: Uuid) -> Result<Option<UserRow>> {
    Ok(sqlx::query_as!(
        UserRow,
        r#"SELECT id, name, email, role AS "role: Role", password_hash, created_at, updated_at,
                email_verified_at
         FROM users WHERE id = $1"#,
        id
    )
    .fetch_optional(db)
    .await?)
}

/// Changes name, email and role at once; a taken email is a 409.
#[tracing::instrument(skip_all, fields(user = %id))]
pub async fn update(
    db: impl PgExecutor<'_>,
    id: Uuid,
    name: &str,
    email: &str,
    role: Role,
) -> Result<UserRow> {
    let row = sqlx::query_as!(
        UserRow,
        r#"UPDATE users SET name = $2, email = $3, role = $4,
             email_verified_at = CASE WHEN email = $3 THEN email_verified_at END
         WHERE id = $1
         RETURNING id, name, email, role AS "role: Role", password_hash, created_at, updated_at,
                email_verified_at"#,
        id,
        name,
        email,
        role as Role
    )
    .fetch_optional(db)
    .await
    .on_constraint("users_email_key", email_taken)?;
    row.ok_or(Error::NotFound("user"))
}

/// Replaces the password hash.
#[tracing::instrument(skip_all, fields(user = %id))]
pub async fn set_password_hash(db: impl PgExecutor<'_>, id: Uuid, hash: &str) -> Result<()> {
    sqlx::query!("UPDATE users SET password_hash = $2 WHERE id = $1", id, hash).execute(db).await?;
    Ok(())
}

/// Deletes the account; its sessions go with it.
#[tracing::instrument(skip_all, fields(user = %id))]
pub async fn delete(db: impl PgExecutor<'_>, id: Uuid) -> Result<bool> {
    // Its checkout keys hold its orders' answers: they go with it.
    let done = sqlx::query!(
        "WITH keys AS (DELETE FROM idempotency_keys WHERE owner_id = $1)
         DELETE FROM users WHERE id = $1",
        id
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Locks every admin row and returns their ids: whoever changes the set of
/// admins holds these locks, so two admins demoting each other at once
/// cannot leave none.
#[tracing::instrument(skip_all)]
pub async fn lock_admins(db: impl PgExecutor<'_>) -> Result<Vec<Uuid>> {
    let ids =
        sqlx::query_scalar!("SELECT id FROM users WHERE role = 'admin' ORDER BY id FOR UPDATE")
            .fetch_all(db)
            .await?;
    Ok(ids)
}

/// Every admin's email and password hash.
#[tracing::instrument(skip_all)]
pub async fn admin_password_hashes(db: impl PgExecutor<'_>) -> Result<Vec<(String, String)>> {
    let rows =
        sqlx::query!("SELECT email, password_hash FROM users WHERE role = 'admin' ORDER BY email")
            .fetch_all(db)
            .await?;
    Ok(rows.into_iter().map(|row| (row.email, row.password_hash)).collect())
}

/// A page of accounts matching `search` in name or email, newest first.
#[tracing::instrument(skip_all)]
pub async fn list(
    db: impl PgExecutor<'_>,
    search: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<Vec<UserRow>> {
    let pattern = search.map(like_pattern);
    let rows = sqlx::query_as!(
        UserRow,
        r#"SELECT id, name, email, role AS "role: Role", password_hash, created_at, updated_at,
                email_verified_at
           FROM users
           WHERE $1::text IS NULL OR email ILIKE $1 OR name ILIKE $1
           ORDER BY created_at DESC, id DESC
           LIMIT $2 OFFSET $3"#,
        pattern,
        limit,
        offset
    )
    .fetch_all(db)
    .await?;
    Ok(rows)
}

/// How many accounts match `search`.
#[tracing::instrument(skip_all)]
pub async fn count(db: impl PgExecutor<'_>, search: Option<&str>) -> Result<i64> {
    let pattern = search.map(like_pattern);
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "total!" FROM users
           WHERE $1::text IS NULL OR email ILIKE $1 OR name ILIKE $1"#,
        pattern
    )
    .fetch_one(db)
    .await?;
    Ok(total)
}

/// `%text%` with LIKE's wildcards in `text` escaped.
fn like_pattern(text: &str) -> String {
    let escaped = text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

/// Marks `user`'s address verified, if it is still `email`; whether it was.
#[tracing::instrument(skip_all, fields(user = %user))]
pub async fn mark_verified(db: impl PgExecutor<'_>, user: Uuid, email: &str) -> Result<bool> {
    let done = sqlx::query!(
        "UPDATE users SET email_verified_at = coalesce(email_verified_at, now())
         WHERE id = $1 AND email = $2",
        user,
        email
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Whether `user`'s address is verified.
pub async fn is_verified(db: impl PgExecutor<'_>, user: Uuid) -> Result<bool> {
    Ok(sqlx::query_scalar!(
        r#"SELECT email_verified_at IS NOT NULL AS "verified!" FROM users WHERE id = $1"#,
        user
    )
    .fetch_optional(db)
    .await?
    .unwrap_or(false))
}
