//! Protections around credentials: the client address behind proxies, a
//! per-address attempt limit, and the same-origin check for cookie-carrying
//! requests.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

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

/// The part of an address one client controls: the whole IPv4 address
/// (an IPv4-mapped IPv6 address counts as IPv4), or the /64 prefix of an
/// IPv6 address, since one host or household is given a whole /64 and can
/// rotate through it at will.
pub fn client_source(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let prefix = u128::from(v6) & !u128::from(u64::MAX);
                IpAddr::V6(std::net::Ipv6Addr::from(prefix))
            }
        },
    }
}

/// Counts attempts per client address in fixed one-minute windows. Kept in
/// memory: each API instance limits on its own, which is enough to blunt
/// bursts; per-account limits live in PostgreSQL and hold across instances.
#[derive(Debug)]
pub struct AddressLimiter {
    per_minute: u32,
    windows: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

const WINDOW: Duration = Duration::from_secs(60);

impl AddressLimiter {
    /// A limiter allowing `per_minute` attempts per address.
    pub fn new(per_minute: u32) -> Self {
        AddressLimiter { per_minute, windows: Mutex::new(HashMap::new()) }
    }

    /// Counts an attempt from `address` (an IPv6 address by its /64, see
    /// [`client_source`]); a 429 when over the limit.
    pub fn check(&self, address: IpAddr) -> Result<(), Error> {
        let address = client_source(address);
        let now = Instant::now();
        let mut windows = self.windows.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if windows.len() > 50_000 {
            windows.retain(|_, (started, _)| now.duration_since(*started) < WINDOW);
        }
        let (started, count) = windows.entry(address).or_insert((now, 0));
        if now.duration_since(*started) >= WINDOW {
            *started = now;
            *count = 0;
        }
        if *count >= self.per_minute {
            let wait = WINDOW.saturating_sub(now.duration_since(*started));
            return Err(Error::RateLimited(wait.as_secs() + 1));
        }
        *count += 1;
        Ok(())
    }
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

    #[test]
    fn the_limiter_refuses_past_the_limit_per_address() {
        let limiter = AddressLimiter::new(2);
        let (a, b): (IpAddr, IpAddr) = ("192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap());
        assert!(limiter.check(a).is_ok());
        assert!(limiter.check(a).is_ok());
        assert!(
            matches!(limiter.check(a), Err(Error::RateLimited(wait)) if (1..=61).contains(&wait))
        );
        assert!(limiter.check(b).is_ok());
    }
}
