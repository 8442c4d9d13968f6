//! Emailed account links: a password reset, and verification of an address.
//!
//! Asking for a reset link answers the same, in the same time, whether or
//! not the address has an account: one statement does the same work either
//! way ([`repository::issue_link`]). Using a link counts, like a password
//! guess, against the caller's sign-in limits. A reset sets the password,
//! uses up every reset link of the account and signs out every session; a
//! verification marks the address verified, if the account still has it.

use std::net::IpAddr;

use gokart_domain::{AccountEmailPurpose, NewPassword};
use gokart_edge::http::{TraceId, current_trace_id};
use sqlx::PgExecutor;
use uuid::Uuid;

use super::repository::{self, NewLink};
use super::throttle;
use super::tokens::hash_opaque_token;
use crate::error::{Error, Result};
use crate::orders::repository as orders;
use crate::outbox::OutboxMessage;
use crate::state::AppState;
use crate::users::repository as users;

/// How soon after a link an address may get another of the same purpose.
pub const LINK_COOLDOWN_SECS: f64 = 60.0;

/// Issues a `purpose` link for the account with `email`, if there is one,
/// and queues its email, in the caller's transaction; whether one was
/// issued (not within the cooldown of the last).
pub async fn send_link(
    db: impl PgExecutor<'_>,
    state: &AppState,
    purpose: AccountEmailPurpose,
    email: &str,
) -> Result<bool> {
    let id = Uuid::now_v7();
    let token = state.links.token(id);
    let (kind, payload) =
        OutboxMessage::account_email(id).to_columns().map_err(|err| Error::Internal(err.into()))?;
    let trace = current_trace_id();
    let link = NewLink {
        purpose: purpose.as_str(),
        email,
        id,
        token_hash: &hash_opaque_token(&token),
        ttl_secs: state.links.ttl(purpose).as_secs_f64(),
        cooldown_secs: LINK_COOLDOWN_SECS,
        outbox: (Uuid::now_v7(), &kind, &payload, trace.as_ref().map(TraceId::as_str)),
    };
    repository::issue_link(db, &link).await
}

/// Emails a reset link to the account with `email`, if there is one.
#[tracing::instrument(skip_all)]
pub async fn request_reset(state: &AppState, email: &str) -> Result<()> {
    let email = email.trim().to_lowercase();
    send_link(&state.db, state, AccountEmailPurpose::PasswordReset, &email).await?;
    Ok(())
}

fn invalid_token() -> Error {
    Error::Unprocessable {
        code: "invalid_token",
        field: "token",
        message: "this link is not valid: it was used, replaced by a newer one or has expired; \
                  ask for a new one"
            .to_owned(),
    }
}

/// Sets `new` as the password of the account whose live reset link carries
/// `token`, and signs out all of its sessions. The link proves the address
/// too, so it is verified if the account still has it.
#[tracing::instrument(skip_all)]
pub async fn confirm_reset(
    state: &AppState,
    token: &str,
    new: &NewPassword,
    address: IpAddr,
) -> Result<()> {
    let purpose = AccountEmailPurpose::PasswordReset.as_str();
    let reservation = throttle::reserve_link_attempt(state, address).await?;
    let hash = hash_opaque_token(token);
    // A cheap look first: a wrong token costs no password hashing.
    if repository::live_link(&state.db, &hash, purpose).await?.is_none() {
        return Err(invalid_token());
    }
    let password_hash = state.passwords.hash(new).await?;
    let mut tx = state.db.begin().await?;
    let Some(used) = repository::use_link(&mut *tx, &hash, purpose).await? else {
        return Err(invalid_token());
    };
    users::set_password_hash(&mut *tx, used.user_id, &password_hash).await?;
    if users::mark_verified(&mut *tx, used.user_id, &used.email).await? {
        orders::adopt_guest_orders(&mut *tx, used.user_id, &used.email).await?;
    }
    repository::revoke_all_sessions(&mut *tx, used.user_id, None, "password_reset").await?;
    tx.commit().await?;
    reservation.succeeded(&state.db).await
}

/// Marks verified the address that the live verification link carrying
/// `token` was sent to, if its account still has that address.
#[tracing::instrument(skip_all)]
pub async fn verify_email(state: &AppState, token: &str, address: IpAddr) -> Result<()> {
    let reservation = throttle::reserve_link_attempt(state, address).await?;
    let hash = hash_opaque_token(token);
    let mut tx = state.db.begin().await?;
    let purpose = AccountEmailPurpose::VerifyEmail.as_str();
    let Some(used) = repository::use_link(&mut *tx, &hash, purpose).await? else {
        return Err(invalid_token());
    };
    // An address changed since the link was sent is not what it proves.
    if !users::mark_verified(&mut *tx, used.user_id, &used.email).await? {
        return Err(invalid_token());
    }
    // Shown to be theirs: the guest orders placed with it are theirs too.
    orders::adopt_guest_orders(&mut *tx, used.user_id, &used.email).await?;
    tx.commit().await?;
    reservation.succeeded(&state.db).await
}

/// Emails the caller a new verification link, unless their address is
/// verified already or got a link within the last minute.
#[tracing::instrument(skip_all, fields(user = %user))]
pub async fn resend_verification(state: &AppState, user: Uuid) -> Result<()> {
    let account = users::find(&state.db, user).await?.ok_or(Error::NotFound("user"))?;
    if account.email_verified_at.is_none() {
        send_link(&state.db, state, AccountEmailPurpose::VerifyEmail, &account.email).await?;
    }
    Ok(())
}
