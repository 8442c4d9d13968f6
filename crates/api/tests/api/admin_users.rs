//! `/api/v1/admin/users`: admins only, and never without an admin.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{TestApp, error_of};

#[tokio::test]
async fn every_admin_route_refuses_anonymous_and_customer_callers() {
    let app = TestApp::spawn().await;
    let customer = app.register_user().await;
    let admin = app.create_admin().await;
    let target = uuid::Uuid::new_v4();
    let routes = [
        (Method::GET, "/api/v1/admin/users".to_owned(), None),
        (
            Method::POST,
            "/api/v1/admin/users".to_owned(),
            Some(
                json!({"name": "N", "email": "n@example.com", "password": "correct horse battery"}),
            ),
        ),
        (Method::PUT, format!("/api/v1/admin/users/{target}"), Some(json!({"name": "N"}))),
        (Method::DELETE, format!("/api/v1/admin/users/{target}"), None),
    ];

    for (method, path, body) in routes {
        let send = |token: Option<&str>| {
            let mut request = app.client.request(method.clone(), app.url(&path));
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            if let Some(body) = &body {
                request = request.json(body);
            }
            request.send()
        };
        let anonymous = send(None).await.unwrap();
        let as_customer = send(Some(&customer.access_token)).await.unwrap();
        let as_admin = send(Some(&admin.access_token)).await.unwrap();
        assert_eq!(anonymous.status(), 401, "{method} {path} anonymous");
        assert_eq!(as_customer.status(), 403, "{method} {path} customer");
        assert!(
            as_admin.status().is_success() || as_admin.status() == 404,
            "{method} {path} admin: {}",
            as_admin.status()
        );
    }
}

#[tokio::test]
async fn admins_list_and_search_users_a_page_at_a_time() {
    let app = TestApp::spawn().await;
    let admin = app.create_admin().await;
    for n in 0..5 {
        app.register(&format!("Zed {n}"), &format!("zed{n}@example.com"), "correct horse battery")
            .await;
    }

    let page: serde_json::Value = app
        .authed(Method::GET, "/api/v1/admin/users?page=2&page_size=2&q=zed", &admin.access_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let bad = app
        .authed(Method::GET, "/api/v1/admin/users?page_size=1000", &admin.access_token)
        .send()
        .await
        .unwrap();
    let wildcard = app
        .authed(Method::GET, "/api/v1/admin/users?q=%25", &admin.access_token)
        .send()
        .await
        .unwrap();

    assert_eq!(page["total"], 5);
    assert_eq!(page["page"], 2);
    assert_eq!(page["page_size"], 2);
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    assert!(error_of(bad, 422).await.fields.unwrap().contains_key("page_size"));
    let wildcard: serde_json::Value = wildcard.json().await.unwrap();
    assert_eq!(wildcard["total"], 0, "% is searched for literally");
}

#[tokio::test]
async fn admins_create_users_of_either_role() {
    let app = TestApp::spawn().await;
    let admin = app.create_admin().await;

    let created = app
        .authed(Method::POST, "/api/v1/admin/users", &admin.access_token)
        .json(&json!({"name": "Grace", "email": "Grace@Example.com", "password": "correct horse battery", "role": "admin"}))
        .send()
        .await
        .unwrap();
    let invalid = app
        .authed(Method::POST, "/api/v1/admin/users", &admin.access_token)
        .json(&json!({"name": "", "email": "grace2@example.com", "password": "correct horse battery", "role": "root"}))
        .send()
        .await
        .unwrap();

    assert_eq!(created.status(), 201);
    let body: serde_json::Value = created.json().await.unwrap();
    assert_eq!(
        (body["email"].as_str(), body["role"].as_str()),
        (Some("grace@example.com"), Some("admin"))
    );
    let fields = error_of(invalid, 422).await.fields.unwrap();
    assert!(fields.contains_key("name") && fields.contains_key("role"), "{fields:?}");
    assert_eq!(app.login("grace@example.com", "correct horse battery").await.status(), 200);
}

#[tokio::test]
async fn an_admin_cannot_demote_or_delete_the_last_admin() {
    let app = TestApp::spawn().await;
    let admin = app.create_admin().await;

    let demote = app
        .authed(Method::PUT, &format!("/api/v1/admin/users/{}", admin.id), &admin.access_token)
        .json(&json!({"role": "user"}))
        .send()
        .await
        .unwrap();
    let delete = app
        .authed(Method::DELETE, &format!("/api/v1/admin/users/{}", admin.id), &admin.access_token)
        .send()
        .await
        .unwrap();

    assert_eq!(error_of(demote, 409).await.code, "last_admin");
    assert_eq!(error_of(delete, 409).await.code, "last_admin");
}

#[tokio::test]
async fn with_two_admins_one_may_step_down() {
    let app = TestApp::spawn().await;
    let first = app.create_admin().await;
    let second = app.create_admin().await;

    let demote = app
        .authed(Method::PUT, &format!("/api/v1/admin/users/{}", first.id), &first.access_token)
        .json(&json!({"role": "user"}))
        .send()
        .await
        .unwrap();
    let again = app
        .authed(Method::PUT, &format!("/api/v1/admin/users/{}", second.id), &second.access_token)
        .json(&json!({"role": "user"}))
        .send()
        .await
        .unwrap();

    assert_eq!(demote.status(), 200);
    assert_eq!(error_of(again, 409).await.code, "last_admin");
    let as_demoted =
        app.authed(Method::GET, "/api/v1/admin/users", &first.access_token).send().await.unwrap();
    assert_eq!(as_demoted.status(), 403, "the demotion applies at once");
}

#[tokio::test]
async fn two_admins_demoting_each_other_at_once_leave_one() {
    let app = TestApp::spawn().await;
    let first = app.create_admin().await;
    let second = app.create_admin().await;
    let demote = |actor: &crate::helpers::TestUser, target: &crate::helpers::TestUser| {
        app.authed(Method::PUT, &format!("/api/v1/admin/users/{}", target.id), &actor.access_token)
            .json(&json!({"role": "user"}))
            .send()
    };

    let (a, b) = tokio::join!(demote(&first, &second), demote(&second, &first));

    let statuses = [a.unwrap().status().as_u16(), b.unwrap().status().as_u16()];
    let admins: i64 = sqlx::query_scalar("SELECT count(*) FROM users WHERE role = 'admin'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(admins, 1, "{statuses:?}");
}

#[tokio::test]
async fn admins_rename_and_delete_users() {
    let app = TestApp::spawn().await;
    let admin = app.create_admin().await;
    let user = app.register_user().await;

    let renamed = app
        .authed(Method::PUT, &format!("/api/v1/admin/users/{}", user.id), &admin.access_token)
        .json(&json!({"name": "Renamed", "email": "renamed@example.com"}))
        .send()
        .await
        .unwrap();
    let deleted = app
        .authed(Method::DELETE, &format!("/api/v1/admin/users/{}", user.id), &admin.access_token)
        .send()
        .await
        .unwrap();
    let again = app
        .authed(Method::DELETE, &format!("/api/v1/admin/users/{}", user.id), &admin.access_token)
        .send()
        .await
        .unwrap();

    let renamed: serde_json::Value = renamed.json().await.unwrap();
    assert_eq!(renamed["name"], "Renamed");
    assert_eq!(renamed["email"], "renamed@example.com");
    assert_eq!(deleted.status(), 204);
    assert_eq!(again.status(), 404);
    let profile =
        app.authed(Method::GET, "/api/v1/users/profile", &user.access_token).send().await.unwrap();
    assert_eq!(profile.status(), 401, "a deleted user's sessions are gone");
}
