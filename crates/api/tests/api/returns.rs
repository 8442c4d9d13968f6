//! Returns: a customer (or the guest with the order's token) asks to send
//! back units of a delivered order within the window; the shop approves or
//! rejects, receives (restocking what can be sold again) and refunds; each
//! step on the timeline with an email, and never more units returned than
//! were delivered, however many returns race for them.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{
    AdminShop, TestUser, add_to_cart, cart_token, checkout, error_of, guest_add, names_field,
};
use crate::pipeline::{Pipeline, wait_for};

/// A customer's paid order of `lines` (SKU, quantity), delivered
/// `days_ago`.
async fn delivered_order(
    shop: &AdminShop,
    lines: &[(&str, i64)],
    days_ago: i32,
) -> (TestUser, Value) {
    let app = &shop.app;
    let (user, address) = app.customer().await;
    for (sku, quantity) in lines {
        let product = app.set_stock(sku, 100).await;
        add_to_cart(app, &user, &product, *quantity).await;
    }
    let placed = checkout(app, &user, &address).await;
    assert_eq!(placed.status(), 201);
    let order: Value = placed.json().await.unwrap();
    deliver(shop, &order, days_ago).await;
    (user, order)
}

/// Marks `order` delivered `days_ago`, as the worker's last report would.
async fn deliver(shop: &AdminShop, order: &Value, days_ago: i32) {
    sqlx::query(
        "WITH moved AS (UPDATE orders SET status = 'delivered' WHERE id = $1::uuid RETURNING id)
         INSERT INTO order_events (order_id, status, actor, note, created_at)
         SELECT id, 'delivered', 'fulfillment', 'delivered', now() - make_interval(days => $2)
         FROM moved",
    )
    .bind(order["id"].as_str().unwrap())
    .bind(days_ago)
    .execute(&shop.app.db)
    .await
    .unwrap();
}

fn line(order: &Value, sku: &str) -> Value {
    order["items"].as_array().unwrap().iter().find(|i| i["sku"] == sku).unwrap()["id"].clone()
}

async fn ask(shop: &AdminShop, user: &TestUser, order: &Value, items: Value) -> reqwest::Response {
    let path = format!("/api/v1/orders/{}/returns", order["id"].as_str().unwrap());
    shop.app
        .authed(Method::POST, &path, &user.access_token)
        .json(&json!({"items": items}))
        .send()
        .await
        .unwrap()
}

async fn admin(shop: &AdminShop, id: &Value, what: &str, body: Value) -> reqwest::Response {
    let path = format!("/api/v1/admin/returns/{}/{what}", id.as_str().unwrap());
    shop.send(Method::POST, &path, Some(body)).await
}

async fn notices(shop: &AdminShop) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT payload->>'status' FROM outbox WHERE kind = 'return_notice' ORDER BY created_at, id",
    )
    .fetch_all(&shop.app.db)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_return_goes_from_request_to_refund_restocking_what_can_be_sold_again() {
    let shop = AdminShop::spawn().await;
    let (user, order) = delivered_order(&shop, &[("K-001", 3), ("K-002", 1)], 2).await;
    let (kettle, cup) = (line(&order, "K-001"), line(&order, "K-002"));
    let stock = (shop.app.stock_of("K-001").await, shop.app.stock_of("K-002").await);
    assert_eq!(stock, (97, 99));

    let asked = ask(
        &shop,
        &user,
        &order,
        json!([{"order_item_id": kettle, "quantity": 2, "reason": "too small"},
               {"order_item_id": cup, "quantity": 1, "reason": "arrived broken"}]),
    )
    .await;
    assert_eq!(asked.status(), 201);
    let asked: Value = asked.json().await.unwrap();
    assert_eq!(asked["status"], "requested");
    let id = asked["id"].clone();
    let listed: Value = shop
        .send(Method::GET, "/api/v1/admin/returns?status=requested", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["total"], 1);
    let listed = &listed["items"][0];
    assert_eq!(listed["id"], id);
    // The shop sees which order and which lines without asking again.
    assert_eq!(listed["order_number"], order["order_number"]);
    let names: Vec<&str> =
        listed["items"].as_array().unwrap().iter().filter_map(|i| i["name"].as_str()).collect();
    let bought = |sku: &str| {
        order["items"].as_array().unwrap().iter().find(|i| i["sku"] == sku).unwrap()["name"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let mut expected = vec![bought("K-001"), bought("K-002")];
    let mut names: Vec<String> = names.into_iter().map(str::to_owned).collect();
    expected.sort();
    names.sort();
    assert_eq!(names, expected);

    // Received before it was approved: no.
    let early = admin(&shop, &id, "receive", json!({})).await;
    assert_eq!(error_of(early, 409).await.code, "illegal_transition");

    let approved: Value =
        admin(&shop, &id, "approve", json!({"return_shipping": true})).await.json().await.unwrap();
    assert_eq!(
        (approved["status"].as_str(), approved["return_shipping"].as_bool()),
        (Some("approved"), Some(true))
    );
    let again = admin(&shop, &id, "reject", json!({"note": "changed our mind"})).await;
    assert_eq!(error_of(again, 409).await.code, "illegal_transition", "answered once");

    // The kettles go back on the shelf; the broken cup does not.
    let received =
        admin(&shop, &id, "receive", json!({"items": [{"order_item_id": cup, "restock": false}]}))
            .await;
    assert_eq!(received.status(), 200);
    let received: Value = received.json().await.unwrap();
    assert_eq!(received["status"], "received");
    assert_eq!(shop.app.stock_of("K-001").await, 99);
    assert_eq!(shop.app.stock_of("K-002").await, 99);

    let refunded: Value = admin(&shop, &id, "refund", json!({})).await.json().await.unwrap();
    assert_eq!(refunded["status"], "refunded");
    let path = format!("/api/v1/admin/orders/{}", order["id"].as_str().unwrap());
    let seen: Value = shop.send(Method::GET, &path, None).await.json().await.unwrap();
    assert_eq!(seen["refunds"][0]["id"], refunded["refund_id"]);
    // Two of three kettles and the cup, each at what it was charged.
    let charged = |sku: &str| {
        let item = seen["items"].as_array().unwrap().iter().find(|i| i["sku"] == sku).unwrap();
        item["line_total"]["amount"].as_i64().unwrap()
            - item["discount"]["amount"].as_i64().unwrap()
            + item["tax"]["amount"].as_i64().unwrap()
    };
    let expected = (charged("K-001") * 2 + 1) / 3 + charged("K-002");
    assert_eq!(seen["refunds"][0]["amount"]["amount"].as_i64().unwrap(), expected, "{seen}");
    assert_eq!(seen["payment_status"], "partially_refunded");
    let refund_twice = admin(&shop, &id, "refund", json!({})).await;
    assert_eq!(error_of(refund_twice, 409).await.code, "illegal_transition");

    // Every step emailed the customer and is on the timeline.
    assert_eq!(notices(&shop).await, ["requested", "approved", "received", "refunded"]);
    let notes: Vec<String> = seen["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["note"].as_str().map(str::to_owned))
        .collect();
    assert!(notes.iter().any(|n| n.starts_with("return requested: 2 × ")), "{notes:?}");
    assert!(notes.iter().any(|n| n.starts_with("return received: ")), "{notes:?}");

    // One kettle is left to return, and no more.
    let last = json!([{"order_item_id": kettle, "quantity": 1, "reason": "too small too"}]);
    assert_eq!(ask(&shop, &user, &order, last.clone()).await.status(), 201);
    let over = error_of(ask(&shop, &user, &order, last).await, 409).await;
    assert_eq!(over.code, "not_returnable");
    assert!(over.message.contains("only 0 of its 3 units"), "{}", over.message);
    let mine: Value = shop
        .app
        .authed(
            Method::GET,
            &format!("/api/v1/orders/{}/returns", order["id"].as_str().unwrap()),
            &user.access_token,
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(mine["items"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_return_needs_the_order_delivered_within_the_window_and_asked_well() {
    let shop = AdminShop::spawn().await;
    let (user, order) = delivered_order(&shop, &[("K-001", 2)], 31).await;
    let kettle = line(&order, "K-001");
    let one = json!([{"order_item_id": kettle, "quantity": 1, "reason": "no longer needed"}]);
    let late = error_of(ask(&shop, &user, &order, one.clone()).await, 409).await;
    assert_eq!(late.code, "not_returnable");
    assert!(late.message.contains("window closed on"), "{}", late.message);
    // A staff note today adds to the timeline of the delivered order; the
    // window still runs from the delivery.
    let noted = shop
        .send(
            Method::POST,
            &format!("/api/v1/admin/orders/{}/notes", order["id"].as_str().unwrap()),
            Some(json!({"note": "customer called"})),
        )
        .await;
    assert_eq!(noted.status(), 201);
    let still = error_of(ask(&shop, &user, &order, one.clone()).await, 409).await;
    assert_eq!(still.code, "not_returnable", "{}", still.message);

    // Not delivered yet: no return.
    let (other, fresh) = {
        let (user, address) = shop.app.customer().await;
        let product = shop.app.set_stock("K-001", 100).await;
        add_to_cart(&shop.app, &user, &product, 1).await;
        let placed = checkout(&shop.app, &user, &address).await.json::<Value>().await.unwrap();
        (user, placed)
    };
    let fresh_line =
        json!([{"order_item_id": line(&fresh, "K-001"), "quantity": 1, "reason": "x"}]);
    let early = error_of(ask(&shop, &other, &fresh, fresh_line).await, 409).await;
    assert_eq!(early.code, "not_returnable");
    // Someone else's order is nobody's business; no one signed in, no token.
    assert_eq!(ask(&shop, &other, &order, one.clone()).await.status(), 404);
    let path = format!("/api/v1/orders/{}/returns", order["id"].as_str().unwrap());
    let anonymous = shop
        .app
        .client
        .post(shop.app.url(&path))
        .json(&json!({"items": one}))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);

    // The carrier's report was wrong: it was delivered yesterday.
    sqlx::query(
        "UPDATE order_events SET created_at = now() - interval '1 day'
         WHERE order_id = $1::uuid AND status = 'delivered'",
    )
    .bind(order["id"].as_str().unwrap())
    .execute(&shop.app.db)
    .await
    .unwrap();
    let cases = [
        (json!([]), "items"),
        (
            json!([{"order_item_id": uuid::Uuid::new_v4(), "quantity": 1, "reason": "x"}]),
            "items[0].order_item_id",
        ),
        (json!([{"order_item_id": kettle, "quantity": 0, "reason": "x"}]), "items[0].quantity"),
        (json!([{"order_item_id": kettle, "quantity": 1}]), "items[0].reason"),
        (
            json!([{"order_item_id": kettle, "quantity": 1, "reason": "a"},
                   {"order_item_id": kettle, "quantity": 1, "reason": "b"}]),
            "items[1].order_item_id",
        ),
    ];
    for (items, field) in cases {
        let refused = error_of(ask(&shop, &user, &order, items.clone()).await, 422).await;
        assert!(names_field(&refused, field), "{items}: {refused:?}");
    }
    let stored: i64 =
        sqlx::query_scalar("SELECT count(*) FROM returns").fetch_one(&shop.app.db).await.unwrap();
    assert_eq!(stored, 0, "nothing written");

    // A rejected return frees its units to be asked for again.
    let both = json!([{"order_item_id": kettle, "quantity": 2, "reason": "wrong colour"}]);
    let first: Value = ask(&shop, &user, &order, both.clone()).await.json().await.unwrap();
    let missing = admin(&shop, &first["id"], "reject", json!({})).await;
    assert!(names_field(&error_of(missing, 422).await, "note"));
    let rejected: Value =
        admin(&shop, &first["id"], "reject", json!({"note": "worn, not as sold"}))
            .await
            .json()
            .await
            .unwrap();
    assert_eq!(
        (rejected["status"].as_str(), rejected["note"].as_str()),
        (Some("rejected"), Some("worn, not as sold"))
    );
    assert_eq!(ask(&shop, &user, &order, both).await.status(), 201);
}

#[tokio::test]
async fn a_guest_returns_a_delivered_order_with_its_token_and_is_emailed_the_link() {
    let pipeline = Pipeline::api_only(|_| {}).await;
    let _worker = pipeline.start_worker().await;
    let app = &pipeline.api;
    let kettle = app.set_stock("K-001", 10).await;
    let added = guest_add(app, None, &kettle, 1).await;
    let cart = cart_token(&added).unwrap();
    let address = json!({"name": "Grace Guest", "phone": "+1 555 010 0199", "street1": "1 Main St",
                         "city": "Springfield", "state": "IL", "postal_code": "62701", "country": "US"});
    let order: Value = app
        .client
        .post(app.url("/api/v1/orders"))
        .header("cookie", format!("cart_token={cart}"))
        .json(&json!({"email": "grace@example.com", "shipping_address": address,
                      "billing_address": address, "payment_method": "manual"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // Delivered by the worker's own steps.
    pipeline.wait_until_delivered(&[order["id"].as_str().unwrap().to_owned()]).await;
    let token = order["order_token"].as_str().unwrap();
    let path = format!("/api/v1/orders/{}/returns", order["id"].as_str().unwrap());
    let body = json!({"items": [{"order_item_id": line(&order, "K-001"), "quantity": 1, "reason": "gift duplicate"}]});
    let wrong = app
        .client
        .post(app.url(&format!("{path}?token=not-the-token")))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 404);
    let made = app
        .client
        .post(app.url(&format!("{path}?token={token}")))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(made.status(), 201);
    let listed: Value = app.get(&format!("{path}?token={token}")).await.json().await.unwrap();
    assert_eq!(listed["items"][0]["items"][0]["reason"], "gift duplicate");
    let timeline: Value =
        app.get(&format!("/api/v1/orders/lookup?token={token}")).await.json().await.unwrap();
    assert!(timeline["timeline"].to_string().contains("return requested: 1 × "), "{timeline}");

    // The worker emails the guest, with the link their token opens.
    let number = order["order_number"].as_str().unwrap();
    let subject = format!("Subject: We have your return request for order {number}");
    wait_for(Duration::from_secs(15), || {
        let sent = pipeline.all_emails().iter().any(|(_, raw)| raw.contains(&subject));
        async move { sent }
    })
    .await;
    let emails = pipeline.all_emails();
    let (_, raw) = emails.iter().find(|(_, raw)| raw.contains(&subject)).unwrap();
    assert!(raw.contains("grace@example.com"));
    let parsed = mail_parser::MessageParser::default().parse(raw.as_bytes()).unwrap();
    let text = parsed.body_text(0).unwrap();
    assert!(text.contains("You asked to return 1 × "), "{text}");
    assert!(text.contains(&format!("/orders/lookup?token={token}")), "{text}");
}

#[tokio::test]
async fn returns_racing_for_the_last_unit_of_a_line_take_it_once() {
    let shop = AdminShop::spawn().await;
    let (user, order) = delivered_order(&shop, &[("K-001", 1)], 1).await;
    let path = format!("/api/v1/orders/{}/returns", order["id"].as_str().unwrap());
    let body = json!({"items": [{"order_item_id": line(&order, "K-001"), "quantity": 1, "reason": "race"}]});
    let mut racing = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let request = shop.app.authed(Method::POST, &path, &user.access_token).json(&body);
        racing.spawn(async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        });
    }
    let outcomes = racing.join_all().await;
    let won = outcomes.iter().filter(|(status, _)| *status == 201).count();
    assert_eq!(won, 1, "{outcomes:?}");
    assert!(
        outcomes
            .iter()
            .filter(|(status, _)| *status != 201)
            .all(|(status, body)| *status == 409 && body["error"]["code"] == "not_returnable"),
        "{outcomes:?}"
    );
    let units: i64 = sqlx::query_scalar("SELECT SUM(quantity)::int8 FROM return_items")
        .fetch_one(&shop.app.db)
        .await
        .unwrap();
    assert_eq!(units, 1);
}

/// Takes return `id` through approval and receipt (restocking) to its
/// refund step; that step's answer.
async fn approve_receive_refund(shop: &AdminShop, id: &Value) -> Value {
    assert_eq!(admin(shop, id, "approve", json!({})).await.status(), 200);
    assert_eq!(admin(shop, id, "receive", json!({})).await.status(), 200);
    let refunded = admin(shop, id, "refund", json!({})).await;
    assert_eq!(refunded.status(), 200);
    refunded.json().await.unwrap()
}

#[tokio::test]
async fn a_return_of_units_refunded_before_gives_back_only_the_rest_and_still_closes() {
    let shop = AdminShop::spawn().await;
    let (user, order) = delivered_order(&shop, &[("K-001", 3), ("K-002", 1)], 2).await;
    let id = order["id"].as_str().unwrap();
    let kettle = line(&order, "K-001");
    let refunds_path = format!("/api/v1/admin/orders/{id}/refunds");
    let units = |quantity: i64| json!({"items": [{"order_item_id": kettle, "quantity": quantity}], "reason": "dented"});
    let first = shop.send(Method::POST, &refunds_path, Some(units(2))).await;
    assert_eq!(first.status(), 201);
    let two_units = first.json::<Value>().await.unwrap()["amount"]["amount"].as_i64().unwrap();

    // Two units come back, and two of the three were refunded already: the
    // return gives back one unit's share only.
    let asked = ask(
        &shop,
        &user,
        &order,
        json!([{"order_item_id": kettle, "quantity": 2, "reason": "dented too"}]),
    )
    .await;
    assert_eq!(asked.status(), 201);
    let asked: Value = asked.json().await.unwrap();
    let closed = approve_receive_refund(&shop, &asked["id"]).await;
    assert_eq!(closed["status"], "refunded");
    let refund = closed["refund_id"].as_str().expect("a refund for the unit not refunded before");
    let seen: Value = shop
        .send(Method::GET, &format!("/api/v1/admin/orders/{id}"), None)
        .await
        .json()
        .await
        .unwrap();
    let made = seen["refunds"].as_array().unwrap().iter().find(|r| r["id"] == refund).unwrap();
    assert_eq!(made["items"][0]["quantity"], 1);
    // A unit's share, to the cent (cumulative rounding may move one cent).
    let third_unit = made["amount"]["amount"].as_i64().unwrap();
    assert!((2 * third_unit - two_units).abs() <= 2, "{made}");

    // The admin gives back the rest of the payment (the cup, the shipping),
    // then the cup and the last kettle come back: nothing is left to give
    // back for either, and the return still closes, without a refund.
    let rest = order["total"]["amount"].as_i64().unwrap() - two_units - third_unit;
    let all = shop
        .send(Method::POST, &refunds_path, Some(json!({"amount": rest, "reason": "goodwill"})))
        .await;
    assert_eq!(all.status(), 201);
    let asked: Value = ask(
        &shop,
        &user,
        &order,
        json!([{"order_item_id": kettle, "quantity": 1, "reason": "dented as well"},
               {"order_item_id": line(&order, "K-002"), "quantity": 1, "reason": "unwanted"}]),
    )
    .await
    .json()
    .await
    .unwrap();
    let closed = approve_receive_refund(&shop, &asked["id"]).await;
    assert_eq!((closed["status"].as_str(), &closed["refund_id"]), (Some("refunded"), &Value::Null));
    let seen: Value = shop
        .send(Method::GET, &format!("/api/v1/admin/orders/{id}"), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(seen["refunded"]["amount"], order["total"]["amount"], "never past what was paid");
    assert_eq!(seen["payment_status"], "refunded");
}
