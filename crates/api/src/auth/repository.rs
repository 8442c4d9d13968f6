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
    /// Already rotated: presenting it again means it was stolen, unless
    /// it is within the grace period.
    pub already_used: bool,
    /// Rotated less than the grace period ago.
    pub used_within_grace: bool,
    /// The session is neither revoked nor expired.
    pub session_live: bool,
}

fn role(raw: &str) -> Role {
    // The column's CHECK constraint allows only these two values.
    if raw == "admin" { Role::Admin } else { Role::User }
}

/// The name and address of user `id`, while they are an admin.
#[derive(Debug, Clone)]
pub struct AdminContact {
    /// Their name.
    pub name: String,
    /// Their address.
    pub email: String,
}

/// How to reach admin `id`; `None` once they are not one.
pub async fn admin_contact(db: impl PgExecutor<'_>, id: Uuid) -> Result<Option<AdminContact>> {
    Ok(sqlx::query_as!(
        AdminContact,
        "SELECT name, email FROM users WHERE id = $1 AND role = 'admin'",
        id
    )
    .fetch_optional(db)
    .await?)
}

/// The role of `user` if `session` is theirs and still live.
#[tracing::instrument(skip_all, fields(session = %session, user = %user))]
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
#[tracing::instrument(skip_all, fields(session = %id, user = %user))]
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
#[tracing::instrument(skip_all, fields(session = %session))]
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
#[tracing::instrument(skip_all, fields(user = %user))]
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
/// same token are decided one after the other; `grace_secs` decides
/// [`RefreshTokenRow::used_within_grace`].
#[tracing::instrument(skip_all)]
pub async fn find_refresh_token_for_update(
    db: impl PgExecutor<'_>,
    hash: &[u8],
    grace_secs: f64,
) -> Result<Option<RefreshTokenRow>> {
    let row = sqlx::query!(
        r#"SELECT s.id AS session_id, s.user_id, u.role,
                  t.used_at IS NOT NULL AS "already_used!",
                  coalesce(t.used_at > now() - make_interval(secs => $2), false)
                      AS "used_within_grace!",
                  (s.revoked_at IS NULL AND s.expires_at > now()) AS "session_live!"
           FROM refresh_tokens t
           JOIN sessions s ON s.id = t.session_id
           JOIN users u ON u.id = s.user_id
           WHERE t.token_hash = $1
           FOR UPDATE OF t, s"#,
        hash,
        grace_secs
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| RefreshTokenRow {
        session_id: r.session_id,
        user_id: r.user_id,
        role: role(&r.role),
        already_used: r.already_used,
        used_within_grace: r.used_within_grace,
        session_live: r.session_live,
    }))
}

/// Whether `hash` is a refresh token of `session` not yet rotated.
#[tracing::instrument(skip_all, fields(session = %session))]
pub async fn is_current_refresh_token(
    db: impl PgExecutor<'_>,
    hash: &[u8],
    session: Uuid,
) -> Result<bool> {
    let current = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM refresh_tokens
                          WHERE token_hash = $1 AND session_id = $2 AND used_at IS NULL)
           AS "current!""#,
        hash,
        session
    )
    .fetch_one(db)
    .await?;
    Ok(current)
}

/// Marks a refresh token as rotated and the session as just used.
#[tracing::instrument(skip_all, fields(session = %session))]
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
#[tracing::instrument(skip_all, fields(session = %session, reason = %reason))]
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
#[tracing::instrument(skip_all, fields(user = %user, session = %session))]
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
#[tracing::instrument(skip_all, fields(user = %user, keep = ?keep, reason = %reason))]
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
#[tracing::instrument(skip_all, fields(user = %user))]
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

/// What a reservation of sign-in attempts found.
#[derive(Debug, Clone, Copy)]
pub struct Reserved {
    /// The caller's own key had an attempt left (and now has one fewer).
    pub own_granted: bool,
    /// Seconds until the caller's own window starts again.
    pub own_retry_after: u64,
    /// The account-wide key's answer, when one was asked for and the own
    /// key granted: whether it had an attempt left, and its wait.
    pub account: Option<(bool, u64)>,
}

/// Takes one attempt under `own` (at most `own_limit` per window of
/// `window_secs`) and, if that was granted and `account` is given, one under
/// the account-wide key (at most `account_limit`), in one statement, so
/// concurrent callers are counted one after the other. An attempt refused
/// by its limit is not counted past it.
#[tracing::instrument(skip_all)]
pub async fn reserve_attempts(
    db: impl PgExecutor<'_>,
    own: &str,
    own_limit: i32,
    account: Option<(&str, i32)>,
    window_secs: f64,
) -> Result<Reserved> {
    let (account_key, account_limit) = account.unzip();
    let row = sqlx::query!(
        r#"WITH own AS (
               INSERT INTO login_throttle AS t (key, attempts, window_started_at)
               VALUES ($1, 1, now())
               ON CONFLICT (key) DO UPDATE SET
                   attempts = CASE WHEN t.window_started_at <= now() - make_interval(secs => $3)
                                   THEN 1 ELSE least(t.attempts + 1, $4 + 1) END,
                   window_started_at = CASE WHEN t.window_started_at <= now() - make_interval(secs => $3)
                                            THEN now() ELSE t.window_started_at END
               RETURNING attempts <= $4 AS granted, window_started_at
           ), account AS (
               INSERT INTO login_throttle AS t (key, attempts, window_started_at)
               SELECT $2::text, 1, now() FROM own WHERE own.granted AND $2::text IS NOT NULL
               ON CONFLICT (key) DO UPDATE SET
                   attempts = CASE WHEN t.window_started_at <= now() - make_interval(secs => $3)
                                   THEN 1 ELSE least(t.attempts + 1, $5 + 1) END,
                   window_started_at = CASE WHEN t.window_started_at <= now() - make_interval(secs => $3)
                                            THEN now() ELSE t.window_started_at END
               RETURNING attempts <= $5 AS granted, window_started_at
           )
           SELECT own.granted AS "own_granted!",
                  greatest(1, ceil(extract(epoch FROM
                      own.window_started_at + make_interval(secs => $3) - now())))::bigint
                      AS "own_retry_after!",
                  account.granted AS "account_granted?",
                  greatest(1, ceil(extract(epoch FROM
                      account.window_started_at + make_interval(secs => $3) - now())))::bigint
                      AS "account_retry_after?"
           FROM own LEFT JOIN account ON true"#,
        own,
        account_key,
        window_secs,
        own_limit,
        account_limit.unwrap_or(i32::MAX - 1)
    )
    .fetch_one(db)
    .await?;
    let seconds = |raw: i64| u64::try_from(raw).unwrap_or(1);
    Ok(Reserved {
        own_granted: row.own_granted,
        own_retry_after: seconds(row.own_retry_after),
        account: row
            .account_granted
            .map(|granted| (granted, seconds(row.account_retry_after.unwrap_or(1)))),
    })
}

/// After a right password: forgets every attempt under `own` and gives back
/// the one taken under `account`, in one statement.
#[tracing::instrument(skip_all)]
pub async fn settle_success(
    db: impl PgExecutor<'_>,
    own: &str,
    account: Option<&str>,
) -> Result<()> {
    sqlx::query!(
        "WITH forgotten AS (DELETE FROM login_throttle WHERE key = $1)
         UPDATE login_throttle SET attempts = greatest(attempts - 1, 0) WHERE key = $2",
        own,
        account
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Gives back one attempt taken under `key`.
#[tracing::instrument(skip_all)]
pub async fn release_attempt(db: impl PgExecutor<'_>, key: &str) -> Result<()> {
    sqlx::query!(
        "UPDATE login_throttle SET attempts = greatest(attempts - 1, 0) WHERE key = $1",
        key
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Whether `hash` is a device token of `user`'s.
#[tracing::instrument(skip_all, fields(user = %user))]
pub async fn is_known_device(db: impl PgExecutor<'_>, hash: &[u8], user: Uuid) -> Result<bool> {
    let known = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM login_devices WHERE token_hash = $1 AND user_id = $2)
           AS "known!""#,
        hash,
        user
    )
    .fetch_one(db)
    .await?;
    Ok(known)
}

/// Remembers a device `user` signed in from, keeping the `keep` newest.
#[tracing::instrument(skip_all, fields(user = %user))]
pub async fn remember_device(
    db: impl PgExecutor<'_>,
    hash: &[u8],
    user: Uuid,
    keep: i64,
) -> Result<()> {
    sqlx::query!(
        r#"WITH added AS (INSERT INTO login_devices (token_hash, user_id) VALUES ($1, $2))
           DELETE FROM login_devices WHERE token_hash IN (
               SELECT token_hash FROM login_devices WHERE user_id = $2
               ORDER BY created_at DESC OFFSET greatest($3::bigint - 1, 0)
           )"#,
        hash,
        user,
        keep
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Revokes the session a refresh token belongs to (logout).
#[tracing::instrument(skip_all)]
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

/// A new emailed link and how its email is queued.
#[derive(Debug, Clone, Copy)]
pub struct NewLink<'a> {
    /// What it does: `password_reset` or `verify_email`.
    pub purpose: &'a str,
    /// The account's address (lower-case), which the link goes to.
    pub email: &'a str,
    /// The link's id.
    pub id: Uuid,
    /// The hash of its token.
    pub token_hash: &'a [u8],
    /// How long it works, in seconds.
    pub ttl_secs: f64,
    /// No new link to the same address within this many seconds of the last.
    pub cooldown_secs: f64,
    /// The outbox row of its email: id, kind, payload, trace.
    pub outbox: (Uuid, &'a str, &'a serde_json::Value, Option<&'a str>),
}

/// Issues `link` for the account with its address, if there is one,
/// replaces that account's earlier links of the purpose, and queues the
/// email: one statement that runs the same whether or not the account
/// exists. An address that got a link of the purpose within the cooldown
/// gets no new one. Whether a link was issued.
#[tracing::instrument(skip_all)]
pub async fn issue_link(db: impl PgExecutor<'_>, link: &NewLink<'_>) -> Result<bool> {
    let (outbox_id, kind, payload, trace) = link.outbox;
    let done = sqlx::query!(
        "WITH target AS (
             SELECT u.id, u.email FROM users u
             WHERE u.email = $1
               AND NOT EXISTS (SELECT 1 FROM account_tokens t
                               WHERE t.user_id = u.id AND t.purpose = $10 AND t.email = u.email
                                 AND t.created_at > now() - make_interval(secs => $5))
         ), issued AS (
             INSERT INTO account_tokens (id, user_id, purpose, token_hash, email, expires_at)
             SELECT $2, id, $10, $3, email, now() + make_interval(secs => $4)
             FROM target
             RETURNING id, user_id
         ), replaced AS (
             UPDATE account_tokens t SET used_at = now()
             FROM issued
             WHERE t.user_id = issued.user_id AND t.purpose = $10
               AND t.used_at IS NULL AND t.id <> issued.id
         )
         INSERT INTO outbox (id, kind, payload, trace_id)
         SELECT $6, $7, $8, $9 FROM issued",
        link.email,
        link.id,
        link.token_hash,
        link.ttl_secs,
        link.cooldown_secs,
        outbox_id,
        kind,
        payload,
        trace,
        link.purpose
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The account of a live link (not used, replaced or expired) of `purpose`
/// whose token hashes to `hash`.
#[tracing::instrument(skip_all)]
pub async fn live_link(
    db: impl PgExecutor<'_>,
    hash: &[u8],
    purpose: &str,
) -> Result<Option<Uuid>> {
    Ok(sqlx::query_scalar!(
        "SELECT user_id FROM account_tokens
         WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > now()",
        hash,
        purpose
    )
    .fetch_optional(db)
    .await?)
}

/// A link that was used: its account and the address it was sent to.
#[derive(Debug, Clone)]
pub struct UsedLink {
    /// The account.
    pub user_id: Uuid,
    /// The address the link went to.
    pub email: String,
}

/// Uses up the live link whose token hashes to `hash`, and every other live
/// link of its account and purpose; `None` when it was not live. Of two
/// requests with one token, one gets it.
#[tracing::instrument(skip_all)]
pub async fn use_link(
    db: impl PgExecutor<'_>,
    hash: &[u8],
    purpose: &str,
) -> Result<Option<UsedLink>> {
    Ok(sqlx::query_as!(
        UsedLink,
        r#"WITH used AS (
               UPDATE account_tokens SET used_at = now()
               WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > now()
               RETURNING user_id, email
           ), others AS (
               UPDATE account_tokens t SET used_at = now()
               FROM used
               WHERE t.user_id = used.user_id AND t.purpose = $2 AND t.used_at IS NULL
                 AND t.token_hash <> $1
           )
           SELECT user_id AS "user_id!", email AS "email!" FROM used"#,
        hash,
        purpose
    )
    .fetch_optional(db)
    .await?)
}

/// What the email of link `id` needs, while the link is live.
#[derive(Debug, Clone)]
pub struct LinkFacts {
    /// What it does.
    pub purpose: String,
    /// The address it goes to.
    pub email: String,
    /// The account holder's name.
    pub name: String,
    /// Whole minutes left, at least 1.
    pub minutes_left: i64,
}

/// The facts of link `id`; `None` once it is used, replaced or expired.
#[tracing::instrument(skip_all, fields(link = %id))]
pub async fn live_link_facts(db: impl PgExecutor<'_>, id: Uuid) -> Result<Option<LinkFacts>> {
    Ok(sqlx::query_as!(
        LinkFacts,
        r#"SELECT t.purpose, t.email, u.name,
                  greatest(1, floor(extract(epoch FROM t.expires_at - now()) / 60))::bigint
                      AS "minutes_left!"
           FROM account_tokens t JOIN users u ON u.id = t.user_id
           WHERE t.id = $1 AND t.used_at IS NULL AND t.expires_at > now()"#,
        id
    )
    .fetch_optional(db)
    .await?)
}
