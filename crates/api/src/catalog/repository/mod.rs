//! SQL for categories and products, one file per concern: [`categories`],
//! [`products`] (rows, changes, stock) and [`listing`] (the product list,
//! the one query built dynamically, with bound parameters only).

pub mod categories;
pub mod listing;
pub mod products;

pub use categories::*;
pub use listing::*;
pub use products::*;
