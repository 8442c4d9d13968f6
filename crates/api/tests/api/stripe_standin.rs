//! A local stand-in for the Stripe API: it speaks Stripe's wire format
//! (form-encoded requests, Stripe's JSON objects and error shape), records
//! what it was sent, and can be told to fail. Only the edge is faked; the
//! production Stripe client is what talks to it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

/// A request the stand-in received.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// `POST /v1/payment_intents` and the like.
    pub path: String,
    /// The `Idempotency-Key` header.
    pub idempotency_key: Option<String>,
    /// The form fields.
    pub form: HashMap<String, String>,
}

#[derive(Default)]
struct Inner {
    requests: Vec<Recorded>,
    intents: HashMap<String, Value>,
    by_key: HashMap<String, String>,
    refunds_by_key: HashMap<String, Value>,
    refund_failures: u32,
}

/// The running stand-in.
#[derive(Clone)]
pub struct StripeStandIn {
    /// Its base URL, for `STRIPE_API_BASE`.
    pub url: String,
    inner: Arc<Mutex<Inner>>,
}

impl StripeStandIn {
    /// Starts it on a random port.
    pub async fn start() -> StripeStandIn {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let app = Router::new()
            .route("/v1/payment_intents", post(create_intent))
            .route("/v1/payment_intents/{id}", get(retrieve_intent))
            .route("/v1/refunds", post(create_refund).get(list_refunds))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        StripeStandIn { url, inner }
    }

    /// Everything received so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.inner.lock().unwrap().requests.clone()
    }

    /// How many distinct refunds were created (a repeated idempotency key
    /// gets the first refund back, as Stripe does).
    pub fn refunds_created(&self) -> usize {
        self.inner.lock().unwrap().refunds_by_key.len()
    }

    /// The refunds created, in order: each as Stripe answered it.
    pub fn refunds(&self) -> Vec<Value> {
        let state = self.inner.lock().unwrap();
        let mut refunds: Vec<Value> = state.refunds_by_key.values().cloned().collect();
        refunds.sort_by_key(|refund| refund["seq"].as_u64());
        refunds
    }

    /// Forgets the refunds' idempotency keys, as Stripe does after a day:
    /// a request repeating one makes a new refund.
    pub fn forget_keys(&self) {
        let mut state = self.inner.lock().unwrap();
        let refunds: Vec<Value> = state.refunds_by_key.drain().map(|(_, refund)| refund).collect();
        for refund in refunds {
            let forgotten = format!("forgotten-{}", refund["id"].as_str().unwrap());
            state.refunds_by_key.insert(forgotten, refund);
        }
    }

    /// Makes the next `n` refunds fail with a Stripe 500.
    pub fn fail_refunds(&self, n: u32) {
        self.inner.lock().unwrap().refund_failures = n;
    }

    /// Sets a PaymentIntent's status (as if the customer paid).
    pub fn set_status(&self, intent: &str, status: &str) {
        if let Some(found) = self.inner.lock().unwrap().intents.get_mut(intent) {
            found["status"] = json!(status);
        }
    }
}

fn form(body: &str) -> HashMap<String, String> {
    body.split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| {
            let decode = |s: &str| s.replace("%5B", "[").replace("%5D", "]").replace('+', " ");
            (decode(k), decode(v))
        })
        .collect()
}

fn record(
    inner: &Mutex<Inner>,
    path: &str,
    headers: &HeaderMap,
    body: &str,
) -> HashMap<String, String> {
    let fields = form(body);
    inner.lock().unwrap().requests.push(Recorded {
        path: path.to_owned(),
        idempotency_key: headers
            .get("idempotency-key")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        form: fields.clone(),
    });
    fields
}

async fn create_intent(
    State(inner): State<Arc<Mutex<Inner>>>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let fields = record(&inner, "POST /v1/payment_intents", &headers, &body);
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let mut state = inner.lock().unwrap();
    if let Some(existing) = state.by_key.get(&key).and_then(|id| state.intents.get(id)) {
        return axum::Json(existing.clone()).into_response();
    }
    let id = format!("pi_{}", uuid::Uuid::new_v4().simple());
    let intent = json!({
        "id": id, "object": "payment_intent",
        "amount": fields.get("amount").and_then(|a| a.parse::<i64>().ok()).unwrap_or(0),
        "amount_capturable": 0, "amount_received": 0, "capture_method": "automatic_async",
        "client_secret": format!("{id}_secret_standin"), "confirmation_method": "automatic",
        "created": 1_700_000_000, "currency": fields.get("currency").cloned().unwrap_or_default(),
        "livemode": false,
        "metadata": {"order_id": fields.get("metadata[order_id]").cloned().unwrap_or_default()},
        "payment_method_types": ["card"], "status": "requires_payment_method",
        "automatic_payment_methods": null, "excluded_payment_method_types": null,
        "payment_method_configuration_details": null, "next_action": null, "payment_method": null,
    });
    state.by_key.insert(key, id.clone());
    state.intents.insert(id, intent.clone());
    axum::Json(intent).into_response()
}

async fn retrieve_intent(
    State(inner): State<Arc<Mutex<Inner>>>,
    Path(id): Path<String>,
) -> Response {
    match inner.lock().unwrap().intents.get(&id) {
        Some(intent) => axum::Json(intent.clone()).into_response(),
        None => stripe_error(StatusCode::NOT_FOUND, "resource_missing"),
    }
}

async fn create_refund(
    State(inner): State<Arc<Mutex<Inner>>>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let fields = record(&inner, "POST /v1/refunds", &headers, &body);
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let mut state = inner.lock().unwrap();
    if state.refund_failures > 0 {
        state.refund_failures -= 1;
        return stripe_error(StatusCode::INTERNAL_SERVER_ERROR, "api_error");
    }
    if let Some(existing) = state.refunds_by_key.get(&key) {
        return axum::Json(existing.clone()).into_response();
    }
    let amount = fields.get("amount").and_then(|a| a.parse::<i64>().ok()).unwrap_or(0);
    let metadata: serde_json::Map<String, Value> = fields
        .iter()
        .filter_map(|(k, v)| {
            let name = k.strip_prefix("metadata[")?.strip_suffix(']')?;
            Some((name.to_owned(), json!(v)))
        })
        .collect();
    let refund = json!({
        "id": format!("re_{}", uuid::Uuid::new_v4().simple()), "object": "refund", "amount": amount,
        "created": 1_700_000_000, "currency": "usd", "metadata": metadata, "status": "succeeded",
        "payment_intent": fields.get("payment_intent").cloned(), "balance_transaction": null,
        "charge": null, "reason": null, "receipt_number": null, "source_transfer_reversal": null,
        "transfer_reversal": null, "seq": state.refunds_by_key.len(),
    });
    state.refunds_by_key.insert(key, refund.clone());
    axum::Json(refund).into_response()
}

/// `GET /v1/refunds?payment_intent=`: its refunds, newest first.
async fn list_refunds(
    State(inner): State<Arc<Mutex<Inner>>>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    record(&inner, "GET /v1/refunds", &headers, "");
    let state = inner.lock().unwrap();
    let mut data: Vec<Value> = state
        .refunds_by_key
        .values()
        .filter(|refund| {
            refund["payment_intent"].as_str() == query.get("payment_intent").map(String::as_str)
        })
        .cloned()
        .collect();
    data.sort_by_key(|refund| std::cmp::Reverse(refund["seq"].as_u64()));
    axum::Json(json!({"object": "list", "data": data, "has_more": false, "url": "/v1/refunds"}))
        .into_response()
}

fn stripe_error(status: StatusCode, kind: &str) -> Response {
    (status, axum::Json(json!({"error": {"type": kind, "message": "stand-in failure"}})))
        .into_response()
}
