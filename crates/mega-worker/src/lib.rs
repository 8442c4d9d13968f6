//! GoKart's mega-worker: stateless executors for order fulfillment steps.
//!
//! The task queue (Cloud Tasks in the cloud, the API's local dispatcher on
//! one machine) pushes each step here as an HTTP POST; the worker does the
//! step and reports back to the API. It holds no database credentials: the
//! API owns the order workflow and decides what comes next.

pub mod callback;
pub mod cli;
pub mod config;
pub mod notify;
pub mod routes;
pub mod startup;
pub mod state;
pub mod steps;
pub mod task;

pub use config::WorkerConfig;
