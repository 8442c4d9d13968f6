//! The list envelope every list endpoint answers with.

use serde::Serialize;
use utoipa::ToSchema;

use gokart_domain::PageRequest;

/// One page of a list: `{items, page, page_size, total}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    /// The items on this page.
    pub items: Vec<T>,
    /// 1-based page number.
    pub page: u32,
    /// Items per page requested.
    pub page_size: u32,
    /// Items across all pages.
    pub total: i64,
}

impl<T> Page<T> {
    /// A page of `items` out of `total`.
    pub fn new(items: Vec<T>, request: PageRequest, total: i64) -> Self {
        Page { items, page: request.page, page_size: request.page_size, total }
    }

    /// A complete, short list as a single page.
    pub fn whole(items: Vec<T>) -> Self {
        let total = i64::try_from(items.len()).unwrap_or(i64::MAX);
        let page_size = u32::try_from(items.len()).unwrap_or(u32::MAX);
        Page { items, page: 1, page_size, total }
    }
}
