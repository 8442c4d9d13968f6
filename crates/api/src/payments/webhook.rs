//! `POST /api/v1/webhooks/stripe`: Stripe tells us what happened to a
//! payment. The `Stripe-Signature` header is checked over the raw body
//! (HMAC-SHA256, five minutes of tolerance); each event id is recorded in
//! the same transaction as its effect, so a redelivery is a no-op; and a
//! late or out-of-order event never moves an order backwards. A payment
//! that succeeds for an order already cancelled never revives it: the
//! money is refunded through the outbox and the timeline says why. A
//! charge's refunds are reconciled by amount: what Stripe has given back
//! beyond the refunds GoKart asked for was refunded in its dashboard.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use gokart_edge::http::ErrorEnvelope;
use ring::hmac;
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{Error, Result};
use crate::extract::Json;
use crate::orders::repository as orders;
use crate::orders::workflow;
use crate::state::AppState;

/// How old a signed timestamp may be.
pub const TOLERANCE_SECS: i64 = 300;

/// Why a signature was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureError {
    /// No `t=` or no `v1=` in the header.
    Malformed,
    /// The timestamp is outside the tolerance.
    Stale,
    /// No `v1` signature matches.
    Mismatch,
}

/// Checks a `Stripe-Signature` header (`t=...,v1=...[,v1=...]`) over
/// `payload` at time `now` (Unix seconds).
pub fn verify(payload: &[u8], header: &str, secret: &str, now: i64) -> Result<(), SignatureError> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => timestamp = value.parse::<i64>().ok(),
            Some(("v1", value)) => signatures.push(value),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed)?;
    if signatures.is_empty() {
        return Err(SignatureError::Malformed);
    }
    if (now - timestamp).abs() > TOLERANCE_SECS {
        return Err(SignatureError::Stale);
    }
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
    let mut signed = timestamp.to_string().into_bytes();
    signed.push(b'.');
    signed.extend_from_slice(payload);
    let matches = signatures
        .iter()
        .any(|hex| decode_hex(hex).is_some_and(|tag| hmac::verify(&key, &signed, &tag).is_ok()));
    if matches { Ok(()) } else { Err(SignatureError::Mismatch) }
}

/// The `Stripe-Signature` value Stripe would send for `payload` at `timestamp`.
pub fn sign(payload: &[u8], secret: &str, timestamp: i64) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
    let mut signed = timestamp.to_string().into_bytes();
    signed.push(b'.');
    signed.extend_from_slice(payload);
    let tag = hmac::sign(&key, &signed);
    let hex: String = tag.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    format!("t={timestamp},v1={hex}")
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| text.get(i..i + 2).and_then(|pair| u8::from_str_radix(pair, 16).ok()))
        .collect()
}

/// The parts of a Stripe event GoKart reads.
#[derive(Debug, Deserialize)]
struct Event {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    data: EventData,
}

#[derive(Debug, Deserialize)]
struct EventData {
    /// Any Stripe object; only the fields of the types handled are read.
    object: serde_json::Value,
}

/// The acknowledgement Stripe gets.
#[derive(Debug, Serialize, ToSchema)]
pub struct Received {
    /// Always true once the event is accepted.
    pub received: bool,
    /// The event was seen before and changed nothing this time.
    pub duplicate: bool,
}

/// Receive a Stripe event.
#[utoipa::path(post, path = "/api/v1/webhooks/stripe", tag = "payments",
    operation_id = "receive_stripe_webhook", security(),
    params(("Stripe-Signature" = String, Header, description = "Stripe's signature over the raw body")),
    request_body(content = Object, content_type = "application/json", description = "A Stripe event"),
    responses(
        (status = 200, description = "Handled (or a duplicate, or a type GoKart ignores)", body = Received),
        (status = 400, description = "No, bad or stale signature, or not an event", body = ErrorEnvelope),
        (status = 404, description = "Stripe payments are not enabled", body = ErrorEnvelope),
    ))]
pub async fn receive(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Received>> {
    // Without a signature nothing is Stripe's, whether or not Stripe is on.
    let Some(signature) = headers.get("stripe-signature").and_then(|v| v.to_str().ok()) else {
        return Err(Error::BadRequest(
            "missing_signature",
            "the Stripe-Signature header is required",
        ));
    };
    let Some(secret) = state.config.payments.stripe_webhook_secret.as_ref() else {
        return Err(Error::NotFound("Stripe webhook"));
    };
    verify(&body, signature, secret.expose_secret(), chrono::Utc::now().timestamp()).map_err(
        |err| {
            tracing::warn!(?err, "Stripe webhook signature refused");
            Error::BadRequest(
                "invalid_signature",
                "the Stripe-Signature header does not match this body",
            )
        },
    )?;
    let event: Event = serde_json::from_slice(&body)
        .map_err(|_| Error::BadRequest("malformed_event", "the body is not a Stripe event"))?;
    apply(&state, &event).await
}

async fn apply(state: &AppState, event: &Event) -> Result<Json<Received>> {
    let mut tx = state.db.begin().await?;
    let first_time = sqlx::query!(
        "INSERT INTO stripe_events (id, type) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        event.id,
        event.kind
    )
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    if !first_time {
        return Ok(Json(Received { received: true, duplicate: true }));
    }
    let object = &event.data.object;
    let field = |name: &str| object.get(name).and_then(|value| value.as_str());
    let intent = match event.kind.as_str() {
        "payment_intent.succeeded" | "payment_intent.payment_failed" => field("id"),
        "charge.refunded" => field("payment_intent"),
        _ => None,
    };
    let order = match intent {
        Some(intent) => orders::find_by_payment_reference(&mut *tx, intent).await?,
        None => None,
    };
    if let Some(order) = order {
        match event.kind.as_str() {
            "payment_intent.succeeded" => workflow::payment_succeeded(&mut tx, &order).await?,
            "payment_intent.payment_failed" => workflow::payment_failed(&mut tx, &order).await?,
            "charge.refunded" => {
                // What the charge has given back in all (older events may
                // say only that it was refunded in full).
                let whole = (object.get("refunded").and_then(|v| v.as_bool()) == Some(true))
                    .then_some(order.total_amount);
                let refunded =
                    object.get("amount_refunded").and_then(|v| v.as_i64()).or(whole).unwrap_or(0);
                workflow::provider_refunded(&mut tx, &order, refunded).await?
            }
            // Late, repeated in effect, or out of order: nothing moves backwards.
            _ => {}
        }
    }
    tx.commit().await?;
    Ok(Json(Received { received: true, duplicate: false }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_made_with_the_secret_verifies() {
        let header = sign(b"{\"id\":\"evt_1\"}", "whsec_test", 1_000);
        assert_eq!(verify(b"{\"id\":\"evt_1\"}", &header, "whsec_test", 1_100), Ok(()));
    }

    #[test]
    fn a_changed_body_or_secret_is_refused() {
        let header = sign(b"{\"amount\":100}", "whsec_test", 1_000);
        assert_eq!(
            verify(b"{\"amount\":999}", &header, "whsec_test", 1_000),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(b"{\"amount\":100}", &header, "whsec_other", 1_000),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn stale_and_malformed_headers_are_refused() {
        let header = sign(b"{}", "whsec_test", 1_000);
        assert_eq!(verify(b"{}", &header, "whsec_test", 1_000 + 301), Err(SignatureError::Stale));
        assert_eq!(verify(b"{}", "v1=abcd", "whsec_test", 1_000), Err(SignatureError::Malformed));
        assert_eq!(verify(b"{}", "t=1000", "whsec_test", 1_000), Err(SignatureError::Malformed));
        assert_eq!(
            verify(b"{}", "t=1000,v1=zz", "whsec_test", 1_000),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn any_one_of_several_signatures_may_match() {
        let good = sign(b"{}", "whsec_test", 1_000);
        let header = format!("t=1000,v1=00ff,{}", good.split(',').nth(1).unwrap());
        assert_eq!(verify(b"{}", &header, "whsec_test", 1_000), Ok(()));
    }
}
