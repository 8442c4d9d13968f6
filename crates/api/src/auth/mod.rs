//! Signing in and staying signed in: access tokens, rotating refresh tokens
//! in an `HttpOnly` cookie, session management, and the protections around
//! them (per-account and per-address limits, same-origin checks).

pub mod api_keys;
pub mod cookies;
pub mod extract;
pub mod guard;
pub mod handler;
pub mod limiter;
pub mod links;
pub mod password;
pub mod recovery;
pub mod repository;
pub mod service;
pub mod session;
pub mod throttle;
pub mod tokens;

pub use extract::{AdminUser, AuthUser};
