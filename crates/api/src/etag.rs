//! Conditional GET: JSON responses with an `ETag`, answered `304 Not
//! Modified` when the client already holds that version.

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// `value` as JSON with a strong `ETag` (a hash of the bytes), or a bare
/// 304 when `If-None-Match` already names it. Clients must revalidate
/// (`Cache-Control: no-cache`), so stock and price changes show at once.
pub fn cached_json<T: Serialize>(request: &HeaderMap, value: &T) -> Result<Response> {
    let body = serde_json::to_vec(value).map_err(|err| Error::Internal(err.into()))?;
    json_with_tag(request, header_of(&tag_of(&body))?, body)
}

/// The strong `ETag` (quoted) of a response body.
pub fn tag_of(body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    let tag: String = digest.iter().take(12).map(|byte| format!("{byte:02x}")).collect();
    format!("\"{tag}\"")
}

/// An `ETag` as a header value.
pub fn header_of(etag: &str) -> Result<HeaderValue> {
    HeaderValue::from_str(etag).map_err(|err| Error::Internal(err.into()))
}

/// JSON `body` whose `ETag` is `etag` (see [`cached_json`]).
pub fn json_with_tag(
    request: &HeaderMap,
    etag: HeaderValue,
    body: impl Into<axum::body::Body>,
) -> Result<Response> {
    let fresh = matches_etag(request, etag.as_bytes());
    let mut response =
        if fresh { StatusCode::NOT_MODIFIED.into_response() } else { Response::new(body.into()) };
    let headers = response.headers_mut();
    // Room, at once, for these and what the edge adds (its security
    // headers, the request id, the length) rather than growing the map.
    headers.reserve(RESPONSE_HEADERS);
    headers.insert(header::ETAG, etag);
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if !fresh {
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    }
    Ok(response)
}

/// A JSON response made once to be sent many times: its bytes, their
/// `ETag`, and the same bytes gzipped for clients that take it.
#[derive(Debug)]
pub struct TaggedJson {
    body: Bytes,
    etag: HeaderValue,
    gzipped: Option<Gzipped>,
}

/// The gzipped representation. Its `ETag` is the weak form of the
/// plain one (other bytes, same content), so a client holding either
/// revalidates against both.
#[derive(Debug)]
struct Gzipped {
    body: Bytes,
    etag: HeaderValue,
}

impl TaggedJson {
    /// `value` as JSON with its `ETag`, and, when `gzip` and it shrinks,
    /// gzipped too.
    pub fn new<T: Serialize>(value: &T, gzip: bool) -> Result<TaggedJson> {
        let body =
            Bytes::from(serde_json::to_vec(value).map_err(|err| Error::Internal(err.into()))?);
        let etag = tag_of(&body);
        let gzipped = if gzip {
            crate::gzip::compressed(&body, flate2::Compression::default())
                .map_err(|err| Error::Internal(err.into()))?
                .map(|zipped| {
                    Ok::<_, Error>(Gzipped { body: zipped, etag: header_of(&format!("W/{etag}"))? })
                })
                .transpose()?
        } else {
            None
        };
        Ok(TaggedJson { body, etag: header_of(&etag)?, gzipped })
    }

    /// The response to `request`: 304 when it names this version, else the
    /// body, gzipped when the client takes that.
    pub fn respond(&self, request: &HeaderMap) -> Result<Response> {
        let Some(gzipped) = &self.gzipped else {
            return json_with_tag(request, self.etag.clone(), self.body.clone());
        };
        let mut response = if crate::gzip::accepted(request) {
            let mut response = json_with_tag(request, gzipped.etag.clone(), gzipped.body.clone())?;
            if response.status() == StatusCode::OK {
                response
                    .headers_mut()
                    .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            }
            response
        } else {
            json_with_tag(request, self.etag.clone(), self.body.clone())?
        };
        response.headers_mut().insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        Ok(response)
    }

    /// The bytes it holds.
    pub fn size(&self) -> usize {
        let zipped = self.gzipped.as_ref().map_or(0, |z| z.body.len() + z.etag.len());
        self.body.len() + self.etag.len() + zipped
    }
}

/// Headers a cached JSON response ends up with.
const RESPONSE_HEADERS: usize = 12;

/// Whether `If-None-Match` lists `etag` (weak comparison) or is `*`.
fn matches_etag(request: &HeaderMap, etag: &[u8]) -> bool {
    let weakly = etag.strip_prefix(b"W/").unwrap_or(etag);
    request
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|candidate| candidate.trim().trim_start_matches("W/"))
        .any(|candidate| candidate.as_bytes() == weakly || candidate == "*")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(value: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::IF_NONE_MATCH, HeaderValue::from_static(value));
        headers
    }

    #[test]
    fn if_none_match_lists_and_weak_tags_match() {
        assert!(matches_etag(&with("\"abc\""), b"\"abc\""));
        assert!(matches_etag(&with("W/\"abc\""), b"W/\"abc\""));
        assert!(matches_etag(&with("\"abc\""), b"W/\"abc\""));
        assert!(matches_etag(&with("\"x\", W/\"abc\""), b"\"abc\""));
        assert!(matches_etag(&with("*"), b"\"abc\""));
        assert!(!matches_etag(&with("\"abd\""), b"\"abc\""));
        assert!(!matches_etag(&HeaderMap::new(), b"\"abc\""));
    }
}
