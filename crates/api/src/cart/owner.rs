//! Whose cart a request means: the signed-in user's, or the guest's behind
//! the `cart_token` cookie.

use std::time::Duration;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::auth::cookies::{SameSite, SetCookie, read_cookie};
use crate::error::Error;
use crate::state::AppState;

/// The guest cart cookie's name.
pub const CART_COOKIE: &str = "cart_token";
/// Where the guest cart cookie is sent: the cart, and sign-in and
/// registration, which merge it.
pub const CART_COOKIE_PATH: &str = "/api/v1";
/// How long a browser keeps the guest cart cookie.
pub const CART_COOKIE_TTL: Duration = Duration::from_secs(30 * 24 * 3600);

/// The owner of the cart a request works on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CartOwner {
    /// A signed-in user (a bearer token was sent and is valid).
    User(Uuid),
    /// A guest, with the `cart_token` cookie if they have one.
    Guest(Option<String>),
}

impl FromRequestParts<AppState> for CartOwner {
    type Rejection = Error;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        // A request that sends a token means a user: a bad token is a 401,
        // never a silent switch to some guest cart.
        if parts.headers.contains_key(header::AUTHORIZATION) {
            let user = AuthUser::from_request_parts(parts, state).await?;
            return Ok(CartOwner::User(user.id));
        }
        Ok(CartOwner::Guest(guest_token(&parts.headers).map(str::to_owned)))
    }
}

/// The `cart_token` cookie, if the request carries one.
pub fn guest_token(headers: &HeaderMap) -> Option<&str> {
    read_cookie(headers, CART_COOKIE)
}

/// A `Set-Cookie` giving a guest their cart token.
pub fn cart_cookie(token: &str, secure: bool) -> HeaderValue {
    SetCookie {
        name: CART_COOKIE,
        value: token,
        path: CART_COOKIE_PATH,
        max_age: CART_COOKIE_TTL,
        same_site: SameSite::Lax,
        secure,
    }
    .to_header()
}

/// A `Set-Cookie` deleting the guest cart cookie (after a merge).
pub fn clear_cart_cookie(secure: bool) -> HeaderValue {
    SetCookie {
        name: CART_COOKIE,
        value: "",
        path: CART_COOKIE_PATH,
        max_age: Duration::ZERO,
        same_site: SameSite::Lax,
        secure,
    }
    .to_header()
}
