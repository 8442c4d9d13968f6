//! Orders: checkout (one transaction that turns the cart into an order
//! without ever overselling), idempotent replays, the customer's and the
//! admin's views, cancellation with restocking, expiry of unpaid orders,
//! and the workflow that moves a paid order through fulfillment.

pub mod handler;
pub mod idempotency;
pub mod refunds;
pub mod repository;
pub mod returns;
pub mod service;
pub mod view;
pub mod workflow;
