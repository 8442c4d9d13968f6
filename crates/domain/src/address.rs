//! Postal addresses for the address book and for order snapshots.

use serde::Serialize;

use crate::catalog::{optional_text, required_text};
use crate::validation::{Invalid, Violations};

/// A validated postal address: an address-book entry shows one, and an
/// order keeps a copy of one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = PostalAddress))]
pub struct Address {
    /// Recipient.
    pub name: String,
    /// Phone number for the carrier.
    pub phone: String,
    /// Street and number.
    pub street1: String,
    /// Apartment, suite, building.
    pub street2: Option<String>,
    /// City or town.
    pub city: String,
    /// State, province or region, where the country has them.
    pub state: Option<String>,
    /// Postal code.
    pub postal_code: String,
    /// ISO 3166-1 alpha-2 country code, upper-case.
    #[cfg_attr(feature = "openapi", schema(pattern = "^[A-Z]{2}$"))]
    pub country: String,
}

/// Address fields as received.
#[derive(Debug, Clone, Copy, Default)]
pub struct RawAddress<'a> {
    /// Recipient.
    pub name: &'a str,
    /// Phone.
    pub phone: &'a str,
    /// Street.
    pub street1: &'a str,
    /// Second street line.
    pub street2: Option<&'a str>,
    /// City.
    pub city: &'a str,
    /// State or region.
    pub state: Option<&'a str>,
    /// Postal code.
    pub postal_code: &'a str,
    /// Country code.
    pub country: &'a str,
}

impl Address {
    /// Validates every field, naming each bad one.
    pub fn parse(raw: RawAddress<'_>) -> Result<Self, Violations> {
        let mut v = Violations::new();
        let optional = |v: &mut Violations, field: &str, value: Option<&str>, max: usize| {
            value
                .and_then(|text| v.check(field, optional_text(text, max)))
                .filter(|t| !t.is_empty())
        };
        let name = v.check("name", required_text(raw.name, 100));
        let phone = v.check("phone", phone(raw.phone));
        let street1 = v.check("street1", required_text(raw.street1, 200));
        let street2 = optional(&mut v, "street2", raw.street2, 200);
        let city = v.check("city", required_text(raw.city, 100));
        let state = optional(&mut v, "state", raw.state, 100);
        let postal_code = v.check("postal_code", postal_code(raw.postal_code));
        let country = v.check("country", country(raw.country));
        match (name, phone, street1, city, postal_code, country) {
            (
                Some(name),
                Some(phone),
                Some(street1),
                Some(city),
                Some(postal_code),
                Some(country),
            ) if v.is_empty() => {
                Ok(Address { name, phone, street1, street2, city, state, postal_code, country })
            }
            _ => Err(v),
        }
    }
}

fn phone(raw: &str) -> Result<String, Invalid> {
    let phone = raw.trim();
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    let allowed = phone
        .chars()
        .enumerate()
        .all(|(i, c)| c.is_ascii_digit() || " -().".contains(c) || (c == '+' && i == 0));
    if allowed && (6..=15).contains(&digits) && phone.len() <= 25 {
        Ok(phone.to_owned())
    } else {
        Err(Invalid::new("must be a phone number of 6 to 15 digits, like +1 555 010 0199"))
    }
}

fn postal_code(raw: &str) -> Result<String, Invalid> {
    let code = raw.trim().to_uppercase();
    let valid = (2..=12).contains(&code.len())
        && code.chars().all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-')
        && code.chars().any(|c| c.is_ascii_alphanumeric());
    if valid {
        Ok(code)
    } else {
        Err(Invalid::new("must be 2 to 12 letters, digits, spaces or hyphens"))
    }
}

/// An ISO 3166-1 alpha-2 country code, upper-cased.
pub fn country(raw: &str) -> Result<String, Invalid> {
    let code = raw.trim().to_ascii_uppercase();
    if COUNTRIES.binary_search(&code.as_str()).is_ok() {
        Ok(code)
    } else {
        Err(Invalid::new("must be an ISO 3166-1 alpha-2 country code, like US or DE"))
    }
}

/// ISO 3166-1 alpha-2 codes, sorted for binary search.
pub const COUNTRIES: &[&str] = &[
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ",
    "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS",
    "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN",
    "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE",
    "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF",
    "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM",
    "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM",
    "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC",
    "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK",
    "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA",
    "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG",
    "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW",
    "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS",
    "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO",
    "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
    "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn raw() -> RawAddress<'static> {
        RawAddress {
            name: "Ada Lovelace",
            phone: "+44 20 7946 0958",
            street1: "12 St James's Square",
            street2: Some(""),
            city: "London",
            state: None,
            postal_code: "sw1y 4jh",
            country: "gb",
        }
    }

    #[test]
    fn a_good_address_is_normalised() {
        let address = Address::parse(raw()).unwrap();
        assert_eq!(address.country, "GB");
        assert_eq!(address.postal_code, "SW1Y 4JH");
        assert_eq!(address.street2, None, "an empty optional line is no line");
    }

    #[test]
    fn every_bad_field_is_named() {
        let err = Address::parse(RawAddress {
            name: "",
            phone: "call me",
            street1: " ",
            city: "",
            postal_code: "!",
            country: "XX",
            ..raw()
        })
        .unwrap_err();
        let fields: Vec<_> = err.fields().keys().map(String::as_str).collect();
        assert_eq!(fields, ["city", "country", "name", "phone", "postal_code", "street1"]);
    }

    #[test]
    fn the_country_list_is_sorted_and_complete() {
        let mut sorted = COUNTRIES.to_vec();
        sorted.sort_unstable();
        assert_eq!(sorted, COUNTRIES);
        assert_eq!(COUNTRIES.len(), 249);
    }

    #[test]
    fn phones_allow_common_punctuation_only() {
        assert!(phone("(555) 010-0199").is_ok());
        assert!(phone("+1 555 0100").is_ok());
        assert!(phone("555+0100").is_err());
        assert!(phone("12345").is_err());
    }
}
