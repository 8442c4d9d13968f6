//! Getting back into an account: a password reset by emailed link.
//!
//! Asking for a link answers the same, in the same time, whether or not the
//! address has an account: one statement does the same work either way
//! ([`repository::issue_reset_link`]). Using a link counts, like a password
//! guess, against the caller's sign-in limits, sets the new password,
//! uses up every reset link of the account and signs out every session.

use std::net::IpAddr;

use gokart_domain::{AccountEmailPurpose, NewPassword};
use gokart_edge::http::{TraceId, current_trace_id};
use uuid::Uuid;

use super::repository::{self, ResetLink};
use super::throttle;
use super::tokens::hash_opaque_token;
use crate::error::{Error, Result};
use crate::outbox::OutboxMessage;
use crate::state::AppState;
use crate::users::repository as users;

/// How soon after a reset link an account may get another.
pub const RESET_COOLDOWN_SECS: f64 = 60.0;

const PURPOSE: AccountEmailPurpose = AccountEmailPurpose::PasswordReset;

/// Emails a reset link to the account with `email`, if there is one.
#[tracing::instrument(skip_all)]
pub async fn request_reset(state: &AppState, email: &str) -> Result<()> {
    let email = email.trim().to_lowercase();
    let id = Uuid::now_v7();
    let token = state.links.token(id);
    let message = OutboxMessage::account_email(id);
    let (kind, payload) = message.to_columns().map_err(|err| Error::Internal(err.into()))?;
    let trace = current_trace_id();
    let link = ResetLink {
        email: &email,
        id,
        token_hash: &hash_opaque_token(&token),
        ttl_secs: state.links.ttl(PURPOSE).as_secs_f64(),
        cooldown_secs: RESET_COOLDOWN_SECS,
        outbox: (Uuid::now_v7(), &kind, &payload, trace.as_ref().map(TraceId::as_str)),
    };
    repository::issue_reset_link(&state.db, &link).await
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
/// `token`, and signs out all of its sessions.
#[tracing::instrument(skip_all)]
pub async fn confirm_reset(
    state: &AppState,
    token: &str,
    new: &NewPassword,
    address: IpAddr,
) -> Result<()> {
    let reservation = throttle::reserve_link_attempt(state, address).await?;
    let hash = hash_opaque_token(token);
    // A cheap look first: a wrong token costs no password hashing.
    if repository::live_link(&state.db, &hash, PURPOSE.as_str()).await?.is_none() {
        return Err(invalid_token());
    }
    let password_hash = state.passwords.hash(new).await?;
    let mut tx = state.db.begin().await?;
    let Some(user) = repository::use_link(&mut *tx, &hash, PURPOSE.as_str()).await? else {
        return Err(invalid_token());
    };
    users::set_password_hash(&mut *tx, user, &password_hash).await?;
    repository::revoke_all_sessions(&mut *tx, user, None, "password_reset").await?;
    tx.commit().await?;
    reservation.succeeded(&state.db).await
}
