//! GoKart's domain: the types and rules both services agree on, with no I/O.
//!
//! Everything here is pure and synchronous so it can be tested exhaustively
//! with unit tests. Services call these functions; they never re-implement
//! money arithmetic, validation or paging rules themselves.

pub mod address;
pub mod catalog;
pub mod identity;
pub mod money;
pub mod orders;
pub mod paging;
pub mod pricing;
pub mod refunds;
pub mod returns;
pub mod tasks;
pub mod validation;
pub mod variants;

pub use address::{Address, RawAddress};
pub use catalog::{
    MAX_OPTION_FILTERS, MAX_PRICE, MAX_STOCK, ProductQuery, ProductSort, RawProductQuery,
    SearchTerms, Sku, Slug,
};
pub use identity::{Email, NewPassword, PersonName, Role};
pub use money::{Currency, Money, MoneyError};
pub use orders::{OrderStatus, PaymentStatus};
pub use paging::PageRequest;
pub use tasks::{
    AccountEmailPurpose, AccountEmailTask, AdminNoticeTask, NotificationLine, NotificationTask,
    StatusReport, StepTask, TaskKind,
};
pub use validation::{Invalid, Violations};
pub use variants::{Options, ProductOption};
