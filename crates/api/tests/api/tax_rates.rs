//! Tax rates: admin CRUD, one rate per scope, every bad field named.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{AdminShop, error_of};

const PATH: &str = "/api/v1/admin/tax-rates";

#[tokio::test]
async fn admins_keep_one_rate_per_country_region_and_class() {
    let shop = AdminShop::spawn_bare().await;
    let us = shop.created(PATH, json!({"country": "us", "rate_bps": 500})).await;
    assert_eq!((us["country"].as_str(), us["rate_bps"].as_i64()), (Some("US"), Some(500)));
    assert_eq!(us["region"], Value::Null);
    let california =
        shop.created(PATH, json!({"country": "US", "region": "CA", "rate_bps": 725})).await;
    let books = shop
        .created(
            PATH,
            json!({"country": "US", "tax_class": "reduced", "rate_bps": 100,
                              "inclusive": true}),
        )
        .await;
    assert_eq!(books["inclusive"], true);

    let again =
        shop.send(Method::POST, PATH, Some(json!({"country": "US", "rate_bps": 600}))).await;
    assert_eq!(error_of(again, 409).await.code, "tax_rate_exists");

    let id = california["id"].as_str().unwrap();
    let changed = shop
        .send(
            Method::PUT,
            &format!("{PATH}/{id}"),
            Some(json!({"country": "US", "region": "CA",
                                                                   "rate_bps": 750})),
        )
        .await;
    assert_eq!(changed.status(), 200);
    let listed = shop.send(Method::GET, PATH, None).await;
    let listed: Value = listed.json().await.unwrap();
    let rates: Vec<(Value, Value, Value)> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["region"].clone(), r["tax_class"].clone(), r["rate_bps"].clone()))
        .collect();
    assert_eq!(
        rates,
        [
            (Value::Null, Value::Null, json!(500)),
            (Value::Null, json!("reduced"), json!(100)),
            (json!("CA"), Value::Null, json!(750)),
        ]
    );

    let gone =
        shop.send(Method::DELETE, &format!("{PATH}/{}", books["id"].as_str().unwrap()), None).await;
    assert_eq!(gone.status(), 204);
    let twice =
        shop.send(Method::DELETE, &format!("{PATH}/{}", books["id"].as_str().unwrap()), None).await;
    assert_eq!(twice.status(), 404);
    let customer = shop.app.register_user().await;
    let refused = shop.app.authed(Method::GET, PATH, &customer.access_token).send().await.unwrap();
    assert_eq!(refused.status(), 403);
}

#[tokio::test]
async fn every_bad_field_is_named_and_nothing_is_written() {
    let shop = AdminShop::spawn_bare().await;
    let bad = json!({"country": "XX", "region": "x".repeat(101), "tax_class": "Reduced Rate",
                     "rate_bps": 10_001});
    let fields =
        error_of(shop.send(Method::POST, PATH, Some(bad)).await, 422).await.fields.unwrap();
    for field in ["country", "region", "tax_class", "rate_bps"] {
        assert!(fields.contains_key(field), "{field}: {fields:?}");
    }
    let stored: i64 =
        sqlx::query_scalar("SELECT count(*) FROM tax_rates").fetch_one(&shop.app.db).await.unwrap();
    assert_eq!(stored, 0);
}
