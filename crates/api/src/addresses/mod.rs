//! The address book: each user's postal addresses, with at most one default
//! for shipping and one for billing (enforced by the database).

pub mod handler;
pub mod repository;
pub mod service;
