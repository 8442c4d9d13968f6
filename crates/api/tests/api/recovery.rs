//! Getting back into an account: a reset link by email through the real
//! outbox, relay and worker; single use, replaced by a newer one, expiring;
//! every session signed out; and no way to tell from the answer whether an
//! address has an account.

use std::time::Duration;

use serde_json::json;

use crate::helpers::{TestApp, error_of, refresh_cookie};
use crate::pipeline::{Pipeline, wait_for};

const NEW_PASSWORD: &str = "a brand new passphrase";

async fn request_reset(app: &TestApp, email: &str) -> reqwest::Response {
    app.post_json("/api/v1/auth/password-reset", &json!({"email": email})).await
}

async fn confirm(app: &TestApp, token: &str, password: &str) -> reqwest::Response {
    app.post_json(
        "/api/v1/auth/password-reset/confirm",
        &json!({"token": token, "new_password": password}),
    )
    .await
}

/// The tokens of the reset emails sent to `email`, once there are `count`.
async fn emailed_tokens(pipeline: &Pipeline, email: &str, count: usize) -> Vec<String> {
    let reset_emails = || -> Vec<String> {
        pipeline
            .emails()
            .into_iter()
            .map(|(_, text)| text)
            .filter(|text| text.contains(email) && text.contains("Reset your password"))
            .collect()
    };
    wait_for(Duration::from_secs(20), || async { reset_emails().len() >= count }).await;
    reset_emails()
        .iter()
        .map(|raw| {
            let parsed = mail_parser::MessageParser::default().parse(raw.as_bytes()).unwrap();
            let text = parsed.body_text(0).unwrap().into_owned();
            let link = text
                .split_whitespace()
                .find(|word| word.contains("/account/reset-password?token="))
                .unwrap_or_else(|| panic!("no link in {text}"))
                .to_owned();
            let storefront = format!("http://127.0.0.1:{}/", pipeline.api_port);
            assert!(link.starts_with(&storefront), "{link}");
            link.split("token=").nth(1).unwrap().to_owned()
        })
        .collect()
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&app.db).await.unwrap()
}

#[tokio::test]
async fn a_forgotten_password_is_reset_by_the_emailed_link_once() {
    let pipeline = Pipeline::api_only(|_| {}).await;
    let _worker = pipeline.start_worker().await;
    let app = &pipeline.api;
    let user = app.register_user().await;
    let signed_in = app.sign_in(&user).await;

    assert_eq!(request_reset(app, &user.email.to_uppercase()).await.status(), 202);
    let token = emailed_tokens(&pipeline, &user.email, 1).await.remove(0);
    assert!(token.len() >= 22, "at least 128 bits");
    let stored: Vec<u8> = sqlx::query_scalar("SELECT token_hash FROM account_tokens")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_ne!(stored, token.as_bytes(), "only a hash is stored");
    let in_outbox: i64 =
        sqlx::query_scalar("SELECT count(*) FROM outbox WHERE payload::text LIKE $1")
            .bind(format!("%{token}%"))
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(in_outbox, 0, "the token never rests in the outbox");

    // A refused password keeps the link.
    let refused = error_of(confirm(app, &token, "short").await, 422).await;
    assert!(refused.fields.unwrap().contains_key("new_password"));
    assert_eq!(confirm(app, &token, NEW_PASSWORD).await.status(), 204);

    // The new password works, the old one does not, every session is out.
    assert_eq!(app.login(&user.email, NEW_PASSWORD).await.status(), 200);
    assert_eq!(app.login(&user.email, &user.password).await.status(), 401);
    let stale = app.refresh(&signed_in.refresh_token).await;
    assert_eq!(stale.status(), 401, "an old refresh cookie is dead");
    assert!(refresh_cookie(&stale).is_none_or(|cookie| cookie.is_empty()));

    // Used once: never again.
    let again = error_of(confirm(app, &token, "yet another passphrase").await, 422).await;
    assert_eq!(again.code, "invalid_token");
}

#[tokio::test]
async fn a_newer_link_replaces_the_older_and_links_expire() {
    let pipeline = Pipeline::api_only(|_| {}).await;
    let _worker = pipeline.start_worker().await;
    let app = &pipeline.api;
    let user = app.register_user().await;

    assert_eq!(request_reset(app, &user.email).await.status(), 202);
    let first = emailed_tokens(&pipeline, &user.email, 1).await.remove(0);
    // A second request within the minute issues and queues nothing.
    assert_eq!(request_reset(app, &user.email).await.status(), 202);
    assert_eq!(count(app, "SELECT count(*) FROM account_tokens").await, 1);
    assert_eq!(count(app, "SELECT count(*) FROM outbox WHERE kind = 'account_email'").await, 1);

    sqlx::query("UPDATE account_tokens SET created_at = created_at - interval '2 minutes'")
        .execute(&app.db)
        .await
        .unwrap();
    assert_eq!(request_reset(app, &user.email).await.status(), 202);
    let tokens = emailed_tokens(&pipeline, &user.email, 2).await;
    let second = tokens.into_iter().find(|token| *token != first).unwrap();
    let replaced = error_of(confirm(app, &first, NEW_PASSWORD).await, 422).await;
    assert_eq!(replaced.code, "invalid_token");

    sqlx::query("UPDATE account_tokens SET expires_at = now() - interval '1 second'")
        .execute(&app.db)
        .await
        .unwrap();
    let expired = error_of(confirm(app, &second, NEW_PASSWORD).await, 422).await;
    assert_eq!(expired.code, "invalid_token");
    assert_eq!(app.login(&user.email, &user.password).await.status(), 200, "password unchanged");
}

/// The answer without its per-request headers.
async fn answer(response: reqwest::Response) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let status = response.status().as_u16();
    let mut headers: Vec<(String, String)> = response
        .headers()
        .iter()
        .filter(|(name, _)| !["date", "x-request-id", "traceparent"].contains(&name.as_str()))
        .map(|(name, value)| (name.to_string(), value.to_str().unwrap_or_default().to_owned()))
        .collect();
    headers.sort();
    (status, headers, response.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn known_and_unknown_addresses_get_the_same_answer() {
    let app = TestApp::spawn().await;
    let user = app.register_user().await;
    let known = answer(request_reset(&app, &user.email).await).await;
    let unknown = answer(request_reset(&app, "nobody-here@example.com").await).await;
    assert_eq!(known, unknown);
    assert_eq!(known.0, 202);
    let links = count(&app, "SELECT count(*) FROM account_tokens").await;
    assert_eq!(links, 1, "only the real account got a link");
    let error = error_of(request_reset(&app, "not an address").await, 422).await;
    assert!(error.fields.unwrap().contains_key("email"));
}

#[tokio::test]
async fn guessing_tokens_is_limited_like_guessing_passwords() {
    let app =
        TestApp::spawn_with(|env| env.set("LOGIN_FAILURE_LIMIT", "3"), Default::default()).await;
    for _ in 0..3 {
        let wrong = error_of(confirm(&app, "not-a-real-token", NEW_PASSWORD).await, 422).await;
        assert_eq!(wrong.code, "invalid_token");
    }
    let limited = confirm(&app, "not-a-real-token", NEW_PASSWORD).await;
    assert_eq!(limited.status(), 429);
    assert!(limited.headers().contains_key("retry-after"));
}
