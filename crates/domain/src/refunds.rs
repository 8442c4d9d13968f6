//! What a refund of some units of a bought line is worth. Each line is
//! given back at what it cost the customer (its price less its discount,
//! with its tax), shared over its units so that giving back every unit, in
//! any number of refunds of any sizes, gives back exactly what was charged
//! for the line, to the cent: the first `k` units always carry
//! `round(whole × k / quantity)`, so each refund takes the difference
//! between where the line's refunded units were and where they are now.

use crate::pricing::div_half_even;

/// A bought line, as a refund sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefundableLine {
    /// Units bought.
    pub quantity: i64,
    /// Units refunded already.
    pub refunded_units: i64,
    /// What the line cost: price × units, less its discount, plus its tax
    /// when prices excluded it.
    pub charged: i64,
    /// The tax in `charged`.
    pub tax: i64,
    /// The discount taken off the line.
    pub discount: i64,
}

/// The part of a line that a refund of some of its units gives back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LineShare {
    /// The money given back for the units.
    pub amount: i64,
    /// The tax in `amount`.
    pub tax: i64,
    /// The discount the units had (already left out of `amount`).
    pub discount: i64,
}

/// Why a line cannot be refunded as asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RefundError {
    /// Fewer units are left to refund than asked.
    #[error("only {remaining} of its {quantity} units can still be refunded")]
    TooMany {
        /// Units still refundable.
        remaining: i64,
        /// Units bought.
        quantity: i64,
    },
    /// Not a positive number of units.
    #[error("must be at least 1")]
    NotPositive,
}

/// What a line of `line_total` (price × units) with `discount` and `tax`
/// cost the customer.
pub fn charged(line_total: i64, discount: i64, tax: i64, prices_include_tax: bool) -> i64 {
    let added_tax = if prices_include_tax { 0 } else { tax };
    line_total - discount + added_tax
}

/// The part of `whole`, shared over `quantity` units, that units
/// `from + 1 ..= from + units` carry.
pub fn share(whole: i64, quantity: i64, from: i64, units: i64) -> i64 {
    if quantity <= 0 {
        return 0;
    }
    let upto = |k: i64| {
        let k = k.clamp(0, quantity);
        div_half_even(i128::from(whole) * i128::from(k), i128::from(quantity))
    };
    // Within `0..=whole`, so it fits.
    i64::try_from(upto(from + units) - upto(from)).unwrap_or(0)
}

impl RefundableLine {
    /// Units that can still be refunded.
    pub fn remaining(&self) -> i64 {
        (self.quantity - self.refunded_units).max(0)
    }

    /// What refunding `units` more units gives back.
    pub fn refund(&self, units: i64) -> Result<LineShare, RefundError> {
        if units <= 0 {
            return Err(RefundError::NotPositive);
        }
        if units > self.remaining() {
            return Err(RefundError::TooMany {
                remaining: self.remaining(),
                quantity: self.quantity,
            });
        }
        let part = |whole| share(whole, self.quantity, self.refunded_units, units);
        Ok(LineShare {
            amount: part(self.charged),
            tax: part(self.tax),
            discount: part(self.discount),
        })
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn line(quantity: i64, charged: i64) -> RefundableLine {
        RefundableLine { quantity, refunded_units: 0, charged, tax: 0, discount: 0 }
    }

    /// Three units that cost 10.00 together: 3.33 + 3.34 + 3.33, and any
    /// split of them adds up to 10.00.
    #[test]
    fn units_share_a_line_to_the_cent() {
        let mut l = line(3, 1000);
        let mut given = Vec::new();
        for _ in 0..3 {
            given.push(l.refund(1).unwrap().amount);
            l.refunded_units += 1;
        }
        assert_eq!(given, [333, 334, 333]);
        assert_eq!(line(3, 1000).refund(2).unwrap().amount, 667);
        assert_eq!(line(3, 1000).refund(3).unwrap().amount, 1000);
    }

    #[test]
    fn tax_and_discount_are_shared_the_same_way() {
        // 2 × 12.50 less 3.00 off, plus 8% tax on 22.00 = 1.76.
        let l = RefundableLine {
            quantity: 2,
            refunded_units: 0,
            charged: charged(2500, 300, 176, false),
            tax: 176,
            discount: 300,
        };
        assert_eq!(l.charged, 2376);
        assert_eq!(l.refund(1).unwrap(), LineShare { amount: 1188, tax: 88, discount: 150 });
        // With the tax inside the prices, nothing is added on top.
        assert_eq!(charged(2500, 300, 163, true), 2200);
    }

    #[test]
    fn no_more_units_than_are_left_and_at_least_one() {
        let l = RefundableLine { refunded_units: 2, ..line(3, 900) };
        assert_eq!(l.refund(2), Err(RefundError::TooMany { remaining: 1, quantity: 3 }));
        assert_eq!(l.refund(0), Err(RefundError::NotPositive));
        assert_eq!(l.refund(1).unwrap().amount, 300);
    }

    proptest! {
        #[test]
        fn refunding_every_unit_in_any_steps_gives_back_the_whole(
            quantity in 1i64..50,
            whole in 0i64..10_000_000,
            steps in proptest::collection::vec(1i64..10, 1..60),
        ) {
            let mut l = line(quantity, whole);
            let mut given = 0;
            for step in steps {
                let units = step.min(l.remaining());
                if units == 0 { break; }
                given += l.refund(units).unwrap().amount;
                l.refunded_units += units;
            }
            if l.remaining() > 0 {
                given += l.refund(l.remaining()).unwrap().amount;
            }
            prop_assert_eq!(given, whole);
        }
    }
}
