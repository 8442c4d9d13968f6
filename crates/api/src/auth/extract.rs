//! Who is calling: [`AuthUser`] for any signed-in user, [`AdminUser`] for admins.
//!
//! A bearer token must verify (signature, algorithm, issuer, audience,
//! expiry) and its session must still be live, so logging out, revoking a
//! session, changing the password or deleting the account takes effect at
//! once, and a changed role is seen on the next request. An API key
//! (`gk_...`) is an admin within its scopes on the admin routes, and
//! nothing anywhere else.

use axum::extract::{FromRequestParts, MatchedPath};
use axum::http::header;
use axum::http::request::Parts;
use gokart_domain::Role;
use uuid::Uuid;

use super::api_keys::{self, Scope};
use super::guard::ClientAddress;
use super::repository;
use crate::audit::{AuditActor, AuditSlot};
use crate::error::Error;
use crate::state::AppState;

/// A signed-in user.
#[derive(Debug, Clone, Copy)]
pub struct AuthUser {
    /// The user's id.
    pub id: Uuid,
    /// The session the access token belongs to (for an API key, the key).
    pub session_id: Uuid,
    /// The user's current role.
    pub role: Role,
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = Error;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer(parts)?;
        if token.starts_with(api_keys::PREFIX) {
            return Err(Error::Forbidden("API keys reach the admin routes their scopes allow"));
        }
        let claims = state
            .tokens
            .verify(token.trim())
            .ok_or(Error::Unauthorized("the access token is invalid or expired"))?;
        let role = repository::live_session_role(&state.db, claims.sid, claims.sub)
            .await?
            .ok_or(Error::Unauthorized("this session has ended; sign in again"))?;
        Ok(AuthUser { id: claims.sub, session_id: claims.sid, role })
    }
}

/// The bearer token of the request.
fn bearer(parts: &Parts) -> Result<&str, Error> {
    parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")))
        .map(str::trim)
        .ok_or(Error::Unauthorized("sign in: a bearer access token is required"))
}

/// The admin an API key acts for, when its scopes allow this route.
async fn key_holder(parts: &mut Parts, state: &AppState, key: &str) -> Result<AuthUser, Error> {
    let Some(live) = api_keys::authenticate(&state.db, key).await? else {
        // Guessing keys costs what guessing passwords does.
        let ClientAddress(address) = ClientAddress::from_request_parts(parts, state).await?;
        state.address_limiter.check(address)?;
        return Err(Error::Unauthorized("the API key is unknown, expired or revoked"));
    };
    let template = parts.extensions.get::<MatchedPath>().map_or("", MatchedPath::as_str);
    let needed = Scope::needed(&parts.method, template)
        .ok_or(Error::Forbidden("API keys cannot use this route"))?;
    if !live.allows(needed) {
        return Err(Error::Forbidden(match needed {
            Scope::CatalogRead => "this API key lacks the catalog:read scope",
            Scope::CatalogWrite => "this API key lacks the catalog:write scope",
            Scope::OrdersRead => "this API key lacks the orders:read scope",
            Scope::OrdersWrite => "this API key lacks the orders:write scope",
            Scope::WebhooksWrite => "this API key lacks the webhooks:write scope",
        }));
    }
    Ok(AuthUser { id: live.admin, session_id: live.id, role: Role::Admin })
}

/// A signed-in admin, or an API key whose scopes allow the route; anyone
/// else signed in gets a 403.
#[derive(Debug, Clone, Copy)]
pub struct AdminUser(pub AuthUser);

impl FromRequestParts<AppState> for AdminUser {
    type Rejection = Error;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer(parts)?;
        let (user, api_key) = if token.starts_with(api_keys::PREFIX) {
            let key = token.to_owned();
            let holder = key_holder(parts, state, &key).await?;
            (holder, Some(holder.session_id))
        } else {
            let user = AuthUser::from_request_parts(parts, state).await?;
            if user.role != Role::Admin {
                return Err(Error::Forbidden("this needs an admin account"));
            }
            (user, None)
        };
        // An admin write's audit entry names who made it.
        if let Some(slot) = parts.extensions.get::<AuditSlot>() {
            slot.admit(&state.db, AuditActor { user: user.id, api_key }).await;
        }
        Ok(AdminUser(user))
    }
}
