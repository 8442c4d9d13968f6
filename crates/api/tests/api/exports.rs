//! The catalog exported as CSV: every live variant once, its cells as the
//! catalog holds them (commas, quotes and line breaks survive a standard
//! CSV reader; formulas are defused), streamed page after page.

use std::collections::HashMap;

use reqwest::Method;
use reqwest::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use serde_json::json;

use crate::helpers::{TestApp, TestUser, free_port};

async fn export(
    app: &TestApp,
    token: &str,
) -> (u16, Vec<HashMap<String, String>>, reqwest::header::HeaderMap) {
    let answer =
        app.authed(Method::GET, "/api/v1/admin/exports/products.csv", token).send().await.unwrap();
    let status = answer.status().as_u16();
    let headers = answer.headers().clone();
    let body = answer.bytes().await.unwrap();
    if status != 200 {
        return (status, Vec::new(), headers);
    }
    let mut reader = csv::Reader::from_reader(&body[..]);
    let names: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
    assert_eq!(names, gokart_api::catalog::export::HEADER);
    let rows = reader
        .records()
        .map(|record| {
            names.iter().cloned().zip(record.unwrap().iter().map(str::to_owned)).collect()
        })
        .collect();
    (status, rows, headers)
}

async fn live_variants(app: &TestApp) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM product_variants v JOIN products p ON p.id = v.product_id
         WHERE v.deleted_at IS NULL AND p.deleted_at IS NULL",
    )
    .fetch_one(&app.db)
    .await
    .unwrap()
}

async fn create_product(app: &TestApp, admin: &TestUser, body: serde_json::Value) -> String {
    let answer = app
        .authed(Method::POST, "/api/v1/admin/products", &admin.access_token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 201, "{}", answer.text().await.unwrap());
    let product: serde_json::Value = answer.json().await.unwrap();
    product["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn every_live_variant_is_exported_once_with_its_cells_intact() {
    let port = free_port();
    let media = std::env::temp_dir().join(format!("gokart-export-{}", uuid::Uuid::new_v4()));
    let app = TestApp::spawn_shop_with(|env| {
        env.set("PORT", port.to_string());
        env.set("PUBLIC_URL", format!("http://127.0.0.1:{port}"));
        env.set("MEDIA_DIR", media.to_string_lossy().into_owned());
    })
    .await;
    // More products than one page reads, so the export spans several.
    gokart_api::catalog::seed::synthetic_products(&app.db, 450).await.unwrap();
    let admin = app.create_admin().await;
    let category: String =
        sqlx::query_scalar("SELECT id::text FROM categories ORDER BY slug LIMIT 1")
            .fetch_one(&app.db)
            .await
            .unwrap();
    let tricky = create_product(&app, &admin, json!({
        "name": "=HYPERLINK(\"x\") Kettle, \"large\"",
        "description": "Line one\nline two, with a comma",
        "category_id": category,
        "options": [{"name": "Size", "values": ["S", "M"]}, {"name": "Colour", "values": ["Red"]}],
        "variants": [
            {"sku": "TRICKY-S", "price": {"amount": 1999, "currency": "usd"}, "options": {"Size": "S", "Colour": "Red"}, "stock_quantity": 4},
            {"sku": "TRICKY-M", "price": {"amount": 2199, "currency": "usd"},
             "compare_at_price": {"amount": 2499, "currency": "usd"}, "options": {"Size": "M", "Colour": "Red"}},
        ],
    })).await;
    let gone = create_product(
        &app,
        &admin,
        json!({
            "name": "Discontinued", "category_id": category, "sku": "GONE-1",
        "price": {"amount": 100, "currency": "usd"},
        }),
    )
    .await;
    let deleted = app
        .authed(Method::DELETE, &format!("/api/v1/admin/products/{gone}"), &admin.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);

    let (form, form_type) = crate::media::form(
        &crate::media::picture(64, 48, image::ImageFormat::Png),
        "a.png",
        "image/png",
        None,
    );
    let uploaded = app
        .authed(
            Method::POST,
            &format!("/api/v1/admin/products/{tricky}/media"),
            &admin.access_token,
        )
        .header("content-type", form_type)
        .body(form)
        .send()
        .await
        .unwrap();
    assert_eq!(uploaded.status(), 201, "{}", uploaded.text().await.unwrap());

    let (status, rows, headers) = export(&app, &admin.access_token).await;
    assert_eq!(status, 200);
    assert_eq!(headers[CONTENT_TYPE], "text/csv; charset=utf-8");
    assert!(headers[CONTENT_DISPOSITION].to_str().unwrap().contains("products.csv"));
    assert_eq!(rows.len() as i64, live_variants(&app).await);
    let mut skus: Vec<&str> = rows.iter().map(|row| row["sku"].as_str()).collect();
    skus.sort_unstable();
    skus.dedup();
    assert_eq!(skus.len(), rows.len(), "each variant once");
    assert!(!skus.contains(&"GONE-1"), "deleted products stay out");

    let small = rows.iter().find(|row| row["sku"] == "TRICKY-S").unwrap();
    let medium = rows.iter().find(|row| row["sku"] == "TRICKY-M").unwrap();
    assert_eq!(small["product_id"], tricky);
    // The formula is defused with a leading quote; the rest is intact.
    assert_eq!(small["name"], "'=HYPERLINK(\"x\") Kettle, \"large\"");
    assert_eq!(small["description"], "Line one\nline two, with a comma");
    assert_eq!((small["option1_name"].as_str(), small["option1_value"].as_str()), ("Size", "S"));
    assert_eq!(
        (small["option2_name"].as_str(), small["option2_value"].as_str()),
        ("Colour", "Red")
    );
    assert_eq!((small["price"].as_str(), small["stock"].as_str()), ("1999", "4"));
    assert_eq!((medium["price"].as_str(), medium["compare_at_price"].as_str()), ("2199", "2499"));
    assert_eq!(small["compare_at_price"], "");
    assert_eq!(small["active"], "true");

    // Photos are URLs the shop serves.
    let photos: Vec<&str> = small["image_urls"].split(' ').collect();
    assert_eq!(photos.len(), 1);
    assert_eq!(medium["image_urls"], small["image_urls"]);
    let photo = app.client.get(photos[0]).send().await.unwrap();
    assert_eq!(photo.status(), 200, "{}", photos[0]);
    let _ = std::fs::remove_dir_all(&media);
}

#[tokio::test]
async fn a_key_needs_catalog_read_to_export() {
    let app = TestApp::spawn_shop().await;
    let admin = app.create_admin().await;
    let key = |scopes: &'static [&'static str]| {
        let request = app
            .authed(Method::POST, "/api/v1/admin/api-keys", &admin.access_token)
            .json(&json!({"name": "export", "scopes": scopes}));
        async move {
            let made: serde_json::Value = request.send().await.unwrap().json().await.unwrap();
            made["key"].as_str().unwrap().to_owned()
        }
    };
    let reader = key(&["catalog:read"]).await;
    let (status, rows, _) = export(&app, &reader).await;
    assert_eq!(status, 200);
    assert_eq!(rows.len() as i64, live_variants(&app).await);
    let orders_only = key(&["orders:read"]).await;
    assert_eq!(export(&app, &orders_only).await.0, 403);
}
