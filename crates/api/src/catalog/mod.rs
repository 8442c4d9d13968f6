//! The catalog: categories and products, browsing with filters, sorting and
//! full-text search (prefix matching, typo-tolerant fallback), and the
//! admin's management of both. Deleted or inactive products are invisible
//! to shoppers but kept for order history.

pub mod cache;
pub mod events;
pub mod export;
pub mod handler;
pub mod import;
pub mod repository;
pub mod seed;
pub mod seed_photos;
pub mod service;
pub mod variants;
pub mod view;
