//! The web app (storefront at `/`, admin at `/admin`), served from the
//! API's own origin so the `SameSite=Strict` refresh cookie reaches
//! `/api/v1/auth`.
//!
//! The built app (`WEB_DIR`, Vite's output) is read into memory once at
//! start-up, each compressible file gzipped once. Hashed files under
//! `/assets/` are cached by browsers for a year; everything else,
//! `index.html` above all, is revalidated with its `ETag`. A path that is
//! not a file and does not look like one (no extension) is a page of the
//! app, answered with `index.html`; API paths never are.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use gokart_edge::http::route_not_found;
use sha2::Digest;

use crate::gzip;

/// How long browsers keep a hashed asset: a year, never revalidated.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Everything else is checked with the server before each use.
const REVALIDATE: &str = "no-cache";
/// The most a built app may weigh in memory.
const MAX_APP_BYTES: u64 = 64 * 1024 * 1024;
/// Path prefixes that belong to the API, never to the app.
const NOT_PAGES: [&str; 4] = ["/api/", "/media/", "/healthz", "/readyz"];

/// One file of the app, ready to send.
struct Asset {
    body: Bytes,
    /// The same bytes gzipped, when that is smaller.
    gzipped: Option<Bytes>,
    content_type: HeaderValue,
    etag: HeaderValue,
    cache_control: HeaderValue,
}

/// The built app, in memory.
pub struct WebApp {
    assets: HashMap<String, Asset>,
    policy: HeaderValue,
}

impl std::fmt::Debug for WebApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebApp").field("files", &self.assets.len()).finish_non_exhaustive()
    }
}

impl WebApp {
    /// Reads the app built into `dir`; `Ok(None)` when there is none there
    /// (no `index.html`), so the API serves alone. `media_origin` is where
    /// product photos load from, when that is another origin; `cards`: the
    /// app takes card payments through Stripe's Payment Element.
    pub fn load(
        dir: &Path,
        media_origin: Option<&str>,
        cards: bool,
    ) -> anyhow::Result<Option<WebApp>> {
        if !dir.join("index.html").is_file() {
            return Ok(None);
        }
        let mut assets = HashMap::new();
        let mut total = 0;
        for path in files_under(dir)? {
            let relative = path.strip_prefix(dir)?;
            let Some(route) = relative.to_str().map(|p| format!("/{}", p.replace('\\', "/")))
            else {
                continue;
            };
            let body = std::fs::read(&path)
                .map_err(|err| anyhow::anyhow!("cannot read {}: {err}", path.display()))?;
            total += body.len() as u64;
            anyhow::ensure!(
                total <= MAX_APP_BYTES,
                "the web app in {} is over {MAX_APP_BYTES} bytes",
                dir.display()
            );
            let hashed = route.starts_with("/assets/");
            assets.insert(route.clone(), Asset::new(&route, body, hashed)?);
        }
        let policy = HeaderValue::from_str(&policy(media_origin, cards))?;
        Ok(Some(WebApp { assets, policy }))
    }

    fn index(&self) -> Option<&Asset> {
        self.assets.get("/index.html")
    }
}

impl Asset {
    fn new(route: &str, body: Vec<u8>, hashed: bool) -> anyhow::Result<Asset> {
        let content_type = content_type(route);
        let compressible = content_type.starts_with("text/")
            || content_type.starts_with("application/javascript")
            || content_type.starts_with("application/json")
            || content_type.starts_with("image/svg+xml");
        let gzipped =
            if compressible { gzip::compressed(&body, flate2::Compression::best())? } else { None };
        let digest = sha2::Sha256::digest(&body);
        let etag = format!("\"{}\"", URL_SAFE_NO_PAD.encode(&digest[..12]));
        Ok(Asset {
            gzipped,
            body: Bytes::from(body),
            content_type: HeaderValue::from_static(content_type),
            etag: HeaderValue::from_str(&etag)?,
            cache_control: HeaderValue::from_static(if hashed { IMMUTABLE } else { REVALIDATE }),
        })
    }

    fn respond(&self, request: &HeaderMap, policy: &HeaderValue, head: bool) -> Response {
        let fresh = request
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|tags| tags.split(',').any(|tag| tag.trim() == self.etag));
        let zipped = gzip::accepted(request);
        let mut response = if fresh {
            StatusCode::NOT_MODIFIED.into_response()
        } else {
            let body = match (&self.gzipped, zipped) {
                (Some(z), true) => z.clone(),
                _ => self.body.clone(),
            };
            let length = body.len();
            let mut response =
                if head { Response::new(Body::empty()) } else { Response::new(Body::from(body)) };
            response.headers_mut().insert(header::CONTENT_LENGTH, HeaderValue::from(length));
            response
        };
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, self.content_type.clone());
        headers.insert(header::ETAG, self.etag.clone());
        headers.insert(header::CACHE_CONTROL, self.cache_control.clone());
        headers.insert(header::CONTENT_SECURITY_POLICY, policy.clone());
        if self.gzipped.is_some() {
            headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
            if zipped && !fresh {
                headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            }
        }
        response
    }
}

/// Answers any request the API's routes do not: a file of the app, or a
/// page of it (`index.html`), or the API's JSON 404.
pub async fn serve(
    State(app): State<Arc<WebApp>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let path = uri.path();
    let reading = method == Method::GET || method == Method::HEAD;
    if !reading || NOT_PAGES.iter().any(|prefix| path.starts_with(prefix)) {
        return route_not_found().await.into_response();
    }
    let head = method == Method::HEAD;
    if let Some(asset) = app.assets.get(path) {
        return asset.respond(&headers, &app.policy, head);
    }
    // A missing file (a stale chunk, a typo) is a 404, never the page.
    let last = path.rsplit('/').next().unwrap_or_default();
    if path.starts_with("/assets/") || last.contains('.') {
        return route_not_found().await.into_response();
    }
    match app.index() {
        Some(index) => index.respond(&headers, &app.policy, head),
        None => route_not_found().await.into_response(),
    }
}

/// Stripe.js and the frames of its Payment Element, as Stripe documents
/// them for a Content-Security-Policy.
const STRIPE_SCRIPTS: &str = "https://js.stripe.com https://*.js.stripe.com";
const STRIPE_FRAMES: &str =
    "https://js.stripe.com https://*.js.stripe.com https://hooks.stripe.com";
const STRIPE_API: &str = "https://api.stripe.com";

/// What the app may do: its own scripts, styles, fonts and API calls; images
/// from here, `data:` and the media origin; nothing framed, no plugins; and
/// with `cards`, Stripe.js, its frames and its API.
fn policy(media_origin: Option<&str>, cards: bool) -> String {
    let images = match media_origin {
        Some(origin) => format!("'self' data: blob: {origin}"),
        None => "'self' data: blob:".to_owned(),
    };
    let (scripts, frames, connect) = if cards {
        (format!("'self' {STRIPE_SCRIPTS}"), STRIPE_FRAMES, format!("'self' {STRIPE_API}"))
    } else {
        ("'self'".to_owned(), "'none'", "'self'".to_owned())
    };
    format!(
        "default-src 'self'; script-src {scripts}; style-src 'self'; img-src {images}; \
         font-src 'self'; connect-src {connect}; frame-src {frames}; object-src 'none'; \
         frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    )
}

fn content_type(route: &str) -> &'static str {
    let extension = route.rsplit_once('.').map(|(_, ext)| ext).unwrap_or_default();
    match extension.to_ascii_lowercase().as_str() {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "application/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "webmanifest" => "application/manifest+json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// Every regular file under `dir`, depth first; symbolic links are not
/// followed.
fn files_under(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(next) = pending.pop() {
        let entries = std::fs::read_dir(&next)
            .map_err(|err| anyhow::anyhow!("cannot list {}: {err}", next.display()))?;
        for entry in entries {
            let entry = entry?;
            let kind = entry.file_type()?;
            if kind.is_dir() {
                pending.push(entry.path());
            } else if kind.is_file() {
                files.push(entry.path());
            }
        }
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_from_elsewhere_is_named_in_the_policy() {
        let cdn = policy(Some("https://cdn.example.com"), false);
        assert!(cdn.contains("img-src 'self' data: blob: https://cdn.example.com;"));
        assert!(policy(None, false).contains("img-src 'self' data: blob:;"));
    }

    #[test]
    fn stripe_may_load_only_where_cards_are_taken() {
        let cash = policy(None, false);
        assert!(!cash.contains("stripe"), "{cash}");
        assert!(cash.contains("frame-src 'none';"), "{cash}");
        let cards = policy(None, true);
        assert!(cards.contains("script-src 'self' https://js.stripe.com"), "{cards}");
        assert!(cards.contains("connect-src 'self' https://api.stripe.com;"), "{cards}");
        assert!(cards.contains("https://hooks.stripe.com;"), "{cards}");
    }
}
