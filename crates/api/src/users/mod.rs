//! Accounts: registration, profile, password, deletion, and the admin's
//! management of users.

pub mod handler;
pub mod repository;
pub mod service;
pub mod view;
