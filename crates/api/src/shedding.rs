//! Per-route bounds on requests in progress, on top of the server-wide one.
//!
//! The expensive routes get bounds of their own, so that a burst on one
//! cannot take every slot: password checks (argon2id, tens of milliseconds
//! of a core each) and checkout (the most writes and row locks). Past a
//! bound, a request is answered 503 `overloaded` with `Retry-After` at once.

use std::sync::Arc;

use axum::extract::{MatchedPath, Request};
use axum::http::Method;
use gokart_edge::http::InFlightLimit;

use crate::config::ApiConfig;

/// The routes that hash or verify a password.
pub const PASSWORD_ROUTES: &[(Method, &str)] = &[
    (Method::POST, "/api/v1/auth/login"),
    (Method::POST, "/api/v1/users"),
    (Method::PUT, "/api/v1/users/password"),
    (Method::DELETE, "/api/v1/users/account"),
    (Method::POST, "/api/v1/admin/users"),
    (Method::POST, "/api/v1/auth/password-reset/confirm"),
];

/// The checkout route.
pub const CHECKOUT_ROUTES: &[(Method, &str)] = &[(Method::POST, "/api/v1/orders")];

/// The bounded route groups of one instance.
#[derive(Debug, Clone)]
pub struct RouteLimits {
    passwords: InFlightLimit,
    checkout: InFlightLimit,
}

impl RouteLimits {
    /// Bounds from `PASSWORD_MAX_IN_FLIGHT` and `CHECKOUT_MAX_IN_FLIGHT`.
    pub fn new(config: &ApiConfig) -> Arc<Self> {
        Arc::new(RouteLimits {
            passwords: InFlightLimit::new(config.limits.password_max_in_flight, "sign-ins"),
            checkout: InFlightLimit::new(config.limits.checkout_max_in_flight, "checkouts"),
        })
    }

    /// The bound of `request`'s route, if it has one.
    pub fn of(&self, request: &Request) -> Option<&InFlightLimit> {
        let route = request.extensions().get::<MatchedPath>()?;
        self.for_route(request.method(), route.as_str())
    }

    fn for_route(&self, method: &Method, path: &str) -> Option<&InFlightLimit> {
        let listed = |routes: &[(Method, &str)]| {
            routes.iter().any(|(listed, template)| listed == method && *template == path)
        };
        if listed(PASSWORD_ROUTES) {
            Some(&self.passwords)
        } else if listed(CHECKOUT_ROUTES) {
            Some(&self.checkout)
        } else {
            None
        }
    }
}
