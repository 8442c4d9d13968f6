//! HTTP for `/api/v1/admin/exports/*`: the catalog as CSV, streamed.

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use gokart_edge::http::ErrorEnvelope;
use uuid::Uuid;

use crate::auth::AdminUser;
use crate::catalog::export;
use crate::state::AppState;

/// Where an export has got to.
enum Next {
    Header,
    After(Option<(DateTime<Utc>, Uuid)>),
}

/// Every product that is not deleted, one row per variant, as CSV
/// (columns: `product_id, name, description, brand, category, active,
/// option1_name, option1_value, option2_name, option2_value, option3_name,
/// option3_value, sku, price, compare_at_price, stock, weight_grams,
/// image_urls`; prices in minor units). Streamed a page of products at a
/// time: products changed while it runs appear as each page read them.
#[utoipa::path(get, path = "/api/v1/admin/exports/products.csv", tag = "admin",
    operation_id = "admin_export_products", security(("bearer" = [])),
    responses(
        (status = 200, description = "The catalog, one row per variant", content_type = "text/csv", body = String),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not an admin, or a key without catalog:read", body = ErrorEnvelope),
    ))]
pub async fn products(State(state): State<AppState>, _admin: AdminUser) -> Response {
    let pages = futures_util::stream::try_unfold(Next::Header, move |next| {
        let state = state.clone();
        async move {
            let after = match next {
                Next::Header => {
                    return Ok(Some((Bytes::from(export::header()), Next::After(None))));
                }
                Next::After(after) => after,
            };
            let rows = export::page(&state.db, after).await.map_err(|err| {
                tracing::warn!(error = %err, "product export cut short");
                std::io::Error::other(err.to_string())
            })?;
            let Some(last) = rows.last().map(|row| (row.created_at, row.product_id)) else {
                return Ok(None);
            };
            let mut out = Vec::with_capacity(rows.len() * 256);
            for row in &rows {
                export::write_row(&mut out, row, state.media_urls());
            }
            Ok::<_, std::io::Error>(Some((Bytes::from(out), Next::After(Some(last)))))
        }
    });
    let mut response = Body::from_stream(pages).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"products.csv\""),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
