//! A per-address attempt limit for sign-in and registration, counted by
//! the part of an address one client controls (an IPv6 /64 counts as one
//! client).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::error::Error;

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

#[cfg(test)]
mod tests {
    use super::*;

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
