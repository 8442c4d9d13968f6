//! Rendering an order email, in HTML and plain text, from compile-checked
//! templates (`templates/order_update.{html,txt}`).

use askama::Template;
use gokart_domain::{
    AccountEmailPurpose, AccountEmailTask, AdminNoticeTask, NotificationTask, OrderStatus,
    PaymentStatus,
};

/// An email ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    /// The sender, `Name <address>`.
    pub from: String,
    /// The recipient's name.
    pub to_name: String,
    /// The recipient's address.
    pub to_email: String,
    /// The subject line.
    pub subject: String,
    /// The HTML body.
    pub html: String,
    /// The plain-text body.
    pub text: String,
}

#[derive(Template)]
#[template(path = "order_update.html")]
struct HtmlBody<'a> {
    n: &'a NotificationTask,
    subject: &'a str,
}

#[derive(Template)]
#[template(path = "order_update.txt")]
struct TextBody<'a> {
    n: &'a NotificationTask,
}

/// The email telling `task`'s customer what happened, sent from `from`.
pub fn render(task: &NotificationTask, from: &str) -> Result<Email, askama::Error> {
    let subject = subject(task);
    Ok(Email {
        from: from.to_owned(),
        to_name: task.recipient_name.clone(),
        to_email: task.recipient_email.clone(),
        html: HtmlBody { n: task, subject: &subject }.render()?,
        text: TextBody { n: task }.render()?,
        subject,
    })
}

#[derive(Template)]
#[template(path = "account_email.html")]
struct AccountHtml<'a> {
    t: &'a AccountEmailTask,
    subject: &'a str,
}

#[derive(Template)]
#[template(path = "account_email.txt")]
struct AccountText<'a> {
    t: &'a AccountEmailTask,
}

/// The email carrying `task`'s link, sent from `from`.
pub fn render_account(task: &AccountEmailTask, from: &str) -> Result<Email, askama::Error> {
    let subject = match task.purpose {
        AccountEmailPurpose::PasswordReset => "Reset your password",
        AccountEmailPurpose::VerifyEmail => "Confirm your email address",
    };
    Ok(Email {
        from: from.to_owned(),
        to_name: task.recipient_name.clone(),
        to_email: task.recipient_email.clone(),
        html: AccountHtml { t: task, subject }.render()?,
        text: AccountText { t: task }.render()?,
        subject: subject.to_owned(),
    })
}

#[derive(Template)]
#[template(path = "admin_notice.html")]
struct AdminNoticeHtml<'a> {
    t: &'a AdminNoticeTask,
    subject: &'a str,
}

#[derive(Template)]
#[template(path = "admin_notice.txt")]
struct AdminNoticeText<'a> {
    t: &'a AdminNoticeTask,
}

/// The email telling an admin what needs them, sent from `from`.
pub fn render_admin_notice(task: &AdminNoticeTask, from: &str) -> Result<Email, askama::Error> {
    Ok(Email {
        from: from.to_owned(),
        to_name: task.recipient_name.clone(),
        to_email: task.recipient_email.clone(),
        html: AdminNoticeHtml { t: task, subject: &task.subject }.render()?,
        text: AdminNoticeText { t: task }.render()?,
        subject: task.subject.clone(),
    })
}

fn subject(task: &NotificationTask) -> String {
    let number = &task.order_number;
    match task.status {
        OrderStatus::PendingPayment => format!("Order {number} is waiting for payment"),
        OrderStatus::Confirmed => format!("Order {number} confirmed"),
        OrderStatus::Processing => format!("Order {number} packed"),
        OrderStatus::Shipped => format!("Order {number} shipped"),
        OrderStatus::OutForDelivery => format!("Order {number} is out for delivery"),
        OrderStatus::Delivered => format!("Order {number} delivered"),
        OrderStatus::Cancelled if task.payment_status == PaymentStatus::Refunded => {
            format!("Order {number} cancelled and refunded")
        }
        OrderStatus::Cancelled => format!("Order {number} cancelled"),
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use gokart_domain::{Currency, Money, NotificationLine};
    use uuid::Uuid;

    use super::*;

    fn task(status: OrderStatus) -> NotificationTask {
        NotificationTask {
            order_id: Uuid::new_v4(),
            order_number: "GK-42".into(),
            status,
            payment_status: PaymentStatus::Paid,
            recipient_name: "Ada <Lovelace>".into(),
            recipient_email: "ada@example.com".into(),
            items: vec![NotificationLine {
                name: "Kettle & Co".into(),
                quantity: 2,
                line_total: Money::new(3998, Currency::USD),
            }],
            total: Money::new(4397, Currency::USD),
            tracking_number: Some("TRK-1".into()),
            carrier: None,
            estimated_delivery_date: NaiveDate::from_ymd_opt(2026, 12, 3),
            order_link: None,
        }
    }

    #[test]
    fn a_shipping_email_carries_the_tracking_number_and_date() {
        let email = render(&task(OrderStatus::Shipped), "GoKart <o@x.test>").unwrap();
        assert_eq!(email.subject, "Order GK-42 shipped");
        for body in [&email.html, &email.text] {
            assert!(body.contains("TRK-1"), "{body}");
            assert!(body.contains("2026-12-03"), "{body}");
            assert!(body.contains("43.97 USD"), "{body}");
            assert!(!body.contains("()"), "{body}");
        }
        // Shipped by hand: with its carrier.
        let by_hand =
            NotificationTask { carrier: Some("Parcelline".into()), ..task(OrderStatus::Shipped) };
        let email = render(&by_hand, "GoKart <o@x.test>").unwrap();
        for body in [&email.html, &email.text] {
            assert!(
                body.contains("TRK-1</strong> (Parcelline)") || body.contains("TRK-1 (Parcelline)"),
                "{body}"
            );
        }
    }

    #[test]
    fn html_escapes_what_customers_typed_and_text_keeps_it() {
        let email = render(&task(OrderStatus::Confirmed), "GoKart <o@x.test>").unwrap();
        assert!(
            email.html.contains("Ada &#60;Lovelace&#62;")
                || email.html.contains("Ada &lt;Lovelace&gt;")
        );
        assert!(!email.html.contains("<Lovelace>"));
        assert!(email.text.contains("Hello Ada <Lovelace>,"));
    }

    #[test]
    fn every_status_has_its_own_words() {
        let mut seen = std::collections::HashSet::new();
        for status in OrderStatus::ALL {
            let email = render(&task(status), "GoKart <o@x.test>").unwrap();
            assert!(seen.insert(email.text.clone()), "{status} repeats another email");
        }
    }

    #[test]
    fn a_cancellation_says_what_happens_to_the_money() {
        let mut cancelled = task(OrderStatus::Cancelled);
        assert!(render(&cancelled, "x").unwrap().text.contains("being refunded"));
        cancelled.payment_status = PaymentStatus::Pending;
        assert!(render(&cancelled, "x").unwrap().text.contains("not been charged"));
    }

    const LINK: &str = "https://shop.test/account/reset-password?token=abc_DEF-123";

    fn account_task(purpose: AccountEmailPurpose) -> AccountEmailTask {
        AccountEmailTask {
            purpose,
            recipient_name: "Ada <Lovelace>".into(),
            recipient_email: "ada@x.test".into(),
            link: LINK.into(),
            valid_minutes: 30,
        }
    }

    #[test]
    fn an_account_email_carries_its_link_and_says_how_long_it_works() {
        let link = LINK;
        for purpose in [AccountEmailPurpose::PasswordReset, AccountEmailPurpose::VerifyEmail] {
            let email = render_account(&account_task(purpose), "GoKart <o@x.test>").unwrap();
            assert_eq!(email.to_email, "ada@x.test");
            for body in [&email.html, &email.text] {
                assert!(body.contains(link), "{body}");
                assert!(body.contains("30 minutes"), "{body}");
            }
            assert!(!email.html.contains("<Lovelace>"));
        }
        let reset = account_task(AccountEmailPurpose::PasswordReset);
        let email = render_account(&reset, "GoKart <o@x.test>").unwrap();
        assert_eq!(email.subject, "Reset your password");
        assert!(email.text.contains("ignore this email"));
    }

    #[test]
    fn a_guest_order_email_links_to_the_order() {
        let mut guest = task(OrderStatus::Confirmed);
        guest.order_link = Some("https://shop.test/orders/lookup?token=t0k".into());
        let email = render(&guest, "GoKart <o@x.test>").unwrap();
        for body in [&email.html, &email.text] {
            assert!(body.contains("https://shop.test/orders/lookup?token=t0k"), "{body}");
        }
        let member = render(&task(OrderStatus::Confirmed), "GoKart <o@x.test>").unwrap();
        assert!(!member.text.contains("lookup"));
    }
}
