//! Protections around credentials: the client address behind proxies and
//! the same-origin check for cookie-carrying requests. The per-address
//! attempt limit is in [`super::limiter`].

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};

use crate::config::ApiConfig;
use crate::error::Error;
use crate::state::AppState;

/// The client's address: the TCP peer, or, behind `TRUSTED_PROXY_HOPS`
/// proxies, the address the outermost trusted proxy saw. Entries a client
/// writes into `X-Forwarded-For` itself are never trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(pub IpAddr);

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = Error;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |info| info.0.ip());
        let hops = state.config.auth.limits.trusted_proxy_hops;
        Ok(ClientAddress(client_address(peer, &parts.headers, hops)))
    }
}

fn client_address(peer: IpAddr, headers: &HeaderMap, trusted_hops: usize) -> IpAddr {
    if trusted_hops == 0 {
        return peer;
    }
    let forwarded: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .collect();
    // Each trusted proxy appends the address it saw: the entry `hops` from the
    // right is what the outermost trusted proxy saw.
    forwarded
        .len()
        .checked_sub(trusted_hops)
        .and_then(|index| forwarded.get(index))
        .and_then(|entry| entry.parse().ok())
        .unwrap_or(peer)
}

/// Refuses a cookie-authenticated request sent from another site: an
/// `Origin` that is neither the API's own nor allow-listed is a 403. A
/// request without `Origin` (not from a browser) passes.
pub fn check_origin(headers: &HeaderMap, config: &ApiConfig) -> Result<(), Error> {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return Ok(());
    };
    let origin = origin.to_str().unwrap_or("").trim_end_matches('/');
    let allowed = origin == config.own_origin()
        || config.auth.allowed_origins.iter().any(|listed| listed == origin);
    if allowed { Ok(()) } else { Err(Error::Forbidden("cross-site request refused")) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn forwarded(value: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", HeaderValue::from_static(value));
        headers
    }

    #[test]
    fn without_trusted_proxies_the_header_is_ignored() {
        let peer: IpAddr = "10.0.0.9".parse().unwrap();
        assert_eq!(client_address(peer, &forwarded("1.2.3.4"), 0), peer);
    }

    #[test]
    fn the_rightmost_trusted_hop_wins_over_spoofed_entries() {
        let peer: IpAddr = "10.0.0.9".parse().unwrap();
        let headers = forwarded("6.6.6.6, 203.0.113.7");
        assert_eq!(client_address(peer, &headers, 1), "203.0.113.7".parse::<IpAddr>().unwrap());
        assert_eq!(client_address(peer, &headers, 2), "6.6.6.6".parse::<IpAddr>().unwrap());
        assert_eq!(client_address(peer, &headers, 3), peer, "fewer entries than hops");
        assert_eq!(client_address(peer, &forwarded("garbage"), 1), peer);
    }
}
