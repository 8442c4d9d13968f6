//! Generated input for what the edge parses from strangers: service tokens
//! and trace context. Nothing panics, nothing forged or damaged gets in.

#![allow(clippy::unwrap_used)]

use gokart_edge::http::TraceId;
use gokart_edge::service_auth::{ServiceAuthConfig, TokenMinter, TokenVerifier};
use gokart_edge::{AppEnv, Env};
use proptest::prelude::*;

const WORKER_URL: &str = "http://127.0.0.1:8081";

fn auth(identity: &str, allowed: &[&str]) -> ServiceAuthConfig {
    ServiceAuthConfig::from_env(&Env::default(), AppEnv::Development, identity, allowed).unwrap()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

/// A token the worker accepts, minted by the API.
fn valid_token(runtime: &tokio::runtime::Runtime) -> String {
    let minter = TokenMinter::new(&auth("api@gokart.local", &["worker@gokart.local"]));
    runtime.block_on(minter.token(WORKER_URL)).unwrap()
}

fn verifier() -> TokenVerifier {
    TokenVerifier::new(&auth("worker@gokart.local", &["api@gokart.local"]), WORKER_URL)
}

#[test]
fn the_valid_token_used_below_is_accepted() {
    let runtime = runtime();
    let token = valid_token(&runtime);
    assert!(runtime.block_on(verifier().verify(&token)).is_ok());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1_000))]

    #[test]
    fn arbitrary_strings_are_never_service_tokens(token in any::<String>()) {
        let runtime = runtime();
        prop_assert!(runtime.block_on(verifier().verify(&token)).is_err());
    }

    #[test]
    fn a_valid_token_with_any_byte_changed_is_refused(at in any::<prop::sample::Index>(), byte in 0x21u8..0x7f) {
        let runtime = runtime();
        let token = valid_token(&runtime);
        let mut bytes = token.into_bytes();
        let at = at.index(bytes.len());
        prop_assume!(bytes[at] != byte);
        bytes[at] = byte;
        let damaged = String::from_utf8(bytes).unwrap();
        prop_assert!(runtime.block_on(verifier().verify(&damaged)).is_err(), "{} accepted", damaged);
    }

    #[test]
    fn traceparents_parse_or_are_ignored_and_valid_ones_round_trip(value in any::<String>(), trace in any::<u128>()) {
        let _ = TraceId::from_traceparent(&value);
        prop_assume!(trace != 0);
        let id = TraceId::parse(&format!("{trace:032x}")).unwrap();
        prop_assert_eq!(TraceId::from_traceparent(&id.traceparent()), Some(id));
    }
}
