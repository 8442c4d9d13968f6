//! Cart use cases. Every change to a cart runs in a transaction holding
//! that cart's row lock, so concurrent requests on one cart neither lose
//! updates nor duplicate lines.

use std::time::Duration;

use sqlx::PgConnection;
use uuid::Uuid;

use super::owner::CartOwner;
use super::repository::{self, Item, LineRow};
use crate::auth::tokens::{hash_opaque_token as hash_token, new_opaque_token as new_token};
use crate::discounts::{self, Customer, Reason};
use crate::error::{Error, Result};
use crate::pricing::{self, Destination, Quote};
use crate::shipping::MethodRow;
use crate::state::AppState;
use gokart_domain::Currency;

/// Most units of one product per line.
pub const MAX_QUANTITY: i32 = 99;
/// Most lines per cart.
pub const MAX_LINES: i64 = 100;

/// A cart as it stands: its lines and what they cost.
#[derive(Debug)]
pub struct Priced {
    /// The cart's lines now.
    pub lines: Vec<LineRow>,
    /// What they cost.
    pub quote: Quote,
}

/// A cart after a change, and the new guest token if one was issued.
#[derive(Debug)]
pub struct Changed {
    /// The cart now.
    pub cart: Priced,
    /// A fresh `cart_token` to set, when a guest cart was just created.
    pub new_guest_token: Option<String>,
}

impl From<Priced> for Changed {
    fn from(cart: Priced) -> Self {
        Changed { cart, new_guest_token: None }
    }
}

/// Who the discount limits count for this owner (a guest's email is not
/// known before checkout).
pub fn customer_of(owner: &CartOwner) -> Customer {
    match owner {
        CartOwner::User(user) => Customer { user: Some(*user), email: None },
        CartOwner::Guest(_) => Customer::default(),
    }
}

/// Cart `cart`'s lines (none for no cart).
async fn contents(db: &mut PgConnection, cart: Option<Uuid>) -> Result<Vec<LineRow>> {
    Ok(match cart {
        Some(cart) => repository::lines(&mut *db, cart).await?,
        None => Vec::new(),
    })
}

/// Cart `cart`'s lines (none for no cart) priced for `destination` with
/// `shipping_method`, with the codes on the cart.
async fn price_cart(
    db: &mut PgConnection,
    owner: &CartOwner,
    cart: Option<Uuid>,
    destination: Option<&Destination>,
    shipping_method: Option<Uuid>,
) -> Result<Priced> {
    let lines = contents(db, cart).await?;
    let customer = customer_of(owner);
    let request = pricing::Request {
        lines: &lines,
        destination,
        shipping_method,
        cart,
        customer: &customer,
        now: chrono::Utc::now(),
    };
    let quote = pricing::quote(&mut *db, request).await?;
    Ok(Priced { lines, quote })
}

/// The owner's cart priced for `destination` (the same breakdown checkout
/// charges); a visitor without a cart gets an empty one, and nothing is
/// written.
pub async fn view(
    state: &AppState,
    owner: &CartOwner,
    destination: Option<&Destination>,
    shipping_method: Option<Uuid>,
) -> Result<Priced> {
    let cart = existing_cart(state, owner).await?;
    let mut db = state.db.acquire().await?;
    price_cart(&mut db, owner, cart, destination, shipping_method).await
}

/// The shipping methods that serve `destination`, each with what it
/// charges for the owner's cart, in the zone's order.
pub async fn shipping_options(
    state: &AppState,
    owner: &CartOwner,
    destination: &Destination,
) -> Result<(Vec<(MethodRow, i64)>, Currency)> {
    let cart = existing_cart(state, owner).await?;
    let mut db = state.db.acquire().await?;
    let lines = contents(&mut db, cart).await?;
    let customer = customer_of(owner);
    let request = pricing::Request {
        lines: &lines,
        destination: Some(destination),
        shipping_method: None,
        cart,
        customer: &customer,
        now: chrono::Utc::now(),
    };
    pricing::shipping_options(&mut db, request).await
}

/// Applies discount `code` to the owner's cart (created if missing): a code
/// that does not apply to it now is a 422 with the reason, and nothing is
/// written.
#[tracing::instrument(skip_all)]
pub async fn apply_code(state: &AppState, owner: &CartOwner, code: &str) -> Result<Changed> {
    let mut tx = state.db.begin().await?;
    let discount = discounts::by_code(&mut *tx, code).await?;
    let Some(discount) = discount.filter(|d| !d.rule.automatic) else {
        return Err(Reason::Unknown.into());
    };
    let (cart, new_guest_token) = open_cart(&mut tx, owner).await?;
    if !discounts::add_to_cart(&mut tx, cart, discount.id).await? {
        return Err(Error::invalid("code", "a cart holds at most 5 discount codes"));
    }
    let priced = price_cart(&mut tx, owner, Some(cart), None, None).await?;
    let status =
        priced.quote.codes.iter().find(|c| Some(c.code.as_str()) == discount.rule.code.as_deref());
    // Kept even when another discount wins: it applies once the cart changes.
    if let Some(reason) = status.and_then(|c| c.reason).filter(|r| *r != Reason::NotCombinable) {
        return Err(reason.into());
    }
    tx.commit().await?;
    Ok(Changed { cart: priced, new_guest_token })
}

/// Takes discount `code` off the owner's cart; 404 when it is not on it.
#[tracing::instrument(skip_all)]
pub async fn remove_code(state: &AppState, owner: &CartOwner, code: &str) -> Result<Priced> {
    let mut tx = state.db.begin().await?;
    let cart = lock_existing(&mut tx, owner).await?;
    if !discounts::remove_from_cart(&mut *tx, cart, code).await? {
        return Err(Error::NotFound("discount code on this cart"));
    }
    let priced = price_cart(&mut tx, owner, Some(cart), None, None).await?;
    tx.commit().await?;
    Ok(priced)
}

async fn existing_cart(state: &AppState, owner: &CartOwner) -> Result<Option<Uuid>> {
    match owner {
        CartOwner::User(user) => repository::user_cart(&state.db, *user).await,
        CartOwner::Guest(Some(token)) => {
            repository::guest_cart(&state.db, &hash_token(token)).await
        }
        CartOwner::Guest(None) => Ok(None),
    }
}

/// The owner's cart, locked, created if missing. A guest token that names
/// no cart (expired, merged, tampered with) is replaced, never an error.
async fn open_cart(tx: &mut PgConnection, owner: &CartOwner) -> Result<(Uuid, Option<String>)> {
    match owner {
        CartOwner::User(user) => Ok((repository::open_user_cart(&mut *tx, *user).await?, None)),
        CartOwner::Guest(token) => {
            if let Some(token) = token
                && let Some(cart) =
                    repository::lock_guest_cart(&mut *tx, &hash_token(token)).await?
            {
                return Ok((cart, None));
            }
            let token = new_token();
            let cart = repository::create_guest_cart(&mut *tx, &hash_token(&token)).await?;
            Ok((cart, Some(token)))
        }
    }
}

fn check_quantity(wanted: i32, stock: i32) -> Result<()> {
    if wanted > MAX_QUANTITY {
        return Err(Error::invalid("quantity", "a cart line holds at most 99 units"));
    }
    if wanted > stock {
        return Err(Error::conflict("insufficient_stock", format!("only {stock} in stock")));
    }
    Ok(())
}

/// The one item of `items` that `id` names, or why there is none.
fn one_of<T: Copy>(items: &[T], field: &'static str, missing: &'static str) -> Result<T> {
    match items {
        [] => Err(Error::NotFound(missing)),
        [one] => Ok(*one),
        _ => Err(Error::variant_required(field)),
    }
}

/// Adds `quantity` of a variant (named by its id, or by its product's id
/// when the product has one variant on sale), to its existing line if there
/// is one. A product with several variants on sale is a 422
/// `variant_required`.
#[tracing::instrument(skip_all, fields(item = ?item))]
pub async fn add(
    state: &AppState,
    owner: &CartOwner,
    item: Item,
    quantity: i32,
) -> Result<Changed> {
    let mut tx = state.db.begin().await?;
    let variants = repository::variants_on_sale(&mut *tx, item).await?;
    let variant = one_of(&variants, "product_id", "product")?;
    let (cart, new_guest_token) = open_cart(&mut tx, owner).await?;
    let (current, lines) = repository::line_and_count(&mut *tx, cart, variant.id).await?;
    if current.is_none() && lines >= MAX_LINES {
        return Err(Error::invalid("product_id", "a cart holds at most 100 different products"));
    }
    let wanted = current.unwrap_or(0).saturating_add(quantity);
    check_quantity(wanted, variant.stock_quantity)?;
    repository::put_line(&mut *tx, cart, variant.id, wanted).await?;
    let priced = price_cart(&mut tx, owner, Some(cart), None, None).await?;
    tx.commit().await?;
    Ok(Changed { cart: priced, new_guest_token })
}

/// Sets a line's quantity; 0 removes the line. `id` names the line's
/// variant, or its product when the cart holds one variant of it.
#[tracing::instrument(skip_all, fields(item = %id))]
pub async fn set_quantity(
    state: &AppState,
    owner: &CartOwner,
    id: Uuid,
    quantity: i32,
) -> Result<Priced> {
    let mut tx = state.db.begin().await?;
    let cart = lock_existing(&mut tx, owner).await?;
    let named = repository::lines_named(&mut *tx, cart, id).await?;
    let variant = one_of(&named, "product_id", "cart item")?;
    if quantity == 0 {
        repository::delete_line(&mut *tx, cart, variant).await?;
    } else {
        let on_sale = repository::variants_on_sale(&mut *tx, Item::Variant(variant)).await?;
        let stock = one_of(&on_sale, "product_id", "product")?;
        check_quantity(quantity, stock.stock_quantity)?;
        repository::put_line(&mut *tx, cart, variant, quantity).await?;
    }
    let priced = price_cart(&mut tx, owner, Some(cart), None, None).await?;
    tx.commit().await?;
    Ok(priced)
}

/// Removes a line, named as for [`set_quantity`].
pub async fn remove(state: &AppState, owner: &CartOwner, id: Uuid) -> Result<Priced> {
    let mut tx = state.db.begin().await?;
    let cart = lock_existing(&mut tx, owner).await?;
    let named = repository::lines_named(&mut *tx, cart, id).await?;
    let variant = one_of(&named, "product_id", "cart item")?;
    repository::delete_line(&mut *tx, cart, variant).await?;
    let priced = price_cart(&mut tx, owner, Some(cart), None, None).await?;
    tx.commit().await?;
    Ok(priced)
}

async fn lock_existing(tx: &mut PgConnection, owner: &CartOwner) -> Result<Uuid> {
    let cart = match owner {
        CartOwner::User(user) => repository::lock_user_cart(&mut *tx, *user).await?,
        CartOwner::Guest(Some(token)) => {
            repository::lock_guest_cart(&mut *tx, &hash_token(token)).await?
        }
        CartOwner::Guest(None) => None,
    };
    cart.ok_or(Error::NotFound("cart item"))
}

/// Merges the guest cart behind `guest_token` into `user`'s cart, inside
/// the caller's transaction (the one that starts their session). A token
/// for a cart that is gone or already merged is ignored.
pub async fn merge_guest_cart(tx: &mut PgConnection, user: Uuid, guest_token: &str) -> Result<()> {
    let Some(guest) = repository::lock_guest_cart(&mut *tx, &hash_token(guest_token)).await? else {
        return Ok(());
    };
    let user_cart = repository::open_user_cart(&mut *tx, user).await?;
    discounts::merge_codes(&mut *tx, guest, user_cart).await?;
    repository::merge(tx, guest, user_cart, MAX_LINES).await
}

/// Deletes guest carts idle for longer than `max_idle`; how many went.
pub async fn delete_idle_guest_carts(state: &AppState, max_idle: Duration) -> Result<u64> {
    repository::delete_idle_guest_carts(&state.db, max_idle.as_secs_f64()).await
}
