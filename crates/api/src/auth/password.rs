//! Password hashing with argon2id, off the async runtime.
//!
//! Hashing is deliberately slow and memory-hungry, so it runs on the
//! blocking pool behind a semaphore with one permit per core: a burst of
//! logins queues here instead of stalling other requests or exhausting
//! memory. Logins for unknown emails verify against a dummy hash so they
//! take as long as real ones.

use std::sync::Arc;

use anyhow::Context;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use gokart_domain::NewPassword;
use tokio::sync::{OnceCell, Semaphore};

use crate::config::Argon2Config;

/// Hashes and verifies passwords.
#[derive(Debug, Clone)]
pub struct Passwords {
    params: Params,
    permits: Arc<Semaphore>,
    dummy_hash: Arc<OnceCell<String>>,
}

impl Passwords {
    /// A hasher with the configured cost.
    pub fn new(config: Argon2Config) -> anyhow::Result<Self> {
        let params = Params::new(config.memory_kib, config.iterations, config.parallelism, None)
            .map_err(|err| anyhow::anyhow!("invalid argon2 parameters: {err}"))?;
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        Ok(Passwords {
            params,
            permits: Arc::new(Semaphore::new(cores)),
            dummy_hash: Arc::new(OnceCell::new()),
        })
    }

    /// A PHC string (`$argon2id$v=19$m=...`) for `password`.
    pub async fn hash(&self, password: &NewPassword) -> anyhow::Result<String> {
        let password = password.expose().to_owned();
        let params = self.params.clone();
        self.blocking(move || {
            let salt = SaltString::generate(&mut OsRng);
            argon2(params)
                .hash_password(password.as_bytes(), &salt)
                .map(|hash| hash.to_string())
                .map_err(|err| anyhow::anyhow!("hashing failed: {err}"))
        })
        .await
    }

    /// Whether `password` matches the stored `phc` hash.
    pub async fn verify(&self, password: &str, phc: &str) -> anyhow::Result<bool> {
        let password = password.to_owned();
        let phc = phc.to_owned();
        let params = self.params.clone();
        self.blocking(move || {
            let hash = PasswordHash::new(&phc)
                .map_err(|err| anyhow::anyhow!("stored hash is malformed: {err}"))?;
            Ok(argon2(params).verify_password(password.as_bytes(), &hash).is_ok())
        })
        .await
    }

    /// Spends the time a real verification takes, for an account that does
    /// not exist, so response times do not reveal which emails have accounts.
    pub async fn verify_nobody(&self, password: &str) -> anyhow::Result<()> {
        let dummy = self
            .dummy_hash
            .get_or_try_init(|| async {
                let filler = NewPassword::parse("no account has this password")
                    .map_err(|err| anyhow::anyhow!("{err}"))?;
                self.hash(&filler).await
            })
            .await?;
        self.verify(password, dummy).await.map(|_| ())
    }

    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
    ) -> anyhow::Result<T> {
        let _permit = self.permits.acquire().await.context("password hasher closed")?;
        tokio::task::spawn_blocking(work).await.context("password hashing panicked")?
    }
}

fn argon2(params: Params) -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap() -> Passwords {
        Passwords::new(Argon2Config { memory_kib: 256, iterations: 1, parallelism: 1 }).unwrap()
    }

    #[tokio::test]
    async fn a_hash_verifies_only_its_own_password() {
        let passwords = cheap();
        let password = NewPassword::parse("correct horse battery").unwrap();

        let hash = passwords.hash(&password).await.unwrap();

        assert!(hash.starts_with("$argon2id$v=19$m=256,t=1,p=1$"));
        assert!(!hash.contains("correct horse"));
        assert!(passwords.verify("correct horse battery", &hash).await.unwrap());
        assert!(!passwords.verify("correct horse battery!", &hash).await.unwrap());
    }

    #[tokio::test]
    async fn the_same_password_hashes_differently_each_time() {
        let passwords = cheap();
        let password = NewPassword::parse("correct horse battery").unwrap();
        assert_ne!(
            passwords.hash(&password).await.unwrap(),
            passwords.hash(&password).await.unwrap()
        );
    }

    #[tokio::test]
    async fn verifying_for_nobody_succeeds_quietly() {
        assert!(cheap().verify_nobody("anything at all").await.is_ok());
    }
}
