//! HTTP for product photos: `/api/v1/admin/products/{id}/media`,
//! `/api/v1/admin/media/{id}`, and `/media/...` (the `local` store's files).

use std::sync::Arc;

use axum::extract::State;
use axum::extract::multipart::{Multipart, MultipartError, MultipartRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use gokart_domain::Violations;
use gokart_domain::catalog::optional_text;
use gokart_edge::http::ErrorEnvelope;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::MediaView;
use super::service::{self, MAX_ALT_CHARS, MediaChanges, OwnedClaims, Stored, Upload};
use super::store::{IMMUTABLE, LocalStore};
use crate::auth::AdminUser;
use crate::error::{Error, Result};
use crate::extract::{Json, Path};
use crate::state::AppState;

/// A photo upload (`multipart/form-data`).
#[derive(Debug, ToSchema)]
#[allow(dead_code, reason = "describes the form for the OpenAPI document; read part by part")]
pub struct MediaUpload {
    /// A JPEG, PNG or WebP image of at most `MEDIA_MAX_BYTES` (10 MiB by
    /// default) and 40 megapixels. Its type is read from its bytes; a name
    /// or part type claiming another image type is refused.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// Text alternative, up to 500 characters.
    #[schema(value_type = Option<crate::schemas::OptionalText<500>>)]
    alt: Option<String>,
}

fn malformed(err: &MultipartError) -> Error {
    tracing::debug!(error = %err, "unreadable multipart body");
    Error::BadRequest("invalid_multipart", "the body is not a readable multipart/form-data form")
}

fn alt_text(raw: &str) -> Result<String> {
    optional_text(raw, MAX_ALT_CHARS).map_err(|invalid| Error::invalid("alt", &invalid.0))
}

/// Add a photo to a product: it is checked, stripped of metadata, resized
/// into WebP renditions and placed after the others.
#[utoipa::path(post, path = "/api/v1/admin/products/{id}/media", tag = "admin",
    operation_id = "admin_upload_media", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Product id")),
    request_body(content = MediaUpload, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "Stored", body = MediaView),
        (status = 400, description = "The body is not a multipart form", body = ErrorEnvelope),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not an admin", body = ErrorEnvelope),
        (status = 404, description = "No such product", body = ErrorEnvelope),
        (status = 409, description = "The product has 50 photos (`too_many_media`)", body = ErrorEnvelope),
        (status = 413, description = "The file is over `MEDIA_MAX_BYTES`", body = ErrorEnvelope),
        (status = 422, description = "`file` is missing or not a usable image (`invalid_image`), or `alt` is too long", body = ErrorEnvelope),
    ))]
pub async fn upload(
    State(state): State<AppState>,
    _admin: AdminUser,
    Path(id): Path<Uuid>,
    form: std::result::Result<Multipart, MultipartRejection>,
) -> Result<(StatusCode, Json<MediaView>)> {
    let mut form = form.map_err(|_| {
        Error::BadRequest("invalid_multipart", "the body must be multipart/form-data")
    })?;
    let limit = state.config.media.max_bytes;
    let (mut file, mut alt) = (None, String::new());
    while let Some(field) = form.next_field().await.map_err(|err| malformed(&err))? {
        match field.name() {
            Some("file") => {
                let claims = OwnedClaims {
                    file_name: field.file_name().map(str::to_owned),
                    content_type: field.content_type().map(str::to_owned),
                };
                let bytes = field.bytes().await.map_err(|err| malformed(&err))?;
                if bytes.len() > limit {
                    return Err(Error::TooLarge(limit));
                }
                file = Some((Arc::<[u8]>::from(bytes.as_ref()), claims));
            }
            Some("alt") => alt = alt_text(&field.text().await.map_err(|err| malformed(&err))?)?,
            _ => {}
        }
    }
    let (bytes, claims) =
        file.ok_or_else(|| Error::invalid("file", "is required: a JPEG, PNG or WebP image"))?;
    let stored = service::upload(&state, id, Upload { bytes, claims, alt }).await?;
    Ok((StatusCode::CREATED, view(&state, &stored)))
}

fn view(state: &AppState, stored: &Stored) -> Json<MediaView> {
    Json(state.media_urls().view(stored.product, &stored.entry))
}

/// Changes to a photo; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
pub struct MediaRequest {
    /// Text alternative, up to 500 characters.
    #[schema(value_type = Option<crate::schemas::OptionalText<500>>)]
    pub alt: Option<String>,
    /// Its place among the product's photos, from 0; the others move up or
    /// down to make room (a place past the end puts it last).
    #[schema(minimum = 0, maximum = 1000)]
    pub position: Option<i64>,
    /// Exactly the variants (of its product) it shows; `[]` for none.
    #[schema(value_type = Option<Vec<Uuid>>)]
    pub variant_ids: Option<Vec<String>>,
}

impl MediaRequest {
    fn validate(self) -> std::result::Result<MediaChanges, Violations> {
        let mut v = Violations::new();
        let alt = self.alt.and_then(|raw| match optional_text(&raw, MAX_ALT_CHARS) {
            Ok(text) => Some(text),
            Err(invalid) => {
                v.add("alt", invalid.0);
                None
            }
        });
        let position = self.position.and_then(|raw| match usize::try_from(raw) {
            Ok(place) if place <= 1000 => Some(place),
            _ => {
                v.add("position", "must be between 0 and 1000");
                None
            }
        });
        let variant_ids = self.variant_ids.and_then(|raw| {
            let mut ids: Vec<Uuid> = Vec::with_capacity(raw.len());
            for id in &raw {
                match Uuid::parse_str(id) {
                    Ok(id) if !ids.contains(&id) => ids.push(id),
                    Ok(_) => {}
                    Err(_) => {
                        v.add("variant_ids", format!("{id:?} is not a variant id"));
                        return None;
                    }
                }
            }
            Some(ids)
        });
        v.into_result()?;
        Ok(MediaChanges { alt, position, variant_ids })
    }
}

/// Change a photo's text alternative, place or variants.
#[utoipa::path(put, path = "/api/v1/admin/media/{id}", tag = "admin",
    operation_id = "admin_update_media", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Media id")),
    request_body = MediaRequest,
    responses(
        (status = 200, description = "Updated", body = MediaView),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not an admin", body = ErrorEnvelope),
        (status = 404, description = "No such photo", body = ErrorEnvelope),
        (status = 422, description = "A field is invalid, or a variant is not the product's", body = ErrorEnvelope),
    ))]
pub async fn update(
    State(state): State<AppState>,
    _admin: AdminUser,
    Path(id): Path<Uuid>,
    Json(body): Json<MediaRequest>,
) -> Result<Json<MediaView>> {
    let stored = service::update(&state, id, body.validate()?).await?;
    Ok(view(&state, &stored))
}

/// Delete a photo and its stored files; the product's other photos close
/// the gap.
#[utoipa::path(delete, path = "/api/v1/admin/media/{id}", tag = "admin",
    operation_id = "admin_delete_media", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Media id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not an admin", body = ErrorEnvelope),
        (status = 404, description = "No such photo", body = ErrorEnvelope),
    ))]
pub async fn delete(
    State(state): State<AppState>,
    _admin: AdminUser,
    Path(id): Path<Uuid>,
) -> Result<StatusCode> {
    service::delete(&state, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Whether `key` is one the media keys name: `products/{uuid}/{uuid}/`
/// then `original.{jpg,png,webp}` or `w{width}.webp`, and its type.
fn served_type(key: &str) -> Option<&'static str> {
    let mut parts = key.split('/');
    let (Some("products"), Some(product), Some(media), Some(file), None) =
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    Uuid::parse_str(product).ok()?;
    Uuid::parse_str(media).ok()?;
    let (stem, extension) = file.split_once('.')?;
    let width = stem.strip_prefix('w');
    match (stem, extension) {
        ("original", "jpg") => Some("image/jpeg"),
        ("original", "png") => Some("image/png"),
        ("original", "webp") => Some("image/webp"),
        (_, "webp")
            if width.is_some_and(|w| {
                !w.is_empty() && w.len() <= 5 && w.bytes().all(|b| b.is_ascii_digit())
            }) =>
        {
            Some("image/webp")
        }
        _ => None,
    }
}

/// `GET /media/{key}`: a file of the `local` store, cached for good (a key
/// never changes).
pub async fn serve(
    State(store): State<Arc<LocalStore>>,
    axum::extract::Path(key): axum::extract::Path<String>,
) -> Response {
    let not_found = || Error::NotFound("media file").into_response();
    let (Some(content_type), Some(path)) = (served_type(&key), store.path_of(&key)) else {
        return not_found();
    };
    match tokio::fs::read(&path).await {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
                (header::CACHE_CONTROL, HeaderValue::from_static(IMMUTABLE)),
            ],
            bytes,
        )
            .into_response(),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => not_found(),
        Err(err) => {
            Error::Internal(anyhow::Error::new(err).context("reading a media file")).into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_media_keys_are_served() {
        let p = Uuid::nil();
        let m = Uuid::max();
        assert_eq!(served_type(&format!("products/{p}/{m}/original.png")), Some("image/png"));
        assert_eq!(served_type(&format!("products/{p}/{m}/w600.webp")), Some("image/webp"));
        for bad in [
            format!("products/{p}/{m}/original.svg"),
            format!("products/{p}/{m}/w.webp"),
            format!("products/{p}/{m}/wx1.webp"),
            format!("products/{p}/../original.png"),
            format!("products/{p}/{m}/x/original.png"),
            format!("other/{p}/{m}/original.png"),
            "products".to_owned(),
        ] {
            assert_eq!(served_type(&bad), None, "{bad}");
        }
    }
}
