//! Where product media are stored and how shoppers load them.

use std::path::PathBuf;

use gokart_edge::{ConfigError, Env};

/// Google's Cloud Storage endpoint.
pub const GCS_ENDPOINT: &str = "https://storage.googleapis.com";

/// The media store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaStorage {
    /// `MEDIA_STORAGE=local` (default): files under `MEDIA_DIR`, served by
    /// the API at `/media/...`.
    Local {
        /// `MEDIA_DIR` (default `data/media`).
        dir: PathBuf,
    },
    /// `MEDIA_STORAGE=gcs`: objects in a Cloud Storage bucket.
    Gcs {
        /// `GCS_BUCKET`.
        bucket: String,
        /// `GCS_ENDPOINT`: another Cloud Storage endpoint, e.g. an emulator
        /// (no credentials are sent to it).
        endpoint: Option<String>,
    },
}

/// Product media settings.
#[derive(Debug, Clone)]
pub struct MediaConfig {
    /// Where the bytes go.
    pub storage: MediaStorage,
    /// `MEDIA_PUBLIC_URL`: what a stored key is appended to for shoppers to
    /// load it: by default the API's own `/media` for `local`, the bucket's
    /// public URL for `gcs` (set it to a CDN in front of either).
    pub public_url: String,
    /// `MEDIA_MAX_BYTES`: the largest file an upload may carry (default 10 MiB).
    pub max_bytes: usize,
}

impl MediaConfig {
    pub(super) fn from_env(env: &Env, public_url: &str) -> Result<Self, ConfigError> {
        let storage = match env.string("MEDIA_STORAGE", "local").as_str() {
            "local" => {
                MediaStorage::Local { dir: PathBuf::from(env.string("MEDIA_DIR", "data/media")) }
            }
            "gcs" => MediaStorage::Gcs {
                bucket: env.require("GCS_BUCKET")?,
                endpoint: match env.get("GCS_ENDPOINT") {
                    Some(_) => Some(env.url("GCS_ENDPOINT", "")?.trim_end_matches('/').to_owned()),
                    None => None,
                },
            },
            other => {
                return Err(ConfigError::new(
                    "MEDIA_STORAGE",
                    format!("expected local or gcs, not {other:?}"),
                ));
            }
        };
        let default_url = match &storage {
            MediaStorage::Local { .. } => format!("{}/media", public_url.trim_end_matches('/')),
            MediaStorage::Gcs { bucket, endpoint } => {
                format!("{}/{bucket}", endpoint.as_deref().unwrap_or(GCS_ENDPOINT))
            }
        };
        let max_bytes = env.parse("MEDIA_MAX_BYTES", 10 * 1024 * 1024)?;
        if max_bytes == 0 {
            return Err(ConfigError::new("MEDIA_MAX_BYTES", "must be greater than 0"));
        }
        Ok(MediaConfig {
            storage,
            public_url: env.url("MEDIA_PUBLIC_URL", &default_url)?.trim_end_matches('/').to_owned(),
            max_bytes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_media_are_served_by_the_api_itself() {
        let config = MediaConfig::from_env(&Env::default(), "https://shop.example.com/").unwrap();
        assert_eq!(config.storage, MediaStorage::Local { dir: PathBuf::from("data/media") });
        assert_eq!(config.public_url, "https://shop.example.com/media");
        assert_eq!(config.max_bytes, 10 * 1024 * 1024);
    }

    #[test]
    fn gcs_needs_a_bucket_and_defaults_to_its_public_url() {
        let gcs = Env::from_pairs([("MEDIA_STORAGE", "gcs")]);
        assert_eq!(MediaConfig::from_env(&gcs, "http://x").unwrap_err().var, "GCS_BUCKET");
        let gcs = Env::from_pairs([("MEDIA_STORAGE", "gcs"), ("GCS_BUCKET", "shop-media")]);
        let config = MediaConfig::from_env(&gcs, "http://x").unwrap();
        assert_eq!(config.public_url, format!("{GCS_ENDPOINT}/shop-media"));
        for (var, value) in
            [("MEDIA_STORAGE", "s3"), ("MEDIA_MAX_BYTES", "0"), ("MEDIA_PUBLIC_URL", "cdn")]
        {
            let env = Env::from_pairs([(var, value)]);
            assert_eq!(MediaConfig::from_env(&env, "http://x").unwrap_err().var, var);
        }
    }
}
