//! The audit log: every admin write that succeeds (catalog, orders,
//! returns, users, settings, integrations) is recorded with who made it
//! (the admin, and the API key when one was used), when, the request id,
//! the route, and its subject as it was just before and just after.
//!
//! It is kept around the admin routes, not inside each handler: the route
//! guard (`routes.rs`) gives each admin write an [`AuditSlot`]; the admin
//! extractor, once it has accepted the caller, fills it with who they are
//! and reads the subject the path names before the handler runs; after a
//! 2xx answer the guard reads the subject again (for a create, the `id` of
//! the answer names it) and stores the entry. Callers the extractor
//! refuses cost no read. The two reads are not in the write's own
//! transaction: under concurrent writes to one subject, a neighbouring
//! change can show in one of them. Secrets are never copied (any column
//! whose name says `hash`, `secret` or `password`).

use std::sync::{Arc, Mutex};

use axum::body::{Body, HttpBody};
use axum::extract::Request;
use axum::http::Method;
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::PgPool;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::Result;

/// An admin write's audit under way, in its request's extensions: what
/// the path names, and once the admin extractor has accepted the caller,
/// who they are and the subject as it was before the handler ran.
#[derive(Debug, Clone)]
pub struct AuditSlot {
    subject: Option<Subject>,
    admitted: Arc<Mutex<Option<Admitted>>>,
}

/// Who made an admin write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditActor {
    /// The admin (for an API key, the admin it acts for).
    pub user: Uuid,
    /// The API key used, if one was.
    pub api_key: Option<Uuid>,
}

#[derive(Debug)]
struct Admitted {
    actor: AuditActor,
    before: Option<Value>,
}

impl AuditSlot {
    /// Records the caller the admin extractor accepted, and reads the
    /// subject as it is now. Only an accepted admin's write costs a read:
    /// anyone else's request is refused before it.
    pub async fn admit(&self, db: &PgPool, actor: AuditActor) {
        let before = match self.subject {
            Some(Subject { kind, table, id: Some(id) }) => {
                snapshot(db, kind, table, id).await.unwrap_or_else(|err| {
                    tracing::warn!(error = %err, "audit: the subject could not be read before");
                    None
                })
            }
            _ => None,
        };
        if let Ok(mut admitted) = self.admitted.lock() {
            *admitted = Some(Admitted { actor, before });
        }
    }

    fn take(&self) -> Option<Admitted> {
        self.admitted.lock().ok().and_then(|mut admitted| admitted.take())
    }
}

/// What an admin path is about: (path family, subject type, table).
const SUBJECTS: [(&str, &str, &str); 15] = [
    ("products", "product", "products"),
    ("variants", "variant", "product_variants"),
    ("categories", "category", "categories"),
    ("collections", "collection", "collections"),
    ("media", "media", "product_media"),
    ("orders", "order", "orders"),
    ("returns", "return", "returns"),
    ("users", "user", "users"),
    ("discounts", "discount", "discounts"),
    ("shipping-zones", "shipping_zone", "shipping_zones"),
    ("tax-rates", "tax_rate", "tax_rates"),
    ("webhooks", "webhook", "webhook_endpoints"),
    ("api-keys", "api_key", "api_keys"),
    ("dead-letters", "dead_letter", "outbox"),
    ("imports", "import", "product_imports"),
];

/// The subject types an audit entry may name.
pub fn subject_types() -> impl Iterator<Item = &'static str> {
    SUBJECTS.iter().map(|(_, kind, _)| *kind).chain(["webhook_delivery"])
}

/// The subject of an admin write: its type and table, and its id when the
/// path names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Subject {
    kind: &'static str,
    table: &'static str,
    id: Option<Uuid>,
}

/// The subject `path` (under `/api/v1/admin/`) writes.
fn subject_of(path: &str) -> Option<Subject> {
    let rest = path.strip_prefix("/api/v1/admin/")?;
    let mut segments = rest.split('/');
    let family = segments.next()?;
    let second = segments.next();
    if family == "webhooks" && second == Some("deliveries") {
        let id = segments.next().and_then(|raw| Uuid::parse_str(raw).ok());
        return Some(Subject { kind: "webhook_delivery", table: "webhook_deliveries", id });
    }
    let (_, kind, table) = SUBJECTS.iter().find(|(name, _, _)| *name == family)?;
    Some(Subject { kind, table, id: second.and_then(|raw| Uuid::parse_str(raw).ok()) })
}

/// Whether `method` on `path` is an admin write the log keeps.
pub fn audited(method: &Method, path: &str) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
        && path.starts_with("/api/v1/admin/")
}

/// `subject` as stored now, without its secrets; for a product, with its
/// options, variants and photos; for an order, its timeline and refunds; for a
/// return or a shipping zone, its lines or methods.
async fn snapshot(db: &PgPool, kind: &str, table: &str, id: Uuid) -> Result<Option<Value>> {
    let extra = match kind {
        "product" => {
            "jsonb_build_object(
               'options', COALESCE((SELECT jsonb_agg(to_jsonb(o) ORDER BY o.position)
                                    FROM product_options o WHERE o.product_id = t.id), '[]'),
               'variants', COALESCE((SELECT jsonb_agg(to_jsonb(v) ORDER BY v.position, v.id)
                                     FROM product_variants v WHERE v.product_id = t.id), '[]'),
               'media', COALESCE((SELECT jsonb_agg(to_jsonb(m) ORDER BY m.position, m.id)
                                  FROM product_media m WHERE m.product_id = t.id), '[]'))"
        }
        "order" => {
            "jsonb_build_object(
               'timeline', COALESCE((SELECT jsonb_agg(jsonb_build_object('status', e.status,
                                       'actor', e.actor, 'note', e.note, 'internal', e.internal)
                                       ORDER BY e.id)
                                     FROM order_events e WHERE e.order_id = t.id), '[]'),
               'refunds', COALESCE((SELECT jsonb_agg(to_jsonb(r) ORDER BY r.created_at, r.id)
                                    FROM refunds r WHERE r.order_id = t.id), '[]'))"
        }
        "return" => {
            "jsonb_build_object('items', COALESCE((SELECT jsonb_agg(to_jsonb(i)
                                   ORDER BY i.order_item_id)
                                 FROM return_items i WHERE i.return_id = t.id), '[]'))"
        }
        "shipping_zone" => {
            "jsonb_build_object('methods', COALESCE((SELECT jsonb_agg(to_jsonb(m) ORDER BY m.id)
                                   FROM shipping_methods m WHERE m.zone_id = t.id), '[]'))"
        }
        _ => "'{}'::jsonb",
    };
    // `table` and `extra` are this module's constants, never the request's.
    let sql = format!(
        "SELECT (SELECT COALESCE(jsonb_object_agg(key, value), '{{}}') FROM jsonb_each(to_jsonb(t))
                 WHERE key !~ '(hash|secret|password)') || {extra}
         FROM {table} t WHERE t.id = $1"
    );
    Ok(sqlx::query_scalar(&sql).bind(id).fetch_optional(db).await?)
}

/// Readies the audit of `request`, an admin write: gives it the slot the
/// admin extractor fills.
pub fn begin(request: &mut Request) -> AuditSlot {
    let slot = AuditSlot { subject: subject_of(request.uri().path()), admitted: Arc::default() };
    request.extensions_mut().insert(slot.clone());
    slot
}

/// The largest answer read to find a created subject's id.
const MAX_ANSWER_BYTES: usize = 1024 * 1024;

/// Records the write `slot` followed once it answered `response` (to
/// `method` on `path`), when that is a success by an admin the extractor
/// accepted; the response, unchanged.
pub async fn finish(
    db: &PgPool,
    slot: AuditSlot,
    method: &Method,
    path: &str,
    response: Response,
) -> Response {
    let Some(Admitted { actor, before }) = slot.take() else { return response };
    if !response.status().is_success() {
        return response;
    }
    let status = response.status().as_u16();
    let (response, id) = match slot.subject.and_then(|subject| subject.id) {
        Some(id) => (response, Some(id)),
        // A create: its answer names what it made.
        None => created_id(response).await,
    };
    let request_id = gokart_edge::http::current_request_id();
    let (db, method, path) = (db.clone(), method.to_string(), path.to_owned());
    // Its own task, so that the entry is written once the write was made
    // even if the request is dropped meanwhile (the client went away, the
    // request's deadline passed); awaited, so that an admin's next read
    // finds it.
    let written = tokio::spawn(async move {
        let after = match (slot.subject, id) {
            (Some(subject), Some(id)) => {
                snapshot(&db, subject.kind, subject.table, id).await.unwrap_or_else(|err| {
                    tracing::warn!(error = %err, "audit: the subject could not be read after");
                    None
                })
            }
            _ => None,
        };
        let entry = Entry {
            actor,
            request_id: request_id.as_deref(),
            method: &method,
            path: &path,
            subject_type: slot.subject.map(|subject| subject.kind),
            subject_id: id,
            status,
            before: before.as_ref(),
            after: after.as_ref(),
        };
        if let Err(err) = record(&db, &entry).await {
            tracing::error!(error = %err, path, "audit entry not recorded");
        }
    });
    if let Err(err) = written.await {
        tracing::error!(error = %err, "audit entry task failed");
    }
    response
}

/// The `id` of a JSON answer, with the answer rebuilt from its bytes. An
/// answer whose size is unknown or large (a stream) is passed on untouched.
async fn created_id(response: Response) -> (Response, Option<Uuid>) {
    let small = HttpBody::size_hint(response.body())
        .upper()
        .is_some_and(|bytes| bytes <= MAX_ANSWER_BYTES as u64);
    if !small {
        return (response, None);
    }
    let (parts, body) = response.into_parts();
    match axum::body::to_bytes(body, MAX_ANSWER_BYTES).await {
        Ok(bytes) => {
            let id = serde_json::from_slice::<Value>(&bytes)
                .ok()
                .and_then(|json| json.get("id").and_then(Value::as_str).map(str::to_owned))
                .and_then(|raw| Uuid::parse_str(&raw).ok());
            (Response::from_parts(parts, Body::from(bytes)), id)
        }
        // The body failed as it was read; so would it have on the way out.
        Err(err) => {
            tracing::warn!(error = %err, "audit: the answer could not be read");
            (Response::from_parts(parts, Body::empty()), None)
        }
    }
}

/// One entry to store.
struct Entry<'a> {
    actor: AuditActor,
    request_id: Option<&'a str>,
    method: &'a str,
    path: &'a str,
    subject_type: Option<&'a str>,
    subject_id: Option<Uuid>,
    status: u16,
    before: Option<&'a Value>,
    after: Option<&'a Value>,
}

async fn record(db: &PgPool, entry: &Entry<'_>) -> Result<()> {
    sqlx::query!(
        "INSERT INTO audit_log (actor_id, actor, api_key_id, request_id, method, path,
                                subject_type, subject_id, status, before, after)
         SELECT $1, COALESCE((SELECT email FROM users WHERE id = $1), $1::text), $2, $3, $4, $5,
                $6, $7, $8, $9, $10",
        entry.actor.user,
        entry.actor.api_key,
        entry.request_id,
        entry.method,
        entry.path,
        entry.subject_type,
        entry.subject_id,
        i32::from(entry.status),
        entry.before,
        entry.after
    )
    .execute(db)
    .await?;
    Ok(())
}

/// One admin write, as the log shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntry {
    /// Id, in the order written.
    pub id: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// The admin (for an API key, the admin it acts for).
    pub actor_id: Uuid,
    /// Their email then.
    pub actor: String,
    /// The API key used, if one was.
    pub api_key_id: Option<Uuid>,
    /// The request's `x-request-id`, to find it in the logs.
    pub request_id: Option<String>,
    /// `POST`, `PUT`, `PATCH` or `DELETE`.
    pub method: String,
    /// The route's path.
    pub path: String,
    /// What it wrote: `product`, `order`, `user`, … (see the filter).
    pub subject_type: Option<String>,
    /// Which one.
    pub subject_id: Option<Uuid>,
    /// The answer's status.
    pub status: i32,
    /// The subject just before (absent for a create).
    #[schema(value_type = Option<Object>)]
    pub before: Option<Value>,
    /// The subject just after (absent once deleted).
    #[schema(value_type = Option<Object>)]
    pub after: Option<Value>,
    /// The top-level fields whose values differ between `before` and `after`.
    pub changed: Vec<String>,
}

/// The top-level keys of `before` and `after` whose values differ.
pub fn changed(before: Option<&Value>, after: Option<&Value>) -> Vec<String> {
    let empty = serde_json::Map::new();
    let fields = |value: Option<&Value>| value.and_then(Value::as_object).unwrap_or(&empty).clone();
    let (before, after) = (fields(before), fields(after));
    let mut keys: Vec<String> = before.keys().chain(after.keys()).cloned().collect();
    keys.sort();
    keys.dedup();
    keys.retain(|key| key != "updated_at" && before.get(key) != after.get(key));
    keys
}

/// A page of entries, newest first, about `subject_type` (and
/// `subject_id`) when given, an order's with its returns'; and how many
/// there are.
pub async fn list(
    db: &PgPool,
    subject_type: Option<&str>,
    subject_id: Option<Uuid>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<AuditEntry>, i64)> {
    let rows = sqlx::query!(
        r#"SELECT id, at, actor_id, actor, api_key_id, request_id, method, path, subject_type,
                  subject_id, status, before, after
           FROM audit_log
           WHERE ($1::text IS NULL OR subject_type = $1) AND ($2::uuid IS NULL OR subject_id = $2)
              OR ($1 = 'order' AND subject_type = 'return'
                  AND subject_id IN (SELECT r.id FROM returns r WHERE r.order_id = $2))
           ORDER BY id DESC LIMIT $3 OFFSET $4"#,
        subject_type,
        subject_id,
        limit,
        offset
    )
    .fetch_all(db)
    .await?;
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM audit_log
           WHERE ($1::text IS NULL OR subject_type = $1) AND ($2::uuid IS NULL OR subject_id = $2)
              OR ($1 = 'order' AND subject_type = 'return'
                  AND subject_id IN (SELECT r.id FROM returns r WHERE r.order_id = $2))"#,
        subject_type,
        subject_id
    )
    .fetch_one(db)
    .await?;
    let entries = rows
        .into_iter()
        .map(|row| AuditEntry {
            changed: changed(row.before.as_ref(), row.after.as_ref()),
            id: row.id,
            at: row.at,
            actor_id: row.actor_id,
            actor: row.actor,
            api_key_id: row.api_key_id,
            request_id: row.request_id,
            method: row.method,
            path: row.path,
            subject_type: row.subject_type,
            subject_id: row.subject_id,
            status: row.status,
            before: row.before,
            after: row.after,
        })
        .collect();
    Ok((entries, total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_path_names_the_subject() {
        let id = Uuid::now_v7();
        let of = |path: &str| subject_of(path).map(|s| (s.kind, s.id));
        assert_eq!(
            of(&format!("/api/v1/admin/products/{id}/variants")),
            Some(("product", Some(id)))
        );
        assert_eq!(of("/api/v1/admin/products"), Some(("product", None)));
        assert_eq!(of(&format!("/api/v1/admin/orders/{id}/refunds")), Some(("order", Some(id))));
        assert_eq!(
            of(&format!("/api/v1/admin/webhooks/deliveries/{id}/replay")),
            Some(("webhook_delivery", Some(id)))
        );
        assert_eq!(of("/api/v1/admin/unknown/x"), None);
        assert!(audited(&Method::PATCH, "/api/v1/admin/variants/x/stock"));
        assert!(!audited(&Method::GET, "/api/v1/admin/orders"));
        assert!(!audited(&Method::POST, "/api/v1/orders"));
    }

    #[test]
    fn changed_lists_the_fields_that_differ() {
        let before = serde_json::json!({"name": "Kettle", "price": 100, "updated_at": "x"});
        let after =
            serde_json::json!({"name": "Kettle", "price": 120, "updated_at": "y", "new": 1});
        assert_eq!(changed(Some(&before), Some(&after)), ["new", "price"]);
        assert_eq!(changed(None, Some(&after)), ["name", "new", "price"]);
    }
}
