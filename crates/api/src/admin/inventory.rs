//! HTTP for `/api/v1/admin/inventory/low-stock`: what is running out.

use std::collections::BTreeMap;

use axum::extract::State;
use gokart_domain::{PageRequest, Violations};
use gokart_edge::http::ErrorEnvelope;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::AdminUser;
use crate::catalog::repository::products::{self, LowStockRow};
use crate::error::Result;
use crate::extract::{Json, Query, filled};
use crate::page::Page;
use crate::state::AppState;

/// The most a threshold may be.
const MAX_THRESHOLD: i32 = 1_000_000;

/// How low is low, and paging.
#[derive(Debug, Deserialize, IntoParams)]
pub struct LowStockQuery {
    /// A variant with this many units or fewer is listed (default: the
    /// shop's `LOW_STOCK_THRESHOLD`), 0 to 1000000.
    #[param(value_type = i32, required = false, minimum = 0, maximum = 1000000)]
    pub threshold: Option<String>,
    /// Page number, from 1.
    #[param(value_type = u32, required = false, minimum = 1, maximum = 100000)]
    pub page: Option<String>,
    /// Items per page, 1 to 100 (default 20).
    #[param(value_type = u32, required = false, minimum = 1, maximum = 100)]
    pub page_size: Option<String>,
}

impl LowStockQuery {
    fn validate(&self, default: i32) -> std::result::Result<(i32, PageRequest), Violations> {
        let mut v = Violations::new();
        let threshold = match filled(&self.threshold) {
            None => default,
            Some(raw) => match raw.parse::<i32>() {
                Ok(n) if (0..=MAX_THRESHOLD).contains(&n) => n,
                _ => {
                    v.add("threshold", "must be a whole number from 0 to 1000000");
                    default
                }
            },
        };
        let page =
            PageRequest::from_query_into(self.page.as_deref(), self.page_size.as_deref(), &mut v);
        v.into_result()?;
        Ok((threshold, page))
    }
}

/// A variant on sale that is running out.
#[derive(Debug, Serialize, ToSchema)]
pub struct LowStock {
    /// The variant: what a stock change names.
    pub variant_id: Uuid,
    /// Its product.
    pub product_id: Uuid,
    /// The product's name.
    pub product_name: String,
    /// The variant's SKU.
    pub sku: String,
    /// Its value of each option, by option name.
    pub options: BTreeMap<String, String>,
    /// Units left.
    pub stock_quantity: i32,
}

impl From<LowStockRow> for LowStock {
    fn from(row: LowStockRow) -> Self {
        LowStock {
            variant_id: row.variant_id,
            product_id: row.product_id,
            product_name: row.product_name,
            sku: row.sku,
            options: serde_json::from_value(row.options).unwrap_or_default(),
            stock_quantity: row.stock_quantity,
        }
    }
}

/// Variants on sale with few units left (or none), fewest first.
#[utoipa::path(get, path = "/api/v1/admin/inventory/low-stock", tag = "admin",
    operation_id = "admin_low_stock", security(("bearer" = [])),
    params(LowStockQuery),
    responses(
        (status = 200, description = "A page of variants running out", body = Page<LowStock>),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not an admin", body = ErrorEnvelope),
        (status = 422, description = "Bad threshold or paging", body = ErrorEnvelope),
    ))]
pub async fn low_stock(
    State(state): State<AppState>,
    _admin: AdminUser,
    Query(query): Query<LowStockQuery>,
) -> Result<Json<Page<LowStock>>> {
    let (threshold, page) = query.validate(state.config.low_stock_threshold)?;
    let mut db = state.db.acquire().await?;
    let (rows, total) =
        products::low_stock(&mut db, threshold, page.limit(), page.offset()).await?;
    Ok(Json(Page::new(rows.into_iter().map(LowStock::from).collect(), page, total)))
}
