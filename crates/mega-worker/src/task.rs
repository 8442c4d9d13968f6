//! What every task endpoint shares: the Cloud Tasks headers, reading the
//! body, and the answer that tells the queue whether to retry.
//!
//! The queue retries anything but a 2xx. So a task that can never succeed
//! (a malformed payload, an order the API refuses to move) is acknowledged
//! with 200 and logged as a dead letter, and only a failure that a retry
//! may fix (the API or the mail provider unreachable) is a 503.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use gokart_edge::http::{ErrorResponse, Json};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::callback::Reported;

/// The task's identity, from the headers Cloud Tasks (and the local
/// dispatcher) send.
#[derive(Debug, Clone)]
pub struct TaskMeta {
    /// `X-CloudTasks-TaskName`: stable across retries of the same task.
    pub name: Option<String>,
    /// `X-CloudTasks-TaskRetryCount`: earlier attempts.
    pub retries: u32,
}

impl<S: Send + Sync> FromRequestParts<S> for TaskMeta {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let header = |name: &str| {
            parts.headers.get(name).and_then(|value| value.to_str().ok()).map(str::to_owned)
        };
        Ok(TaskMeta {
            name: header("x-cloudtasks-taskname").filter(|name| !name.is_empty()),
            retries: header("x-cloudtasks-taskretrycount")
                .and_then(|count| count.parse().ok())
                .unwrap_or(0),
        })
    }
}

/// How a task ended.
#[derive(Debug)]
pub enum Outcome {
    /// Done (or found already done).
    Done,
    /// Can never succeed: acknowledged so it is not retried, and logged.
    Dropped(String),
    /// Failed in a way a retry may fix: 503.
    Retry(String),
}

#[derive(Debug, Serialize)]
struct Answer<'a> {
    outcome: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
}

impl IntoResponse for Outcome {
    fn into_response(self) -> Response {
        match self {
            Outcome::Done => Json(Answer { outcome: "done", reason: None }).into_response(),
            Outcome::Dropped(reason) => {
                tracing::error!(reason, "dead letter: task dropped");
                Json(Answer { outcome: "dropped", reason: Some(&reason) }).into_response()
            }
            Outcome::Retry(reason) => {
                tracing::warn!(reason, "task failed; the queue will retry it");
                ErrorResponse::new(StatusCode::SERVICE_UNAVAILABLE, "task_failed", reason)
                    .into_response()
            }
        }
    }
}

impl From<Reported> for Outcome {
    fn from(reported: Reported) -> Self {
        match reported {
            Reported::Accepted => Outcome::Done,
            Reported::Refused(reason) => Outcome::Dropped(reason),
            Reported::Failed(reason) => Outcome::Retry(reason),
        }
    }
}

/// The task's JSON payload. A payload that cannot be read can never
/// succeed, so it is acknowledged as dropped rather than refused.
#[derive(Debug)]
pub struct Payload<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Payload<T> {
    type Rejection = Outcome;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let body = Bytes::from_request(request, state)
            .await
            .map_err(|err| Outcome::Dropped(format!("unreadable payload: {err}")))?;
        serde_json::from_slice(&body)
            .map(Payload)
            .map_err(|err| Outcome::Dropped(format!("malformed payload: {err}")))
    }
}
