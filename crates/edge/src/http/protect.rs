//! What every response and every request gets at the edge, before any
//! handler runs: security headers, a cap on header size, and load shedding.

use std::convert::Infallible;
use std::sync::Arc;

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio::sync::{Semaphore, SemaphorePermit};
use tower::Service;

use super::error::ErrorResponse;

/// The policy for API responses: JSON is never a document, so nothing may
/// load, run, frame or submit. A route that serves HTML sets its own.
pub const STRICT_CONTENT_SECURITY_POLICY: &str =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// One year, subdomains included: set only in production, behind TLS.
const HSTS: HeaderValue = HeaderValue::from_static("max-age=31536000; includeSubDomains");

/// Adds the security headers a response does not already carry (a route
/// with HTML, like the API docs, sets its own `Content-Security-Policy`).
pub(crate) fn add_security_headers(headers: &mut HeaderMap, production: bool) {
    let defaults = [
        (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        (header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")),
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
        (header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(STRICT_CONTENT_SECURITY_POLICY)),
        (
            HeaderName::from_static("cross-origin-resource-policy"),
            HeaderValue::from_static("same-site"),
        ),
    ];
    // Room for all of them at once, rather than growing the map per header.
    headers.reserve(defaults.len() + 1);
    for (name, value) in defaults {
        headers.entry(name).or_insert(value);
    }
    if production {
        headers.insert(header::STRICT_TRANSPORT_SECURITY, HSTS);
    }
}

/// Total bytes of header names and values, as a client sent them.
fn header_bytes(headers: &HeaderMap) -> usize {
    headers.iter().map(|(name, value)| name.as_str().len() + value.len()).sum()
}

/// The JSON 431 for a request whose headers add up to more than `limit`
/// bytes, if they do.
pub(crate) fn refuse_large_headers(request: &Request, limit: usize) -> Option<Response> {
    (header_bytes(request.headers()) > limit).then(|| {
        ErrorResponse::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "headers_too_large",
            format!("request headers may total at most {limit} bytes"),
        )
        .into_response()
    })
}

/// A bound on requests in progress: past it, requests are turned away at
/// once with a 503 and `Retry-After` instead of waiting in a queue that has
/// no end. Clones share the bound.
#[derive(Debug, Clone)]
pub struct InFlightLimit {
    permits: Arc<Semaphore>,
    what: &'static str,
}

impl InFlightLimit {
    /// At most `max` requests at once; `what` names them in the refusal.
    pub fn new(max: usize, what: &'static str) -> Self {
        InFlightLimit { permits: Arc::new(Semaphore::new(max)), what }
    }

    /// A slot, held until it is dropped, if one is free.
    pub fn admit(&self) -> Option<SemaphorePermit<'_>> {
        self.permits.try_acquire().ok()
    }

    /// The answer when no slot is free: 503 `overloaded`, `Retry-After: 1`.
    pub fn refusal(&self) -> Response {
        tracing::warn!(limit = self.what, "shedding load: too many requests in progress");
        ErrorResponse::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "overloaded",
            format!("too many {} in progress; try again shortly", self.what),
        )
        .retry_after(1)
        .into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_bytes_count_names_and_values() {
        let mut headers = HeaderMap::new();
        headers.insert("x-a", HeaderValue::from_static("12345"));
        headers.append("x-a", HeaderValue::from_static("1"));
        assert_eq!(header_bytes(&headers), 3 + 5 + 3 + 1);
    }
}

/// Limits on reading a request body.
#[derive(Debug, Clone)]
pub(crate) struct BodyLimits {
    /// Largest body accepted, in bytes.
    pub(crate) max_bytes: usize,
    /// How long a client has to send the whole body.
    pub(crate) read_timeout: std::time::Duration,
    /// Routes with larger limits.
    pub(crate) large: std::sync::Arc<[crate::server_config::LargeBody]>,
}

impl BodyLimits {
    /// The size and time limits of `request`'s route.
    fn of(&self, request: &Request) -> (usize, std::time::Duration) {
        let route = request.extensions().get::<axum::extract::MatchedPath>();
        route
            .and_then(|route| self.large.iter().find(|large| large.route == route.as_str()))
            .map_or((self.max_bytes, self.read_timeout), |large| {
                (large.max_bytes, large.read_timeout)
            })
    }
}

/// Whether `request` comes without a body (a GET, or a zero length):
/// nothing to read or wait for.
pub(crate) fn has_no_body(request: &Request) -> bool {
    declared_length(request) == Some(0)
        || axum::body::HttpBody::size_hint(request.body()).exact() == Some(0)
}

fn declared_length(request: &Request) -> Option<u64> {
    request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok())
}

/// Reads the request body before `inner` (the route) sees it, so that
/// every route answers the same way: a `Content-Length` over the limit is
/// refused at once (JSON 413) without reading a byte, a body that grows
/// past the limit is a JSON 413, and a body that is not complete within
/// the read timeout is a JSON 408 that frees the request's slot instead of
/// holding it until the request timeout. A request without a body
/// ([`has_no_body`]) goes straight to the route instead.
pub(crate) async fn read_body<S>(limits: &BodyLimits, request: Request, mut inner: S) -> Response
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    let (max_bytes, read_timeout) = limits.of(&request);
    if declared_length(&request).is_some_and(|length| length > max_bytes as u64) {
        return too_large(max_bytes);
    }
    let (parts, body) = request.into_parts();
    let read = axum::body::to_bytes(body, max_bytes);
    let bytes = match tokio::time::timeout(read_timeout, read).await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(err)) if is_length_limit(&err) => return too_large(max_bytes),
        Ok(Err(err)) => {
            tracing::debug!(error = %err, "could not read the request body");
            return ErrorResponse::new(
                StatusCode::BAD_REQUEST,
                "invalid_body",
                "the request body could not be read",
            )
            .into_response();
        }
        Err(_elapsed) => {
            tracing::info!(
                timeout_ms = read_timeout.as_millis(),
                "request body not received in time"
            );
            let mut response = ErrorResponse::new(
                StatusCode::REQUEST_TIMEOUT,
                "body_timeout",
                format!("the request body must arrive within {} ms", read_timeout.as_millis()),
            )
            .into_response();
            response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
            return response;
        }
    };
    match inner.call(Request::from_parts(parts, axum::body::Body::from(bytes))).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

fn is_length_limit(err: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(current) = source {
        if current.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = current.source();
    }
    false
}

fn too_large(limit: usize) -> Response {
    let mut response = ErrorResponse::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        format!("the request body may be at most {limit} bytes"),
    )
    .into_response();
    // The unread body stays on the wire: the connection cannot be reused.
    response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}
