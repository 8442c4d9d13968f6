//! Pricing end to end: what the cart preview shows is what checkout
//! charges, codes apply with a reason when they do not, limited codes are
//! never over-redeemed however many checkouts race, and ten orders over
//! mixed codes, zones and tax classes come to the cent of totals worked out
//! by hand.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{AdminShop, TestApp, cart_token, error_of, guest_add};

fn address(country: &str, state: Option<&str>) -> Value {
    json!({"name": "Grace Guest", "phone": "+1 555 010 0199", "street1": "1 Main St",
           "city": "Springfield", "state": state, "postal_code": "62701", "country": country})
}

fn guest_body(email: &str, country: &str, state: Option<&str>) -> Value {
    json!({"email": email, "shipping_address": address(country, state),
           "billing_address": address(country, state), "payment_method": "manual"})
}

/// A guest's cart with `lines` of (product id, quantity); its token.
async fn cart_of(app: &TestApp, lines: &[(&str, i64)]) -> String {
    let mut token: Option<String> = None;
    for (product, quantity) in lines {
        let added = guest_add(app, token.as_deref(), product, *quantity).await;
        assert_eq!(added.status(), 200);
        token = token.or_else(|| cart_token(&added));
    }
    token.unwrap()
}

async fn as_guest(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut request =
        app.client.request(method, app.url(path)).header("cookie", format!("cart_token={token}"));
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.unwrap()
}

async fn apply(app: &TestApp, token: &str, code: &str) -> reqwest::Response {
    as_guest(app, Method::POST, "/api/v1/cart/discount-codes", token, Some(json!({"code": code})))
        .await
}

async fn checkout(app: &TestApp, token: &str, body: &Value) -> reqwest::Response {
    as_guest(app, Method::POST, "/api/v1/orders", token, Some(body.clone())).await
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&app.db).await.unwrap()
}

fn amount(value: &Value) -> i64 {
    value["amount"].as_i64().unwrap_or_else(|| panic!("not money: {value}"))
}

/// A discount, created by the admin; its id.
async fn discount(shop: &AdminShop, body: Value) -> String {
    shop.created("/api/v1/admin/discounts", body).await["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_preview_for_a_destination_is_exactly_what_checkout_charges() {
    let shop = AdminShop::spawn().await;
    let app = &shop.app;
    let kettle = app.set_stock("K-001", 10).await;
    let token = cart_of(app, &[(&kettle, 1)]).await;

    // Without a destination: the goods only.
    let bare: Value =
        as_guest(app, Method::GET, "/api/v1/cart", &token, None).await.json().await.unwrap();
    assert_eq!((amount(&bare["subtotal"]), amount(&bare["total"])), (4999, 4999));
    assert_eq!(bare["shipping_method"], Value::Null);

    // For Illinois: the default Standard method (5.99) and 8% tax.
    let preview = as_guest(app, Method::GET, "/api/v1/cart?country=US&region=IL", &token, None)
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(preview["shipping_method"]["name"], "Standard");
    assert_eq!(preview["ships_to_destination"], true);
    assert_eq!(amount(&preview["shipping"]), 599);
    assert_eq!(amount(&preview["tax"]), 400); // 8% of 49.99 = 3.9992
    assert_eq!(preview["items"][0]["tax_rate_bps"], 800);
    let total = amount(&preview["total"]);
    assert_eq!(total, 4999 + 599 + 400);

    // A shown total that is no longer the price: 409, nothing written.
    let mut body = guest_body("grace@example.com", "US", Some("IL"));
    body["expected_total"] = json!(total - 1);
    let moved = checkout(app, &token, &body).await;
    let moved = error_of(moved, 409).await;
    assert_eq!(moved.code, "price_changed");
    assert!(moved.message.contains("59.98"), "{}", moved.message);
    assert_eq!(count(app, "SELECT count(*) FROM orders").await, 0);

    body["expected_total"] = json!(total);
    let placed = checkout(app, &token, &body).await;
    assert_eq!(placed.status(), 201);
    let order: Value = placed.json().await.unwrap();
    assert_eq!(amount(&order["total"]), total);
    assert_eq!(order["shipping_method"]["name"], "Standard");
    assert_eq!(order["items"][0]["tax_rate_bps"], 800);
    assert_eq!(amount(&order["items"][0]["tax"]), 400);
    // The method's slowest estimate (5 days) from today.
    let expected = (chrono::Utc::now().date_naive() + chrono::Days::new(5)).to_string();
    assert_eq!(order["estimated_delivery_date"], expected);
}

#[tokio::test]
async fn checkout_needs_a_destination_the_shop_ships_to_and_a_method_of_its_zone() {
    let shop = AdminShop::spawn().await;
    let app = &shop.app;
    let kettle = app.set_stock("K-001", 10).await;
    let token = cart_of(app, &[(&kettle, 1)]).await;

    let nowhere = checkout(app, &token, &guest_body("a@example.com", "JP", None)).await;
    let nowhere = error_of(nowhere, 422).await;
    assert!(nowhere.fields.unwrap().contains_key("shipping_address"));
    let preview: Value = as_guest(app, Method::GET, "/api/v1/cart?country=JP", &token, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(preview["ships_to_destination"], false);

    let mut body = guest_body("a@example.com", "US", Some("IL"));
    body["shipping_method"] = json!(uuid::Uuid::new_v4());
    let stranger = error_of(checkout(app, &token, &body).await, 422).await;
    assert!(stranger.fields.unwrap().contains_key("shipping_method"));
    body["shipping_method"] = json!("next-day");
    let malformed = error_of(checkout(app, &token, &body).await, 422).await;
    assert!(malformed.fields.unwrap().contains_key("shipping_method"));
    let preview = as_guest(app, Method::GET, "/api/v1/cart?region=IL", &token, None).await;
    assert!(error_of(preview, 422).await.fields.unwrap().contains_key("country"));

    assert_eq!(count(app, "SELECT count(*) FROM orders").await, 0);
    assert_eq!(app.stock_of("K-001").await, 10);
}

#[tokio::test]
async fn a_destination_without_a_tax_rate_is_taxed_at_zero_and_the_order_says_so() {
    let shop = AdminShop::spawn().await;
    let app = &shop.app;
    shop.created(
        "/api/v1/admin/shipping-zones",
        json!({"name": "UK", "countries": ["GB"], "methods": [
            {"name": "Royal", "price": 799, "estimated_days_min": 2, "estimated_days_max": 4}]}),
    )
    .await;
    let kettle = app.set_stock("K-001", 10).await;
    let token = cart_of(app, &[(&kettle, 1)]).await;
    let placed = checkout(app, &token, &guest_body("uk@example.com", "GB", None)).await;
    assert_eq!(placed.status(), 201);
    let order: Value = placed.json().await.unwrap();
    assert_eq!((amount(&order["tax"]), amount(&order["total"])), (0, 4999 + 799));
    let note = order["adjustments"].as_array().unwrap().iter().find(|a| a["kind"] == "no_tax_rate");
    assert!(note.unwrap()["description"].as_str().unwrap().contains("GB"));
}

#[tokio::test]
async fn codes_show_their_effect_at_once_and_every_refusal_names_its_reason() {
    let shop = AdminShop::spawn().await;
    let app = &shop.app;
    let now = chrono::Utc::now();
    let day = chrono::Duration::days(1);
    discount(&shop, json!({"code": "save10", "kind": "percentage", "value": 1000})).await;
    discount(
        &shop,
        json!({"code": "OLD", "kind": "fixed", "value": 100,
        "starts_at": now - day * 2, "ends_at": now - day}),
    )
    .await;
    discount(
        &shop,
        json!({"code": "SOON", "kind": "fixed", "value": 100,
        "starts_at": now + day}),
    )
    .await;
    discount(
        &shop,
        json!({"code": "BIG", "kind": "fixed", "value": 100,
        "min_subtotal": 100_000}),
    )
    .await;
    let fitness: String =
        sqlx::query_scalar("SELECT id::text FROM categories WHERE slug = 'fitness'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    discount(
        &shop,
        json!({"code": "GYM", "kind": "percentage", "value": 500,
        "applies_to": {"category_ids": [fitness]}}),
    )
    .await;
    let gone = discount(
        &shop,
        json!({"code": "GONE", "kind": "fixed", "value": 100,
        "usage_limit": 1}),
    )
    .await;
    sqlx::query("UPDATE discounts SET times_used = 1 WHERE id = $1::uuid")
        .bind(&gone)
        .execute(&app.db)
        .await
        .unwrap();

    let kettle = app.set_stock("K-001", 10).await;
    let token = cart_of(app, &[(&kettle, 1)]).await;
    for (code, reason) in [
        ("NOPE", "unknown"),
        ("old", "expired"),
        ("SOON", "not_started"),
        ("GONE", "exhausted"),
        ("BIG", "minimum_not_met"),
        ("GYM", "not_applicable"),
    ] {
        let refused = apply(app, &token, code).await;
        let body: Value = refused.json().await.unwrap();
        assert_eq!(body["error"]["code"], "discount_code_rejected", "{code}: {body}");
        assert_eq!(body["error"]["reason"], reason, "{code}: {body}");
        assert!(body["error"]["fields"]["code"].is_string());
    }
    assert_eq!(count(app, "SELECT count(*) FROM cart_discount_codes").await, 0);

    // Any case; the cart shows the effect at once.
    let applied = apply(app, &token, " Save10 ").await;
    assert_eq!(applied.status(), 200);
    let cart: Value = applied.json().await.unwrap();
    assert_eq!(amount(&cart["discount"]), 500); // 10% of 49.99, half to even
    assert_eq!(amount(&cart["total"]), 4499);
    assert_eq!(
        cart["discount_codes"],
        json!([{"code": "SAVE10", "applied": true, "reason": null}])
    );
    assert_eq!(cart["adjustments"][0]["code"], "SAVE10");
    assert_eq!(amount(&cart["items"][0]["discount"]), 500);

    let removed =
        as_guest(app, Method::DELETE, "/api/v1/cart/discount-codes/save10", &token, None).await;
    assert_eq!(removed.status(), 200);
    let cart: Value = removed.json().await.unwrap();
    assert_eq!((amount(&cart["discount"]), cart["discount_codes"].clone()), (0, json!([])));
    let again =
        as_guest(app, Method::DELETE, "/api/v1/cart/discount-codes/SAVE10", &token, None).await;
    assert_eq!(again.status(), 404);
}

#[tokio::test]
async fn a_code_limited_to_ten_uses_is_on_exactly_ten_of_fifty_racing_orders() {
    let shop = AdminShop::spawn().await;
    let app = &shop.app;
    let id = discount(
        &shop,
        json!({"code": "TEN", "kind": "fixed", "value": 1000,
        "usage_limit": 10}),
    )
    .await;
    let kettle = app.set_stock("K-001", 1000).await;
    let mut carts = Vec::new();
    for _ in 0..50 {
        let token = cart_of(app, &[(&kettle, 1)]).await;
        assert_eq!(apply(app, &token, "TEN").await.status(), 200);
        carts.push(token);
    }

    let mut racing = tokio::task::JoinSet::new();
    for (n, token) in carts.into_iter().enumerate() {
        let (client, url) = (app.client.clone(), app.url("/api/v1/orders"));
        let body = guest_body(&format!("buyer{n}@example.com"), "US", Some("IL"));
        racing.spawn(async move {
            let response = client
                .post(url)
                .header("cookie", format!("cart_token={token}"))
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            let body: Value = response.json().await.unwrap();
            (status, body)
        });
    }
    let answers = racing.join_all().await;
    let placed: Vec<&Value> = answers.iter().filter(|(s, _)| *s == 201).map(|(_, b)| b).collect();
    let refused: Vec<&Value> = answers.iter().filter(|(s, _)| *s == 409).map(|(_, b)| b).collect();
    assert_eq!(placed.len(), 10, "{answers:?}");
    assert_eq!(refused.len(), 40, "{answers:?}");
    assert!(refused.iter().all(|b| b["error"]["code"] == "discount_exhausted"));
    assert!(placed.iter().all(|b| amount(&b["discount"]) == 1000));
    let sql = format!("SELECT count(*) FROM discount_redemptions WHERE discount_id = '{id}'");
    assert_eq!(count(app, &sql).await, 10);
    assert_eq!(count(app, "SELECT count(*) FROM orders").await, 10);
    assert_eq!(app.stock_of("K-001").await, 990, "refused checkouts took no stock");

    // A cancelled order gives its use back, and the next shopper gets it.
    let token = placed[0]["order_token"].as_str().unwrap();
    let cancel = app.client.post(app.url(&format!("/api/v1/orders/lookup/cancel?token={token}")));
    assert_eq!(cancel.send().await.unwrap().status(), 200);
    let listed = shop.send(Method::GET, &format!("/api/v1/admin/discounts/{id}"), None).await;
    assert_eq!(listed.json::<Value>().await.unwrap()["times_used"], 9);
    let late = cart_of(app, &[(&kettle, 1)]).await;
    assert_eq!(apply(app, &late, "TEN").await.status(), 200);
    let placed = checkout(app, &late, &guest_body("late@example.com", "US", Some("IL"))).await;
    assert_eq!(placed.status(), 201);
    assert_eq!(amount(&placed.json::<Value>().await.unwrap()["discount"]), 1000);
    let exhausted = apply(app, &cart_of(app, &[(&kettle, 1)]).await, "TEN").await;
    assert_eq!(error_of(exhausted, 422).await.code, "discount_code_rejected");
}

#[tokio::test]
async fn a_once_per_customer_code_counts_guests_by_email() {
    let shop = AdminShop::spawn().await;
    let app = &shop.app;
    discount(
        &shop,
        json!({"code": "ONCE", "kind": "percentage", "value": 1000,
        "per_customer_limit": 1}),
    )
    .await;
    let kettle = app.set_stock("K-001", 10).await;
    let first = cart_of(app, &[(&kettle, 1)]).await;
    assert_eq!(apply(app, &first, "ONCE").await.status(), 200);
    let body = guest_body("Once@Example.com", "US", Some("IL"));
    assert_eq!(checkout(app, &first, &body).await.status(), 201);

    // The same address in another case, from another cart: used up.
    let second = cart_of(app, &[(&kettle, 1)]).await;
    assert_eq!(apply(app, &second, "ONCE").await.status(), 200);
    let body = guest_body("once@example.COM", "US", Some("IL"));
    let refused = error_of(checkout(app, &second, &body).await, 409).await;
    assert_eq!(refused.code, "discount_exhausted");
    // Someone else may.
    let body = guest_body("other@example.com", "US", Some("IL"));
    assert_eq!(checkout(app, &second, &body).await.status(), 201);
}

#[tokio::test]
async fn admins_keep_discounts_and_every_bad_field_is_named() {
    let shop = AdminShop::spawn().await;
    let created = shop
        .created(
            "/api/v1/admin/discounts",
            json!({"code": "summer-25", "description": "Summer: 25% off", "kind": "percentage",
                   "value": 2500, "stackable": true}),
        )
        .await;
    assert_eq!(
        (created["code"].as_str(), created["times_used"].as_i64()),
        (Some("SUMMER-25"), Some(0))
    );
    let id = created["id"].as_str().unwrap();
    let path = format!("/api/v1/admin/discounts/{id}");
    let changed = shop
        .send(Method::PUT, &path, Some(json!({"code": "SUMMER-25", "kind": "fixed", "value": 700})))
        .await;
    assert_eq!(changed.status(), 200);
    assert_eq!(changed.json::<Value>().await.unwrap()["kind"], "fixed");
    let taken = shop
        .send(
            Method::POST,
            "/api/v1/admin/discounts",
            Some(json!({"code": "Summer-25", "kind": "fixed", "value": 1})),
        )
        .await;
    assert_eq!(error_of(taken, 409).await.code, "discount_code_taken");

    let bad = json!({"code": "x", "kind": "percentage", "value": 20000, "min_subtotal": -1,
        "starts_at": "2030-01-02T00:00:00Z", "ends_at": "2030-01-01T00:00:00Z",
        "usage_limit": 0, "per_customer_limit": -3,
        "applies_to": {"product_ids": [uuid::Uuid::new_v4()]}});
    let refused = shop.send(Method::POST, "/api/v1/admin/discounts", Some(bad)).await;
    let fields = error_of(refused, 422).await.fields.unwrap();
    for field in ["code", "value", "min_subtotal", "ends_at", "usage_limit", "per_customer_limit"] {
        assert!(fields.contains_key(field), "{field}: {fields:?}");
    }
    let unknown = shop
        .send(
            Method::POST,
            "/api/v1/admin/discounts",
            Some(json!({"code": "SCOPED",
            "kind": "free_shipping", "applies_to": {"product_ids": [uuid::Uuid::new_v4()]}})),
        )
        .await;
    assert!(error_of(unknown, 422).await.fields.unwrap().contains_key("applies_to.product_ids[0]"));
    let automatic_with_code = shop
        .send(
            Method::POST,
            "/api/v1/admin/discounts",
            Some(json!({"code": "AUTO", "kind": "fixed", "value": 1, "automatic": true})),
        )
        .await;
    assert!(error_of(automatic_with_code, 422).await.fields.unwrap().contains_key("code"));
    assert_eq!(count(&shop.app, "SELECT count(*) FROM discounts").await, 1);

    let listed: Value =
        shop.send(Method::GET, "/api/v1/admin/discounts", None).await.json().await.unwrap();
    assert_eq!(listed["total"], 1);
    assert_eq!(shop.send(Method::DELETE, &path, None).await.status(), 204);
    assert_eq!(shop.send(Method::DELETE, &path, None).await.status(), 404);
    let customer = shop.app.register_user().await;
    let forbidden = shop
        .app
        .authed(Method::GET, "/api/v1/admin/discounts", &customer.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(forbidden.status(), 403);
}

/// One order of the worked table: the cart, the codes, where it goes and
/// by which method, and what it must come to, worked out by hand.
struct Worked {
    lines: &'static [(&'static str, i64)],
    codes: &'static [&'static str],
    country: &'static str,
    state: Option<&'static str>,
    method: Option<&'static str>,
    subtotal: i64,
    discount: i64,
    shipping: i64,
    tax: i64,
    total: i64,
}

#[tokio::test]
async fn ten_orders_over_mixed_codes_zones_and_tax_classes_come_to_the_cent() {
    let shop = AdminShop::spawn().await;
    let app = &shop.app;
    // Prices and weights (grams) the table is worked out with.
    let mut products = std::collections::HashMap::new();
    for (sku, name, price, grams) in [
        ("K-001", "KETTLE", 4999, 1500),
        ("K-007", "SCALE", 1999, 800),
        ("BS-001", "BOOK", 1250, 400),
        ("E-002", "SPEAKER", 7900, 1200),
    ] {
        let id: uuid::Uuid = sqlx::query_scalar(
            "UPDATE product_variants SET price_amount = $2, weight_grams = $3, stock_quantity = 100
             WHERE sku = $1 RETURNING product_id",
        )
        .bind(sku)
        .bind(price)
        .bind(grams)
        .fetch_one(&app.db)
        .await
        .unwrap();
        products.insert(name, id.to_string());
    }
    let mut categories = Vec::new();
    for slug in ["books-stationery", "kitchen"] {
        let id: String = sqlx::query_scalar("SELECT id::text FROM categories WHERE slug = $1")
            .bind(slug)
            .fetch_one(&app.db)
            .await
            .unwrap();
        categories.push(id);
    }
    let (books, kitchen) = (categories[0].clone(), categories[1].clone());
    let put = shop
        .send(
            Method::PUT,
            &format!("/api/v1/admin/categories/{books}"),
            Some(json!({"tax_class": "reduced"})),
        )
        .await;
    assert_eq!(put.status(), 200);

    // Tax: US 8% (the default), California 7.25%, US reduced 2%; Germany
    // 19% and reduced 7%, inside the prices; no rate for Great Britain.
    for rate in [
        json!({"country": "US", "region": "CA", "rate_bps": 725}),
        json!({"country": "US", "tax_class": "reduced", "rate_bps": 200}),
        json!({"country": "DE", "rate_bps": 1900, "inclusive": true}),
        json!({"country": "DE", "tax_class": "reduced", "rate_bps": 700, "inclusive": true}),
    ] {
        shop.created("/api/v1/admin/tax-rates", rate).await;
    }
    // Shipping: the default US zone gains Express (15.00); Europe by
    // weight; Great Britain free from 100.00.
    let zones: Value =
        shop.send(Method::GET, "/api/v1/admin/shipping-zones", None).await.json().await.unwrap();
    let us = &zones["items"][0];
    let standard = us["methods"][0]["id"].clone();
    let us_zone = us["id"].as_str().unwrap();
    let express = shop
        .send(Method::PUT, &format!("/api/v1/admin/shipping-zones/{us_zone}"),
              Some(json!({"name": "United States", "countries": ["US"], "methods": [
                  {"id": standard, "name": "Standard", "price": 599, "free_over": 5000,
                   "estimated_days_min": 3, "estimated_days_max": 5},
                  {"name": "Express", "price": 1500, "estimated_days_min": 1, "estimated_days_max": 2}]})))
        .await
        .json::<Value>()
        .await
        .unwrap()["methods"][1]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    shop.created("/api/v1/admin/shipping-zones", json!({"name": "Europe", "countries": ["DE", "FR"],
        "methods": [{"name": "Parcel", "price": 0, "estimated_days_min": 4, "estimated_days_max": 8,
            "weight_bands": [{"up_to_grams": 2000, "price": 900}, {"up_to_grams": 10000, "price": 1900}]}]})).await;
    shop.created(
        "/api/v1/admin/shipping-zones",
        json!({"name": "UK", "countries": ["GB"],
        "methods": [{"name": "Royal", "price": 799, "free_over": 10000,
                     "estimated_days_min": 2, "estimated_days_max": 4}]}),
    )
    .await;

    // Codes, and an automatic 5% off books that stacks.
    discount(&shop, json!({"code": "SAVE10", "kind": "percentage", "value": 1000})).await;
    discount(
        &shop,
        json!({"code": "FIVEOFF", "kind": "fixed", "value": 500, "min_subtotal": 3000}),
    )
    .await;
    discount(&shop, json!({"code": "SHIPFREE", "kind": "free_shipping", "stackable": true})).await;
    discount(
        &shop,
        json!({"code": "KITCHEN20", "kind": "percentage", "value": 2000,
        "stackable": true, "applies_to": {"category_ids": [kitchen]}}),
    )
    .await;
    discount(
        &shop,
        json!({"description": "Books: 5% off", "kind": "percentage", "value": 500,
        "automatic": true, "stackable": true, "applies_to": {"category_ids": [books]}}),
    )
    .await;

    let table = [
        // 1. Kettle to Illinois: 5.99 shipping (under 50.00), 8% of 49.99 = 3.9992.
        Worked {
            lines: &[("KETTLE", 1)],
            codes: &[],
            country: "US",
            state: Some("IL"),
            method: None,
            subtotal: 4999,
            discount: 0,
            shipping: 599,
            tax: 400,
            total: 5998,
        },
        // 2. SAVE10 (10% of 99.98 = 10.00, of 12.50 = 1.25) beats books' 5%
        //    (0.625 -> 0.62); 101.23 left ships free; tax 8% of 89.98 = 7.1984,
        //    2% of 11.25 = 0.225 -> 0.22 (half to even).
        Worked {
            lines: &[("KETTLE", 2), ("BOOK", 1)],
            codes: &["SAVE10"],
            country: "US",
            state: Some("IL"),
            method: None,
            subtotal: 11248,
            discount: 1125,
            shipping: 0,
            tax: 742,
            total: 10865,
        },
        // 3. FIVEOFF on 39.98 (over its 30.00 minimum) in California:
        //    7.25% of 34.98 = 2.53605.
        Worked {
            lines: &[("SCALE", 2)],
            codes: &["FIVEOFF"],
            country: "US",
            state: Some("CA"),
            method: None,
            subtotal: 3998,
            discount: 500,
            shipping: 599,
            tax: 254,
            total: 4351,
        },
        // 4. KITCHEN20 and SHIPFREE stack: 20% of 49.99 = 9.998 -> 10.00,
        //    of 19.99 = 3.998 -> 4.00; Express (15.00) waived; 7.25% of 39.99
        //    = 2.899275 and of 15.99 = 1.159275.
        Worked {
            lines: &[("KETTLE", 1), ("SCALE", 1)],
            codes: &["KITCHEN20", "SHIPFREE"],
            country: "US",
            state: Some("CA"),
            method: Some("express"),
            subtotal: 6998,
            discount: 1400,
            shipping: 0,
            tax: 406,
            total: 6004,
        },
        // 5. Germany, tax inside the prices: books' 5% of 25.00 = 1.25; 2.0 kg
        //    ships for 9.00; 23.75 holds 23.75 - 23.75/1.07 = 1.55 (7%),
        //    79.00 holds 79.00 - 79.00/1.19 = 12.61 (19%); the total adds no tax.
        Worked {
            lines: &[("BOOK", 2), ("SPEAKER", 1)],
            codes: &[],
            country: "DE",
            state: None,
            method: None,
            subtotal: 10400,
            discount: 125,
            shipping: 900,
            tax: 1416,
            total: 11175,
        },
        // 6. SAVE10 on two speakers (15.80 off); 2.4 kg: the 19.00 band;
        //    142.20 holds 142.20 - 142.20/1.19 = 22.70.
        Worked {
            lines: &[("SPEAKER", 2)],
            codes: &["SAVE10"],
            country: "DE",
            state: None,
            method: None,
            subtotal: 15800,
            discount: 1580,
            shipping: 1900,
            tax: 2270,
            total: 16120,
        },
        // 7. Great Britain has no rate: nothing taxed; Royal 7.99.
        Worked {
            lines: &[("KETTLE", 1)],
            codes: &[],
            country: "GB",
            state: None,
            method: None,
            subtotal: 4999,
            discount: 0,
            shipping: 799,
            tax: 0,
            total: 5798,
        },
        // 8. FIVEOFF spread over 99.98 and 19.99: 4.1669 -> 4.17 (largest
        //    remainder) and 0.83; 114.97 ships free over 100.00.
        Worked {
            lines: &[("KETTLE", 2), ("SCALE", 1)],
            codes: &["FIVEOFF"],
            country: "GB",
            state: None,
            method: None,
            subtotal: 11997,
            discount: 500,
            shipping: 0,
            tax: 0,
            total: 11497,
        },
        // 9. New York (the US rate): books' 5% brings 50.00 to 47.50, under
        //    Standard's threshold, so SHIPFREE waives its 5.99; 2% of 47.50.
        Worked {
            lines: &[("BOOK", 4)],
            codes: &["SHIPFREE"],
            country: "US",
            state: Some("NY"),
            method: None,
            subtotal: 5000,
            discount: 250,
            shipping: 0,
            tax: 95,
            total: 4845,
        },
        // 10. KITCHEN20 with books' 5% (10.00 + 0.62 = 10.62) beats SAVE10
        //     (5.00 + 1.25): SAVE10 is not combined; 51.87 ships free; 8% of
        //     39.99 = 3.1992, 2% of 11.88 = 0.2376.
        Worked {
            lines: &[("KETTLE", 1), ("BOOK", 1)],
            codes: &["SAVE10", "KITCHEN20"],
            country: "US",
            state: Some("IL"),
            method: None,
            subtotal: 6249,
            discount: 1062,
            shipping: 0,
            tax: 344,
            total: 5531,
        },
    ];

    for (n, row) in table.iter().enumerate() {
        let lines: Vec<(&str, i64)> =
            row.lines.iter().map(|(name, q)| (products[name].as_str(), *q)).collect();
        let token = cart_of(app, &lines).await;
        for code in row.codes {
            assert_eq!(apply(app, &token, code).await.status(), 200, "order {}: {code}", n + 1);
        }
        let mut body = guest_body(&format!("worked{n}@example.com"), row.country, row.state);
        if row.method == Some("express") {
            body["shipping_method"] = json!(express);
        }
        let mut query = format!("/api/v1/cart?country={}", row.country);
        if let Some(state) = row.state {
            query.push_str(&format!("&region={state}"));
        }
        if row.method == Some("express") {
            query.push_str(&format!("&shipping_method={express}"));
        }
        let preview: Value =
            as_guest(app, Method::GET, &query, &token, None).await.json().await.unwrap();
        body["expected_total"] = json!(amount(&preview["total"]));
        let placed = checkout(app, &token, &body).await;
        assert_eq!(placed.status(), 201, "order {}", n + 1);
        let order: Value = placed.json().await.unwrap();
        let got = [
            &order["subtotal"],
            &order["discount"],
            &order["shipping"],
            &order["tax"],
            &order["total"],
        ]
        .map(amount);
        assert_eq!(
            got,
            [row.subtotal, row.discount, row.shipping, row.tax, row.total],
            "order {}",
            n + 1
        );
        let items = order["items"].as_array().unwrap();
        let line_sum = |field: &str| items.iter().map(|i| amount(&i[field])).sum::<i64>();
        assert_eq!(
            (line_sum("discount"), line_sum("tax")),
            (row.discount, row.tax),
            "order {}",
            n + 1
        );
    }
    let used: i64 = count(app, "SELECT count(*) FROM discount_redemptions").await;
    // Orders 2, 3, 4 (two codes), 5 (automatic), 6, 8, 9 (code and
    // automatic), 10 (code and automatic).
    assert_eq!(used, 11);
}
