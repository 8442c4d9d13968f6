//! Reading and writing cookies.
//!
//! The refresh token lives in `refresh_token`: `HttpOnly` (no script can
//! read it), `SameSite=Strict`, scoped to `/api/v1/auth` so it is sent only
//! to the endpoints that use it, and `Secure` in production.

use std::time::Duration;

use axum::http::{HeaderMap, HeaderValue, header};

/// The refresh token cookie's name.
pub const REFRESH_COOKIE: &str = "refresh_token";
/// The only path the refresh cookie is sent to.
pub const REFRESH_COOKIE_PATH: &str = "/api/v1/auth";

/// `SameSite` policies we use.
#[derive(Debug, Clone, Copy)]
pub enum SameSite {
    /// Never sent on cross-site requests.
    Strict,
    /// Sent on top-level navigations from other sites.
    Lax,
}

/// A `Set-Cookie` value for an `HttpOnly` cookie.
#[derive(Debug, Clone)]
pub struct SetCookie<'a> {
    /// Cookie name.
    pub name: &'a str,
    /// Cookie value (URL-safe characters only).
    pub value: &'a str,
    /// Path the browser sends it to.
    pub path: &'a str,
    /// Lifetime; zero deletes the cookie.
    pub max_age: Duration,
    /// Cross-site policy.
    pub same_site: SameSite,
    /// Only over HTTPS.
    pub secure: bool,
}

impl SetCookie<'_> {
    /// The header value.
    pub fn to_header(&self) -> HeaderValue {
        let same_site = match self.same_site {
            SameSite::Strict => "Strict",
            SameSite::Lax => "Lax",
        };
        let secure = if self.secure { "; Secure" } else { "" };
        let text = format!(
            "{}={}; Path={}; Max-Age={}; HttpOnly; SameSite={same_site}{secure}",
            self.name,
            self.value,
            self.path,
            self.max_age.as_secs()
        );
        // Names, values and paths are ours and URL-safe, so this cannot fail;
        // an empty cookie is the harmless fallback.
        HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
    }
}

/// The refresh cookie carrying `token`.
pub fn refresh_cookie(token: &str, ttl: Duration, secure: bool) -> HeaderValue {
    SetCookie {
        name: REFRESH_COOKIE,
        value: token,
        path: REFRESH_COOKIE_PATH,
        max_age: ttl,
        same_site: SameSite::Strict,
        secure,
    }
    .to_header()
}

/// The name of the cookie that marks a browser as one that signed in to an
/// account before, so other sources' failed guesses never lock it out.
pub const DEVICE_COOKIE: &str = "device_token";

/// How long a browser stays known without signing in again.
const DEVICE_COOKIE_TTL: Duration = Duration::from_secs(365 * 24 * 3600);

/// The device cookie carrying `token`: sent only to the sign-in endpoints.
pub fn device_cookie(token: &str, secure: bool) -> HeaderValue {
    SetCookie {
        name: DEVICE_COOKIE,
        value: token,
        path: REFRESH_COOKIE_PATH,
        max_age: DEVICE_COOKIE_TTL,
        same_site: SameSite::Strict,
        secure,
    }
    .to_header()
}

/// A `Set-Cookie` that deletes the refresh cookie.
pub fn clear_refresh_cookie(secure: bool) -> HeaderValue {
    refresh_cookie("", Duration::ZERO, secure)
}

/// The value of cookie `name` in the request, if any.
pub fn read_cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim())
        .filter(|value| !value.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_refresh_cookie_is_http_only_strict_and_scoped() {
        let cookie = refresh_cookie("abc", Duration::from_secs(60), true);
        assert_eq!(
            cookie,
            "refresh_token=abc; Path=/api/v1/auth; Max-Age=60; HttpOnly; SameSite=Strict; Secure"
        );
        assert!(
            !refresh_cookie("abc", Duration::from_secs(60), false)
                .to_str()
                .unwrap()
                .contains("Secure")
        );
    }

    #[test]
    fn cookies_are_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_static("a=1; refresh_token=xyz; b=2"));
        assert_eq!(read_cookie(&headers, "refresh_token"), Some("xyz"));
        assert_eq!(read_cookie(&headers, "cart_token"), None);
    }
}
