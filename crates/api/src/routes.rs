//! Every route of the API, in one place, documented as it is registered.
//!
//! Routes are added only through `OpenApiRouter::routes(routes!(...))`, which
//! registers the handler and its `#[utoipa::path]` description together, so
//! the OpenAPI document cannot drift from the router. A test checks it.

use axum::Router;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use utoipa_swagger_ui::SwaggerUi;

use crate::health;
use crate::state::AppState;

/// Where the OpenAPI document is served.
pub const OPENAPI_PATH: &str = "/api/v1/openapi.json";
/// Where the interactive documentation is served.
pub const DOCS_PATH: &str = "/api/v1/docs";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "GoKart API",
        description = "Catalog, carts, checkout and orders for the GoKart shop. \
            Errors are `{\"error\": {\"code\", \"message\", \"fields\"?}}`; money is \
            `{\"amount\": minor units, \"currency\"}`.",
    ),
    tags((name = "health", description = "Liveness and readiness probes")),
    components(schemas(gokart_edge::http::ErrorEnvelope, gokart_edge::http::ErrorDetail)),
)]
struct ApiDoc;

/// The documented routes, with their OpenAPI description.
pub fn documented() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
}

/// The complete router: documented routes, `extra` (extra routes that tests
/// mount), the OpenAPI document and the interactive docs served from the
/// binary itself (no CDN).
pub fn router(state: AppState, extra: Router<AppState>) -> Router {
    let (routes, openapi) = documented().split_for_parts();
    routes
        .merge(extra)
        .merge(SwaggerUi::new(DOCS_PATH).url(OPENAPI_PATH, openapi))
        .with_state(state)
}

/// The OpenAPI document as served at [`OPENAPI_PATH`].
pub fn openapi() -> utoipa::openapi::OpenApi {
    documented().into_openapi()
}
