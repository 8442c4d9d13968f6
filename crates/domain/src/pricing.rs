//! The pricing engine: what a cart costs, line by line, with every
//! adjustment explained. Pure (no clock, no database): whoever asks, the cart
//! preview or checkout under its locks, gets the same answer for the same
//! input, so what a shopper sees is what is charged.
//!
//! Amounts are integer minor units of one currency. The rules, in order:
//!
//! 1. A line's subtotal is its unit price times its quantity.
//! 2. Promotions whose minimum subtotal the cart meets apply to the lines
//!    they cover. A percentage is taken off each covered line; a fixed
//!    amount is spread over the covered lines in proportion to their
//!    subtotals (largest remainder first, so the parts add up to it
//!    exactly); free shipping waives the shipping charge. Stackable
//!    promotions all apply together; of the others only one applies, and
//!    the engine picks whichever of the two (the best single non-stackable
//!    one, or every stackable one) takes more off. A line's discount never
//!    exceeds its subtotal.
//! 3. Shipping is the chosen method's price, or its weight band's; it is
//!    free when the discounted subtotal reaches the method's threshold
//!    (at the threshold exactly, it is free). Shipping is not taxed.
//! 4. Tax is computed per line on the discounted line amount at the line's
//!    rate (its tax class's, else the destination's), and the order's tax
//!    is the sum of the lines'. With tax-exclusive prices it is added; with
//!    tax-inclusive prices it is the part of the amount already in it.
//!
//! Rounding: every division rounds half to even ("banker's rounding"), once
//! per line, never on sums, so the lines always add up to the totals.

use std::collections::BTreeMap;

use uuid::Uuid;

use crate::money::Currency;

/// One cart line, as the engine needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// The variant bought.
    pub variant: Uuid,
    /// Its product.
    pub product: Uuid,
    /// Its product's category and that category's ancestors.
    pub categories: Vec<Uuid>,
    /// The collections its product is in.
    pub collections: Vec<Uuid>,
    /// Its tax class (from its category), if any.
    pub tax_class: Option<String>,
    /// Unit price.
    pub unit_price: i64,
    /// Units.
    pub quantity: i64,
    /// Shipping weight of one unit, if known.
    pub weight_grams: Option<i64>,
}

/// Which lines a promotion covers; `None` everywhere covers every line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    /// Lines whose product is in one of these categories.
    pub categories: Vec<Uuid>,
    /// Lines whose product is in one of these collections.
    pub collections: Vec<Uuid>,
    /// Lines of these products.
    pub products: Vec<Uuid>,
}

impl Scope {
    /// Whether it covers `line`.
    pub fn covers(&self, line: &Line) -> bool {
        let everything =
            self.categories.is_empty() && self.collections.is_empty() && self.products.is_empty();
        everything
            || self.products.contains(&line.product)
            || line.categories.iter().any(|c| self.categories.contains(c))
            || line.collections.iter().any(|c| self.collections.contains(c))
    }
}

/// What a promotion takes off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Benefit {
    /// This many basis points of each covered line (1000 = 10%).
    Percentage(u32),
    /// This amount, spread over the covered lines.
    Fixed(i64),
    /// The shipping charge.
    FreeShipping,
}

/// A promotion the cart may get: a code the shopper applied, or an
/// automatic one. Its dates and redemption limits are checked before it
/// gets here; the engine decides only what it takes off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Promotion {
    /// Id.
    pub id: Uuid,
    /// The code, for a code.
    pub code: Option<String>,
    /// What it takes off.
    pub benefit: Benefit,
    /// The cart subtotal it needs.
    pub min_subtotal: Option<i64>,
    /// The lines it covers.
    pub scope: Scope,
    /// Whether it applies together with other stackable promotions.
    pub stackable: bool,
}

/// A weight band of a shipping method: this price up to this weight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WeightBand {
    /// Heaviest cart (grams) at this price.
    pub up_to_grams: i64,
    /// Price.
    pub price: i64,
}

/// The shipping method chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShippingMethod {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Price (when it has no weight bands).
    pub price: i64,
    /// Free from this discounted subtotal.
    pub free_over: Option<i64>,
    /// Prices by cart weight, lightest band first; empty: the flat price.
    pub weight_bands: Vec<WeightBand>,
}

/// The tax rules of the destination.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaxRules {
    /// The destination's rate in basis points (none known: 0).
    pub rate_bps: u32,
    /// Other rates for tax classes (e.g. `reduced` for books).
    pub by_class: BTreeMap<String, u32>,
    /// Whether prices already include tax.
    pub inclusive: bool,
}

/// A stored tax rate: for a country, optionally one region of it, and
/// optionally one tax class.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct TaxRate {
    /// ISO 3166-1 alpha-2 code.
    pub country: String,
    /// A region of the country (its state or province, as addresses spell it).
    pub region: Option<String>,
    /// The tax class it applies to; `None`: every line without a rate of
    /// its own class.
    pub tax_class: Option<String>,
    /// Basis points.
    pub rate_bps: u32,
    /// Whether prices for this destination include the tax.
    pub inclusive: bool,
}

impl TaxRules {
    /// The rules for a destination from the shop's `rates`: for each class
    /// (and for no class), the region's rate if there is one, else the
    /// country's. A destination with no rate is taxed at 0 (see
    /// [`TaxRules::known`]). Regions match regardless of case.
    pub fn for_destination(rates: &[TaxRate], country: &str, region: Option<&str>) -> Self {
        let region_matches = |rate: &TaxRate| match (&rate.region, region) {
            (None, _) => Some(false),
            (Some(theirs), Some(ours)) if theirs.eq_ignore_ascii_case(ours.trim()) => Some(true),
            _ => None,
        };
        // (class, specific) -> rate; the region's beats the country's.
        let mut chosen: BTreeMap<Option<&str>, (bool, &TaxRate)> = BTreeMap::new();
        for rate in rates.iter().filter(|r| r.country.eq_ignore_ascii_case(country)) {
            let Some(specific) = region_matches(rate) else { continue };
            let class = rate.tax_class.as_deref();
            if chosen.get(&class).is_none_or(|(held, _)| specific && !held) {
                chosen.insert(class, (specific, rate));
            }
        }
        let base = chosen.get(&None).map(|(_, rate)| *rate);
        TaxRules {
            rate_bps: base.map_or(0, |rate| rate.rate_bps),
            by_class: chosen
                .iter()
                .filter_map(|(class, (_, rate))| Some(((*class)?.to_owned(), rate.rate_bps)))
                .collect(),
            inclusive: base.is_some_and(|rate| rate.inclusive),
        }
    }

    /// Whether any rate applies (an order to a destination without one
    /// notes it).
    pub fn known(&self) -> bool {
        self.rate_bps > 0 || !self.by_class.is_empty()
    }
}

/// Everything a price depends on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricingInput {
    /// The currency of every amount.
    pub currency: Currency,
    /// The lines.
    pub lines: Vec<Line>,
    /// The shipping method, once chosen.
    pub shipping: Option<ShippingMethod>,
    /// The destination's tax rules.
    pub tax: TaxRules,
    /// The promotions the cart may get.
    pub promotions: Vec<Promotion>,
}

/// One line, priced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricedLine {
    /// The variant.
    pub variant: Uuid,
    /// Unit price times quantity.
    pub subtotal: i64,
    /// Taken off by promotions.
    pub discount: i64,
    /// Tax on the discounted amount.
    pub tax: i64,
    /// The rate it was taxed at.
    pub tax_rate_bps: u32,
}

/// What an adjustment is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdjustmentKind {
    /// A promotion's discount.
    Discount,
    /// Shipping waived by a promotion.
    FreeShipping,
    /// Shipping waived by the method's threshold.
    ShippingThreshold,
}

/// One adjustment, explained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adjustment {
    /// What it is.
    pub kind: AdjustmentKind,
    /// The promotion behind it, if any.
    pub promotion: Option<Uuid>,
    /// Its code, for a code.
    pub code: Option<String>,
    /// What it took off (a positive amount).
    pub amount: i64,
}

/// What the cart costs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Priced {
    /// The currency of every amount.
    pub currency: Currency,
    /// The lines, in the input's order.
    pub lines: Vec<PricedLine>,
    /// Sum of line subtotals.
    pub subtotal: i64,
    /// Sum of line discounts.
    pub discount: i64,
    /// The shipping charge.
    pub shipping: i64,
    /// Sum of line taxes.
    pub tax: i64,
    /// What is charged: subtotal − discount + shipping, plus tax when
    /// prices exclude it.
    pub total: i64,
    /// Every adjustment, in the order applied.
    pub adjustments: Vec<Adjustment>,
}

/// Why a cart cannot be priced.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PricingError {
    /// An amount does not fit.
    #[error("an amount is too large")]
    Overflow,
    /// A quantity or price below zero.
    #[error("a line has a negative price or quantity")]
    Negative,
    /// The cart is heavier than the method's heaviest band.
    #[error("the shipping method does not take a cart this heavy")]
    TooHeavy,
}

/// `numerator / denominator`, rounded half to even; both non-negative.
pub fn div_half_even(numerator: i128, denominator: i128) -> i128 {
    let (quotient, remainder) = (numerator / denominator, numerator % denominator);
    match (2 * remainder).cmp(&denominator) {
        std::cmp::Ordering::Less => quotient,
        std::cmp::Ordering::Greater => quotient + 1,
        std::cmp::Ordering::Equal => quotient + (quotient % 2),
    }
}

fn fits(amount: i128) -> Result<i64, PricingError> {
    i64::try_from(amount).map_err(|_| PricingError::Overflow)
}

/// What a set of promotions gives a cart.
#[derive(Debug, Clone)]
struct Discounts {
    /// Taken off each line.
    per_line: Vec<i64>,
    /// The promotion that waives shipping, if one does.
    waived_by: Option<Uuid>,
    /// The adjustments explaining them.
    adjustments: Vec<Adjustment>,
}

impl Discounts {
    /// How it ranks against another choice: more off wins, and at equal
    /// amounts the one that also waives shipping.
    fn value(&self) -> (i64, bool) {
        (self.per_line.iter().sum(), self.waived_by.is_some())
    }
}

/// The discounts `promotions` give the lines (per line), and whether any
/// waives shipping, with the adjustments explaining them.
fn discounts(
    lines: &[Line],
    subtotals: &[i64],
    promotions: &[&Promotion],
) -> Result<Discounts, PricingError> {
    let mut taken = vec![0_i64; lines.len()];
    let mut waives = None;
    let mut adjustments = Vec::new();
    for promotion in promotions {
        let covered: Vec<usize> =
            (0..lines.len()).filter(|&i| promotion.scope.covers(&lines[i])).collect();
        let room = |i: usize, taken: &[i64]| subtotals[i] - taken[i];
        let mut off = vec![0_i64; lines.len()];
        match promotion.benefit {
            Benefit::Percentage(bps) => {
                for &i in &covered {
                    let share = div_half_even(i128::from(subtotals[i]) * i128::from(bps), 10_000);
                    off[i] = fits(share)?.min(room(i, &taken));
                }
            }
            Benefit::Fixed(amount) => {
                let base: i128 = covered.iter().map(|&i| i128::from(room(i, &taken))).sum();
                let amount = i128::from(amount.max(0)).min(base);
                if base > 0 {
                    // Largest remainder: floor shares, then one more unit to
                    // the lines with the largest remainders (ties: first).
                    let mut parts: Vec<(usize, i128, i128)> = covered
                        .iter()
                        .map(|&i| {
                            let exact = amount * i128::from(room(i, &taken));
                            (i, exact / base, exact % base)
                        })
                        .collect();
                    let mut left = amount - parts.iter().map(|p| p.1).sum::<i128>();
                    parts.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)));
                    for part in &mut parts {
                        if left > 0 {
                            part.1 += 1;
                            left -= 1;
                        }
                        off[part.0] = fits(part.1)?;
                    }
                }
            }
            Benefit::FreeShipping => {
                if waives.is_none() {
                    waives = Some(promotion.id);
                }
                continue;
            }
        }
        let total: i64 = off.iter().sum();
        for (taken, off) in taken.iter_mut().zip(&off) {
            *taken += off;
        }
        if total > 0 {
            adjustments.push(Adjustment {
                kind: AdjustmentKind::Discount,
                promotion: Some(promotion.id),
                code: promotion.code.clone(),
                amount: total,
            });
        }
    }
    Ok(Discounts { per_line: taken, waived_by: waives, adjustments })
}

/// A shipping zone: countries, optionally narrowed to some of their regions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Zone {
    /// Id.
    pub id: Uuid,
    /// ISO 3166-1 alpha-2 codes.
    pub countries: Vec<String>,
    /// Regions it is limited to; empty: the whole of each country.
    pub regions: Vec<String>,
}

/// The zone that serves a destination: one naming its region first, else
/// one covering the whole country; among equals, the first listed.
pub fn zone_for<'a>(zones: &'a [Zone], country: &str, region: Option<&str>) -> Option<&'a Zone> {
    let in_country = |zone: &&Zone| zone.countries.iter().any(|c| c.eq_ignore_ascii_case(country));
    let names_region = |zone: &&Zone| {
        region.is_some_and(|region| {
            zone.regions.iter().any(|r| r.eq_ignore_ascii_case(region.trim()))
        })
    };
    zones
        .iter()
        .filter(in_country)
        .find(names_region)
        .or_else(|| zones.iter().filter(in_country).find(|zone| zone.regions.is_empty()))
}

/// What `method` charges for `lines` whose discounted subtotal is
/// `merchandise` (its threshold applied); `Err(TooHeavy)` when it does not
/// take them.
pub fn shipping_charge(
    method: &ShippingMethod,
    lines: &[Line],
    merchandise: i64,
) -> Result<i64, PricingError> {
    let price = shipping_price(method, lines)?;
    let free = method.free_over.is_some_and(|threshold| merchandise >= threshold);
    Ok(if free { 0 } else { price })
}

fn shipping_price(method: &ShippingMethod, lines: &[Line]) -> Result<i64, PricingError> {
    if method.weight_bands.is_empty() {
        return Ok(method.price.max(0));
    }
    let weight: i128 = lines
        .iter()
        .map(|l| i128::from(l.weight_grams.unwrap_or(0).max(0)) * i128::from(l.quantity))
        .sum();
    method
        .weight_bands
        .iter()
        .find(|band| i128::from(band.up_to_grams) >= weight)
        .map(|band| band.price.max(0))
        .ok_or(PricingError::TooHeavy)
}

/// Prices `input` by the rules above.
pub fn price(input: &PricingInput) -> Result<Priced, PricingError> {
    if input.lines.iter().any(|l| l.unit_price < 0 || l.quantity < 0) {
        return Err(PricingError::Negative);
    }
    let subtotals = input
        .lines
        .iter()
        .map(|l| fits(i128::from(l.unit_price) * i128::from(l.quantity)))
        .collect::<Result<Vec<_>, _>>()?;
    let subtotal = fits(subtotals.iter().map(|s| i128::from(*s)).sum())?;

    // The promotions the cart qualifies for, in a stable order.
    let mut eligible: Vec<&Promotion> = input
        .promotions
        .iter()
        .filter(|p| p.min_subtotal.is_none_or(|min| subtotal >= min))
        .collect();
    eligible.sort_by(|a, b| a.code.cmp(&b.code).then(a.id.cmp(&b.id)));
    let stackable: Vec<&Promotion> = eligible.iter().copied().filter(|p| p.stackable).collect();
    let mut best = discounts(&input.lines, &subtotals, &stackable)?;
    for single in eligible.iter().copied().filter(|p| !p.stackable) {
        let candidate = discounts(&input.lines, &subtotals, &[single])?;
        if candidate.value() > best.value() {
            best = candidate;
        }
    }
    let Discounts { per_line: line_discounts, waived_by, mut adjustments } = best;
    let discount: i64 = line_discounts.iter().sum();
    let merchandise = subtotal - discount;

    let mut shipping = match &input.shipping {
        Some(method) => shipping_price(method, &input.lines)?,
        None => 0,
    };
    if shipping > 0 {
        if let Some(promotion) = waived_by.and_then(|id| eligible.iter().find(|p| p.id == id)) {
            adjustments.push(Adjustment {
                kind: AdjustmentKind::FreeShipping,
                promotion: Some(promotion.id),
                code: promotion.code.clone(),
                amount: shipping,
            });
            shipping = 0;
        } else if input
            .shipping
            .as_ref()
            .and_then(|method| method.free_over)
            .is_some_and(|threshold| merchandise >= threshold)
        {
            adjustments.push(Adjustment {
                kind: AdjustmentKind::ShippingThreshold,
                promotion: None,
                code: None,
                amount: shipping,
            });
            shipping = 0;
        }
    }

    let mut lines = Vec::with_capacity(input.lines.len());
    let mut tax: i128 = 0;
    for ((line, subtotal), discount) in input.lines.iter().zip(&subtotals).zip(&line_discounts) {
        let rate = line
            .tax_class
            .as_ref()
            .and_then(|class| input.tax.by_class.get(class))
            .copied()
            .unwrap_or(input.tax.rate_bps);
        let amount = i128::from(subtotal - discount);
        let rate_wide = i128::from(rate);
        let line_tax = if input.tax.inclusive {
            amount - div_half_even(amount * 10_000, 10_000 + rate_wide)
        } else {
            div_half_even(amount * rate_wide, 10_000)
        };
        tax += line_tax;
        lines.push(PricedLine {
            variant: line.variant,
            subtotal: *subtotal,
            discount: *discount,
            tax: fits(line_tax)?,
            tax_rate_bps: rate,
        });
    }
    let tax = fits(tax)?;
    let added_tax = if input.tax.inclusive { 0 } else { tax };
    let total = fits(i128::from(merchandise) + i128::from(shipping) + i128::from(added_tax))?;
    Ok(Priced {
        currency: input.currency,
        lines,
        subtotal,
        discount,
        shipping,
        tax,
        total,
        adjustments,
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    fn line(n: u128, price: i64, quantity: i64) -> Line {
        Line {
            variant: id(n),
            product: id(100 + n),
            categories: vec![id(200 + n % 3)],
            collections: vec![],
            tax_class: None,
            unit_price: price,
            quantity,
            weight_grams: Some(500),
        }
    }

    fn method(price: i64, free_over: Option<i64>) -> ShippingMethod {
        ShippingMethod {
            id: id(900),
            name: "Standard".into(),
            price,
            free_over,
            weight_bands: vec![],
        }
    }

    fn promotion(n: u128, benefit: Benefit, stackable: bool) -> Promotion {
        Promotion {
            id: id(300 + n),
            code: Some(format!("CODE{n}")),
            benefit,
            min_subtotal: None,
            scope: Scope::default(),
            stackable,
        }
    }

    fn input(lines: Vec<Line>) -> PricingInput {
        PricingInput {
            currency: Currency::USD,
            lines,
            shipping: Some(method(599, Some(5000))),
            tax: TaxRules { rate_bps: 825, ..TaxRules::default() },
            promotions: vec![],
        }
    }

    #[test]
    fn half_even_rounds_ties_to_the_even_neighbour() {
        assert_eq!(div_half_even(25, 10), 2);
        assert_eq!(div_half_even(35, 10), 4);
        assert_eq!(div_half_even(26, 10), 3);
        assert_eq!(div_half_even(24, 10), 2);
        assert_eq!(div_half_even(0, 7), 0);
    }

    #[test]
    fn a_worked_cart_adds_up_to_the_cent() {
        // 2 × 12.99 and 1 × 5.00, 10% off everything, 8.25% tax, shipping
        // under the 50.00 threshold.
        let mut cart = input(vec![line(1, 1299, 2), line(2, 500, 1)]);
        cart.promotions = vec![promotion(1, Benefit::Percentage(1000), false)];
        let priced = price(&cart).unwrap();
        assert_eq!(priced.subtotal, 3098);
        // 259.8 → 260 and 50 → 50.
        assert_eq!(priced.lines[0].discount, 260);
        assert_eq!(priced.lines[1].discount, 50);
        assert_eq!(priced.discount, 310);
        // (2598 − 260) × 8.25% = 192.885 → 193; 450 × 8.25% = 37.125 → 37.
        assert_eq!((priced.lines[0].tax, priced.lines[1].tax), (193, 37));
        assert_eq!(priced.tax, 230);
        assert_eq!(priced.shipping, 599);
        assert_eq!(priced.total, 3098 - 310 + 599 + 230);
        assert_eq!(priced.adjustments.len(), 1);
        assert_eq!(priced.adjustments[0].code.as_deref(), Some("CODE1"));
    }

    #[test]
    fn a_fixed_amount_is_spread_exactly_and_never_past_what_it_covers() {
        let mut cart = input(vec![line(1, 1000, 1), line(2, 1000, 1), line(3, 1000, 1)]);
        cart.promotions = vec![promotion(1, Benefit::Fixed(1000), false)];
        let priced = price(&cart).unwrap();
        let parts: Vec<i64> = priced.lines.iter().map(|l| l.discount).collect();
        assert_eq!(parts, [334, 333, 333]);
        cart.promotions = vec![promotion(1, Benefit::Fixed(1_000_000), false)];
        assert_eq!(price(&cart).unwrap().discount, 3000);
    }

    #[test]
    fn one_non_stackable_or_every_stackable_whichever_takes_more() {
        let mut cart = input(vec![line(1, 10_000, 1)]);
        cart.promotions = vec![
            promotion(1, Benefit::Percentage(1500), false),
            promotion(2, Benefit::Percentage(1000), true),
            promotion(3, Benefit::Fixed(1000), true),
        ];
        // Stackable: 1000 + 1000 = 2000 beats 15% = 1500.
        assert_eq!(price(&cart).unwrap().discount, 2000);
        cart.promotions[0].benefit = Benefit::Percentage(2500);
        assert_eq!(price(&cart).unwrap().discount, 2500);
    }

    #[test]
    fn scopes_minimums_classes_and_inclusive_prices() {
        let book_category = id(201);
        let mut book = line(1, 2000, 1);
        book.categories = vec![book_category];
        book.tax_class = Some("reduced".into());
        let mut cart = input(vec![book, line(3, 3000, 1)]);
        cart.tax.by_class.insert("reduced".into(), 500);
        let mut books_only = promotion(1, Benefit::Percentage(5000), false);
        books_only.scope.categories = vec![book_category];
        books_only.min_subtotal = Some(6000);
        cart.promotions = vec![books_only];
        let priced = price(&cart).unwrap();
        assert_eq!(priced.discount, 0, "5000 is under the 6000 minimum");
        assert_eq!(priced.lines[0].tax_rate_bps, 500);
        assert_eq!(priced.lines[1].tax_rate_bps, 825);

        cart.promotions[0].min_subtotal = Some(5000);
        let priced = price(&cart).unwrap();
        assert_eq!((priced.lines[0].discount, priced.lines[1].discount), (1000, 0));

        cart.tax.inclusive = true;
        let priced = price(&cart).unwrap();
        // 1000 including 5%: 1000 − 1000/1.05 = 47.6 → 48.
        assert_eq!(priced.lines[0].tax, 48);
        assert_eq!(priced.total, priced.subtotal - priced.discount + priced.shipping);
    }

    #[test]
    fn free_shipping_by_promotion_or_threshold_is_explained() {
        let mut cart = input(vec![line(1, 5000, 1)]);
        let priced = price(&cart).unwrap();
        assert_eq!(priced.shipping, 0);
        assert_eq!(priced.adjustments[0].kind, AdjustmentKind::ShippingThreshold);
        assert_eq!(priced.adjustments[0].amount, 599);

        cart.lines[0].unit_price = 1000;
        cart.promotions = vec![promotion(1, Benefit::FreeShipping, true)];
        let priced = price(&cart).unwrap();
        assert_eq!(priced.shipping, 0);
        assert_eq!(priced.adjustments[0].kind, AdjustmentKind::FreeShipping);
    }

    #[test]
    fn a_zone_naming_the_region_serves_it_before_a_country_wide_one() {
        let zone = |n, countries: &[&str], regions: &[&str]| Zone {
            id: id(n),
            countries: countries.iter().map(|c| (*c).to_owned()).collect(),
            regions: regions.iter().map(|r| (*r).to_owned()).collect(),
        };
        let zones = [
            zone(1, &["US", "CA"], &[]),
            zone(2, &["US"], &["AK", "HI"]),
            zone(3, &["DE", "FR"], &[]),
        ];
        assert_eq!(zone_for(&zones, "US", Some("hi")).map(|z| z.id), Some(id(2)));
        assert_eq!(zone_for(&zones, "us", Some("IL")).map(|z| z.id), Some(id(1)));
        assert_eq!(zone_for(&zones, "FR", None).map(|z| z.id), Some(id(3)));
        assert_eq!(zone_for(&zones, "JP", None), None);
        let alaska_only = [zone(2, &["US"], &["AK"])];
        assert_eq!(zone_for(&alaska_only, "US", Some("IL")), None);
    }

    #[test]
    fn a_region_s_rate_beats_its_country_s_for_each_class() {
        let rate = |country: &str, region: Option<&str>, class: Option<&str>, bps| TaxRate {
            country: country.into(),
            region: region.map(Into::into),
            tax_class: class.map(Into::into),
            rate_bps: bps,
            inclusive: false,
        };
        let rates = [
            rate("US", None, None, 500),
            rate("US", Some("CA"), None, 725),
            rate("US", None, Some("reduced"), 100),
            rate("US", Some("IL"), Some("reduced"), 0),
            rate("DE", None, None, 1900),
        ];
        let california = TaxRules::for_destination(&rates, "US", Some("ca"));
        assert_eq!(california.rate_bps, 725);
        assert_eq!(california.by_class.get("reduced"), Some(&100));
        let illinois = TaxRules::for_destination(&rates, "US", Some("IL"));
        assert_eq!((illinois.rate_bps, illinois.by_class.get("reduced")), (500, Some(&0)));
        assert_eq!(TaxRules::for_destination(&rates, "DE", None).rate_bps, 1900);
        let nowhere = TaxRules::for_destination(&rates, "FR", None);
        assert!(!nowhere.known());
        assert_eq!(nowhere.rate_bps, 0);
    }

    #[test]
    fn weight_bands_price_shipping_and_refuse_what_is_too_heavy() {
        let mut cart = input(vec![line(1, 1000, 3)]);
        let mut by_weight = method(0, None);
        by_weight.weight_bands = vec![
            WeightBand { up_to_grams: 1000, price: 400 },
            WeightBand { up_to_grams: 5000, price: 900 },
        ];
        cart.shipping = Some(by_weight);
        assert_eq!(price(&cart).unwrap().shipping, 900, "1.5 kg");
        cart.lines[0].quantity = 20;
        assert_eq!(price(&cart), Err(PricingError::TooHeavy));
    }

    fn arbitrary_cart() -> impl Strategy<Value = PricingInput> {
        let lines = prop::collection::vec((1_i64..200_000, 1_i64..20, 0_u128..6), 1..6);
        let promos = prop::collection::vec(
            (
                prop_oneof![
                    (0_u32..=10_000).prop_map(Benefit::Percentage),
                    (0_i64..500_000).prop_map(Benefit::Fixed),
                    Just(Benefit::FreeShipping),
                ],
                any::<bool>(),
                prop::option::of(0_i64..300_000),
                any::<bool>(),
            ),
            0..4,
        );
        (lines, promos, 0_u32..3000, any::<bool>(), prop::option::of(0_i64..300_000)).prop_map(
            |(lines, promos, rate, inclusive, free_over)| PricingInput {
                currency: Currency::USD,
                lines: lines
                    .into_iter()
                    .enumerate()
                    .map(|(i, (price, quantity, product))| {
                        let mut l = line(i as u128, price, quantity);
                        l.product = id(100 + product);
                        l
                    })
                    .collect(),
                shipping: Some(method(599, free_over)),
                tax: TaxRules { rate_bps: rate, by_class: BTreeMap::new(), inclusive },
                promotions: promos
                    .into_iter()
                    .enumerate()
                    .map(|(i, (benefit, stackable, min, scoped))| {
                        let mut p = promotion(i as u128, benefit, stackable);
                        p.min_subtotal = min;
                        if scoped {
                            p.scope.products = vec![id(101), id(103)];
                        }
                        p
                    })
                    .collect(),
            },
        )
    }

    proptest! {
        #[test]
        fn totals_add_up_and_nothing_goes_below_zero(cart in arbitrary_cart()) {
            let priced = price(&cart).unwrap();
            prop_assert!(priced.total >= 0 && priced.tax >= 0 && priced.shipping >= 0);
            prop_assert!(priced.discount <= priced.subtotal);
            for line in &priced.lines {
                prop_assert!(line.discount >= 0 && line.discount <= line.subtotal);
                prop_assert!(line.tax >= 0);
            }
            prop_assert_eq!(priced.lines.iter().map(|l| l.tax).sum::<i64>(), priced.tax);
            prop_assert_eq!(priced.lines.iter().map(|l| l.discount).sum::<i64>(), priced.discount);
            prop_assert_eq!(priced.lines.iter().map(|l| l.subtotal).sum::<i64>(), priced.subtotal);
            let added = if cart.tax.inclusive { 0 } else { priced.tax };
            prop_assert_eq!(priced.total, priced.subtotal - priced.discount + priced.shipping + added);
            let discounts: i64 = priced
                .adjustments
                .iter()
                .filter(|a| a.kind == AdjustmentKind::Discount)
                .map(|a| a.amount)
                .sum();
            prop_assert_eq!(discounts, priced.discount);
        }

        #[test]
        fn the_same_cart_always_costs_the_same(cart in arbitrary_cart()) {
            let again = cart.clone();
            prop_assert_eq!(price(&cart), price(&again));
            let mut reordered = cart.clone();
            reordered.promotions.reverse();
            prop_assert_eq!(price(&cart).unwrap().total, price(&reordered).unwrap().total);
        }

        #[test]
        fn shipping_is_free_exactly_from_the_threshold(
            unit in 1_i64..100_000, threshold in 1_i64..100_000
        ) {
            let mut cart = input(vec![line(1, unit, 1)]);
            cart.shipping = Some(method(599, Some(threshold)));
            let priced = price(&cart).unwrap();
            prop_assert_eq!(priced.shipping == 0, unit >= threshold);
        }
    }
}
