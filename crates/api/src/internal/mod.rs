//! Internal routes, for other services only: the worker's status callbacks
//! and the scheduler's maintenance trigger. Every handler takes a
//! [`ServiceCaller`](gokart_edge::service_auth::ServiceCaller), so only a
//! valid service token from an allowed caller gets in; a customer's or an
//! admin's access token is refused like any forged one.

pub mod handler;
pub mod service;
