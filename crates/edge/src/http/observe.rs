//! Request ids, request spans and the per-request timeout.
//!
//! A client's `x-request-id` is kept when it is short and printable, and
//! replaced otherwise; either way it is echoed back, attached to the request
//! span, and put into every error body. Each request gets one span named by
//! its route template (never the raw path, which may hold ids) carrying
//! method, status and latency.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tracing::Instrument;
use tracing::field::Empty;

use super::error::ErrorResponse;

/// The header carrying the request id in both directions.
pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The id of the request being served, also stored in request extensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub Arc<str>);

tokio::task_local! {
    static CURRENT_REQUEST_ID: RequestId;
}

/// The id of the request this task is serving, if any.
pub fn current_request_id() -> Option<String> {
    CURRENT_REQUEST_ID.try_with(|id| id.0.to_string()).ok()
}

fn accepted_request_id(value: Option<&HeaderValue>) -> Option<String> {
    let text = value?.to_str().ok()?;
    let acceptable = !text.is_empty()
        && text.len() <= 128
        && text.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:/+=".contains(&b));
    acceptable.then(|| text.to_owned())
}

pub(crate) async fn observe(
    State(timeout): State<Duration>,
    mut request: Request,
    next: Next,
) -> Response {
    let id = accepted_request_id(request.headers().get(&REQUEST_ID_HEADER))
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let header_value = HeaderValue::from_str(&id).ok();
    let request_id = RequestId(Arc::from(id));
    request.extensions_mut().insert(request_id.clone());
    if let Some(value) = &header_value {
        request.headers_mut().insert(REQUEST_ID_HEADER, value.clone());
    }

    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |path| path.as_str().to_owned());
    let quiet = matches!(route.as_str(), "/healthz" | "/readyz");
    let span = tracing::info_span!(
        "request",
        method = %request.method(),
        route = %route,
        request_id = %request_id.0,
        status = Empty,
        latency_ms = Empty,
    );

    let started = Instant::now();
    let mut response = CURRENT_REQUEST_ID
        .scope(request_id, async move {
            match tokio::time::timeout(timeout, next.run(request)).await {
                Ok(response) => response,
                Err(_) => ErrorResponse::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "request_timeout",
                    "the server took too long to answer; try again",
                )
                .retry_after(1)
                .into_response(),
            }
        })
        .instrument(span.clone())
        .await;

    let status = response.status();
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    span.record("status", status.as_u16());
    span.record("latency_ms", latency_ms);
    span.in_scope(|| {
        if status.is_server_error() {
            tracing::error!("request failed");
        } else if quiet {
            tracing::debug!("request served");
        } else {
            tracing::info!("request served");
        }
    });
    if let Some(value) = header_value {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_client_ids_are_kept() {
        let value = HeaderValue::from_static("trace-123_abc.def");
        assert_eq!(accepted_request_id(Some(&value)).as_deref(), Some("trace-123_abc.def"));
    }

    #[test]
    fn hostile_or_oversized_ids_are_replaced() {
        let long = "a".repeat(129);
        for bad in ["", "has space", "new\tline", long.as_str(), "<script>"] {
            let value = HeaderValue::from_str(bad).ok();
            assert_eq!(accepted_request_id(value.as_ref()), None, "{bad:?}");
        }
        assert_eq!(accepted_request_id(None), None);
    }
}
