//! HTTP for `/api/v1/users*`: registration and the caller's own account.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use gokart_domain::{Email, PersonName, Violations};
use gokart_edge::http::ErrorEnvelope;
use serde::Deserialize;
use utoipa::ToSchema;

use super::service::{self, AccountChanges, Registration};
use super::view::UserView;
use crate::auth::AuthUser;
use crate::auth::cookies::clear_refresh_cookie;
use crate::auth::guard::ClientAddress;
use crate::auth::session::{AuthResponse, signed_in, user_agent};
use crate::cart::owner::guest_token;
use crate::error::Result;
use crate::extract::Json;
use crate::schemas;
use crate::state::AppState;

/// Sign-up details.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RegisterRequest {
    /// Display name, 1 to 100 characters.
    #[schema(value_type = schemas::PersonName)]
    pub name: String,
    /// Email address.
    #[schema(value_type = schemas::EmailAddress)]
    pub email: String,
    /// 8 to 128 characters, not a common password.
    #[schema(value_type = schemas::NewPassword)]
    pub password: String,
}

impl RegisterRequest {
    /// Validates every field, recording each bad one in `violations`.
    pub fn validate_into(&self, violations: &mut Violations) -> Option<Registration> {
        let name = violations.check("name", PersonName::parse(&self.name));
        let email = violations.check("email", Email::parse(&self.email));
        let password = violations.check("password", service::chosen_password(&self.password));
        Some(Registration { name: name?, email: email?, password: password? })
    }
}

/// Profile changes; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ProfileUpdate {
    /// New display name.
    #[schema(value_type = Option<schemas::PersonName>)]
    pub name: Option<String>,
    /// New email.
    #[schema(value_type = Option<schemas::EmailAddress>)]
    pub email: Option<String>,
}

/// A password change.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PasswordChange {
    /// The password in use now.
    #[schema(min_length = 1)]
    pub current_password: String,
    /// The new password: 8 to 128 characters, not a common password.
    #[schema(value_type = schemas::NewPassword)]
    pub new_password: String,
}

/// Confirmation for deleting an account.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AccountDeletion {
    /// The account's password.
    #[schema(min_length = 1)]
    pub password: String,
}

/// Parses optional name and email changes, naming each bad field.
pub(crate) fn parse_changes(
    name: Option<&str>,
    email: Option<&str>,
    violations: &mut Violations,
) -> AccountChanges {
    AccountChanges {
        name: name.and_then(|n| violations.check("name", PersonName::parse(n))),
        email: email.and_then(|e| violations.check("email", Email::parse(e))),
        role: None,
    }
}

/// Create an account and sign in; a guest cart (`cart_token` cookie) is
/// merged into the new account's cart.
#[utoipa::path(post, path = "/api/v1/users", tag = "users", operation_id = "register", security(),
    request_body = RegisterRequest,
    responses(
        (status = 201, description = "Registered and signed in; sets the `refresh_token` cookie", body = AuthResponse,
            headers(("Set-Cookie" = String, description = "The session's cookies (one header each): \
                `refresh_token=...; Path=/api/v1/auth; HttpOnly; SameSite=Strict`, `device_token` \
                (same path), and `cart_token` cleared when a guest cart was merged"))),
        (status = 409, description = "The email is taken", body = ErrorEnvelope),
        (status = 422, description = "A field is invalid", body = ErrorEnvelope),
        (status = 429, description = "Too many attempts from this address", body = ErrorEnvelope),
    ))]
pub async fn register(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    Json(body): Json<RegisterRequest>,
) -> Result<Response> {
    let mut violations = Violations::new();
    let registration = body.validate_into(&mut violations);
    let Some(registration) = registration.filter(|_| violations.is_empty()) else {
        return Err(violations.into());
    };
    state.address_limiter.check(address)?;
    let guest_cart = guest_token(&headers);
    let (user, tokens) =
        service::register(&state, registration, user_agent(&headers), guest_cart).await?;
    Ok(signed_in(&state, StatusCode::CREATED, user, tokens, guest_cart.is_some()))
}

/// The caller's account.
#[utoipa::path(get, path = "/api/v1/users/profile", tag = "users", operation_id = "get_profile",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The account", body = UserView),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
    ))]
pub async fn profile(State(state): State<AppState>, user: AuthUser) -> Result<Json<UserView>> {
    Ok(Json(service::find(&state, user.id).await?.into()))
}

/// Change the caller's name or email.
#[utoipa::path(put, path = "/api/v1/users/profile", tag = "users", operation_id = "update_profile",
    security(("bearer" = [])),
    request_body = ProfileUpdate,
    responses(
        (status = 200, description = "The updated account", body = UserView),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 409, description = "The email is taken", body = ErrorEnvelope),
        (status = 422, description = "A field is invalid", body = ErrorEnvelope),
    ))]
pub async fn update_profile(
    State(state): State<AppState>,
    user: AuthUser,
    Json(body): Json<ProfileUpdate>,
) -> Result<Json<UserView>> {
    let mut violations = Violations::new();
    let changes = parse_changes(body.name.as_deref(), body.email.as_deref(), &mut violations);
    violations.into_result()?;
    Ok(Json(service::update(&state, user.id, changes).await?.into()))
}

/// Change the caller's password; every other session is signed out.
#[utoipa::path(put, path = "/api/v1/users/password", tag = "users", operation_id = "change_password",
    security(("bearer" = [])),
    request_body = PasswordChange,
    responses(
        (status = 204, description = "Changed; other sessions revoked"),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 422, description = "The current password is wrong or the new one is refused", body = ErrorEnvelope),
        (status = 429, description = "Too many wrong passwords", body = ErrorEnvelope),
    ))]
pub async fn change_password(
    State(state): State<AppState>,
    user: AuthUser,
    Json(body): Json<PasswordChange>,
) -> Result<StatusCode> {
    let mut violations = Violations::new();
    if body.current_password.is_empty() {
        violations.add("current_password", "is required");
    }
    let new = violations.check("new_password", service::chosen_password(&body.new_password));
    violations.into_result()?;
    if let Some(new) = new {
        service::change_password(&state, &user, &body.current_password, new).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Delete the caller's account. Past orders are kept, detached from it.
#[utoipa::path(delete, path = "/api/v1/users/account", tag = "users", operation_id = "delete_account",
    security(("bearer" = [])), request_body = AccountDeletion,
    responses(
        (status = 204, description = "Deleted; all sessions revoked, cookie cleared",
            headers(("Set-Cookie" = String, description = "Clears the `refresh_token` cookie"))),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 409, description = "The last admin cannot delete itself", body = ErrorEnvelope),
        (status = 422, description = "The password is wrong", body = ErrorEnvelope),
    ))]
pub async fn delete_account(
    State(state): State<AppState>,
    user: AuthUser,
    Json(body): Json<AccountDeletion>,
) -> Result<Response> {
    if body.password.is_empty() {
        return Err(crate::error::Error::invalid("password", "is required"));
    }
    service::delete_own_account(&state, &user, &body.password).await?;
    let cleared = clear_refresh_cookie(state.config.auth.cookie_secure);
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, cleared)]).into_response())
}
