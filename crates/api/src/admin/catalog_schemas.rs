//! The OpenAPI document's shapes of admin catalog bodies, where they say
//! more than the types in [`super::catalog_requests`] the handlers read: the fields
//! creating requires, the price a product may have, and a stock change as
//! exactly one of two fields. The handlers' parsing is unchanged.

use gokart_domain::MAX_STOCK;
use utoipa::openapi::schema::{
    AllOfBuilder, ArrayBuilder, KnownFormat, ObjectBuilder, OneOfBuilder, SchemaFormat, Type,
};
use utoipa::openapi::{Ref, RefOr, Schema};
use utoipa::{PartialSchema, ToSchema};

use super::catalog_requests::{
    CategoryRequest, Price, ProductRequest, StockRequest, VariantRequest,
};
use crate::schemas;

/// The body that creates a category: a [`CategoryRequest`] with a name
/// (read as a `CategoryRequest`; [`super::catalog::create_category`]
/// checks the name).
#[derive(Debug, Clone, Copy)]
pub struct NewCategoryRequest;

impl PartialSchema for NewCategoryRequest {
    fn schema() -> RefOr<Schema> {
        with_required_name(&CategoryRequest::name(), "name", 100, "slug")
    }
}

/// `base` with `field` (at most `max` characters) required: it must hold an
/// ASCII letter or digit, from which a missing `derived` field is made.
pub(super) fn with_required_name(
    base: &str,
    field: &str,
    max: usize,
    derived: &str,
) -> RefOr<Schema> {
    let name = ObjectBuilder::new()
        .schema_type(Type::String)
        .max_length(Some(max))
        .pattern(Some("[A-Za-z0-9]"))
        .description(Some(format!(
            "Required; without a `{derived}`, it must hold an ASCII letter or digit to derive one"
        )));
    AllOfBuilder::new()
        .description(Some(format!("A `{base}` with a `{field}`")))
        .item(Ref::from_schema_name(base))
        .item(ObjectBuilder::new().schema_type(Type::Object).property(field, name).required(field))
        .into()
}

impl ToSchema for NewCategoryRequest {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((CategoryRequest::name().into_owned(), CategoryRequest::schema()));
        CategoryRequest::schemas(schemas);
    }
}

/// The body that creates a product: a [`ProductRequest`] with its name,
/// sku, price and category (read as a `ProductRequest`;
/// `catalog::service::create_product` checks they are there).
#[derive(Debug, Clone, Copy)]
pub struct NewProductRequest;

impl PartialSchema for NewProductRequest {
    fn schema() -> RefOr<Schema> {
        // Each required field once more, without `null`.
        let uuid = ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)));
        let simple = ObjectBuilder::new()
            .schema_type(Type::Object)
            .title(Some("one variant"))
            .property("sku", Ref::from_schema_name(schemas::Sku::name()))
            .property("price", Ref::from_schema_name(Price::name()))
            .required("sku")
            .required("price");
        let with_variants = ObjectBuilder::new()
            .schema_type(Type::Object)
            .title(Some("variants"))
            .property(
                "variants",
                ArrayBuilder::new()
                    .items(Ref::from_schema_name(VariantRequest::name()))
                    .min_items(Some(1))
                    .max_items(Some(100)),
            )
            .required("variants");
        AllOfBuilder::new()
            .description(Some(
                "A product to create: a `ProductRequest` with `name` and `category_id`, and \
                 either `sku` and `price` (a product with one variant) or `variants`, each \
                 with its `sku`, `price` and one value of every option",
            ))
            .item(Ref::from_schema_name(ProductRequest::name()))
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::Object)
                    .property("name", Ref::from_schema_name(schemas::RequiredText::<200>::name()))
                    .property("category_id", uuid)
                    .required("name")
                    .required("category_id"),
            )
            .item(OneOfBuilder::new().item(simple).item(with_variants))
            .into()
    }
}

impl ToSchema for NewProductRequest {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((ProductRequest::name().into_owned(), ProductRequest::schema()));
        ProductRequest::schemas(schemas);
    }
}

/// The body that adds a variant: a [`VariantRequest`] with its sku and
/// price (read as a `VariantRequest`; `catalog::variants::create` checks
/// they are there, and that `options` picks one value of each of the
/// product's options).
#[derive(Debug, Clone, Copy)]
pub struct NewVariantRequest;

impl PartialSchema for NewVariantRequest {
    fn schema() -> RefOr<Schema> {
        AllOfBuilder::new()
            .description(Some(
                "A variant to add: a `VariantRequest` with `sku`, `price` and, for a product \
                 with options, one value of each in `options`",
            ))
            .item(Ref::from_schema_name(VariantRequest::name()))
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::Object)
                    .property("sku", Ref::from_schema_name(schemas::Sku::name()))
                    .property("price", Ref::from_schema_name(Price::name()))
                    .required("sku")
                    .required("price"),
            )
            .into()
    }
}

impl ToSchema for NewVariantRequest {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((VariantRequest::name().into_owned(), VariantRequest::schema()));
        VariantRequest::schemas(schemas);
    }
}

// Written out: "exactly one of" is a `oneOf` no derive states.
impl PartialSchema for StockRequest {
    fn schema() -> RefOr<Schema> {
        let change = |field: &str, minimum: i32, description: &str| {
            let count = ObjectBuilder::new()
                .schema_type(Type::Integer)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
                .minimum(Some(minimum))
                .maximum(Some(MAX_STOCK))
                .description(Some(description));
            ObjectBuilder::new()
                .schema_type(Type::Object)
                .title(Some(field))
                .property(field, count)
                .required(field)
        };
        OneOfBuilder::new()
            .description(Some("A stock adjustment: exactly one of `delta` and `quantity`"))
            .item(change(
                "delta",
                -MAX_STOCK,
                "Units to add (negative to remove); the result may not go below zero (409) or \
                 above 1000000000 (422)",
            ))
            .item(change("quantity", 0, "The new count"))
            .into()
    }
}

impl ToSchema for StockRequest {}
