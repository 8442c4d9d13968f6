//! How the API hands fulfillment work to the worker: the task backend, the
//! outbox relay's pace and patience, and service authentication.

use std::str::FromStr;
use std::time::Duration;

use gokart_edge::service_auth::ServiceAuthConfig;
use gokart_edge::{AppEnv, ConfigError, Env};

/// Where outbox tasks go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskBackendKind {
    /// The relay POSTs each task to the worker itself.
    Local,
    /// Google Cloud Tasks pushes them to the worker.
    CloudTasks,
}

impl FromStr for TaskBackendKind {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        match raw {
            "local" => Ok(TaskBackendKind::Local),
            "cloud-tasks" => Ok(TaskBackendKind::CloudTasks),
            other => Err(format!("expected local or cloud-tasks, not {other:?}")),
        }
    }
}

/// The Cloud Tasks queue and the identity its tasks call the worker with.
#[derive(Debug, Clone)]
pub struct CloudTasksConfig {
    /// `GCP_PROJECT_ID`.
    pub project: String,
    /// `GCP_TASKS_LOCATION_ID`, e.g. `europe-west1`.
    pub location: String,
    /// `TASKS_INVOKER_SA_EMAIL`: the account Cloud Tasks mints the worker's
    /// OIDC token for (the API must be allowed to act as it).
    pub invoker_email: String,
    /// `CLOUD_TASKS_ENDPOINT`: another gRPC endpoint, e.g. an emulator
    /// (plain HTTP, no credentials).
    pub endpoint: Option<String>,
}

/// The fulfillment pipeline's settings.
#[derive(Debug, Clone)]
pub struct FulfillmentConfig {
    /// `TASK_BACKEND`: `local` (default) or `cloud-tasks`.
    pub backend: TaskBackendKind,
    /// `MEGA_WORKER_URL`: the worker's URL, also the audience of its tokens.
    pub worker_url: String,
    /// `GCP_TASKS_QUEUE_ID`: the queue's name (also sent by the local
    /// dispatcher as `X-CloudTasks-QueueName`).
    pub queue: String,
    /// Set with `TASK_BACKEND=cloud-tasks`.
    pub cloud_tasks: Option<CloudTasksConfig>,
    /// `RELAY_ENABLED`: whether this instance relays the outbox.
    pub relay_enabled: bool,
    /// `RELAY_CONCURRENCY`: tasks in flight at once per instance.
    pub relay_concurrency: usize,
    /// `RELAY_SWEEP_INTERVAL`: how often the relay looks for due rows
    /// without being woken (retries, missed notifications).
    pub sweep_interval: Duration,
    /// `TASK_DISPATCH_DEADLINE`: how long the worker may take to answer a task.
    pub dispatch_deadline: Duration,
    /// `OUTBOX_MAX_ATTEMPTS`: sends before a row becomes a dead letter.
    pub max_attempts: i32,
    /// `RELAY_BACKOFF_MIN`: delay after the first failed send; it doubles
    /// with each failure (with jitter) up to `RELAY_BACKOFF_MAX`.
    pub backoff_min: Duration,
    /// `RELAY_BACKOFF_MAX`.
    pub backoff_max: Duration,
    /// Who this API is to the others, and whom it accepts.
    pub service_auth: ServiceAuthConfig,
}

/// The API's identity in `local` service-auth mode.
pub const LOCAL_API_IDENTITY: &str = "api@gokart.local";
/// The worker's identity in `local` mode.
pub const LOCAL_WORKER_IDENTITY: &str = "worker@gokart.local";
/// The scheduler's identity in `local` mode.
pub const LOCAL_SCHEDULER_IDENTITY: &str = "scheduler@gokart.local";

impl FulfillmentConfig {
    /// Reads and checks the settings.
    pub fn from_env(env: &Env, app_env: AppEnv) -> Result<Self, ConfigError> {
        let backend = env.parse("TASK_BACKEND", TaskBackendKind::Local)?;
        let worker_url = env.url("MEGA_WORKER_URL", "http://localhost:8081")?;
        let cloud_tasks = match backend {
            TaskBackendKind::Local => None,
            TaskBackendKind::CloudTasks => Some(CloudTasksConfig {
                project: env.require("GCP_PROJECT_ID")?,
                location: env.require("GCP_TASKS_LOCATION_ID")?,
                invoker_email: env.require("TASKS_INVOKER_SA_EMAIL")?,
                endpoint: env.get("CLOUD_TASKS_ENDPOINT").map(str::to_owned),
            }),
        };
        let relay_concurrency = env.parse("RELAY_CONCURRENCY", 32)?;
        if !(1..=1024).contains(&relay_concurrency) {
            return Err(ConfigError::new("RELAY_CONCURRENCY", "must be between 1 and 1024"));
        }
        let max_attempts = env.parse("OUTBOX_MAX_ATTEMPTS", 25)?;
        if !(1..=1000).contains(&max_attempts) {
            return Err(ConfigError::new("OUTBOX_MAX_ATTEMPTS", "must be between 1 and 1000"));
        }
        let backoff_min = env.duration("RELAY_BACKOFF_MIN", Duration::from_secs(1))?;
        let backoff_max = env.duration("RELAY_BACKOFF_MAX", Duration::from_secs(300))?;
        if backoff_min.is_zero() || backoff_min > backoff_max {
            return Err(ConfigError::new(
                "RELAY_BACKOFF_MIN",
                "must be above zero and at most RELAY_BACKOFF_MAX",
            ));
        }
        let day = Duration::from_secs(24 * 3600);
        let sweep_interval = env.duration("RELAY_SWEEP_INTERVAL", Duration::from_secs(5))?;
        if sweep_interval.is_zero() || sweep_interval > day {
            return Err(ConfigError::new("RELAY_SWEEP_INTERVAL", "must be between 1ms and 24h"));
        }
        let dispatch_deadline = env.duration("TASK_DISPATCH_DEADLINE", Duration::from_secs(60))?;
        // Cloud Tasks accepts 15 s to 30 min for HTTP targets.
        if dispatch_deadline < Duration::from_secs(1)
            || dispatch_deadline > Duration::from_secs(1800)
        {
            return Err(ConfigError::new("TASK_DISPATCH_DEADLINE", "must be between 1s and 30m"));
        }
        Ok(FulfillmentConfig {
            backend,
            worker_url,
            queue: env.string("GCP_TASKS_QUEUE_ID", "gokart-fulfillment"),
            cloud_tasks,
            relay_enabled: env.flag("RELAY_ENABLED", true)?,
            relay_concurrency,
            sweep_interval,
            dispatch_deadline,
            max_attempts,
            backoff_min,
            backoff_max,
            service_auth: ServiceAuthConfig::from_env(
                env,
                app_env,
                LOCAL_API_IDENTITY,
                &[LOCAL_WORKER_IDENTITY, LOCAL_SCHEDULER_IDENTITY],
            )?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_local_pipeline_is_the_default() {
        let config = FulfillmentConfig::from_env(&Env::default(), AppEnv::Development).unwrap();
        assert_eq!(config.backend, TaskBackendKind::Local);
        assert_eq!(config.worker_url, "http://localhost:8081");
        assert!(config.cloud_tasks.is_none());
        assert!(config.relay_enabled);
    }

    #[test]
    fn cloud_tasks_needs_its_project_location_and_invoker() {
        let mut env = Env::from_pairs([("TASK_BACKEND", "cloud-tasks")]);
        let err = FulfillmentConfig::from_env(&env, AppEnv::Development).unwrap_err();
        assert_eq!(err.var, "GCP_PROJECT_ID");
        env.set("GCP_PROJECT_ID", "shop");
        env.set("GCP_TASKS_LOCATION_ID", "europe-west1");
        let err = FulfillmentConfig::from_env(&env, AppEnv::Development).unwrap_err();
        assert_eq!(err.var, "TASKS_INVOKER_SA_EMAIL");
    }

    #[test]
    fn backoff_bounds_are_checked() {
        let env = Env::from_pairs([("RELAY_BACKOFF_MIN", "10m"), ("RELAY_BACKOFF_MAX", "1m")]);
        let err = FulfillmentConfig::from_env(&env, AppEnv::Development).unwrap_err();
        assert_eq!(err.var, "RELAY_BACKOFF_MIN");
    }
}
