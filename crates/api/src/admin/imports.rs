//! HTTP for `/api/v1/admin/imports`: product CSV files in, a job's
//! progress and per-row report out.

use axum::body::Bytes;
use axum::extract::multipart::Multipart;
use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use gokart_edge::http::ErrorEnvelope;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::AdminUser;
use crate::catalog::import::{self, store};
use crate::error::{Error, Result};
use crate::extract::{Json, Path};
use crate::state::AppState;

/// Where an import is.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportStatus {
    /// Waiting for the runner.
    Queued,
    /// Being written.
    Running,
    /// Every row is written, unchanged or reported.
    Done,
    /// Given up (see `failure`); upload the file again.
    Failed,
}

/// What was wrong with one row; the row was skipped.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportError {
    /// The record's number in the file, the header being row 1.
    pub row: i32,
    /// The column, or `row` for the row as a whole.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

/// An import and its report.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportView {
    /// Id.
    pub id: Uuid,
    /// Where it is.
    pub status: ImportStatus,
    /// Rows in the file, under its header.
    pub rows_total: i32,
    /// Rows done with: written, unchanged or skipped.
    pub rows_done: i32,
    /// Rows skipped for errors.
    pub rows_failed: i32,
    /// Products added.
    pub products_created: i32,
    /// Products changed.
    pub products_updated: i32,
    /// Variants added.
    pub variants_created: i32,
    /// Variants changed.
    pub variants_updated: i32,
    /// Why it was given up, when it was.
    pub failure: Option<String>,
    /// The skipped rows and why, by row (the first 1000 are kept).
    #[schema(max_items = 1000)]
    pub errors: Vec<ImportError>,
    /// Uploaded at.
    pub created_at: DateTime<Utc>,
    /// Finished at.
    pub finished_at: Option<DateTime<Utc>>,
}

/// A product CSV file (`multipart/form-data`).
#[derive(Debug, ToSchema)]
#[allow(dead_code, reason = "describes the form for the OpenAPI document; read part by part")]
pub struct ImportUpload {
    /// The CSV file, columns as the export's.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

async fn view(state: &AppState, id: Uuid) -> Result<ImportView> {
    let record = store::find(&state.db, id).await?.ok_or(Error::NotFound("import"))?;
    let errors = store::errors(&state.db, id).await?;
    Ok(ImportView {
        id: record.id,
        status: match record.status.as_str() {
            "queued" => ImportStatus::Queued,
            "running" => ImportStatus::Running,
            "done" => ImportStatus::Done,
            _ => ImportStatus::Failed,
        },
        rows_total: record.rows_total,
        rows_done: record.rows_done,
        rows_failed: record.rows_failed,
        products_created: record.products_created,
        products_updated: record.products_updated,
        variants_created: record.variants_created,
        variants_updated: record.variants_updated,
        failure: record.failure,
        errors: errors
            .into_iter()
            .map(|e| ImportError { row: e.row, field: e.field, message: e.message })
            .collect(),
        created_at: record.created_at,
        finished_at: record.finished_at,
    })
}

/// The file in a request: the body itself, or a form's `file` part.
async fn file(state: &AppState, request: Request) -> Result<Bytes> {
    let multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.trim_start().to_ascii_lowercase().starts_with("multipart/"));
    let unreadable = || {
        Error::BadRequest(
            "invalid_multipart",
            "the body is not a readable multipart/form-data form",
        )
    };
    if !multipart {
        return Bytes::from_request(request, state).await.map_err(|_| unreadable());
    }
    let mut form = Multipart::from_request(request, state).await.map_err(|_| unreadable())?;
    while let Some(field) = form.next_field().await.map_err(|_| unreadable())? {
        if field.name() == Some("file") {
            return field.bytes().await.map_err(|_| unreadable());
        }
    }
    Err(Error::invalid("file", "is required: a form part named file with the CSV"))
}

/// Import products from CSV: the file is checked row by row and queued,
/// then written in the background (see `GET /api/v1/admin/imports/{id}`).
/// The columns are the export's, in any order; only `sku` is required. A
/// row is one variant, matched by SKU, so importing a file again changes
/// nothing; rows without `product_id` are placed by their SKU, else a new
/// product is made per name. A column the file leaves out leaves that
/// field as it is; an empty name, category, active, price or stock cell
/// too, while an empty description, brand, former price, weight or image
/// list clears it. A product's own fields come from its first row.
/// `image_urls` that are the product's uploaded photos keep them; others
/// are linked images, shown while it has no uploaded photos.
#[utoipa::path(post, path = "/api/v1/admin/imports", tag = "admin",
    operation_id = "admin_import_products", security(("bearer" = [])),
    request_body(content(
        (String = "text/csv"),
        (ImportUpload = "multipart/form-data"),
    )),
    responses(
        (status = 202, description = "Queued; its progress is at the Location", body = ImportView),
        (status = 400, description = "The body is not a readable form", body = ErrorEnvelope),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not an admin, or a key without catalog:write", body = ErrorEnvelope),
        (status = 413, description = "The file is over `IMPORT_MAX_MB`", body = ErrorEnvelope),
        (status = 422, description = "The file is empty or its header unusable (`file`)", body = ErrorEnvelope),
    ))]
pub async fn create(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    request: Request,
) -> Result<Response> {
    let file = file(&state, request).await?;
    let id = import::upload(&state, &file, admin.id).await?;
    let mut response = (StatusCode::ACCEPTED, Json(view(&state, id).await?)).into_response();
    if let Ok(location) = HeaderValue::from_str(&format!("/api/v1/admin/imports/{id}")) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// An import's progress and its report of skipped rows.
#[utoipa::path(get, path = "/api/v1/admin/imports/{id}", tag = "admin",
    operation_id = "admin_get_import", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Import id")),
    responses(
        (status = 200, description = "The import", body = ImportView),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not an admin, or a key without catalog:write", body = ErrorEnvelope),
        (status = 404, description = "No such import", body = ErrorEnvelope),
    ))]
pub async fn get(
    State(state): State<AppState>,
    _admin: AdminUser,
    Path(id): Path<Uuid>,
) -> Result<Json<ImportView>> {
    Ok(Json(view(&state, id).await?))
}
