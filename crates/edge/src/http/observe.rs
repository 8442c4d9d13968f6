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

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tracing::Instrument;
use tracing::field::Empty;

use super::context::{
    CURRENT_REQUEST_ID, CURRENT_TRACE_ID, REQUEST_ID_HEADER, RequestId, TRACEPARENT_HEADER, TraceId,
};
use super::error::ErrorResponse;
use crate::metrics::Metrics;

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
