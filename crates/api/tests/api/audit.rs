//! The audit log: each admin write that succeeded is recorded with who made
//! it (and with which API key), the request id, and its subject before and
//! after; refused writes and everyone else's writes are not; admins list it
//! by subject.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{AdminShop, error_of, names_field};

async fn entries(shop: &AdminShop, query: &str) -> Value {
    let response = shop.send(Method::GET, &format!("/api/v1/admin/audit{query}"), None).await;
    assert_eq!(response.status(), 200, "{query}");
    response.json().await.unwrap()
}

#[tokio::test]
async fn admin_writes_are_recorded_with_who_the_request_and_what_changed() {
    let shop = AdminShop::spawn().await;
    let app = &shop.app;
    let email: String = sqlx::query_scalar("SELECT email FROM users WHERE role = 'admin'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let kettle = app.set_stock("K-001", 10).await;

    // An update: the product before and after, and what changed.
    let updated = shop
        .send(
            Method::PUT,
            &format!("/api/v1/admin/products/{kettle}"),
            Some(json!({"name": "Copper Kettle"})),
        )
        .await;
    assert_eq!(updated.status(), 200);
    let request_id = updated.headers()["x-request-id"].to_str().unwrap().to_owned();
    let about = entries(&shop, &format!("?subject_type=product&subject_id={kettle}")).await;
    assert_eq!(about["total"], 1, "{about}");
    let entry = &about["items"][0];
    assert_eq!(
        (entry["actor"].as_str(), entry["method"].as_str()),
        (Some(email.as_str()), Some("PUT"))
    );
    assert_eq!(entry["request_id"], request_id);
    assert_eq!(entry["status"], 200);
    assert_ne!(entry["before"]["name"], "Copper Kettle");
    assert_eq!(entry["after"]["name"], "Copper Kettle");
    assert!(entry["changed"].as_array().unwrap().contains(&json!("name")), "{entry}");
    assert!(entry["after"]["variants"].is_array(), "a product comes with its variants");

    // A create: no before, the new subject after, found by its id.
    let made = shop.created("/api/v1/admin/categories", json!({"name": "Garden"})).await;
    let about = entries(
        &shop,
        &format!("?subject_type=category&subject_id={}", made["id"].as_str().unwrap()),
    )
    .await;
    assert_eq!(about["items"][0]["before"], Value::Null);
    assert_eq!(about["items"][0]["after"]["name"], "Garden");
    // A delete: what was there before, nothing after.
    let garden = made["id"].as_str().unwrap();
    let deleted =
        shop.send(Method::DELETE, &format!("/api/v1/admin/categories/{garden}"), None).await;
    assert_eq!(deleted.status(), 204);
    let about = entries(&shop, &format!("?subject_type=category&subject_id={garden}")).await;
    assert_eq!(about["total"], 2);
    let entry = &about["items"][0];
    assert_eq!((entry["method"].as_str(), entry["status"].as_i64()), (Some("DELETE"), Some(204)));
    assert_eq!((entry["before"]["name"].as_str(), &entry["after"]), (Some("Garden"), &Value::Null));

    // A user's record never carries the password hash.
    let target = app.register_user().await;
    let renamed = shop
        .send(
            Method::PUT,
            &format!("/api/v1/admin/users/{}", target.id),
            Some(json!({"name": "Renamed"})),
        )
        .await;
    assert_eq!(renamed.status(), 200);
    let about = entries(&shop, &format!("?subject_type=user&subject_id={}", target.id)).await;
    let entry = &about["items"][0];
    assert_eq!(entry["after"]["name"], "Renamed");
    assert!(
        entry["before"].get("password_hash").is_none()
            && entry["after"].get("password_hash").is_none(),
        "{entry}"
    );
    assert_eq!(entry["changed"], json!(["name"]));

    // An API key's write names the key and the admin it acts for.
    let key: Value = shop
        .created("/api/v1/admin/api-keys", json!({"name": "sync", "scopes": ["catalog:write"]}))
        .await;
    let stocked = app
        .authed(
            Method::PATCH,
            &format!("/api/v1/admin/products/{kettle}/stock"),
            key["key"].as_str().unwrap(),
        )
        .json(&json!({"quantity": 4}))
        .send()
        .await
        .unwrap();
    assert_eq!(stocked.status(), 200);
    let about = entries(&shop, &format!("?subject_type=product&subject_id={kettle}")).await;
    assert_eq!(about["total"], 2);
    let entry = &about["items"][0];
    assert_eq!(entry["api_key_id"], key["id"], "{entry}");
    assert_eq!(entry["actor"], email.as_str());
    assert_eq!(entry["path"], format!("/api/v1/admin/products/{kettle}/stock"));
    let stock = |side: &str| entry[side]["variants"][0]["stock_quantity"].as_i64();
    assert_eq!((stock("before"), stock("after")), (Some(10), Some(4)));
    let created_key = entries(
        &shop,
        &format!("?subject_type=api_key&subject_id={}", key["id"].as_str().unwrap()),
    )
    .await;
    assert!(created_key["items"][0]["after"].get("key_hash").is_none(), "{created_key}");

    // Refused writes, and writes that are not an admin's, are not recorded.
    let total = entries(&shop, "").await["total"].as_i64().unwrap();
    let refused = shop
        .send(Method::PUT, &format!("/api/v1/admin/products/{kettle}"), Some(json!({"name": ""})))
        .await;
    assert_eq!(refused.status(), 422);
    let (customer, _) = app.customer().await;
    let forbidden = app
        .authed(Method::PUT, &format!("/api/v1/admin/products/{kettle}"), &customer.access_token)
        .json(&json!({"name": "Mine now"}))
        .send()
        .await
        .unwrap();
    assert_eq!(forbidden.status(), 403);
    assert_eq!(entries(&shop, "").await["total"].as_i64().unwrap(), total, "nothing more recorded");

    // Only admins read it, and its filters are checked.
    let peek = app
        .authed(Method::GET, "/api/v1/admin/audit", &customer.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(peek.status(), 403);
    for (query, field) in [
        ("?subject_type=spaceship", "subject_type"),
        ("?subject_type=product&subject_id=nope", "subject_id"),
        (&format!("?subject_id={kettle}") as &str, "subject_type"),
    ] {
        let refused = shop.send(Method::GET, &format!("/api/v1/admin/audit{query}"), None).await;
        assert!(names_field(&error_of(refused, 422).await, field), "{query}");
    }
}

#[tokio::test]
async fn order_actions_and_refunds_are_recorded_against_the_order() {
    let shop = AdminShop::spawn().await;
    let app = &shop.app;
    let kettle = app.set_stock("K-001", 10).await;
    let (user, address) = app.customer().await;
    crate::helpers::add_to_cart(app, &user, &kettle, 1).await;
    let order: Value = crate::helpers::checkout(app, &user, &address).await.json().await.unwrap();
    let id = order["id"].as_str().unwrap();

    let noted = shop
        .send(
            Method::POST,
            &format!("/api/v1/admin/orders/{id}/notes"),
            Some(json!({"note": "VIP"})),
        )
        .await;
    assert_eq!(noted.status(), 201);
    let refunded = shop
        .send(
            Method::POST,
            &format!("/api/v1/admin/orders/{id}/refunds"),
            Some(json!({"amount": 500, "reason": "late"})),
        )
        .await;
    assert_eq!(refunded.status(), 201);

    let about = entries(&shop, &format!("?subject_type=order&subject_id={id}")).await;
    assert_eq!(about["total"], 2, "{about}");
    let (refund, note) = (&about["items"][0], &about["items"][1]);
    assert_eq!(note["path"], format!("/api/v1/admin/orders/{id}/notes"));
    let last_note = note["after"]["timeline"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last_note["note"].as_str(), last_note["internal"].as_bool()),
        (Some("VIP"), Some(true))
    );
    assert_eq!(refund["before"]["payment_status"], "paid");
    assert_eq!(refund["after"]["payment_status"], "partially_refunded");
    assert_eq!(refund["after"]["refunds"][0]["amount"], 500);
    assert!(refund["changed"].as_array().unwrap().contains(&json!("payment_status")), "{refund}");

    // A return's steps are the return's entries, and in the order's history.
    sqlx::query(
        "WITH moved AS (UPDATE orders SET status = 'delivered' WHERE id = $1::uuid RETURNING id)
         INSERT INTO order_events (order_id, status, actor) SELECT id, 'delivered', 'fulfillment'
         FROM moved",
    )
    .bind(id)
    .execute(&app.db)
    .await
    .unwrap();
    let line = order["items"][0]["id"].clone();
    let asked: Value = app
        .authed(Method::POST, &format!("/api/v1/orders/{id}/returns"), &user.access_token)
        .json(&json!({"items": [{"order_item_id": line, "quantity": 1, "reason": "too big"}]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ret = asked["id"].as_str().unwrap();
    let approve = format!("/api/v1/admin/returns/{ret}/approve");
    assert_eq!(shop.send(Method::POST, &approve, Some(json!({}))).await.status(), 200);
    let about = entries(&shop, &format!("?subject_type=order&subject_id={id}")).await;
    assert_eq!(about["total"], 3, "{about}");
    let step = &about["items"][0];
    assert_eq!(
        (step["subject_type"].as_str(), step["subject_id"].as_str()),
        (Some("return"), Some(ret))
    );
    assert_eq!(
        (step["before"]["status"].as_str(), step["after"]["status"].as_str()),
        (Some("requested"), Some("approved"))
    );
    let returns = entries(&shop, &format!("?subject_type=return&subject_id={ret}")).await;
    assert_eq!(returns["total"], 1);
}
