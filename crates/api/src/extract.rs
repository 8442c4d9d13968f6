//! Request extractors whose rejections use our error shape.
//!
//! [`Json`] comes from the shared edge crate. [`Query`] answers an
//! undecodable query string with a 400; handlers take query values as
//! strings and validate them into domain types, naming each bad parameter. [`Path`] answers a malformed
//! path id (`/orders/not-a-uuid`) with the same 404 as an unknown one, so ids
//! stay opaque and nothing about their format leaks.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

pub use gokart_edge::http::Json;

use crate::error::Error;

/// Path parameters; any that fail to parse are a 404.
#[derive(Debug, Clone, Copy)]
pub struct Path<T>(pub T);

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(value)| Path(value))
            .map_err(|_| Error::NotFound("resource"))
    }
}

/// Query-string parameters; an undecodable query string is a 400.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = gokart_edge::http::ErrorResponse;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(value)| Query(value))
            .map_err(|rejection| {
                gokart_edge::http::ErrorResponse::new(
                    axum::http::StatusCode::BAD_REQUEST,
                    "malformed_query",
                    rejection.body_text(),
                )
            })
    }
}

/// A query value with something in it, trimmed; `None` when it is absent
/// or blank.
pub fn filled(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|text| !text.is_empty())
}

/// An id written the one way ids are shown: hyphenated.
pub fn hyphenated_id(raw: &str) -> Option<uuid::Uuid> {
    (raw.len() == 36).then(|| uuid::Uuid::parse_str(raw).ok()).flatten()
}
