//! Content coding: which clients take gzip, and bodies gzipped once to be
//! sent many times (the web app's files, the catalog pages the product
//! cache keeps).

use std::io::Write;

use axum::body::Bytes;
use axum::http::{HeaderMap, header};
use flate2::Compression;

/// Bodies smaller than this are sent as they are: the gzip header and the
/// client's work outweigh the bytes saved.
const WORTH_IT: usize = 512;

/// Whether the client's `Accept-Encoding` takes gzip (named, and not with
/// `q=0`).
pub fn accepted(request: &HeaderMap) -> bool {
    request.get_all(header::ACCEPT_ENCODING).iter().filter_map(|v| v.to_str().ok()).any(|v| {
        v.split(',').any(|coding| {
            let mut parts = coding.split(';');
            let name = parts.next().unwrap_or_default().trim();
            let refused = parts.any(|p| matches!(p.trim(), "q=0" | "q=0.0" | "q=0.00" | "q=0.000"));
            name.eq_ignore_ascii_case("gzip") && !refused
        })
    })
}

/// `body` gzipped at `level`, when it is big enough to be worth it and
/// comes out smaller.
pub fn compressed(body: &[u8], level: Compression) -> std::io::Result<Option<Bytes>> {
    if body.len() < WORTH_IT {
        return Ok(None);
    }
    let mut encoder = flate2::write::GzEncoder::new(Vec::with_capacity(body.len() / 4), level);
    encoder.write_all(body)?;
    let zipped = encoder.finish()?;
    Ok((zipped.len() < body.len()).then(|| Bytes::from(zipped)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn gzip_is_taken_unless_refused() {
        let with = |value: &'static str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::ACCEPT_ENCODING, HeaderValue::from_static(value));
            accepted(&headers)
        };
        assert!(with("gzip, deflate, br"));
        assert!(with("br;q=1.0, GZIP;q=0.5"));
        assert!(!with("br"));
        assert!(!with("gzip;q=0, br"));
        assert!(!accepted(&HeaderMap::new()));
    }

    #[test]
    fn only_bodies_that_shrink_are_kept_gzipped() -> std::io::Result<()> {
        assert!(compressed(b"{}", Compression::default())?.is_none());
        let repetitive = br#"{"name":"kettle"},"#.repeat(100);
        let zipped =
            compressed(&repetitive, Compression::default())?.ok_or(std::io::ErrorKind::Other)?;
        assert!(zipped.len() < repetitive.len() / 10, "{} bytes", zipped.len());
        let mut random = vec![0u8; 4096];
        let mut seed = 0x9e37_79b9_u32;
        for byte in &mut random {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            *byte = seed as u8;
        }
        assert!(compressed(&random, Compression::default())?.is_none());
        Ok(())
    }
}
