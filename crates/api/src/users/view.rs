//! How an account is shown: to its owner (profile, sign-in and
//! registration responses) and to admins (the user list).

use chrono::{DateTime, Utc};
use gokart_domain::Role;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::repository::UserRow;

/// An account as its owner and admins see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    /// Id.
    pub id: Uuid,
    /// Display name.
    pub name: String,
    /// Email, lower-cased.
    pub email: String,
    /// `user` or `admin`.
    pub role: Role,
    /// Whether the address is shown to be the holder's (by the link emailed
    /// to it); `false` again after a change of address.
    pub email_verified: bool,
    /// Registered at.
    pub created_at: DateTime<Utc>,
    /// Last changed at.
    pub updated_at: DateTime<Utc>,
}

impl From<UserRow> for UserView {
    fn from(user: UserRow) -> Self {
        UserView {
            id: user.id,
            name: user.name,
            email: user.email,
            role: user.role,
            email_verified: user.email_verified_at.is_some(),
            created_at: user.created_at,
            updated_at: user.updated_at,
        }
    }
}
