//! Validation results that name the offending field.
//!
//! Domain constructors return [`Invalid`] with a human message; handlers
//! gather them per field into [`Violations`], which the API renders as a 422
//! with a `fields` map. Nothing is written unless every field is valid.

use std::collections::BTreeMap;

/// One value that failed validation, with a message for the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub String);

impl Invalid {
    /// A failure with `message`.
    pub fn new(message: impl Into<String>) -> Self {
        Invalid(message.into())
    }
}

/// Every invalid field of one request, by field name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Violations(BTreeMap<String, String>);

impl Violations {
    /// No violations yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// A single violation.
    pub fn single(field: impl Into<String>, message: impl Into<String>) -> Self {
        let mut violations = Self::new();
        violations.add(field, message);
        violations
    }

    /// Records that `field` is invalid; the first message for a field wins.
    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.entry(field.into()).or_insert_with(|| message.into());
    }

    /// Keeps the value of a successful validation of the object `field`, or
    /// records its bad fields as `field.name`.
    pub fn nested<T>(&mut self, field: &str, validated: Result<T, Violations>) -> Option<T> {
        match validated {
            Ok(value) => Some(value),
            Err(Violations(inner)) => {
                for (name, message) in inner {
                    self.add(format!("{field}.{name}"), message);
                }
                None
            }
        }
    }

    /// Keeps the value of a successful parse, or records why `field` failed.
    pub fn check<T>(&mut self, field: &str, parsed: Result<T, Invalid>) -> Option<T> {
        match parsed {
            Ok(value) => Some(value),
            Err(Invalid(message)) => {
                self.add(field, message);
                None
            }
        }
    }

    /// `Ok(())` when nothing was recorded.
    pub fn into_result(self) -> Result<(), Violations> {
        if self.0.is_empty() { Ok(()) } else { Err(self) }
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The violations by field name, in name order.
    pub fn fields(&self) -> &BTreeMap<String, String> {
        &self.0
    }
}

/// Invisible characters that change how the text around them is shown:
/// bidirectional overrides, embeddings and isolates (which can make
/// `evil.exe\u{202E}gpj.txt` read as a picture's name in an email), line and
/// paragraph separators, the byte-order mark, invisible operators,
/// interlinear annotations, and the characters that show as nothing (zero
/// width space, soft hyphen, combining grapheme joiner, Mongolian vowel
/// separator, Hangul fillers), with which `admin\u{200B}@example.com` would
/// pass for another account's address. Zero-width joiners stay allowed: scripts and
/// emoji need them.
pub fn is_hidden_formatting(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{180E}'
            | '\u{200B}'
            | '\u{200E}'
            | '\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2066}'..='\u{2069}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{2060}'..='\u{2064}'
            | '\u{3164}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF9}'..='\u{FFFB}'
    )
}

/// Refuses control characters (except those in `allowed`) and hidden
/// formatting characters in text a person typed.
pub fn visible_text(text: &str, allowed: &[char]) -> Result<(), Invalid> {
    if text.chars().any(|c| c.is_control() && !allowed.contains(&c)) {
        return Err(Invalid::new("must not contain control characters"));
    }
    if text.chars().any(is_hidden_formatting) {
        return Err(Invalid::new("must not contain invisible formatting characters"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_keeps_good_values_and_names_bad_fields() {
        let mut violations = Violations::new();
        let good = violations.check("quantity", Ok::<_, Invalid>(3));
        let bad: Option<i32> = violations.check("price", Err(Invalid::new("must be positive")));
        assert_eq!(good, Some(3));
        assert_eq!(bad, None);
        let err = violations.into_result().unwrap_err();
        assert_eq!(err.fields().get("price").map(String::as_str), Some("must be positive"));
        assert_eq!(err.fields().len(), 1);
    }

    #[test]
    fn first_message_per_field_wins() {
        let mut violations = Violations::single("email", "is required");
        violations.add("email", "is malformed");
        assert_eq!(violations.fields()["email"], "is required");
    }

    #[test]
    fn no_violations_is_ok() {
        assert_eq!(Violations::new().into_result(), Ok(()));
    }
}
