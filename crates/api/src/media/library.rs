//! The media store together with the slots uploads are converted in: what
//! the application state holds for media.

use std::sync::Arc;

use tokio::sync::Semaphore;
use uuid::Uuid;

use super::process::{self, Claims, Prepared};
use super::store::MediaStore;
use super::{original_key, rendition_key};
use crate::error::{Error, Result};

/// The media store and the slots images are converted in.
#[derive(Debug)]
pub struct Media {
    /// Where the bytes go.
    pub store: Box<dyn MediaStore>,
    /// Images converted at once: each may hold a 40-megapixel canvas, and
    /// converting is CPU-bound, so a burst of uploads waits here rather than
    /// taking every core and gigabytes of memory.
    converting: Semaphore,
}

impl Media {
    /// Media kept by `store`, converted `at_once` at a time.
    pub fn new(store: Box<dyn MediaStore>, at_once: usize) -> Self {
        Media { store, converting: Semaphore::new(at_once.max(1)) }
    }

    /// Checks and converts `bytes` off the async runtime.
    pub async fn prepare(&self, bytes: Arc<[u8]>, claims: OwnedClaims) -> Result<Prepared> {
        let _slot = self
            .converting
            .acquire()
            .await
            .map_err(|_| Error::Unavailable("media conversion is shutting down"))?;
        let prepared = tokio::task::spawn_blocking(move || {
            process::prepare(
                &bytes,
                Claims {
                    file_name: claims.file_name.as_deref(),
                    content_type: claims.content_type.as_deref(),
                },
            )
        })
        .await
        .map_err(|err| Error::Internal(anyhow::anyhow!("image conversion stopped: {err}")))?;
        prepared.map_err(|rejected| Error::Unprocessable {
            code: "invalid_image",
            field: "file",
            message: rejected.0,
        })
    }

    /// Stores every object of `prepared` under `media`'s keys; on failure
    /// removes what was stored.
    pub(super) async fn put(
        &self,
        product: Uuid,
        media: Uuid,
        prepared: Prepared,
    ) -> Result<Vec<String>> {
        let Prepared { format, original, renditions, .. } = prepared;
        let mut objects =
            vec![(original_key(product, media, format), original, format.content_type())];
        objects.extend(renditions.into_iter().map(|(width, bytes)| {
            (rendition_key(product, media, width), bytes, process::Format::WebP.content_type())
        }));
        let mut stored = Vec::with_capacity(objects.len());
        for (key, bytes, content_type) in objects {
            if let Err(err) = self.store.put(&key, bytes, content_type).await {
                self.remove(&stored).await;
                return Err(Error::Internal(err.context("storing a product photo")));
            }
            stored.push(key);
        }
        Ok(stored)
    }

    /// Removes `keys`, logging (not failing on) what could not be removed.
    pub(super) async fn remove(&self, keys: &[String]) {
        for key in keys {
            if let Err(err) = self.store.delete(key).await {
                tracing::warn!(key, error = %format!("{err:#}"), "a media object was left behind");
            }
        }
    }
}

/// [`Claims`] that can cross into a blocking task.
#[derive(Debug, Clone, Default)]
pub struct OwnedClaims {
    /// The file name sent.
    pub file_name: Option<String>,
    /// The media type sent.
    pub content_type: Option<String>,
}
