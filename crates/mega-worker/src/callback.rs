//! Reporting a step's outcome to the API, with a service token minted for
//! the API's URL. The API decides what the report means and what follows.

use gokart_edge::http::{TRACEPARENT_HEADER, current_trace_id};
use std::sync::Arc;
use std::time::Duration;

use gokart_domain::StatusReport;
use gokart_edge::service_auth::TokenMinter;
use uuid::Uuid;

/// How the API took a report.
#[derive(Debug)]
pub enum Reported {
    /// Applied, or a repeat of what was applied (both 200).
    Accepted,
    /// Refused for good (the order is gone, cancelled, or the report is
    /// illegal): retrying cannot help.
    Refused(String),
    /// Not known to have arrived (network, 5xx, auth): retry the task.
    Failed(String),
}

/// The API's internal status endpoint.
#[derive(Debug)]
pub struct ApiClient {
    http: reqwest::Client,
    base: String,
    tokens: Arc<TokenMinter>,
}

impl ApiClient {
    /// A client for the API at `base`.
    pub fn new(base: &str, tokens: Arc<TokenMinter>) -> anyhow::Result<Self> {
        Ok(ApiClient {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(15))
                .connect_timeout(Duration::from_secs(5))
                .build()?,
            base: base.to_owned(),
            tokens,
        })
    }

    /// Reports `report` for `order`.
    #[tracing::instrument(skip_all, fields(%order, status = %report.status))]
    pub async fn report(&self, order: Uuid, report: &StatusReport) -> Reported {
        let token = match self.tokens.token(&self.base).await {
            Ok(token) => token,
            Err(err) => return Reported::Failed(err.to_string()),
        };
        let mut request = self
            .http
            .post(format!("{}/api/v1/internal/orders/{order}/status", self.base))
            .bearer_auth(token)
            .json(report);
        // The report continues the trace the task arrived with.
        if let Some(trace) = current_trace_id() {
            request = request.header(TRACEPARENT_HEADER, trace.traceparent());
        }
        let sent = request.send().await;
        let response = match sent {
            Ok(response) => response,
            Err(err) => return Reported::Failed(format!("API unreachable: {err}")),
        };
        let status = response.status();
        let body = response.text().await.unwrap_or_default();
        let code = serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|error| error["error"]["code"].as_str().map(str::to_owned));
        let detail =
            format!("API answered {status}: {}", body.chars().take(300).collect::<String>());
        match (status.as_u16(), code.as_deref()) {
            (200..=299, _) => Reported::Accepted,
            // The order is gone, or the report can never apply. Any other
            // 404 (a wrong ECOMMERCE_API_URL, say) is retried until fixed.
            (404, Some("not_found")) | (409 | 422, _) => Reported::Refused(detail),
            _ => Reported::Failed(detail),
        }
    }
}
