//! Every route of the API, in one place, documented as it is registered.
//!
//! Routes are added only through `OpenApiRouter::routes(routes!(...))`, which
//! registers the handler and its `#[utoipa::path]` description together, so
//! the OpenAPI document cannot drift from the router. A test checks it.

use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, Method, header};
use axum::response::Response;
use axum::routing::{any, get};
use futures_util::future::Either;
use gokart_edge::http::{BoxedResponse, InFlightLimit, take_ready};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use utoipa_swagger_ui::SwaggerUi;

use crate::catalog::cache::ProductCache;
use crate::config::{ApiConfig, MediaStorage};
use crate::media::store::LocalStore;
use crate::state::AppState;
use crate::{
    addresses, admin, audit, auth, cart, catalog, collections, health, internal, media, orders,
    payments, search, shedding, shipping, shop, users, web,
};
use web::WebApp;

/// Where the OpenAPI document is served.
pub const OPENAPI_PATH: &str = "/api/v1/openapi.json";
/// Where the interactive documentation is served.
pub const DOCS_PATH: &str = "/api/v1/docs";
/// The photo upload route, which takes bodies up to `MEDIA_MAX_BYTES`.
pub const MEDIA_UPLOAD_ROUTE: &str = "/api/v1/admin/products/{id}/media";
/// Room for the form's other fields and part headers around the file.
pub const MEDIA_FORM_OVERHEAD_BYTES: usize = 64 * 1024;
/// The product import route, which takes bodies up to `IMPORT_MAX_MB`.
pub const IMPORT_ROUTE: &str = "/api/v1/admin/imports";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "GoKart API",
        description = "Catalog, carts, checkout and orders for the GoKart shop. \
            Errors are `{\"error\": {\"code\", \"message\", \"fields\"?}}`; money is \
            `{\"amount\": minor units, \"currency\"}`.",
    ),
    tags(
        (name = "health", description = "Liveness and readiness probes"),
        (name = "shop", description = "The shop's public settings"),
        (name = "auth", description = "Signing in, refreshing, signing out, sessions"),
        (name = "users", description = "Registration and the caller's own account"),
        (name = "catalog", description = "Categories and products"),
        (name = "cart", description = "The guest's or user's cart"),
        (name = "addresses", description = "The caller's address book"),
        (name = "orders", description = "Checkout and the caller's orders"),
        (name = "payments", description = "Payment provider callbacks"),
        (name = "admin", description = "Admin-only management"),
        (name = "internal", description = "Service-to-service calls (OIDC service tokens only)"),
    ),
    servers((url = "/", description = "this API's own origin")),
    components(schemas(
        gokart_edge::http::ErrorEnvelope,
        gokart_edge::http::ErrorDetail,
        // Named only by query and header parameters, which utoipa does not
        // collect schemas from.
        gokart_domain::ProductSort,
        crate::schemas::OptionalText<200>,
        crate::schemas::IdempotencyKey,
    )),
    modifiers(&SecuritySchemes),
)]
struct ApiDoc;

/// `bearer`: the access token; `refresh_cookie`: the refresh token cookie;
/// `service_token`: another service's OIDC ID token.
struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build(),
            ),
        );
        components.add_security_scheme(
            "refresh_cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "refresh_token",
                "HttpOnly, SameSite=Strict, Path=/api/v1/auth; set by login and registration",
            ))),
        );
        components.add_security_scheme(
            "service_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("OIDC ID token")
                    .description(Some(
                        "An ID token minted for this API's URL by an allowed service account",
                    ))
                    .build(),
            ),
        );
    }
}

/// The documented routes, with their OpenAPI description.
pub fn documented() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
        .routes(routes!(shop::show))
        .routes(routes!(users::handler::register))
        .routes(routes!(users::handler::profile, users::handler::update_profile))
        .routes(routes!(users::handler::change_password))
        .routes(routes!(users::handler::delete_account))
        .routes(routes!(auth::handler::login))
        .routes(routes!(auth::handler::refresh))
        .routes(routes!(auth::handler::logout))
        .routes(routes!(auth::handler::list_sessions, auth::handler::revoke_all_sessions))
        .routes(routes!(auth::handler::revoke_session))
        .routes(routes!(auth::handler::request_password_reset))
        .routes(routes!(auth::handler::confirm_password_reset))
        .routes(routes!(auth::handler::verify_email))
        .routes(routes!(auth::handler::resend_email_verification))
        .routes(routes!(admin::users::list, admin::users::create))
        .routes(routes!(admin::users::update, admin::users::delete))
        .routes(routes!(catalog::handler::categories))
        .routes(routes!(catalog::handler::list_products))
        .routes(routes!(search::handler::suggest))
        .routes(routes!(catalog::handler::product))
        .routes(routes!(admin::catalog::create_category))
        .routes(routes!(admin::catalog::update_category, admin::catalog::delete_category))
        .routes(routes!(admin::catalog::create_product))
        .routes(routes!(admin::catalog::update_product, admin::catalog::delete_product))
        .routes(routes!(admin::catalog::adjust_stock))
        .routes(routes!(admin::variants::create))
        .routes(routes!(admin::variants::update, admin::variants::delete))
        .routes(routes!(admin::variants::adjust_stock))
        .routes(routes!(admin::inventory::low_stock))
        .routes(routes!(media::handler::upload))
        .routes(routes!(media::handler::update, media::handler::delete))
        .routes(routes!(collections::handler::list))
        .routes(routes!(collections::handler::show))
        .routes(routes!(admin::collections::create))
        .routes(routes!(admin::collections::update, admin::collections::delete))
        .routes(routes!(cart::handler::get))
        .routes(routes!(cart::handler::add_item))
        .routes(routes!(cart::handler::set_quantity, cart::handler::remove_item))
        .routes(routes!(shipping::handler::options))
        .routes(routes!(cart::handler::apply_code))
        .routes(routes!(cart::handler::remove_code))
        .routes(routes!(addresses::handler::list, addresses::handler::create))
        .routes(routes!(
            addresses::handler::get,
            addresses::handler::update,
            addresses::handler::delete
        ))
        .routes(routes!(addresses::handler::set_default))
        .routes(routes!(orders::handler::checkout, orders::handler::list))
        .routes(routes!(orders::handler::lookup))
        .routes(routes!(orders::handler::cancel_by_token))
        .routes(routes!(orders::handler::payment_by_token))
        .routes(routes!(orders::handler::get))
        .routes(routes!(orders::handler::cancel))
        .routes(routes!(orders::handler::payment))
        .routes(routes!(orders::handler::request_return, orders::handler::list_returns))
        .routes(routes!(payments::webhook::receive))
        .routes(routes!(admin::orders::list))
        .routes(routes!(admin::orders::get))
        .routes(routes!(admin::orders::cancel))
        .routes(routes!(admin::orders::add_note))
        .routes(routes!(admin::orders::change_shipping_address))
        .routes(routes!(admin::orders::ship))
        .routes(routes!(admin::orders::resend_email))
        .routes(routes!(admin::orders::refund))
        .routes(routes!(admin::returns::list))
        .routes(routes!(admin::returns::approve))
        .routes(routes!(admin::returns::reject))
        .routes(routes!(admin::returns::receive))
        .routes(routes!(admin::returns::refund))
        .routes(routes!(admin::shipping_zones::list, admin::shipping_zones::create))
        .routes(routes!(admin::shipping_zones::update, admin::shipping_zones::delete))
        .routes(routes!(admin::discounts::list, admin::discounts::create))
        .routes(routes!(admin::discounts::get, admin::discounts::update, admin::discounts::delete))
        .routes(routes!(admin::tax_rates::list, admin::tax_rates::create))
        .routes(routes!(admin::tax_rates::update, admin::tax_rates::delete))
        .routes(routes!(admin::dead_letters::list))
        .routes(routes!(admin::dead_letters::retry))
        .routes(routes!(admin::webhooks::list, admin::webhooks::create))
        .routes(routes!(admin::webhooks::get, admin::webhooks::update, admin::webhooks::delete))
        .routes(routes!(admin::webhooks::rotate_secret))
        .routes(routes!(admin::webhooks::deliveries))
        .routes(routes!(admin::webhooks::replay))
        .routes(routes!(admin::api_keys::list, admin::api_keys::create))
        .routes(routes!(admin::api_keys::revoke))
        .routes(routes!(admin::exports::products))
        .routes(routes!(admin::imports::create))
        .routes(routes!(admin::imports::get))
        .routes(routes!(admin::audit::list))
        .routes(routes!(internal::handler::report_status))
        .routes(routes!(internal::handler::run_maintenance))
}

/// The complete router: documented routes, `extra` (extra routes that tests
/// mount), the OpenAPI document and the interactive docs served from the
/// binary itself (no CDN), and the web app when there is one.
pub fn router(state: AppState, extra: Router<AppState>, app: Option<WebApp>) -> Router {
    let (routes, openapi) = documented().split_for_parts();
    let document = served_document(with_common_responses(openapi));
    let guards = RouteGuards {
        limits: shedding::RouteLimits::new(&state.config),
        products: state.products.clone(),
        db: state.db.clone(),
    };
    // The docs page is HTML: its own scripts, styles and images may load.
    let docs = SwaggerUi::new(DOCS_PATH).external_url_unchecked(OPENAPI_PATH, document);
    let docs = Router::from(docs).layer(SetResponseHeaderLayer::overriding(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(DOCS_CONTENT_SECURITY_POLICY),
    ));
    let files = match &state.config.media.storage {
        MediaStorage::Local { dir } => Router::new()
            .route("/media/{*key}", get(media::handler::serve))
            .with_state(Arc::new(LocalStore::new(dir))),
        MediaStorage::Gcs { .. } => Router::new(),
    };
    // The app answers every path no route takes; it turns away API paths
    // with the API's own JSON 404.
    let pages = match app {
        Some(app) => Router::new()
            .route("/", any(web::serve))
            .route("/{*path}", any(web::serve))
            .with_state(Arc::new(app)),
        None => Router::new(),
    };
    routes.route_layer(guards).merge(extra).with_state(state).merge(docs).merge(files).merge(pages)
}

/// The admin routes that change what shoppers see of products.
const CATALOG_WRITES: [&str; 5] = [
    "/api/v1/admin/products",
    "/api/v1/admin/variants",
    "/api/v1/admin/categories",
    "/api/v1/admin/collections",
    "/api/v1/admin/media",
];

/// What the API adds around each of its routes: the expensive routes'
/// bounds on requests in progress (see [`shedding`]); every admin write's
/// entry in the audit log (see [`audit`]); and, after an admin's successful
/// catalog write through this instance, clearing the instance's product
/// cache at once (the feed tells the other instances within moments), so
/// that an admin's next read shows the change.
#[derive(Debug, Clone)]
struct RouteGuards {
    limits: Arc<shedding::RouteLimits>,
    products: Option<Arc<ProductCache>>,
    /// Where admin writes are recorded (the audit log).
    db: sqlx::PgPool,
}

impl<S> tower::Layer<S> for RouteGuards {
    type Service = Guarded<S>;

    fn layer(&self, inner: S) -> Guarded<S> {
        Guarded { inner, guards: self.clone() }
    }
}

/// A route inside its [`RouteGuards`]. A request neither bounded nor
/// writing the catalog goes straight to the route.
#[derive(Debug, Clone)]
struct Guarded<S> {
    inner: S,
    guards: RouteGuards,
}

impl<S> tower::Service<Request> for Guarded<S>
where
    S: tower::Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Either<S::Future, BoxedResponse>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let bounded = self.guards.limits.of(&request).is_some();
        let audited = audit::audited(request.method(), request.uri().path());
        let writes =
            audited && CATALOG_WRITES.iter().any(|prefix| request.uri().path().starts_with(prefix));
        if !bounded && !audited {
            return Either::Left(self.inner.call(request));
        }
        let mut inner = take_ready(&mut self.inner);
        let guards = self.guards.clone();
        Either::Right(Box::pin(async move {
            let mut request = request;
            let limit = guards.limits.of(&request);
            let slot = limit.map(InFlightLimit::admit);
            if let (Some(limit), Some(None)) = (limit, &slot) {
                return Ok(limit.refusal());
            }
            let audit = audited.then(|| {
                let slot = audit::begin(&mut request);
                (slot, request.method().clone(), request.uri().path().to_owned())
            });
            let response = inner.call(request).await?;
            if writes
                && response.status().is_success()
                && let Some(cache) = &guards.products
            {
                cache.clear();
            }
            Ok(match audit {
                Some((slot, method, path)) => {
                    audit::finish(&guards.db, slot, &method, &path, response).await
                }
                None => response,
            })
        }))
    }
}

/// The docs page's policy: everything from this origin, inline styles
/// (Swagger UI sets them) and data: images; nothing from elsewhere.
pub const DOCS_CONTENT_SECURITY_POLICY: &str = "default-src 'self'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// Browser access from the allow-listed origins, with credentials; none
/// when the list is empty (same-origin only). Never `*`.
pub fn cors(config: &ApiConfig) -> Option<CorsLayer> {
    let origins: Vec<_> =
        config.auth.allowed_origins.iter().filter_map(|origin| origin.parse().ok()).collect();
    if origins.is_empty() {
        return None;
    }
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_credentials(true)
            .allow_methods([Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE])
            .allow_headers([
                header::CONTENT_TYPE,
                header::AUTHORIZATION,
                HeaderName::from_static("idempotency-key"),
                HeaderName::from_static("x-request-id"),
            ])
            .expose_headers([HeaderName::from_static("x-request-id"), header::RETRY_AFTER])
            .max_age(std::time::Duration::from_secs(600)),
    )
}

/// The OpenAPI document as generated from the handlers, with the common
/// answers added.
pub fn openapi() -> utoipa::openapi::OpenApi {
    with_common_responses(documented().into_openapi())
}

/// The OpenAPI document exactly as served at [`OPENAPI_PATH`] (and printed
/// by `api openapi`).
pub fn document() -> serde_json::Value {
    served_document(openapi())
}

/// An operation that takes `If-None-Match` answers 200 with `ETag` and
/// `Cache-Control`, and 304 with the same headers when nothing changed:
/// said here once rather than on each cached handler.
fn declare_revalidation(operation: &mut serde_json::Value) {
    let revalidates = operation["parameters"]
        .as_array()
        .is_some_and(|parameters| parameters.iter().any(|p| p["name"] == "If-None-Match"));
    if !revalidates {
        return;
    }
    let headers = serde_json::json!({
        "ETag": {"description": "This version, for `If-None-Match`", "schema": {"type": "string"}},
        "Cache-Control": {
            "description": "`no-cache`: revalidate before reuse",
            "schema": {"type": "string"}
        }
    });
    if let Some(ok) =
        operation.pointer_mut("/responses/200").and_then(serde_json::Value::as_object_mut)
    {
        ok.insert("headers".to_owned(), headers.clone());
    }
    if let Some(responses) =
        operation.get_mut("responses").and_then(serde_json::Value::as_object_mut)
    {
        responses.insert(
            "304".to_owned(),
            serde_json::json!({
                "description": "Unchanged since the `If-None-Match` version",
                "headers": headers
            }),
        );
    }
}

/// `openapi` as JSON, with what utoipa cannot say added: every optional
/// query parameter takes an empty value (`?sort=`) as absent, which is how
/// an HTML form sends a field left blank, so it says `allowEmptyValue`; and
/// a new password is `not` one of the common passwords.
fn served_document(openapi: utoipa::openapi::OpenApi) -> serde_json::Value {
    let mut document = serde_json::to_value(openapi).unwrap_or_default();
    if let Some(schema) = document
        .pointer_mut("/components/schemas/NewPassword")
        .and_then(serde_json::Value::as_object_mut)
    {
        schema.insert(
            "not".to_owned(),
            serde_json::json!({ "pattern": crate::schemas::common_password_pattern() }),
        );
    }
    let operations = document
        .get_mut("paths")
        .and_then(serde_json::Value::as_object_mut)
        .into_iter()
        .flat_map(|paths| paths.values_mut())
        .filter_map(serde_json::Value::as_object_mut)
        .flat_map(|item| item.values_mut());
    for operation in operations {
        declare_revalidation(operation);
        let Some(parameters) =
            operation.get_mut("parameters").and_then(serde_json::Value::as_array_mut)
        else {
            continue;
        };
        for parameter in parameters.iter_mut().filter_map(serde_json::Value::as_object_mut) {
            let optional_query = parameter.get("in").and_then(serde_json::Value::as_str)
                == Some("query")
                && parameter.get("required").and_then(serde_json::Value::as_bool) != Some(true);
            if optional_query {
                parameter.insert("allowEmptyValue".to_owned(), serde_json::Value::Bool(true));
            }
        }
    }
    document
}

/// Adds the answers any operation can give, whatever its handler does, to
/// each operation that lacks them: 400 for a malformed body or query, 401
/// for a missing or bad credential where one is taken (an operation whose
/// requirements are all empty, `security: []`, takes none), 413 for a body
/// over the limit, 431 for oversized headers, and 503 when load is shed or
/// a dependency is down. Every 429 and 503 says it carries `Retry-After`.
fn with_common_responses(mut openapi: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
    let error = |description: &str| {
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorEnvelope"))).build(),
            )
            .build()
    };
    for item in openapi.paths.paths.values_mut() {
        let operations =
            [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
        for operation in operations.into_iter().flatten() {
            let has_body = operation.request_body.is_some();
            let has_params = operation.parameters.as_ref().is_some_and(|p| !p.is_empty());
            let authenticated = operation.security.as_ref().is_some_and(|requirements| {
                requirements.iter().any(|r| *r != SecurityRequirement::default())
            });
            let common = [
                (
                    "400",
                    has_body || has_params,
                    "Malformed JSON or query, or a body that is not JSON",
                ),
                ("401", authenticated, "Missing, expired or invalid credentials"),
                ("413", has_body, "The body is over the size limit"),
                ("431", true, "The request headers are over the size limit"),
                ("503", true, "Too busy (see Retry-After) or a dependency is down"),
            ];
            for (status, applies, description) in common {
                if applies && !operation.responses.responses.contains_key(status) {
                    operation
                        .responses
                        .responses
                        .insert(status.to_owned(), error(description).into());
                }
            }
            for status in ["429", "503"] {
                if let Some(RefOr::T(response)) = operation.responses.responses.get_mut(status) {
                    response.headers.entry("Retry-After".to_owned()).or_insert_with(retry_after);
                }
            }
        }
    }
    openapi
}

/// The `Retry-After` header of 429 and 503 answers: whole seconds.
fn retry_after() -> utoipa::openapi::header::Header {
    use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
    let seconds = ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
        .minimum(Some(1));
    utoipa::openapi::header::HeaderBuilder::new()
        .schema(seconds)
        .description(Some("Seconds to wait before trying again"))
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shedding::{CHECKOUT_ROUTES, PASSWORD_ROUTES};

    #[test]
    fn every_bounded_route_exists() {
        let document = openapi();
        for (method, path) in PASSWORD_ROUTES.iter().chain(CHECKOUT_ROUTES) {
            let item = document.paths.paths.get(*path);
            let operation = item.and_then(|item| match *method {
                Method::POST => item.post.as_ref(),
                Method::PUT => item.put.as_ref(),
                Method::DELETE => item.delete.as_ref(),
                _ => None,
            });
            assert!(
                operation.is_some(),
                "{method} {path} is not a route: its bound would never apply"
            );
        }
    }
}
