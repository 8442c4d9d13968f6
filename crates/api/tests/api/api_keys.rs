//! API keys: made by an admin and shown once, honoured on the admin routes
//! their scopes allow and refused everywhere else, stopped at once by
//! revocation, expiry or their admin's demotion.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, error_of, names_field};

async fn make_key(app: &TestApp, admin: &TestUser, scopes: &[&str]) -> Value {
    let answer = app
        .authed(Method::POST, "/api/v1/admin/api-keys", &admin.access_token)
        .json(&json!({"name": "warehouse sync", "scopes": scopes}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 201);
    answer.json().await.unwrap()
}

async fn with_key(
    app: &TestApp,
    key: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> u16 {
    let mut request = app.authed(method, path, key);
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn a_key_reaches_only_the_admin_routes_its_scopes_allow() {
    let app = TestApp::spawn_shop().await;
    let admin = app.create_admin().await;
    let made = make_key(&app, &admin, &["catalog:read", "orders:read"]).await;
    let key = made["key"].as_str().unwrap();
    assert!(key.starts_with("gk_"));
    assert_eq!(made["prefix"].as_str().unwrap(), &key[..11]);
    assert_eq!(made["scopes"], json!(["catalog:read", "orders:read"]));

    // Shown once: the list never carries it, and only its hash is stored.
    let list: Value = app
        .authed(Method::GET, "/api/v1/admin/api-keys", &admin.access_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(!list.to_string().contains(key));
    let stored: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM api_keys WHERE key_hash = sha256(convert_to($1, 'UTF8'))",
    )
    .bind(key)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(stored, 1);

    assert_eq!(
        with_key(&app, key, Method::GET, "/api/v1/admin/inventory/low-stock", None).await,
        200
    );
    assert_eq!(with_key(&app, key, Method::GET, "/api/v1/admin/orders", None).await, 200);
    // Writes need a write scope; other families and every other route are closed.
    let category = json!({"name": "Garden"});
    let refused = app
        .authed(Method::POST, "/api/v1/admin/categories", key)
        .json(&category)
        .send()
        .await
        .unwrap();
    let error = error_of(refused, 403).await;
    assert!(error.message.contains("catalog:write"), "{}", error.message);
    for (method, path) in [
        (Method::GET, "/api/v1/admin/webhooks"),
        (Method::GET, "/api/v1/admin/users"),
        (Method::GET, "/api/v1/admin/api-keys"),
        (Method::GET, "/api/v1/admin/discounts"),
        (Method::GET, "/api/v1/users/profile"),
        (Method::GET, "/api/v1/cart"),
    ] {
        let status = with_key(&app, key, method.clone(), path, None).await;
        assert_eq!(status, 403, "{method} {path}");
    }
    // A write scope reads too, and writes.
    let writer = make_key(&app, &admin, &["catalog:write"]).await;
    let writer = writer["key"].as_str().unwrap();
    assert_eq!(
        with_key(&app, writer, Method::POST, "/api/v1/admin/categories", Some(category)).await,
        201
    );
    assert_eq!(
        with_key(&app, writer, Method::GET, "/api/v1/admin/inventory/low-stock", None).await,
        200
    );

    let used: Value = app
        .authed(Method::GET, "/api/v1/admin/api-keys", &admin.access_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(used["items"].as_array().unwrap().iter().all(|k| k["last_used_at"].is_string()));
}

#[tokio::test]
async fn revoked_expired_and_orphaned_keys_stop_at_once() {
    let app = TestApp::spawn().await;
    let admin = app.create_admin().await;
    let path = "/api/v1/admin/inventory/low-stock";
    let revoked = make_key(&app, &admin, &["catalog:read"]).await;
    let key = revoked["key"].as_str().unwrap();
    assert_eq!(with_key(&app, key, Method::GET, path, None).await, 200);
    let revoke = format!("/api/v1/admin/api-keys/{}", revoked["id"].as_str().unwrap());
    let answer = app.authed(Method::DELETE, &revoke, &admin.access_token).send().await.unwrap();
    assert_eq!(answer.status(), 204);
    assert_eq!(with_key(&app, key, Method::GET, path, None).await, 401);

    let expiring = make_key(&app, &admin, &["catalog:read"]).await;
    sqlx::query("UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = $1::uuid")
        .bind(expiring["id"].as_str().unwrap())
        .execute(&app.db)
        .await
        .unwrap();
    assert_eq!(
        with_key(&app, expiring["key"].as_str().unwrap(), Method::GET, path, None).await,
        401
    );

    // A key is never more than its admin: demoted, their keys stop.
    let other = app.create_admin().await;
    let theirs = make_key(&app, &other, &["catalog:read"]).await;
    let theirs = theirs["key"].as_str().unwrap();
    assert_eq!(with_key(&app, theirs, Method::GET, path, None).await, 200);
    sqlx::query("UPDATE users SET role = 'user' WHERE email = $1")
        .bind(&other.email)
        .execute(&app.db)
        .await
        .unwrap();
    assert_eq!(with_key(&app, theirs, Method::GET, path, None).await, 401);

    // An expiry in the past, no scopes, no name, an unknown scope: 422, nothing made.
    for (body, field) in [
        (
            json!({"name": "x", "scopes": ["catalog:read"], "expires_at": "2000-01-01T00:00:00Z"}),
            "expires_at",
        ),
        (json!({"name": "x", "scopes": []}), "scopes"),
        (json!({"name": "", "scopes": ["catalog:read"]}), "name"),
        (json!({"name": "x", "scopes": ["everything"]}), "scopes"),
    ] {
        let answer = app
            .authed(Method::POST, "/api/v1/admin/api-keys", &admin.access_token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let error = error_of(answer, 422).await;
        assert!(names_field(&error, field), "{body}: {error:?}");
    }
    let count: i64 =
        sqlx::query_scalar("SELECT count(*) FROM api_keys").fetch_one(&app.db).await.unwrap();
    assert_eq!(count, 3);
}

#[tokio::test]
async fn guessing_keys_is_throttled_like_signing_in() {
    let app =
        TestApp::spawn_with(|env| env.set("AUTH_RATE_LIMIT_PER_MINUTE", "3"), axum::Router::new())
            .await;
    let path = "/api/v1/admin/orders";
    for _ in 0..3 {
        assert_eq!(
            with_key(&app, "gk_notakeynotakeynotakeynotakeynotakeynotak", Method::GET, path, None)
                .await,
            401
        );
    }
    assert_eq!(
        with_key(&app, "gk_notakeynotakeynotakeynotakeynotakeynotak", Method::GET, path, None)
            .await,
        429
    );
}
