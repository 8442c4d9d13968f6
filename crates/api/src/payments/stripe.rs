//! The Stripe API, through `async-stripe`: PaymentIntents and refunds, each
//! sent with an idempotency key derived from the order or the refund, so a
//! retry after a crash or a timeout never charges or refunds twice.

use ::stripe::{Client, ClientBuilder, IdempotencyKey, RequestStrategy, StripeRequest};
use secrecy::{ExposeSecret, SecretString};
use stripe_core::PaymentIntent;
use stripe_core::payment_intent::{CreatePaymentIntent, RetrievePaymentIntent};
use stripe_core::refund::{CreateRefund, ListRefund};
use uuid::Uuid;

use crate::outbox::backend::{ProviderRefund, RefundBackend};

/// A PaymentIntent as GoKart needs it.
#[derive(Debug, Clone)]
pub struct Intent {
    /// `pi_...`.
    pub id: String,
    /// What the browser confirms the payment with.
    pub client_secret: Option<String>,
    /// Stripe's status, e.g. `succeeded`.
    pub status: String,
}

impl From<PaymentIntent> for Intent {
    fn from(intent: PaymentIntent) -> Self {
        Intent {
            id: intent.id.to_string(),
            client_secret: intent.client_secret,
            status: intent.status.to_string(),
        }
    }
}

/// A configured Stripe client.
#[derive(Clone)]
pub struct Stripe {
    client: Client,
}

impl std::fmt::Debug for Stripe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stripe").finish_non_exhaustive()
    }
}

fn key(value: &str) -> anyhow::Result<RequestStrategy> {
    let key =
        IdempotencyKey::new(value).map_err(|err| anyhow::anyhow!("idempotency key: {err:?}"))?;
    Ok(RequestStrategy::Idempotent(key))
}

impl Stripe {
    /// A client for `secret_key`, talking to `api_base` when given (a local
    /// stand-in in tests) and to Stripe otherwise.
    pub fn new(secret_key: &SecretString, api_base: Option<&str>) -> anyhow::Result<Self> {
        let mut builder = ClientBuilder::new(secret_key.expose_secret());
        if let Some(base) = api_base {
            // The client appends `v1/...` to its base, which must end in `/`.
            builder = builder.url(format!("{}/", base.trim_end_matches('/')));
        }
        let client = builder.build().map_err(|err| anyhow::anyhow!("Stripe client: {err}"))?;
        Ok(Stripe { client })
    }

    /// Creates (or, for a repeated order id, finds again) the PaymentIntent
    /// for an order.
    pub async fn create_intent(
        &self,
        order: Uuid,
        amount: i64,
        currency: &str,
    ) -> anyhow::Result<Intent> {
        let currency: stripe_types::Currency =
            currency.parse().map_err(|_| anyhow::anyhow!("unknown currency {currency}"))?;
        let intent = CreatePaymentIntent::new(amount, currency)
            .metadata([("order_id".to_owned(), order.to_string())])
            .customize()
            .request_strategy(key(&format!("order-{order}"))?)
            .send(&self.client)
            .await
            .map_err(|err| anyhow::anyhow!("Stripe refused the PaymentIntent: {err}"))?;
        Ok(intent.into())
    }

    /// The current state of a PaymentIntent.
    pub async fn intent(&self, id: &str) -> anyhow::Result<Intent> {
        let intent = RetrievePaymentIntent::new(id)
            .send(&self.client)
            .await
            .map_err(|err| anyhow::anyhow!("Stripe could not find {id}: {err}"))?;
        Ok(intent.into())
    }

    /// Gives `refund.amount` of a PaymentIntent back, once per refund
    /// whatever the retries; Stripe's id for the refund. Stripe forgets an
    /// idempotency key after a day, so a refund sent again later (a dead
    /// letter retried) is first looked for among the PaymentIntent's
    /// refunds by its `refund_id`, and only made when it is not there.
    pub async fn refund(&self, refund: &ProviderRefund) -> anyhow::Result<String> {
        if let Some(made) = self.refund_made(refund).await? {
            return Ok(made);
        }
        let created = CreateRefund::new()
            .payment_intent(refund.intent.as_str())
            .amount(refund.amount)
            .metadata([
                ("order_id".to_owned(), refund.order.to_string()),
                ("refund_id".to_owned(), refund.id.to_string()),
            ])
            .customize()
            .request_strategy(key(&format!("refund-{}", refund.id))?)
            .send(&self.client)
            .await
            .map_err(|err| anyhow::anyhow!("Stripe refused the refund: {err}"))?;
        Ok(created.id.to_string())
    }

    /// Stripe's id for `refund`, when the PaymentIntent already has it.
    async fn refund_made(&self, refund: &ProviderRefund) -> anyhow::Result<Option<String>> {
        let ours = refund.id.to_string();
        let listed = ListRefund::new()
            .payment_intent(refund.intent.as_str())
            .limit(100)
            .send(&self.client)
            .await
            .map_err(|err| anyhow::anyhow!("Stripe could not list the refunds: {err}"))?;
        Ok(listed
            .data
            .into_iter()
            .find(|made| {
                made.metadata.as_ref().and_then(|metadata| metadata.get("refund_id")) == Some(&ours)
            })
            .map(|made| made.id.to_string()))
    }
}

impl RefundBackend for Stripe {
    fn refund<'a>(
        &'a self,
        refund: &'a ProviderRefund,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<String, String>> + Send + 'a>>
    {
        Box::pin(async move { Stripe::refund(self, refund).await.map_err(|err| err.to_string()) })
    }
}
