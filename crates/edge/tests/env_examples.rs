//! Every variable a service reads is documented in its env example, and the
//! examples document nothing that is no longer read.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The checkout, located when the test runs: a test binary reused from
/// another checkout must still read this one.
fn repo() -> PathBuf {
    let crate_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf(), PathBuf::from);
    crate_dir.join("../..")
}

/// Variable names passed to `Env` getters (`env.parse("PORT", ...)` and the like).
fn read_in(files: &[&str]) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for file in files {
        let source = std::fs::read_to_string(repo().join(file)).unwrap();
        // Calls may be split over lines by rustfmt; names hold no whitespace.
        let text: String = source.chars().filter(|c| !c.is_whitespace()).collect();
        for getter in
            ["string(", "require(", "parse(", "flag(", "duration(", "secret(", "get(", "url("]
        {
            for piece in text.split(&format!("env.{getter}\"")).skip(1) {
                if let Some(name) = piece.split('"').next() {
                    names.insert(name.to_owned());
                }
            }
        }
        if text.contains("env.app_env()") {
            names.insert("APP_ENV".to_owned());
        }
    }
    names
}

fn documented_in(example: &str) -> BTreeSet<String> {
    std::fs::read_to_string(repo().join(example))
        .unwrap()
        .lines()
        .filter(|line| !line.trim_start().starts_with('#'))
        .filter_map(|line| line.split_once('=').map(|(name, _)| name.trim().to_owned()))
        .collect()
}

const SERVER: &str = "crates/edge/src/server_config.rs";
const SERVICE_AUTH: &str = "crates/edge/src/service_auth/config.rs";

#[test]
fn api_env_example_documents_exactly_what_the_api_reads() {
    let read = read_in(&[
        SERVER,
        SERVICE_AUTH,
        "crates/api/src/config/mod.rs",
        "crates/api/src/config/fulfillment.rs",
        "crates/api/src/config/media.rs",
    ]);
    assert!(read.contains("DATABASE_URL") && read.contains("PORT"), "scan found {read:?}");
    assert_eq!(documented_in("api.env.example"), read);
}

#[test]
fn worker_env_example_documents_exactly_what_the_worker_reads() {
    let read = read_in(&[SERVER, SERVICE_AUTH, "crates/mega-worker/src/config.rs"]);
    assert_eq!(documented_in("worker.env.example"), read);
}
