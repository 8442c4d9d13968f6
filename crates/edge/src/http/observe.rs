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

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use tracing::Instrument;
use tracing::field::Empty;

use super::context::{
    CURRENT, REQUEST_ID_HEADER, RequestContext, RequestId, TRACEPARENT_HEADER, TraceId,
};
use super::error::ErrorResponse;
use crate::metrics::Metrics;

fn accepted_request_id(value: Option<&HeaderValue>) -> Option<Arc<str>> {
    let text = value?.to_str().ok()?;
    let acceptable = !text.is_empty()
        && text.len() <= 128
        && text.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:/+=".contains(&b));
    acceptable.then(|| Arc::from(text))
}

/// What the observing layer needs.
#[derive(Debug, Clone)]
pub(crate) struct Observe {
    pub(crate) timeout: Duration,
    pub(crate) metrics: Option<Metrics>,
}

/// Serves `request` with `serve` inside its request id, trace, span and
/// timeout, and records how it went.
pub(crate) async fn observe<F>(
    observe: &Observe,
    mut request: Request,
    serve: impl FnOnce(Request) -> F,
) -> Response
where
    F: Future<Output = Response>,
{
    let id = match accepted_request_id(request.headers().get(&REQUEST_ID_HEADER)) {
        Some(id) => id,
        None => {
            let mut text = uuid::Uuid::encode_buffer();
            let id = uuid::Uuid::new_v4().hyphenated().encode_lower(&mut text);
            Arc::from(&*id)
        }
    };
    let header_value = HeaderValue::from_str(&id).ok();
    let request_id = RequestId(id);
    request.extensions_mut().insert(request_id.clone());
    if let Some(value) = &header_value {
        request.headers_mut().insert(REQUEST_ID_HEADER, value.clone());
    }

    let found = RouteFound::default();
    request.extensions_mut().insert(found.clone());
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
        route = Empty,
        request_id = %request_id.0,
        trace_id = %trace_id.as_str(),
        status = Empty,
        latency_ms = Empty,
    );

    let started = Instant::now();
    let timeout = observe.timeout;
    let current = RequestContext { request_id: Some(request_id), trace_id: Some(trace_id) };
    let served = CURRENT.scope(current, async move {
        match tokio::time::timeout(timeout, serve(request)).await {
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
    let mut response = served.instrument(span.clone()).await;

    let status = response.status();
    let elapsed = started.elapsed().as_secs_f64();
    let route = found.get().map_or("unmatched", MatchedPath::as_str);
    let quiet = matches!(route, "/healthz" | "/readyz");
    if let Some(metrics) = &observe.metrics {
        metrics.observe_request(&method, route, status.as_u16(), elapsed);
    }
    if !span.is_disabled() {
        if found.get().is_none() {
            span.record("route", route);
        }
        span.record("status", status.as_u16());
        span.record("latency_ms", elapsed * 1000.0);
        span.in_scope(|| {
            if status.is_server_error() {
                tracing::error!("request failed");
            } else if quiet {
                tracing::debug!("request served");
            } else {
                tracing::info!("request served");
            }
        });
    } else if status.is_server_error() {
        tracing::error!(method = %method, route, status = status.as_u16(), "request failed");
    }
    if let Some(value) = header_value {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    response
}

/// The route template a request matched, once routing has found it: the
/// edge, outside the router, names the request's span and metrics by it.
#[derive(Debug, Clone, Default)]
pub(crate) struct RouteFound(Arc<OnceLock<MatchedPath>>);

impl RouteFound {
    /// The template, if the request matched a route.
    pub(crate) fn get(&self) -> Option<&MatchedPath> {
        self.0.get()
    }

    /// Records the template routing found.
    pub(crate) fn set(&self, route: &MatchedPath) {
        let _ = self.0.set(route.clone());
    }
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
