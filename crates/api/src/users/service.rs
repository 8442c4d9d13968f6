//! Account use cases, for customers and for admins.

use gokart_domain::{AccountEmailPurpose, Email, NewPassword, PersonName, Role};
use uuid::Uuid;

use super::repository::{self, UserRow};
use crate::auth::AuthUser;
use crate::auth::recovery;
use crate::auth::repository as sessions;
use crate::auth::service::{self as auth, SessionTokens};
use crate::auth::throttle::Caller;
use crate::cart::service as cart;
use crate::error::{Error, Result};
use crate::state::AppState;

/// A validated sign-up.
#[derive(Debug)]
pub struct Registration {
    /// Display name.
    pub name: PersonName,
    /// Email.
    pub email: Email,
    /// Password that passed the policy.
    pub password: NewPassword,
}

/// Changes to an account; `None` leaves a field as it is.
#[derive(Debug, Default)]
pub struct AccountChanges {
    /// New name.
    pub name: Option<PersonName>,
    /// New email.
    pub email: Option<Email>,
    /// New role (admins only).
    pub role: Option<Role>,
}

/// Creates a customer account and signs it in, merging the guest cart behind
/// `guest_cart`, in one transaction.
#[tracing::instrument(skip_all)]
pub async fn register(
    state: &AppState,
    registration: Registration,
    user_agent: Option<&str>,
    guest_cart: Option<&str>,
) -> Result<(UserRow, SessionTokens)> {
    let hash = state.passwords.hash(&registration.password).await?;
    let mut tx = state.db.begin().await?;
    let user =
        repository::insert(&mut *tx, &registration.name, &registration.email, &hash, Role::User)
            .await?;
    let tokens = auth::start_session(&mut tx, state, &user, user_agent).await?;
    if let Some(token) = guest_cart {
        cart::merge_guest_cart(&mut tx, user.id, token).await?;
    }
    recovery::send_link(&mut *tx, state, AccountEmailPurpose::VerifyEmail, &user.email).await?;
    tx.commit().await?;
    Ok((user, tokens))
}

/// The account of `id`.
pub async fn find(state: &AppState, id: Uuid) -> Result<UserRow> {
    repository::find(&state.db, id).await?.ok_or(Error::NotFound("user"))
}

/// Applies `changes` to account `id`. Demoting or re-roling is refused with a
/// 409 when it would leave the shop without an admin.
#[tracing::instrument(skip_all, fields(user = %id))]
pub async fn update(state: &AppState, id: Uuid, changes: AccountChanges) -> Result<UserRow> {
    let mut tx = state.db.begin().await?;
    let admins =
        if changes.role.is_some() { repository::lock_admins(&mut *tx).await? } else { vec![] };
    let user = repository::lock(&mut *tx, id).await?.ok_or(Error::NotFound("user"))?;
    let role = changes.role.unwrap_or(user.role);
    if user.role == Role::Admin && role != Role::Admin && admins.len() <= 1 {
        return Err(last_admin());
    }
    let name = changes.name.as_ref().map_or(user.name.as_str(), PersonName::as_str);
    let email = changes.email.as_ref().map_or(user.email.as_str(), Email::as_str);
    let updated = repository::update(&mut *tx, id, name, email, role).await?;
    if updated.email != user.email {
        // A new address must be shown to be the holder's again.
        recovery::send_link(&mut *tx, state, AccountEmailPurpose::VerifyEmail, &updated.email)
            .await?;
    }
    tx.commit().await?;
    Ok(updated)
}

/// Changes the caller's password after checking the current one, and signs
/// out every other session.
#[tracing::instrument(skip_all, fields(user = %caller.id))]
pub async fn change_password(
    state: &AppState,
    caller: &AuthUser,
    current: &str,
    new: NewPassword,
) -> Result<()> {
    let user = reauthenticate(state, caller, current, "current_password").await?;
    let hash = state.passwords.hash(&new).await?;
    let mut tx = state.db.begin().await?;
    repository::set_password_hash(&mut *tx, user.id, &hash).await?;
    sessions::revoke_all_sessions(&mut *tx, user.id, Some(caller.session_id), "password_changed")
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Deletes the caller's account after checking their password. Sessions go
/// with it; past orders stay, detached from the person.
#[tracing::instrument(skip_all, fields(user = %caller.id))]
pub async fn delete_own_account(state: &AppState, caller: &AuthUser, password: &str) -> Result<()> {
    let user = reauthenticate(state, caller, password, "password").await?;
    delete(state, user.id).await
}

/// The caller's account once `password` (sent as `field`) proves it is
/// them, under the same throttle as signing in.
async fn reauthenticate(
    state: &AppState,
    caller: &AuthUser,
    password: &str,
    field: &'static str,
) -> Result<UserRow> {
    let user = find(state, caller.id).await?;
    let session = Caller::Session(caller.session_id);
    if auth::check_password(state, &user.email, Some(&user), password, session).await? {
        Ok(user)
    } else {
        Err(Error::invalid(field, "is incorrect"))
    }
}

/// Deletes account `id`, refusing with a 409 to delete the last admin.
#[tracing::instrument(skip_all, fields(user = %id))]
pub async fn delete(state: &AppState, id: Uuid) -> Result<()> {
    let mut tx = state.db.begin().await?;
    let admins = repository::lock_admins(&mut *tx).await?;
    let user = repository::lock(&mut *tx, id).await?.ok_or(Error::NotFound("user"))?;
    if user.role == Role::Admin && admins.len() <= 1 {
        return Err(last_admin());
    }
    repository::delete(&mut *tx, id).await?;
    tx.commit().await?;
    Ok(())
}

/// A password being chosen: the policy, and never the demo admin password
/// that the README publishes (production refuses to serve while an admin
/// has it).
pub fn chosen_password(raw: &str) -> Result<NewPassword, gokart_domain::Invalid> {
    if raw == crate::config::DEV_ADMIN_PASSWORD {
        return Err(gokart_domain::Invalid::new("is the published demo password; choose another"));
    }
    NewPassword::parse(raw)
}

/// Sets a new password for the account with `email` (the operator's
/// `api set-password`) and signs out every session of it.
#[tracing::instrument(skip_all)]
pub async fn set_password(state: &AppState, email: &str, new: &NewPassword) -> Result<()> {
    let email = email.trim().to_lowercase();
    let user =
        repository::find_by_email(&state.db, &email).await?.ok_or(Error::NotFound("user"))?;
    let hash = state.passwords.hash(new).await?;
    let mut tx = state.db.begin().await?;
    repository::set_password_hash(&mut *tx, user.id, &hash).await?;
    sessions::revoke_all_sessions(&mut *tx, user.id, None, "password_changed").await?;
    tx.commit().await?;
    Ok(())
}

/// The emails of the admins who can still sign in with `password`.
pub async fn admins_with_password(state: &AppState, password: &str) -> Result<Vec<String>> {
    let mut found = Vec::new();
    for (email, hash) in repository::admin_password_hashes(&state.db).await? {
        if state.passwords.verify(password, &hash).await? {
            found.push(email);
        }
    }
    Ok(found)
}

/// Creates an account of any role (admin use).
#[tracing::instrument(skip_all)]
pub async fn create(state: &AppState, registration: Registration, role: Role) -> Result<UserRow> {
    let hash = state.passwords.hash(&registration.password).await?;
    let mut tx = state.db.begin().await?;
    let user =
        repository::insert(&mut *tx, &registration.name, &registration.email, &hash, role).await?;
    recovery::send_link(&mut *tx, state, AccountEmailPurpose::VerifyEmail, &user.email).await?;
    tx.commit().await?;
    Ok(user)
}

/// A page of accounts matching `search`, newest first, and the total.
pub async fn list(
    state: &AppState,
    search: Option<&str>,
    page: gokart_domain::PageRequest,
) -> Result<(Vec<UserRow>, i64)> {
    let users = repository::list(&state.db, search, page.limit(), page.offset()).await?;
    let total = repository::count(&state.db, search).await?;
    Ok((users, total))
}

fn last_admin() -> Error {
    Error::conflict("last_admin", "the shop must keep at least one admin")
}
