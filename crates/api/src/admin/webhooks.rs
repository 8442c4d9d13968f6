//! HTTP for `/api/v1/admin/webhooks*`: endpoints, their secrets, their
//! delivery log, and replays.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use gokart_domain::Violations;
use gokart_edge::http::ErrorEnvelope;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::AdminUser;
use crate::error::{Error, Result};
use crate::extract::{Json, Path, Query};
use crate::page::{Page, PageQuery};
use crate::state::AppState;
use crate::webhooks::destination::{Destinations, Refusal};
use crate::webhooks::endpoints::{self, DeliveryRow, EndpointRow, Replay};
use crate::webhooks::{EventType, signature};

/// The longest endpoint URL.
const MAX_URL: usize = 2048;
/// How long the secret before a rotation keeps signing.
const ROTATION_OVERLAP_HOURS: i32 = 24;

/// An endpoint: where to send which events.
#[derive(Debug, Deserialize, ToSchema)]
pub struct WebhookRequest {
    /// Where events are posted: http(s), a public address.
    #[schema(max_length = 2048, example = "https://erp.example.com/gokart")]
    pub url: String,
    /// The event types it takes (at least one).
    #[schema(min_items = 1, max_items = 9)]
    pub events: Vec<EventType>,
    /// Whether events are sent to it (default true); enabling a disabled
    /// endpoint forgets its failures.
    pub enabled: Option<bool>,
}

/// A checked [`WebhookRequest`].
struct Endpoint {
    url: String,
    events: Vec<String>,
    enabled: bool,
}

impl WebhookRequest {
    async fn validate(&self, state: &AppState) -> Result<Endpoint> {
        let mut v = Violations::new();
        if self.events.is_empty() || self.events.len() > EventType::ALL.len() {
            v.add("events", format!("name 1 to {} event types", EventType::ALL.len()));
        }
        let mut events: Vec<String> = Vec::new();
        for event in &self.events {
            if !events.iter().any(|known| known == event.as_str()) {
                events.push(event.as_str().to_owned());
            }
        }
        if self.url.len() > MAX_URL {
            v.add("url", format!("must be at most {MAX_URL} characters"));
        }
        v.into_result()?;
        let destinations = Destinations::of(&state.config.webhooks);
        let url = match destinations.url(&self.url) {
            Ok(url) => url,
            Err(refused) => return Err(refused_url(refused)),
        };
        destinations.check(&url).await.map_err(refused_url)?;
        Ok(Endpoint { url: url.to_string(), events, enabled: self.enabled.unwrap_or(true) })
    }
}

fn refused_url(refused: Refusal) -> Error {
    match refused {
        Refusal::Invalid(why) => Error::invalid("url", why),
        Refusal::Forbidden(why) => Error::Unprocessable {
            code: "forbidden_destination",
            field: "url",
            message: format!("webhooks go to public addresses only: {why}"),
        },
    }
}

/// An endpoint as admins see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookView {
    /// Id.
    pub id: Uuid,
    /// Where events are posted.
    pub url: String,
    /// The event types it takes.
    pub events: Vec<String>,
    /// Whether events are sent to it.
    pub enabled: bool,
    /// Since when every delivery has failed.
    pub failing_since: Option<DateTime<Utc>>,
    /// Why it was disabled, when its failures did it.
    pub disabled_reason: Option<String>,
    /// Until when the secret before the last rotation also signs.
    pub previous_secret_valid_until: Option<DateTime<Utc>>,
    /// Added at.
    pub created_at: DateTime<Utc>,
    /// Last changed at.
    pub updated_at: DateTime<Utc>,
}

impl From<EndpointRow> for WebhookView {
    fn from(row: EndpointRow) -> Self {
        WebhookView {
            id: row.id,
            url: row.url,
            events: row.events,
            enabled: row.enabled,
            failing_since: row.failing_since,
            disabled_reason: row.disabled_reason,
            previous_secret_valid_until: row.previous_secret_until,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// A new endpoint with its signing secret, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookCreated {
    /// The endpoint.
    #[serde(flatten)]
    pub endpoint: WebhookView,
    /// The signing secret (`whsec_...`), for the receiver's Standard
    /// Webhooks library. Not shown again.
    pub secret: String,
}

/// A new signing secret, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookSecret {
    /// The secret that signs from now on.
    pub secret: String,
    /// Until when the previous secret signs too (each request carries
    /// both signatures meanwhile).
    pub previous_secret_valid_until: Option<DateTime<Utc>>,
}

/// One attempt to deliver an event.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookDeliveryView {
    /// Id (what a replay names).
    pub id: Uuid,
    /// The `webhook-id` header: the same for every attempt and replay of
    /// the event.
    pub event_id: String,
    /// The event type.
    pub event_type: String,
    /// Which attempt it was (1 for the first).
    pub attempt: i32,
    /// The HTTP status the endpoint answered; none when it did not answer.
    pub status_code: Option<i32>,
    /// Milliseconds until the answer or the failure.
    pub latency_ms: i32,
    /// The first kilobyte of the answer.
    pub response_excerpt: Option<String>,
    /// Why it failed, when it did.
    pub error: Option<String>,
    /// When.
    pub created_at: DateTime<Utc>,
}

impl From<DeliveryRow> for WebhookDeliveryView {
    fn from(row: DeliveryRow) -> Self {
        WebhookDeliveryView {
            id: row.id,
            event_id: row.event_id,
            event_type: row.event_type,
            attempt: row.attempt,
            status_code: row.status_code,
            latency_ms: row.latency_ms,
            response_excerpt: row.response_excerpt,
            error: row.error,
            created_at: row.created_at,
        }
    }
}

/// A replay queued.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookReplayed {
    /// The `webhook-id` it is sent under, the original's.
    pub event_id: String,
}

fn new_secret() -> Result<String> {
    signature::new_secret()
        .map_err(|_| Error::Internal(anyhow::anyhow!("no randomness for a secret")))
}

async fn found(state: &AppState, id: Uuid) -> Result<EndpointRow> {
    endpoints::find(&state.db, id).await?.ok_or(Error::NotFound("webhook endpoint"))
}

/// Every webhook endpoint.
#[utoipa::path(get, path = "/api/v1/admin/webhooks", tag = "admin",
    operation_id = "admin_list_webhooks", security(("bearer" = [])),
    responses(
        (status = 200, description = "Every endpoint, oldest first", body = Page<WebhookView>),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not an admin", body = ErrorEnvelope),
    ))]
pub async fn list(
    State(state): State<AppState>,
    _admin: AdminUser,
) -> Result<Json<Page<WebhookView>>> {
    let rows = endpoints::list(&state.db).await?;
    Ok(Json(Page::whole(rows.into_iter().map(WebhookView::from).collect())))
}

/// Register a webhook endpoint; its signing secret is in the answer, once.
#[utoipa::path(post, path = "/api/v1/admin/webhooks", tag = "admin",
    operation_id = "admin_create_webhook", security(("bearer" = [])),
    request_body = WebhookRequest,
    responses(
        (status = 201, description = "Created, with its secret", body = WebhookCreated),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not an admin", body = ErrorEnvelope),
        (status = 422, description = "A field is invalid, or the URL is not public (`forbidden_destination`)", body = ErrorEnvelope),
    ))]
pub async fn create(
    State(state): State<AppState>,
    _admin: AdminUser,
    Json(body): Json<WebhookRequest>,
) -> Result<(StatusCode, Json<WebhookCreated>)> {
    let endpoint = body.validate(&state).await?;
    let secret = new_secret()?;
    let id =
        endpoints::insert(&state.db, &endpoint.url, &endpoint.events, endpoint.enabled, &secret)
            .await?;
    let endpoint = found(&state, id).await?.into();
    Ok((StatusCode::CREATED, Json(WebhookCreated { endpoint, secret })))
}

/// One webhook endpoint.
#[utoipa::path(get, path = "/api/v1/admin/webhooks/{id}", tag = "admin",
    operation_id = "admin_get_webhook", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Endpoint id")),
    responses(
        (status = 200, description = "The endpoint", body = WebhookView),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not an admin", body = ErrorEnvelope),
        (status = 404, description = "No such endpoint", body = ErrorEnvelope),
    ))]
pub async fn get(
    State(state): State<AppState>,
    _admin: AdminUser,
    Path(id): Path<Uuid>,
) -> Result<Json<WebhookView>> {
    Ok(Json(found(&state, id).await?.into()))
}

/// Replace an endpoint's URL, events and switch (its secret stays).
#[utoipa::path(put, path = "/api/v1/admin/webhooks/{id}", tag = "admin",
    operation_id = "admin_update_webhook", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Endpoint id")),
    request_body = WebhookRequest,
    responses(
        (status = 200, description = "Updated", body = WebhookView),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not an admin", body = ErrorEnvelope),
        (status = 404, description = "No such endpoint", body = ErrorEnvelope),
        (status = 422, description = "A field is invalid, or the URL is not public (`forbidden_destination`)", body = ErrorEnvelope),
    ))]
pub async fn update(
    State(state): State<AppState>,
    _admin: AdminUser,
    Path(id): Path<Uuid>,
    Json(body): Json<WebhookRequest>,
) -> Result<Json<WebhookView>> {
    let endpoint = body.validate(&state).await?;
    if !endpoints::update(&state.db, id, &endpoint.url, &endpoint.events, endpoint.enabled).await? {
        return Err(Error::NotFound("webhook endpoint"));
    }
    Ok(Json(found(&state, id).await?.into()))
}

/// Delete an endpoint with its log; what waits for it is dropped.
#[utoipa::path(delete, path = "/api/v1/admin/webhooks/{id}", tag = "admin",
    operation_id = "admin_delete_webhook", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Endpoint id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not an admin", body = ErrorEnvelope),
        (status = 404, description = "No such endpoint", body = ErrorEnvelope),
    ))]
pub async fn delete(
    State(state): State<AppState>,
    _admin: AdminUser,
    Path(id): Path<Uuid>,
) -> Result<StatusCode> {
    if !endpoints::delete(&state.db, id).await? {
        return Err(Error::NotFound("webhook endpoint"));
    }
    Ok(StatusCode::NO_CONTENT)
}

/// A new signing secret; the current one keeps signing for 24 hours, so
/// receivers can switch without missing an event.
#[utoipa::path(post, path = "/api/v1/admin/webhooks/{id}/rotate-secret", tag = "admin",
    operation_id = "admin_rotate_webhook_secret", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Endpoint id")),
    responses(
        (status = 200, description = "The new secret, shown once", body = WebhookSecret),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not an admin", body = ErrorEnvelope),
        (status = 404, description = "No such endpoint", body = ErrorEnvelope),
    ))]
pub async fn rotate_secret(
    State(state): State<AppState>,
    _admin: AdminUser,
    Path(id): Path<Uuid>,
) -> Result<Json<WebhookSecret>> {
    let secret = new_secret()?;
    if !endpoints::rotate(&state.db, id, &secret, ROTATION_OVERLAP_HOURS).await? {
        return Err(Error::NotFound("webhook endpoint"));
    }
    let endpoint = found(&state, id).await?;
    Ok(Json(WebhookSecret { secret, previous_secret_valid_until: endpoint.previous_secret_until }))
}

/// An endpoint's delivery log, newest first.
#[utoipa::path(get, path = "/api/v1/admin/webhooks/{id}/deliveries", tag = "admin",
    operation_id = "admin_list_webhook_deliveries", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Endpoint id"), PageQuery),
    responses(
        (status = 200, description = "A page of attempts", body = Page<WebhookDeliveryView>),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not an admin", body = ErrorEnvelope),
        (status = 404, description = "No such endpoint", body = ErrorEnvelope),
        (status = 422, description = "Bad paging", body = ErrorEnvelope),
    ))]
pub async fn deliveries(
    State(state): State<AppState>,
    _admin: AdminUser,
    Path(id): Path<Uuid>,
    Query(query): Query<PageQuery>,
) -> Result<Json<Page<WebhookDeliveryView>>> {
    let page = query.request()?;
    found(&state, id).await?;
    let mut db = state.db.acquire().await?;
    let (rows, total) = endpoints::deliveries(&mut db, id, page.limit(), page.offset()).await?;
    Ok(Json(Page::new(rows.into_iter().map(WebhookDeliveryView::from).collect(), page, total)))
}

/// Send a logged delivery's event again, under the same `webhook-id`
/// (receivers that already have it can tell).
#[utoipa::path(post, path = "/api/v1/admin/webhooks/deliveries/{id}/replay", tag = "admin",
    operation_id = "admin_replay_webhook_delivery", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Delivery id, from the log")),
    responses(
        (status = 202, description = "Queued", body = WebhookReplayed),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not an admin", body = ErrorEnvelope),
        (status = 404, description = "No such delivery", body = ErrorEnvelope),
        (status = 409, description = "The endpoint is disabled (`endpoint_disabled`), or the event is no longer kept (`delivery_expired`)", body = ErrorEnvelope),
    ))]
pub async fn replay(
    State(state): State<AppState>,
    _admin: AdminUser,
    Path(id): Path<Uuid>,
) -> Result<(StatusCode, Json<WebhookReplayed>)> {
    let mut db = state.db.acquire().await?;
    match endpoints::replay(&mut db, id).await? {
        Replay::Queued { event_id } => {
            Ok((StatusCode::ACCEPTED, Json(WebhookReplayed { event_id })))
        }
        Replay::Unknown => Err(Error::NotFound("webhook delivery")),
        Replay::Disabled => Err(Error::conflict(
            "endpoint_disabled",
            "the endpoint is disabled; enable it to replay its deliveries",
        )),
        Replay::Expired => Err(Error::conflict(
            "delivery_expired",
            "events are kept for 7 days after they are delivered; this one is gone",
        )),
    }
}
