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
    tokens_of(pipeline, email, Link::Reset, count).await
}

/// What an emailed link is for: its subject and its storefront page.
#[derive(Clone, Copy)]
enum Link {
    Reset,
    Verify,
}

/// The tokens of the `link` emails sent to `email`, once there are `count`.
async fn tokens_of(pipeline: &Pipeline, email: &str, link: Link, count: usize) -> Vec<String> {
    let (subject, page) = match link {
        Link::Reset => ("Reset your password", "/account/reset-password?token="),
        Link::Verify => ("Confirm your email address", "/account/verify-email?token="),
    };
    let reset_emails = || -> Vec<String> {
        pipeline
            .all_emails()
            .into_iter()
            .map(|(_, text)| text)
            .filter(|text| text.contains(&format!("<{email}>")) && text.contains(subject))
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
                .find(|word| word.contains(page))
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
    let stored: Vec<u8> = sqlx::query_scalar(
        "SELECT token_hash FROM account_tokens WHERE purpose = 'password_reset'",
    )
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
    let resets = "SELECT count(*) FROM account_tokens WHERE purpose = 'password_reset'";
    assert_eq!(count(app, resets).await, 1);
    let queued = "SELECT count(*) FROM outbox WHERE kind = 'account_email'";
    assert_eq!(count(app, queued).await, 2, "the registration's verification and one reset");

    sqlx::query("UPDATE account_tokens SET created_at = created_at - interval '2 minutes'")
        .execute(&app.db)
        .await
        .unwrap();
    assert_eq!(request_reset(app, &user.email).await.status(), 202);
    let tokens = emailed_tokens(&pipeline, &user.email, 2).await;
    let second = tokens.into_iter().find(|token| *token != first).unwrap();
    let replaced = error_of(confirm(app, &first, NEW_PASSWORD).await, 422).await;
    assert_eq!(replaced.code, "invalid_token");

    sqlx::query(
        "UPDATE account_tokens SET expires_at = now() - interval '1 second'
         WHERE purpose = 'password_reset'",
    )
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
    let resets = "SELECT count(*) FROM account_tokens WHERE purpose = 'password_reset'";
    assert_eq!(count(&app, resets).await, 1, "only the real account got a link");
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

async fn verify(app: &TestApp, token: &str) -> reqwest::Response {
    app.post_json("/api/v1/auth/verify-email", &json!({"token": token})).await
}

async fn verified(app: &TestApp, user: &crate::helpers::TestUser) -> bool {
    let me: serde_json::Value = app
        .authed(reqwest::Method::GET, "/api/v1/users/profile", &user.access_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    me["email_verified"].as_bool().unwrap()
}

#[tokio::test]
async fn registration_emails_a_link_that_verifies_the_address_once() {
    let pipeline = Pipeline::api_only(|_| {}).await;
    let _worker = pipeline.start_worker().await;
    let app = &pipeline.api;
    let user = app.register_user().await;
    assert!(!verified(app, &user).await);

    let token = tokens_of(&pipeline, &user.email, Link::Verify, 1).await.remove(0);
    assert_eq!(verify(app, &token).await.status(), 204);
    assert!(verified(app, &user).await);
    assert_eq!(error_of(verify(app, &token).await, 422).await.code, "invalid_token");
    assert_eq!(error_of(verify(app, "made-up").await, 422).await.code, "invalid_token");
}

#[tokio::test]
async fn a_changed_address_is_verified_again_by_a_link_sent_to_it() {
    let pipeline = Pipeline::api_only(|_| {}).await;
    let _worker = pipeline.start_worker().await;
    let app = &pipeline.api;
    let user = app.register_user().await;
    let first = tokens_of(&pipeline, &user.email, Link::Verify, 1).await.remove(0);
    assert_eq!(verify(app, &first).await.status(), 204);

    let new_email = format!("moved-{}", user.email);
    let changed = app
        .authed(reqwest::Method::PUT, "/api/v1/users/profile", &user.access_token)
        .json(&json!({"email": new_email}))
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), 200);
    let changed: serde_json::Value = changed.json().await.unwrap();
    assert_eq!(changed["email_verified"], false);

    let second = tokens_of(&pipeline, &new_email, Link::Verify, 1).await.remove(0);
    assert_eq!(verify(app, &second).await.status(), 204);
    assert!(verified(app, &user).await);
}

#[tokio::test]
async fn a_link_to_an_address_the_account_no_longer_has_verifies_nothing() {
    let app = TestApp::spawn().await;
    let user = app.register_user().await;
    // The registration link's token, as the relay would derive it for the email.
    let link: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM account_tokens").fetch_one(&app.db).await.unwrap();
    let token = app.state(&[("JWT_SECRET", crate::helpers::TEST_JWT_SECRET)]).links.token(link);
    // The account's address changes behind the link's back.
    sqlx::query("UPDATE users SET email = 'elsewhere@example.com' WHERE email = $1")
        .bind(&user.email)
        .execute(&app.db)
        .await
        .unwrap();
    assert_eq!(error_of(verify(&app, &token).await, 422).await.code, "invalid_token");
    assert!(!verified(&app, &user).await);
    // Back at the address the link went to, the same link works.
    sqlx::query("UPDATE users SET email = $1 WHERE email = 'elsewhere@example.com'")
        .bind(&user.email)
        .execute(&app.db)
        .await
        .unwrap();
    assert_eq!(verify(&app, &token).await.status(), 204);
    assert!(verified(&app, &user).await);
}

#[tokio::test]
async fn a_new_verification_link_at_most_once_a_minute_and_none_once_verified() {
    let app = TestApp::spawn().await;
    let user = app.register_user().await;
    let resend = || async {
        app.authed(reqwest::Method::POST, "/api/v1/auth/verify-email/resend", &user.access_token)
            .send()
            .await
            .unwrap()
            .status()
    };
    let links = || async {
        sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM account_tokens WHERE purpose = 'verify_email'",
        )
        .fetch_one(&app.db)
        .await
        .unwrap()
    };
    assert_eq!(links().await, 1, "registration sent one");
    assert_eq!(resend().await, 202);
    assert_eq!(links().await, 1, "not within the minute");

    sqlx::query("UPDATE account_tokens SET created_at = created_at - interval '2 minutes'")
        .execute(&app.db)
        .await
        .unwrap();
    assert_eq!(resend().await, 202);
    assert_eq!(links().await, 2);
    let live: i64 = sqlx::query_scalar("SELECT count(*) FROM account_tokens WHERE used_at IS NULL")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(live, 1, "the newer link replaced the older");

    sqlx::query("UPDATE users SET email_verified_at = now()").execute(&app.db).await.unwrap();
    sqlx::query("UPDATE account_tokens SET created_at = created_at - interval '2 minutes'")
        .execute(&app.db)
        .await
        .unwrap();
    assert_eq!(resend().await, 202);
    assert_eq!(links().await, 2, "nothing for a verified address");
    let anonymous = app.post_json("/api/v1/auth/verify-email/resend", &json!({})).await;
    assert_eq!(anonymous.status(), 401);
}

#[tokio::test]
async fn checkout_can_require_a_verified_address() {
    let app =
        TestApp::spawn_shop_with(|env| env.set("CHECKOUT_REQUIRES_VERIFIED_EMAIL", "true")).await;
    let kettle = app.set_stock("K-001", 10).await;
    let (user, address) = app.customer().await;
    crate::helpers::add_to_cart(&app, &user, &kettle, 1).await;
    let refused = crate::helpers::checkout(&app, &user, &address).await;
    assert_eq!(error_of(refused, 403).await.code, "email_not_verified");
    assert_eq!(app.stock_of("K-001").await, 10, "nothing taken");

    sqlx::query("UPDATE users SET email_verified_at = now() WHERE id::text = $1")
        .bind(&user.id)
        .execute(&app.db)
        .await
        .unwrap();
    assert_eq!(crate::helpers::checkout(&app, &user, &address).await.status(), 201);
}
