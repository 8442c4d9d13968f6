//! Taking payments: the `manual` provider accepts payment inside the
//! checkout transaction; the `stripe` provider creates a PaymentIntent after
//! the commit (the order id is Stripe's idempotency key) and learns the
//! outcome from signed webhooks. No call to Stripe is ever made while a
//! transaction holds row locks: refunds go through the outbox and are
//! retried until Stripe accepts them.

pub mod refunds;
pub mod stripe;
pub mod webhook;

/// Which payment provider the shop uses (`PAYMENT_PROVIDER`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    /// Accepted at once, like cash on delivery.
    Manual,
    /// Card payments through Stripe.
    Stripe,
}

impl Provider {
    /// The `payment_method` clients name it by.
    pub fn method(self) -> &'static str {
        match self {
            Provider::Manual => "manual",
            Provider::Stripe => "stripe",
        }
    }
}

impl std::str::FromStr for Provider {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        match raw {
            "manual" => Ok(Provider::Manual),
            "stripe" => Ok(Provider::Stripe),
            _ => Err("expected `manual` or `stripe`".into()),
        }
    }
}
