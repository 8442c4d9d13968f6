//! HTTP for `/api/v1/admin/users*`.

use axum::extract::State;
use axum::http::StatusCode;
use gokart_domain::{PageRequest, Role, Violations};
use gokart_edge::http::ErrorEnvelope;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::AdminUser;
use crate::error::Result;
use crate::extract::{Json, Path, Query};
use crate::page::Page;
use crate::schemas;
use crate::state::AppState;
use crate::users::handler::{RegisterRequest, parse_changes};
use crate::users::service;
use crate::users::view::UserView;

/// Paging and search for the user list.
#[derive(Debug, Deserialize, IntoParams)]
pub struct UserListQuery {
    /// Page number, from 1.
    #[param(value_type = u32, required = false, minimum = 1, maximum = 100000)]
    pub page: Option<String>,
    /// Items per page, 1 to 100 (default 20).
    #[param(value_type = u32, required = false, minimum = 1, maximum = 100)]
    pub page_size: Option<String>,
    /// Text to find in names and emails.
    #[param(value_type = schemas::OptionalText<200>, required = false)]
    pub q: Option<String>,
}

/// A new account made by an admin.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewUserRequest {
    /// Display name.
    #[schema(value_type = schemas::PersonName)]
    pub name: String,
    /// Email.
    #[schema(value_type = schemas::EmailAddress)]
    pub email: String,
    /// Initial password.
    #[schema(value_type = schemas::NewPassword)]
    pub password: String,
    /// `user` when absent.
    #[schema(value_type = Option<Role>)]
    pub role: Option<String>,
}

/// Changes to an account; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
pub struct UserUpdateRequest {
    /// New display name.
    #[schema(value_type = Option<schemas::PersonName>)]
    pub name: Option<String>,
    /// New email.
    #[schema(value_type = Option<schemas::EmailAddress>)]
    pub email: Option<String>,
    /// New role.
    #[schema(value_type = Option<Role>)]
    pub role: Option<String>,
}

/// List accounts, newest first.
#[utoipa::path(get, path = "/api/v1/admin/users", tag = "admin", operation_id = "admin_list_users",
    security(("bearer" = [])),
    params(UserListQuery),
    responses(
        (status = 200, description = "A page of accounts", body = Page<UserView>),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not an admin", body = ErrorEnvelope),
        (status = 422, description = "Bad paging values", body = ErrorEnvelope),
    ))]
pub async fn list(
    State(state): State<AppState>,
    _admin: AdminUser,
    Query(query): Query<UserListQuery>,
) -> Result<Json<Page<UserView>>> {
    let page = PageRequest::from_query(query.page.as_deref(), query.page_size.as_deref())?;
    let search = match query.q.as_deref() {
        Some(q) => gokart_domain::catalog::optional_text(q, 200)
            .map_err(|err| crate::error::Error::invalid("q", &err.0))?,
        None => String::new(),
    };
    let search = Some(search.as_str()).filter(|q| !q.is_empty());
    let (users, total) = service::list(&state, search, page).await?;
    Ok(Json(Page::new(users.into_iter().map(UserView::from).collect(), page, total)))
}

/// Create an account of any role.
#[utoipa::path(post, path = "/api/v1/admin/users", tag = "admin", operation_id = "admin_create_user",
    security(("bearer" = [])),
    request_body = NewUserRequest,
    responses(
        (status = 201, description = "Created", body = UserView),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not an admin", body = ErrorEnvelope),
        (status = 409, description = "The email is taken", body = ErrorEnvelope),
        (status = 422, description = "A field is invalid", body = ErrorEnvelope),
    ))]
pub async fn create(
    State(state): State<AppState>,
    _admin: AdminUser,
    Json(body): Json<NewUserRequest>,
) -> Result<(StatusCode, Json<UserView>)> {
    let fields = RegisterRequest { name: body.name, email: body.email, password: body.password };
    let mut violations = Violations::new();
    let registration = fields.validate_into(&mut violations);
    let role = match body.role.as_deref() {
        None => Some(Role::User),
        Some(raw) => violations.check("role", Role::parse(raw)),
    };
    let (Some(registration), Some(role)) = (registration, role) else {
        return Err(violations.into());
    };
    violations.into_result()?;
    let user = service::create(&state, registration, role).await?;
    Ok((StatusCode::CREATED, Json(user.into())))
}

/// Change an account's name, email or role.
#[utoipa::path(put, path = "/api/v1/admin/users/{id}", tag = "admin", operation_id = "admin_update_user",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "User id")),
    request_body = UserUpdateRequest,
    responses(
        (status = 200, description = "Updated", body = UserView),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not an admin", body = ErrorEnvelope),
        (status = 404, description = "No such user", body = ErrorEnvelope),
        (status = 409, description = "Taken email, or it would leave no admin", body = ErrorEnvelope),
        (status = 422, description = "A field is invalid", body = ErrorEnvelope),
    ))]
pub async fn update(
    State(state): State<AppState>,
    _admin: AdminUser,
    Path(id): Path<Uuid>,
    Json(body): Json<UserUpdateRequest>,
) -> Result<Json<UserView>> {
    let mut violations = Violations::new();
    let mut changes = parse_changes(body.name.as_deref(), body.email.as_deref(), &mut violations);
    changes.role = body.role.as_deref().and_then(|r| violations.check("role", Role::parse(r)));
    violations.into_result()?;
    Ok(Json(service::update(&state, id, changes).await?.into()))
}

/// Delete an account; its past orders are kept, detached from it.
#[utoipa::path(delete, path = "/api/v1/admin/users/{id}", tag = "admin", operation_id = "admin_delete_user",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "User id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not an admin", body = ErrorEnvelope),
        (status = 404, description = "No such user", body = ErrorEnvelope),
        (status = 409, description = "The last admin cannot be deleted", body = ErrorEnvelope),
    ))]
pub async fn delete(
    State(state): State<AppState>,
    _admin: AdminUser,
    Path(id): Path<Uuid>,
) -> Result<StatusCode> {
    service::delete(&state, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
