//! Quotes: what a cart costs, for the cart preview and for checkout alike.
//! This module gathers what the pricing engine
//! ([`gokart_domain::pricing`]) needs from the database (the lines'
//! categories and collections, the destination's zone and tax rates, the
//! promotions the cart may get) and explains its answer; the engine alone
//! computes the amounts, so what the shopper sees is what is charged.

use std::collections::HashMap;
use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use gokart_domain::catalog::optional_text;
use gokart_domain::pricing::{self as engine, AdjustmentKind, Line, PricingInput, TaxRules};
use gokart_domain::{Currency, Money, Violations};
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use sqlx::types::Json;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::cart::repository::LineRow;
use crate::discounts::{self, Customer, DiscountRow, Reason};
use crate::error::{Error, Result};
use crate::shipping::MethodRow;

/// Where a cart goes.
#[derive(Debug, Clone)]
pub struct Destination {
    /// ISO 3166-1 alpha-2 code.
    pub country: String,
    /// Its region (state or province), as addresses spell it.
    pub region: Option<String>,
}

impl Destination {
    /// The destination a query names (`country`, optional `region`), each
    /// bad value added to `v`; `None` without a country.
    pub fn from_query(
        country: Option<&str>,
        region: Option<&str>,
        v: &mut Violations,
    ) -> Option<Destination> {
        let country = country
            .filter(|raw| !raw.trim().is_empty())
            .and_then(|raw| v.check("country", gokart_domain::address::country(raw)));
        let region = region
            .and_then(|raw| v.check("region", optional_text(raw, 100)))
            .filter(|region| !region.is_empty());
        Some(Destination { country: country?, region })
    }
}

/// What a quote is asked for.
#[derive(Debug)]
pub struct Request<'a> {
    /// The cart's lines; those no longer on sale are left out.
    pub lines: &'a [LineRow],
    /// Where it goes, once known.
    pub destination: Option<&'a Destination>,
    /// The shipping method chosen; `None`: the first the destination's zone
    /// offers that takes the cart.
    pub shipping_method: Option<Uuid>,
    /// The cart, whose codes apply.
    pub cart: Option<Uuid>,
    /// Who buys.
    pub customer: &'a Customer,
    /// When.
    pub now: DateTime<Utc>,
}

/// One adjustment, explained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AdjustmentView {
    /// `discount`, `free_shipping` (by a discount), `free_shipping_threshold`
    /// (the method's), or `no_tax_rate` (the destination has none, so
    /// nothing was taxed).
    pub kind: String,
    /// The discount code behind it, if any.
    pub code: Option<String>,
    /// For people.
    pub description: String,
    /// What it took off (0 for a note).
    pub amount: Money,
}

/// A code on the cart, and whether it applies.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CodeStatus {
    /// The code.
    pub code: String,
    /// Whether it takes something off now.
    pub applied: bool,
    /// Why not, when it does not.
    pub reason: Option<Reason>,
}

/// The shipping method a quote charges.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ChosenMethod {
    /// The method's id (what checkout names).
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Fewest days to deliver.
    pub estimated_days_min: i32,
    /// Most days to deliver.
    pub estimated_days_max: i32,
}

/// A cart, priced.
#[derive(Debug, Clone)]
pub struct Quote {
    /// The engine's answer.
    pub priced: engine::Priced,
    /// Each priced line's index in the request's lines.
    pub line_of: Vec<usize>,
    /// The method charged; `None` without a destination or when none serves it.
    pub method: Option<ChosenMethod>,
    /// With a destination: whether any method serves it.
    pub ships: Option<bool>,
    /// Whether the destination's prices include its tax.
    pub prices_include_tax: bool,
    /// The codes on the cart, each with whether it applies.
    pub codes: Vec<CodeStatus>,
    /// Every discount that took something off (codes and automatic ones).
    pub used: Vec<DiscountRow>,
    /// The adjustments, explained.
    pub adjustments: Vec<AdjustmentView>,
}

impl Quote {
    /// The priced line for `lines[index]`, if it was priced.
    pub fn line(&self, index: usize) -> Option<&engine::PricedLine> {
        self.line_of.iter().position(|&i| i == index).map(|p| &self.priced.lines[p])
    }

    /// Money in the quote's currency.
    pub fn money(&self, amount: i64) -> Money {
        Money::new(amount, self.priced.currency)
    }
}

/// What the engine needs to know of a product.
struct ProductFacts {
    categories: Vec<Uuid>,
    tax_class: Option<String>,
    collections: Vec<Uuid>,
}

/// The category (with its ancestors, nearest first), tax class (the
/// nearest category's that has one) and collections of each product.
async fn product_facts(
    db: &mut PgConnection,
    products: &[Uuid],
) -> Result<HashMap<Uuid, ProductFacts>> {
    let rows = sqlx::query!(
        r#"SELECT p.id AS "id!", COALESCE(t.ids, '{}') AS "categories!", t.tax_class,
                  ARRAY(SELECT collection_id FROM collection_products cp
                        WHERE cp.product_id = p.id) AS "collections!"
           FROM products p
           LEFT JOIN LATERAL (
               WITH RECURSIVE up (id, parent_id, tax_class, depth) AS (
                   SELECT c.id, c.parent_id, c.tax_class, 0 FROM categories c
                   WHERE c.id = p.category_id
                   UNION ALL
                   SELECT c.id, c.parent_id, c.tax_class, up.depth + 1
                   FROM categories c JOIN up ON c.id = up.parent_id WHERE up.depth < 64
               )
               SELECT array_agg(up.id ORDER BY depth) AS ids,
                      (array_agg(up.tax_class ORDER BY depth)
                           FILTER (WHERE up.tax_class IS NOT NULL))[1] AS tax_class
               FROM up
           ) t ON true
           WHERE p.id = ANY($1)"#,
        products
    )
    .fetch_all(&mut *db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let facts = ProductFacts {
                categories: row.categories,
                tax_class: row.tax_class,
                collections: row.collections,
            };
            (row.id, facts)
        })
        .collect())
}

/// A zone as pricing needs it.
#[derive(Debug, Deserialize)]
struct ZoneConfig {
    id: Uuid,
    countries: Vec<String>,
    regions: Vec<String>,
    methods: Vec<MethodRow>,
}

/// What a cart's price follows, besides its lines.
struct Rules {
    /// The automatic promotions running and not used up.
    automatic: Vec<DiscountRow>,
    /// The codes on the cart, in the order applied.
    codes: Vec<DiscountRow>,
    /// The shipping zones naming the destination's country (each with its
    /// methods in order): the only ones the engine can choose from.
    zones: Vec<ZoneConfig>,
    /// The tax rates for that country.
    rates: Vec<engine::TaxRate>,
}

/// The automatic promotions running at `$2` and not used up, and the codes
/// on cart `$1`, each with `on_cart`, in the order applied.
const DISCOUNTS: &str = "COALESCE((SELECT jsonb_agg(to_jsonb(d) || jsonb_build_object(
                                   'on_cart', c.added_at IS NOT NULL)
                                 ORDER BY c.added_at, d.id)
           FROM discounts d
           LEFT JOIN cart_discount_codes c ON c.discount_id = d.id AND c.cart_id = $1
           WHERE c.added_at IS NOT NULL
              OR (d.automatic AND (d.starts_at IS NULL OR d.starts_at <= $2)
                  AND (d.ends_at IS NULL OR d.ends_at > $2)
                  AND (d.usage_limit IS NULL OR d.times_used < d.usage_limit))), '[]')";

/// The shipping zones naming country `$3`, each with its methods in order.
const ZONES: &str = "COALESCE((SELECT json_agg(json_build_object(
              'id', z.id, 'countries', z.countries, 'regions', z.regions,
              'methods', COALESCE((SELECT json_agg(m ORDER BY m.position)
                                   FROM shipping_methods m WHERE m.zone_id = z.id), '[]'))
              ORDER BY z.created_at, z.id)
           FROM shipping_zones z
           WHERE EXISTS (SELECT 1 FROM unnest(z.countries) c WHERE upper(c) = upper($3))), '[]')";

/// The tax rates for country `$3`.
const RATES: &str = "COALESCE((SELECT json_agg(json_build_object(
              'country', r.country, 'region', r.region, 'tax_class', r.tax_class,
              'rate_bps', r.rate_bps, 'inclusive', r.inclusive))
           FROM tax_rates r WHERE upper(r.country) = upper($3)), '[]')";

/// The [`Rules`] for cart `cart` at `now`, for a destination in `country`
/// (none: no zones or rates), in one round trip. Two statements, one with a
/// destination and one without, so that each keeps one cached plan rather
/// than being planned again on every call.
async fn rules(
    db: &mut PgConnection,
    cart: Option<Uuid>,
    now: DateTime<Utc>,
    country: Option<&str>,
) -> Result<Rules> {
    #[derive(Debug, Deserialize)]
    struct Offered {
        #[serde(flatten)]
        row: DiscountRow,
        on_cart: bool,
    }
    type Found = (Json<Vec<Offered>>, Json<Vec<ZoneConfig>>, Json<Vec<engine::TaxRate>>);
    static WITH_DESTINATION: LazyLock<String> =
        LazyLock::new(|| format!("SELECT {DISCOUNTS}, {ZONES}, {RATES}"));
    static WITHOUT: LazyLock<String> =
        LazyLock::new(|| format!("SELECT {DISCOUNTS}, '[]'::json, '[]'::json"));
    let found: Found = match country {
        Some(country) => {
            sqlx::query_as(&WITH_DESTINATION).bind(cart).bind(now).bind(country).fetch_one(db)
        }
        None => sqlx::query_as(&WITHOUT).bind(cart).bind(now).fetch_one(db),
    }
    .await?;
    let (Json(discounts), Json(zones), Json(rates)) = found;
    let (codes, automatic): (Vec<Offered>, Vec<Offered>) =
        discounts.into_iter().partition(|offered| offered.on_cart);
    let rows = |offered: Vec<Offered>| offered.into_iter().map(|o| o.row).collect();
    Ok(Rules { automatic: rows(automatic), codes: rows(codes), zones, rates })
}

/// The methods of the zone serving `destination`, in order (none when no
/// zone serves it).
fn zone_methods(zones: Vec<ZoneConfig>, destination: &Destination) -> Vec<MethodRow> {
    let places: Vec<engine::Zone> = zones
        .iter()
        .map(|zone| engine::Zone {
            id: zone.id,
            countries: zone.countries.clone(),
            regions: zone.regions.clone(),
        })
        .collect();
    let serving = engine::zone_for(&places, &destination.country, destination.region.as_deref())
        .map(|zone| zone.id);
    zones
        .into_iter()
        .find(|zone| Some(zone.id) == serving)
        .map(|zone| zone.methods)
        .unwrap_or_default()
}

fn too_heavy() -> Error {
    Error::invalid("shipping_method", "this method does not take a cart this heavy; choose another")
}

/// Of `methods`, the one to charge: the one asked for (a 422 naming
/// `shipping_method` if it is not among them or does not take this cart),
/// else the first that takes the cart; `None` when none does.
fn choose_method<'m>(
    methods: &'m [MethodRow],
    wanted: Option<Uuid>,
    lines: &[Line],
) -> Result<Option<&'m MethodRow>> {
    let takes = |row: &MethodRow| engine::shipping_charge(&row.into(), lines, 0).is_ok();
    match wanted {
        Some(id) => match methods.iter().find(|row| row.id == id) {
            Some(row) if takes(row) => Ok(Some(row)),
            Some(_) => Err(too_heavy()),
            None => Err(Error::invalid(
                "shipping_method",
                "not a shipping method for this destination; see /api/v1/cart/shipping-options",
            )),
        },
        None => Ok(methods.iter().find(|row| takes(row))),
    }
}

fn describe(kind: AdjustmentKind, discount: Option<&DiscountRow>) -> String {
    let named = |fallback: &str| match discount {
        Some(d) if !d.rule.description.is_empty() => d.rule.description.clone(),
        Some(d) => match &d.rule.code {
            Some(code) => format!("{fallback} ({code})"),
            None => fallback.to_owned(),
        },
        None => fallback.to_owned(),
    };
    match kind {
        AdjustmentKind::Discount => named("Discount"),
        AdjustmentKind::FreeShipping => named("Free shipping"),
        AdjustmentKind::ShippingThreshold => "Free shipping over the threshold".to_owned(),
    }
}

fn kind_name(kind: AdjustmentKind) -> &'static str {
    match kind {
        AdjustmentKind::Discount => "discount",
        AdjustmentKind::FreeShipping => "free_shipping",
        AdjustmentKind::ShippingThreshold => "free_shipping_threshold",
    }
}

/// Everything a cart's price depends on, read from the database.
struct Gathered {
    /// The engine's lines (those on sale).
    lines: Vec<Line>,
    /// Each engine line's index in the request's lines.
    line_of: Vec<usize>,
    currency: Currency,
    /// With a destination: its zone's methods (none: nothing ships there).
    methods: Option<Vec<MethodRow>>,
    /// With a destination: its tax rules.
    tax: Option<TaxRules>,
    /// The discounts the cart may get.
    offered: Vec<DiscountRow>,
    /// The codes on the cart.
    codes: Vec<DiscountRow>,
    /// The codes on the cart that may not be used, and why.
    refused: HashMap<Uuid, Reason>,
}

impl Gathered {
    fn input(&self, method: Option<&MethodRow>) -> PricingInput {
        PricingInput {
            currency: self.currency,
            lines: self.lines.clone(),
            shipping: method.map(engine::ShippingMethod::from),
            tax: self.tax.clone().unwrap_or_default(),
            promotions: self.offered.iter().map(DiscountRow::promotion).collect(),
        }
    }
}

async fn gather(db: &mut PgConnection, request: &Request<'_>) -> Result<Gathered> {
    let line_of: Vec<usize> =
        (0..request.lines.len()).filter(|&i| request.lines[i].on_sale).collect();
    let currency = request
        .lines
        .first()
        .and_then(|line| Currency::parse(&line.currency).ok())
        .unwrap_or(Currency::USD);
    let country = request.destination.map(|destination| destination.country.as_str());
    let Rules { automatic, codes, zones, rates } =
        rules(&mut *db, request.cart, request.now, country).await?;

    let (methods, tax) = match request.destination {
        Some(destination) => {
            let tax = TaxRules::for_destination(
                &rates,
                &destination.country,
                destination.region.as_deref(),
            );
            (Some(zone_methods(zones, destination)), Some(tax))
        }
        None => (None, None),
    };

    // A line's categories, collections and tax class matter only to a
    // discount limited to some of them, or to a rate for a tax class.
    let scoped = automatic.iter().chain(&codes).any(|d| {
        let rule = &d.rule;
        !(rule.category_ids.is_empty() && rule.collection_ids.is_empty())
    });
    let classed = tax.as_ref().is_some_and(|tax| !tax.by_class.is_empty());
    let facts = if scoped || classed {
        let mut products: Vec<Uuid> =
            line_of.iter().map(|&i| request.lines[i].product_id).collect();
        products.sort_unstable();
        products.dedup();
        product_facts(db, &products).await?
    } else {
        HashMap::new()
    };
    let lines: Vec<Line> = line_of
        .iter()
        .map(|&i| {
            let row = &request.lines[i];
            let facts = facts.get(&row.product_id);
            Line {
                variant: row.variant_id,
                product: row.product_id,
                categories: facts.map(|f| f.categories.clone()).unwrap_or_default(),
                collections: facts.map(|f| f.collections.clone()).unwrap_or_default(),
                tax_class: facts.and_then(|f| f.tax_class.clone()),
                unit_price: row.price_amount,
                quantity: i64::from(row.quantity),
                weight_grams: row.weight_grams.map(i64::from),
            }
        })
        .collect();
    let subtotal: i64 = lines.iter().map(|l| l.unit_price.saturating_mul(l.quantity)).sum();

    // Running automatic promotions, and the codes that pass their checks.
    let limited: Vec<Uuid> =
        automatic.iter().chain(&codes).filter(|d| d.limited()).map(|d| d.id).collect();
    let mine = discounts::uses_by(&mut *db, &limited, request.customer).await?;
    let uses = |d: &DiscountRow| mine.get(&d.id).copied().unwrap_or(0);
    let mut refused = HashMap::new();
    let mut offered: Vec<DiscountRow> = automatic
        .into_iter()
        .filter(|discount| discount.refusal(request.now, uses(discount)).is_none())
        .collect();
    for code in &codes {
        let scope = code.promotion().scope;
        let reason = code.refusal(request.now, uses(code)).or_else(|| {
            if code.rule.min_subtotal.is_some_and(|min| subtotal < min) {
                Some(Reason::MinimumNotMet)
            } else if !lines.iter().any(|line| scope.covers(line)) {
                Some(Reason::NotApplicable)
            } else {
                None
            }
        });
        match reason {
            Some(reason) => {
                refused.insert(code.id, reason);
            }
            None => offered.push(code.clone()),
        }
    }
    Ok(Gathered { lines, line_of, currency, methods, tax, offered, codes, refused })
}

fn run(input: &PricingInput) -> Result<engine::Priced> {
    engine::price(input).map_err(|err| match err {
        engine::PricingError::TooHeavy => too_heavy(),
        other => Error::Internal(anyhow::anyhow!("pricing: {other}")),
    })
}

/// Prices a cart.
pub async fn quote(db: &mut PgConnection, request: Request<'_>) -> Result<Quote> {
    let gathered = gather(db, &request).await?;
    let method = match &gathered.methods {
        Some(methods) => choose_method(methods, request.shipping_method, &gathered.lines)?,
        None => None,
    };
    let priced = run(&gathered.input(method))?;

    let by_id: HashMap<Uuid, &DiscountRow> = gathered.offered.iter().map(|d| (d.id, d)).collect();
    let currency = gathered.currency;
    let mut adjustments: Vec<AdjustmentView> = priced
        .adjustments
        .iter()
        .map(|adjustment| {
            let discount = adjustment.promotion.and_then(|id| by_id.get(&id).copied());
            AdjustmentView {
                kind: kind_name(adjustment.kind).to_owned(),
                code: adjustment.code.clone(),
                description: describe(adjustment.kind, discount),
                amount: Money::new(adjustment.amount, currency),
            }
        })
        .collect();
    if let (Some(destination), Some(tax)) = (request.destination, &gathered.tax)
        && !tax.known()
    {
        adjustments.push(AdjustmentView {
            kind: "no_tax_rate".to_owned(),
            code: None,
            description: format!(
                "No tax rate is set for {}; nothing was taxed",
                destination.country
            ),
            amount: Money::new(0, currency),
        });
    }
    let mut used: Vec<DiscountRow> = Vec::new();
    for adjustment in &priced.adjustments {
        if let Some(discount) = adjustment.promotion.and_then(|id| by_id.get(&id))
            && !used.iter().any(|d| d.id == discount.id)
        {
            used.push((*discount).clone());
        }
    }
    let codes = gathered
        .codes
        .iter()
        .map(|code| {
            let applied = used.iter().any(|d| d.id == code.id);
            let refused = gathered.refused.get(&code.id).copied();
            let reason = refused.or((!applied).then_some(Reason::NotCombinable));
            CodeStatus { code: code.rule.code.clone().unwrap_or_default(), applied, reason }
        })
        .collect();
    let chosen = method.map(|row| ChosenMethod {
        id: row.id,
        name: row.name.clone(),
        estimated_days_min: row.estimated_days_min,
        estimated_days_max: row.estimated_days_max,
    });
    Ok(Quote {
        prices_include_tax: gathered.tax.as_ref().is_some_and(|tax| tax.inclusive),
        ships: gathered.methods.as_ref().map(|_| chosen.is_some()),
        method: chosen,
        priced,
        line_of: gathered.line_of,
        codes,
        used,
        adjustments,
    })
}

/// Each method that serves the request's destination and takes its cart,
/// with what it charges for the cart (after its discounts and threshold),
/// in the zone's order. Without a destination, none.
pub async fn shipping_options(
    db: &mut PgConnection,
    request: Request<'_>,
) -> Result<(Vec<(MethodRow, i64)>, Currency)> {
    let gathered = gather(db, &request).await?;
    let mut options = Vec::new();
    for method in gathered.methods.iter().flatten() {
        match engine::price(&gathered.input(Some(method))) {
            Ok(priced) => options.push((method.clone(), priced.shipping)),
            Err(engine::PricingError::TooHeavy) => {}
            Err(other) => return Err(Error::Internal(anyhow::anyhow!("pricing: {other}"))),
        }
    }
    Ok((options, gathered.currency))
}
