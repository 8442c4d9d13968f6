//! The `cloud-tasks` backend: each task becomes a Google Cloud Tasks HTTP
//! task that pushes to the worker with an OIDC token of the invoker account
//! (so Google, not the API, signs what the worker checks).
//!
//! A task's name is derived from its outbox row. If the relay dies after
//! Cloud Tasks accepted a task but before the row was marked sent, the
//! re-send is refused as `ALREADY_EXISTS`, which counts as sent: the worker
//! gets the task once from the queue's side.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use anyhow::Context;
use gcloud_sdk::google::cloud::tasks::v2::cloud_tasks_client::CloudTasksClient;
use gcloud_sdk::google::cloud::tasks::v2::{
    CreateQueueRequest, CreateTaskRequest, HttpMethod, HttpRequest, OidcToken, Queue, RetryConfig,
    Task as CloudTask, http_request, task,
};
use gcloud_sdk::google_cloud_auth::credentials::anonymous;
use gcloud_sdk::{GoogleApi, GoogleAuthMiddleware, prost_types, tonic};

use super::backend::{SendResult, Task, TaskBackend};
use crate::config::FulfillmentConfig;

/// Google's Cloud Tasks endpoint.
const CLOUD_TASKS_ENDPOINT: &str = "https://cloudtasks.googleapis.com";

/// Where and how tasks are created: the queue, the worker, the token.
#[derive(Debug, Clone)]
pub struct Target {
    /// `projects/P/locations/L/queues/Q`.
    pub queue: String,
    /// The worker's URL; also the OIDC token's audience.
    pub worker_url: String,
    /// The account Cloud Tasks signs the token as.
    pub invoker_email: String,
    /// How long the worker may take to answer.
    pub dispatch_deadline: Duration,
}

impl Target {
    /// The CreateTask request for `task`.
    pub fn request(&self, task: &Task) -> CreateTaskRequest {
        // Cloud Tasks accepts 15 s to 30 min for HTTP targets.
        let deadline =
            self.dispatch_deadline.clamp(Duration::from_secs(15), Duration::from_secs(1800));
        let http = HttpRequest {
            url: format!("{}{}", self.worker_url, task.kind.path()),
            http_method: HttpMethod::Post as i32,
            headers: [
                ("Content-Type", Some("application/json")),
                ("traceparent", task.traceparent.as_deref()),
            ]
            .into_iter()
            .filter_map(|(name, value)| Some((name.to_owned(), value?.to_owned())))
            .collect::<HashMap<_, _>>(),
            body: task.body.clone(),
            authorization_header: Some(http_request::AuthorizationHeader::OidcToken(OidcToken {
                service_account_email: self.invoker_email.clone(),
                audience: self.worker_url.clone(),
            })),
        };
        CreateTaskRequest {
            parent: self.queue.clone(),
            task: Some(CloudTask {
                name: format!("{}/tasks/{}", self.queue, task.name),
                dispatch_deadline: Some(prost_types::Duration {
                    seconds: i64::try_from(deadline.as_secs()).unwrap_or(1800),
                    nanos: 0,
                }),
                message_type: Some(task::MessageType::HttpRequest(http)),
                ..Default::default()
            }),
            response_view: task::View::Basic as i32,
        }
    }
}

/// What a CreateTask answer means for the outbox row: accepted, or already
/// accepted earlier under the same name, is sent.
pub fn outcome<T>(answer: Result<T, tonic::Status>) -> SendResult {
    match answer {
        Ok(_) => Ok(()),
        Err(status) if status.code() == tonic::Code::AlreadyExists => Ok(()),
        Err(status) => {
            Err(format!("Cloud Tasks refused: {:?} {}", status.code(), status.message()))
        }
    }
}

/// The Cloud Tasks client and where its tasks go.
pub struct CloudTasks {
    api: GoogleApi<CloudTasksClient<GoogleAuthMiddleware>>,
    target: Target,
}

impl std::fmt::Debug for CloudTasks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CloudTasks").field("target", &self.target).finish_non_exhaustive()
    }
}

impl CloudTasks {
    /// Connects to Cloud Tasks (with the service's own credentials), or to
    /// `CLOUD_TASKS_ENDPOINT` over plain HTTP without credentials.
    pub async fn connect(config: &FulfillmentConfig) -> anyhow::Result<Self> {
        let cloud =
            config.cloud_tasks.as_ref().context("TASK_BACKEND=cloud-tasks needs its settings")?;
        // Google's auth client builds its TLS from the process-wide provider.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let api = match &cloud.endpoint {
            Some(endpoint) => GoogleApi::from_function_with_credentials(
                CloudTasksClient::new,
                endpoint,
                None,
                anonymous::Builder::new().build(),
            )
            .await
            .with_context(|| format!("cannot reach Cloud Tasks at {endpoint}"))?,
            None => GoogleApi::from_function(CloudTasksClient::new, CLOUD_TASKS_ENDPOINT, None)
                .await
                .context("cannot reach Cloud Tasks")?,
        };
        let target = Target {
            queue: format!(
                "projects/{}/locations/{}/queues/{}",
                cloud.project, cloud.location, config.queue
            ),
            worker_url: config.worker_url.clone(),
            invoker_email: cloud.invoker_email.clone(),
            dispatch_deadline: config.dispatch_deadline,
        };
        Ok(CloudTasks { api, target })
    }

    /// Creates the queue if it does not exist (for emulators and first
    /// runs; in Google Cloud `deploy/gcp-setup.sh` creates it with its retry
    /// policy, and the API's account may only enqueue).
    pub async fn ensure_queue(&self) -> anyhow::Result<()> {
        let (parent, _) =
            self.target.queue.split_once("/queues/").context("malformed queue path")?;
        let seconds = |seconds| Some(prost_types::Duration { seconds, nanos: 0 });
        let queue = Queue {
            name: self.target.queue.clone(),
            retry_config: Some(RetryConfig {
                max_attempts: -1,
                min_backoff: seconds(1),
                max_backoff: seconds(300),
                max_doublings: 8,
                max_retry_duration: None,
            }),
            ..Default::default()
        };
        let request = CreateQueueRequest { parent: parent.to_owned(), queue: Some(queue) };
        match self.api.get().create_queue(request).await {
            Ok(_) => Ok(()),
            Err(status) if status.code() == tonic::Code::AlreadyExists => Ok(()),
            Err(status) => Err(anyhow::anyhow!("cannot create the queue: {status}")),
        }
    }
}

impl TaskBackend for CloudTasks {
    fn send<'a>(&'a self, task: &'a Task) -> Pin<Box<dyn Future<Output = SendResult> + Send + 'a>> {
        Box::pin(
            async move { outcome(self.api.get().create_task(self.target.request(task)).await) },
        )
    }
}

#[cfg(test)]
mod tests {
    use gokart_domain::TaskKind;

    use super::*;

    fn target() -> Target {
        Target {
            queue: "projects/shop/locations/europe-west1/queues/gokart-fulfillment".into(),
            worker_url: "https://worker.gokart.test".into(),
            invoker_email: "gokart-tasks-invoker@shop.iam.gserviceaccount.com".into(),
            dispatch_deadline: Duration::from_secs(60),
        }
    }

    fn shipping_task() -> Task {
        Task {
            name: "0a1b2c3d".into(),
            kind: TaskKind::Shipping,
            body: b"{}".to_vec(),
            retries: 0,
            traceparent: Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".into()),
        }
    }

    #[test]
    fn a_task_carries_an_oidc_token_of_the_invoker_for_the_workers_url() {
        let request = target().request(&shipping_task());
        let created = request.task.unwrap();
        let Some(task::MessageType::HttpRequest(http)) = created.message_type else {
            panic!("not an HTTP task");
        };
        assert_eq!(http.url, "https://worker.gokart.test/tasks/shipping");
        assert_eq!(http.http_method, HttpMethod::Post as i32);
        assert_eq!(http.headers["Content-Type"], "application/json");
        assert_eq!(
            http.headers["traceparent"], "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "the worker continues the trace"
        );
        assert_eq!(http.body, b"{}");
        let Some(http_request::AuthorizationHeader::OidcToken(token)) = http.authorization_header
        else {
            panic!("no OIDC token");
        };
        assert_eq!(
            token.service_account_email,
            "gokart-tasks-invoker@shop.iam.gserviceaccount.com"
        );
        assert_eq!(token.audience, "https://worker.gokart.test");
        assert_eq!(created.dispatch_deadline.unwrap().seconds, 60);
    }

    #[test]
    fn a_task_is_named_after_its_outbox_row_in_the_queue() {
        let request = target().request(&shipping_task());
        assert_eq!(request.parent, target().queue);
        assert_eq!(
            request.task.unwrap().name,
            "projects/shop/locations/europe-west1/queues/gokart-fulfillment/tasks/0a1b2c3d"
        );
    }

    #[test]
    fn a_re_send_refused_as_already_existing_counts_as_sent() {
        assert_eq!(outcome::<()>(Err(tonic::Status::already_exists("task exists"))), Ok(()));
        assert_eq!(outcome(Ok(())), Ok(()));
        let unavailable = outcome::<()>(Err(tonic::Status::unavailable("try later")));
        assert!(unavailable.unwrap_err().contains("Unavailable"));
    }
}
