//! Who is calling: [`AuthUser`] for any signed-in user, [`AdminUser`] for admins.
//!
//! A bearer token must verify (signature, algorithm, issuer, audience,
//! expiry) and its session must still be live, so logging out, revoking a
//! session, changing the password or deleting the account takes effect at
//! once, and a changed role is seen on the next request.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use gokart_domain::Role;
use uuid::Uuid;

use super::repository;
use crate::error::Error;
use crate::state::AppState;

/// A signed-in user.
#[derive(Debug, Clone, Copy)]
pub struct AuthUser {
    /// The user's id.
    pub id: Uuid,
    /// The session the access token belongs to.
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
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| {
                value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer "))
            })
            .ok_or(Error::Unauthorized("sign in: a bearer access token is required"))?;
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

/// A signed-in admin; anyone else signed in gets a 403.
#[derive(Debug, Clone, Copy)]
pub struct AdminUser(pub AuthUser);

impl FromRequestParts<AppState> for AdminUser {
    type Rejection = Error;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let user = AuthUser::from_request_parts(parts, state).await?;
        if user.role == Role::Admin {
            Ok(AdminUser(user))
        } else {
            Err(Error::Forbidden("this needs an admin account"))
        }
    }
}
