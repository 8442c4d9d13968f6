//! Money as integer minor units plus an ISO 4217 currency code.
//!
//! There are no floats anywhere near money: amounts are `i64` minor units
//! (cents), arithmetic is checked, and percentages are basis points with an
//! explicit rounding rule.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A three-letter ISO 4217 currency code, stored lower-case (`usd`), as
/// payment providers such as Stripe expect it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String, example = "usd"))]
pub struct Currency([u8; 3]);

impl Currency {
    /// United States dollar, the default shop currency.
    pub const USD: Currency = Currency(*b"usd");

    /// Parses a three-letter code in either case (`USD`, `usd`).
    pub fn parse(code: &str) -> Result<Self, MoneyError> {
        let bytes = code.as_bytes();
        if bytes.len() != 3 || !bytes.iter().all(u8::is_ascii_alphabetic) {
            return Err(MoneyError::InvalidCurrency);
        }
        let mut out = [0u8; 3];
        for (dst, src) in out.iter_mut().zip(bytes) {
            *dst = src.to_ascii_lowercase();
        }
        Ok(Currency(out))
    }

    /// The lower-case code, e.g. `"usd"`.
    pub fn as_str(&self) -> &str {
        // Only ASCII letters are ever stored, so this cannot fail.
        std::str::from_utf8(&self.0).unwrap_or("???")
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Currency::parse(&code).map_err(serde::de::Error::custom)
    }
}

/// Why a money operation was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// The currency code is not three ASCII letters.
    #[error("currency must be a three-letter ISO 4217 code")]
    InvalidCurrency,
    /// Two amounts in different currencies were combined.
    #[error("cannot combine amounts in different currencies")]
    CurrencyMismatch,
    /// The result does not fit in 64-bit minor units.
    #[error("amount out of range")]
    Overflow,
    /// A negative amount where only zero or more makes sense.
    #[error("amount must not be negative")]
    Negative,
}

/// An amount of money: integer minor units in one currency.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Money {
    /// Minor units (cents for `usd`).
    pub amount: i64,
    /// ISO 4217 code, lower-case.
    pub currency: Currency,
}

impl Money {
    /// An amount in minor units.
    pub const fn new(amount: i64, currency: Currency) -> Self {
        Money { amount, currency }
    }

    /// Zero in `currency`.
    pub const fn zero(currency: Currency) -> Self {
        Money::new(0, currency)
    }

    /// A non-negative amount, as prices and totals must be.
    pub fn non_negative(amount: i64, currency: Currency) -> Result<Self, MoneyError> {
        if amount < 0 {
            return Err(MoneyError::Negative);
        }
        Ok(Money::new(amount, currency))
    }

    /// `self + other`, refusing mixed currencies and overflow.
    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let amount = self.amount.checked_add(other.amount).ok_or(MoneyError::Overflow)?;
        Ok(Money::new(amount, self.currency))
    }

    /// `self - other`, refusing mixed currencies and overflow.
    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let amount = self.amount.checked_sub(other.amount).ok_or(MoneyError::Overflow)?;
        Ok(Money::new(amount, self.currency))
    }

    /// `self × quantity`, e.g. a line total.
    pub fn checked_mul(self, quantity: i64) -> Result<Money, MoneyError> {
        let amount = self.amount.checked_mul(quantity).ok_or(MoneyError::Overflow)?;
        Ok(Money::new(amount, self.currency))
    }

    /// A share of this amount given in basis points (1/100 of a percent),
    /// rounded half away from zero to the nearest minor unit: 8.25% of
    /// 1999 cents is `percent_bps(825)` = 165 cents (164.9175 rounded).
    pub fn percent_bps(self, basis_points: u32) -> Result<Money, MoneyError> {
        let scaled = i128::from(self.amount) * i128::from(basis_points);
        let rounded =
            if scaled >= 0 { (scaled + 5_000) / 10_000 } else { (scaled - 5_000) / 10_000 };
        let amount = i64::try_from(rounded).map_err(|_| MoneyError::Overflow)?;
        Ok(Money::new(amount, self.currency))
    }

    fn same_currency(self, other: Money) -> Result<(), MoneyError> {
        if self.currency == other.currency { Ok(()) } else { Err(MoneyError::CurrencyMismatch) }
    }
}

/// For people: `19.99 USD` (two decimals, as every supported currency has).
impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.amount < 0 { "-" } else { "" };
        let cents = self.amount.unsigned_abs();
        write!(
            f,
            "{sign}{}.{:02} {}",
            cents / 100,
            cents % 100,
            self.currency.as_str().to_uppercase()
        )
    }
}

impl fmt::Debug for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd(amount: i64) -> Money {
        Money::new(amount, Currency::USD)
    }

    #[test]
    fn amounts_display_in_major_units() {
        assert_eq!(usd(1999).to_string(), "19.99 USD");
        assert_eq!(usd(5).to_string(), "0.05 USD");
        assert_eq!(usd(-250).to_string(), "-2.50 USD");
    }

    #[test]
    fn currency_codes_are_normalised_to_lower_case() {
        assert_eq!(Currency::parse("EUR").unwrap().as_str(), "eur");
        assert_eq!(Currency::parse("usd").unwrap(), Currency::USD);
    }

    #[test]
    fn malformed_currency_codes_are_rejected() {
        for bad in ["", "us", "usdd", "u$d", "12a", "ü12"] {
            assert_eq!(Currency::parse(bad), Err(MoneyError::InvalidCurrency), "{bad}");
        }
    }

    #[test]
    fn money_serialises_as_amount_and_currency() {
        let json = serde_json::to_value(usd(1999)).unwrap();
        assert_eq!(json, serde_json::json!({"amount": 1999, "currency": "usd"}));
        let back: Money = serde_json::from_value(json).unwrap();
        assert_eq!(back, usd(1999));
    }

    #[test]
    fn adding_different_currencies_is_refused() {
        let eur = Money::new(100, Currency::parse("eur").unwrap());
        assert_eq!(usd(100).checked_add(eur), Err(MoneyError::CurrencyMismatch));
    }

    #[test]
    fn overflow_is_an_error_not_a_wrap() {
        assert_eq!(usd(i64::MAX).checked_add(usd(1)), Err(MoneyError::Overflow));
        assert_eq!(usd(i64::MAX).checked_mul(2), Err(MoneyError::Overflow));
        assert_eq!(usd(i64::MIN).checked_sub(usd(1)), Err(MoneyError::Overflow));
    }

    #[test]
    fn basis_points_round_half_away_from_zero() {
        assert_eq!(usd(1999).percent_bps(825).unwrap(), usd(165));
        assert_eq!(usd(50).percent_bps(1_000).unwrap(), usd(5));
        // 2.5 cents rounds up to 3, -2.5 rounds down to -3.
        assert_eq!(usd(25).percent_bps(1_000).unwrap(), usd(3));
        assert_eq!(usd(-25).percent_bps(1_000).unwrap(), usd(-3));
        assert_eq!(usd(i64::MAX).percent_bps(10_000).unwrap(), usd(i64::MAX));
        assert_eq!(usd(i64::MAX).percent_bps(20_000), Err(MoneyError::Overflow));
    }

    #[test]
    fn negative_prices_are_refused() {
        assert_eq!(Money::non_negative(-1, Currency::USD), Err(MoneyError::Negative));
        assert_eq!(Money::non_negative(0, Currency::USD), Ok(usd(0)));
    }
}
