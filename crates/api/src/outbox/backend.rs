//! Task backends: where the relay hands a task over. `local` POSTs it to the
//! worker itself, the way Cloud Tasks would; `cloud-tasks` creates a Cloud
//! Tasks task that pushes it. Both are at-least-once: the worker's handlers
//! are idempotent, and a task's name is stable across re-sends.

use std::fmt::Debug;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use gokart_domain::TaskKind;
use gokart_edge::service_auth::TokenMinter;

/// A task ready to send.
#[derive(Debug, Clone)]
pub struct Task {
    /// A stable name derived from the outbox row (hashed, so not
    /// sequential); the worker uses it as an idempotency key.
    pub name: String,
    /// Which worker endpoint runs it.
    pub kind: TaskKind,
    /// The JSON body.
    pub body: Vec<u8>,
    /// Earlier attempts at sending this task.
    pub retries: i32,
    /// W3C `traceparent` continuing the trace that queued it.
    pub traceparent: Option<String>,
}

/// What a send future resolves to: `Err` with the reason when the task must
/// be sent again later.
pub type SendResult = Result<(), String>;

/// Hands tasks to the worker, by whatever route.
pub trait TaskBackend: Debug + Send + Sync {
    /// Sends `task`; `Ok` once the backend has taken responsibility for it.
    fn send<'a>(&'a self, task: &'a Task) -> Pin<Box<dyn Future<Output = SendResult> + Send + 'a>>;
}

/// A refund to send to the payment provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderRefund {
    /// The refund (`refunds.id`): its idempotency key is made of it.
    pub id: uuid::Uuid,
    /// The order.
    pub order: uuid::Uuid,
    /// The provider's reference of the order's payment.
    pub intent: String,
    /// What to give back, in minor units.
    pub amount: i64,
}

/// Gives payments back through the payment provider.
pub trait RefundBackend: Debug + Send + Sync {
    /// Sends `refund`; the provider's id for it once accepted. The same
    /// refund is never given back twice, however often this is called.
    fn refund<'a>(
        &'a self,
        refund: &'a ProviderRefund,
    ) -> Pin<Box<dyn Future<Output = Result<String, String>> + Send + 'a>>;
}

/// The `local` backend: delivers each task to the worker over HTTP with the
/// headers Cloud Tasks sends and a service token for the worker's URL.
#[derive(Debug)]
pub struct LocalDispatcher {
    http: reqwest::Client,
    worker_url: String,
    queue: String,
    tokens: Arc<TokenMinter>,
}

impl LocalDispatcher {
    /// A dispatcher to the worker at `worker_url`, giving up on an answer
    /// after `deadline`.
    pub fn new(
        worker_url: &str,
        queue: &str,
        deadline: Duration,
        tokens: Arc<TokenMinter>,
    ) -> anyhow::Result<Self> {
        Ok(LocalDispatcher {
            http: reqwest::Client::builder()
                .timeout(deadline)
                .connect_timeout(Duration::from_secs(5))
                .build()?,
            worker_url: worker_url.to_owned(),
            queue: queue.to_owned(),
            tokens,
        })
    }
}

impl TaskBackend for LocalDispatcher {
    fn send<'a>(&'a self, task: &'a Task) -> Pin<Box<dyn Future<Output = SendResult> + Send + 'a>> {
        Box::pin(async move {
            let token = self.tokens.token(&self.worker_url).await.map_err(|err| err.to_string())?;
            let mut request = self.http.post(format!("{}{}", self.worker_url, task.kind.path()));
            if let Some(traceparent) = &task.traceparent {
                request = request.header("traceparent", traceparent);
            }
            let response = request
                .bearer_auth(token)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .header("X-CloudTasks-TaskName", &task.name)
                .header("X-CloudTasks-QueueName", &self.queue)
                .header("X-CloudTasks-TaskRetryCount", task.retries.to_string())
                .header("X-CloudTasks-TaskExecutionCount", task.retries.to_string())
                .body(task.body.clone())
                .send()
                .await
                .map_err(|err| format!("worker unreachable: {err}"))?;
            let status = response.status();
            if status.is_success() {
                Ok(())
            } else {
                let body = response.text().await.unwrap_or_default();
                Err(format!(
                    "worker answered {status}: {}",
                    body.chars().take(300).collect::<String>()
                ))
            }
        })
    }
}
