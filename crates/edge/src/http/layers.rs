//! The layers every request of either service passes through;
//! [`with_edge_layers`] is the one place that stacks them.
//!
//! They are written as plain services rather than `from_fn` middleware,
//! and most wrap the router as a whole, so a request pays for each step
//! once: no boxed clone of the services beneath, no boxed future per step.
//! Only what needs the matched route runs inside the router, around each
//! route ([`AtRoute`]), and it adds nothing to a request without a body.

use std::convert::Infallible;
use std::panic::AssertUnwindSafe;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::response::Response;
use futures_util::future::Either;
use tower::{Layer, Service, ServiceBuilder};
use tower_http::cors::CorsLayer;

use super::error::{method_not_allowed, route_not_found};
use super::observe::{Observe, RouteFound};
use super::protect::{BodyLimits, InFlightLimit};
use super::{error, observe, protect};
use crate::ServerConfig;
use crate::metrics::Metrics;

/// A response, boxed: what a layer returns when it has work of its own to
/// await.
pub type BoxedResponse = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

/// The service that `poll_ready` made ready, for a future that outlives the
/// call, leaving a clone in its place (a clone need not be ready).
pub fn take_ready<S: Clone>(service: &mut S) -> S {
    let clone = service.clone();
    std::mem::replace(service, clone)
}

/// Wraps a service's routes with what every request gets: JSON 404/405
/// fallbacks, CORS when given (it answers preflights before routing), a
/// body limit and a deadline for reading the body, and at the edge (see
/// [`Edge`]) security headers, a request id, trace context, a request span,
/// request metrics (when given), a timeout, panic recovery, a header size
/// limit and a bound on requests in progress.
pub(crate) fn with_edge_layers(
    router: Router,
    config: &ServerConfig,
    cors: Option<CorsLayer>,
    metrics: Option<Metrics>,
) -> impl Service<Request, Response = Response, Error = Infallible, Future: Send> + Clone + Send + 'static
{
    let limits = BodyLimits {
        max_bytes: config.body_limit_bytes,
        read_timeout: config.body_read_timeout,
        large: config.large_bodies.clone().into(),
    };
    let routes = router
        .route_layer(AtRouteLayer(limits))
        .fallback(route_not_found)
        .method_not_allowed_fallback(method_not_allowed);
    let edge = Arc::new(Edge {
        production: config.app_env.is_production(),
        header_limit: config.header_limit_bytes,
        in_flight: InFlightLimit::new(config.max_in_flight, "requests"),
        observe: Observe { timeout: config.request_timeout, metrics },
    });
    let inner = ServiceBuilder::new()
        // The bodies were read and bounded per route; extractors may take
        // all of what was read.
        .layer(DefaultBodyLimit::max(config.largest_body()))
        // Outside the routes, so that a browser on an allowed origin can
        // read its 408 or 413.
        .option_layer(cors)
        .service(routes);
    Edged { inner, edge }
}

/// What the outermost layer needs.
#[derive(Debug)]
struct Edge {
    production: bool,
    header_limit: usize,
    in_flight: InFlightLimit,
    observe: Observe,
}

/// A service inside the edge.
#[derive(Debug, Clone)]
struct Edged<S> {
    inner: S,
    edge: Arc<Edge>,
}

impl<S> Service<Request> for Edged<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send,
{
    type Response = Response;
    type Error = Infallible;
    type Future = BoxedResponse;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> BoxedResponse {
        let inner = take_ready(&mut self.inner);
        let edge = Arc::clone(&self.edge);
        Box::pin(async move { Ok(edge.serve(inner, request).await) })
    }
}

impl Edge {
    /// From the outside in: security headers on every response; the
    /// request id, trace, span, timeout and metrics; the header size limit;
    /// the bound on requests in progress; panic recovery.
    async fn serve<S>(&self, inner: S, request: Request) -> Response
    where
        S: Service<Request, Response = Response, Error = Infallible>,
    {
        let mut response = observe::observe(&self.observe, request, |request| async move {
            if let Some(refusal) = protect::refuse_large_headers(&request, self.header_limit) {
                return refusal;
            }
            let Some(_slot) = self.in_flight.admit() else {
                return self.in_flight.refusal();
            };
            unless_it_panics(inner, request).await
        })
        .await;
        protect::add_security_headers(response.headers_mut(), self.production);
        response
    }
}

/// `inner`'s response to `request`, or a logged 500 if it panics, rather
/// than a dropped connection.
async fn unless_it_panics<S>(mut inner: S, request: Request) -> Response
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    let future = match std::panic::catch_unwind(AssertUnwindSafe(|| inner.call(request))) {
        Ok(future) => future,
        Err(panic) => return error::panic_response(panic),
    };
    let mut future = pin!(future);
    let answered = std::future::poll_fn(|cx| {
        match std::panic::catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(answered)) => Poll::Ready(Ok(answered)),
            Err(panic) => Poll::Ready(Err(panic)),
        }
    })
    .await;
    match answered {
        Ok(Ok(response)) => response,
        Ok(Err(never)) => match never {},
        Err(panic) => error::panic_response(panic),
    }
}

/// Puts [`AtRoute`] around each route.
#[derive(Debug, Clone)]
struct AtRouteLayer(BodyLimits);

impl<S> Layer<S> for AtRouteLayer {
    type Service = AtRoute<S>;

    fn layer(&self, inner: S) -> AtRoute<S> {
        AtRoute { inner, limits: self.0.clone() }
    }
}

/// Around each route: tells the edge which route matched, and reads the
/// body within that route's limits.
#[derive(Debug, Clone)]
struct AtRoute<S> {
    inner: S,
    limits: BodyLimits,
}

impl<S> Service<Request> for AtRoute<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Either<S::Future, BoxedResponse>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let route = request.extensions().get::<MatchedPath>();
        if let (Some(route), Some(found)) = (route, request.extensions().get::<RouteFound>()) {
            tracing::Span::current().record("route", route.as_str());
            found.set(route);
        }
        if protect::has_no_body(&request) {
            return Either::Left(self.inner.call(request));
        }
        let inner = take_ready(&mut self.inner);
        let limits = self.limits.clone();
        Either::Right(Box::pin(
            async move { Ok(protect::read_body(&limits, request, inner).await) },
        ))
    }
}
