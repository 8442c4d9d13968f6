//! Partial refunds by the shop: units of lines with their share of tax and
//! discount, the shipping, or an amount; to the cent of what was charged,
//! never past what was paid however many are asked for at once, and bad
//! requests refused with nothing written.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{AdminShop, TestUser, add_to_cart, checkout, error_of, names_field};

fn amount(value: &Value) -> i64 {
    value["amount"].as_i64().unwrap_or_else(|| panic!("not money: {value}"))
}

/// A customer's paid order (the manual provider pays at once) of `lines`
/// (SKU, unit price, quantity), with the code `code` when given, to
/// Illinois (8% tax, 5.99 shipping under 50.00).
async fn order_of(
    shop: &AdminShop,
    lines: &[(&str, i64, i64)],
    code: Option<&str>,
) -> (TestUser, Value) {
    let app = &shop.app;
    let (user, address) = app.customer().await;
    for (sku, price, quantity) in lines {
        let product = app.set_stock(sku, 100).await;
        sqlx::query("UPDATE product_variants SET price_amount = $2 WHERE sku = $1")
            .bind(sku)
            .bind(price)
            .execute(&app.db)
            .await
            .unwrap();
        add_to_cart(app, &user, &product, *quantity).await;
    }
    if let Some(code) = code {
        let applied = app
            .authed(Method::POST, "/api/v1/cart/discount-codes", &user.access_token)
            .json(&json!({"code": code}))
            .send()
            .await
            .unwrap();
        assert_eq!(applied.status(), 200, "the code applies");
    }
    let placed = checkout(app, &user, &address).await;
    assert_eq!(placed.status(), 201);
    let order: Value = placed.json().await.unwrap();
    assert_eq!(order["payment_status"], "paid");
    (user, order)
}

fn line_of(order: &Value, sku: &str) -> Value {
    order["items"].as_array().unwrap().iter().find(|i| i["sku"] == sku).unwrap().clone()
}

async fn refund(shop: &AdminShop, order: &Value, body: Value) -> reqwest::Response {
    let path = format!("/api/v1/admin/orders/{}/refunds", order["id"].as_str().unwrap());
    shop.send(Method::POST, &path, Some(body)).await
}

async fn staff_view(shop: &AdminShop, order: &Value) -> Value {
    let path = format!("/api/v1/admin/orders/{}", order["id"].as_str().unwrap());
    shop.send(Method::GET, &path, None).await.json().await.unwrap()
}

async fn refunds_stored(shop: &AdminShop) -> (i64, i64) {
    sqlx::query_as("SELECT count(*), COALESCE(SUM(amount), 0)::int8 FROM refunds")
        .fetch_one(&shop.app.db)
        .await
        .unwrap()
}

/// The worked order: 3 × 12.34 and 2 × 3.33 with 10% off (per line,
/// rounded half to even), 8% tax on what is left, and 5.99 shipping.
///
/// | line      | subtotal | discount | tax   | charged | per unit, in turn     |
/// |-----------|---------:|---------:|------:|--------:|-----------------------|
/// | K-001 × 3 |   37.02  |   3.70   | 2.67  |  35.99  | 12.00, 11.99, 12.00   |
/// | K-002 × 2 |    6.66  |   0.67   | 0.48  |   6.47  |  3.24,  3.23          |
/// | shipping  |          |          |       |   5.99  |                       |
/// | total     |          |          |       |  48.45  |                       |
///
/// A unit's share is the difference of `round(charged × k / quantity)`
/// between the units refunded before and after it, so the shares of a line
/// always add up to what it cost.
#[tokio::test]
async fn refunds_of_units_give_back_to_the_cent_what_was_charged_for_them() {
    let shop = AdminShop::spawn().await;
    shop.created(
        "/api/v1/admin/discounts",
        json!({"code": "TENOFF", "kind": "percentage", "value": 1000}),
    )
    .await;
    let (customer, order) =
        order_of(&shop, &[("K-001", 1234, 3), ("K-002", 333, 2)], Some("TENOFF")).await;
    let (kettle, cups) = (line_of(&order, "K-001"), line_of(&order, "K-002"));
    assert_eq!((amount(&kettle["discount"]), amount(&kettle["tax"])), (370, 267));
    assert_eq!((amount(&cups["discount"]), amount(&cups["tax"])), (67, 48));
    assert_eq!((amount(&order["shipping"]), amount(&order["total"])), (599, 4845));
    let (k, c) = (kettle["id"].clone(), cups["id"].clone());
    let units = |lines: &[(&Value, i64)]| -> Value {
        lines.iter().map(|(id, n)| json!({"order_item_id": id, "quantity": n})).collect()
    };

    // (request, given back, of which tax, payment status after)
    let table = [
        (json!({"items": units(&[(&k, 1)]), "reason": "dented"}), 1200, 89, "partially_refunded"),
        (
            json!({"items": units(&[(&c, 1), (&k, 1)]), "reason": "changed mind"}),
            324 + 1199,
            24 + 89,
            "partially_refunded",
        ),
        (json!({"include_shipping": true, "reason": "late"}), 599, 0, "partially_refunded"),
        (
            json!({"items": units(&[(&k, 1), (&c, 1)]), "reason": "all"}),
            1200 + 323,
            89 + 24,
            "refunded",
        ),
    ];
    let mut given = 0;
    for (body, expected, tax, status) in table {
        let made = refund(&shop, &order, body.clone()).await;
        assert_eq!(made.status(), 201, "{body}");
        let made: Value = made.json().await.unwrap();
        assert_eq!(amount(&made["amount"]), expected, "{body}");
        let items = made["items"].as_array().unwrap();
        assert_eq!(items.iter().map(|i| amount(&i["tax"])).sum::<i64>(), tax, "{made}");
        assert_eq!(
            (made["status"].as_str(), made["method"].as_str()),
            (Some("succeeded"), Some("manual"))
        );
        assert_eq!(made["reason"], body["reason"]);
        given += expected;
        let seen = staff_view(&shop, &order).await;
        assert_eq!(seen["payment_status"], status, "after {body}");
        assert_eq!(amount(&seen["refunded"]), given);
    }
    assert_eq!(given, 4845, "everything charged was given back, not a cent more or less");

    // Per line, the units' shares add up to what the line cost.
    let seen = staff_view(&shop, &order).await;
    let per_line = |line: &Value| -> i64 {
        let refunds = seen["refunds"].as_array().unwrap();
        refunds
            .iter()
            .flat_map(|r| r["items"].as_array().unwrap().clone())
            .filter(|i| i["order_item_id"] == line["id"])
            .map(|i| amount(&i["amount"]))
            .sum()
    };
    assert_eq!((per_line(&kettle), per_line(&cups)), (3599, 647));

    // Nothing is left: no unit, no amount.
    let over = refund(&shop, &order, json!({"amount": 1, "reason": "goodwill"})).await;
    assert_eq!(error_of(over, 409).await.code, "refund_exceeds_paid");
    let over = refund(&shop, &order, json!({"items": units(&[(&k, 1)]), "reason": "again"})).await;
    let over = error_of(over, 409).await;
    assert_eq!(over.code, "refund_exceeds_paid");
    assert!(over.message.contains("only 0 of its 3 units"), "{}", over.message);
    assert_eq!(refunds_stored(&shop).await, (4, 4845));

    // The customer sees what came back, not the shop's reasons.
    let path = format!("/api/v1/orders/{}", order["id"].as_str().unwrap());
    let customer: Value = shop
        .app
        .authed(Method::GET, &path, &customer.access_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(customer["payment_status"], "refunded");
    assert_eq!(customer["refunds"].as_array().unwrap().len(), 4);
    assert!(customer["refunds"][0].get("reason").is_none(), "{customer}");
    let notes: Vec<&str> = customer["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["note"].as_str())
        .collect();
    assert!(notes.contains(&"12.00 USD refunded"), "{notes:?}");
}

#[tokio::test]
async fn a_refund_asked_badly_names_the_field_and_writes_nothing() {
    let shop = AdminShop::spawn().await;
    let (customer, order) = order_of(&shop, &[("K-001", 4999, 2)], None).await;
    let line = line_of(&order, "K-001")["id"].clone();
    let cases = [
        (
            json!({"amount": 100, "items": [{"order_item_id": line, "quantity": 1}], "reason": "x"}),
            "amount",
        ),
        (json!({"reason": "nothing named"}), "items"),
        (json!({"amount": 100}), "reason"),
        (json!({"amount": 0, "reason": "zero"}), "amount"),
        (
            json!({"items": [{"order_item_id": uuid::Uuid::new_v4(), "quantity": 1}], "reason": "x"}),
            "items[0].order_item_id",
        ),
        (
            json!({"items": [{"order_item_id": line, "quantity": 0}], "reason": "x"}),
            "items[0].quantity",
        ),
        (
            json!({"items": [{"order_item_id": line, "quantity": 1}, {"order_item_id": line, "quantity": 1}], "reason": "x"}),
            "items[1].order_item_id",
        ),
    ];
    for (body, field) in cases {
        let refused = error_of(refund(&shop, &order, body.clone()).await, 422).await;
        assert!(names_field(&refused, field), "{body}: {refused:?}");
    }
    let too_many = json!({"items": [{"order_item_id": line, "quantity": 3}], "reason": "x"});
    let too_many = error_of(refund(&shop, &order, too_many).await, 409).await;
    assert_eq!(too_many.code, "refund_exceeds_paid");
    let total = amount(&order["total"]);
    let too_much = json!({"amount": total + 1, "reason": "x"});
    let too_much = error_of(refund(&shop, &order, too_much).await, 409).await;
    assert!(too_much.message.contains("is more than the"), "{}", too_much.message);
    // Only staff refund.
    let path = format!("/api/v1/admin/orders/{}/refunds", order["id"].as_str().unwrap());
    let by_customer = shop
        .app
        .authed(Method::POST, &path, &customer.access_token)
        .json(&json!({"amount": 100, "reason": "me"}))
        .send()
        .await
        .unwrap();
    assert_eq!(by_customer.status(), 403);
    assert_eq!(refunds_stored(&shop).await, (0, 0));
    assert_eq!(staff_view(&shop, &order).await["payment_status"], "paid");
}

/// Sends every body at the same moment; the statuses and bodies.
async fn all_at_once(shop: &AdminShop, order: &Value, bodies: Vec<Value>) -> Vec<(u16, Value)> {
    let path = format!("/api/v1/admin/orders/{}/refunds", order["id"].as_str().unwrap());
    let mut refunds = tokio::task::JoinSet::new();
    for body in bodies {
        let request = shop.app.authed(Method::POST, &path, &shop.admin.access_token).json(&body);
        refunds.spawn(async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        });
    }
    refunds.join_all().await
}

#[tokio::test]
async fn refunds_racing_past_the_paid_amount_give_back_exactly_what_fits() {
    let shop = AdminShop::spawn().await;
    let (_, order) = order_of(&shop, &[("K-001", 4999, 1)], None).await;
    let total = amount(&order["total"]);
    // Four of these fit in the payment, a fifth would not.
    let quarter = total / 4;
    let bodies =
        (0..12).map(|n| json!({"amount": quarter, "reason": format!("race {n}")})).collect();
    let outcomes = all_at_once(&shop, &order, bodies).await;
    let won = outcomes.iter().filter(|(status, _)| *status == 201).count();
    let lost: Vec<_> = outcomes.iter().filter(|(status, _)| *status == 409).collect();
    assert_eq!((won, lost.len()), (4, 8), "{outcomes:?}");
    assert!(lost.iter().all(|(_, body)| body["error"]["code"] == "refund_exceeds_paid"));
    assert_eq!(refunds_stored(&shop).await, (4, 4 * quarter));
    let seen = staff_view(&shop, &order).await;
    assert_eq!(amount(&seen["refunded"]), 4 * quarter);
    let expected = if 4 * quarter == total { "refunded" } else { "partially_refunded" };
    assert_eq!(seen["payment_status"], expected);
}

#[tokio::test]
async fn refunds_racing_for_the_last_units_of_a_line_refund_each_unit_once() {
    let shop = AdminShop::spawn().await;
    let (_, order) = order_of(&shop, &[("K-001", 1000, 3), ("K-002", 500, 1)], None).await;
    let line = line_of(&order, "K-001");
    let bodies = (0..10)
        .map(|n| {
            json!({"items": [{"order_item_id": line["id"], "quantity": 1}], "reason": format!("unit {n}")})
        })
        .collect();
    let outcomes = all_at_once(&shop, &order, bodies).await;
    let won: Vec<_> = outcomes.iter().filter(|(status, _)| *status == 201).collect();
    assert_eq!(won.len(), 3, "{outcomes:?}");
    assert!(outcomes.iter().all(|(status, _)| [201, 409].contains(status)));
    // 3 × 10.00 with 8% tax: 32.40, one third each.
    let given: Vec<i64> = won.iter().map(|(_, body)| amount(&body["amount"])).collect();
    assert_eq!(given.iter().sum::<i64>(), 3240, "{given:?}");
    let units: i64 = sqlx::query_scalar("SELECT SUM(quantity)::int8 FROM refund_items")
        .fetch_one(&shop.app.db)
        .await
        .unwrap();
    assert_eq!(units, 3);
}
