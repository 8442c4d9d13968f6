//! The address book: validation, ownership, defaults and the cap.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, error_of};

fn address(name: &str) -> Value {
    json!({
        "name": name, "phone": "+1 555 010 0199", "street1": "1 Infinite Loop", "street2": "Suite 2",
        "city": "Cupertino", "state": "CA", "postal_code": "95014", "country": "us"
    })
}

async fn add(app: &TestApp, token: &str, body: Value) -> reqwest::Response {
    app.authed(Method::POST, "/api/v1/addresses", token).json(&body).send().await.unwrap()
}

#[tokio::test]
async fn addresses_are_added_listed_read_updated_and_deleted() {
    let app = TestApp::spawn().await;
    let user = app.register_user().await;

    let created = add(&app, &user.access_token, address("Home")).await;
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    let id = created["id"].as_str().unwrap();
    let path = format!("/api/v1/addresses/{id}");
    let mut changed = address("Work");
    changed["country"] = json!("DE");
    let updated: Value = app
        .authed(Method::PUT, &path, &user.access_token)
        .json(&changed)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let read: Value = app
        .authed(Method::GET, &path, &user.access_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let list: Value = app
        .authed(Method::GET, "/api/v1/addresses", &user.access_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let deleted = app.authed(Method::DELETE, &path, &user.access_token).send().await.unwrap();
    let after = app.authed(Method::GET, &path, &user.access_token).send().await.unwrap();

    assert_eq!(created["country"], "US");
    assert_eq!(updated["name"], "Work");
    assert_eq!(read["country"], "DE");
    assert_eq!(list["total"], 1);
    assert_eq!(deleted.status(), 204);
    assert_eq!(after.status(), 404);
}

#[tokio::test]
async fn every_invalid_address_field_is_named_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let user = app.register_user().await;

    let error = error_of(
        add(&app, &user.access_token, json!({"phone": "x", "country": "ZZ", "postal_code": "!"}))
            .await,
        422,
    )
    .await;

    let fields = error.fields.unwrap();
    for field in ["name", "phone", "street1", "city", "postal_code", "country"] {
        assert!(fields.contains_key(field), "{field}: {fields:?}");
    }
    let count: i64 =
        sqlx::query_scalar("SELECT count(*) FROM addresses").fetch_one(&app.db).await.unwrap();
    assert_eq!(count, 0);
}

#[tokio::test]
async fn another_users_address_is_a_404_for_every_method() {
    let app = TestApp::spawn().await;
    let owner = app.register_user().await;
    let other = app.register_user().await;
    let created: Value =
        add(&app, &owner.access_token, address("Home")).await.json().await.unwrap();
    let path = format!("/api/v1/addresses/{}", created["id"].as_str().unwrap());

    let get = app.authed(Method::GET, &path, &other.access_token).send().await.unwrap();
    let put = app
        .authed(Method::PUT, &path, &other.access_token)
        .json(&address("Stolen"))
        .send()
        .await
        .unwrap();
    let delete = app.authed(Method::DELETE, &path, &other.access_token).send().await.unwrap();
    let default = app
        .authed(Method::PUT, &format!("{path}/set-default"), &other.access_token)
        .json(&json!({"type": "both"}))
        .send()
        .await
        .unwrap();
    let list: Value = app
        .authed(Method::GET, "/api/v1/addresses", &other.access_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    for response in [get, put, delete, default] {
        assert_eq!(error_of(response, 404).await.code, "not_found");
    }
    assert_eq!(list["total"], 0);
    let still: Value = app
        .authed(Method::GET, &path, &owner.access_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(still["name"], "Home");
}

#[tokio::test]
async fn there_is_at_most_one_default_of_each_kind() {
    let app = TestApp::spawn().await;
    let user = app.register_user().await;
    let mut first = address("First");
    first["is_default_shipping"] = json!(true);
    first["is_default_billing"] = json!(true);
    let first: Value = add(&app, &user.access_token, first).await.json().await.unwrap();
    let second: Value =
        add(&app, &user.access_token, address("Second")).await.json().await.unwrap();

    let shipping = app
        .authed(
            Method::PUT,
            &format!("/api/v1/addresses/{}/set-default", second["id"].as_str().unwrap()),
            &user.access_token,
        )
        .json(&json!({"type": "shipping"}))
        .send()
        .await
        .unwrap();
    let bad = app
        .authed(
            Method::PUT,
            &format!("/api/v1/addresses/{}/set-default", second["id"].as_str().unwrap()),
            &user.access_token,
        )
        .json(&json!({"type": "gift"}))
        .send()
        .await
        .unwrap();
    let list: Value = app
        .authed(Method::GET, "/api/v1/addresses", &user.access_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    assert_eq!(shipping.status(), 200);
    assert!(error_of(bad, 422).await.fields.unwrap().contains_key("type"));
    let items = list["items"].as_array().unwrap();
    let by_id = |id: &Value| items.iter().find(|a| a["id"] == *id).unwrap().clone();
    assert_eq!(
        (
            by_id(&first["id"])["is_default_shipping"].clone(),
            by_id(&first["id"])["is_default_billing"].clone()
        ),
        (json!(false), json!(true))
    );
    assert_eq!(
        (
            by_id(&second["id"])["is_default_shipping"].clone(),
            by_id(&second["id"])["is_default_billing"].clone()
        ),
        (json!(true), json!(false))
    );
}

#[tokio::test]
async fn concurrent_default_changes_leave_exactly_one_default() {
    let app = TestApp::spawn().await;
    let user = app.register_user().await;
    let mut ids = Vec::new();
    for n in 0..6 {
        let created: Value =
            add(&app, &user.access_token, address(&format!("A{n}"))).await.json().await.unwrap();
        ids.push(created["id"].as_str().unwrap().to_owned());
    }

    let mut changes = tokio::task::JoinSet::new();
    for id in ids {
        let (client, url, token) = (
            app.client.clone(),
            app.url(&format!("/api/v1/addresses/{id}/set-default")),
            user.access_token.clone(),
        );
        changes.spawn(async move {
            client
                .put(url)
                .bearer_auth(token)
                .json(&json!({"type": "both"}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        });
    }
    let statuses = changes.join_all().await;

    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    let defaults: (i64, i64) = sqlx::query_as("SELECT count(*) FILTER (WHERE is_default_shipping), count(*) FILTER (WHERE is_default_billing) FROM addresses")
        .fetch_one(&app.db).await.unwrap();
    assert_eq!(defaults, (1, 1));
}

#[tokio::test]
async fn an_address_book_holds_at_most_twenty() {
    let app = TestApp::spawn().await;
    let user = app.register_user().await;
    for n in 0..20 {
        assert_eq!(add(&app, &user.access_token, address(&format!("A{n}"))).await.status(), 201);
    }

    let twenty_first = add(&app, &user.access_token, address("One too many")).await;

    assert_eq!(error_of(twenty_first, 409).await.code, "address_limit");
}

#[tokio::test]
async fn the_address_book_needs_a_signed_in_user() {
    let app = TestApp::spawn().await;

    assert_eq!(app.get("/api/v1/addresses").await.status(), 401);
}
