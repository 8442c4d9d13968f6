//! Prometheus metrics: what every service records about its HTTP traffic,
//! plus whatever the service registers itself, rendered in the OpenMetrics
//! text format for a scraper.

use std::sync::Arc;

use axum::http::{HeaderValue, header};
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
    method: String,
    /// The route template (`/api/v1/orders/{id}`), never the raw path.
    route: String,
    status: u16,
}

/// Labels of one route.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
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
        Metrics { inner: Arc::new(Inner { registry, requests, latency }) }
    }

    /// Records one answered request.
    pub(crate) fn observe_request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let (method, route) = (method.to_owned(), route.to_owned());
        self.inner
            .latency
            .get_or_create(&RouteLabels { method: method.clone(), route: route.clone() })
            .observe(seconds);
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
        metrics.observe_request("GET", "/api/v1/products/{id}", 200, 0.004);
        metrics.observe_request("GET", "/api/v1/products/{id}", 200, 0.002);

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
    }

    impl Inner {
        fn registry_text(&self) -> String {
            let mut text = String::new();
            prometheus_client::encoding::text::encode(&mut text, &self.registry).unwrap();
            text
        }
    }
}
