//! The layers every request of either service passes through;
//! [`with_edge_layers`] is the one place that stacks them.

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware::from_fn_with_state;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::CorsLayer;

use super::error::{method_not_allowed, route_not_found};
use super::{error, observe, protect};
use crate::ServerConfig;
use crate::metrics::Metrics;

/// Wraps a service's routes with what every request gets: JSON 404/405
/// fallbacks, CORS when given (it must see preflights before the 405
/// fallback does), a body limit and a deadline for reading the body, panic recovery, a bound on requests in
/// progress, a header size limit, a timeout, a request id, trace context,
/// a request span, request metrics (when given) and security headers. The outermost layer is applied last.
pub fn with_edge_layers(
    router: Router,
    config: &ServerConfig,
    cors: Option<CorsLayer>,
    metrics: Option<Metrics>,
) -> Router {
    let router = router
        .fallback(route_not_found)
        .method_not_allowed_fallback(method_not_allowed)
        // Inside CORS, so that a browser on an allowed origin can read its 408 or 413.
        .layer(from_fn_with_state(
            protect::BodyLimits {
                max_bytes: config.body_limit_bytes,
                read_timeout: config.body_read_timeout,
                large: config.large_bodies.clone().into(),
            },
            protect::read_body,
        ));
    let router = match cors {
        Some(cors) => router.layer(cors),
        None => router,
    };
    let in_flight = protect::InFlightLimit::new(config.max_in_flight, "requests");
    router
        .layer(CatchPanicLayer::custom(error::panic_response))
        // The bodies were read and bounded per route above; extractors may
        // take all of what was read.
        .layer(DefaultBodyLimit::max(config.largest_body()))
        .layer(from_fn_with_state(in_flight, protect::shed))
        .layer(from_fn_with_state(config.header_limit_bytes, protect::header_limit))
        .layer(from_fn_with_state(
            observe::Observe { timeout: config.request_timeout, metrics },
            observe::observe,
        ))
        .layer(from_fn_with_state(config.app_env.is_production(), protect::security_headers))
}
