//! The `gcs` media store against the Cloud Storage emulator from PyPI
//! (`make test` installs it): uploads become objects with their type and
//! an immutable cache policy, the URLs the API gives out load from the
//! bucket, and deleting a photo deletes its objects.

use std::time::Duration;

use image::ImageFormat;
use reqwest::Method;
use serde_json::Value;

use crate::helpers::{AdminShop, TestApp, free_port};
use crate::media::{form, picture};
use crate::pipeline::wait_for;

const BUCKET: &str = "gokart-media";

/// The emulator on a free port with the bucket made; killed when dropped.
struct Emulator {
    endpoint: String,
    _process: tokio::process::Child,
}

impl Emulator {
    async fn start() -> Emulator {
        let program = std::env::var("GCS_EMULATOR")
            .expect("GCS_EMULATOR names the emulator; `make test` installs it");
        let port = free_port();
        let process = tokio::process::Command::new(program)
            .args(["start", "--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["--default-bucket", BUCKET, "--in-memory", "--quiet"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("the emulator starts");
        let endpoint = format!("http://127.0.0.1:{port}");
        let health = endpoint.clone();
        wait_for(Duration::from_secs(30), || {
            let health = health.clone();
            async move { reqwest::get(&health).await.is_ok_and(|r| r.status().is_success()) }
        })
        .await;
        Emulator { endpoint, _process: process }
    }

    /// The stored object's metadata (JSON API), or `None` when it is gone.
    async fn object(&self, url: &str) -> Option<Value> {
        let key = url.split(&format!("/{BUCKET}/")).nth(1).unwrap().replace('/', "%2F");
        let answer =
            reqwest::get(format!("{}/storage/v1/b/{BUCKET}/o/{key}", self.endpoint)).await.unwrap();
        if answer.status() == 404 {
            return None;
        }
        assert_eq!(answer.status(), 200);
        Some(answer.json().await.unwrap())
    }
}

#[tokio::test]
async fn photos_are_stored_in_and_deleted_from_the_bucket() {
    let emulator = Emulator::start().await;
    let endpoint = emulator.endpoint.clone();
    let app = TestApp::spawn_shop_with(|env| {
        env.set("MEDIA_STORAGE", "gcs");
        env.set("GCS_BUCKET", BUCKET);
        env.set("GCS_ENDPOINT", endpoint.as_str());
    })
    .await;
    let admin = app.create_admin().await;
    let shop = AdminShop { app, admin };
    let product: uuid::Uuid = sqlx::query_scalar("SELECT id FROM products ORDER BY name LIMIT 1")
        .fetch_one(&shop.app.db)
        .await
        .unwrap();

    let (body, form_type) =
        form(&picture(900, 600, ImageFormat::Png), "label.png", "image/png", Some("Label"));
    let response = shop
        .app
        .authed(
            Method::POST,
            &format!("/api/v1/admin/products/{product}/media"),
            &shop.admin.access_token,
        )
        .header("content-type", form_type)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let media: Value = response.json().await.unwrap();
    let url = media["url"].as_str().unwrap().to_owned();
    assert!(
        url.starts_with(&format!("{}/{BUCKET}/products/{product}/", emulator.endpoint)),
        "{url}"
    );

    let mut urls = vec![url.clone()];
    urls.extend(
        media["renditions"].as_object().unwrap().values().map(|u| u.as_str().unwrap().to_owned()),
    );
    assert_eq!(urls.len(), 3, "the original, 200 and 600");
    for url in &urls {
        let bytes = reqwest::get(url).await.unwrap().bytes().await.unwrap();
        let loaded = image::load_from_memory(&bytes).unwrap();
        assert!(loaded.width() <= 900, "{url}");
        let object = emulator.object(url).await.unwrap();
        assert_eq!(object["cacheControl"], "public, max-age=31536000, immutable");
        let expected = if url.ends_with(".png") { "image/png" } else { "image/webp" };
        assert_eq!(object["contentType"], expected);
    }

    let id = media["id"].as_str().unwrap();
    let deleted = shop.send(Method::DELETE, &format!("/api/v1/admin/media/{id}"), None).await;
    assert_eq!(deleted.status(), 204);
    for url in &urls {
        assert!(emulator.object(url).await.is_none(), "{url} is still stored");
    }
}
