//! The responses that start or extend a session, shared by signing in
//! (`auth::handler`) and registering (`users::handler`): the token bodies,
//! the session's cookies, and `Cache-Control: no-store` on anything that
//! carries a token.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use super::cookies::{device_cookie, refresh_cookie};
use super::service::SessionTokens;
use crate::cart::owner::clear_cart_cookie;
use crate::extract::Json;
use crate::state::AppState;
use crate::users::repository::UserRow;
use crate::users::view::UserView;

/// A started session: the access token and who it is for. The refresh
/// token is set as the `refresh_token` cookie, never in the body.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuthResponse {
    /// JWT for `Authorization: Bearer ...`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// The signed-in user.
    pub user: UserView,
}

/// A fresh access token.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccessTokenResponse {
    /// JWT for `Authorization: Bearer ...`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until it expires.
    pub expires_in: u64,
}

/// The `User-Agent`, bounded, for the session list.
pub(crate) fn user_agent(headers: &HeaderMap) -> Option<&str> {
    let agent = headers.get(header::USER_AGENT)?.to_str().ok()?;
    let end = agent.char_indices().nth(512).map_or(agent.len(), |(i, _)| i);
    Some(&agent[..end])
}

/// The response that starts a session: body, refresh cookie, no caching;
/// and, when a guest cart was merged, the guest cart cookie cleared.
pub(crate) fn signed_in(
    state: &AppState,
    status: StatusCode,
    user: UserRow,
    tokens: SessionTokens,
    merged_guest_cart: bool,
) -> Response {
    let auth = &state.config.auth;
    let cookie = refresh_cookie(&tokens.refresh_token, auth.refresh_token_ttl, auth.cookie_secure);
    let tokens_device = tokens.device_token;
    let body = AuthResponse {
        access_token: tokens.access_token,
        token_type: "Bearer",
        expires_in: tokens.expires_in,
        user: UserView::from(user),
    };
    let mut response =
        (status, [(header::SET_COOKIE, cookie), no_store()], Json(body)).into_response();
    if let Some(device) = &tokens_device {
        response
            .headers_mut()
            .append(header::SET_COOKIE, device_cookie(device, auth.cookie_secure));
    }
    if merged_guest_cart {
        response.headers_mut().append(header::SET_COOKIE, clear_cart_cookie(auth.cookie_secure));
    }
    response
}

/// `Cache-Control: no-store`, for every response that carries a token.
pub(crate) fn no_store() -> (header::HeaderName, HeaderValue) {
    (header::CACHE_CONTROL, HeaderValue::from_static("no-store"))
}
