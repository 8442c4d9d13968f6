//! People and their credentials: names, email addresses, passwords, roles.
//!
//! Passwords follow NIST SP 800-63B: 8 to 128 characters, any characters,
//! no composition rules, but never one of the most common passwords.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::validation::{Invalid, visible_text};

/// A person's display name: 1 to 100 characters, trimmed, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonName(String);

impl PersonName {
    /// Trims and checks `raw`.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let name = raw.trim();
        if name.is_empty() {
            return Err(Invalid::new("is required"));
        }
        if name.chars().count() > 100 {
            return Err(Invalid::new("must be at most 100 characters"));
        }
        visible_text(name, &[])?;
        Ok(PersonName(name.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An email address, trimmed and lower-cased so that one mailbox is one
/// account however it is typed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// Normalises and checks `raw`.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let email = raw.trim().to_lowercase();
        if email.is_empty() {
            return Err(Invalid::new("is required"));
        }
        if email.len() > 254 {
            return Err(Invalid::new("must be at most 254 characters"));
        }
        let malformed = || Invalid::new("must be an email address like name@example.com");
        let (local, domain) = email.split_once('@').ok_or_else(malformed)?;
        if !is_dot_atom(local) || !is_host_name(domain) {
            return Err(malformed());
        }
        Ok(Email(email))
    }

    /// The normalised address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The local part as RFC 5321 allows it unquoted: 1 to 64 bytes of atoms
/// joined by single dots, none of the specials, spaces or controls.
fn is_dot_atom(local: &str) -> bool {
    !local.is_empty()
        && local.len() <= 64
        && local.split('.').all(|atom| {
            !atom.is_empty()
                && !atom.chars().any(|c| {
                    c.is_whitespace()
                        || c.is_control()
                        || crate::validation::is_hidden_formatting(c)
                        || "<>()[]\\,;:@\"".contains(c)
                })
        })
}

/// A host name as RFC 1035 and RFC 5321 define it, letters beyond ASCII
/// allowed (internationalised names): at most 253 bytes, at least two
/// labels of 1 to 63 bytes, each letters, digits and inner hyphens, and a
/// top-level label that is not all digits.
fn is_host_name(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    let label_ok = |label: &&str| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_alphanumeric() || c == '-')
    };
    domain.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(label_ok)
        && labels.last().is_some_and(|tld| !tld.chars().all(|c| c.is_ascii_digit()))
}

/// A new password that passed the policy. Its `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

impl NewPassword {
    /// Shortest accepted password, in characters.
    pub const MIN_CHARS: usize = 8;
    /// Longest accepted password, in characters (bounds hashing work).
    pub const MAX_CHARS: usize = 128;

    /// Checks `raw` against the policy. Whitespace is kept: it is part of the password.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let chars = raw.chars().count();
        if chars < Self::MIN_CHARS {
            return Err(Invalid::new(format!("must be at least {} characters", Self::MIN_CHARS)));
        }
        if chars > Self::MAX_CHARS {
            return Err(Invalid::new(format!("must be at most {} characters", Self::MAX_CHARS)));
        }
        if is_common_password(raw) {
            return Err(Invalid::new("is one of the most common passwords; choose another"));
        }
        Ok(NewPassword(raw.to_owned()))
    }

    /// The password, for hashing.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword(<redacted>)")
    }
}

/// What a user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "sqlx",
    derive(sqlx::Type),
    sqlx(type_name = "text", rename_all = "lowercase")
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// A customer.
    User,
    /// Manages users, catalog and orders.
    Admin,
}

impl Role {
    /// The stored and serialised name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Admin => "admin",
        }
    }

    /// Parses `user` or `admin`.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        match raw {
            "user" => Ok(Role::User),
            "admin" => Ok(Role::Admin),
            _ => Err(Invalid::new("must be `user` or `admin`")),
        }
    }
}

/// Whether `password` is on the built-in list of the most common passwords
/// (compared case-insensitively).
pub fn is_common_password(password: &str) -> bool {
    let lowered = password.to_lowercase();
    COMMON_PASSWORDS.binary_search(&lowered.as_str()).is_ok()
}

/// The passwords [`is_common_password`] refuses, lower-cased (the check
/// ignores case).
pub fn common_passwords() -> &'static [&'static str] {
    COMMON_PASSWORDS
}

/// The most common passwords of at least eight characters from public
/// breach corpora, sorted for binary search.
const COMMON_PASSWORDS: &[&str] = &[
    "00000000",
    "000000000",
    "0123456789",
    "11111111",
    "111111111",
    "1111111111",
    "1111aaaa",
    "11223344",
    "1122334455",
    "112233445566",
    "12121212",
    "121212121",
    "12312312",
    "123123123",
    "123321123",
    "12341234",
    "1234512345",
    "123454321",
    "123456123",
    "12345678",
    "123456789",
    "1234567890",
    "12345678910",
    "1234567899",
    "123456789a",
    "123456abc",
    "123456qwerty",
    "123qweasd",
    "123qweasdzxc",
    "1q2w3e4r",
    "1q2w3e4r5t",
    "1q2w3e4r5t6y",
    "1qaz2wsx",
    "1qaz2wsx3edc",
    "22222222",
    "5201314520",
    "55555555",
    "66666666",
    "77777777",
    "7777777777",
    "87654321",
    "88888888",
    "987654321",
    "99999999",
    "a1234567",
    "a12345678",
    "aa123456",
    "aaaaaaaa",
    "abc12345",
    "abc123456",
    "abcd1234",
    "abcdefgh",
    "access14",
    "asdf1234",
    "asdfasdf",
    "asdfghjk",
    "asdfghjkl",
    "azerty123",
    "baseball",
    "basketball",
    "blink182",
    "charlie1",
    "chocolate",
    "computer",
    "corvette",
    "dragon123",
    "football",
    "football1",
    "freedom1",
    "greenday",
    "iloveyou",
    "iloveyou1",
    "iloveyou2",
    "internet",
    "jennifer",
    "jordan23",
    "letmein1",
    "liverpool",
    "mercedes",
    "michelle",
    "midnight",
    "monkey123",
    "mustang1",
    "naruto123",
    "passw0rd",
    "password",
    "password!",
    "password1",
    "password12",
    "password123",
    "password1234",
    "pokemon1",
    "princess",
    "princess1",
    "q1w2e3r4",
    "q1w2e3r4t5",
    "q1w2e3r4t5y6",
    "qazwsxedc",
    "qwe123qwe",
    "qwer1234",
    "qwerty12",
    "qwerty123",
    "qwerty1234",
    "qwertyui",
    "qwertyuiop",
    "samantha",
    "shadow123",
    "starwars",
    "sunshine",
    "sunshine1",
    "superman",
    "trustno1",
    "welcome1",
    "welcome123",
    "whatever",
    "zaq12wsx",
    "zxcvbnm1",
    "zxcvbnm123",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_common_password_list_is_sorted_for_binary_search() {
        let mut sorted = COMMON_PASSWORDS.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted, COMMON_PASSWORDS);
    }

    #[test]
    fn emails_are_trimmed_and_lower_cased() {
        assert_eq!(Email::parse("  Ada@Example.COM ").unwrap().as_str(), "ada@example.com");
    }

    #[test]
    fn malformed_emails_are_rejected() {
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a da@example.com",
            "ada@exa mple.com",
            "ada@@example.com",
            "ada@.example.com",
            "ada@example..com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
        let long = format!("{}@example.com", "a".repeat(65));
        assert!(Email::parse(&long).is_err());
    }

    #[test]
    fn email_domains_follow_the_host_name_rules() {
        for bad in [
            "a@-example.com",
            "a@example-.com",
            "a@exa_mple.com",
            "a@example.123",
            "a@.com",
            "a@example.com.",
            ".a@example.com",
            "a.@example.com",
            "a..b@example.com",
            "a\u{202E}@example.com",
            "admin\u{200B}@example.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
        let long_label = format!("a@{}.com", "x".repeat(64));
        assert!(Email::parse(&long_label).is_err(), "a label is at most 63 bytes");
        for good in [
            "a@ex-ample.com",
            "a.b+tag@mail.example.co.uk",
            "a@xn--bcher-kva.example",
            "zoë@bücher.de",
        ] {
            assert!(Email::parse(good).is_ok(), "{good:?}");
        }
    }

    #[test]
    fn names_refuse_invisible_formatting_but_keep_joiners() {
        for bad in [
            "Eve\u{202E}gpj.exe",
            "\u{2066}Eve",
            "Eve\u{200F}",
            "Eve\u{FEFF}",
            "E\u{200B}ve",
            "E\u{AD}ve",
        ] {
            assert!(PersonName::parse(bad).is_err(), "{bad:?}");
        }
        assert!(PersonName::parse("👩\u{200D}💻 Ada").is_ok(), "emoji joiners stay");
        assert!(PersonName::parse("می\u{200C}خواهم").is_ok(), "Persian non-joiners stay");
    }

    #[test]
    fn passwords_follow_length_limits_without_composition_rules() {
        assert!(NewPassword::parse("correct horse").is_ok());
        assert!(NewPassword::parse("ççççççç").is_err(), "7 characters");
        assert!(NewPassword::parse(&"é".repeat(128)).is_ok(), "characters, not bytes");
        assert!(NewPassword::parse(&"x".repeat(129)).is_err());
    }

    #[test]
    fn common_passwords_are_refused_in_any_case() {
        assert!(NewPassword::parse("Password123").is_err());
        assert!(NewPassword::parse("QWERTYUIOP").is_err());
        assert!(!is_common_password("supersecretpassword"));
    }

    #[test]
    fn password_debug_output_is_redacted() {
        let password = NewPassword::parse("my secret phrase").unwrap();
        assert!(!format!("{password:?}").contains("secret"));
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(PersonName::parse("  Ada Lovelace ").unwrap().as_str(), "Ada Lovelace");
        assert!(PersonName::parse("   ").is_err());
        assert!(PersonName::parse(&"n".repeat(101)).is_err());
        assert!(PersonName::parse("bad\u{0}name").is_err());
    }

    #[test]
    fn roles_round_trip() {
        assert_eq!(Role::parse("admin").unwrap(), Role::Admin);
        assert_eq!(Role::User.as_str(), "user");
        assert!(Role::parse("root").is_err());
    }
}
