//! The web app served from the API's own origin: hashed assets cached for
//! a year, pages answered with `index.html`, API paths never, and a
//! Content-Security-Policy that lets the app load only from here.

use std::io::Read;
use std::path::PathBuf;

use reqwest::StatusCode;
use reqwest::header::{
    ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_SECURITY_POLICY, CONTENT_TYPE, ETAG,
    IF_NONE_MATCH,
};

use crate::helpers::TestApp;

const INDEX: &str = r#"<!doctype html><html lang="en"><head><title>GoKart</title>
<script type="module" crossorigin src="/assets/index-B1x2y3z4.js"></script></head>
<body><div id="root"></div></body></html>"#;

/// A built app as Vite lays it out, in a directory of its own.
fn built_app() -> (PathBuf, String) {
    let dir = std::env::temp_dir().join(format!("gokart-web-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(dir.join("assets")).expect("temporary directory");
    std::fs::write(dir.join("index.html"), INDEX).expect("index.html");
    let script = "export const shop = 'GoKart';\n".repeat(200);
    std::fs::write(dir.join("assets/index-B1x2y3z4.js"), &script).expect("script");
    std::fs::write(dir.join("favicon.svg"), "<svg xmlns='http://www.w3.org/2000/svg'/>")
        .expect("icon");
    (dir, script)
}

async fn spawn_with_app() -> (TestApp, PathBuf, String) {
    let (dir, script) = built_app();
    let path = dir.display().to_string();
    let app = TestApp::spawn_with(|env| env.set("WEB_DIR", &path), Default::default()).await;
    (app, dir, script)
}

#[tokio::test]
async fn pages_of_the_app_are_its_index_revalidated_and_locked_down() {
    let (app, dir, _) = spawn_with_app().await;
    for path in ["/", "/p/0196a1b2-0000-7000-8000-000000000000", "/account/reset-password"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let headers = response.headers().clone();
        assert_eq!(headers[CONTENT_TYPE], "text/html; charset=utf-8");
        assert_eq!(headers[CACHE_CONTROL], "no-cache", "{path}: the page is always revalidated");
        let policy = headers[CONTENT_SECURITY_POLICY].to_str().expect("ascii");
        assert!(policy.contains("script-src 'self';"), "{policy}");
        assert!(policy.contains("connect-src 'self';"), "{policy}");
        assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
        assert!(!policy.contains("unsafe"), "{policy}");
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert_eq!(response.text().await.expect("body"), INDEX, "{path}");
    }

    // Revalidation with the ETag costs no body.
    let etag = app.get("/").await.headers()[ETAG].clone();
    let again =
        app.client.get(app.url("/")).header(IF_NONE_MATCH, etag).send().await.expect("sent");
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert!(again.bytes().await.expect("body").is_empty());
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn hashed_assets_are_immutable_and_gzipped_for_browsers_that_take_it() {
    let (app, dir, script) = spawn_with_app().await;
    let path = "/assets/index-B1x2y3z4.js";
    let plain = app.get(path).await;
    assert_eq!(plain.status(), StatusCode::OK);
    assert_eq!(plain.headers()[CONTENT_TYPE], "application/javascript; charset=utf-8");
    assert_eq!(plain.headers()[CACHE_CONTROL], "public, max-age=31536000, immutable");
    assert!(plain.headers().get(CONTENT_ENCODING).is_none());
    assert_eq!(plain.text().await.expect("body"), script);

    let zipped = app
        .client
        .get(app.url(path))
        .header(ACCEPT_ENCODING, "gzip, deflate, br")
        .send()
        .await
        .expect("sent");
    assert_eq!(zipped.headers()[CONTENT_ENCODING], "gzip");
    assert_eq!(zipped.headers()["vary"], "accept-encoding");
    let bytes = zipped.bytes().await.expect("body");
    assert!(bytes.len() < script.len() / 4, "{} bytes gzipped", bytes.len());
    let mut unzipped = String::new();
    flate2::read::GzDecoder::new(&bytes[..]).read_to_string(&mut unzipped).expect("gzip");
    assert_eq!(unzipped, script);

    let icon = app.get("/favicon.svg").await;
    assert_eq!(icon.headers()[CONTENT_TYPE], "image/svg+xml");
    assert_eq!(icon.headers()[CACHE_CONTROL], "no-cache", "not hashed: revalidated");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn missing_files_and_api_paths_are_json_404s_never_the_page() {
    let (app, dir, _) = spawn_with_app().await;
    for path in ["/assets/index-OLD.js", "/assets/chunk", "/robots.txt", "/api/v1/nothing"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        let body: serde_json::Value = response.json().await.expect("JSON");
        assert_eq!(body["error"]["code"], "route_not_found", "{path}");
    }
    // The media store's files are its own.
    assert_eq!(app.get("/media/x.png").await.status(), StatusCode::NOT_FOUND);
    // Only reads are pages; the API's own routes still answer as before.
    let post = app.client.post(app.url("/account")).send().await.expect("sent");
    assert_eq!(post.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.get("/api/v1/categories").await.status(), StatusCode::OK);
    let wrong_method = app.client.delete(app.url("/api/v1/categories")).send().await.expect("sent");
    assert_eq!(wrong_method.status(), StatusCode::METHOD_NOT_ALLOWED);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn without_a_built_app_the_api_serves_alone() {
    let app = TestApp::spawn().await;
    let response = app.get("/").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let body: serde_json::Value = response.json().await.expect("JSON");
    assert_eq!(body["error"]["code"], "route_not_found");
}

#[tokio::test]
async fn the_shop_says_how_it_takes_payment() {
    let app = TestApp::spawn().await;
    let shop: serde_json::Value = app.get("/api/v1/shop").await.json().await.expect("JSON");
    assert_eq!(
        shop,
        serde_json::json!({"currency": "usd", "payment_method": "manual", "stripe_publishable_key": null})
    );
}

#[tokio::test]
async fn a_shop_taking_cards_names_its_publishable_key_and_lets_stripe_js_load() {
    let (dir, _) = built_app();
    let path = dir.display().to_string();
    let app = TestApp::spawn_with(
        |env| {
            env.set("WEB_DIR", &path);
            env.set("PAYMENT_PROVIDER", "stripe");
            env.set("STRIPE_SECRET_KEY", "sk_test_standin");
            env.set("STRIPE_WEBHOOK_SECRET", "whsec_test");
            env.set("STRIPE_PUBLISHABLE_KEY", "pk_test_shop");
        },
        Default::default(),
    )
    .await;
    let shop: serde_json::Value = app.get("/api/v1/shop").await.json().await.expect("JSON");
    assert_eq!(shop["payment_method"], "stripe");
    assert_eq!(shop["stripe_publishable_key"], "pk_test_shop");
    let page = app.get("/checkout").await;
    let policy = page.headers()[CONTENT_SECURITY_POLICY].to_str().expect("ascii").to_owned();
    assert!(policy.contains("script-src 'self' https://js.stripe.com"), "{policy}");
    assert!(policy.contains("connect-src 'self' https://api.stripe.com;"), "{policy}");
    // The API's own answers stay locked down.
    let json = app.get("/api/v1/shop").await;
    assert!(!json.headers()[CONTENT_SECURITY_POLICY].to_str().expect("ascii").contains("stripe"));
    let _ = std::fs::remove_dir_all(dir);
}
