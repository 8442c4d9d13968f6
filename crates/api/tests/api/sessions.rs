//! Refresh-token rotation, reuse detection, logout, the session list and cap,
//! and the same-origin rule for cookie-authenticated requests.

use reqwest::Method;

use crate::helpers::{TestApp, error_of, refresh_cookie};

async fn profile_status(app: &TestApp, token: &str) -> u16 {
    app.authed(Method::GET, "/api/v1/users/profile", token).send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn refreshing_rotates_the_cookie_and_gives_a_working_access_token() {
    let app = TestApp::spawn().await;
    let user = app.register_user().await;

    let response = app.refresh(&user.refresh_token).await;

    assert_eq!(response.status(), 200);
    let rotated = refresh_cookie(&response).unwrap();
    assert_ne!(rotated, user.refresh_token);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(profile_status(&app, body["access_token"].as_str().unwrap()).await, 200);
    assert_eq!(app.refresh(&rotated).await.status(), 200, "the new token works once");
}

/// Moves every rotation of the test database back past the reuse grace.
async fn age_rotations(app: &TestApp) {
    sqlx::query("UPDATE refresh_tokens SET used_at = used_at - interval '11 seconds' WHERE used_at IS NOT NULL")
        .execute(&app.db)
        .await
        .unwrap();
}

#[tokio::test]
async fn reusing_a_rotated_refresh_token_after_the_grace_revokes_the_whole_session() {
    let app = TestApp::spawn().await;
    let user = app.register_user().await;
    let rotated = refresh_cookie(&app.refresh(&user.refresh_token).await).unwrap();
    age_rotations(&app).await;

    let replay = app.refresh(&user.refresh_token).await;

    assert_eq!(error_of(replay, 401).await.code, "unauthorized");
    assert_eq!(
        app.refresh(&rotated).await.status(),
        401,
        "the thief's and the owner's tokens both die"
    );
    assert_eq!(profile_status(&app, &user.access_token).await, 401, "so do its access tokens");
}

#[tokio::test]
async fn two_tabs_refreshing_at_once_both_stay_signed_in_with_the_same_new_token() {
    let app = TestApp::spawn().await;
    let user = app.register_user().await;

    let (first, second) =
        tokio::join!(app.refresh(&user.refresh_token), app.refresh(&user.refresh_token));

    assert_eq!((first.status().as_u16(), second.status().as_u16()), (200, 200));
    let (first_token, second_token) =
        (refresh_cookie(&first).unwrap(), refresh_cookie(&second).unwrap());
    assert_eq!(first_token, second_token, "one replacement, not two sessions");
    for response in [first, second] {
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(profile_status(&app, body["access_token"].as_str().unwrap()).await, 200);
    }
    let live: i64 = sqlx::query_scalar("SELECT count(*) FROM sessions WHERE revoked_at IS NULL")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(live, 1);
    assert_eq!(app.refresh(&first_token).await.status(), 200, "the shared token works");
}

#[tokio::test]
async fn only_the_token_just_replaced_gets_the_grace() {
    let app = TestApp::spawn().await;
    let user = app.register_user().await;
    let second = refresh_cookie(&app.refresh(&user.refresh_token).await).unwrap();
    let third = refresh_cookie(&app.refresh(&second).await).unwrap();

    // The first token is two rotations old: presenting it is theft, grace or not.
    let stale = app.refresh(&user.refresh_token).await;

    assert_eq!(stale.status(), 401);
    assert_eq!(app.refresh(&third).await.status(), 401, "the session was revoked");
}

#[tokio::test]
async fn refresh_without_a_cookie_or_with_garbage_is_401() {
    let app = TestApp::spawn().await;

    let none = app.client.post(app.url("/api/v1/auth/refresh")).send().await.unwrap();
    let garbage = app.refresh("not-a-real-token").await;

    assert_eq!(none.status(), 401);
    assert_eq!(garbage.status(), 401);
}

#[tokio::test]
async fn after_logout_neither_refresh_nor_access_token_works() {
    let app = TestApp::spawn().await;
    let user = app.register_user().await;

    let response = app
        .client
        .post(app.url("/api/v1/auth/logout"))
        .header("cookie", format!("refresh_token={}", user.refresh_token))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 204);
    assert_eq!(refresh_cookie(&response).as_deref(), Some(""), "the cookie is cleared");
    assert_eq!(app.refresh(&user.refresh_token).await.status(), 401);
    assert_eq!(profile_status(&app, &user.access_token).await, 401);
}

#[tokio::test]
async fn logout_without_a_cookie_is_harmless() {
    let app = TestApp::spawn().await;

    let response = app.client.post(app.url("/api/v1/auth/logout")).send().await.unwrap();

    assert_eq!(response.status(), 204);
}

#[tokio::test]
async fn sessions_list_the_callers_devices_and_mark_the_current_one() {
    let app = TestApp::spawn().await;
    let user = app.register_user().await;
    let laptop = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("user-agent", "Laptop Browser/1.0")
        .json(&serde_json::json!({"email": user.email, "password": user.password}))
        .send()
        .await
        .unwrap();
    let laptop =
        crate::helpers::TestUser::from_response(laptop, user.email.clone(), user.password.clone())
            .await;
    let stranger = app.register_user().await;

    let response = app
        .authed(Method::GET, "/api/v1/auth/sessions", &laptop.access_token)
        .send()
        .await
        .unwrap();

    let body: serde_json::Value = response.json().await.unwrap();
    let items = body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "the stranger's session is not listed: {stranger:?}");
    assert_eq!(body["total"], 2);
    let current: Vec<_> = items.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0]["user_agent"], "Laptop Browser/1.0");
    assert!(current[0]["created_at"].is_string() && current[0]["last_used_at"].is_string());
}

#[tokio::test]
async fn one_session_can_be_revoked_but_not_someone_elses() {
    let app = TestApp::spawn().await;
    let user = app.register_user().await;
    let other_device = app.sign_in(&user).await;
    let stranger = app.register_user().await;
    let sessions: serde_json::Value = app
        .authed(Method::GET, "/api/v1/auth/sessions", &user.access_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let other_id =
        sessions["items"].as_array().unwrap().iter().find(|s| s["current"] == false).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();

    let by_stranger = app
        .authed(
            Method::DELETE,
            &format!("/api/v1/auth/sessions/{other_id}"),
            &stranger.access_token,
        )
        .send()
        .await
        .unwrap();
    let by_owner = app
        .authed(Method::DELETE, &format!("/api/v1/auth/sessions/{other_id}"), &user.access_token)
        .send()
        .await
        .unwrap();
    let malformed = app
        .authed(Method::DELETE, "/api/v1/auth/sessions/123", &user.access_token)
        .send()
        .await
        .unwrap();

    assert_eq!(error_of(by_stranger, 404).await.code, "not_found");
    assert_eq!(by_owner.status(), 204);
    assert_eq!(malformed.status(), 404);
    assert_eq!(profile_status(&app, &other_device.access_token).await, 401);
    assert_eq!(app.refresh(&other_device.refresh_token).await.status(), 401);
    assert_eq!(profile_status(&app, &user.access_token).await, 200);
}

#[tokio::test]
async fn revoking_all_sessions_ends_the_current_one_too() {
    let app = TestApp::spawn().await;
    let user = app.register_user().await;
    let other = app.sign_in(&user).await;

    let response = app
        .authed(Method::DELETE, "/api/v1/auth/sessions", &user.access_token)
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 204);
    assert_eq!(profile_status(&app, &user.access_token).await, 401);
    assert_eq!(profile_status(&app, &other.access_token).await, 401);
    assert_eq!(app.refresh(&other.refresh_token).await.status(), 401);
}

#[tokio::test]
async fn a_sixth_login_revokes_the_oldest_session() {
    let app = TestApp::spawn().await;
    let first = app.register_user().await;
    let mut latest = first.clone();
    for _ in 0..5 {
        latest = app.sign_in(&first).await;
    }

    let sessions: serde_json::Value = app
        .authed(Method::GET, "/api/v1/auth/sessions", &latest.access_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    assert_eq!(sessions["total"], 5);
    assert_eq!(app.refresh(&first.refresh_token).await.status(), 401, "the oldest is gone");
    assert_eq!(profile_status(&app, &first.access_token).await, 401);
}

#[tokio::test]
async fn cookie_requests_from_foreign_origins_are_refused() {
    let app = TestApp::spawn_with(
        |env| env.set("CORS_ALLOW_ORIGINS", "https://shop.example.com"),
        Default::default(),
    )
    .await;
    let user = app.register_user().await;
    let refresh_from = |origin: &'static str, token: String| {
        app.client
            .post(app.url("/api/v1/auth/refresh"))
            .header("cookie", format!("refresh_token={token}"))
            .header("origin", origin)
            .send()
    };

    let foreign =
        refresh_from("https://evil.example.net", user.refresh_token.clone()).await.unwrap();
    let foreign_logout = app
        .client
        .post(app.url("/api/v1/auth/logout"))
        .header("cookie", format!("refresh_token={}", user.refresh_token))
        .header("origin", "https://evil.example.net")
        .send()
        .await
        .unwrap();
    let listed =
        refresh_from("https://shop.example.com", user.refresh_token.clone()).await.unwrap();

    assert_eq!(error_of(foreign, 403).await.code, "forbidden");
    assert_eq!(foreign_logout.status(), 403);
    assert_eq!(listed.status(), 200, "the refused attempts did not spend the token");
}

#[tokio::test]
async fn the_api_own_origin_is_allowed() {
    let app = TestApp::spawn_with(
        |env| env.set("PUBLIC_URL", "https://api.example.com"),
        Default::default(),
    )
    .await;
    let user = app.register_user().await;

    let response = app
        .client
        .post(app.url("/api/v1/auth/refresh"))
        .header("cookie", format!("refresh_token={}", user.refresh_token))
        .header("origin", "https://api.example.com")
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn cors_allows_credentials_only_for_listed_origins() {
    let app = TestApp::spawn_with(
        |env| env.set("CORS_ALLOW_ORIGINS", "https://shop.example.com"),
        Default::default(),
    )
    .await;
    let preflight = |origin: &'static str| {
        app.client
            .request(Method::OPTIONS, app.url("/api/v1/auth/login"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .send()
    };

    let listed = preflight("https://shop.example.com").await.unwrap();
    let other = preflight("https://evil.example.net").await.unwrap();

    assert_eq!(listed.headers()["access-control-allow-origin"], "https://shop.example.com");
    assert_eq!(listed.headers()["access-control-allow-credentials"], "true");
    assert!(other.headers().get("access-control-allow-origin").is_none());
}
