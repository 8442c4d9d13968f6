//! Schemas for the OpenAPI document only: the rules that handlers and
//! `gokart_domain` enforce on plain strings, stated so that a client (or a
//! fuzzer) producing schema-valid input gets it accepted.
//!
//! Request fields name them with `#[schema(value_type = ...)]`; the wire
//! types stay `String`, parsed and validated in code as before. Each schema
//! here is at least as strict as its validator, never looser: where a rule
//! cannot be stated exactly (a trimmed value's length, the 64-byte local
//! part of an address) the pattern refuses some input the code would take.
//! Patterns are ECMA-262 regular expressions that also mean the same to
//! Python's `re` and Rust's `regex`, since fuzzers generate from them.

use std::borrow::Cow;

use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::{RefOr, Schema};
use utoipa::{PartialSchema, ToSchema};

/// Control characters but tab and line feed (C0, DEL and C1).
const CONTROLS_BUT_TAB_LF: &str = r"\u0000-\u0008\u000B-\u001F\u007F-\u009F";
/// Every control character.
const CONTROLS: &str = r"\u0000-\u001F\u007F-\u009F";
/// The invisible formatting characters text may not hold
/// ([`gokart_domain::validation::is_hidden_formatting`]).
const HIDDEN: &str = r"\u00AD\u034F\u061C\u115F\u1160\u180E\u200B\u200E\u200F\u2028\u2029\u202A-\u202E\u2060-\u2064\u2066-\u2069\u3164\uFEFF\uFFA0\uFFF9-\uFFFB";

/// Text that may be empty: no control characters but tab and line feed,
/// no invisible formatting.
fn optional_text_pattern() -> String {
    format!("^[^{CONTROLS_BUT_TAB_LF}{HIDDEN}]*$")
}

/// Text without the `forbidden` control characters (a character class
/// range) or invisible formatting, holding at least one visible character
/// (so it is not blank once trimmed).
fn visible_text_pattern(forbidden: &str) -> String {
    format!(r"^[^{forbidden}{HIDDEN}]*[^\s{CONTROLS}{HIDDEN}][^{forbidden}{HIDDEN}]*$")
}

/// A pattern matching exactly the common passwords a new password may not
/// be, whatever their case; the document states it as the `NewPassword`
/// schema's `not` (see `routes::served_document`).
pub(crate) fn common_password_pattern() -> String {
    let mut pattern = String::from("^(?:");
    let refused = gokart_domain::identity::common_passwords()
        .iter()
        .chain(std::iter::once(&crate::config::DEV_ADMIN_PASSWORD));
    for (index, password) in refused.enumerate() {
        if index > 0 {
            pattern.push('|');
        }
        for c in password.chars() {
            match c {
                // The Kelvin sign lower-cases to `k` too.
                'k' => pattern.push_str(r"[kK\u212A]"),
                c if c.is_ascii_alphabetic() => {
                    pattern.push('[');
                    pattern.push(c.to_ascii_lowercase());
                    pattern.push(c.to_ascii_uppercase());
                    pattern.push(']');
                }
                // Escape only what ECMA-262 allows escaping (Unicode mode
                // refuses `\!` and the like).
                c if "^$\\.*+?()[]{}|/".contains(c) => {
                    pattern.push('\\');
                    pattern.push(c);
                }
                c => pattern.push(c),
            }
        }
    }
    pattern.push_str(")$");
    pattern
}

fn string() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String)
}

/// Declares a unit type as a named string schema built by `$build`.
macro_rules! string_schema {
    ($(#[$doc:meta])* $name:ident, $build:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy)]
        pub struct $name;

        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                let build: fn() -> ObjectBuilder = $build;
                build().into()
            }
        }

        impl ToSchema for $name {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed(stringify!($name))
            }
        }
    };
}

/// Required free text ([`gokart_domain::catalog::required_text`]): 1 to
/// `MAX` characters once trimmed, not blank; tabs and line breaks allowed,
/// other control characters and invisible formatting not. Named
/// `RequiredText<MAX>` in the document.
#[derive(Debug, Clone, Copy)]
pub struct RequiredText<const MAX: usize>;

impl<const MAX: usize> PartialSchema for RequiredText<MAX> {
    fn schema() -> RefOr<Schema> {
        string()
            .min_length(Some(1))
            .max_length(Some(MAX))
            .pattern(Some(visible_text_pattern(CONTROLS_BUT_TAB_LF)))
            .description(Some(format!(
                "1 to {MAX} characters, not blank; tabs and line breaks allowed, other \
                 control characters and invisible formatting characters not"
            )))
            .into()
    }
}

impl<const MAX: usize> ToSchema for RequiredText<MAX> {
    fn name() -> Cow<'static, str> {
        Cow::Owned(format!("RequiredText{MAX}"))
    }
}

/// Optional free text ([`gokart_domain::catalog::optional_text`]): at most
/// `MAX` characters, possibly empty, with the same characters as
/// [`RequiredText`]. Named `OptionalText<MAX>` in the document.
#[derive(Debug, Clone, Copy)]
pub struct OptionalText<const MAX: usize>;

impl<const MAX: usize> PartialSchema for OptionalText<MAX> {
    fn schema() -> RefOr<Schema> {
        string()
            .max_length(Some(MAX))
            .pattern(Some(optional_text_pattern()))
            .description(Some(format!(
                "At most {MAX} characters, possibly empty; tabs and line breaks allowed, other \
                 control characters and invisible formatting characters not"
            )))
            .into()
    }
}

impl<const MAX: usize> ToSchema for OptionalText<MAX> {
    fn name() -> Cow<'static, str> {
        Cow::Owned(format!("OptionalText{MAX}"))
    }
}

string_schema!(
    /// A carrier or tracking number of an order shipped by hand.
    ShipmentText,
    || {
        string()
            .min_length(Some(1))
            .max_length(Some(100))
            .pattern(Some(visible_text_pattern(CONTROLS)))
            .description(Some(
                "1 to 100 characters on one line, not blank, without control characters or \
                 invisible formatting characters",
            ))
    }
);

string_schema!(
    /// A person's display name ([`gokart_domain::PersonName`]).
    PersonName,
    || {
        string()
            .min_length(Some(1))
            .max_length(Some(100))
            .pattern(Some(visible_text_pattern(CONTROLS)))
            .description(Some(
                "A display name: 1 to 100 characters, not blank, without control characters or \
                 invisible formatting characters",
            ))
    }
);

string_schema!(
    /// An email address as [`gokart_domain::Email`] accepts it, in its
    /// plain ASCII form: a dot-atom local part, `@`, a host name.
    EmailAddress,
    || {
        string()
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Email)))
            .max_length(Some(254))
            .pattern(Some(
                r"^[!#-'*+\-/0-9=?A-Z^-~]+(\.[!#-'*+\-/0-9=?A-Z^-~]+)*@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$",
            ))
            .description(Some(
                "An email address, at most 254 characters (any case; stored lower-cased): a \
                 local part of at most 64 characters, unquoted, and a host name of at least two \
                 labels",
            ))
    }
);

string_schema!(
    /// A password being chosen ([`gokart_domain::NewPassword`]).
    NewPassword,
    || {
        string().min_length(Some(8)).max_length(Some(128)).description(Some(
            "8 to 128 characters, any characters; one of the most common passwords is refused",
        ))
    }
);

string_schema!(
    /// A stock-keeping unit ([`gokart_domain::Sku`]).
    Sku,
    || {
        string()
            .min_length(Some(1))
            .max_length(Some(64))
            .pattern(Some(r"^[A-Za-z0-9][A-Za-z0-9._-]*$"))
            .description(Some(
                "1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit",
            ))
    }
);

string_schema!(
    /// A category slug ([`gokart_domain::Slug`]).
    Slug,
    || {
        string()
            .min_length(Some(1))
            .max_length(Some(100))
            .pattern(Some(r"^[a-z0-9]+(-[a-z0-9]+)*$"))
            .description(Some(
                "Lower-case letters and digits in words joined by single hyphens, at most 100 \
                 characters, like home-office",
            ))
    }
);

string_schema!(
    /// A phone number as the address book takes it.
    Phone,
    || {
        string()
            .min_length(Some(6))
            .max_length(Some(25))
            .pattern(Some(r"^\+?[ ().-]*([0-9][ ().-]*){6,15}$"))
            .description(Some(
                "6 to 15 digits with spaces, '-', '(', ')' or '.' between them and an optional \
                 leading '+', at most 25 characters, like +1 555 010 0199",
            ))
    }
);

string_schema!(
    /// A postal code as the address book takes it.
    PostalCode,
    || {
        string()
            .min_length(Some(2))
            .max_length(Some(12))
            .pattern(Some(r"^(-[ -]*)?[A-Za-z0-9]([A-Za-z0-9 -]*[A-Za-z0-9-])?$"))
            .description(Some(
                "2 to 12 letters, digits, spaces or hyphens, at least one a letter or digit \
                 (stored upper-cased)",
            ))
    }
);

string_schema!(
    /// An ISO 3166-1 alpha-2 country code.
    CountryCode,
    || {
        string().enum_values(Some(gokart_domain::address::COUNTRIES.iter().copied())).description(
            Some("An ISO 3166-1 alpha-2 country code, upper-case (lower case is accepted too)"),
        )
    }
);

string_schema!(
    /// A product image URL.
    ImageUrl,
    || {
        string()
            .min_length(Some(1))
            .max_length(Some(500))
            .pattern(Some(r"^[!-~]+$"))
            .description(Some("A URL of 1 to 500 printable ASCII characters, without spaces"))
    }
);

string_schema!(
    /// An `Idempotency-Key` header value.
    IdempotencyKey,
    || {
        string()
            .min_length(Some(1))
            .max_length(Some(255))
            .pattern(Some(r"^[!-~]+$"))
            .description(Some("1 to 255 visible ASCII characters"))
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern<T: PartialSchema>() -> String {
        let schema = serde_json::to_value(T::schema()).unwrap_or_default();
        schema["pattern"].as_str().unwrap_or_default().to_owned()
    }

    #[test]
    fn text_patterns_are_built_from_the_character_classes() {
        let required = pattern::<RequiredText<10>>();
        assert!(required.starts_with('^') && required.ends_with('$'));
        assert!(required.contains(HIDDEN));
        assert_eq!(pattern::<OptionalText<10>>(), format!("^[^{CONTROLS_BUT_TAB_LF}{HIDDEN}]*$"));
        assert!(pattern::<PersonName>().contains(CONTROLS));
    }

    /// The characters a character class body like `\u0000-\u0008\u000B`
    /// names.
    fn class(body: &str) -> Vec<char> {
        let mut chars = Vec::new();
        let mut from = None;
        for code in body.split(r"\u").skip(1) {
            let value = u32::from_str_radix(&code[..4], 16).unwrap();
            match from.take() {
                Some(start) => chars.extend((start..=value).filter_map(char::from_u32)),
                None if code.ends_with('-') => from = Some(value),
                None => chars.extend(char::from_u32(value)),
            }
        }
        chars
    }

    #[test]
    fn character_classes_are_the_validators_own() {
        let hidden = class(HIDDEN);
        let controls = class(CONTROLS);
        let controls_but_tab_lf = class(CONTROLS_BUT_TAB_LF);
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            let is_hidden = gokart_domain::validation::is_hidden_formatting(c);
            assert_eq!(hidden.contains(&c), is_hidden, "{c:?}");
            assert_eq!(controls.contains(&c), c.is_control(), "{c:?}");
            let forbidden = c.is_control() && c != '\t' && c != '\n';
            assert_eq!(controls_but_tab_lf.contains(&c), forbidden, "{c:?}");
        }
    }

    #[test]
    fn every_country_code_is_listed() {
        let schema = serde_json::to_value(CountryCode::schema()).unwrap_or_default();
        assert_eq!(schema["enum"].as_array().map(Vec::len), Some(249));
    }

    #[test]
    fn named_schemas_carry_their_length_in_the_name() {
        assert_eq!(RequiredText::<100>::name(), "RequiredText100");
        assert_eq!(OptionalText::<5000>::name(), "OptionalText5000");
        assert_eq!(EmailAddress::name(), "EmailAddress");
    }
}
