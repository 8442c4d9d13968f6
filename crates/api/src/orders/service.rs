//! Order use cases.

use chrono::Utc;
use gokart_domain::{Address, Email, OrderStatus, PaymentStatus, Violations};
use sqlx::PgConnection;
use uuid::Uuid;

use super::idempotency::{self, Claim, IdempotencyKey};
use super::refunds::{self, RefundAsk, RefundView};
use super::repository::{self as orders, ItemRow, OrderFilter, OrderRow};
use super::returns;
use super::view::{OrderSummary, OrderView};
use crate::addresses::repository as addresses;
use crate::auth::tokens::hash_opaque_token;
use crate::cart::repository::{self as carts, LineRow};
use crate::discounts::{self, Customer, Reason};
use crate::error::{Error, Result};
use crate::media::Urls;
use crate::orders::workflow::{self, Refund};
use crate::payments::Provider;
use crate::pricing::{self, Destination, Quote};
use crate::state::AppState;
use crate::webhooks::{self, StockMove};

/// A validated checkout request.
#[derive(Debug, Clone, Copy)]
pub struct Checkout {
    /// The caller's shipping address.
    pub shipping_address_id: Uuid,
    /// The caller's billing address.
    pub billing_address_id: Uuid,
}

/// Who checks out, and where the order goes.
#[derive(Debug, Clone)]
pub enum Buyer {
    /// A signed-in customer, to addresses from their book.
    Customer {
        /// The account.
        user: Uuid,
        /// Which addresses.
        addresses: Checkout,
    },
    /// A guest, with their cart's cookie, their email and inline addresses.
    Guest(Box<Guest>),
}

/// A guest's checkout.
#[derive(Debug, Clone)]
pub struct Guest {
    /// The `cart_token` cookie.
    pub cart_token: String,
    /// Where the order's emails go.
    pub email: Email,
    /// Shipping address.
    pub shipping: Address,
    /// Billing address.
    pub billing: Address,
}

impl Buyer {
    fn user(&self) -> Option<Uuid> {
        match self {
            Buyer::Customer { user, .. } => Some(*user),
            Buyer::Guest(_) => None,
        }
    }

    /// Who discount limits count.
    fn customer(&self) -> Customer {
        match self {
            Buyer::Customer { user, .. } => Customer { user: Some(*user), email: None },
            Buyer::Guest(guest) => {
                Customer { user: None, email: Some(guest.email.as_str().to_lowercase()) }
            }
        }
    }

    /// The request field that names the shipping address.
    fn shipping_field(&self) -> &'static str {
        match self {
            Buyer::Customer { .. } => "shipping_address_id",
            Buyer::Guest(_) => "shipping_address",
        }
    }
}

/// What the shopper chose besides the addresses.
#[derive(Debug, Clone, Copy, Default)]
pub struct Choices {
    /// The shipping method; `None`: the first the destination offers that
    /// takes the cart.
    pub shipping_method: Option<Uuid>,
    /// The total the shopper was shown; a different one now is a 409
    /// `price_changed`.
    pub expected_total: Option<i64>,
}

fn cart_empty() -> Error {
    Error::conflict("cart_empty", "the cart is empty")
}

/// Stripe's smallest charge in US cents.
const STRIPE_MINIMUM_CENTS: i64 = 50;

/// Who is acting on an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// The customer who placed it (must own it).
    Customer(Uuid),
    /// The guest who placed it, by its access token.
    Guest,
    /// An admin.
    Admin,
    /// The shop itself (maintenance).
    System,
}

impl Actor {
    fn name(self) -> &'static str {
        match self {
            Actor::Customer(_) => "customer",
            Actor::Guest => "guest",
            Actor::Admin => "admin",
            Actor::System => "system",
        }
    }

    fn owner(self) -> Option<Uuid> {
        match self {
            Actor::Customer(user) => Some(user),
            Actor::Guest | Actor::Admin | Actor::System => None,
        }
    }
}

/// The copy of an address book entry an order keeps.
fn address_snapshot(address: &Address) -> Result<serde_json::Value> {
    serde_json::to_value(address).map_err(|err| Error::Internal(err.into()))
}

/// A public order number: `GK-` and twelve random characters (60 bits) from
/// an alphabet without look-alikes.
fn new_order_number() -> String {
    const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let random = Uuid::new_v4().as_u128();
    let chars: String =
        (0..12).map(|i| char::from(ALPHABET[((random >> (i * 5)) & 31) as usize])).collect();
    format!("GK-{}-{}-{}", &chars[0..4], &chars[4..8], &chars[8..12])
}

/// Turns the caller's cart into an order in one transaction: prices are
/// copied, the totals computed, the order written, the cart emptied, and
/// (with the manual provider) the payment accepted and fulfillment queued in
/// the outbox. Only then are the variants locked (in id order), checked again
/// and their stock taken, so a best-seller stays locked for two statements and
/// the commit, not for the whole checkout. Any refusal changes nothing. With
/// `idempotency_key`, the answer is stored with it.
#[tracing::instrument(skip_all, fields(owner = %owner))]
async fn checkout(
    state: &AppState,
    buyer: &Buyer,
    choices: Choices,
    owner: Uuid,
    idempotency_key: Option<&str>,
) -> Result<OrderView> {
    if let Some(user) = buyer.user()
        && state.config.auth.checkout_requires_verified_email
        && !crate::users::repository::is_verified(&state.db, user).await?
    {
        return Err(Error::NotYet {
            code: "email_not_verified",
            message: "confirm your email address (follow the link we emailed you) to check out",
        });
    }
    // A price or availability change between the first read and the lock
    // starts the checkout again, so the order never charges a stale price.
    const ATTEMPTS: usize = 3;
    let mut placed = None;
    for _ in 0..ATTEMPTS {
        placed = place_order(state, buyer, choices, owner, idempotency_key).await?;
        if placed.is_some() {
            break;
        }
    }
    let Some(Placed { mut view, pays_now, total, currency }) = placed else {
        return Err(Error::conflict(
            "cart_changed",
            "prices in the cart kept changing during checkout; review the cart and try again",
        ));
    };

    if !pays_now {
        // After the commit, never inside it: Stripe is a network away.
        match start_stripe_payment(state, view.id, total, &currency).await {
            Ok(secret) => {
                view.client_secret = Some(secret);
                if let Some(key) = idempotency_key {
                    let body =
                        serde_json::to_value(&view).map_err(|err| Error::Internal(err.into()))?;
                    // The order exists either way: a failure here only means a
                    // replay rebuilds the secret.
                    if let Err(err) = idempotency::complete(&state.db, owner, key, 201, &body).await
                    {
                        tracing::warn!(error = %err, "could not store the client secret with the key");
                    }
                }
            }
            // The order stands; `POST /orders/{id}/payment` asks again, and an
            // order never paid expires and is restocked.
            Err(err) => {
                tracing::error!(error = %err, order = %view.id, "could not start the Stripe payment")
            }
        }
    }
    Ok(view)
}

/// What a checkout answers.
#[derive(Debug)]
pub enum CheckoutAnswer {
    /// A new order (201).
    Placed(Box<OrderView>),
    /// The answer stored with the same `Idempotency-Key` and body.
    Replayed {
        /// Its HTTP status.
        status: u16,
        /// Its body.
        body: serde_json::Value,
    },
}

/// Checkout as a client may safely retry it. With `key`, the first request
/// claims the key and its answer is stored with the order; a replay gets
/// that answer again; a checkout that fails frees the key for the retry.
pub async fn checkout_once(
    state: &AppState,
    buyer: &Buyer,
    choices: Choices,
    key: Option<IdempotencyKey>,
) -> Result<CheckoutAnswer> {
    // A customer's keys are theirs; a guest's belong to their cart.
    let owner = match buyer {
        Buyer::Customer { user, .. } => *user,
        Buyer::Guest(guest) => carts::guest_cart(&state.db, &hash_opaque_token(&guest.cart_token))
            .await?
            .ok_or_else(cart_empty)?,
    };
    let Some(key) = key else {
        let order = checkout(state, buyer, choices, owner, None).await?;
        return Ok(CheckoutAnswer::Placed(Box::new(with_access(state, buyer, order))));
    };
    match idempotency::claim(&state.db, owner, &key.key, &key.fingerprint).await? {
        Claim::Replay { status, body } => {
            let body = match buyer {
                Buyer::Customer { user, .. } => with_payment_secret(state, *user, body).await,
                Buyer::Guest(_) => with_access_token(state, body),
            };
            Ok(CheckoutAnswer::Replayed { status, body })
        }
        Claim::Fresh => match checkout(state, buyer, choices, owner, Some(&key.key)).await {
            Ok(order) => Ok(CheckoutAnswer::Placed(Box::new(with_access(state, buyer, order)))),
            Err(err) => {
                idempotency::release(&state.db, owner, &key.key).await?;
                Err(err)
            }
        },
    }
}

/// A guest's order answer carries its access token (derived from the order
/// id, so it is never stored, not even with an idempotency key's answer).
fn with_access(state: &AppState, buyer: &Buyer, mut order: OrderView) -> OrderView {
    if let Buyer::Guest(_) = buyer {
        order.order_token = Some(state.links.order_token(order.id));
    }
    order
}

/// [`with_access`] for a stored answer.
fn with_access_token(state: &AppState, mut body: serde_json::Value) -> serde_json::Value {
    if let Some(order) = body["id"].as_str().and_then(|id| Uuid::parse_str(id).ok()) {
        body["order_token"] = state.links.order_token(order).into();
    }
    body
}

/// A stored answer for a Stripe order still awaiting payment, with its
/// client secret, even if the answer was stored before the secret existed.
async fn with_payment_secret(
    state: &AppState,
    user: Uuid,
    mut body: serde_json::Value,
) -> serde_json::Value {
    let awaiting = body["payment_method"] == "stripe" && body["status"] == "pending_payment";
    if let Some(order) = body["id"].as_str().and_then(|id| Uuid::parse_str(id).ok())
        && awaiting
        && body.get("client_secret").is_none()
        && let Ok(secret) = payment_secret(state, user, order).await
    {
        body["client_secret"] = secret.into();
    }
    body
}

/// A committed order, and what paying for it needs.
struct Placed {
    view: OrderView,
    pays_now: bool,
    total: i64,
    currency: String,
}

/// One checkout transaction; `None` (and nothing written) when a product's
/// price or availability, or an automatic promotion, changed after it was
/// read.
async fn place_order(
    state: &AppState,
    buyer: &Buyer,
    choices: Choices,
    owner: Uuid,
    idempotency_key: Option<&str>,
) -> Result<Option<Placed>> {
    let provider = state.config.payments.provider;
    let mut tx = state.db.begin().await?;
    let (shipping, billing) = match buyer {
        Buyer::Customer { user, addresses } => own_addresses(&mut tx, *user, *addresses).await?,
        Buyer::Guest(guest) => (guest.shipping.clone(), guest.billing.clone()),
    };
    let (cart, lines) = cart_lines(&mut tx, buyer).await?;
    let customer = buyer.customer();
    let destination =
        Destination { country: shipping.country.clone(), region: shipping.state.clone() };
    let now = Utc::now();
    let request = pricing::Request {
        lines: &lines,
        destination: Some(&destination),
        shipping_method: choices.shipping_method,
        cart: Some(cart),
        customer: &customer,
        now,
    };
    let quote = pricing::quote(&mut tx, request).await?;
    check_quote(&quote, buyer, &destination, choices.expected_total)?;
    let total = quote.priced.total;
    // Nothing to charge is paid at once, whatever the provider; Stripe
    // refuses charges under 50 cents.
    let pays_now = provider == Provider::Manual || total == 0;
    if !pays_now && total < STRIPE_MINIMUM_CENTS {
        return Err(Error::conflict("amount_below_minimum", "card payments start at 0.50"));
    }
    let order = new_order(buyer.user(), provider, &shipping, &billing, &quote, now)?;
    let order = write_order(&mut tx, order, &lines, &quote, state.media_urls()).await?;
    if let Buyer::Guest(guest) = buyer {
        let token = state.links.order_token(order.id);
        orders::set_guest(&mut *tx, order.id, guest.email.as_str(), &hash_opaque_token(&token))
            .await?;
    }
    workflow::placed(&mut tx, &order).await?;
    if pays_now {
        // The manual provider accepts payment at once, in this same transaction.
        workflow::confirm_payment(&mut tx, &order, "payment accepted").await?;
    }
    carts::clear(&mut *tx, cart).await?;
    let view = answer(&mut tx, order.id, owner, idempotency_key).await?;
    if !take_stock(&mut tx, &lines, state.config.low_stock_threshold).await? {
        return Ok(None);
    }
    // Last, like the stock: a limited discount's row stays locked for the
    // commit only.
    let used: Vec<_> = quote.used.iter().collect();
    if let Err(gone) = discounts::redeem(&mut tx, &used, order.id, &customer).await? {
        return match quote.used.iter().find(|d| d.id == gone).and_then(|d| d.rule.code.clone()) {
            Some(code) => Err(Error::conflict(
                "discount_exhausted",
                format!("the code {code} has just been used up; remove it to check out without it"),
            )),
            // An automatic promotion ran out: price the cart again.
            None => Ok(None),
        };
    }
    tx.commit().await?;
    Ok(Some(Placed { view, pays_now, total: order.total_amount, currency: order.currency }))
}

/// Refuses a checkout whose quote cannot be charged: a destination nothing
/// ships to, a code on the cart that may no longer be used, or a total
/// other than the one the shopper saw.
fn check_quote(
    quote: &Quote,
    buyer: &Buyer,
    destination: &Destination,
    expected_total: Option<i64>,
) -> Result<()> {
    if quote.method.is_none() {
        let message =
            format!("we do not ship to {} (no shipping method serves it)", destination.country);
        return Err(Error::invalid(buyer.shipping_field(), &message));
    }
    for code in &quote.codes {
        let refused = match code.reason {
            Some(Reason::Exhausted) => Some("discount_exhausted"),
            Some(Reason::Expired) => Some("discount_expired"),
            Some(Reason::NotStarted) => Some("discount_not_started"),
            _ => None,
        };
        if let (Some(status), Some(reason)) = (refused, code.reason) {
            return Err(Error::conflict(
                status,
                format!("{}: {}; remove it to check out without it", code.code, reason.explain()),
            ));
        }
    }
    if let Some(expected) = expected_total
        && expected != quote.priced.total
    {
        return Err(Error::conflict(
            "price_changed",
            format!(
                "the total is now {} (you were shown {}); review the cart and try again",
                quote.money(quote.priced.total),
                quote.money(expected)
            ),
        ));
    }
    Ok(())
}

/// The caller's shipping and billing addresses; one that is not in their
/// book is a 422 naming it.
async fn own_addresses(
    tx: &mut PgConnection,
    user: Uuid,
    request: Checkout,
) -> Result<(Address, Address)> {
    let (shipping, billing) = addresses::find_two(
        &mut *tx,
        user,
        request.shipping_address_id,
        request.billing_address_id,
    )
    .await?;
    let mut violations = Violations::new();
    if shipping.is_none() {
        violations.add("shipping_address_id", "no such address in your address book");
    }
    if billing.is_none() {
        violations.add("billing_address_id", "no such address in your address book");
    }
    match (shipping, billing) {
        (Some(shipping), Some(billing)) => Ok((Address::from(&shipping), Address::from(&billing))),
        _ => Err(violations.into()),
    }
}

/// The buyer's locked cart and its lines as read now (unlocked), each on
/// sale and in stock, or a 409 saying what is not.
async fn cart_lines(tx: &mut PgConnection, buyer: &Buyer) -> Result<(Uuid, Vec<LineRow>)> {
    let empty = cart_empty;
    // Locked, so one buyer's checkouts run one at a time.
    let cart = match buyer {
        Buyer::Customer { user, .. } => carts::lock_user_cart(&mut *tx, *user).await?,
        Buyer::Guest(guest) => {
            carts::lock_guest_cart(&mut *tx, &hash_opaque_token(&guest.cart_token)).await?
        }
    }
    .ok_or_else(empty)?;
    // Read unlocked: checkout prices from this read and locks the variants
    // only at the end, in id order.
    let mut lines = carts::lines(&mut *tx, cart).await?;
    lines.sort_unstable_by_key(|line| line.variant_id);
    if lines.is_empty() {
        return Err(empty());
    }
    let read: Vec<_> = lines.iter().map(|line| (line, line.stock_quantity, line.on_sale)).collect();
    check_lines(&read)?;
    Ok((cart, lines))
}

/// A new order (of `user`'s, or a guest's), awaiting payment, priced by
/// `quote`, before it is stored.
fn new_order(
    user: Option<Uuid>,
    provider: Provider,
    shipping: &Address,
    billing: &Address,
    quote: &Quote,
    now: chrono::DateTime<Utc>,
) -> Result<OrderRow> {
    let totals = &quote.priced;
    let method = quote.method.as_ref();
    let delivery = method.and_then(|m| {
        let days = u64::try_from(m.estimated_days_max).ok()?;
        now.date_naive().checked_add_days(chrono::Days::new(days))
    });
    Ok(OrderRow {
        id: Uuid::now_v7(),
        order_number: new_order_number(),
        user_id: user,
        status: OrderStatus::PendingPayment,
        payment_status: PaymentStatus::Pending,
        payment_method: provider.method().to_owned(),
        shipping_address: address_snapshot(shipping)?,
        billing_address: address_snapshot(billing)?,
        currency: totals.currency.as_str().to_owned(),
        subtotal_amount: totals.subtotal,
        tax_amount: totals.tax,
        shipping_amount: totals.shipping,
        discount_amount: totals.discount,
        total_amount: totals.total,
        tracking_number: None,
        estimated_delivery_date: delivery,
        shipping_method_id: method.map(|m| m.id),
        shipping_method_name: method.map(|m| m.name.clone()),
        adjustments: serde_json::to_value(&quote.adjustments)
            .map_err(|err| Error::Internal(err.into()))?,
        prices_include_tax: quote.prices_include_tax,
        carrier: None,
        // Placeholders: the database stamps the stored row.
        created_at: now,
        updated_at: now,
    })
}

/// Stores `order` with the items of `lines`, drawing another order number
/// in the rare case of a collision (60 random bits).
async fn write_order(
    tx: &mut PgConnection,
    mut order: OrderRow,
    lines: &[LineRow],
    quote: &Quote,
    urls: Urls<'_>,
) -> Result<OrderRow> {
    let mut attempts = 0;
    loop {
        match orders::insert_order_in_savepoint(&mut *tx, &order).await {
            Ok(()) => break,
            Err(sqlx::Error::Database(db))
                if db.constraint() == Some("orders_order_number_key") && attempts < 5 =>
            {
                attempts += 1;
                order.order_number = new_order_number();
            }
            Err(err) => return Err(err.into()),
        }
    }
    let items: Vec<ItemRow> = lines
        .iter()
        .enumerate()
        .map(|(index, line)| (line, quote.line(index)))
        .map(|(line, priced)| ItemRow {
            id: Uuid::now_v7(),
            product_id: line.product_id,
            variant_id: line.variant_id,
            name: line.name.clone(),
            sku: line.sku.clone(),
            options: line.options.clone(),
            image: line.image(urls),
            media_id: line.photo(),
            unit_price_amount: line.price_amount,
            quantity: line.quantity,
            line_total_amount: line.price_amount * i64::from(line.quantity),
            discount_amount: priced.map_or(0, |p| p.discount),
            tax_amount: priced.map_or(0, |p| p.tax),
            tax_rate_bps: priced.map_or(0, |p| i32::try_from(p.tax_rate_bps).unwrap_or(0)),
        })
        .collect();
    orders::insert_items(&mut *tx, order.id, &items).await?;
    Ok(order)
}

/// The order exactly as a later GET will show it, stored with the
/// idempotency key when there is one.
async fn answer(
    tx: &mut PgConnection,
    id: Uuid,
    owner: Uuid,
    idempotency_key: Option<&str>,
) -> Result<OrderView> {
    let whole = orders::find_whole(&mut *tx, id, None).await?.ok_or(Error::NotFound("order"))?;
    // A new order has no refunds.
    let view = OrderView::new(whole, Vec::new())?;
    if let Some(key) = idempotency_key {
        let body = serde_json::to_value(&view).map_err(|err| Error::Internal(err.into()))?;
        idempotency::complete(&mut *tx, owner, key, 201, &body).await?;
    }
    Ok(view)
}

/// Last in the transaction: locks the variants (in id order), checks them
/// again and takes the stock; `false` when a price or availability moved
/// since the lines were read.
async fn take_stock(tx: &mut PgConnection, lines: &[LineRow], low_stock: i32) -> Result<bool> {
    let ids: Vec<Uuid> = lines.iter().map(|line| line.variant_id).collect();
    let locked = orders::lock_variants(&mut *tx, &ids).await?;
    let unchanged = locked.len() == lines.len()
        && locked.iter().zip(lines).all(|(now, then)| {
            now.id == then.variant_id
                && now.price_amount == then.price_amount
                && now.on_sale == then.on_sale
        });
    if !unchanged {
        return Ok(false);
    }
    let now: Vec<_> =
        lines.iter().zip(&locked).map(|(line, now)| (line, now.stock_quantity, true)).collect();
    check_lines(&now)?;
    let taken: Vec<i32> = lines.iter().map(|line| -line.quantity).collect();
    orders::move_stock(&mut *tx, &ids, &taken).await?;
    let moves: Vec<StockMove<'_>> = lines
        .iter()
        .zip(&locked)
        .map(|(line, now)| StockMove {
            variant_id: line.variant_id,
            product_id: line.product_id,
            sku: &line.sku,
            before: now.stock_quantity,
            after: now.stock_quantity - line.quantity,
        })
        .collect();
    webhooks::emit(&mut *tx, &webhooks::inventory_low(&moves, low_stock)).await?;
    Ok(true)
}

/// The order's PaymentIntent, created on first use (the order id is
/// Stripe's idempotency key) and found again afterwards; returns its client
/// secret. Stripe being unreachable is a 503.
async fn start_stripe_payment(
    state: &AppState,
    order: Uuid,
    amount: i64,
    currency: &str,
) -> Result<String> {
    let stripe = state.stripe.as_ref().ok_or(Error::Unavailable("Stripe is not configured"))?;
    let unavailable = |err: anyhow::Error| {
        tracing::error!(error = %err, %order, "Stripe call failed");
        Error::Unavailable("the payment service is unreachable; try again")
    };
    let intent = match orders::payment_reference(&state.db, order).await? {
        Some(reference) => stripe.intent(&reference).await.map_err(unavailable)?,
        None => {
            let intent =
                stripe.create_intent(order, amount, currency).await.map_err(unavailable)?;
            orders::set_payment_reference(&state.db, order, &intent.id).await?;
            intent
        }
    };
    intent
        .client_secret
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("PaymentIntent without client secret")))
}

/// The client secret to pay one of the caller's unpaid Stripe orders with.
pub async fn payment_secret(state: &AppState, user: Uuid, id: Uuid) -> Result<String> {
    owned_payment_secret(state, Some(user), id).await
}

/// [`payment_secret`] for the guest order that `token` opens.
pub async fn payment_secret_by_token(state: &AppState, token: &str) -> Result<String> {
    let id = orders::find_by_access(&state.db, &hash_opaque_token(token))
        .await?
        .ok_or(Error::NotFound("order"))?;
    owned_payment_secret(state, None, id).await
}

async fn owned_payment_secret(state: &AppState, owner: Option<Uuid>, id: Uuid) -> Result<String> {
    let order = orders::find(&state.db, id, owner, false).await?.ok_or(Error::NotFound("order"))?;
    if order.payment_method != Provider::Stripe.method()
        || order.status != OrderStatus::PendingPayment
    {
        return Err(Error::conflict("nothing_to_pay", "this order is not awaiting a card payment"));
    }
    start_stripe_payment(state, order.id, order.total_amount, &order.currency).await
}

/// Refuses lines off sale or short of stock; each line comes with the stock
/// and availability it is judged by.
fn check_lines(lines: &[(&LineRow, i32, bool)]) -> Result<()> {
    if let Some((line, _, _)) = lines.iter().find(|(_, _, on_sale)| !on_sale) {
        return Err(Error::conflict(
            "product_unavailable",
            format!("{} is no longer on sale; remove it from the cart", line.name),
        ));
    }
    if let Some((line, stock, _)) = lines.iter().find(|(line, stock, _)| line.quantity > *stock) {
        return Err(Error::conflict(
            "insufficient_stock",
            format!("only {stock} of {} in stock", line.name),
        ));
    }
    Ok(())
}

/// An order with its items and timeline; `owner` limits it to theirs.
pub async fn find(state: &AppState, id: Uuid, owner: Option<Uuid>) -> Result<OrderView> {
    let whole = orders::find_whole(&state.db, id, owner).await?.ok_or(Error::NotFound("order"))?;
    OrderView::new(whole, refunds::for_order(&state.db, id).await?)
}

/// The order that `token` (a guest's order token) opens.
pub async fn find_by_token(state: &AppState, token: &str) -> Result<OrderView> {
    let id = orders::find_by_access(&state.db, &hash_opaque_token(token))
        .await?
        .ok_or(Error::NotFound("order"))?;
    find(state, id, None).await
}

/// Cancels the order that `token` opens, while cancellation is allowed.
pub async fn cancel_by_token(state: &AppState, token: &str) -> Result<OrderView> {
    let id = orders::find_by_access(&state.db, &hash_opaque_token(token))
        .await?
        .ok_or(Error::NotFound("order"))?;
    cancel(state, id, Actor::Guest, "cancelled by the guest who placed it").await
}

/// A page of orders matching `filter`, newest first, and the total.
pub async fn list(
    state: &AppState,
    filter: &OrderFilter,
    page: gokart_domain::PageRequest,
    with_user: bool,
) -> Result<(Vec<OrderSummary>, i64)> {
    let rows = orders::list(&state.db, filter, page.limit(), page.offset()).await?;
    let total = orders::count(&state.db, filter).await?;
    let summaries = rows
        .into_iter()
        .map(|row| OrderSummary::from_row(row, with_user))
        .collect::<Result<_>>()?;
    Ok((summaries, total))
}

/// Cancels an order before it ships: stock goes back, a taken payment is
/// refunded, and the timeline says who and why. Cancelling a cancelled
/// order changes nothing.
#[tracing::instrument(skip_all, fields(order = %id, actor = actor.name()))]
pub async fn cancel(state: &AppState, id: Uuid, actor: Actor, reason: &str) -> Result<OrderView> {
    let mut tx = state.db.begin().await?;
    let order =
        orders::find(&mut *tx, id, actor.owner(), true).await?.ok_or(Error::NotFound("order"))?;
    if actor == Actor::System && order.status != OrderStatus::PendingPayment {
        // Paid (or cancelled) since it was picked for expiry: leave it be.
        return Err(Error::conflict(
            "order_not_pending",
            "the order is no longer awaiting payment",
        ));
    }
    workflow::cancel(&mut tx, &order, actor.name(), reason, Refund::of(&order)).await?;
    tx.commit().await?;
    // Try the refund now; if Stripe is down, maintenance retries it.
    if let Err(err) = crate::payments::refunds::process_due(state, Some(id)).await {
        tracing::warn!(error = %err, "refund not sent yet");
    }
    find(state, id, actor.owner()).await
}

/// An order as staff see it: with who did what, and their notes.
pub async fn find_for_staff(state: &AppState, id: Uuid) -> Result<OrderView> {
    let whole = orders::find_whole(&state.db, id, None).await?.ok_or(Error::NotFound("order"))?;
    OrderView::for_staff(whole, refunds::for_order(&state.db, id).await?)
}

/// What an admin does to an order after it is placed.
#[derive(Debug, Clone)]
pub enum AdminAction {
    /// A note on the timeline for staff.
    Note(String),
    /// Send it elsewhere, before it ships.
    ShippingAddress(Address),
    /// Mark it shipped, by hand.
    Ship {
        /// Who carries it.
        carrier: String,
        /// Their tracking number.
        tracking_number: String,
    },
    /// The customer's email for a status it reached, again.
    ResendEmail(OrderStatus),
}

/// Applies `action` by `admin` to order `id`, on its timeline with the
/// admin's email; the order as staff see it.
#[tracing::instrument(skip_all, fields(order = %id))]
pub async fn admin_action(
    state: &AppState,
    id: Uuid,
    admin: Uuid,
    action: AdminAction,
) -> Result<OrderView> {
    let actor = admin_actor(state, admin).await?;
    let mut tx = state.db.begin().await?;
    let order = orders::find(&mut *tx, id, None, true).await?.ok_or(Error::NotFound("order"))?;
    match &action {
        AdminAction::Note(note) => workflow::note(&mut tx, &order, &actor, note).await?,
        AdminAction::ShippingAddress(address) => {
            let address = address_snapshot(address)?;
            workflow::change_shipping_address(&mut tx, &order, &address, &actor).await?;
        }
        AdminAction::Ship { carrier, tracking_number } => {
            workflow::ship_by_hand(&mut tx, &order, &actor, carrier, tracking_number).await?;
        }
        AdminAction::ResendEmail(status) => {
            workflow::resend_email(&mut tx, &order, *status, &actor).await?;
        }
    }
    tx.commit().await?;
    find_for_staff(state, id).await
}

/// How the timeline names `admin`: `admin <email>`.
async fn admin_actor(state: &AppState, admin: Uuid) -> Result<String> {
    let email = crate::users::repository::find(&state.db, admin)
        .await?
        .map_or_else(|| admin.to_string(), |user| user.email);
    Ok(format!("admin {email}"))
}

/// Gives back what `ask` says of order `id`'s payment, as `admin` asked for
/// `reason`: worked out and written under the order's lock, so refunds
/// never give back more than was paid; through Stripe it is sent at once
/// (or by the relay, if Stripe is down). The refund, as staff see it.
#[tracing::instrument(skip_all, fields(order = %id))]
pub async fn refund(
    state: &AppState,
    id: Uuid,
    admin: Uuid,
    ask: &RefundAsk,
    reason: &str,
) -> Result<RefundView> {
    let actor = admin_actor(state, admin).await?;
    let mut tx = state.db.begin().await?;
    let order = orders::find(&mut *tx, id, None, true).await?.ok_or(Error::NotFound("order"))?;
    if matches!(order.payment_status, PaymentStatus::Pending | PaymentStatus::Failed) {
        return Err(Error::conflict("order_not_paid", "nothing was paid for this order yet"));
    }
    let items = orders::items(&mut *tx, id).await?;
    let refunded = refunds::refunded(&mut *tx, id).await?;
    let planned = refunds::plan(&order, &items, &refunded, ask)?;
    workflow::refund(&mut tx, &order, &planned, workflow::Asked { actor: &actor, reason }).await?;
    tx.commit().await?;
    if Refund::of(&order) == Refund::ByProvider
        && let Err(err) = crate::payments::refunds::process_due(state, Some(id)).await
    {
        tracing::warn!(error = %err, "refund not sent yet");
    }
    let stored =
        refunds::find(&state.db, id, planned.id).await?.ok_or(Error::NotFound("refund"))?;
    let currency =
        gokart_domain::Currency::parse(&order.currency).unwrap_or(gokart_domain::Currency::USD);
    Ok(RefundView::new(stored, currency, true))
}

/// Who opens an order: its owner (signed in), or the guest holding its
/// token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderAccess {
    /// The signed-in customer.
    Owner(Uuid),
    /// The token of a guest's order.
    Guest(String),
}

impl OrderAccess {
    /// Order `id` if `self` opens it: its owner to limit a lookup to, and
    /// how the timeline names the caller. Any other order is a 404.
    async fn opens(&self, state: &AppState, id: Uuid) -> Result<(Option<Uuid>, &'static str)> {
        match self {
            OrderAccess::Owner(user) => Ok((Some(*user), Actor::Customer(*user).name())),
            OrderAccess::Guest(token) => {
                let opened = orders::find_by_access(&state.db, &hash_opaque_token(token)).await?;
                if opened != Some(id) {
                    return Err(Error::NotFound("order"));
                }
                Ok((None, Actor::Guest.name()))
            }
        }
    }
}

/// Asks to return `asked` of order `id`, which `access` opens: within the
/// return window after delivery, and never more units than were delivered
/// less those in other returns (checked under the order's lock). The new
/// return.
#[tracing::instrument(skip_all, fields(order = %id))]
pub async fn request_return(
    state: &AppState,
    id: Uuid,
    access: &OrderAccess,
    asked: &[returns::UnitsReturned],
) -> Result<returns::ReturnView> {
    let (owner, actor) = access.opens(state, id).await?;
    let mut tx = state.db.begin().await?;
    let order = orders::find(&mut *tx, id, owner, true).await?.ok_or(Error::NotFound("order"))?;
    let items = orders::items(&mut *tx, id).await?;
    let window = state.config.orders.return_window;
    let made = returns::request(&mut tx, &order, &items, asked, actor, window).await?;
    tx.commit().await?;
    returns::find(&state.db, made).await?.ok_or(Error::NotFound("return"))
}

/// The returns of order `id`, which `access` opens, oldest first.
pub async fn returns_of(
    state: &AppState,
    id: Uuid,
    access: &OrderAccess,
) -> Result<Vec<returns::ReturnView>> {
    let (owner, _) = access.opens(state, id).await?;
    orders::find(&state.db, id, owner, false).await?.ok_or(Error::NotFound("order"))?;
    returns::for_order(&state.db, id).await
}

/// Applies `action` by `admin` to return `id`, under its order's lock; a
/// refund through Stripe is sent at once (or by the relay, if Stripe is
/// down). The return as it is now.
#[tracing::instrument(skip_all, fields(return_id = %id))]
pub async fn act_on_return(
    state: &AppState,
    id: Uuid,
    admin: Uuid,
    action: &returns::ReturnAction,
) -> Result<returns::ReturnView> {
    let actor = admin_actor(state, admin).await?;
    let found = returns::find(&state.db, id).await?.ok_or(Error::NotFound("return"))?;
    let mut tx = state.db.begin().await?;
    let order = orders::find(&mut *tx, found.order_id, None, true)
        .await?
        .ok_or(Error::NotFound("order"))?;
    // Read again under the order's lock, which every change to it takes.
    let current = returns::find(&mut *tx, id).await?.ok_or(Error::NotFound("return"))?;
    returns::act(&mut tx, &order, &current, action, &actor).await?;
    tx.commit().await?;
    if matches!(action, returns::ReturnAction::Refund { .. })
        && Refund::of(&order) == Refund::ByProvider
        && let Err(err) = crate::payments::refunds::process_due(state, Some(order.id)).await
    {
        tracing::warn!(error = %err, "refund not sent yet");
    }
    returns::find(&state.db, id).await?.ok_or(Error::NotFound("return"))
}

/// Asks Stripe about unpaid Stripe orders and applies any payment whose
/// webhook has not arrived, so "paid but still pending" cannot persist.
pub async fn reconcile_stripe(state: &AppState) -> Result<u64> {
    let Some(stripe) = &state.stripe else {
        return Ok(0);
    };
    let mut reconciled = 0;
    for (_, intent) in orders::pending_stripe_orders(&state.db, 500).await? {
        let status = match stripe.intent(&intent).await {
            Ok(found) => found.status,
            Err(err) => {
                tracing::warn!(error = %err, "could not ask Stripe about a pending payment");
                continue;
            }
        };
        if status == "succeeded" {
            let mut tx = state.db.begin().await?;
            if let Some(order) = orders::find_by_payment_reference(&mut *tx, &intent).await? {
                workflow::payment_succeeded(&mut tx, &order).await?;
                reconciled += 1;
            }
            tx.commit().await?;
        }
    }
    Ok(reconciled)
}

/// Cancels and restocks unpaid orders older than the configured threshold,
/// each in its own transaction; how many were cancelled.
pub async fn expire_unpaid(state: &AppState) -> Result<u64> {
    let threshold = state.config.orders.pending_order_expiry.as_secs_f64();
    let mut cancelled = 0;
    loop {
        let batch = orders::expired_pending(&state.db, threshold, 100).await?;
        if batch.is_empty() {
            return Ok(cancelled);
        }
        for id in batch {
            match cancel(state, id, Actor::System, "payment not received in time").await {
                Ok(_) => cancelled += 1,
                // Paid meanwhile: nothing to expire.
                Err(Error::Conflict { .. }) => {}
                Err(err) => return Err(err),
            }
        }
    }
}
