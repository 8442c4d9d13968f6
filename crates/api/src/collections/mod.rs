//! Collections: curated, ordered product lists ("Featured", "New arrivals")
//! that admins keep and anyone can browse by handle.

pub mod handler;
pub mod repository;
pub mod service;
