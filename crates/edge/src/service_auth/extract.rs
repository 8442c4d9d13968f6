//! The axum extractor that admits only callers with a valid service token.

use std::sync::Arc;

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};

use super::verify::{ServiceAuthError, TokenVerifier};
use crate::http::ErrorResponse;

/// A verified service caller. Handlers that take one are reachable only
/// with a valid service token from an allowed caller; a customer's access
/// token is refused like any other foreign token.
#[derive(Debug, Clone)]
pub struct ServiceCaller {
    /// The caller's service-account email.
    pub email: String,
}

impl<S> FromRequestParts<S> for ServiceCaller
where
    S: Send + Sync,
    Arc<TokenVerifier>: FromRef<S>,
{
    type Rejection = ErrorResponse;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let verifier = Arc::<TokenVerifier>::from_ref(state);
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|token| !token.is_empty());
        let result = match token {
            Some(token) => verifier.verify(token).await,
            None => Err(ServiceAuthError::Missing),
        };
        result.map(|claims| ServiceCaller { email: claims.email }).map_err(|err| {
            tracing::warn!(error = %err, "service call refused");
            rejection(&err)
        })
    }
}

fn rejection(err: &ServiceAuthError) -> ErrorResponse {
    match err {
        ServiceAuthError::Missing | ServiceAuthError::Invalid(_) => {
            ErrorResponse::new(StatusCode::UNAUTHORIZED, "unauthorized", err.to_string())
                .with_header(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"))
        }
        ServiceAuthError::NotAllowed(_) => {
            ErrorResponse::new(StatusCode::FORBIDDEN, "forbidden", err.to_string())
        }
        ServiceAuthError::KeysUnavailable(_) => ErrorResponse::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "service_unavailable",
            "service token keys are unavailable; retry",
        )
        .retry_after(5),
    }
}
