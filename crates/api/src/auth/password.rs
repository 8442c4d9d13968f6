//! Password hashing with argon2id, off the async runtime.
//!
//! Hashing is deliberately slow and memory-hungry, so it runs on the
//! blocking pool behind a semaphore with one permit per core: a burst of
//! logins queues here instead of stalling other requests or exhausting
//! memory. Each permit reuses one argon2 working area: allocating and
//! freeing it (19 MiB by default) per hash on the blocking threads would
//! leave the allocator holding hundreds of MiB. Logins for unknown emails
//! verify against a dummy hash so they take as long as real ones.

use std::sync::{Arc, Mutex};

use anyhow::Context;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{Output, ParamsString, PasswordHash, Salt, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use gokart_domain::NewPassword;
use tokio::sync::{OnceCell, Semaphore};

use crate::config::Argon2Config;

/// Hashes and verifies passwords.
#[derive(Debug, Clone)]
pub struct Passwords {
    params: Params,
    permits: Arc<Semaphore>,
    /// Working areas, at most one per permit, reused from hash to hash.
    memory: Arc<Mutex<Vec<Vec<Block>>>>,
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
            memory: Arc::new(Mutex::new(Vec::with_capacity(cores))),
            dummy_hash: Arc::new(OnceCell::new()),
        })
    }

    /// A PHC string (`$argon2id$v=19$m=...`) for `password`.
    pub async fn hash(&self, password: &NewPassword) -> anyhow::Result<String> {
        let password = password.expose().to_owned();
        let params = self.params.clone();
        let memory = self.memory.clone();
        self.blocking(move || {
            let salt = SaltString::generate(&mut OsRng);
            let hasher = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
            let length = params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
            let output = derive(&memory, &hasher, password.as_bytes(), salt.as_salt(), length)?;
            let phc = PasswordHash {
                algorithm: Algorithm::Argon2id.ident(),
                version: Some(Version::V0x13.into()),
                params: ParamsString::try_from(&params).map_err(hashing)?,
                salt: Some(salt.as_salt()),
                hash: Some(output),
            };
            Ok(phc.to_string())
        })
        .await
    }

    /// Whether `password` matches the stored `phc` hash (compared in
    /// constant time).
    pub async fn verify(&self, password: &str, phc: &str) -> anyhow::Result<bool> {
        let password = password.to_owned();
        let phc = phc.to_owned();
        let memory = self.memory.clone();
        self.blocking(move || {
            let stored = PasswordHash::new(&phc)
                .map_err(|err| anyhow::anyhow!("stored hash is malformed: {err}"))?;
            let (Some(salt), Some(expected)) = (stored.salt, stored.hash) else {
                anyhow::bail!("stored hash has no salt or no hash");
            };
            let algorithm = Algorithm::try_from(stored.algorithm).map_err(hashing)?;
            let version = stored.version.map(Version::try_from).transpose().map_err(hashing)?;
            let params = Params::try_from(&stored).map_err(hashing)?;
            let hasher = Argon2::new(algorithm, version.unwrap_or_default(), params);
            let computed = derive(&memory, &hasher, password.as_bytes(), salt, expected.len())?;
            Ok(computed == expected)
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

fn hashing(err: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("password hashing failed: {err}")
}

/// The `length`-byte argon2 output for `password` and `salt`, computed on a
/// working area taken from `pool` (or made, the first time) and put back.
fn derive(
    pool: &Mutex<Vec<Vec<Block>>>,
    hasher: &Argon2<'_>,
    password: &[u8],
    salt: Salt<'_>,
    length: usize,
) -> anyhow::Result<Output> {
    let mut salt_buffer = [0u8; 64];
    let salt = salt.decode_b64(&mut salt_buffer).map_err(hashing)?;
    let taken = pool.lock().unwrap_or_else(std::sync::PoisonError::into_inner).pop();
    let mut area = taken.unwrap_or_default();
    let blocks = hasher.params().block_count();
    if area.len() < blocks {
        area.resize(blocks, Block::default());
    }
    let output = Output::init_with(length, |out| {
        hasher.hash_password_into_with_memory(password, salt, out, &mut area).map_err(Into::into)
    });
    pool.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(area);
    output.map_err(hashing)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap() -> Passwords {
        Passwords::new(Argon2Config { memory_kib: 256, iterations: 1, parallelism: 1 }).unwrap()
    }

    fn sample() -> NewPassword {
        NewPassword::parse("correct horse battery").unwrap()
    }

    #[tokio::test]
    async fn a_hash_verifies_only_its_own_password() {
        let passwords = cheap();
        let password = sample();

        let hash = passwords.hash(&password).await.unwrap();

        assert!(hash.starts_with("$argon2id$v=19$m=256,t=1,p=1$"));
        assert!(!hash.contains("correct horse"));
        assert!(passwords.verify("correct horse battery", &hash).await.unwrap());
        assert!(!passwords.verify("correct horse battery!", &hash).await.unwrap());
    }

    #[tokio::test]
    async fn the_same_password_hashes_differently_each_time() {
        let passwords = cheap();
        let password = sample();
        assert_ne!(
            passwords.hash(&password).await.unwrap(),
            passwords.hash(&password).await.unwrap()
        );
    }

    #[tokio::test]
    async fn the_working_areas_are_reused() {
        let passwords = cheap();
        let password = sample();
        for _ in 0..5 {
            passwords.hash(&password).await.unwrap();
        }
        let pool = passwords.memory.lock().unwrap();
        assert!(pool.len() <= std::thread::available_parallelism().map_or(2, usize::from));
        assert!(!pool.is_empty());
    }

    #[tokio::test]
    async fn hashes_from_the_standard_encoder_still_verify() {
        let passwords = cheap();
        let salt = SaltString::generate(&mut OsRng);
        let params = Params::new(512, 2, 1, None).unwrap();
        let standard = argon2::password_hash::PasswordHasher::hash_password(
            &Argon2::new(Algorithm::Argon2id, Version::V0x13, params),
            b"older password",
            &salt,
        )
        .unwrap()
        .to_string();

        assert!(passwords.verify("older password", &standard).await.unwrap());
        assert!(!passwords.verify("other password", &standard).await.unwrap());
    }

    #[tokio::test]
    async fn verifying_for_nobody_succeeds_quietly() {
        assert!(cheap().verify_nobody("anything at all").await.is_ok());
    }
}
