//! Where media bytes live: one trait, two backends. `local` writes under a
//! directory that the API serves at `/media/...`; `gcs` writes to a Google
//! Cloud Storage bucket through its JSON API (or an emulator), and shoppers
//! load the objects from the bucket's public URL or a CDN in front of it.
//!
//! A key is written once and never changed (a new upload gets new keys), so
//! every object may be cached for good.

use std::fmt::Debug;
use std::future::Future;
use std::path::{Component, Path, PathBuf};
use std::pin::Pin;
use std::time::Duration;

use anyhow::Context;
use gcloud_sdk::google_cloud_auth::credentials::{AccessTokenCredentials, Builder};

use crate::config::{GCS_ENDPOINT, MediaConfig, MediaStorage};

/// What a store operation resolves to.
pub type StoreFuture<'a> = Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send + 'a>>;

/// The `Cache-Control` of every stored object.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// Keeps media bytes under keys.
pub trait MediaStore: Debug + Send + Sync {
    /// Stores `bytes` of `content_type` under `key`, replacing nothing
    /// readers could have seen: the object appears whole or not at all.
    fn put<'a>(&'a self, key: &'a str, bytes: Vec<u8>, content_type: &'a str) -> StoreFuture<'a>;
    /// Removes `key`; a key that is already gone is not an error.
    fn delete<'a>(&'a self, key: &'a str) -> StoreFuture<'a>;
}

/// The store `config` names.
pub fn connect(config: &MediaConfig) -> anyhow::Result<Box<dyn MediaStore>> {
    Ok(match &config.storage {
        MediaStorage::Local { dir } => Box::new(LocalStore::new(dir)),
        MediaStorage::Gcs { bucket, endpoint } => {
            Box::new(GcsStore::new(bucket, endpoint.as_deref())?)
        }
    })
}

/// The `local` backend: files under a directory.
#[derive(Debug, Clone)]
pub struct LocalStore {
    dir: PathBuf,
}

impl LocalStore {
    /// Files under `dir` (created when the first is written).
    pub fn new(dir: &Path) -> Self {
        LocalStore { dir: dir.to_owned() }
    }

    /// Where `key` is kept; `None` for a key that could leave the directory.
    pub fn path_of(&self, key: &str) -> Option<PathBuf> {
        let relative = Path::new(key);
        let plain = relative.components().all(|part| matches!(part, Component::Normal(_)));
        (plain && !key.is_empty()).then(|| self.dir.join(relative))
    }

    async fn write(&self, key: &str, bytes: Vec<u8>) -> anyhow::Result<()> {
        let path = self.path_of(key).context("a media key must be a relative path")?;
        let parent = path.parent().context("a media key names a file")?;
        tokio::fs::create_dir_all(parent)
            .await
            .with_context(|| format!("creating {}", parent.display()))?;
        // Written beside, then renamed: a reader never sees half a file.
        let partial = path.with_extension(format!("partial-{}", uuid::Uuid::new_v4().simple()));
        tokio::fs::write(&partial, bytes)
            .await
            .with_context(|| format!("writing {}", partial.display()))?;
        if let Err(err) = tokio::fs::rename(&partial, &path).await {
            let _ = tokio::fs::remove_file(&partial).await;
            return Err(err).with_context(|| format!("moving {} into place", path.display()));
        }
        Ok(())
    }

    async fn remove(&self, key: &str) -> anyhow::Result<()> {
        let path = self.path_of(key).context("a media key must be a relative path")?;
        match tokio::fs::remove_file(&path).await {
            Ok(()) => {}
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(err) => return Err(err).with_context(|| format!("removing {}", path.display())),
        }
        // The folder of one upload goes with its last file.
        if let Some(parent) = path.parent()
            && parent != self.dir
        {
            let _ = tokio::fs::remove_dir(parent).await;
        }
        Ok(())
    }
}

impl MediaStore for LocalStore {
    fn put<'a>(&'a self, key: &'a str, bytes: Vec<u8>, _content_type: &'a str) -> StoreFuture<'a> {
        Box::pin(self.write(key, bytes))
    }

    fn delete<'a>(&'a self, key: &'a str) -> StoreFuture<'a> {
        Box::pin(self.remove(key))
    }
}

/// The scope of the access token objects are written with.
const GCS_SCOPE: &str = "https://www.googleapis.com/auth/devstorage.read_write";

/// The `gcs` backend: objects in a Cloud Storage bucket.
pub struct GcsStore {
    http: reqwest::Client,
    endpoint: String,
    bucket: String,
    /// The service's own credentials; none against an emulator.
    credentials: Option<AccessTokenCredentials>,
}

impl Debug for GcsStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GcsStore")
            .field("endpoint", &self.endpoint)
            .field("bucket", &self.bucket)
            .finish_non_exhaustive()
    }
}

impl GcsStore {
    /// Objects in `bucket`, written with the service's application default
    /// credentials, or at `endpoint` (an emulator) without any.
    pub fn new(bucket: &str, endpoint: Option<&str>) -> anyhow::Result<Self> {
        // Google's auth client builds its TLS from the process-wide provider.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let credentials = match endpoint {
            Some(_) => None,
            None => Some(
                Builder::default()
                    .with_scopes([GCS_SCOPE])
                    .build_access_token_credentials()
                    .context("no Google credentials for Cloud Storage")?,
            ),
        };
        Ok(GcsStore {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .connect_timeout(Duration::from_secs(5))
                .build()?,
            endpoint: endpoint.unwrap_or(GCS_ENDPOINT).trim_end_matches('/').to_owned(),
            bucket: bucket.to_owned(),
            credentials,
        })
    }

    async fn authorized(
        &self,
        request: reqwest::RequestBuilder,
    ) -> anyhow::Result<reqwest::RequestBuilder> {
        Ok(match &self.credentials {
            Some(credentials) => {
                let token = credentials.access_token().await.context("a Google access token")?;
                request.bearer_auth(token.token)
            }
            None => request,
        })
    }

    /// One `multipart/related` upload: the object's metadata (name, type,
    /// cache policy), then its bytes.
    async fn upload(&self, key: &str, bytes: Vec<u8>, content_type: &str) -> anyhow::Result<()> {
        let boundary = format!("gokart-{}", uuid::Uuid::new_v4().simple());
        let metadata = serde_json::json!({
            "name": key,
            "contentType": content_type,
            "cacheControl": IMMUTABLE,
        });
        let mut body = Vec::with_capacity(bytes.len() + 512);
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n{metadata}\r\n\
                 --{boundary}\r\nContent-Type: {content_type}\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(&bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let url =
            format!("{}/upload/storage/v1/b/{}/o?uploadType=multipart", self.endpoint, self.bucket);
        let request = self
            .http
            .post(url)
            .header(
                reqwest::header::CONTENT_TYPE,
                format!("multipart/related; boundary={boundary}"),
            )
            .body(body);
        let response =
            self.authorized(request).await?.send().await.context("Cloud Storage upload")?;
        let status = response.status();
        if !status.is_success() {
            let text = response.text().await.unwrap_or_default();
            anyhow::bail!("Cloud Storage refused the upload of {key}: {status} {}", excerpt(&text));
        }
        Ok(())
    }

    async fn remove(&self, key: &str) -> anyhow::Result<()> {
        let url =
            format!("{}/storage/v1/b/{}/o/{}", self.endpoint, self.bucket, key.replace('/', "%2F"));
        let request = self.http.delete(url);
        let response =
            self.authorized(request).await?.send().await.context("Cloud Storage delete")?;
        let status = response.status();
        if status.is_success() || status == reqwest::StatusCode::NOT_FOUND {
            return Ok(());
        }
        let text = response.text().await.unwrap_or_default();
        anyhow::bail!("Cloud Storage refused to delete {key}: {status} {}", excerpt(&text))
    }
}

fn excerpt(text: &str) -> &str {
    let end = text.char_indices().nth(200).map_or(text.len(), |(i, _)| i);
    &text[..end]
}

impl MediaStore for GcsStore {
    fn put<'a>(&'a self, key: &'a str, bytes: Vec<u8>, content_type: &'a str) -> StoreFuture<'a> {
        Box::pin(self.upload(key, bytes, content_type))
    }

    fn delete<'a>(&'a self, key: &'a str) -> StoreFuture<'a> {
        Box::pin(self.remove(key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_keys_stay_inside_the_directory() {
        let store = LocalStore::new(Path::new("/srv/media"));
        assert_eq!(
            store.path_of("products/a/b/w200.webp"),
            Some(PathBuf::from("/srv/media/products/a/b/w200.webp"))
        );
        for bad in ["../etc/passwd", "/etc/passwd", "products/../../x", "", "./x"] {
            assert_eq!(store.path_of(bad), None, "{bad}");
        }
    }
}
