//! Product photos: uploaded as multipart forms, checked from their bytes,
//! re-encoded without metadata, resized into WebP renditions, served with
//! immutable caching, ordered, attached to variants, and deleted with their
//! files. Bad files are 422s that leave nothing behind.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use image::{DynamicImage, ImageFormat, Rgb, RgbImage};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{AdminShop, TestApp, add_variant_to_cart, checkout, error_of, free_port};

/// A directory of its own under the system's temporary one, removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new() -> TempDir {
        let dir = std::env::temp_dir().join(format!("gokart-media-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    /// Every file below it.
    pub fn files(&self) -> Vec<PathBuf> {
        fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() { walk(&path, out) } else { out.push(path) }
            }
        }
        let mut out = Vec::new();
        walk(&self.0, &mut out);
        out
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The demo shop storing media under a directory of its own, with
/// `PUBLIC_URL` its real address so the URLs it gives out load.
struct MediaShop {
    shop: AdminShop,
    dir: TempDir,
}

impl std::ops::Deref for MediaShop {
    type Target = AdminShop;

    fn deref(&self) -> &AdminShop {
        &self.shop
    }
}

async fn media_shop(settings: &[(&str, &str)]) -> MediaShop {
    let dir = TempDir::new();
    let port = free_port().to_string();
    let media_dir = dir.0.to_string_lossy().into_owned();
    let app = TestApp::spawn_shop_with(|env| {
        env.set("PORT", port.as_str());
        env.set("PUBLIC_URL", format!("http://127.0.0.1:{port}"));
        env.set("MEDIA_DIR", media_dir.as_str());
        for (name, value) in settings {
            env.set(*name, *value);
        }
    })
    .await;
    let admin = app.create_admin().await;
    MediaShop { shop: AdminShop { app, admin }, dir }
}

/// A `width` x `height` photo-like gradient encoded as `format`.
pub fn picture(width: u32, height: u32, format: ImageFormat) -> Vec<u8> {
    let image = RgbImage::from_fn(width, height, |x, y| {
        Rgb([(x * 255 / width.max(1)) as u8, (y * 255 / height.max(1)) as u8, 120])
    });
    let mut out = Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(image).write_to(&mut out, format).unwrap();
    out.into_inner()
}

/// A multipart form with a `file` part (named and typed as given) and an
/// optional `alt` part: the body and its content type.
pub fn form(
    file: &[u8],
    file_name: &str,
    content_type: &str,
    alt: Option<&str>,
) -> (Vec<u8>, String) {
    let boundary = "gokart-test-boundary-7d1c";
    let mut body = Vec::new();
    if let Some(alt) = alt {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"alt\"\r\n\r\n{alt}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n\
             Content-Type: {content_type}\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (body, format!("multipart/form-data; boundary={boundary}"))
}

impl MediaShop {
    async fn product(&self, name: &str) -> String {
        let id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM products WHERE name = $1")
            .bind(name)
            .fetch_one(&self.app.db)
            .await
            .unwrap();
        id.to_string()
    }

    async fn any_product(&self) -> String {
        let id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM products ORDER BY name LIMIT 1")
            .fetch_one(&self.app.db)
            .await
            .unwrap();
        id.to_string()
    }

    async fn upload_as(
        &self,
        product: &str,
        file: &[u8],
        name: &str,
        content_type: &str,
    ) -> reqwest::Response {
        let (body, form_type) = form(file, name, content_type, Some("Front view"));
        self.app
            .authed(
                Method::POST,
                &format!("/api/v1/admin/products/{product}/media"),
                &self.admin.access_token,
            )
            .header("content-type", form_type)
            .body(body)
            .send()
            .await
            .unwrap()
    }

    async fn upload(&self, product: &str, file: &[u8]) -> Value {
        let (name, content_type) = match image::guess_format(file).unwrap() {
            ImageFormat::Png => ("photo.png", "image/png"),
            _ => ("photo.jpg", "image/jpeg"),
        };
        let response = self.upload_as(product, file, name, content_type).await;
        assert_eq!(response.status(), 201);
        response.json().await.unwrap()
    }

    async fn put(&self, media: &str, body: Value) -> reqwest::Response {
        self.send(Method::PUT, &format!("/api/v1/admin/media/{media}"), Some(body)).await
    }
}

async fn fetch(url: &str) -> reqwest::Response {
    reqwest::get(url).await.unwrap()
}

#[tokio::test]
async fn an_upload_is_re_encoded_resized_and_served_for_good() {
    let shop = media_shop(&[]).await;
    let product = shop.any_product().await;
    let media = shop.upload(&product, &picture(1600, 1200, ImageFormat::Jpeg)).await;

    assert_eq!((media["width"].as_i64(), media["height"].as_i64()), (Some(1600), Some(1200)));
    assert_eq!(media["alt"], "Front view");
    assert_eq!(media["position"], 0);
    let renditions = media["renditions"].as_object().unwrap();
    assert_eq!(renditions.keys().collect::<Vec<_>>(), ["1200", "200", "600"]);

    let original = fetch(media["url"].as_str().unwrap()).await;
    assert_eq!(original.status(), 200);
    assert_eq!(original.headers()["content-type"], "image/jpeg");
    assert_eq!(original.headers()["cache-control"], "public, max-age=31536000, immutable");
    let decoded = image::load_from_memory(&original.bytes().await.unwrap()).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (1600, 1200));

    for (width, url) in renditions {
        let answer = fetch(url.as_str().unwrap()).await;
        assert_eq!(answer.status(), 200, "{url}");
        assert_eq!(answer.headers()["content-type"], "image/webp");
        let bytes = answer.bytes().await.unwrap();
        assert_eq!(image::guess_format(&bytes).unwrap(), ImageFormat::WebP);
        let image = image::load_from_memory(&bytes).unwrap();
        let width: u32 = width.parse().unwrap();
        assert_eq!((image.width(), image.height()), (width, width * 3 / 4));
    }

    // The product shows it, and its first photo is what lists show.
    let shown = shop.json(&format!("/api/v1/products/{product}")).await;
    assert_eq!(shown["media"][0], media);
    assert_eq!(shown["images"], json!([media["url"]]));
    assert_eq!(shown["thumbnail"], media["renditions"]["600"]);

    // Nothing else is served from the media directory.
    let base = media["url"].as_str().unwrap().split("/products/").next().unwrap().to_owned();
    for path in ["/../Cargo.toml", "/products/x/y/original.jpg", "/products"] {
        assert_eq!(fetch(&format!("{base}{path}")).await.status(), 404, "{path}");
    }
}

#[tokio::test]
async fn bad_files_are_refused_and_leave_nothing_behind() {
    let shop = media_shop(&[]).await;
    let product = shop.any_product().await;
    let jpeg = picture(300, 200, ImageFormat::Jpeg);
    let png = picture(300, 200, ImageFormat::Png);
    // A few hundred bytes claiming 8,000 x 8,000 pixels (under the side
    // limit, over the pixel limit), and one claiming 60,000 x 60,000.
    let bomb = claiming(8_000, 8_000);
    let huge = claiming(60_000, 60_000);
    assert!(bomb.len() < 1024);
    let wide = picture(40_000, 1, ImageFormat::Png);
    let cases: [(&str, &[u8], &str, &str, &str); 7] = [
        ("truncated", &jpeg[..jpeg.len() / 2], "half.jpg", "image/jpeg", "damaged"),
        ("a PNG named .jpg", &png, "photo.jpg", "image/jpeg", ".jpg"),
        ("a decompression bomb", &bomb, "bomb.png", "image/png", "megapixels"),
        ("a huge canvas", &huge, "huge.png", "image/png", "60000x60000"),
        ("40,000 px wide", &wide, "wide.png", "image/png", "40000x1"),
        ("empty", b"", "empty.jpg", "image/jpeg", "empty"),
        ("not an image", b"%PDF-1.7\n", "menu.pdf", "application/pdf", "not a JPEG"),
    ];
    for (what, bytes, name, content_type, reason) in cases {
        let response = shop.upload_as(&product, bytes, name, content_type).await;
        let error = error_of(response, 422).await;
        assert_eq!(error.code, "invalid_image", "{what}");
        assert!(error.message.contains(reason), "{what}: {}", error.message);
        assert!(error.fields.unwrap().contains_key("file"), "{what}");
    }
    assert!(shop.dir.files().is_empty(), "files left: {:?}", shop.dir.files());
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM product_media")
        .fetch_one(&shop.app.db)
        .await
        .unwrap();
    assert_eq!(rows, 0);
    assert_eq!(shop.json(&format!("/api/v1/products/{product}")).await["media"], json!([]));
}

/// A small PNG whose header claims `width` x `height` (IHDR and its CRC
/// rewritten).
fn claiming(width: u32, height: u32) -> Vec<u8> {
    let mut png = picture(8, 8, ImageFormat::Png);
    png[16..20].copy_from_slice(&width.to_be_bytes());
    png[20..24].copy_from_slice(&height.to_be_bytes());
    let crc = crc32(&png[12..29]);
    png[29..33].copy_from_slice(&crc.to_be_bytes());
    png
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0_u32;
    for byte in bytes {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

#[tokio::test]
async fn files_over_the_limit_are_413_and_forms_without_a_file_422() {
    let shop = media_shop(&[("MEDIA_MAX_BYTES", "50000")]).await;
    let product = shop.any_product().await;
    // Over the file limit but within the form's allowance: the handler says so.
    let response = shop.upload_as(&product, &vec![0xFF; 60_000], "big.jpg", "image/jpeg").await;
    assert_eq!(error_of(response, 413).await.code, "payload_too_large");
    // Far over: refused from Content-Length, before reading.
    let response = shop.upload_as(&product, &vec![0xFF; 400_000], "big.jpg", "image/jpeg").await;
    assert_eq!(error_of(response, 413).await.code, "payload_too_large");

    let path = format!("/api/v1/admin/products/{product}/media");
    let token = &shop.admin.access_token;
    let boundary = "b0";
    let only_alt = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"alt\"\r\n\r\nx\r\n--{boundary}--\r\n"
    );
    let response = shop
        .app
        .authed(Method::POST, &path, token)
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(only_alt)
        .send()
        .await
        .unwrap();
    assert!(error_of(response, 422).await.fields.unwrap().contains_key("file"));
    let response = shop
        .app
        .authed(Method::POST, &path, token)
        .json(&json!({"file": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(response, 400).await.code, "invalid_multipart");
    let (body, form_type) =
        form(&picture(10, 10, ImageFormat::Png), "a.png", "image/png", Some(&"x".repeat(501)));
    let response = shop
        .app
        .authed(Method::POST, &path, token)
        .header("content-type", form_type)
        .body(body)
        .send()
        .await
        .unwrap();
    assert!(error_of(response, 422).await.fields.unwrap().contains_key("alt"));
    let missing = format!("/api/v1/admin/products/{}/media", uuid::Uuid::new_v4());
    let (body, form_type) = form(&picture(10, 10, ImageFormat::Png), "a.png", "image/png", None);
    let response = shop
        .app
        .authed(Method::POST, &missing, token)
        .header("content-type", form_type)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert!(shop.dir.files().is_empty());
}

#[tokio::test]
async fn photos_are_ordered_attached_to_variants_and_deleted_with_their_files() {
    let shop = media_shop(&[]).await;
    let tee = shop.product("Organic Cotton Tee").await;
    let product = shop.json(&format!("/api/v1/products/{tee}")).await;
    let variants: Vec<String> = product["variants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap().to_owned())
        .collect();
    let mut ids = Vec::new();
    for width in [300, 320, 340] {
        let media = shop.upload(&tee, &picture(width, 200, ImageFormat::Png)).await;
        ids.push(media["id"].as_str().unwrap().to_owned());
    }
    let order = |product: &Value| -> Vec<String> {
        product["media"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_str().unwrap().to_owned())
            .collect()
    };

    // Move the last photo first; the others move down.
    let moved = shop.put(&ids[2], json!({"position": 0, "alt": "Back"})).await;
    assert_eq!(moved.status(), 200);
    let moved: Value = moved.json().await.unwrap();
    assert_eq!((moved["position"].as_i64(), moved["alt"].as_str()), (Some(0), Some("Back")));
    let shown = shop.json(&format!("/api/v1/products/{tee}")).await;
    assert_eq!(order(&shown), [ids[2].clone(), ids[0].clone(), ids[1].clone()]);
    let positions: Vec<i64> = shown["media"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["position"].as_i64().unwrap())
        .collect();
    assert_eq!(positions, [0, 1, 2]);

    // Attach the second upload to one variant: that variant lists it, its
    // cart line and the order show it, other variants show the first photo.
    let chosen = &variants[1];
    assert_eq!(shop.put(&ids[1], json!({"variant_ids": [chosen]})).await.status(), 200);
    let shown = shop.json(&format!("/api/v1/products/{tee}")).await;
    for variant in shown["variants"].as_array().unwrap() {
        let expected = if variant["id"] == json!(chosen) { json!([ids[1]]) } else { json!([]) };
        assert_eq!(variant["media_ids"], expected);
    }
    let (user, address) = shop.app.customer().await;
    add_variant_to_cart(&shop.app, &user, chosen, 1).await;
    let cart: Value = shop
        .app
        .authed(Method::GET, "/api/v1/cart", &user.access_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let chosen_photo = &shown["media"][2];
    assert_eq!(chosen_photo["id"], json!(ids[1]));
    assert_eq!(cart["items"][0]["thumbnail"], chosen_photo["url"]);
    let placed = checkout(&shop.app, &user, &address).await;
    assert_eq!(placed.status(), 201);
    let placed: Value = placed.json().await.unwrap();
    assert_eq!(placed["items"][0]["image"], chosen_photo["url"]);
    assert_eq!(fetch(placed["items"][0]["image"].as_str().unwrap()).await.status(), 200);

    // A variant of another product, or not an id at all, is named.
    let other = shop.product("Electric Kettle").await;
    let other: Value = shop.json(&format!("/api/v1/products/{other}")).await;
    for bad in [json!([other["variants"][0]["id"]]), json!(["nope"])] {
        let error = error_of(shop.put(&ids[1], json!({"variant_ids": bad})).await, 422).await;
        assert!(error.fields.unwrap().contains_key("variant_ids"));
    }
    assert_eq!(
        error_of(shop.put(&ids[1], json!({"position": -1})).await, 422).await.code,
        "validation_failed"
    );

    // Delete the first: its files go, the others close the gap.
    let gone = &shown["media"][0];
    let files_before = shop.dir.files().len();
    let deleted = shop.send(Method::DELETE, &format!("/api/v1/admin/media/{}", ids[2]), None).await;
    assert_eq!(deleted.status(), 204);
    assert_eq!(fetch(gone["url"].as_str().unwrap()).await.status(), 404);
    assert_eq!(shop.dir.files().len(), files_before - 2, "the original and its one rendition");
    let shown = shop.json(&format!("/api/v1/products/{tee}")).await;
    assert_eq!(order(&shown), [ids[0].clone(), ids[1].clone()]);
    assert_eq!(shown["media"][1]["position"], 1);
    let again = shop.send(Method::DELETE, &format!("/api/v1/admin/media/{}", ids[2]), None).await;
    assert_eq!(again.status(), 404);

    // The photo the order shows leaves the product but keeps its files:
    // order history keeps its picture.
    let files_before = shop.dir.files().len();
    let shown = shop.send(Method::DELETE, &format!("/api/v1/admin/media/{}", ids[1]), None).await;
    assert_eq!(shown.status(), 204);
    let product = shop.json(&format!("/api/v1/products/{tee}")).await;
    assert_eq!(order(&product), [ids[0].clone()]);
    assert_eq!(shop.dir.files().len(), files_before);
    assert_eq!(fetch(placed["items"][0]["image"].as_str().unwrap()).await.status(), 200);
}

#[tokio::test]
async fn a_product_takes_fifty_photos_even_when_uploads_race() {
    let shop = media_shop(&[]).await;
    let product = shop.any_product().await;
    let (body, form_type) = form(&picture(8, 8, ImageFormat::Png), "dot.png", "image/png", None);
    let url = shop.app.url(&format!("/api/v1/admin/products/{product}/media"));
    let mut uploads = tokio::task::JoinSet::new();
    for _ in 0..60 {
        let request = shop
            .app
            .client
            .post(&url)
            .bearer_auth(&shop.admin.access_token)
            .header("content-type", &form_type)
            .body(body.clone());
        uploads.spawn(async move { request.send().await.unwrap().status().as_u16() });
    }
    let statuses = uploads.join_all().await;
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 50, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 10, "{statuses:?}");
    let shown = shop.json(&format!("/api/v1/products/{product}")).await;
    assert_eq!(shown["media"].as_array().unwrap().len(), 50);
    // Each kept photo has its original and one rendition; refused uploads
    // left nothing.
    assert_eq!(shop.dir.files().len(), 100);
}
