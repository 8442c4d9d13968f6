//! Sign-in, token refresh, sign-out and session management.

use chrono::Utc;
use sqlx::PgConnection;
use uuid::Uuid;

use super::extract::AuthUser;
use super::repository::{self, SessionRow};
use super::tokens::{hash_opaque_token, new_opaque_token};
use crate::cart::service as cart;
use crate::error::{Error, Result};
use crate::state::AppState;
use crate::users::repository::{self as users, UserRow};

/// What a client receives when a session starts or is refreshed.
#[derive(Debug)]
pub struct SessionTokens {
    /// Short-lived JWT for the `Authorization` header.
    pub access_token: String,
    /// Its lifetime in seconds.
    pub expires_in: u64,
    /// The refresh token, for the cookie only.
    pub refresh_token: String,
}

const ENDED: Error = Error::Unauthorized("this session has ended; sign in again");

/// Starts a session for `user` inside the caller's transaction, revoking the
/// oldest sessions beyond the per-user cap. The user row is locked so
/// concurrent logins of one user are counted one after the other.
#[tracing::instrument(skip_all, fields(user = %user.id))]
pub async fn start_session(
    tx: &mut PgConnection,
    state: &AppState,
    user: &UserRow,
    user_agent: Option<&str>,
) -> Result<SessionTokens> {
    users::lock(&mut *tx, user.id).await?.ok_or(Error::NotFound("user"))?;
    let auth = &state.config.auth;
    let session = Uuid::new_v4();
    let ttl = chrono::Duration::from_std(auth.refresh_token_ttl)
        .map_err(|err| anyhow::anyhow!("REFRESH_TOKEN_TTL out of range: {err}"))?;
    let expires_at = Utc::now()
        .checked_add_signed(ttl)
        .ok_or_else(|| anyhow::anyhow!("REFRESH_TOKEN_TTL out of range"))?;
    repository::create_session(&mut *tx, session, user.id, user_agent, expires_at).await?;
    let refresh_token = new_opaque_token();
    repository::insert_refresh_token(&mut *tx, &hash_opaque_token(&refresh_token), session).await?;
    repository::revoke_sessions_beyond(&mut *tx, user.id, i64::from(auth.max_sessions_per_user))
        .await?;
    let (access_token, expires_in) = state.tokens.issue(user.id, session, user.role)?;
    Ok(SessionTokens { access_token, expires_in, refresh_token })
}

/// Checks `password` for `email` and starts a session, merging the guest
/// cart behind `guest_cart` into the user's in the same transaction. Failures are counted
/// per account in PostgreSQL; past the limit the account is slowed with a
/// growing delay (429), whether or not the account exists.
#[tracing::instrument(skip_all)]
pub async fn login(
    state: &AppState,
    email: &str,
    password: &str,
    user_agent: Option<&str>,
    guest_cart: Option<&str>,
) -> Result<(UserRow, SessionTokens)> {
    let email = email.trim().to_lowercase();
    // No account can have such an address; do not store it as a failure.
    if email.len() > 254 || email.chars().any(char::is_control) {
        return Err(Error::Unauthorized("the email or password is incorrect"));
    }
    let user = users::find_by_email(&state.db, &email).await?;
    if !check_password(state, &email, user.as_ref(), password).await? {
        return Err(Error::Unauthorized("the email or password is incorrect"));
    }
    let user = user.ok_or(Error::Unauthorized("the email or password is incorrect"))?;
    let mut tx = state.db.begin().await?;
    let tokens = start_session(&mut tx, state, &user, user_agent).await?;
    if let Some(token) = guest_cart {
        cart::merge_guest_cart(&mut tx, user.id, token).await?;
    }
    tx.commit().await?;
    Ok((user, tokens))
}

/// Whether `password` is `user`'s (`None`: no such account, which takes as
/// long and always fails). Refuses with a 429 while `email` is locked out,
/// and counts a failure against it.
pub async fn check_password(
    state: &AppState,
    email: &str,
    user: Option<&UserRow>,
    password: &str,
) -> Result<bool> {
    if let Some(wait) = repository::lockout_remaining(&state.db, email).await? {
        return Err(Error::RateLimited(wait));
    }
    let matches = match user {
        Some(user) => state.passwords.verify(password, &user.password_hash).await?,
        None => {
            state.passwords.verify_nobody(password).await?;
            false
        }
    };
    if matches {
        repository::clear_login_failures(&state.db, email).await?;
    } else {
        count_failure(state, email).await?;
    }
    Ok(matches)
}

async fn count_failure(state: &AppState, email: &str) -> Result<()> {
    let limits = state.config.auth.limits;
    let window = limits.failure_window.as_secs_f64();
    let failures = repository::record_login_failure(&state.db, email, window).await?;
    let over = i64::from(failures) - i64::from(limits.failure_limit);
    if over >= 0 {
        let doublings = i32::try_from(over.min(20)).unwrap_or(20);
        let delay = (limits.lockout_base.as_secs_f64() * 2f64.powi(doublings)).min(window);
        repository::lock_out(&state.db, email, delay).await?;
        tracing::warn!(failures, delay_secs = delay, "account slowed after repeated failed logins");
    }
    Ok(())
}

/// Swaps a refresh token for a new access token and a new refresh token.
/// A token that was already swapped is treated as stolen: its whole session
/// is revoked and both the thief and the owner must sign in again.
#[tracing::instrument(skip_all)]
pub async fn refresh(
    state: &AppState,
    presented: &str,
    user_agent: Option<&str>,
) -> Result<SessionTokens> {
    let hash = hash_opaque_token(presented);
    let mut tx = state.db.begin().await?;
    let row = repository::find_refresh_token_for_update(&mut *tx, &hash).await?.ok_or(ENDED)?;
    if row.already_used {
        repository::revoke_session(&mut *tx, row.session_id, "refresh_token_reuse").await?;
        tx.commit().await?;
        tracing::warn!(session = %row.session_id, "rotated refresh token presented again; session revoked");
        return Err(ENDED);
    }
    if !row.session_live {
        return Err(ENDED);
    }
    repository::rotate_refresh_token(&mut *tx, &hash, row.session_id, user_agent).await?;
    let refresh_token = new_opaque_token();
    repository::insert_refresh_token(&mut *tx, &hash_opaque_token(&refresh_token), row.session_id)
        .await?;
    tx.commit().await?;
    let (access_token, expires_in) = state.tokens.issue(row.user_id, row.session_id, row.role)?;
    Ok(SessionTokens { access_token, expires_in, refresh_token })
}

/// Ends the session a refresh token belongs to; unknown tokens are ignored.
pub async fn logout(state: &AppState, presented: &str) -> Result<()> {
    repository::revoke_session_of_token(&state.db, &hash_opaque_token(presented)).await?;
    Ok(())
}

/// The caller's live sessions, newest first.
pub async fn sessions(state: &AppState, user: &AuthUser) -> Result<Vec<SessionRow>> {
    repository::live_sessions(&state.db, user.id).await
}

/// Revokes one of the caller's sessions.
pub async fn revoke(state: &AppState, user: &AuthUser, session: Uuid) -> Result<()> {
    if repository::revoke_own_session(&state.db, user.id, session).await? {
        Ok(())
    } else {
        Err(Error::NotFound("session"))
    }
}

/// Revokes every session of the caller, the current one included.
pub async fn revoke_all(state: &AppState, user: &AuthUser) -> Result<()> {
    repository::revoke_all_sessions(&state.db, user.id, None, "revoked_by_user").await?;
    Ok(())
}
