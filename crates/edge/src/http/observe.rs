//! Request ids, trace context, request spans, request metrics and the
//! per-request timeout.
//!
//! A client's `x-request-id` is kept when it is short and printable, and
//! replaced otherwise; either way it is echoed back, attached to the request
//! span, and put into every error body. Each request gets one span named by
//! its route template (never the raw path, which may hold ids) carrying
//! method, status and latency.
//!
//! Trace context follows W3C `traceparent`: a request that carries one joins
//! that trace, any other starts a new one, and whatever the request causes
//! elsewhere (a task, a callback) carries the same trace id onward, so one
//! order's journey through both services is one trace.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tracing::Instrument;
use tracing::field::Empty;

use super::error::ErrorResponse;
use crate::metrics::Metrics;

/// The header carrying the request id in both directions.
pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The id of the request being served, also stored in request extensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub Arc<str>);

/// The W3C trace context header.
pub const TRACEPARENT_HEADER: HeaderName = HeaderName::from_static("traceparent");

tokio::task_local! {
    static CURRENT_REQUEST_ID: RequestId;
    static CURRENT_TRACE_ID: TraceId;
}

/// A W3C trace id: 32 lowercase hex digits, not all zero.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceId(Arc<str>);

impl TraceId {
    /// A new random trace id.
    pub fn random() -> TraceId {
        TraceId(Arc::from(format!("{:032x}", uuid::Uuid::new_v4().as_u128())))
    }

    /// `text` if it is a valid trace id.
    pub fn parse(text: &str) -> Option<TraceId> {
        let valid = text.len() == 32
            && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            && text.bytes().any(|b| b != b'0');
        valid.then(|| TraceId(Arc::from(text)))
    }

    /// The trace id of a `traceparent` header value (version `00`, or a
    /// later version read as `00` requires), if it is well formed.
    pub fn from_traceparent(value: &str) -> Option<TraceId> {
        let mut parts = value.split('-');
        let (version, trace, parent, flags) =
            (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        let hex = |part: &str, len: usize| {
            part.len() == len
                && part.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        };
        let rest_allowed = version != "00" || parts.next().is_none();
        let valid = hex(version, 2)
            && version != "ff"
            && hex(parent, 16)
            && parent.bytes().any(|b| b != b'0')
            && hex(flags, 2)
            && rest_allowed;
        valid.then(|| TraceId::parse(trace)).flatten()
    }

    /// The hex digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A `traceparent` for a call made within this trace: this trace id and
    /// a new span id, sampled.
    pub fn traceparent(&self) -> String {
        let span = (uuid::Uuid::new_v4().as_u128() as u64).max(1);
        format!("00-{}-{span:016x}-01", self.0)
    }
}

/// The trace of the request this task is serving, if any.
pub fn current_trace_id() -> Option<TraceId> {
    CURRENT_TRACE_ID.try_with(Clone::clone).ok()
}

/// Spawns `work` as a task of its own that keeps this request's id, trace
/// and span: it runs to its end even if the client stops waiting and the
/// request is dropped.
pub fn spawn_with_request_context<F>(work: F) -> tokio::task::JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let span = tracing::Span::current();
    let request_id = CURRENT_REQUEST_ID.try_with(Clone::clone).ok();
    let trace_id = current_trace_id();
    tokio::spawn(async move {
        let work = work.instrument(span);
        match (request_id, trace_id) {
            (Some(id), Some(trace)) => {
                CURRENT_REQUEST_ID.scope(id, CURRENT_TRACE_ID.scope(trace, work)).await
            }
            (Some(id), None) => CURRENT_REQUEST_ID.scope(id, work).await,
            (None, Some(trace)) => CURRENT_TRACE_ID.scope(trace, work).await,
            (None, None) => work.await,
        }
    })
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

/// What the observing layer needs.
#[derive(Debug, Clone)]
pub(crate) struct Observe {
    pub(crate) timeout: Duration,
    pub(crate) metrics: Option<Metrics>,
}

pub(crate) async fn observe(
    State(observe): State<Observe>,
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
    let trace_id = request
        .headers()
        .get(&TRACEPARENT_HEADER)
        .and_then(|value| value.to_str().ok())
        .and_then(TraceId::from_traceparent)
        .unwrap_or_else(TraceId::random);
    let method = request.method().clone();
    let span = tracing::info_span!(
        "request",
        method = %method,
        route = %route,
        request_id = %request_id.0,
        trace_id = %trace_id.as_str(),
        status = Empty,
        latency_ms = Empty,
    );

    let started = Instant::now();
    let timeout = observe.timeout;
    let served = CURRENT_TRACE_ID.scope(trace_id, async move {
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
    });
    let mut response = CURRENT_REQUEST_ID.scope(request_id, served).instrument(span.clone()).await;

    let status = response.status();
    let elapsed = started.elapsed().as_secs_f64();
    if let Some(metrics) = &observe.metrics {
        metrics.observe_request(method.as_str(), &route, status.as_u16(), elapsed);
    }
    let latency_ms = elapsed * 1000.0;
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
    fn a_valid_traceparent_is_joined_and_a_broken_one_is_not() {
        let trace = "4bf92f3577b34da6a3ce929d0e0e4736";
        let joined = TraceId::from_traceparent(&format!("00-{trace}-00f067aa0ba902b7-01"));
        assert_eq!(joined.as_ref().map(TraceId::as_str), Some(trace));
        let future = TraceId::from_traceparent(&format!("01-{trace}-00f067aa0ba902b7-01-extra"));
        assert_eq!(
            future.as_ref().map(TraceId::as_str),
            Some(trace),
            "later versions may add fields"
        );
        for broken in [
            format!("00-{trace}-00f067aa0ba902b7-01-extra"),
            format!("ff-{trace}-00f067aa0ba902b7-01"),
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01".to_owned(),
            format!("00-{trace}-0000000000000000-01"),
            format!("00-{}-00f067aa0ba902b7-01", trace.to_uppercase()),
            format!("00-{trace}-00f067aa0ba902b7"),
            String::new(),
        ] {
            assert_eq!(TraceId::from_traceparent(&broken), None, "{broken}");
        }
    }

    #[test]
    fn outgoing_traceparents_keep_the_trace_and_are_themselves_valid() {
        let trace = TraceId::random();
        let outgoing = trace.traceparent();
        assert_eq!(TraceId::from_traceparent(&outgoing), Some(trace.clone()));
        assert_ne!(outgoing, trace.traceparent(), "each call gets its own span id");
    }

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
