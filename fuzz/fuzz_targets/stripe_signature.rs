//! The `Stripe-Signature` check over any header and any body: it never
//! panics, and nothing but a signature made with the secret passes.
#![no_main]

use gokart_api::payments::webhook;
use libfuzzer_sys::fuzz_target;

const SECRET: &str = "whsec_fuzz";
const NOW: i64 = 1_800_000_000;

fuzz_target!(|input: (&str, &[u8])| {
    let (header, payload) = input;
    let verdict = webhook::verify(payload, header, SECRET, NOW);
    if verdict.is_ok() {
        // Only possible if the input carries the real signature for this body.
        let timestamp = header
            .split(',')
            .find_map(|part| part.trim().strip_prefix("t="))
            .and_then(|t| t.parse::<i64>().ok())
            .expect("an accepted header has a timestamp");
        let genuine = webhook::sign(payload, SECRET, timestamp);
        let tag = genuine.split_once(",v1=").map(|(_, tag)| tag).unwrap_or_default();
        assert!(header.contains(tag), "forged signature accepted: {header}");
    }
});
