//! Prometheus metrics: what every service records about its HTTP traffic,
//! plus whatever the service registers itself, rendered in the OpenMetrics
//! text format for a scraper.

use std::collections::HashSet;
use std::sync::{Arc, PoisonError, RwLock};

use axum::http::{HeaderValue, Method, header};
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

// From the module itself, not the `http` facade, which needs `Metrics`.
use crate::http::error::ErrorResponse;

/// Labels of one served request.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    /// The route template (`/api/v1/orders/{id}`), never the raw path.
    route: &'static str,
    status: u16,
}

/// Labels of one route.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: &'static str,
    route: &'static str,
}

/// The label of a method: the standard ones by name, any other as `OTHER`
/// (a client may send any token as a method; each would be a new series).
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "OTHER",
    }
}

fn latency_histogram() -> Histogram {
    // 1 ms to about 16 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

/// A service's metrics. Clones share them.
#[derive(Debug, Clone)]
pub struct Metrics {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    /// The route templates seen, each kept once for the life of the
    /// process: labels borrow them rather than copy them on every request.
    /// They are the router's own templates, a fixed set.
    routes: RwLock<HashSet<&'static str>>,
}

impl Inner {
    fn route(&self, route: &str) -> &'static str {
        let known = self.routes.read().map(|routes| routes.get(route).copied());
        if let Ok(Some(known)) = known {
            return known;
        }
        let mut routes = self.routes.write().unwrap_or_else(PoisonError::into_inner);
        match routes.get(route) {
            Some(known) => known,
            None => {
                let kept: &'static str = Box::leak(route.into());
                routes.insert(kept);
                kept
            }
        }
    }
}

impl Metrics {
    /// The HTTP metrics, and whatever `register` adds to the registry.
    pub fn new(register: impl FnOnce(&mut Registry)) -> Metrics {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "Requests served, by method, route template and status",
            requests.clone(),
        );
        let latency = Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram,
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer a request, by method and route template",
            latency.clone(),
        );
        register(&mut registry);
        let routes = RwLock::default();
        Metrics { inner: Arc::new(Inner { registry, requests, latency, routes }) }
    }

    /// Records one answered request; `route` is a route template of the
    /// router (or a fixed name), never a raw path.
    pub(crate) fn observe_request(&self, method: &Method, route: &str, status: u16, seconds: f64) {
        let (method, route) = (method_label(method), self.inner.route(route));
        self.inner.latency.get_or_create(&RouteLabels { method, route }).observe(seconds);
        self.inner.requests.get_or_create(&RequestLabels { method, route, status }).inc();
    }

    /// Everything, in the OpenMetrics text format.
    pub fn render(&self) -> Response {
        let mut text = String::new();
        if let Err(err) = prometheus_client::encoding::text::encode(&mut text, &self.inner.registry)
        {
            tracing::error!(error = %err, "could not encode the metrics");
            return ErrorResponse::internal().into_response();
        }
        (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static(
                    "application/openmetrics-text; version=1.0.0; charset=utf-8",
                ),
            )],
            text,
        )
            .into_response()
    }
}

#[cfg(test)]
mod tests {
    use prometheus_client::metrics::gauge::Gauge;

    use super::*;

    #[test]
    fn requests_and_service_metrics_render_together() {
        let depth = Gauge::<i64>::default();
        let metrics = Metrics::new(|registry| {
            registry.register("outbox_pending", "Rows waiting", depth.clone());
        });
        depth.set(3);
        metrics.observe_request(&Method::GET, "/api/v1/products/{id}", 200, 0.004);
        metrics.observe_request(&Method::GET, "/api/v1/products/{id}", 200, 0.002);
        let brew = Method::from_bytes(b"BREW").expect("a method token");
        metrics.observe_request(&brew, "unmatched", 405, 0.001);

        let text = metrics.inner.registry_text();
        assert!(
            text.contains(
                r#"http_requests_total{method="GET",route="/api/v1/products/{id}",status="200"} 2"#
            ),
            "{text}"
        );
        assert!(
            text.contains(
                r#"http_request_duration_seconds_bucket{le="0.004",method="GET",route="/api/v1/products/{id}"} 2"#
            ),
            "{text}"
        );
        assert!(text.contains("outbox_pending 3"), "{text}");
        assert!(
            text.contains(
                r#"http_requests_total{method="OTHER",route="unmatched",status="405"} 1"#
            ),
            "a method outside the standard ones is one series, not one per token: {text}"
        );
    }

    impl Inner {
        fn registry_text(&self) -> String {
            let mut text = String::new();
            prometheus_client::encoding::text::encode(&mut text, &self.registry).unwrap();
            text
        }
    }
}
