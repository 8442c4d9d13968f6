//! Shipping zones and methods: admin CRUD, and the options a cart gets for
//! a destination, priced by its weight and subtotal.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{AdminShop, cart_token, error_of, guest_add};

const PATH: &str = "/api/v1/admin/shipping-zones";

fn domestic() -> Value {
    json!({"name": "Domestic", "countries": ["us"], "methods": [
        {"name": "Standard", "price": 599, "free_over": 5000,
         "estimated_days_min": 3, "estimated_days_max": 5},
        {"name": "Express", "price": 0, "estimated_days_min": 1, "estimated_days_max": 2,
         "weight_bands": [{"up_to_grams": 1000, "price": 1200}, {"up_to_grams": 5000, "price": 2400}]}
    ]})
}

#[tokio::test]
async fn admins_keep_zones_whose_methods_keep_their_ids() {
    let shop = AdminShop::spawn_bare().await;
    let zone = shop.created(PATH, domestic()).await;
    assert_eq!(zone["countries"], json!(["US"]));
    assert_eq!(zone["methods"].as_array().unwrap().len(), 2);
    let standard = zone["methods"][0]["id"].clone();
    let id = zone["id"].as_str().unwrap();

    // Keep Standard (cheaper now), drop Express, add Overnight.
    let changed = shop
        .send(Method::PUT, &format!("{PATH}/{id}"), Some(json!({"name": "Domestic",
            "countries": ["US"], "methods": [
            {"id": standard, "name": "Standard", "price": 499,
             "estimated_days_min": 3, "estimated_days_max": 5},
            {"name": "Overnight", "price": 2999, "estimated_days_min": 1, "estimated_days_max": 1}
        ]})))
        .await;
    assert_eq!(changed.status(), 200);
    let changed: Value = changed.json().await.unwrap();
    assert_eq!(changed["methods"][0]["id"], standard);
    assert_eq!(changed["methods"][0]["price"], 499);
    assert_eq!(changed["methods"][1]["name"], "Overnight");
    let listed: Value = shop.send(Method::GET, PATH, None).await.json().await.unwrap();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);

    let stranger = json!({"name": "Domestic", "countries": ["US"], "methods": [
        {"id": uuid::Uuid::new_v4(), "name": "X", "price": 1,
         "estimated_days_min": 1, "estimated_days_max": 1}]});
    let refused = shop.send(Method::PUT, &format!("{PATH}/{id}"), Some(stranger)).await;
    assert!(error_of(refused, 422).await.fields.unwrap().contains_key("methods[0].id"));

    assert_eq!(shop.send(Method::DELETE, &format!("{PATH}/{id}"), None).await.status(), 204);
    assert_eq!(shop.send(Method::DELETE, &format!("{PATH}/{id}"), None).await.status(), 404);
    let customer = shop.app.register_user().await;
    let forbidden =
        shop.app.authed(Method::GET, PATH, &customer.access_token).send().await.unwrap();
    assert_eq!(forbidden.status(), 403);
}

#[tokio::test]
async fn every_bad_field_is_named_and_nothing_is_written() {
    let shop = AdminShop::spawn_bare().await;
    let bad = json!({"name": "", "countries": ["ZZ"], "methods": [
        {"name": "Standard", "price": -1, "estimated_days_min": 5, "estimated_days_max": 3},
        {"name": "Heavy", "price": 0, "estimated_days_min": 1, "estimated_days_max": 2,
         "weight_bands": [{"up_to_grams": 5000, "price": 10}, {"up_to_grams": 1000, "price": 5}]}
    ]});
    let fields =
        error_of(shop.send(Method::POST, PATH, Some(bad)).await, 422).await.fields.unwrap();
    for field in [
        "name",
        "countries",
        "methods[0].price",
        "methods[0].estimated_days_max",
        "methods[1].weight_bands",
    ] {
        assert!(fields.contains_key(field), "{field}: {fields:?}");
    }
    let zones: i64 = sqlx::query_scalar("SELECT count(*) FROM shipping_zones")
        .fetch_one(&shop.app.db)
        .await
        .unwrap();
    assert_eq!(zones, 0);
}

#[tokio::test]
async fn a_cart_gets_the_options_of_its_destination_priced_for_it() {
    let shop = AdminShop::spawn_bare().await;
    shop.created(PATH, domestic()).await;
    shop.created(
        PATH,
        json!({"name": "Remote", "countries": ["US"], "regions": ["AK", "HI"],
        "methods": [{"name": "Island", "price": 1999, "estimated_days_min": 5,
                     "estimated_days_max": 10}]}),
    )
    .await;
    let kettle = shop.app.set_stock("K-001", 10).await;
    sqlx::query(
        "UPDATE product_variants SET weight_grams = 1500, price_amount = 2000 WHERE sku = 'K-001'",
    )
    .execute(&shop.app.db)
    .await
    .unwrap();
    let cart = cart_token(&guest_add(&shop.app, None, &kettle, 1).await).unwrap();
    let options = |query: &'static str| {
        let request = shop
            .app
            .client
            .get(shop.app.url(&format!("/api/v1/cart/shipping-options?{query}")))
            .header("cookie", format!("cart_token={cart}"));
        async move { request.send().await.unwrap() }
    };
    let priced = |answer: Value| -> Vec<(String, i64)> {
        answer
            .as_array()
            .unwrap()
            .iter()
            .map(|o| {
                (o["name"].as_str().unwrap().to_owned(), o["price"]["amount"].as_i64().unwrap())
            })
            .collect()
    };

    let illinois: Value = options("country=US&region=IL").await.json().await.unwrap();
    assert_eq!(priced(illinois), [("Standard".to_owned(), 599), ("Express".to_owned(), 2400)]);
    let hawaii: Value = options("country=us&region=hi").await.json().await.unwrap();
    assert_eq!(priced(hawaii), [("Island".to_owned(), 1999)]);
    let japan: Value = options("country=JP").await.json().await.unwrap();
    assert_eq!(japan, json!([]));
    let missing = error_of(options("region=IL").await, 422).await;
    assert!(missing.fields.unwrap().contains_key("country"));

    // Four kettles (6 kg, 80.00): over the free-shipping threshold, and too
    // heavy for Express's heaviest band.
    guest_add(&shop.app, Some(&cart), &kettle, 3).await;
    let heavier: Value = options("country=US").await.json().await.unwrap();
    assert_eq!(priced(heavier), [("Standard".to_owned(), 0)]);
}
