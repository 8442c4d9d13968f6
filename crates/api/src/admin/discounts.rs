//! HTTP for `/api/v1/admin/discounts*`: discount codes and automatic
//! promotions.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use gokart_domain::Violations;
use gokart_domain::catalog::optional_text;
use gokart_edge::http::ErrorEnvelope;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::AdminUser;
use crate::discounts::{self, DiscountFields, DiscountRow, Kind};
use crate::error::{Error, Result};
use crate::extract::{Json, Path, Query};
use crate::page::{Page, PageQuery};
use crate::state::AppState;

/// Which lines a discount covers; all empty (or absent): the whole cart.
#[derive(Debug, Default, Clone, Deserialize, Serialize, ToSchema)]
pub struct AppliesTo {
    /// Products in these categories or their subcategories.
    #[serde(default)]
    #[schema(max_items = 100)]
    pub category_ids: Vec<Uuid>,
    /// Products in these collections.
    #[serde(default)]
    #[schema(max_items = 100)]
    pub collection_ids: Vec<Uuid>,
    /// These products.
    #[serde(default)]
    #[schema(max_items = 100)]
    pub product_ids: Vec<Uuid>,
}

/// A discount code (`automatic: false`, with `code`) or an automatic
/// promotion (`automatic: true`, no code).
#[derive(Debug, Deserialize, ToSchema)]
pub struct DiscountRequest {
    /// The code shoppers type, 3 to 50 letters, digits, `-` or `_` (stored
    /// upper-case, matched in any case); required unless `automatic`.
    #[schema(pattern = "^[A-Za-z0-9][A-Za-z0-9_-]{2,49}$")]
    pub code: Option<String>,
    /// What shoppers see it called, e.g. "Summer sale: 10% off".
    #[schema(max_length = 200)]
    #[serde(default)]
    pub description: Option<String>,
    /// `percentage`, `fixed` or `free_shipping`.
    pub kind: Kind,
    /// For `percentage`, basis points from 1 to 10000 (1000 is 10%); for
    /// `fixed`, minor units above 0; for `free_shipping`, 0 or absent.
    #[schema(minimum = 0, maximum = 100_000_000_000_i64)]
    #[serde(default)]
    pub value: i64,
    /// The cart subtotal it needs, in minor units.
    #[schema(minimum = 0, maximum = 100_000_000_000_i64)]
    pub min_subtotal: Option<i64>,
    /// Valid from.
    pub starts_at: Option<DateTime<Utc>>,
    /// Valid until (exclusive); after `starts_at`.
    pub ends_at: Option<DateTime<Utc>>,
    /// Most orders that may carry it; cancelled orders give theirs back.
    #[schema(minimum = 1, maximum = 1_000_000_000)]
    pub usage_limit: Option<i64>,
    /// Most orders one customer's may carry (guests counted by email).
    #[schema(minimum = 1, maximum = 1_000_000_000)]
    pub per_customer_limit: Option<i64>,
    /// What it covers; absent: the whole cart.
    pub applies_to: Option<AppliesTo>,
    /// Applies to every cart that qualifies, without a code.
    #[serde(default)]
    pub automatic: bool,
    /// Applies together with other stackable discounts; otherwise the one
    /// discount that takes most off applies.
    #[serde(default)]
    pub stackable: bool,
}

/// Checks a discount code's shape; the upper-case form.
pub fn code(raw: &str) -> std::result::Result<String, gokart_domain::Invalid> {
    let code = raw.trim().to_ascii_uppercase();
    let shaped = (3..=50).contains(&code.len())
        && code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        && code.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric());
    if shaped {
        Ok(code)
    } else {
        Err(gokart_domain::Invalid::new(
            "must be 3 to 50 letters, digits, `-` or `_`, starting with a letter or digit",
        ))
    }
}

impl DiscountRequest {
    fn validate(&self) -> std::result::Result<DiscountFields, Violations> {
        let mut v = Violations::new();
        let code = match (&self.code, self.automatic) {
            (Some(raw), false) => v.check("code", code(raw)),
            (None, false) => {
                v.add("code", "is required (or make it `automatic`)");
                None
            }
            (Some(_), true) => {
                v.add("code", "an automatic promotion has no code");
                None
            }
            (None, true) => None,
        };
        let description = self
            .description
            .as_deref()
            .map_or(Some(String::new()), |raw| v.check("description", optional_text(raw, 200)));
        let value_ok = match self.kind {
            Kind::Percentage => (1..=10_000).contains(&self.value),
            Kind::Fixed => (1..=100_000_000_000).contains(&self.value),
            Kind::FreeShipping => self.value == 0,
        };
        if !value_ok {
            v.add(
                "value",
                match self.kind {
                    Kind::Percentage => "must be 1 to 10000 basis points (1000 is 10%)",
                    Kind::Fixed => "must be an amount above 0 in minor units",
                    Kind::FreeShipping => "must be 0 or absent for free shipping",
                },
            );
        }
        if self.min_subtotal.is_some_and(|min| !(0..=100_000_000_000).contains(&min)) {
            v.add("min_subtotal", "must be an amount of 0 or more in minor units");
        }
        if let (Some(start), Some(end)) = (self.starts_at, self.ends_at)
            && end <= start
        {
            v.add("ends_at", "must be after starts_at");
        }
        let mut limit = |field: &str, raw: Option<i64>| match raw {
            None => None,
            Some(n) => match i32::try_from(n).ok().filter(|n| (1..=1_000_000_000).contains(n)) {
                Some(n) => Some(n),
                None => {
                    v.add(field, "must be 1 or more");
                    None
                }
            },
        };
        let usage_limit = limit("usage_limit", self.usage_limit);
        let per_customer_limit = limit("per_customer_limit", self.per_customer_limit);
        let applies_to = self.applies_to.clone().unwrap_or_default();
        for (field, ids) in [
            ("applies_to.category_ids", &applies_to.category_ids),
            ("applies_to.collection_ids", &applies_to.collection_ids),
            ("applies_to.product_ids", &applies_to.product_ids),
        ] {
            if ids.len() > 100 {
                v.add(field, "names at most 100");
            }
        }
        let dedup = |mut ids: Vec<Uuid>| {
            ids.sort_unstable();
            ids.dedup();
            ids
        };
        match description {
            Some(description) if v.is_empty() => Ok(DiscountFields {
                code,
                description,
                kind: self.kind,
                value: self.value,
                min_subtotal: self.min_subtotal,
                starts_at: self.starts_at,
                ends_at: self.ends_at,
                usage_limit,
                per_customer_limit,
                category_ids: dedup(applies_to.category_ids),
                collection_ids: dedup(applies_to.collection_ids),
                product_ids: dedup(applies_to.product_ids),
                automatic: self.automatic,
                stackable: self.stackable,
            }),
            _ => Err(v),
        }
    }
}

/// A discount as admins see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct DiscountView {
    /// Id.
    pub id: Uuid,
    /// The code (upper-case); none for an automatic promotion.
    pub code: Option<String>,
    /// What shoppers see it called.
    pub description: String,
    /// What it takes off.
    pub kind: Kind,
    /// Basis points, minor units, or 0.
    pub value: i64,
    /// Minimum subtotal.
    pub min_subtotal: Option<i64>,
    /// Valid from.
    pub starts_at: Option<DateTime<Utc>>,
    /// Valid until.
    pub ends_at: Option<DateTime<Utc>>,
    /// Most orders that may carry it.
    pub usage_limit: Option<i32>,
    /// Most orders per customer.
    pub per_customer_limit: Option<i32>,
    /// What it covers.
    pub applies_to: AppliesTo,
    /// Without a code.
    pub automatic: bool,
    /// Stacks with other stackable discounts.
    pub stackable: bool,
    /// Orders (not cancelled) that carry it.
    pub times_used: i64,
    /// Added at.
    pub created_at: DateTime<Utc>,
    /// Last changed at.
    pub updated_at: DateTime<Utc>,
}

impl DiscountView {
    fn new(row: DiscountRow, times_used: i64) -> Self {
        let DiscountRow { id, rule, created_at, updated_at, .. } = row;
        DiscountView {
            id,
            code: rule.code,
            description: rule.description,
            kind: rule.kind,
            value: rule.value,
            min_subtotal: rule.min_subtotal,
            starts_at: rule.starts_at,
            ends_at: rule.ends_at,
            usage_limit: rule.usage_limit,
            per_customer_limit: rule.per_customer_limit,
            applies_to: AppliesTo {
                category_ids: rule.category_ids,
                collection_ids: rule.collection_ids,
                product_ids: rule.product_ids,
            },
            automatic: rule.automatic,
            stackable: rule.stackable,
            times_used,
            created_at,
            updated_at,
        }
    }
}

async fn viewed(state: &AppState, rows: Vec<DiscountRow>) -> Result<Vec<DiscountView>> {
    let ids: Vec<Uuid> = rows.iter().map(|row| row.id).collect();
    let counts = discounts::redemption_counts(&state.db, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let used = counts.get(&row.id).copied().unwrap_or(0);
            DiscountView::new(row, used)
        })
        .collect())
}

async fn save(
    state: &AppState,
    id: Uuid,
    body: &DiscountRequest,
    creating: bool,
) -> Result<DiscountView> {
    let fields = body.validate()?;
    let mut tx = state.db.begin().await?;
    let unknown = discounts::unknown_scope(&mut tx, &fields).await?;
    if !unknown.is_empty() {
        let mut v = Violations::new();
        for (field, index) in unknown {
            v.add(format!("{field}[{index}]"), "no such item");
        }
        return Err(Error::Validation(v));
    }
    let row = discounts::save(&mut *tx, id, &fields, creating)
        .await?
        .ok_or(Error::NotFound("discount"))?;
    tx.commit().await?;
    let mut views = viewed(state, vec![row]).await?;
    views.pop().ok_or(Error::NotFound("discount"))
}

/// Every discount, newest first.
#[utoipa::path(get, path = "/api/v1/admin/discounts", tag = "admin",
    operation_id = "admin_list_discounts", security(("bearer" = [])),
    params(PageQuery),
    responses(
        (status = 200, description = "A page of discounts", body = Page<DiscountView>),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not an admin", body = ErrorEnvelope),
        (status = 422, description = "Bad paging values", body = ErrorEnvelope),
    ))]
pub async fn list(
    State(state): State<AppState>,
    _admin: AdminUser,
    Query(query): Query<PageQuery>,
) -> Result<Json<Page<DiscountView>>> {
    let page = query.request()?;
    let mut db = state.db.acquire().await?;
    let (rows, total) = discounts::list(&mut db, page.limit(), page.offset()).await?;
    drop(db);
    Ok(Json(Page::new(viewed(&state, rows).await?, page, total)))
}

/// One discount.
#[utoipa::path(get, path = "/api/v1/admin/discounts/{id}", tag = "admin",
    operation_id = "admin_get_discount", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Discount id")),
    responses(
        (status = 200, description = "The discount", body = DiscountView),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not an admin", body = ErrorEnvelope),
        (status = 404, description = "No such discount", body = ErrorEnvelope),
    ))]
pub async fn get(
    State(state): State<AppState>,
    _admin: AdminUser,
    Path(id): Path<Uuid>,
) -> Result<Json<DiscountView>> {
    let row = discounts::find(&state.db, id).await?.ok_or(Error::NotFound("discount"))?;
    let mut views = viewed(&state, vec![row]).await?;
    Ok(Json(views.pop().ok_or(Error::NotFound("discount"))?))
}

/// Add a discount code or an automatic promotion.
#[utoipa::path(post, path = "/api/v1/admin/discounts", tag = "admin",
    operation_id = "admin_create_discount", security(("bearer" = [])),
    request_body = DiscountRequest,
    responses(
        (status = 201, description = "Created", body = DiscountView),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not an admin", body = ErrorEnvelope),
        (status = 409, description = "Another discount has this code (`discount_code_taken`)", body = ErrorEnvelope),
        (status = 422, description = "A field is invalid", body = ErrorEnvelope),
    ))]
pub async fn create(
    State(state): State<AppState>,
    _admin: AdminUser,
    Json(body): Json<DiscountRequest>,
) -> Result<(StatusCode, Json<DiscountView>)> {
    let view = save(&state, Uuid::now_v7(), &body, true).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// Replace a discount's fields. Orders that already carry it keep what
/// they got.
#[utoipa::path(put, path = "/api/v1/admin/discounts/{id}", tag = "admin",
    operation_id = "admin_update_discount", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Discount id")),
    request_body = DiscountRequest,
    responses(
        (status = 200, description = "Updated", body = DiscountView),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not an admin", body = ErrorEnvelope),
        (status = 404, description = "No such discount", body = ErrorEnvelope),
        (status = 409, description = "Another discount has this code", body = ErrorEnvelope),
        (status = 422, description = "A field is invalid", body = ErrorEnvelope),
    ))]
pub async fn update(
    State(state): State<AppState>,
    _admin: AdminUser,
    Path(id): Path<Uuid>,
    Json(body): Json<DiscountRequest>,
) -> Result<Json<DiscountView>> {
    Ok(Json(save(&state, id, &body, false).await?))
}

/// Delete a discount; carts lose it, orders keep what they got.
#[utoipa::path(delete, path = "/api/v1/admin/discounts/{id}", tag = "admin",
    operation_id = "admin_delete_discount", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Discount id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 403, description = "Not an admin", body = ErrorEnvelope),
        (status = 404, description = "No such discount", body = ErrorEnvelope),
    ))]
pub async fn delete(
    State(state): State<AppState>,
    _admin: AdminUser,
    Path(id): Path<Uuid>,
) -> Result<StatusCode> {
    if !discounts::delete(&state.db, id).await? {
        return Err(Error::NotFound("discount"));
    }
    Ok(StatusCode::NO_CONTENT)
}
