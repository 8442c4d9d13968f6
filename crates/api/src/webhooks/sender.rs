//! Delivering one queued event to its endpoint: signed, to a public
//! address (see [`super::destination`]), redirects not followed, within a
//! deadline; every attempt logged with its status, latency and the start
//! of the answer. Any answer but a 2xx is a failure, retried by the relay.

use std::time::{Duration, Instant};

use reqwest::header::{CONTENT_TYPE, HeaderValue, USER_AGENT};
use serde::Serialize;
use sqlx::PgPool;
use uuid::Uuid;

use super::destination::Destinations;
use super::endpoints::{self, Attempt};
use super::{WebhookMessage, signature};

/// How much of an answer the log keeps.
const EXCERPT_BYTES: usize = 1024;

/// Sends webhook deliveries.
#[derive(Debug, Clone)]
pub struct Sender {
    db: PgPool,
    client: reqwest::Client,
    destinations: Destinations,
    disable_after: Duration,
}

/// The body of every webhook request.
#[derive(Serialize)]
struct Body<'a> {
    #[serde(rename = "type")]
    event_type: &'a str,
    timestamp: &'a str,
    data: &'a serde_json::Value,
}

impl Sender {
    /// A sender over `db` that reaches only what `destinations` allows,
    /// gives each request `timeout`, and disables an endpoint after it has
    /// failed for `disable_after`.
    pub fn new(
        db: PgPool,
        destinations: Destinations,
        timeout: Duration,
        disable_after: Duration,
    ) -> anyhow::Result<Sender> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .dns_resolver(destinations.resolver())
            .build()?;
        Ok(Sender { db, client, destinations, disable_after })
    }

    /// Delivers `message` (outbox row `outbox_id`, attempt `attempt`):
    /// `Ok(None)` when the endpoint took it, `Ok(Some(why))` when there is
    /// nothing to send any more, `Err(why)` to try again later.
    pub async fn deliver(
        &self,
        outbox_id: Uuid,
        attempt: i32,
        message: &WebhookMessage,
    ) -> Result<Option<String>, String> {
        let target = match endpoints::target(&self.db, message.endpoint_id).await {
            Ok(Some(target)) => target,
            Ok(None) => return Ok(Some("the endpoint was deleted".to_owned())),
            Err(err) => return Err(err.to_string()),
        };
        if !target.enabled {
            return Ok(Some("the endpoint is disabled".to_owned()));
        }
        let started = Instant::now();
        let outcome = self.send(&target.url, &target.secrets, message).await;
        let latency_ms = i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX);
        let (status_code, response_excerpt, error) = match &outcome {
            Ok((status, excerpt)) => {
                let failed = (!(200..300).contains(status)).then(|| format!("answered {status}"));
                (Some(i32::from(*status)), Some(excerpt.clone()), failed)
            }
            Err(err) => (None, None, Some(err.clone())),
        };
        let logged = Attempt {
            endpoint_id: message.endpoint_id,
            outbox_id,
            event_id: &message.event_id,
            event_type: &message.event_type,
            attempt,
            status_code,
            latency_ms,
            response_excerpt,
            error: error.clone(),
        };
        if let Err(err) = self.record(&logged).await {
            tracing::warn!(error = %err, "webhook attempt not logged");
        }
        match error {
            None => Ok(None),
            Some(error) => Err(error),
        }
    }

    /// Logs `attempt`; when it disables the endpoint, the admins are told
    /// in the same transaction.
    async fn record(&self, attempt: &Attempt<'_>) -> crate::error::Result<()> {
        let mut tx = self.db.begin().await?;
        if endpoints::record(&mut *tx, attempt, self.disable_after.as_secs_f64()).await? {
            tracing::warn!(
                endpoint = %attempt.endpoint_id,
                "webhook endpoint disabled: every delivery failed for {:?}",
                self.disable_after
            );
            endpoints::tell_admins_disabled(&mut *tx, attempt.endpoint_id).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Posts `message` to `url`: the status and the start of the answer.
    async fn send(
        &self,
        url: &str,
        secrets: &[String],
        message: &WebhookMessage,
    ) -> Result<(u16, String), String> {
        let url = self.destinations.url(url).map_err(|refused| refused.to_string())?;
        let body = serde_json::to_vec(&Body {
            event_type: &message.event_type,
            timestamp: &message.timestamp,
            data: &message.data,
        })
        .map_err(|err| err.to_string())?;
        let now = chrono::Utc::now().timestamp();
        let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
        let signed = signature::signature(&secrets, &message.event_id, now, &body);
        let mut response = self
            .client
            .post(url)
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .header(USER_AGENT, HeaderValue::from_static("GoKart-Webhooks/1"))
            .header("webhook-id", &message.event_id)
            .header("webhook-timestamp", now.to_string())
            .header("webhook-signature", signed)
            .body(body)
            .send()
            .await
            .map_err(|err| describe(&err))?;
        let status = response.status().as_u16();
        let mut excerpt = Vec::new();
        while excerpt.len() < EXCERPT_BYTES {
            match response.chunk().await {
                Ok(Some(chunk)) => excerpt.extend_from_slice(&chunk),
                Ok(None) | Err(_) => break,
            }
        }
        excerpt.truncate(EXCERPT_BYTES);
        Ok((status, String::from_utf8_lossy(&excerpt).into_owned()))
    }
}

/// A failed request in a few words, with its cause (a refused
/// destination says so).
fn describe(err: &reqwest::Error) -> String {
    let mut text = if err.is_timeout() {
        "no answer in time".to_owned()
    } else if err.is_connect() {
        "could not connect".to_owned()
    } else {
        "request failed".to_owned()
    };
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
