//! The one error shape every response uses:
//! `{"error": {"code", "message", "fields"?, "request_id"?}}`.

use std::any::Any;
use std::collections::BTreeMap;

use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::context::current_request_id;

/// The body of every error response.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorEnvelope {
    /// What went wrong.
    pub error: ErrorDetail,
}

/// What went wrong, for programs (`code`) and for people (`message`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorDetail {
    /// Stable snake_case code, e.g. `validation_failed`.
    pub code: String,
    /// Human-readable explanation.
    pub message: String,
    /// For validation failures: why each named field was refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<BTreeMap<String, String>>,
    /// Why, in one stable snake_case word, when the code has several causes
    /// (e.g. a rejected discount code: `expired`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The request's id, to quote when reporting a problem.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// A JSON error response. Build it with a status, a stable snake_case code
/// and a message for people; add `fields` for validation failures.
#[derive(Debug, Clone)]
pub struct ErrorResponse {
    status: StatusCode,
    detail: Box<ErrorDetail>,
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl ErrorResponse {
    /// An error with `status`, `code` and `message`.
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        ErrorResponse {
            status,
            detail: Box::new(ErrorDetail {
                code: code.to_owned(),
                message: message.into(),
                fields: None,
                reason: None,
                request_id: None,
            }),
            headers: Vec::new(),
        }
    }

    /// A 422 naming each invalid field.
    pub fn validation(fields: BTreeMap<String, String>) -> Self {
        let mut error = ErrorResponse::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "some fields are invalid",
        );
        error.detail.fields = Some(fields);
        error
    }

    /// A 422 with its own `code`, naming the one `field` it is about.
    pub fn unprocessable(code: &str, field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        let mut error = ErrorResponse::new(StatusCode::UNPROCESSABLE_ENTITY, code, message.clone());
        error.detail.fields = Some(BTreeMap::from([(field.to_owned(), message)]));
        error
    }

    /// Adds the `reason` of a code with several causes.
    pub fn with_reason(mut self, reason: impl Into<String>) -> Self {
        self.detail.reason = Some(reason.into());
        self
    }

    /// A 500 that says nothing about its cause; log the cause before.
    pub fn internal() -> Self {
        ErrorResponse::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "something went wrong on our side; quote the request id if you report it",
        )
    }

    /// Adds a `Retry-After` header (for 429 and 503).
    pub fn retry_after(self, seconds: u64) -> Self {
        self.with_header(header::RETRY_AFTER, HeaderValue::from(seconds))
    }

    /// Adds a response header, e.g. `WWW-Authenticate` on a 401.
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The machine-readable code.
    pub fn code(&self) -> &str {
        &self.detail.code
    }
}

impl IntoResponse for ErrorResponse {
    fn into_response(mut self) -> Response {
        self.detail.request_id = current_request_id();
        let mut response =
            (self.status, axum::Json(ErrorEnvelope { error: *self.detail })).into_response();
        for (name, value) in self.headers {
            response.headers_mut().insert(name, value);
        }
        response
    }
}

/// Fallback for paths no route matches.
pub async fn route_not_found() -> ErrorResponse {
    ErrorResponse::new(StatusCode::NOT_FOUND, "route_not_found", "no route matches this path")
}

/// Fallback for a known path asked with the wrong method.
pub async fn method_not_allowed() -> ErrorResponse {
    ErrorResponse::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this path does not accept that method",
    )
}

#[allow(clippy::needless_pass_by_value, reason = "the payload is dropped here, after logging")]
/// Turns a panic inside a handler into a logged 500 instead of a dropped connection.
pub(crate) fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response {
    let detail = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("non-string panic payload");
    tracing::error!(panic = detail, "handler panicked");
    ErrorResponse::internal().into_response()
}
