//! GoKart's public REST API.
//!
//! `main.rs` only parses the command line; everything else lives here so the
//! integration tests can build the same application on a random port.
//!
//! Layout: one folder per capability (`health`, `auth`, `users`, `catalog`,
//! `cart`, `addresses`, `orders`, `admin`, `internal`, ...), each with its handler,
//! service and repository.
//! Cross-cutting pieces sit at the top: [`config`], [`db`], [`error`],
//! [`extract`], [`routes`] and [`startup`].
//!
//! Error policy: handlers return [`error::Result`]. Client mistakes become
//! 4xx JSON errors naming the problem; anything unexpected is logged with its
//! cause and answered with a bare 500 carrying only the request id.

pub mod addresses;
pub mod admin;
pub mod audit;
pub mod auth;
pub mod cart;
pub mod catalog;
pub mod cli;
pub mod collections;
pub mod config;
pub mod db;
pub mod discounts;
pub mod error;
pub mod etag;
pub mod extract;
pub mod gzip;
pub mod health;
pub mod internal;
pub mod maintenance;
pub mod media;
pub mod metrics;
pub mod orders;
pub mod outbox;
pub mod page;
pub mod payments;
pub mod pricing;
pub mod routes;
pub mod schemas;
pub mod search;
pub mod seed;
pub mod shedding;
pub mod shipping;
pub mod shop;
pub mod startup;
pub mod state;
pub mod tax;
pub mod users;
pub mod web;
pub mod webhooks;

pub use config::ApiConfig;
pub use state::AppState;
