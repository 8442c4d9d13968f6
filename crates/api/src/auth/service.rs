//! Sign-in, token refresh, sign-out and session management.

use chrono::Utc;
use sqlx::PgConnection;
use uuid::Uuid;

use super::extract::AuthUser;
use super::repository::{self, SessionRow};
use super::throttle::{self, Caller};
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
    /// A new `device_token` cookie when a session starts: this browser has
    /// signed in to the account, so other sources' failures never lock it out.
    pub device_token: Option<String>,
}

/// Devices remembered per account; older ones are forgotten.
const DEVICES_PER_USER: i64 = 10;

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
    let device_token = new_opaque_token();
    repository::remember_device(
        &mut *tx,
        &hash_opaque_token(&device_token),
        user.id,
        DEVICES_PER_USER,
    )
    .await?;
    let (access_token, expires_in) = state.tokens.issue(user.id, session, user.role)?;
    Ok(SessionTokens { access_token, expires_in, refresh_token, device_token: Some(device_token) })
}

/// Checks `password` for `email` and starts a session, merging the guest
/// cart behind `guest_cart` into the user's in the same transaction.
/// Attempts are throttled per account and source (see [`throttle`]),
/// whether or not the account exists.
#[tracing::instrument(skip_all)]
pub async fn login(
    state: &AppState,
    email: &str,
    password: &str,
    caller: Caller<'_>,
    user_agent: Option<&str>,
    guest_cart: Option<&str>,
) -> Result<(UserRow, SessionTokens)> {
    let email = email.trim().to_lowercase();
    // No account can have such an address; do not store it as a failure.
    if email.len() > 254 || email.chars().any(char::is_control) {
        return Err(Error::Unauthorized("the email or password is incorrect"));
    }
    let user = users::find_by_email(&state.db, &email).await?;
    if !check_password(state, &email, user.as_ref(), password, caller).await? {
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
/// long and always fails). An attempt is reserved for `caller` first, so a
/// 429 comes before any verification once its limit is taken.
pub async fn check_password(
    state: &AppState,
    email: &str,
    user: Option<&UserRow>,
    password: &str,
    caller: Caller<'_>,
) -> Result<bool> {
    let reservation = throttle::reserve(state, email, user.map(|u| u.id), caller).await?;
    let matches = match user {
        Some(user) => state.passwords.verify(password, &user.password_hash).await?,
        None => {
            state.passwords.verify_nobody(password).await?;
            false
        }
    };
    if matches {
        reservation.succeeded(&state.db).await?;
    }
    Ok(matches)
}

/// Swaps a refresh token for a new access token and a new refresh token.
/// A token that was already swapped is treated as stolen: its whole session
/// is revoked and both the thief and the owner must sign in again. The one
/// exception is the token rotated just before the current one, presented
/// within `REFRESH_REUSE_GRACE` of its rotation (two tabs refreshing at
/// once): it gets the same replacement the first tab got.
#[tracing::instrument(skip_all)]
pub async fn refresh(
    state: &AppState,
    presented: &str,
    user_agent: Option<&str>,
) -> Result<SessionTokens> {
    let hash = hash_opaque_token(presented);
    let successor = state.tokens.refresh_successor(presented);
    let successor_hash = hash_opaque_token(&successor);
    let grace = state.config.auth.refresh_reuse_grace.as_secs_f64();
    let mut tx = state.db.begin().await?;
    let row =
        repository::find_refresh_token_for_update(&mut *tx, &hash, grace).await?.ok_or(ENDED)?;
    if row.already_used {
        let raced = row.used_within_grace
            && row.session_live
            && repository::is_current_refresh_token(&mut *tx, &successor_hash, row.session_id)
                .await?;
        if !raced {
            repository::revoke_session(&mut *tx, row.session_id, "refresh_token_reuse").await?;
            tx.commit().await?;
            tracing::warn!(session = %row.session_id, "rotated refresh token presented again; session revoked");
            return Err(ENDED);
        }
        tracing::info!(session = %row.session_id, "concurrent refresh; same replacement returned");
    } else {
        if !row.session_live {
            return Err(ENDED);
        }
        repository::rotate_refresh_token(&mut *tx, &hash, row.session_id, user_agent).await?;
        repository::insert_refresh_token(&mut *tx, &successor_hash, row.session_id).await?;
    }
    tx.commit().await?;
    let (access_token, expires_in) = state.tokens.issue(row.user_id, row.session_id, row.role)?;
    Ok(SessionTokens { access_token, expires_in, refresh_token: successor, device_token: None })
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
