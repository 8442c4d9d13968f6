//! What customers type into their name must stay a name: each email is
//! written through the real local mailer, then its `.eml` is read back with
//! an independent parser (`mail-parser`) and a strict RFC 5322 check of the
//! raw `To:` field. One recipient, the real one, and no header the sender
//! did not mean.

use std::path::PathBuf;

use gokart_mega_worker::notify::email::Email;
use gokart_mega_worker::notify::mailer::{Mailer, SendError};
use mail_parser::MessageParser;
use serde_json::json;

use super::{push, relay_token, spawn_worker_with};

const REAL: &str = "zoe@example.com";

/// The header fields every email has, each once, and nothing else.
const FIELDS: [&str; 7] =
    ["content-type", "date", "from", "message-id", "mime-version", "subject", "to"];

/// A fresh folder under the system's temporary folder.
fn mail_dir() -> PathBuf {
    std::env::temp_dir().join(format!("gokart-mail-test-{}", uuid::Uuid::new_v4().simple()))
}

fn email_to(name: &str) -> Email {
    Email {
        from: "GoKart <orders@gokart.local>".into(),
        to_name: name.into(),
        to_email: REAL.into(),
        subject: "Order GK-1 shipped".into(),
        html: "<p>Your order is on its way.</p>".into(),
        text: "Your order is on its way.".into(),
    }
}

/// Writes `email` with the local mailer and returns the `.eml` it wrote.
async fn written(email: &Email) -> String {
    let dir = mail_dir();
    Mailer::Local { dir: dir.clone() }.send(email, "task-1").await.unwrap();
    let eml = std::fs::read_to_string(dir.join("task-1.eml")).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    eml
}

/// The top-level header block: (lower-cased name, unfolded raw value).
fn header_fields(eml: &str) -> Vec<(String, String)> {
    let head = eml.split("\r\n\r\n").next().unwrap();
    let mut fields: Vec<(String, String)> = Vec::new();
    for line in head.split("\r\n") {
        if line.starts_with([' ', '\t']) {
            let (_, value) = fields.last_mut().expect("a continuation line opens the header");
            value.push_str(line);
        } else {
            let (name, value) = line.split_once(':').unwrap_or((line, ""));
            fields.push((name.to_ascii_lowercase(), value.to_owned()));
        }
    }
    fields
}

/// RFC 5322 `address-list` check of a raw (unfolded) `To:` value, done by
/// hand: quoted strings and angle addresses are the only places an `@` may
/// appear; no comments, no groups, no second address. Returns the one
/// `addr-spec` in angle brackets.
fn the_one_angle_addr(value: &str) -> String {
    let mut angle: Vec<String> = Vec::new();
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => loop {
                match chars.next() {
                    Some('\\') => {
                        chars.next().expect("an escape inside a quoted string");
                    }
                    Some('"') => break,
                    Some(_) => {}
                    None => panic!("unterminated quoted string in {value:?}"),
                }
            },
            '<' => {
                let inside: String = chars.by_ref().take_while(|&c| c != '>').collect();
                angle.push(inside);
            }
            '(' | ')' => panic!("a comment outside quotes in {value:?}"),
            '@' | ',' | ';' | ':' | '>' | '[' | ']' | '\\' => {
                panic!("{c:?} outside a quoted string or angle address in {value:?}")
            }
            c if c.is_control() && c != '\t' => panic!("control character in {value:?}"),
            _ => {}
        }
    }
    assert_eq!(angle.len(), 1, "exactly one <addr-spec> in {value:?}");
    angle.remove(0)
}

/// Asserts that the email `name` wrote goes to `REAL` alone, under the
/// display name `shown`, with only the header fields meant.
fn assert_one_recipient(eml: &str, shown: &str) {
    let fields = header_fields(eml);
    let mut names: Vec<&str> = fields.iter().map(|(name, _)| name.as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, FIELDS, "header fields of\n{eml}");
    for line in eml.split("\r\n\r\n").next().unwrap().split("\r\n") {
        assert!(line.len() <= 78, "header line of {} octets: {line:?}", line.len());
    }

    let to = &fields.iter().find(|(name, _)| name == "to").unwrap().1;
    assert_eq!(the_one_angle_addr(to), REAL, "To:{to}");

    let message = MessageParser::new().parse(eml.as_bytes()).expect("a parsable message");
    let to = message.to().expect("a To field");
    let list = to.as_list().expect("a list of mailboxes, not a group");
    assert_eq!(list.len(), 1, "one recipient: {to:?}");
    assert_eq!(list[0].address(), Some(REAL));
    assert_eq!(list[0].name(), Some(shown), "the display name as typed");
    assert!(message.bcc().is_none() && message.cc().is_none());
    assert_eq!(message.subject(), Some("Order GK-1 shipped"));
    assert_eq!(
        message.body_text(0).as_deref().map(str::trim_end),
        Some("Your order is on its way.")
    );
}

#[tokio::test]
async fn a_name_with_a_comma_and_an_address_is_one_recipient() {
    let name = "Eve, attacker@evil.com";
    assert_one_recipient(&written(&email_to(name)).await, name);
}

#[tokio::test]
async fn a_name_with_a_comment_does_not_hide_the_address() {
    let name = "(comment) x@evil.com";
    assert_one_recipient(&written(&email_to(name)).await, name);
}

#[tokio::test]
async fn a_name_shaped_like_a_group_stays_a_name() {
    let name = "Grp: a@b;";
    assert_one_recipient(&written(&email_to(name)).await, name);
}

#[tokio::test]
async fn a_name_with_quotes_and_an_angle_address_stays_a_name() {
    let name = "\"quoted\" <x@evil.com>";
    assert_one_recipient(&written(&email_to(name)).await, name);
}

#[tokio::test]
async fn a_name_with_a_line_break_adds_no_header_and_keeps_no_line_break() {
    let eml = written(&email_to("Bob\r\nBcc: x@evil.com")).await;
    assert_one_recipient(&eml, "Bob Bcc: x@evil.com");
}

#[tokio::test]
async fn a_non_ascii_name_is_encoded_and_reads_back() {
    let name = "Zoë Ünïcode";
    let eml = written(&email_to(name)).await;
    assert!(eml.is_ascii(), "headers and bodies are 7-bit:\n{eml}");
    assert_one_recipient(&eml, name);
}

#[tokio::test]
async fn a_long_non_ascii_name_is_folded_into_short_encoded_words() {
    let name = "Zoë Ünïcode-Brontë-Gödel-Łukasiewicz-Ørsted-Šťastný-Çelik";
    let eml = written(&email_to(name)).await;
    assert_one_recipient(&eml, name);
}

#[tokio::test]
async fn a_subject_with_a_line_break_adds_no_header() {
    let mut email = email_to("Zoë");
    email.subject = "Order GK-1 shipped\r\nBcc: x@evil.com".into();
    let eml = written(&email).await;

    let fields = header_fields(&eml);
    assert!(!fields.iter().any(|(name, _)| name == "bcc"), "{eml}");
    let message = MessageParser::new().parse(eml.as_bytes()).unwrap();
    assert!(message.bcc().is_none());
    let subject = message.subject().unwrap();
    assert!(!subject.contains(['\r', '\n']), "{subject:?}");
    assert_eq!(subject, "Order GK-1 shipped Bcc: x@evil.com");
}

#[tokio::test]
async fn a_recipient_address_that_is_not_one_mailbox_is_rejected() {
    for to_email in [
        "zoe@example.com>, x@evil.com",
        "zoe@example.com, x@evil.com",
        "Zoe <zoe@example.com>",
        "zoe@example.com\r\nBcc: x@evil.com",
        "not an address",
    ] {
        let dir = mail_dir();
        let mut email = email_to("Zoë");
        email.to_email = to_email.into();

        let sent = Mailer::Local { dir: dir.clone() }.send(&email, "task-1").await;

        assert!(matches!(sent, Err(SendError::Rejected(_))), "{to_email:?}: {sent:?}");
        assert!(!dir.join("task-1.eml").exists(), "{to_email:?}");
        std::fs::remove_dir_all(&dir).ok();
    }
}

/// The whole path: a notification task pushed to the worker, rendered and
/// written by the local mailer.
#[tokio::test]
async fn a_notification_for_a_hostile_name_is_written_to_its_customer_alone() {
    let dir = mail_dir();
    let dir_setting = dir.display().to_string();
    let worker = spawn_worker_with("http://127.0.0.1:9", &[("MAIL_DIR", &dir_setting)]).await;
    let token = relay_token().await;
    let task = json!({
        "order_id": "0193a0d6-6b5e-7c4e-9d1e-3f1e2a4b5c6d",
        "order_number": "GK-AAAA-BBBB-CCCC",
        "status": "confirmed",
        "payment_status": "paid",
        "recipient_name": "Eve, attacker@evil.com",
        "recipient_email": REAL,
        "items": [{"name": "Electric Kettle", "quantity": 1,
                   "line_total": {"amount": 4999, "currency": "usd"}}],
        "total": {"amount": 5398, "currency": "usd"},
        "tracking_number": null,
        "estimated_delivery_date": null
    });

    let response = push(&worker, "notification", Some(&token), &task.to_string()).await;

    assert_eq!(response.status(), 200);
    let eml = std::fs::read_to_string(dir.join("t-1.eml")).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    let to = header_fields(&eml).into_iter().find(|(name, _)| name == "to").unwrap().1;
    assert_eq!(the_one_angle_addr(&to), REAL, "To:{to}");
    let message = MessageParser::new().parse(eml.as_bytes()).unwrap();
    let recipients: Vec<_> = message.to().unwrap().iter().collect();
    assert_eq!(recipients.len(), 1, "{recipients:?}");
    assert_eq!(recipients[0].address(), Some(REAL));
    assert_eq!(recipients[0].name(), Some("Eve, attacker@evil.com"));
    assert_eq!(message.subject(), Some("Order GK-AAAA-BBBB-CCCC confirmed"));
}
