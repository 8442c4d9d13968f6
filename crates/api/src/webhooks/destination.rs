//! Where webhooks may go. Never to this machine, the private network,
//! link-local addresses (cloud metadata among them) or other addresses that
//! are not the public internet, unless the host is allow-listed
//! (`WEBHOOK_ALLOWED_HOSTS`, for development and tests). Checked when an
//! endpoint is saved and again at every delivery, on the addresses the name
//! resolves to then (the client connects only to those), so a name that
//! later points inside is refused too. Redirects are never followed.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::Host;

/// The hosts that may be reached even though they are not public.
#[derive(Debug, Clone, Default)]
pub struct Destinations {
    allowed: Arc<[String]>,
}

/// Why a destination is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// It is not a URL an endpoint can have.
    Invalid(&'static str),
    /// It reaches something that is not the public internet.
    Forbidden(String),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Invalid(why) => f.write_str(why),
            Refusal::Forbidden(why) => f.write_str(why),
        }
    }
}

impl Destinations {
    /// Allows `hosts` (names or addresses, as URLs spell them) whatever
    /// they resolve to.
    pub fn new(hosts: impl IntoIterator<Item = String>) -> Self {
        let allowed: Vec<String> = hosts
            .into_iter()
            .map(|host| host.trim().trim_start_matches('[').trim_end_matches(']').to_lowercase())
            .filter(|host| !host.is_empty())
            .collect();
        Destinations { allowed: allowed.into() }
    }

    fn allows(&self, host: &str) -> bool {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        self.allowed.iter().any(|allowed| allowed.eq_ignore_ascii_case(host))
    }

    /// `raw` as an endpoint URL: http(s), no credentials, a host that is
    /// not refused by its spelling (an address, `localhost`).
    pub fn url(&self, raw: &str) -> Result<Url, Refusal> {
        const NOT_HTTP: Refusal = Refusal::Invalid("must be an absolute http(s) URL");
        let url = Url::parse(raw.trim()).map_err(|_| NOT_HTTP)?;
        if !matches!(url.scheme(), "https" | "http") {
            return Err(NOT_HTTP);
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Refusal::Invalid("must not carry a user name or password"));
        }
        let host = url.host_str().ok_or(Refusal::Invalid("must name a host"))?;
        if self.allows(host) {
            return Ok(url);
        }
        match url.host() {
            Some(Host::Ipv4(ip)) if forbidden(IpAddr::V4(ip)) => Err(inside(host)),
            Some(Host::Ipv6(ip)) if forbidden(IpAddr::V6(ip)) => Err(inside(host)),
            Some(Host::Domain(name)) if local_name(name) => Err(inside(host)),
            _ => Ok(url),
        }
    }

    /// The destinations `config` allows beyond the public internet.
    pub fn of(config: &crate::config::WebhookConfig) -> Self {
        Destinations::new(config.allowed_hosts.iter().cloned())
    }

    /// Checks what the host of `url` (as [`Destinations::url`] returned it)
    /// resolves to now; a name that does not resolve yet is let through
    /// (delivery checks it again).
    pub async fn check(&self, url: &Url) -> Result<(), Refusal> {
        let host = url.host_str().unwrap_or_default();
        if self.allows(host) || !matches!(url.host(), Some(Host::Domain(_))) {
            return Ok(());
        }
        match tokio::time::timeout(std::time::Duration::from_secs(3), lookup(host)).await {
            Ok(Ok((_, Some(inside)))) => Err(Refusal::Forbidden(not_public(host, inside))),
            _ => Ok(()),
        }
    }

    /// A resolver for the delivery client: a name resolving to any address
    /// that is not public fails to resolve, unless allow-listed.
    pub fn resolver(&self) -> Arc<GuardedResolver> {
        Arc::new(GuardedResolver { destinations: self.clone() })
    }
}

fn inside(host: &str) -> Refusal {
    Refusal::Forbidden(format!("{host} is not a public address"))
}

/// Names that always mean this machine or its cloud's metadata service.
fn local_name(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost"
        || name.ends_with(".localhost")
        || name == "metadata"
        || name.starts_with("metadata.")
        || name.ends_with(".internal")
}

/// Whether `ip` is anything but a public unicast address.
pub fn forbidden(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => forbidden_v4(ip),
        IpAddr::V6(ip) => {
            if let Some(v4) = ip.to_ipv4_mapped() {
                return forbidden_v4(v4);
            }
            let first = ip.segments()[0];
            // NAT64 (64:ff9b::/96) carries an IPv4 address in its last bits.
            if ip.segments()[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
                let [.., a, b, c, d] = ip.octets();
                return forbidden_v4(Ipv4Addr::new(a, b, c, d));
            }
            ip.is_unspecified()
                || ip.is_loopback()
                || ip.is_multicast()
                || (first & 0xfe00) == 0xfc00 // unique local (fc00::/7)
                || (first & 0xffc0) == 0xfe80 // link-local (fe80::/10)
                || (first & 0xffc0) == 0xfec0 // site-local, deprecated (fec0::/10)
                || ip.segments()[..2] == [0x2001, 0xdb8] // documentation
                || ip == Ipv6Addr::from([0u8; 16])
                || ip.segments()[..6] == [0, 0, 0, 0, 0, 0] // IPv4-compatible, deprecated
        }
    }
}

fn forbidden_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local() // 169.254/16: cloud metadata among them
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (b & 0xc0) == 64) // carrier-grade NAT, 100.64/10
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (b & 0xfe) == 18) // benchmarking, 198.18/15
        || a >= 240 // reserved
}

/// Resolves names for the delivery client, refusing any that reach an
/// address that is not public (see [`forbidden`]).
#[derive(Debug)]
pub struct GuardedResolver {
    destinations: Destinations,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allowed = self.destinations.allows(name.as_str());
        Box::pin(resolve_public(name.as_str().to_owned(), allowed))
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The addresses of `host`: all of them public, unless `allowed`.
async fn resolve_public(host: String, allowed: bool) -> Result<Addrs, BoxError> {
    let (addresses, inside) = lookup(&host).await?;
    if !allowed && let Some(inside) = inside {
        return Err(std::io::Error::other(not_public(&host, inside)).into());
    }
    Ok(Box::new(addresses.into_iter()))
}

/// What `host` resolves to now, and the first of those addresses that is
/// not public.
async fn lookup(host: &str) -> std::io::Result<(Vec<SocketAddr>, Option<IpAddr>)> {
    let addresses: Vec<SocketAddr> = tokio::net::lookup_host((host, 0)).await?.collect();
    let inside = addresses.iter().map(SocketAddr::ip).find(|ip| forbidden(*ip));
    Ok((addresses, inside))
}

fn not_public(host: &str, ip: IpAddr) -> String {
    format!("{host} resolves to {ip}, which is not a public address")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_are_destinations() {
        for inside in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fd00:ec2::254",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a00:1",
            "240.0.0.1",
        ] {
            assert!(forbidden(inside.parse().unwrap()), "{inside}");
        }
        for public in ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "64:ff9b::808:808"] {
            assert!(!forbidden(public.parse().unwrap()), "{public}");
        }
    }

    #[test]
    fn urls_are_refused_by_their_spelling_unless_allowed() {
        let none = Destinations::default();
        for forbidden in [
            "http://127.0.0.1:9000/hook",
            "http://[::1]/hook",
            "http://localhost/hook",
            "http://api.localhost/hook",
            "http://metadata.google.internal/computeMetadata/v1/",
            "http://169.254.169.254/latest/meta-data/",
            "http://2130706433/hook",
            "http://0x7f.1/hook",
        ] {
            assert!(matches!(none.url(forbidden), Err(Refusal::Forbidden(_))), "{forbidden}");
        }
        for refused in ["ftp://example.com/hook", "https://user:pass@example.com/hook", "/relative"]
        {
            assert!(none.url(refused).is_err(), "{refused}");
        }
        assert!(none.url("https://hooks.example.com/gokart").is_ok());
        let local = Destinations::new(["127.0.0.1".to_owned(), "LOCALHOST".to_owned()]);
        assert!(local.url("http://127.0.0.1:9000/hook").is_ok());
        assert!(local.url("http://localhost:9000/hook").is_ok());
        assert!(local.url("http://10.0.0.1/hook").is_err());
    }

    #[tokio::test]
    async fn names_that_resolve_inside_are_refused_at_delivery() {
        let name = |host: &str| host.parse::<Name>().unwrap();
        let refused = Destinations::default().resolver().resolve(name("localhost")).await;
        let error = refused.err().map(|err| err.to_string()).unwrap_or_default();
        assert!(error.contains("not a public address"), "{error}");
        let allowed = Destinations::new(["localhost".to_owned()]).resolver();
        assert!(allowed.resolve(name("localhost")).await.is_ok());
    }
}
