//! Bearer tokens from strangers: an access token check and a service token
//! check (local mode) over any string. Neither panics; neither accepts.
#![no_main]

use std::sync::OnceLock;
use std::time::Duration;

use gokart_api::auth::tokens::AccessTokens;
use gokart_edge::service_auth::{ServiceAuthConfig, TokenVerifier};
use gokart_edge::{AppEnv, Env};
use libfuzzer_sys::fuzz_target;
use secrecy::SecretString;

struct Checks {
    access: AccessTokens,
    service: TokenVerifier,
    runtime: tokio::runtime::Runtime,
}

fn checks() -> &'static Checks {
    static CHECKS: OnceLock<Checks> = OnceLock::new();
    CHECKS.get_or_init(|| {
        let config = ServiceAuthConfig::from_env(
            &Env::default(),
            AppEnv::Development,
            "worker@gokart.local",
            &["api@gokart.local"],
        )
        .expect("the local defaults are valid");
        Checks {
            access: AccessTokens::new(&SecretString::from("f".repeat(48)), Duration::from_secs(60)),
            service: TokenVerifier::new(&config, "http://127.0.0.1:8081"),
            runtime: tokio::runtime::Builder::new_current_thread().build().expect("a runtime"),
        }
    })
}

fuzz_target!(|token: &str| {
    let checks = checks();
    assert!(checks.access.verify(token).is_none(), "accepted as an access token: {token}");
    let service = checks.runtime.block_on(checks.service.verify(token));
    assert!(service.is_err(), "accepted as a service token: {token}");
});
