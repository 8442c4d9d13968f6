//! Where emails go: `local` writes each as an `.eml` file a mail client
//! opens; `resend` posts it to the Resend API. Both take an idempotency key
//! (the task's name), so the same task never sends twice.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::Utc;
use mail_builder::MessageBuilder;
use mail_builder::headers::address::Address;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

use super::address::{Mailbox, header_text};
use super::email::Email;
use crate::config::{EmailConfig, EmailProvider};

/// Why an email was not sent.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// Refused for good (bad address, bad request): retrying cannot help.
    #[error("email rejected: {0}")]
    Rejected(String),
    /// The provider could not take it now: retry.
    #[error("email provider unavailable: {0}")]
    Unavailable(String),
}

/// The configured email provider.
#[derive(Debug)]
pub enum Mailer {
    /// Files in a folder.
    Local {
        /// The folder.
        dir: PathBuf,
    },
    /// The Resend HTTP API.
    Resend {
        /// The HTTP client.
        http: reqwest::Client,
        /// `{base}/emails` is posted to.
        base: String,
        /// The API key.
        key: SecretString,
    },
}

impl Mailer {
    /// The provider `config` names.
    pub fn new(config: &EmailConfig) -> anyhow::Result<Self> {
        Ok(match &config.provider {
            EmailProvider::Local { dir } => Mailer::Local { dir: dir.clone() },
            EmailProvider::Resend { api_key, api_base } => Mailer::Resend {
                http: reqwest::Client::builder().timeout(Duration::from_secs(15)).build()?,
                base: api_base.clone(),
                key: api_key.clone(),
            },
        })
    }

    /// Sends `email` once per `key`: a second send with the same key is a
    /// success that sends nothing.
    pub async fn send(&self, email: &Email, key: &str) -> Result<(), SendError> {
        match self {
            Mailer::Local { dir } => write_eml(dir, email, key).await,
            Mailer::Resend { http, base, key: api_key } => {
                send_resend(http, base, api_key, email, key).await
            }
        }
    }
}

async fn send_resend(
    http: &reqwest::Client,
    base: &str,
    api_key: &SecretString,
    email: &Email,
    key: &str,
) -> Result<(), SendError> {
    let parts = Parts::of(email)?;
    // The recipient's name is not sent: nothing a customer typed goes
    // where Resend parses addresses.
    let body = json!({
        "from": parts.from.to_api_string(),
        "to": [parts.to.address()],
        "subject": parts.subject,
        "html": email.html,
        "text": email.text,
    });
    let response = http
        .post(format!("{base}/emails"))
        .bearer_auth(api_key.expose_secret())
        .header("Idempotency-Key", key)
        .json(&body)
        .send()
        .await
        .map_err(|err| SendError::Unavailable(err.to_string()))?;
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    let body = response.text().await.unwrap_or_default();
    let name = serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .and_then(|error| error["name"].as_str().map(str::to_owned))
        .unwrap_or_default();
    let detail =
        format!("Resend answered {status}: {}", body.chars().take(300).collect::<String>());
    match (status.as_u16(), name.as_str()) {
        // This key was used before with other content: an earlier attempt
        // of this very task got through, so the email has gone.
        (409, "invalid_idempotent_request") => Ok(()),
        // Setup problems (key, sender) are fixed by configuration, so keep
        // the task; 409 is the same key still in flight; 429 a rate limit.
        (401 | 403 | 409 | 429, _) | (_, "invalid_from_address") => {
            Err(SendError::Unavailable(detail))
        }
        (status, _) if status >= 500 => Err(SendError::Unavailable(detail)),
        _ => Err(SendError::Rejected(detail)),
    }
}

/// Writes `email` to `dir/<key>.eml`, atomically; an existing file means
/// this task's email was written already.
async fn write_eml(dir: &Path, email: &Email, key: &str) -> Result<(), SendError> {
    check_key(key)?;
    let unavailable = |err: std::io::Error| SendError::Unavailable(err.to_string());
    let path = dir.join(format!("{key}.eml"));
    if tokio::fs::try_exists(&path).await.map_err(unavailable)? {
        tracing::info!(path = %path.display(), "email already written");
        return Ok(());
    }
    let eml = to_eml(email, key)?;
    tokio::fs::create_dir_all(dir).await.map_err(unavailable)?;
    let partial = dir.join(format!(".{key}.{}.partial", uuid::Uuid::new_v4().simple()));
    tokio::fs::write(&partial, eml).await.map_err(unavailable)?;
    tokio::fs::rename(&partial, &path).await.map_err(unavailable)?;
    tracing::info!(path = %path.display(), to = email.to_email, "email written");
    Ok(())
}

/// A key names a file and a Message-ID: letters, digits, `-` and `_` only.
fn check_key(key: &str) -> Result<(), SendError> {
    if key.is_empty() || !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        return Err(SendError::Rejected(format!("unusable idempotency key {key:?}")));
    }
    Ok(())
}

/// What goes into any email's headers, checked: no header takes text that
/// could end it or turn into address syntax.
#[derive(Debug)]
struct Parts {
    from: Mailbox,
    to: Mailbox,
    subject: String,
}

impl Parts {
    fn of(email: &Email) -> Result<Self, SendError> {
        // The sender is configuration, checked at startup: if it is bad
        // here, the task waits for the fix, as with Resend's
        // `invalid_from_address`.
        let from = Mailbox::parse(&email.from)
            .map_err(|err| SendError::Unavailable(format!("sender: {err}")))?;
        let to = Mailbox::new(&email.to_name, &email.to_email)
            .map_err(|err| SendError::Rejected(format!("recipient: {err}")))?;
        Ok(Parts { from, to, subject: header_text(&email.subject) })
    }
}

/// `mailbox` for `mail-builder`, which quotes or RFC 2047-encodes the name.
fn address(mailbox: &Mailbox) -> Address<'_> {
    Address::new_address(mailbox.name(), mailbox.address())
}

/// An RFC 5322 message with a plain-text and an HTML alternative, built by
/// `mail-builder`; `key` makes its Message-ID.
pub fn to_eml(email: &Email, key: &str) -> Result<Vec<u8>, SendError> {
    check_key(key)?;
    let parts = Parts::of(email)?;
    MessageBuilder::new()
        .from(address(&parts.from))
        .to(address(&parts.to))
        .subject(parts.subject.as_str())
        .date(Utc::now().timestamp())
        .message_id(format!("{key}@gokart.local"))
        .text_body(email.text.as_str())
        .html_body(email.html.as_str())
        .write_to_vec()
        .map_err(|err| SendError::Unavailable(err.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email() -> Email {
        Email {
            from: "GoKart <orders@gokart.local>".into(),
            to_name: "Zoë Brontë".into(),
            to_email: "zoe@example.com".into(),
            subject: "Order GK-1 shipped".into(),
            html: "<p>hi</p>".into(),
            text: "hi".into(),
        }
    }

    #[test]
    fn an_eml_has_both_alternatives_and_encoded_headers() {
        let eml = String::from_utf8(to_eml(&email(), "abc").unwrap()).unwrap();
        assert!(eml.contains("From: \"GoKart\" <orders@gokart.local>\r\n"), "{eml}");
        assert!(eml.contains("To: =?utf-8?"), "{eml}");
        assert!(eml.contains("<zoe@example.com>\r\n"));
        assert!(eml.contains("Subject: Order GK-1 shipped\r\n"));
        assert!(eml.contains("Message-ID: <abc@gokart.local>\r\n"));
        assert!(eml.contains("Content-Type: multipart/alternative;"), "{eml}");
        assert!(eml.contains("Content-Type: text/plain; charset=\"utf-8\""), "{eml}");
        assert!(eml.contains("Content-Type: text/html; charset=\"utf-8\""), "{eml}");
    }

    #[test]
    fn a_bad_sender_waits_and_a_bad_recipient_is_rejected() {
        let mut bad_from = email();
        bad_from.from = "orders@gokart.local, eve@evil.test".into();
        assert!(matches!(to_eml(&bad_from, "k"), Err(SendError::Unavailable(_))));
        let mut bad_to = email();
        bad_to.to_email = "zoe@example.com, eve@evil.test".into();
        assert!(matches!(to_eml(&bad_to, "k"), Err(SendError::Rejected(_))));
    }

    #[tokio::test]
    async fn the_same_key_writes_one_file() {
        let dir = std::env::temp_dir().join(format!("gokart-mail-{}", uuid::Uuid::new_v4()));
        let mailer = Mailer::Local { dir: dir.clone() };
        mailer.send(&email(), "task-1").await.unwrap();
        let mut changed = email();
        changed.subject = "another".into();
        mailer.send(&changed, "task-1").await.unwrap();
        let files: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
        assert_eq!(files.len(), 1);
        let eml = std::fs::read_to_string(dir.join("task-1.eml")).unwrap();
        assert!(eml.contains("Subject: Order GK-1 shipped"));
        std::fs::remove_dir_all(dir).unwrap();
    }
}
