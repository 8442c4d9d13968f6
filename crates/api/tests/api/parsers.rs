//! Generated input for the parsers that face strangers: the Stripe webhook
//! signature, access tokens, and the product query string over real HTTP.
//! Nothing panics, nothing forged gets in, no input is a 500.

use gokart_api::auth::tokens::AccessTokens;
use gokart_api::payments::webhook::{self, SignatureError};
use gokart_domain::Role;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use secrecy::SecretString;

use crate::helpers::TestApp;

const SECRET: &str = "whsec_property";
const NOW: i64 = 1_800_000_000;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn any_signature_header_is_refused_without_panicking(header in any::<String>(), payload in any::<Vec<u8>>()) {
        prop_assert!(webhook::verify(&payload, &header, SECRET, NOW).is_err());
    }

    #[test]
    fn signed_payloads_verify_and_any_change_is_a_mismatch(
        payload in any::<Vec<u8>>(), at in any::<prop::sample::Index>(), flip in 1u8..=255, skew in -300i64..=300,
    ) {
        let header = webhook::sign(&payload, SECRET, NOW + skew);
        prop_assert_eq!(webhook::verify(&payload, &header, SECRET, NOW), Ok(()));
        prop_assert_eq!(webhook::verify(&payload, &header, "whsec_other", NOW), Err(SignatureError::Mismatch));
        if !payload.is_empty() {
            let mut changed = payload.clone();
            changed[at.index(payload.len())] ^= flip;
            prop_assert_eq!(webhook::verify(&changed, &header, SECRET, NOW), Err(SignatureError::Mismatch));
        }
    }

    #[test]
    fn stale_signatures_are_refused(payload in any::<Vec<u8>>(), age in 301i64..10_000_000) {
        for at in [NOW - age, NOW + age] {
            let header = webhook::sign(&payload, SECRET, at);
            prop_assert_eq!(webhook::verify(&payload, &header, SECRET, NOW), Err(SignatureError::Stale));
        }
    }

    #[test]
    fn access_tokens_refuse_anything_but_what_they_issued(
        garbage in any::<String>(), at in any::<prop::sample::Index>(), byte in 0x21u8..0x7f,
    ) {
        let tokens = AccessTokens::new(&SecretString::from("p".repeat(48)), std::time::Duration::from_secs(60));
        prop_assert!(tokens.verify(&garbage).is_none());
        let user = uuid::Uuid::new_v4();
        let (token, _) = tokens.issue(user, uuid::Uuid::new_v4(), Role::User).unwrap();
        prop_assert!(tokens.verify(&token).is_some());
        let mut bytes = token.into_bytes();
        let at = at.index(bytes.len());
        prop_assume!(bytes[at] != byte);
        bytes[at] = byte;
        prop_assert!(tokens.verify(&String::from_utf8(bytes).unwrap()).is_none());
    }
}

/// Query strings as a client could send them: known and unknown names,
/// any values, percent-encoded or raw, repeated or malformed.
fn query_string() -> impl Strategy<Value = String> {
    let name = prop_oneof![
        Just("q"),
        Just("category"),
        Just("min_price"),
        Just("max_price"),
        Just("in_stock"),
        Just("sort"),
        Just("page"),
        Just("page_size"),
        Just("limit"),
        Just("x"),
        Just(""),
    ];
    let value = prop_oneof![
        any::<String>().prop_map(|v| utf8_percent(&v)),
        "[ -~]{0,12}".prop_map(|v| v.replace(['#', ' '], "+")),
        Just("%ZZ".to_owned()),
        Just("%".to_owned()),
        Just("%C3%28".to_owned()),
        (-5i64..200_000).prop_map(|n| n.to_string()),
    ];
    prop::collection::vec((name, value), 0..6).prop_map(|pairs| {
        pairs.iter().map(|(n, v)| format!("{n}={v}")).collect::<Vec<_>>().join("&")
    })
}

fn utf8_percent(value: &str) -> String {
    value.bytes().map(|b| format!("%{b:02X}")).collect()
}

#[test]
fn no_product_query_string_is_a_server_error() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let app = runtime.block_on(TestApp::spawn());
    let mut runner = TestRunner::new(Config::with_cases(300));
    runner
        .run(&query_string(), |query| {
            let (status, body) = runtime.block_on(async {
                let response = app.get(&format!("/api/v1/products?{query}")).await;
                let status = response.status().as_u16();
                (status, response.json::<serde_json::Value>().await.ok())
            });
            prop_assert!(matches!(status, 200 | 400 | 422), "{} for ?{}", status, query);
            let body = body.unwrap_or_default();
            if status == 200 {
                prop_assert!(body["items"].is_array(), "?{}", query);
            } else {
                prop_assert!(body["error"]["code"].is_string(), "?{}: {}", query, body);
            }
            Ok(())
        })
        .unwrap();
}
