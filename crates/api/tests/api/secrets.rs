//! Passwords and refresh tokens never appear in a response body, a log line
//! or the database in clear.

use std::io::Write;
use std::sync::{Arc, Mutex};

use reqwest::Method;
use serde_json::json;

use crate::helpers::{TestApp, TestUser, refresh_cookie};

/// Log output collected in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// Everything a client could see of a response, except the `Set-Cookie`
/// header, whose job is to carry the refresh token.
async fn visible(response: reqwest::Response) -> String {
    let headers: Vec<String> = response
        .headers()
        .iter()
        .filter(|(name, _)| *name != "set-cookie")
        .map(|(name, value)| format!("{name}: {value:?}"))
        .collect();
    format!("{}\n{}", headers.join("\n"), response.text().await.unwrap())
}

// One thread, so every task of the app logs to this test's subscriber.
#[tokio::test(flavor = "current_thread")]
async fn no_response_or_log_line_contains_a_password_or_refresh_token() {
    let logs = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(logs.clone())
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let app = TestApp::spawn().await;
    let password = "first secret passphrase";
    let new_password = "second secret passphrase";
    let mut seen = Vec::new();
    let mut tokens = Vec::new();

    let registered = app.register("Ada", "ada@example.com", password).await;
    tokens.push(refresh_cookie(&registered).unwrap());
    let user = TestUser::from_response(registered, "ada@example.com".into(), password.into()).await;
    seen.push(visible(app.login("ada@example.com", "wrong secret guess").await).await);
    let refreshed = app.refresh(&user.refresh_token).await;
    tokens.push(refresh_cookie(&refreshed).unwrap());
    seen.push(visible(refreshed).await);
    seen.push(visible(app.refresh(&user.refresh_token).await).await);
    let again = app.login("ada@example.com", password).await;
    tokens.push(refresh_cookie(&again).unwrap());
    let again = TestUser::from_response(again, "ada@example.com".into(), password.into()).await;
    let changed = app
        .authed(Method::PUT, "/api/v1/users/password", &again.access_token)
        .json(&json!({"current_password": password, "new_password": new_password}))
        .send()
        .await
        .unwrap();
    seen.push(visible(changed).await);

    let log_text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(log_text.contains("request served"), "logs were captured");
    for text in seen.iter().chain([&log_text]) {
        for secret in [password, new_password, "wrong secret guess"]
            .iter()
            .map(|s| s.to_string())
            .chain(tokens.clone())
        {
            assert!(!text.contains(&secret), "{secret:?} leaked into:\n{text}");
        }
    }
}

#[tokio::test]
async fn the_database_holds_only_hashes() {
    let app = TestApp::spawn().await;
    let user = app.register_user().await;

    let hash: String =
        sqlx::query_scalar("SELECT password_hash FROM users").fetch_one(&app.db).await.unwrap();
    let stored: Vec<Vec<u8>> = sqlx::query_scalar("SELECT token_hash FROM refresh_tokens")
        .fetch_all(&app.db)
        .await
        .unwrap();

    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(!hash.contains(&user.password));
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].len(), 32, "a SHA-256");
    assert!(!String::from_utf8_lossy(&stored[0]).contains(&user.refresh_token));
}
