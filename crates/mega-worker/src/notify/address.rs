//! Mailboxes, checked once: an address that is exactly one `addr-spec` and
//! a display name that is only ever text. Whatever a customer typed as
//! their name never becomes address syntax: the `.eml` gets it through
//! `mail-builder` (quoted or RFC 2047-encoded) and Resend never gets it.

use std::fmt::Write as _;

/// Why a mailbox was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidMailbox {
    /// Not exactly one plain address.
    #[error("{0:?} is not one email address")]
    Address(String),
    /// A sender name holding a line break, control character or address syntax.
    #[error("the sender name in {0:?} must be plain text, or quoted")]
    Name(String),
}

/// One mailbox: an optional display name and one address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    name: Option<String>,
    address: String,
}

impl Mailbox {
    /// A recipient: `name` is any text (line breaks and control characters
    /// become spaces; none is no name); `address` must be one plain address.
    pub fn new(name: &str, address: &str) -> Result<Self, InvalidMailbox> {
        let address = gokart_domain::Email::parse(address)
            .map_err(|_| InvalidMailbox::Address(address.to_owned()))?;
        let name = header_text(name);
        Ok(Mailbox { name: (!name.is_empty()).then_some(name), address: address.to_string() })
    }

    /// A configured sender: `address`, `Name <address>` or
    /// `"Name, with specials" <address>`. Stricter than [`Mailbox::new`]:
    /// anything that could be read as a second mailbox is refused.
    pub fn parse(text: &str) -> Result<Self, InvalidMailbox> {
        let text = text.trim();
        let Some((name, address)) = text.strip_suffix('>').and_then(|rest| rest.rsplit_once('<'))
        else {
            return Mailbox::new("", text);
        };
        let name = name.trim();
        let bad_name = || InvalidMailbox::Name(text.to_owned());
        let name = match name.strip_prefix('"').and_then(|n| n.strip_suffix('"')) {
            Some(quoted) => unquote(quoted).ok_or_else(bad_name)?,
            None if name.contains(['<', '>', '@', '"']) => return Err(bad_name()),
            None => name.to_owned(),
        };
        if name.chars().any(char::is_control) {
            return Err(bad_name());
        }
        Mailbox::new(&name, address)
    }

    /// The display name, if any: text without line breaks or control characters.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The address, a single `addr-spec`.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// `Name <address>` for an HTTP API such as Resend's: the name bare
    /// when it is only atoms, otherwise an RFC 5322 quoted string; UTF-8
    /// as is (RFC 6532), one line.
    pub fn to_api_string(&self) -> String {
        let Some(name) = &self.name else { return self.address.clone() };
        let mut out = String::with_capacity(name.len() + self.address.len() + 6);
        if name.split(' ').all(|word| !word.is_empty() && word.bytes().all(is_atext)) {
            out.push_str(name);
        } else {
            out.push('"');
            for c in name.chars() {
                if matches!(c, '"' | '\\') {
                    out.push('\\');
                }
                out.push(c);
            }
            out.push('"');
        }
        let _ = write!(out, " <{}>", self.address);
        out
    }
}

/// Text for a header (a display name, a subject): each run of whitespace
/// and control characters, line breaks included, becomes one space.
pub fn header_text(text: &str) -> String {
    text.split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The content of an RFC 5322 quoted string; `None` when a quote inside
/// is not escaped or an escape ends it.
fn unquote(quoted: &str) -> Option<String> {
    let mut out = String::with_capacity(quoted.len());
    let mut chars = quoted.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push(chars.next()?),
            '"' => return None,
            c => out.push(c),
        }
    }
    Some(out)
}

/// RFC 5322 `atext`.
fn is_atext(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~".contains(&byte)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recipient_name_is_text_and_its_address_one_mailbox() {
        let mailbox = Mailbox::new("  Bob\r\n\tBcc: x@evil.com ", "Bob@Example.com").unwrap();
        assert_eq!(mailbox.name(), Some("Bob Bcc: x@evil.com"));
        assert_eq!(mailbox.address(), "bob@example.com");
        assert_eq!(Mailbox::new(" \r\n", "bob@example.com").unwrap().name(), None);
        for bad in ["a@b.test, c@d.test", "<a@b.test>", "a@b.test\r\nBcc: c@d.test", "a"] {
            assert!(Mailbox::new("A", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_sender_is_parsed_strictly() {
        let plain = Mailbox::parse("GoKart <orders@shop.test>").unwrap();
        assert_eq!((plain.name(), plain.address()), (Some("GoKart"), "orders@shop.test"));
        let quoted = Mailbox::parse(r#""GoKart \"Shop\", Inc." <orders@shop.test>"#).unwrap();
        assert_eq!(quoted.name(), Some(r#"GoKart "Shop", Inc."#));
        assert_eq!(Mailbox::parse("orders@shop.test").unwrap().name(), None);
        for bad in [
            "a@b.test, c@d.test",
            "A <a@b.test>, C <c@d.test>",
            "A <a@b.test",
            "A\r\nBcc: c@d.test <a@b.test>",
            r#""A" B" <a@b.test>"#,
            "A",
        ] {
            assert!(Mailbox::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn an_api_mailbox_quotes_a_name_unless_it_is_only_atoms() {
        let api = |name: &str| Mailbox::new(name, "a@b.test").unwrap().to_api_string();
        assert_eq!(api("GoKart Shop"), "GoKart Shop <a@b.test>");
        assert_eq!(api(""), "a@b.test");
        assert_eq!(api("Eve, attacker@evil.com"), r#""Eve, attacker@evil.com" <a@b.test>"#);
        assert_eq!(api(r#""q" \ <x@evil.com>"#), r#""\"q\" \\ <x@evil.com>" <a@b.test>"#);
        assert_eq!(api("(c) x@evil.com"), r#""(c) x@evil.com" <a@b.test>"#);
        assert_eq!(api("Zoë"), r#""Zoë" <a@b.test>"#);
    }
}
