//! The endpoints shops register and the log of attempts to reach them.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use uuid::Uuid;

use crate::error::Result;

/// An endpoint as admins see it (its secret is shown once, elsewhere).
#[derive(Debug, Clone)]
pub struct EndpointRow {
    /// Id.
    pub id: Uuid,
    /// Where events are sent.
    pub url: String,
    /// The event types it takes.
    pub events: Vec<String>,
    /// Whether events are queued for it.
    pub enabled: bool,
    /// Since when every attempt has failed.
    pub failing_since: Option<DateTime<Utc>>,
    /// Why it was disabled, when it was not by an admin.
    pub disabled_reason: Option<String>,
    /// Until when the secret before the last rotation signs too.
    pub previous_secret_until: Option<DateTime<Utc>>,
    /// Added at.
    pub created_at: DateTime<Utc>,
    /// Last changed at.
    pub updated_at: DateTime<Utc>,
}

/// Every endpoint, oldest first.
pub async fn list(db: impl PgExecutor<'_>) -> Result<Vec<EndpointRow>> {
    Ok(sqlx::query_as!(
        EndpointRow,
        "SELECT id, url, events, enabled, failing_since, disabled_reason,
                CASE WHEN previous_secret_until > now() THEN previous_secret_until END
                    AS previous_secret_until,
                created_at, updated_at
         FROM webhook_endpoints ORDER BY created_at, id"
    )
    .fetch_all(db)
    .await?)
}

/// Endpoint `id`.
pub async fn find(db: impl PgExecutor<'_>, id: Uuid) -> Result<Option<EndpointRow>> {
    Ok(sqlx::query_as!(
        EndpointRow,
        "SELECT id, url, events, enabled, failing_since, disabled_reason,
                CASE WHEN previous_secret_until > now() THEN previous_secret_until END
                    AS previous_secret_until,
                created_at, updated_at
         FROM webhook_endpoints WHERE id = $1",
        id
    )
    .fetch_optional(db)
    .await?)
}

/// Adds an endpoint signing with `secret`.
pub async fn insert(
    db: impl PgExecutor<'_>,
    url: &str,
    events: &[String],
    enabled: bool,
    secret: &str,
) -> Result<Uuid> {
    let id = Uuid::now_v7();
    sqlx::query!(
        "INSERT INTO webhook_endpoints (id, url, events, enabled, secret)
         VALUES ($1, $2, $3, $4, $5)",
        id,
        url,
        events,
        enabled,
        secret
    )
    .execute(db)
    .await?;
    Ok(id)
}

/// Replaces endpoint `id`'s URL, events and switch; enabling it again
/// forgets its failures. Whether it exists.
pub async fn update(
    db: impl PgExecutor<'_>,
    id: Uuid,
    url: &str,
    events: &[String],
    enabled: bool,
) -> Result<bool> {
    let updated = sqlx::query!(
        "UPDATE webhook_endpoints
         SET url = $2, events = $3, enabled = $4, updated_at = now(),
             failing_since = CASE WHEN $4 AND NOT enabled THEN NULL ELSE failing_since END,
             disabled_reason = CASE WHEN $4 THEN NULL ELSE disabled_reason END
         WHERE id = $1",
        id,
        url,
        events,
        enabled
    )
    .execute(db)
    .await?;
    Ok(updated.rows_affected() == 1)
}

/// Deletes endpoint `id` with its log; its waiting deliveries are dropped
/// when their turn comes. Whether it existed.
pub async fn delete(db: impl PgExecutor<'_>, id: Uuid) -> Result<bool> {
    let deleted =
        sqlx::query!("DELETE FROM webhook_endpoints WHERE id = $1", id).execute(db).await?;
    Ok(deleted.rows_affected() == 1)
}

/// Makes `secret` endpoint `id`'s secret; the current one keeps signing
/// for `overlap_hours`. Whether it exists.
pub async fn rotate(
    db: impl PgExecutor<'_>,
    id: Uuid,
    secret: &str,
    overlap_hours: i32,
) -> Result<bool> {
    let rotated = sqlx::query!(
        "UPDATE webhook_endpoints
         SET previous_secret = secret, secret = $2, updated_at = now(),
             previous_secret_until = now() + make_interval(hours => $3)
         WHERE id = $1",
        id,
        secret,
        overlap_hours
    )
    .execute(db)
    .await?;
    Ok(rotated.rows_affected() == 1)
}

/// What a delivery needs of its endpoint.
#[derive(Debug, Clone)]
pub struct Target {
    /// Where to send.
    pub url: String,
    /// Whether it still takes events.
    pub enabled: bool,
    /// The secrets that sign: the current one, and the previous one while
    /// it is still valid.
    pub secrets: Vec<String>,
}

/// Endpoint `id` as a delivery needs it.
pub async fn target(db: impl PgExecutor<'_>, id: Uuid) -> Result<Option<Target>> {
    let row = sqlx::query!(
        r#"SELECT url, enabled, secret,
                  CASE WHEN previous_secret_until > now() THEN previous_secret END AS previous
           FROM webhook_endpoints WHERE id = $1"#,
        id
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|row| Target {
        url: row.url,
        enabled: row.enabled,
        secrets: std::iter::once(row.secret).chain(row.previous).collect(),
    }))
}

/// One attempt to deliver, as the log keeps it.
#[derive(Debug, Clone)]
pub struct Attempt<'a> {
    /// The endpoint.
    pub endpoint_id: Uuid,
    /// The outbox row delivered.
    pub outbox_id: Uuid,
    /// The `webhook-id`.
    pub event_id: &'a str,
    /// The event type.
    pub event_type: &'a str,
    /// Which attempt of the row (1 for the first).
    pub attempt: i32,
    /// The HTTP status answered, if any.
    pub status_code: Option<i32>,
    /// Milliseconds until the answer (or the failure).
    pub latency_ms: i32,
    /// The start of the answer's body.
    pub response_excerpt: Option<String>,
    /// Why it failed, when it did.
    pub error: Option<String>,
}

/// Logs `attempt` and keeps the endpoint's failure streak: cleared by a
/// success, started by a failure. When the streak is older than
/// `disable_after_secs`, the endpoint is disabled; returns true when this
/// attempt disabled it.
pub async fn record(
    db: impl PgExecutor<'_>,
    attempt: &Attempt<'_>,
    disable_after_secs: f64,
) -> Result<bool> {
    let disabled = sqlx::query_scalar!(
        r#"WITH logged AS (
               INSERT INTO webhook_deliveries
                   (id, endpoint_id, outbox_id, event_id, event_type, attempt, status_code,
                    latency_ms, response_excerpt, error)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10))
           UPDATE webhook_endpoints e
           SET failing_since = CASE WHEN $10::text IS NULL THEN NULL
                                    ELSE coalesce(e.failing_since, now()) END,
               enabled = e.enabled AND NOT past.due,
               disabled_reason = CASE WHEN e.enabled AND past.due
                                      THEN 'every delivery failed since ' || e.failing_since::text
                                      ELSE e.disabled_reason END
           FROM (SELECT $10::text IS NOT NULL
                        AND coalesce(failing_since < now() - make_interval(secs => $11), false)
                        AS due
                 FROM webhook_endpoints WHERE id = $2) past
           WHERE e.id = $2
           RETURNING e.enabled = false AND past.due AS "disabled!""#,
        Uuid::now_v7(),
        attempt.endpoint_id,
        attempt.outbox_id,
        attempt.event_id,
        attempt.event_type,
        attempt.attempt,
        attempt.status_code,
        attempt.latency_ms,
        attempt.response_excerpt,
        attempt.error,
        disable_after_secs
    )
    .fetch_optional(db)
    .await?;
    Ok(disabled.unwrap_or(false))
}

/// Queues an email to every admin saying endpoint `id` was disabled.
pub async fn tell_admins_disabled(db: impl PgExecutor<'_>, id: Uuid) -> Result<()> {
    sqlx::query!(
        "INSERT INTO outbox (id, kind, payload)
         SELECT gen_random_uuid(), 'admin_notice',
                jsonb_build_object('user_id', u.id, 'webhook_disabled', $1::uuid)
         FROM users u WHERE u.role = 'admin'",
        id
    )
    .execute(db)
    .await?;
    Ok(())
}

/// One logged attempt.
#[derive(Debug, Clone)]
pub struct DeliveryRow {
    /// Id (what a replay names).
    pub id: Uuid,
    /// The `webhook-id`.
    pub event_id: String,
    /// The event type.
    pub event_type: String,
    /// Which attempt of its delivery.
    pub attempt: i32,
    /// The HTTP status answered.
    pub status_code: Option<i32>,
    /// Milliseconds to the answer.
    pub latency_ms: i32,
    /// The start of the answer.
    pub response_excerpt: Option<String>,
    /// Why it failed.
    pub error: Option<String>,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// A page of endpoint `id`'s attempts, newest first, and how many there are.
pub async fn deliveries(
    db: &mut sqlx::PgConnection,
    id: Uuid,
    limit: i64,
    offset: i64,
) -> Result<(Vec<DeliveryRow>, i64)> {
    let rows = sqlx::query_as!(
        DeliveryRow,
        "SELECT id, event_id, event_type, attempt, status_code, latency_ms, response_excerpt,
                error, created_at
         FROM webhook_deliveries WHERE endpoint_id = $1
         ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3",
        id,
        limit,
        offset
    )
    .fetch_all(&mut *db)
    .await?;
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM webhook_deliveries WHERE endpoint_id = $1"#,
        id
    )
    .fetch_one(&mut *db)
    .await?;
    Ok((rows, total))
}

/// What replaying a logged attempt did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Replay {
    /// Queued again under the same `webhook-id`.
    Queued {
        /// The `webhook-id`.
        event_id: String,
    },
    /// No such attempt.
    Unknown,
    /// Its endpoint is disabled.
    Disabled,
    /// The event is no longer kept (sent over a week ago).
    Expired,
}

/// Queues the event of logged attempt `id` once more for its endpoint.
pub async fn replay(db: &mut sqlx::PgConnection, id: Uuid) -> Result<Replay> {
    let Some(found) = sqlx::query!(
        "SELECT d.outbox_id, e.enabled FROM webhook_deliveries d
         JOIN webhook_endpoints e ON e.id = d.endpoint_id WHERE d.id = $1",
        id
    )
    .fetch_optional(&mut *db)
    .await?
    else {
        return Ok(Replay::Unknown);
    };
    if !found.enabled {
        return Ok(Replay::Disabled);
    }
    let queued = sqlx::query_scalar!(
        r#"INSERT INTO outbox (id, kind, payload, trace_id, created_at)
           SELECT $2, 'webhook', payload, trace_id, clock_timestamp()
           FROM outbox WHERE id = $1 AND kind = 'webhook'
           RETURNING payload->>'event_id' AS "event_id!""#,
        found.outbox_id,
        Uuid::now_v7()
    )
    .fetch_optional(&mut *db)
    .await?;
    Ok(queued.map_or(Replay::Expired, |event_id| Replay::Queued { event_id }))
}
