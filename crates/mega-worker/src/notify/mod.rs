//! Customer emails: `POST /tasks/notification` renders the email for what
//! happened to an order, `POST /tasks/account_email` the one carrying an
//! account link (password reset, address verification), `POST
//! /tasks/admin_notice` one telling an admin what needs them; each is sent keyed
//! by the task's name, so that a redelivered task never sends twice.

pub mod address;
pub mod email;
pub mod mailer;

use axum::extract::State;
use gokart_domain::{AccountEmailTask, AdminNoticeTask, NotificationTask};
use gokart_edge::service_auth::ServiceCaller;
use sha2::{Digest, Sha256};

use self::mailer::SendError;
use crate::state::WorkerState;
use crate::task::{Outcome, Payload, TaskMeta};

/// `POST /tasks/notification`: email the customer.
#[tracing::instrument(skip_all, fields(task = meta.name, retries = meta.retries))]
pub async fn notification(
    State(state): State<WorkerState>,
    _caller: ServiceCaller,
    meta: TaskMeta,
    Payload(task): Payload<NotificationTask>,
) -> Outcome {
    let rendered = email::render(&task, &state.config.email.from);
    send(&state, &meta, rendered, &task).await
}

/// `POST /tasks/account_email`: email an account holder their link.
#[tracing::instrument(skip_all, fields(task = meta.name, retries = meta.retries))]
pub async fn account_email(
    State(state): State<WorkerState>,
    _caller: ServiceCaller,
    meta: TaskMeta,
    Payload(task): Payload<AccountEmailTask>,
) -> Outcome {
    let rendered = email::render_account(&task, &state.config.email.from);
    send(&state, &meta, rendered, &task).await
}

/// `POST /tasks/admin_notice` and `/tasks/customer_notice`: email an admin
/// what needs them, or a customer where their return is (the same notice:
/// a subject, paragraphs and a link).
#[tracing::instrument(skip_all, fields(task = meta.name, retries = meta.retries))]
pub async fn admin_notice(
    State(state): State<WorkerState>,
    _caller: ServiceCaller,
    meta: TaskMeta,
    Payload(task): Payload<AdminNoticeTask>,
) -> Outcome {
    let rendered = email::render_admin_notice(&task, &state.config.email.from);
    send(&state, &meta, rendered, &task).await
}

/// Sends a rendered email once per task.
async fn send(
    state: &WorkerState,
    meta: &TaskMeta,
    rendered: Result<email::Email, askama::Error>,
    task: &impl serde::Serialize,
) -> Outcome {
    let email = match rendered {
        Ok(email) => email,
        Err(err) => return Outcome::Dropped(format!("cannot render the email: {err}")),
    };
    // The queue always names its tasks; without a name, the task itself
    // identifies the email.
    let key = meta.name.clone().unwrap_or_else(|| {
        let body = serde_json::to_vec(task).unwrap_or_default();
        Sha256::digest(body).iter().take(16).map(|b| format!("{b:02x}")).collect()
    });
    match state.mailer.send(&email, &key).await {
        Ok(()) => Outcome::Done,
        Err(SendError::Rejected(reason)) => Outcome::Dropped(reason),
        Err(SendError::Unavailable(reason)) => Outcome::Retry(reason),
    }
}
