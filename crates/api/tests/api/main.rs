//! Integration tests: the real API on a random port, a fresh PostgreSQL
//! database per test, real HTTP. Run them with `make test`.

// A failed unwrap in a test or its helpers is a failed test, which is the point.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod accounts;
mod addresses;
mod admin_catalog;
mod admin_users;
mod api_keys;
mod bodies;
mod cart;
mod catalog;
mod cloud_tasks;
mod collections;
mod commands;
mod errors;
mod exports;
mod faults;
mod google_auth;
mod google_standin;
mod guests;
mod hardening;
mod health;
mod helpers;
mod imports;
mod input_limits;
mod limits;
mod media;
mod media_gcs;
mod observability;
mod openapi;
mod order_actions;
mod orders;
mod parsers;
mod pipeline;
mod plans;
mod pricing;
mod product_cache;
mod recovery;
mod relevance;
mod request_ids;
mod search;
mod secrets;
mod service_tokens;
mod sessions;
mod shipping;
mod shutdown;
mod stripe;
mod stripe_standin;
mod structure;
mod tax_rates;
mod tokens;
mod upgrades;
mod variants;
mod web;
mod webhooks;
