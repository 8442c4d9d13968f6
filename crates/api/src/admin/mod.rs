//! Admin-only routes under `/api/v1/admin`; every handler takes an
//! [`AdminUser`](crate::auth::AdminUser), so customers get 403 and
//! anonymous callers 401.

pub mod api_keys;
pub mod audit;
pub mod catalog;
pub mod catalog_requests;
pub mod catalog_schemas;
pub mod collections;
pub mod dead_letters;
pub mod discounts;
pub mod exports;
pub mod imports;
pub mod inventory;
pub mod orders;
pub mod returns;
pub mod shipping_zones;
pub mod tax_rates;
pub mod users;
pub mod variants;
pub mod webhooks;
