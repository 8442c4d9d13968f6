//! What admins do to an order after it is placed: notes only staff see,
//! shipping by hand, a customer's email sent again, and a new address
//! before the order ships; each on the timeline with the admin's email.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, add_to_cart, checkout, error_of, names_field};

/// A paid order (the manual provider pays at once): the app, the admin,
/// the customer and the order's id.
async fn paid_order() -> (TestApp, TestUser, TestUser, String) {
    let app = TestApp::spawn_shop().await;
    let admin = app.create_admin().await;
    let kettle = app.set_stock("K-001", 10).await;
    let (user, address) = app.customer().await;
    add_to_cart(&app, &user, &kettle, 1).await;
    let order: Value = checkout(&app, &user, &address).await.json().await.unwrap();
    assert_eq!(order["status"], "confirmed");
    let id = order["id"].as_str().unwrap().to_owned();
    (app, admin, user, id)
}

async fn act(
    app: &TestApp,
    admin: &TestUser,
    id: &str,
    what: &str,
    body: Value,
) -> reqwest::Response {
    let method = if what == "shipping-address" { Method::PUT } else { Method::POST };
    app.authed(method, &format!("/api/v1/admin/orders/{id}/{what}"), &admin.access_token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn emails_for(app: &TestApp, id: &str, event: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM outbox WHERE kind = 'notification'
         AND payload->>'order_id' = $1 AND payload->>'event' = $2",
    )
    .bind(id)
    .bind(event)
    .fetch_one(&app.db)
    .await
    .unwrap()
}

#[tokio::test]
async fn notes_shipping_and_resent_emails_are_on_the_timeline_and_notes_stay_with_staff() {
    let (app, admin, user, id) = paid_order().await;
    let placed: Value = act(&app, &admin, &id, "notes", json!({"note": "Placed by phone"}))
        .await
        .json()
        .await
        .unwrap();
    let estimate = placed["estimated_delivery_date"].clone();
    assert!(estimate.is_string(), "{placed}");
    let email = sqlx::query_scalar::<_, String>("SELECT email FROM users WHERE role = 'admin'")
        .fetch_one(&app.db)
        .await
        .unwrap();

    let noted = act(&app, &admin, &id, "notes", json!({"note": "Asked for gift wrap"})).await;
    assert_eq!(noted.status(), 201);
    let noted: Value = noted.json().await.unwrap();
    let last = noted["timeline"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["note"], "Asked for gift wrap");
    assert_eq!(last["internal"], true);
    assert_eq!(last["actor"], format!("admin {email}"));
    let empty = act(&app, &admin, &id, "notes", json!({"note": "  "})).await;
    assert!(names_field(&error_of(empty, 422).await, "note"));

    let shipped = act(
        &app,
        &admin,
        &id,
        "ship",
        json!({"carrier": "Parcelline", "tracking_number": "PL-77"}),
    )
    .await;
    assert_eq!(shipped.status(), 200);
    let shipped: Value = shipped.json().await.unwrap();
    assert_eq!(shipped["status"], "shipped");
    assert_eq!(
        (shipped["carrier"].as_str(), shipped["tracking_number"].as_str()),
        (Some("Parcelline"), Some("PL-77"))
    );
    let last = shipped["timeline"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["status"].as_str(), last["actor"].as_str()),
        (Some("shipped"), Some(format!("admin {email}").as_str()))
    );
    assert_eq!(emails_for(&app, &id, "shipped").await, 1);
    assert_eq!(shipped["estimated_delivery_date"], estimate, "the estimate stands");
    let again = act(
        &app,
        &admin,
        &id,
        "ship",
        json!({"carrier": "Parcelline", "tracking_number": "PL-78"}),
    )
    .await;
    assert_eq!(error_of(again, 409).await.code, "order_not_shippable");
    let blank =
        act(&app, &admin, &id, "ship", json!({"carrier": "", "tracking_number": "PL\n9"})).await;
    let blank = error_of(blank, 422).await;
    assert!(names_field(&blank, "carrier") && names_field(&blank, "tracking_number"));

    let resent = act(&app, &admin, &id, "resend-email", json!({"status": "confirmed"})).await;
    assert_eq!(resent.status(), 200);
    assert_eq!(emails_for(&app, &id, "confirmed").await, 2);
    for never in ["delivered", "pending_payment", "cancelled"] {
        let refused = act(&app, &admin, &id, "resend-email", json!({"status": never})).await;
        assert_eq!(error_of(refused, 409).await.code, "status_not_reached", "{never}");
    }
    let bogus = act(&app, &admin, &id, "resend-email", json!({"status": "teleported"})).await;
    assert!(names_field(&error_of(bogus, 422).await, "status"));

    // The customer sees the shipment and its carrier, not the staff's notes
    // nor who did what.
    let theirs: Value = app
        .authed(Method::GET, &format!("/api/v1/orders/{id}"), &user.access_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(theirs["carrier"], "Parcelline");
    let timeline = theirs["timeline"].as_array().unwrap();
    assert!(
        timeline
            .iter()
            .all(|entry| entry.get("actor").is_none() && entry.get("internal").is_none())
    );
    let notes: Vec<&str> = timeline.iter().filter_map(|entry| entry["note"].as_str()).collect();
    assert!(
        !notes.iter().any(|note| note.contains("gift wrap") || note.contains("sent again")),
        "{notes:?}"
    );
    assert!(timeline.iter().any(|entry| entry["status"] == "shipped"));

    // Only admins act on orders.
    let refused = act(&app, &user, &id, "notes", json!({"note": "mine"})).await;
    assert_eq!(refused.status(), 403);
}

#[tokio::test]
async fn the_address_changes_until_the_order_ships_and_only_within_its_region() {
    let (app, admin, _, id) = paid_order().await;
    let address = |street: &str, state: &str| {
        json!({"name": "Ada Lovelace", "phone": "+1 555 010 0199", "street1": street,
               "city": "Springfield", "state": state, "postal_code": "62704", "country": "US"})
    };
    let moved = act(&app, &admin, &id, "shipping-address", address("9 Elm St", "IL")).await;
    assert_eq!(moved.status(), 200);
    let moved: Value = moved.json().await.unwrap();
    assert_eq!(moved["shipping_address"]["street1"], "9 Elm St");
    assert_eq!(moved["shipping_address"]["name"], "Ada Lovelace");
    assert_eq!(
        moved["timeline"].as_array().unwrap().last().unwrap()["note"],
        "shipping address changed"
    );

    // The region as pricing matched it: in any case.
    let same = act(&app, &admin, &id, "shipping-address", address("9 Elm St", "il")).await;
    assert_eq!(same.status(), 200);
    let elsewhere = act(&app, &admin, &id, "shipping-address", address("1 Bay St", "CA")).await;
    assert!(names_field(&error_of(elsewhere, 422).await, "state"));
    let incomplete = act(&app, &admin, &id, "shipping-address", json!({"country": "US"})).await;
    let incomplete = error_of(incomplete, 422).await;
    assert!(names_field(&incomplete, "street1") && names_field(&incomplete, "name"));
    let stored: String = sqlx::query_scalar("SELECT shipping_address->>'street1' FROM orders")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(stored, "9 Elm St", "a refused change writes nothing");

    let shipped =
        act(&app, &admin, &id, "ship", json!({"carrier": "Parcelline", "tracking_number": "PL-1"}))
            .await;
    assert_eq!(shipped.status(), 200);
    let late = act(&app, &admin, &id, "shipping-address", address("5 Oak St", "IL")).await;
    assert_eq!(error_of(late, 409).await.code, "order_shipped");
}

/// A cancelled order's only email to send again is its cancellation.
#[tokio::test]
async fn a_cancelled_order_resends_only_its_cancellation() {
    let (app, admin, _, id) = paid_order().await;
    let cancelled = app
        .authed(Method::POST, &format!("/api/v1/admin/orders/{id}/cancel"), &admin.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(cancelled.status(), 200);
    let confirmed = act(&app, &admin, &id, "resend-email", json!({"status": "confirmed"})).await;
    assert_eq!(error_of(confirmed, 409).await.code, "status_not_reached");
    let resent = act(&app, &admin, &id, "resend-email", json!({"status": "cancelled"})).await;
    assert_eq!(resent.status(), 200);
    assert_eq!(emails_for(&app, &id, "cancelled").await, 2);
    let ship =
        act(&app, &admin, &id, "ship", json!({"carrier": "Parcelline", "tracking_number": "PL-1"}))
            .await;
    assert_eq!(error_of(ship, 409).await.code, "order_not_shippable");
}
