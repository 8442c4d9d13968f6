//! Registration, profile, password change and account deletion.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{TestApp, error_of, refresh_cookie, set_cookie};

async fn user_count(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM users").fetch_one(&app.db).await.unwrap()
}

#[tokio::test]
async fn registering_signs_in_with_a_token_and_a_strict_refresh_cookie() {
    let app = TestApp::spawn().await;

    let response = app.register("Ada Lovelace", " Ada@Example.com ", "correct horse battery").await;

    assert_eq!(response.status(), 201);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let cookie = set_cookie(&response, "refresh_token").expect("refresh cookie");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/api/v1/auth"] {
        assert!(cookie.contains(attribute), "{cookie} lacks {attribute}");
    }
    assert!(!cookie.contains("Secure"), "development cookies work over plain HTTP");
    let token = refresh_cookie(&response).unwrap();
    let text = response.text().await.unwrap();
    assert!(!text.contains(&token), "the refresh token is never in the body");
    let body: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);
    assert_eq!(body["user"]["email"], "ada@example.com");
    assert_eq!(body["user"]["name"], "Ada Lovelace");
    assert_eq!(body["user"]["role"], "user");
    assert!(body["user"].get("password_hash").is_none());
}

#[tokio::test]
async fn production_cookies_are_secure() {
    let app = TestApp::spawn_with(|env| env.set("COOKIE_SECURE", "true"), Default::default()).await;

    let response = app.register("Ada", "ada@example.com", "correct horse battery").await;

    assert!(set_cookie(&response, "refresh_token").unwrap().contains("; Secure"));
}

#[tokio::test]
async fn registration_names_every_invalid_field_and_writes_nothing() {
    let app = TestApp::spawn().await;

    let error = error_of(app.register(" ", "not-an-email", "short").await, 422).await;

    let fields = error.fields.unwrap();
    assert_eq!(fields.keys().collect::<Vec<_>>(), ["email", "name", "password"]);
    assert_eq!(user_count(&app).await, 0);
}

#[tokio::test]
async fn a_common_password_is_refused() {
    let app = TestApp::spawn().await;

    let error = error_of(app.register("Ada", "ada@example.com", "Password123").await, 422).await;

    assert!(error.fields.unwrap()["password"].contains("common"));
}

#[tokio::test]
async fn a_password_over_128_characters_is_refused() {
    let app = TestApp::spawn().await;

    let error = error_of(app.register("Ada", "ada@example.com", &"x".repeat(129)).await, 422).await;

    assert!(error.fields.unwrap().contains_key("password"));
}

#[tokio::test]
async fn an_email_is_taken_whatever_its_case() {
    let app = TestApp::spawn().await;
    app.register("Ada", "ada@example.com", "correct horse battery").await;

    let error =
        error_of(app.register("Ada 2", "ADA@example.COM", "correct horse battery").await, 409)
            .await;

    assert_eq!(error.code, "email_taken");
    assert_eq!(user_count(&app).await, 1);
}

#[tokio::test]
async fn concurrent_registrations_of_one_email_create_one_account() {
    let app = TestApp::spawn().await;

    let mut attempts = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let (client, url) = (app.client.clone(), app.url("/api/v1/users"));
        let body =
            json!({"name": "Ada", "email": "ada@example.com", "password": "correct horse battery"});
        attempts.spawn(async move {
            client.post(url).json(&body).send().await.unwrap().status().as_u16()
        });
    }
    let statuses = attempts.join_all().await;

    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == 201 || *s == 409), "{statuses:?}");
    assert_eq!(user_count(&app).await, 1);
}

#[tokio::test]
async fn login_failures_say_the_same_thing_for_unknown_emails_and_wrong_passwords() {
    let app = TestApp::spawn().await;
    let user = app.register_user().await;

    let wrong_password = error_of(app.login(&user.email, "not the password").await, 401).await;
    let unknown_email =
        error_of(app.login("nobody@example.com", "not the password").await, 401).await;

    assert_eq!(wrong_password.message, unknown_email.message);
    assert_eq!(wrong_password.code, "unauthorized");
}

#[tokio::test]
async fn login_accepts_the_email_in_any_case() {
    let app = TestApp::spawn().await;
    let user = app.register_user().await;

    let response = app.login(&user.email.to_uppercase(), &user.password).await;

    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn login_requires_both_fields() {
    let app = TestApp::spawn().await;

    let error = error_of(
        app.post_json("/api/v1/auth/login", &json!({"email": "", "password": ""})).await,
        422,
    )
    .await;

    assert_eq!(error.fields.unwrap().len(), 2);
}

#[tokio::test]
async fn the_profile_can_be_read_and_changed() {
    let app = TestApp::spawn().await;
    let user = app.register_user().await;

    let updated = app
        .authed(Method::PUT, "/api/v1/users/profile", &user.access_token)
        .json(&json!({"name": "Ada L.", "email": "Ada.New@Example.com"}))
        .send()
        .await
        .unwrap();
    let profile =
        app.authed(Method::GET, "/api/v1/users/profile", &user.access_token).send().await.unwrap();

    assert_eq!(updated.status(), 200);
    let profile: serde_json::Value = profile.json().await.unwrap();
    assert_eq!(profile["name"], "Ada L.");
    assert_eq!(profile["email"], "ada.new@example.com");
    assert_eq!(profile["id"], user.id.as_str());
}

#[tokio::test]
async fn a_profile_change_to_a_taken_or_invalid_email_is_refused() {
    let app = TestApp::spawn().await;
    let first = app.register_user().await;
    let second = app.register_user().await;

    let taken = app
        .authed(Method::PUT, "/api/v1/users/profile", &second.access_token)
        .json(&json!({"email": first.email}))
        .send()
        .await
        .unwrap();
    let invalid = app
        .authed(Method::PUT, "/api/v1/users/profile", &second.access_token)
        .json(&json!({"email": "nope", "name": ""}))
        .send()
        .await
        .unwrap();

    assert_eq!(error_of(taken, 409).await.code, "email_taken");
    assert_eq!(error_of(invalid, 422).await.fields.unwrap().len(), 2);
}

#[tokio::test]
async fn the_profile_needs_a_signed_in_user() {
    let app = TestApp::spawn().await;

    let response = app.get("/api/v1/users/profile").await;

    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    assert_eq!(error_of(response, 401).await.code, "unauthorized");
}

#[tokio::test]
async fn changing_the_password_signs_out_every_other_session() {
    let app = TestApp::spawn().await;
    let phone = app.register_user().await;
    let laptop = app.sign_in(&phone).await;

    let changed = app
        .authed(Method::PUT, "/api/v1/users/password", &phone.access_token)
        .json(
            &json!({"current_password": phone.password, "new_password": "a brand new passphrase"}),
        )
        .send()
        .await
        .unwrap();

    assert_eq!(changed.status(), 204);
    let laptop_profile = app
        .authed(Method::GET, "/api/v1/users/profile", &laptop.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(laptop_profile.status(), 401, "other sessions end at once");
    assert_eq!(app.refresh(&laptop.refresh_token).await.status(), 401);
    let phone_profile =
        app.authed(Method::GET, "/api/v1/users/profile", &phone.access_token).send().await.unwrap();
    assert_eq!(phone_profile.status(), 200, "the current session stays");
    assert_eq!(app.login(&phone.email, &phone.password).await.status(), 401);
    assert_eq!(app.login(&phone.email, "a brand new passphrase").await.status(), 200);
}

#[tokio::test]
async fn a_wrong_current_password_changes_nothing() {
    let app = TestApp::spawn().await;
    let user = app.register_user().await;

    let response = app
        .authed(Method::PUT, "/api/v1/users/password", &user.access_token)
        .json(&json!({"current_password": "wrong", "new_password": "a brand new passphrase"}))
        .send()
        .await
        .unwrap();

    assert_eq!(error_of(response, 422).await.fields.unwrap()["current_password"], "is incorrect");
    assert_eq!(app.login(&user.email, &user.password).await.status(), 200);
}

#[tokio::test]
async fn deleting_the_account_needs_the_password_and_ends_every_session() {
    let app = TestApp::spawn().await;
    let user = app.register_user().await;
    let other_session = app.sign_in(&user).await;

    let refused = app
        .authed(Method::DELETE, "/api/v1/users/account", &user.access_token)
        .json(&json!({"password": "wrong"}))
        .send()
        .await
        .unwrap();
    let deleted = app
        .authed(Method::DELETE, "/api/v1/users/account", &user.access_token)
        .json(&json!({"password": user.password}))
        .send()
        .await
        .unwrap();

    assert_eq!(error_of(refused, 422).await.fields.unwrap()["password"], "is incorrect");
    assert_eq!(deleted.status(), 204);
    assert_eq!(refresh_cookie(&deleted).as_deref(), Some(""), "the cookie is cleared");
    let profile = app
        .authed(Method::GET, "/api/v1/users/profile", &other_session.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(profile.status(), 401);
    assert_eq!(app.refresh(&other_session.refresh_token).await.status(), 401);
    assert_eq!(app.login(&user.email, &user.password).await.status(), 401);
    assert_eq!(user_count(&app).await, 0);
}

#[tokio::test]
async fn the_last_admin_cannot_delete_their_own_account() {
    let app = TestApp::spawn().await;
    let admin = app.create_admin().await;

    let response = app
        .authed(Method::DELETE, "/api/v1/users/account", &admin.access_token)
        .json(&json!({"password": admin.password}))
        .send()
        .await
        .unwrap();

    assert_eq!(error_of(response, 409).await.code, "last_admin");
}

#[tokio::test]
async fn names_that_flip_text_and_impossible_email_domains_are_refused_by_field() {
    let app = TestApp::spawn().await;

    let flipped =
        app.register("Eve\u{202E}gpj.exe", "eve@example.com", "correct horse battery").await;
    let bad_domain = app.register("Eve", "a@-example.com", "correct horse battery").await;

    assert!(error_of(flipped, 422).await.fields.unwrap().contains_key("name"));
    assert!(error_of(bad_domain, 422).await.fields.unwrap().contains_key("email"));
    assert_eq!(user_count(&app).await, 0, "nothing was written");
}

#[tokio::test]
async fn the_published_demo_password_cannot_be_chosen() {
    let app = TestApp::spawn().await;

    let response = app.register("Eve", "eve@example.com", "supersecretpassword").await;

    assert!(error_of(response, 422).await.fields.unwrap().contains_key("password"));
    assert_eq!(user_count(&app).await, 0);
}
