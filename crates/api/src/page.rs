//! The list envelope every list endpoint answers with.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{ArrayBuilder, KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::{Ref, RefOr, Schema};
use utoipa::{IntoParams, PartialSchema, ToSchema};

use gokart_domain::PageRequest;

/// Paging for a list: `page` and `page_size` in the query.
#[derive(Debug, Deserialize, IntoParams)]
pub struct PageQuery {
    /// Page number, from 1.
    #[param(value_type = u32, required = false, minimum = 1, maximum = 100000)]
    pub page: Option<String>,
    /// Items per page, 1 to 100 (default 20).
    #[param(value_type = u32, required = false, minimum = 1, maximum = 100)]
    pub page_size: Option<String>,
}

impl PageQuery {
    /// The page asked for, or which value is wrong.
    pub fn request(&self) -> Result<PageRequest, gokart_domain::Violations> {
        PageRequest::from_query(self.page.as_deref(), self.page_size.as_deref())
    }
}

/// One page of a list: `{items, page, page_size, total}`.
#[derive(Debug, Serialize)]
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

// Written out rather than derived: utoipa copies a generic argument's schema
// into each `Page_<T>`, where clients want a `$ref` to the item's own schema.
// `ComposeSchema` is what `#[utoipa::path]` asks a generic body for; the
// items are `$ref`s whatever it passes, and `schemas` registers the item.
impl<T: ToSchema> utoipa::__dev::ComposeSchema for Page<T> {
    fn compose(_: Vec<RefOr<Schema>>) -> RefOr<Schema> {
        let count = |description: &str, format| {
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .format(Some(format))
                .minimum(Some(0))
                .description(Some(description))
        };
        let int32 = SchemaFormat::KnownFormat(KnownFormat::Int32);
        let int64 = SchemaFormat::KnownFormat(KnownFormat::Int64);
        ObjectBuilder::new()
            .description(Some("One page of a list"))
            .property(
                "items",
                ArrayBuilder::new()
                    .items(Ref::from_schema_name(T::name()))
                    .description(Some("The items on this page")),
            )
            .required("items")
            .property("page", count("1-based page number", int32.clone()).minimum(Some(1)))
            .required("page")
            .property("page_size", count("Items per page requested", int32))
            .required("page_size")
            .property("total", count("Items across all pages", int64))
            .required("total")
            .into()
    }
}

impl<T: ToSchema> ToSchema for Page<T> {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Page")
    }

    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((T::name().into_owned(), <T as PartialSchema>::schema()));
        T::schemas(schemas);
    }
}
