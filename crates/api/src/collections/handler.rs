//! HTTP for `/api/v1/collections*`.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use gokart_edge::http::ErrorEnvelope;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::repository::CollectionRow;
use super::service;
use crate::catalog::cache::Shelved;
use crate::catalog::handler::{IfNoneMatch, from_pages};
use crate::catalog::view::ProductView;
use crate::error::Result;
use crate::extract::{Path, Query};
use crate::page::{Page, PageQuery};
use crate::state::AppState;

/// A collection in the list.
#[derive(Debug, Serialize, ToSchema)]
pub struct CollectionSummary {
    /// Id.
    pub id: Uuid,
    /// URL handle, e.g. `new-arrivals`.
    pub handle: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
}

impl From<CollectionRow> for CollectionSummary {
    fn from(row: CollectionRow) -> Self {
        CollectionSummary {
            id: row.id,
            handle: row.handle,
            title: row.title,
            description: row.description,
        }
    }
}

/// A collection with a page of its products, in the order it lists them.
#[derive(Debug, Serialize, ToSchema)]
pub struct CollectionView {
    /// The collection.
    #[serde(flatten)]
    pub collection: CollectionSummary,
    /// Its products shoppers can see.
    #[schema(value_type = Page<ProductView>)]
    pub products: Page<Arc<Shelved>>,
}

/// Every collection, newest first.
#[utoipa::path(get, path = "/api/v1/collections", tag = "catalog",
    operation_id = "list_collections", security(), params(PageQuery, IfNoneMatch),
    responses(
        (status = 200, description = "A page of collections", body = Page<CollectionSummary>),
        (status = 422, description = "Bad paging values", body = ErrorEnvelope),
    ))]
pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    Query(query): Query<PageQuery>,
) -> Result<Response> {
    let page = query.request()?;
    let key = format!("collections?{}", raw.unwrap_or_default());
    from_pages(&state, &headers, Some(key), async {
        let (rows, total) = service::list(&state, page).await?;
        let items: Vec<CollectionSummary> = rows.into_iter().map(CollectionSummary::from).collect();
        Ok(Page::new(items, page, total))
    })
    .await
}

/// A collection and a page of its products.
#[utoipa::path(get, path = "/api/v1/collections/{handle}", tag = "catalog",
    operation_id = "get_collection", security(),
    params(("handle" = String, Path, description = "The collection's handle"), PageQuery, IfNoneMatch),
    responses(
        (status = 200, description = "The collection", body = CollectionView),
        (status = 404, description = "No such collection", body = ErrorEnvelope),
        (status = 422, description = "Bad paging values", body = ErrorEnvelope),
    ))]
pub async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(handle): Path<String>,
    RawQuery(raw): RawQuery,
    Query(query): Query<PageQuery>,
) -> Result<Response> {
    let page = query.request()?;
    let key = format!("collections/{handle}?{}", raw.unwrap_or_default());
    from_pages(&state, &headers, Some(key), async {
        let (collection, products, total) = service::show(&state, &handle, page).await?;
        Ok(CollectionView {
            collection: collection.into(),
            products: Page::new(products, page, total),
        })
    })
    .await
}
