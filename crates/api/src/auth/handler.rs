//! HTTP for `/api/v1/auth/*`.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use gokart_domain::Violations;
use gokart_edge::http::ErrorEnvelope;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::cookies::{
    DEVICE_COOKIE, REFRESH_COOKIE, clear_refresh_cookie, read_cookie, refresh_cookie,
};
use super::extract::AuthUser;
use super::guard::{ClientAddress, check_origin};
use super::service;
use super::session::{AccessTokenResponse, AuthResponse, no_store, signed_in, user_agent};
use super::throttle::Caller;
use crate::cart::owner::guest_token;
use crate::error::{Error, Result};
use crate::extract::{Json, Path};
use crate::page::Page;
use crate::state::AppState;

/// Credentials.
#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginRequest {
    /// Email address (any case).
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    /// Password.
    #[schema(min_length = 1)]
    pub password: String,
}

/// One signed-in device or browser.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionView {
    /// Session id.
    pub id: Uuid,
    /// When it signed in.
    pub created_at: DateTime<Utc>,
    /// When it last refreshed its token.
    pub last_used_at: DateTime<Utc>,
    /// Its user agent.
    pub user_agent: Option<String>,
    /// Whether this is the session making the request.
    pub current: bool,
}

/// Sign in with email and password; a guest cart (`cart_token` cookie) is
/// merged into the user's cart.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", operation_id = "login", security(),
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in; sets the `refresh_token` cookie", body = AuthResponse,
            headers(("Set-Cookie" = String, description = "The session's cookies (one header each): \
                `refresh_token=...; Path=/api/v1/auth; HttpOnly; SameSite=Strict`, `device_token` \
                (same path), and `cart_token` cleared when a guest cart was merged"))),
        (status = 401, description = "Wrong email or password", body = ErrorEnvelope),
        (status = 422, description = "A field is missing", body = ErrorEnvelope),
        (status = 429, description = "Too many attempts; see Retry-After", body = ErrorEnvelope),
    ))]
pub async fn login(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    Json(body): Json<LoginRequest>,
) -> Result<Response> {
    let mut violations = Violations::new();
    if body.email.trim().is_empty() {
        violations.add("email", "is required");
    }
    if body.password.is_empty() {
        violations.add("password", "is required");
    }
    violations.into_result()?;
    state.address_limiter.check(address)?;
    let guest_cart = guest_token(&headers);
    let caller = Caller::Anonymous { address, device: read_cookie(&headers, DEVICE_COOKIE) };
    let (user, tokens) = service::login(
        &state,
        &body.email,
        &body.password,
        caller,
        user_agent(&headers),
        guest_cart,
    )
    .await?;
    Ok(signed_in(&state, StatusCode::OK, user, tokens, guest_cart.is_some()))
}

/// Swap the refresh cookie for a new access token; the cookie is rotated.
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth", operation_id = "refresh_session",
    security(("refresh_cookie" = [])),
    responses(
        (status = 200, description = "A new access token; the cookie is replaced", body = AccessTokenResponse,
            headers(("Set-Cookie" = String,
                description = "The rotated `refresh_token=...; Path=/api/v1/auth; HttpOnly; SameSite=Strict`"))),
        (status = 401, description = "No cookie, or the session ended (a reused token ends it)", body = ErrorEnvelope),
        (status = 403, description = "Sent from an origin that is not allowed", body = ErrorEnvelope),
    ))]
pub async fn refresh(State(state): State<AppState>, headers: HeaderMap) -> Result<Response> {
    check_origin(&headers, &state.config)?;
    let presented = read_cookie(&headers, REFRESH_COOKIE)
        .ok_or(Error::Unauthorized("no refresh cookie; sign in"))?;
    let tokens = service::refresh(&state, presented, user_agent(&headers)).await?;
    let auth = &state.config.auth;
    let cookie = refresh_cookie(&tokens.refresh_token, auth.refresh_token_ttl, auth.cookie_secure);
    let body = AccessTokenResponse {
        access_token: tokens.access_token,
        token_type: "Bearer",
        expires_in: tokens.expires_in,
    };
    Ok(([(header::SET_COOKIE, cookie), no_store()], Json(body)).into_response())
}

/// Sign out: revoke the session of the refresh cookie and clear it.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", operation_id = "logout",
    security((), ("refresh_cookie" = [])),
    responses(
        (status = 204, description = "Signed out; the cookie is cleared",
            headers(("Set-Cookie" = String, description = "Clears the `refresh_token` cookie"))),
        (status = 403, description = "Sent from an origin that is not allowed", body = ErrorEnvelope),
    ))]
pub async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Result<Response> {
    check_origin(&headers, &state.config)?;
    if let Some(presented) = read_cookie(&headers, REFRESH_COOKIE) {
        service::logout(&state, presented).await?;
    }
    let cleared = clear_refresh_cookie(state.config.auth.cookie_secure);
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, cleared)]).into_response())
}

/// The caller's live sessions, newest first.
#[utoipa::path(get, path = "/api/v1/auth/sessions", tag = "auth", operation_id = "list_sessions",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Live sessions", body = Page<SessionView>),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
    ))]
pub async fn list_sessions(
    State(state): State<AppState>,
    user: AuthUser,
) -> Result<Json<Page<SessionView>>> {
    let sessions = service::sessions(&state, &user).await?;
    let items = sessions
        .into_iter()
        .map(|s| SessionView {
            current: s.id == user.session_id,
            id: s.id,
            created_at: s.created_at,
            last_used_at: s.last_used_at,
            user_agent: s.user_agent,
        })
        .collect();
    Ok(Json(Page::whole(items)))
}

/// Revoke every session of the caller, this one included.
#[utoipa::path(delete, path = "/api/v1/auth/sessions", tag = "auth", operation_id = "revoke_all_sessions",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "All sessions revoked; the cookie is cleared",
            headers(("Set-Cookie" = String, description = "Clears the `refresh_token` cookie"))),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
    ))]
pub async fn revoke_all_sessions(
    State(state): State<AppState>,
    user: AuthUser,
) -> Result<Response> {
    service::revoke_all(&state, &user).await?;
    let cleared = clear_refresh_cookie(state.config.auth.cookie_secure);
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, cleared)]).into_response())
}

/// Revoke one of the caller's sessions.
#[utoipa::path(delete, path = "/api/v1/auth/sessions/{id}", tag = "auth", operation_id = "revoke_session",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Session id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 404, description = "No such live session of yours", body = ErrorEnvelope),
    ))]
pub async fn revoke_session(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
) -> Result<StatusCode> {
    service::revoke(&state, &user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A request for a password reset link.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PasswordResetRequest {
    /// The account's email address (any case).
    #[schema(format = Email, max_length = 254)]
    pub email: String,
}

/// A new password, with the token of an emailed reset link.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PasswordResetConfirmation {
    /// The `token` of the reset link.
    #[schema(min_length = 1, max_length = 200)]
    pub token: String,
    /// The new password: 8 to 128 characters, not a common password.
    #[schema(value_type = crate::schemas::NewPassword)]
    pub new_password: String,
}

/// Email a password reset link. The answer is the same whether or not the
/// address has an account, which then gets at most one link a minute; a
/// new link replaces the ones before it.
#[utoipa::path(post, path = "/api/v1/auth/password-reset", tag = "auth",
    operation_id = "request_password_reset", security(),
    request_body = PasswordResetRequest,
    responses(
        (status = 202, description = "If the address has an account, a link is on its way"),
        (status = 422, description = "The email is not an email address", body = ErrorEnvelope),
        (status = 429, description = "Too many requests from this address; see Retry-After", body = ErrorEnvelope),
    ))]
pub async fn request_password_reset(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    Json(body): Json<PasswordResetRequest>,
) -> Result<StatusCode> {
    let mut violations = Violations::new();
    let email = violations.check("email", gokart_domain::Email::parse(&body.email));
    violations.into_result()?;
    state.address_limiter.check(address)?;
    if let Some(email) = email {
        super::recovery::request_reset(&state, email.as_str()).await?;
    }
    Ok(StatusCode::ACCEPTED)
}

/// Set a new password with the token of an emailed reset link. The link is
/// used up, and every session of the account is signed out. Wrong tokens
/// count against the same limits as wrong passwords.
#[utoipa::path(post, path = "/api/v1/auth/password-reset/confirm", tag = "auth",
    operation_id = "confirm_password_reset", security(),
    request_body = PasswordResetConfirmation,
    responses(
        (status = 204, description = "The password is set; sign in with it"),
        (status = 422, description = "The token is used, replaced or expired (`invalid_token`), or the new password is refused", body = ErrorEnvelope),
        (status = 429, description = "Too many attempts; see Retry-After", body = ErrorEnvelope),
    ))]
pub async fn confirm_password_reset(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    Json(body): Json<PasswordResetConfirmation>,
) -> Result<StatusCode> {
    let mut violations = Violations::new();
    let token = violations.check("token", link_token(&body.token));
    let new = violations
        .check("new_password", crate::users::service::chosen_password(&body.new_password));
    violations.into_result()?;
    state.address_limiter.check(address)?;
    if let (Some(token), Some(new)) = (token, new) {
        super::recovery::confirm_reset(&state, token, &new, address).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// The token of an emailed link, as sent: present and of a sane length.
fn link_token(raw: &str) -> std::result::Result<&str, gokart_domain::Invalid> {
    let token = raw.trim();
    if token.is_empty() || token.len() > 200 {
        return Err(gokart_domain::Invalid::new("is required: the token of the emailed link"));
    }
    Ok(token)
}

/// The token of an emailed verification link.
#[derive(Debug, Deserialize, ToSchema)]
pub struct EmailVerification {
    /// The `token` of the verification link.
    #[schema(min_length = 1, max_length = 200)]
    pub token: String,
}

/// Verify an account's address with the token of the link emailed to it
/// (on registration and on every change of address).
#[utoipa::path(post, path = "/api/v1/auth/verify-email", tag = "auth",
    operation_id = "verify_email", security(),
    request_body = EmailVerification,
    responses(
        (status = 204, description = "The address is verified"),
        (status = 422, description = "The token is used, replaced or expired, or the account's address changed since (`invalid_token`)", body = ErrorEnvelope),
        (status = 429, description = "Too many attempts; see Retry-After", body = ErrorEnvelope),
    ))]
pub async fn verify_email(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    Json(body): Json<EmailVerification>,
) -> Result<StatusCode> {
    let token = link_token(&body.token).map_err(|invalid| Error::invalid("token", &invalid.0))?;
    state.address_limiter.check(address)?;
    super::recovery::verify_email(&state, token, address).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Email the caller a new verification link (at most one a minute; nothing
/// when the address is verified already).
#[utoipa::path(post, path = "/api/v1/auth/verify-email/resend", tag = "auth",
    operation_id = "resend_email_verification", security(("bearer" = [])),
    responses(
        (status = 202, description = "A link is on its way, unless one went out within the minute or the address is verified"),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 429, description = "Too many requests from this address; see Retry-After", body = ErrorEnvelope),
    ))]
pub async fn resend_email_verification(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    user: AuthUser,
) -> Result<StatusCode> {
    state.address_limiter.check(address)?;
    super::recovery::resend_verification(&state, user.id).await?;
    Ok(StatusCode::ACCEPTED)
}
