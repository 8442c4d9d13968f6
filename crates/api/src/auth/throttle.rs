//! How many password checks a caller gets. Following current guidance
//! (OWASP's authentication cheat sheet, NIST SP 800-63B §5.2.2), guesses are
//! limited per account *and* per source, so a stranger's failures never lock
//! the owner out:
//!
//! - each source (client address, IPv6 by /64) gets `LOGIN_FAILURE_LIMIT`
//!   attempts per window against one account;
//! - a browser that signed in to the account before (its `device_token`
//!   cookie) has a budget of its own and is never slowed by other sources;
//! - every untrusted source together gets `LOGIN_ACCOUNT_FAILURE_LIMIT`,
//!   a much higher ceiling that stops a distributed guesser. Once a
//!   guesser with that many sources has filled it, a browser the owner
//!   never signed in from waits for the window like everyone unknown: the
//!   price of stopping the guesser;
//! - a signed-in session confirming its password has a budget of its own.
//!
//! An attempt is *reserved* before the password is verified, in the same
//! statement that checks the limit, so concurrent guesses cannot pass it:
//! at most the limit is ever verified per window and source. The right
//! password starts that source's count again and gives back its place under
//! the account-wide ceiling. Using an emailed link (a password reset) is
//! counted per source the same way ([`reserve_link_attempt`]).

use std::net::IpAddr;

use sqlx::PgExecutor;
use uuid::Uuid;

use super::limiter::client_source;
use super::repository;
use super::tokens::hash_opaque_token;
use crate::error::{Error, Result};
use crate::state::AppState;

/// Who is asking to have a password checked.
#[derive(Debug, Clone, Copy)]
pub enum Caller<'a> {
    /// A client that is not signed in, with its `device_token` cookie if any.
    Anonymous {
        /// The client address.
        address: IpAddr,
        /// The `device_token` cookie, as presented.
        device: Option<&'a str>,
    },
    /// A signed-in session confirming its own password.
    Session(Uuid),
}

/// The attempts reserved for one password check; give them back with
/// [`Reservation::succeeded`] when the password was right.
#[derive(Debug)]
pub struct Reservation {
    own: String,
    account: Option<String>,
}

/// Reserves one attempt for `caller` against `email`, or refuses with a 429
/// naming the seconds until the caller may try again.
pub async fn reserve(
    state: &AppState,
    email: &str,
    user: Option<Uuid>,
    caller: Caller<'_>,
) -> Result<Reservation> {
    let limits = state.config.auth.limits;
    let window = limits.failure_window.as_secs_f64();
    let (own, trusted) = match caller {
        Caller::Session(session) => (format!("session:{session}"), true),
        Caller::Anonymous { address, device } => match known_device(state, user, device).await? {
            Some(device) => (format!("device:{device}"), true),
            None => (format!("source:{email}:{}", source_of(address)), false),
        },
    };
    let limit = i32::try_from(limits.failure_limit).unwrap_or(i32::MAX - 1);
    let ceiling = i32::try_from(limits.account_failure_limit).unwrap_or(i32::MAX - 1);
    let account = (!trusted).then(|| format!("account:{email}"));
    let reserved = repository::reserve_attempts(
        &state.db,
        &own,
        limit,
        account.as_deref().map(|key| (key, ceiling)),
        window,
    )
    .await?;
    if !reserved.own_granted {
        return Err(Error::RateLimited(reserved.own_retry_after));
    }
    if let Some((false, wait)) = reserved.account {
        repository::release_attempt(&state.db, &own).await?;
        tracing::warn!("account-wide sign-in ceiling reached");
        return Err(Error::RateLimited(wait));
    }
    Ok(Reservation { own, account })
}

/// Reserves one attempt at using an emailed link (a reset token) from
/// `address`: guessing tokens counts like guessing passwords, under the
/// same per-source limit and window.
pub async fn reserve_link_attempt(state: &AppState, address: IpAddr) -> Result<Reservation> {
    let limits = state.config.auth.limits;
    let own = format!("link:{}", source_of(address));
    let limit = i32::try_from(limits.failure_limit).unwrap_or(i32::MAX - 1);
    let reserved = repository::reserve_attempts(
        &state.db,
        &own,
        limit,
        None,
        limits.failure_window.as_secs_f64(),
    )
    .await?;
    if !reserved.own_granted {
        return Err(Error::RateLimited(reserved.own_retry_after));
    }
    Ok(Reservation { own, account: None })
}

impl Reservation {
    /// The password was right: the caller's own count starts again and the
    /// account-wide count forgets this attempt.
    pub async fn succeeded(self, db: impl PgExecutor<'_>) -> Result<()> {
        repository::settle_success(db, &self.own, self.account.as_deref()).await
    }
}

/// The hex hash of `device` if it is a browser that signed in to `user`.
async fn known_device(
    state: &AppState,
    user: Option<Uuid>,
    device: Option<&str>,
) -> Result<Option<String>> {
    let (Some(user), Some(device)) = (user, device) else { return Ok(None) };
    let hash = hash_opaque_token(device);
    if !repository::is_known_device(&state.db, &hash, user).await? {
        return Ok(None);
    }
    Ok(Some(hash.iter().map(|byte| format!("{byte:02x}")).collect()))
}

/// How a source appears in a throttle key: an IPv4 address, or an IPv6
/// address's /64 prefix ([`client_source`]).
fn source_of(address: IpAddr) -> String {
    match client_source(address) {
        IpAddr::V6(prefix) => format!("{prefix}/64"),
        v4 => v4.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ipv6_source_is_its_64_prefix_and_mapped_ipv4_is_plain() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap_or(IpAddr::V4([0; 4].into()));
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap_or(IpAddr::V4([0; 4].into()));
        let mapped: IpAddr = "::ffff:203.0.113.7".parse().unwrap_or(IpAddr::V4([0; 4].into()));
        assert_eq!(source_of(a), source_of(b));
        assert_eq!(source_of(a), "2001:db8:1:2::/64");
        assert_eq!(source_of(mapped), "203.0.113.7");
    }
}
