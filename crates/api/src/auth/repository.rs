//! SQL for sessions, refresh tokens and failed-login tracking.

use chrono::{DateTime, Utc};
use gokart_domain::Role;
use sqlx::PgExecutor;
use uuid::Uuid;

use crate::error::Result;

/// A live session as its owner sees it.
#[derive(Debug, Clone)]
pub struct SessionRow {
    /// Session id.
    pub id: Uuid,
    /// When it was created (the login).
    pub created_at: DateTime<Utc>,
    /// When a token of it was last refreshed.
    pub last_used_at: DateTime<Utc>,
    /// The browser or client that created it.
    pub user_agent: Option<String>,
}

/// What a presented refresh token refers to.
#[derive(Debug, Clone)]
pub struct RefreshTokenRow {
    /// Its session.
    pub session_id: Uuid,
    /// The session's user.
    pub user_id: Uuid,
    /// The user's role.
    pub role: Role,
    /// Already rotated: presenting it again means it was stolen.
    pub already_used: bool,
    /// The session is neither revoked nor expired.
    pub session_live: bool,
}

fn role(raw: &str) -> Role {
    // The column's CHECK constraint allows only these two values.
    if raw == "admin" { Role::Admin } else { Role::User }
}

/// The role of `user` if `session` is theirs and still live.
pub async fn live_session_role(
    db: impl PgExecutor<'_>,
    session: Uuid,
    user: Uuid,
) -> Result<Option<Role>> {
    let row = sqlx::query_scalar!(
        r#"SELECT u.role FROM sessions s JOIN users u ON u.id = s.user_id
           WHERE s.id = $1 AND s.user_id = $2 AND s.revoked_at IS NULL AND s.expires_at > now()"#,
        session,
        user
    )
    .fetch_optional(db)
    .await?;
    Ok(row.as_deref().map(role))
}

/// Creates a session for `user`.
pub async fn create_session(
    db: impl PgExecutor<'_>,
    id: Uuid,
    user: Uuid,
    user_agent: Option<&str>,
    expires_at: DateTime<Utc>,
) -> Result<()> {
    sqlx::query!(
        "INSERT INTO sessions (id, user_id, user_agent, expires_at) VALUES ($1, $2, $3, $4)",
        id,
        user,
        user_agent,
        expires_at
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Stores the hash of a new refresh token for `session`.
pub async fn insert_refresh_token(
    db: impl PgExecutor<'_>,
    hash: &[u8],
    session: Uuid,
) -> Result<()> {
    sqlx::query!(
        "INSERT INTO refresh_tokens (token_hash, session_id) VALUES ($1, $2)",
        hash,
        session
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Revokes `user`'s live sessions beyond the `keep` newest.
pub async fn revoke_sessions_beyond(db: impl PgExecutor<'_>, user: Uuid, keep: i64) -> Result<u64> {
    let done = sqlx::query!(
        r#"UPDATE sessions SET revoked_at = now(), revoked_reason = 'session_limit'
           WHERE id IN (
               SELECT id FROM sessions
               WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > now()
               ORDER BY created_at DESC, id DESC
               OFFSET $2
           )"#,
        user,
        keep
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

/// Looks up a refresh token by hash and locks it, so two refreshes with the
/// same token are decided one after the other.
pub async fn find_refresh_token_for_update(
    db: impl PgExecutor<'_>,
    hash: &[u8],
) -> Result<Option<RefreshTokenRow>> {
    let row = sqlx::query!(
        r#"SELECT s.id AS session_id, s.user_id, u.role,
                  t.used_at IS NOT NULL AS "already_used!",
                  (s.revoked_at IS NULL AND s.expires_at > now()) AS "session_live!"
           FROM refresh_tokens t
           JOIN sessions s ON s.id = t.session_id
           JOIN users u ON u.id = s.user_id
           WHERE t.token_hash = $1
           FOR UPDATE OF t, s"#,
        hash
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| RefreshTokenRow {
        session_id: r.session_id,
        user_id: r.user_id,
        role: role(&r.role),
        already_used: r.already_used,
        session_live: r.session_live,
    }))
}

/// Marks a refresh token as rotated and the session as just used.
pub async fn rotate_refresh_token(
    db: impl PgExecutor<'_>,
    old_hash: &[u8],
    session: Uuid,
    user_agent: Option<&str>,
) -> Result<()> {
    sqlx::query!(
        r#"WITH used AS (UPDATE refresh_tokens SET used_at = now() WHERE token_hash = $1)
           UPDATE sessions SET last_used_at = now(), user_agent = coalesce($3, user_agent)
           WHERE id = $2"#,
        old_hash,
        session,
        user_agent
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Revokes one session, whoever owns it; whether it was live.
pub async fn revoke_session(db: impl PgExecutor<'_>, session: Uuid, reason: &str) -> Result<bool> {
    let done = sqlx::query!(
        "UPDATE sessions SET revoked_at = now(), revoked_reason = $2
         WHERE id = $1 AND revoked_at IS NULL",
        session,
        reason
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Revokes one of `user`'s live sessions; false if there is no such session.
pub async fn revoke_own_session(
    db: impl PgExecutor<'_>,
    user: Uuid,
    session: Uuid,
) -> Result<bool> {
    let done = sqlx::query!(
        "UPDATE sessions SET revoked_at = now(), revoked_reason = 'revoked_by_user'
         WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL AND expires_at > now()",
        session,
        user
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Revokes all of `user`'s live sessions except `keep`, if given.
pub async fn revoke_all_sessions(
    db: impl PgExecutor<'_>,
    user: Uuid,
    keep: Option<Uuid>,
    reason: &str,
) -> Result<u64> {
    let done = sqlx::query!(
        "UPDATE sessions SET revoked_at = now(), revoked_reason = $3
         WHERE user_id = $1 AND revoked_at IS NULL AND id IS DISTINCT FROM $2",
        user,
        keep,
        reason
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

/// `user`'s live sessions, newest first.
pub async fn live_sessions(db: impl PgExecutor<'_>, user: Uuid) -> Result<Vec<SessionRow>> {
    let rows = sqlx::query_as!(
        SessionRow,
        "SELECT id, created_at, last_used_at, user_agent FROM sessions
         WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > now()
         ORDER BY created_at DESC, id DESC",
        user
    )
    .fetch_all(db)
    .await?;
    Ok(rows)
}

/// Seconds until `email` may try to log in again, if it is locked out.
pub async fn lockout_remaining(db: impl PgExecutor<'_>, email: &str) -> Result<Option<u64>> {
    let seconds = sqlx::query_scalar!(
        r#"SELECT ceil(extract(epoch FROM locked_until - now()))::bigint AS "seconds!"
           FROM login_failures WHERE email = $1 AND locked_until > now()"#,
        email
    )
    .fetch_optional(db)
    .await?;
    Ok(seconds.map(|s| u64::try_from(s).unwrap_or(1)))
}

/// Counts a failed login for `email` within a window of `window_secs`, and
/// returns the failures counted in the current window.
pub async fn record_login_failure(
    db: impl PgExecutor<'_>,
    email: &str,
    window_secs: f64,
) -> Result<i32> {
    let failures = sqlx::query_scalar!(
        r#"INSERT INTO login_failures AS f (email, failures, window_started_at)
           VALUES ($1, 1, now())
           ON CONFLICT (email) DO UPDATE SET
               failures = CASE WHEN f.window_started_at < now() - make_interval(secs => $2)
                               THEN 1 ELSE f.failures + 1 END,
               window_started_at = CASE WHEN f.window_started_at < now() - make_interval(secs => $2)
                                        THEN now() ELSE f.window_started_at END
           RETURNING failures"#,
        email,
        window_secs
    )
    .fetch_one(db)
    .await?;
    Ok(failures)
}

/// Locks `email` out for `seconds`.
pub async fn lock_out(db: impl PgExecutor<'_>, email: &str, seconds: f64) -> Result<()> {
    sqlx::query!(
        "UPDATE login_failures SET locked_until = now() + make_interval(secs => $2) WHERE email = $1",
        email,
        seconds
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Forgets failed logins for `email` after a successful one.
pub async fn clear_login_failures(db: impl PgExecutor<'_>, email: &str) -> Result<()> {
    sqlx::query!("DELETE FROM login_failures WHERE email = $1", email).execute(db).await?;
    Ok(())
}

/// Revokes the session a refresh token belongs to (logout).
pub async fn revoke_session_of_token(db: impl PgExecutor<'_>, hash: &[u8]) -> Result<bool> {
    let done = sqlx::query!(
        "UPDATE sessions SET revoked_at = now(), revoked_reason = 'logout'
         WHERE revoked_at IS NULL AND id = (SELECT session_id FROM refresh_tokens WHERE token_hash = $1)",
        hash
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}
