//! What searches answer over HTTP: the product list with its total and
//! facets, and completions for search as you type.

use axum::extract::State;
use gokart_domain::{SearchTerms, Violations};
use gokart_edge::http::ErrorEnvelope;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::engine::{FacetNames, Facets, Suggestion};
use crate::catalog::service;
use crate::error::Result;
use crate::extract::{Json, Query};
use crate::schemas;
use crate::state::AppState;

/// The facets named in `facets=category,brand,price,options` (any of them,
/// comma-separated).
pub fn facet_names(raw: Option<&str>) -> Result<FacetNames, Violations> {
    let mut names = FacetNames::default();
    for name in raw.unwrap_or_default().split(',').map(str::trim).filter(|n| !n.is_empty()) {
        match name {
            "category" => names.category = true,
            "brand" => names.brand = true,
            "price" => names.price = true,
            "options" => names.options = true,
            _ => {
                return Err(Violations::single(
                    "facets",
                    format!("{name:?} is not a facet; use category, brand, price or options"),
                ));
            }
        }
    }
    Ok(names)
}

/// Counts per facet value.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct FacetsView {
    /// Per category (a product's own): the id, its name and the count.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<Vec<CategoryCount>>,
    /// Per brand.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub brand: Option<Vec<ValueCount>>,
    /// Per price bucket, cheapest first (a product counts in each bucket
    /// one of its variants is priced in).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price: Option<Vec<PriceBucket>>,
    /// Per option value (`Color`: `Navy`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub options: Option<Vec<OptionCount>>,
}

/// A category and how many matches are in it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryCount {
    /// The category's id (what `category=` takes).
    pub value: Uuid,
    /// Its name.
    pub label: String,
    /// Matching products.
    pub count: u64,
}

/// A value and how many matches have it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ValueCount {
    /// The value.
    pub value: String,
    /// Matching products.
    pub count: u64,
}

/// A price range and how many matches have a variant in it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PriceBucket {
    /// Lowest price, minor units, inclusive (what `min_price=` takes).
    pub min: i64,
    /// Highest price, minor units, exclusive; none for the last bucket.
    pub max: Option<i64>,
    /// Matching products.
    pub count: u64,
}

/// An option value and how many matches offer it.
#[derive(Debug, Serialize, ToSchema)]
pub struct OptionCount {
    /// The option's name.
    pub option: String,
    /// The value.
    pub value: String,
    /// Matching products.
    pub count: u64,
}

impl FacetsView {
    /// `facets` for clients, categories named from `state`'s index.
    pub fn new(facets: Facets, state: &AppState) -> FacetsView {
        let index = state.search.ready();
        let amount = |minor: u64| i64::try_from(minor).unwrap_or(i64::MAX);
        FacetsView {
            category: facets.category.map(|values| {
                values
                    .into_iter()
                    .map(|(value, count)| CategoryCount {
                        value,
                        label: index
                            .as_ref()
                            .and_then(|index| index.category_name(value))
                            .unwrap_or_default(),
                        count,
                    })
                    .collect()
            }),
            brand: facets.brand.map(|values| {
                values.into_iter().map(|(value, count)| ValueCount { value, count }).collect()
            }),
            price: facets.price.map(|buckets| {
                buckets
                    .into_iter()
                    .map(|(min, max, count)| PriceBucket {
                        min: amount(min),
                        max: max.map(amount),
                        count,
                    })
                    .collect()
            }),
            options: facets.options.map(|values| {
                values
                    .into_iter()
                    .map(|(option, value, count)| OptionCount { option, value, count })
                    .collect()
            }),
        }
    }
}

/// What the shopper has typed so far.
#[derive(Debug, Deserialize, IntoParams)]
pub struct SuggestParams {
    /// The text typed; the last word may be unfinished. Empty: no
    /// suggestions.
    #[param(value_type = schemas::OptionalText<200>, required = false)]
    pub q: Option<String>,
}

/// Completions, at most eight.
#[derive(Debug, Serialize, ToSchema)]
pub struct Suggestions {
    /// Categories first, then product names.
    pub suggestions: Vec<SuggestionView>,
}

/// One completion.
#[derive(Debug, Serialize, ToSchema)]
pub struct SuggestionView {
    /// The name to show.
    pub text: String,
    /// What it names.
    pub kind: SuggestionKind,
    /// The product's or category's id.
    pub id: Uuid,
}

/// What a completion names.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SuggestionKind {
    /// A product (open it by id).
    Product,
    /// A category (list it with `category=`).
    Category,
}

impl From<Suggestion> for SuggestionView {
    fn from(suggestion: Suggestion) -> Self {
        let kind =
            if suggestion.category { SuggestionKind::Category } else { SuggestionKind::Product };
        SuggestionView { text: suggestion.text, kind, id: suggestion.id }
    }
}

/// Completions for search as you type.
#[utoipa::path(get, path = "/api/v1/products/suggest", tag = "catalog",
    operation_id = "suggest_products", security(), params(SuggestParams),
    responses(
        (status = 200, description = "Up to eight completions", body = Suggestions),
        (status = 422, description = "`q` is too long or holds control characters", body = ErrorEnvelope),
    ))]
pub async fn suggest(
    State(state): State<AppState>,
    Query(params): Query<SuggestParams>,
) -> Result<Json<Suggestions>> {
    let mut violations = Violations::new();
    let terms = params.q.as_deref().and_then(|q| violations.check("q", SearchTerms::parse(q)));
    if !violations.is_empty() {
        return Err(violations.into());
    }
    let suggestions = match terms.flatten() {
        Some(terms) => service::suggest(&state, &terms).await?,
        None => Vec::new(),
    };
    Ok(Json(Suggestions { suggestions: suggestions.into_iter().map(Into::into).collect() }))
}
