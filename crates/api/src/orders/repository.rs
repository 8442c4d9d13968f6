//! SQL for orders, their items and events, and the stock they move.

use chrono::{DateTime, NaiveDate, Utc};
use gokart_domain::{OrderStatus, PaymentStatus};
use serde::Deserialize;
use sqlx::types::Json;
use sqlx::{PgConnection, PgExecutor, Postgres, QueryBuilder};
use uuid::Uuid;

use crate::error::Result;

/// A stored order.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrderRow {
    /// Id.
    pub id: Uuid,
    /// Public order number.
    pub order_number: String,
    /// Customer (None once they deleted their account).
    pub user_id: Option<Uuid>,
    /// Order status.
    pub status: OrderStatus,
    /// Payment status.
    pub payment_status: PaymentStatus,
    /// `manual` or `stripe`.
    pub payment_method: String,
    /// Shipping address snapshot.
    pub shipping_address: serde_json::Value,
    /// Billing address snapshot.
    pub billing_address: serde_json::Value,
    /// Currency of every amount.
    pub currency: String,
    /// Sum of lines.
    pub subtotal_amount: i64,
    /// Tax.
    pub tax_amount: i64,
    /// Shipping.
    pub shipping_amount: i64,
    /// Discount.
    pub discount_amount: i64,
    /// Total charged.
    pub total_amount: i64,
    /// Carrier tracking number.
    pub tracking_number: Option<String>,
    /// Expected delivery.
    pub estimated_delivery_date: Option<NaiveDate>,
    /// The shipping method charged.
    pub shipping_method_id: Option<Uuid>,
    /// Its name then.
    pub shipping_method_name: Option<String>,
    /// The pricing adjustments, explained (`[AdjustmentView]`).
    pub adjustments: serde_json::Value,
    /// Whether the prices included the tax.
    pub prices_include_tax: bool,
    /// The carrier of an order shipped by hand.
    pub carrier: Option<String>,
    /// Placed at.
    pub created_at: DateTime<Utc>,
    /// Last changed at.
    pub updated_at: DateTime<Utc>,
}

/// A bought line, as it was when bought.
#[derive(Debug, Clone, Deserialize)]
pub struct ItemRow {
    /// Id of the line.
    pub id: Uuid,
    /// Product.
    pub product_id: Uuid,
    /// Variant.
    pub variant_id: Uuid,
    /// Name then.
    pub name: String,
    /// SKU then.
    pub sku: String,
    /// The variant's option values then, by option name.
    pub options: serde_json::Value,
    /// Image then.
    pub image: Option<String>,
    /// The product photo the image is.
    pub media_id: Option<Uuid>,
    /// Unit price then.
    pub unit_price_amount: i64,
    /// Units.
    pub quantity: i32,
    /// Price × units.
    pub line_total_amount: i64,
    /// Its share of the discounts.
    pub discount_amount: i64,
    /// Tax on its discounted amount.
    pub tax_amount: i64,
    /// The rate it was taxed at.
    pub tax_rate_bps: i32,
}

/// A timeline entry.
#[derive(Debug, Clone, Deserialize)]
pub struct EventRow {
    /// Status reached.
    pub status: OrderStatus,
    /// Who moved it: customer, admin, system, worker, payment.
    pub actor: String,
    /// Why.
    pub note: Option<String>,
    /// Seen by staff only (an admin's note).
    #[serde(default)]
    pub internal: bool,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// A variant's stock, price and availability, read under its row lock.
#[derive(Debug, Clone)]
pub struct LockedStock {
    /// Variant.
    pub id: Uuid,
    /// Stock now.
    pub stock_quantity: i32,
    /// Price now.
    pub price_amount: i64,
    /// Still on sale.
    pub on_sale: bool,
}

/// Locks variants in id order, so concurrent transactions over the same
/// variants never deadlock. `FOR NO KEY UPDATE` (what a stock update takes
/// anyway) leaves other orders free to reference the rows meanwhile. The
/// products are read, not locked: buying two variants of one product at
/// once never waits.
#[tracing::instrument(skip_all)]
pub async fn lock_variants(db: impl PgExecutor<'_>, ids: &[Uuid]) -> Result<Vec<LockedStock>> {
    Ok(sqlx::query_as!(
        LockedStock,
        r#"SELECT v.id, v.stock_quantity, v.price_amount,
                  (v.deleted_at IS NULL AND v.is_active AND p.deleted_at IS NULL AND p.is_active)
                      AS "on_sale!"
           FROM product_variants v JOIN products p ON p.id = v.product_id
           WHERE v.id = ANY($1) ORDER BY v.id FOR NO KEY UPDATE OF v"#,
        ids
    )
    .fetch_all(db)
    .await?)
}

/// Adds `deltas[i]` (negative to take) to the stock of `ids[i]`.
#[tracing::instrument(skip_all)]
pub async fn move_stock(db: impl PgExecutor<'_>, ids: &[Uuid], deltas: &[i32]) -> Result<()> {
    sqlx::query!(
        "UPDATE product_variants v SET stock_quantity = v.stock_quantity + x.delta
         FROM unnest($1::uuid[], $2::int4[]) AS x(id, delta) WHERE v.id = x.id",
        ids,
        deltas
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Stores a new order (its timestamps are the transaction's).
#[tracing::instrument(skip_all)]
pub async fn insert_order(
    db: impl PgExecutor<'_>,
    order: &OrderRow,
) -> std::result::Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO orders (id, order_number, user_id, status, payment_status, payment_method,
                             shipping_address, billing_address, currency, subtotal_amount, tax_amount,
                             shipping_amount, discount_amount, total_amount,
                             estimated_delivery_date, shipping_method_id, shipping_method_name,
                             adjustments, prices_include_tax)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
                 $19)",
        order.id,
        order.order_number,
        order.user_id,
        order.status as OrderStatus,
        order.payment_status as PaymentStatus,
        order.payment_method,
        order.shipping_address,
        order.billing_address,
        order.currency,
        order.subtotal_amount,
        order.tax_amount,
        order.shipping_amount,
        order.discount_amount,
        order.total_amount,
        order.estimated_delivery_date,
        order.shipping_method_id,
        order.shipping_method_name,
        order.adjustments,
        order.prices_include_tax
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Stores an order's items.
#[tracing::instrument(skip_all, fields(order = %order))]
pub async fn insert_items(db: impl PgExecutor<'_>, order: Uuid, items: &[ItemRow]) -> Result<()> {
    let lines: Vec<Uuid> = items.iter().map(|i| i.id).collect();
    let ids: Vec<Uuid> = items.iter().map(|i| i.product_id).collect();
    let variants: Vec<Uuid> = items.iter().map(|i| i.variant_id).collect();
    let options: Vec<serde_json::Value> = items.iter().map(|i| i.options.clone()).collect();
    let names: Vec<String> = items.iter().map(|i| i.name.clone()).collect();
    let skus: Vec<String> = items.iter().map(|i| i.sku.clone()).collect();
    let images: Vec<Option<String>> = items.iter().map(|i| i.image.clone()).collect();
    let media: Vec<Option<Uuid>> = items.iter().map(|i| i.media_id).collect();
    let prices: Vec<i64> = items.iter().map(|i| i.unit_price_amount).collect();
    let quantities: Vec<i32> = items.iter().map(|i| i.quantity).collect();
    let totals: Vec<i64> = items.iter().map(|i| i.line_total_amount).collect();
    let discounts: Vec<i64> = items.iter().map(|i| i.discount_amount).collect();
    let taxes: Vec<i64> = items.iter().map(|i| i.tax_amount).collect();
    let rates: Vec<i32> = items.iter().map(|i| i.tax_rate_bps).collect();
    sqlx::query!(
        "INSERT INTO order_items (order_id, product_id, variant_id, options, name, sku, image,
                                  unit_price_amount, quantity, line_total_amount, media_id,
                                  discount_amount, tax_amount, tax_rate_bps, id)
         SELECT $1, * FROM unnest($2::uuid[], $3::uuid[], $4::jsonb[], $5::text[], $6::text[],
                                  $7::text[], $8::int8[], $9::int4[], $10::int8[], $11::uuid[],
                                  $12::int8[], $13::int8[], $14::int4[], $15::uuid[])",
        order,
        &ids,
        &variants,
        &options,
        &names,
        &skus,
        &images as &[Option<String>],
        &prices,
        &quantities,
        &totals,
        &media as &[Option<Uuid>],
        &discounts,
        &taxes,
        &rates,
        &lines
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Appends a timeline entry (only the workflow writes them).
#[tracing::instrument(skip_all, fields(order = %order))]
pub(super) async fn add_event(
    db: impl PgExecutor<'_>,
    order: Uuid,
    status: OrderStatus,
    actor: &str,
    note: Option<&str>,
) -> Result<()> {
    sqlx::query!(
        "INSERT INTO order_events (order_id, status, actor, note) VALUES ($1, $2, $3, $4)",
        order,
        status as OrderStatus,
        actor,
        note
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Adds a timeline entry only staff see, under the order's `status`.
#[tracing::instrument(skip_all, fields(order = %order))]
pub(super) async fn add_note(
    db: impl PgExecutor<'_>,
    order: Uuid,
    status: OrderStatus,
    actor: &str,
    note: &str,
) -> Result<()> {
    sqlx::query!(
        "INSERT INTO order_events (order_id, status, actor, note, internal)
         VALUES ($1, $2, $3, $4, true)",
        order,
        status as OrderStatus,
        actor,
        note
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Replaces an order's shipping address (only the workflow does).
pub(super) async fn set_shipping_address(
    db: impl PgExecutor<'_>,
    order: Uuid,
    address: &serde_json::Value,
) -> Result<()> {
    sqlx::query!("UPDATE orders SET shipping_address = $2 WHERE id = $1", order, address)
        .execute(db)
        .await?;
    Ok(())
}

/// Records the carrier of an order shipped by hand.
pub(super) async fn set_carrier(db: impl PgExecutor<'_>, order: Uuid, carrier: &str) -> Result<()> {
    sqlx::query!("UPDATE orders SET carrier = $2 WHERE id = $1", order, carrier)
        .execute(db)
        .await?;
    Ok(())
}

/// Sets an order's status and payment status (only the workflow does).
#[tracing::instrument(skip_all, fields(order = %order))]
pub(super) async fn set_status(
    db: impl PgExecutor<'_>,
    order: Uuid,
    status: OrderStatus,
    payment_status: PaymentStatus,
) -> Result<()> {
    sqlx::query!(
        "UPDATE orders SET status = $2, payment_status = $3 WHERE id = $1",
        order,
        status as OrderStatus,
        payment_status as PaymentStatus
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Records the carrier's tracking number and delivery estimate.
#[tracing::instrument(skip_all, fields(order = %order))]
pub async fn set_shipment(
    db: impl PgExecutor<'_>,
    order: Uuid,
    tracking_number: Option<&str>,
    estimated_delivery_date: Option<chrono::NaiveDate>,
) -> Result<()> {
    sqlx::query!(
        "UPDATE orders SET tracking_number = $2, estimated_delivery_date = $3 WHERE id = $1",
        order,
        tracking_number,
        estimated_delivery_date
    )
    .execute(db)
    .await?;
    Ok(())
}

const ORDER_COLUMNS: &str = "id, order_number, user_id, status, payment_status, payment_method, \
    shipping_address, billing_address, currency, subtotal_amount, tax_amount, shipping_amount, \
    discount_amount, total_amount, tracking_number, estimated_delivery_date, shipping_method_id, \
    shipping_method_name, adjustments, prices_include_tax, carrier, created_at, updated_at";

/// An order, if it exists and (when `owner` is given) is theirs; locked
/// with `lock`.
#[tracing::instrument(skip_all, fields(order = %id))]
pub async fn find(
    db: impl PgExecutor<'_>,
    id: Uuid,
    owner: Option<Uuid>,
    lock: bool,
) -> Result<Option<OrderRow>> {
    let mut query =
        QueryBuilder::<Postgres>::new(format!("SELECT {ORDER_COLUMNS} FROM orders WHERE id = "));
    query.push_bind(id);
    if let Some(owner) = owner {
        query.push(" AND user_id = ").push_bind(owner);
    }
    if lock {
        query.push(" FOR UPDATE");
    }
    Ok(query.build_query_as::<OrderRow>().fetch_optional(db).await?)
}

/// An order's items.
#[tracing::instrument(skip_all, fields(order = %order))]
pub async fn items(db: impl PgExecutor<'_>, order: Uuid) -> Result<Vec<ItemRow>> {
    Ok(sqlx::query_as!(
        ItemRow,
        "SELECT id, product_id, variant_id, name, sku, options, image, media_id, unit_price_amount,
                quantity, line_total_amount, discount_amount, tax_amount, tax_rate_bps
         FROM order_items WHERE order_id = $1 ORDER BY name, variant_id",
        order
    )
    .fetch_all(db)
    .await?)
}

/// An order, its items and its timeline.
pub type WholeOrder = (OrderRow, Vec<ItemRow>, Vec<EventRow>);

/// An order with its items (by name) and its timeline (oldest first), if it
/// exists and (when `owner` is given) is theirs, in one round trip.
#[tracing::instrument(skip_all, fields(order = %id))]
pub async fn find_whole(
    db: impl PgExecutor<'_>,
    id: Uuid,
    owner: Option<Uuid>,
) -> Result<Option<WholeOrder>> {
    #[derive(sqlx::FromRow)]
    struct Whole {
        #[sqlx(flatten)]
        order: OrderRow,
        items: Json<Vec<ItemRow>>,
        events: Json<Vec<EventRow>>,
    }
    let mut query = QueryBuilder::<Postgres>::new(format!(
        "SELECT {ORDER_COLUMNS},
           COALESCE((SELECT json_agg(json_build_object(
                       'id', i.id, 'product_id', i.product_id, 'variant_id', i.variant_id, 'name', i.name,
                       'sku', i.sku, 'options', i.options, 'image', i.image,
                       'media_id', i.media_id, 'unit_price_amount', i.unit_price_amount,
                       'quantity', i.quantity, 'line_total_amount', i.line_total_amount,
                       'discount_amount', i.discount_amount, 'tax_amount', i.tax_amount,
                       'tax_rate_bps', i.tax_rate_bps) ORDER BY i.name, i.variant_id)
                     FROM order_items i WHERE i.order_id = o.id), '[]') AS items,
           COALESCE((SELECT json_agg(json_build_object(
                       'status', e.status, 'actor', e.actor, 'note', e.note,
                       'internal', e.internal, 'created_at', e.created_at) ORDER BY e.id)
                     FROM order_events e WHERE e.order_id = o.id), '[]') AS events
         FROM orders o WHERE o.id = "
    ));
    query.push_bind(id);
    if let Some(owner) = owner {
        query.push(" AND o.user_id = ").push_bind(owner);
    }
    let found = query.build_query_as::<Whole>().fetch_optional(db).await?;
    Ok(found.map(|whole| (whole.order, whole.items.0, whole.events.0)))
}

/// Filters for order lists.
#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    /// Only this customer's.
    pub user_id: Option<Uuid>,
    /// Only in this status.
    pub status: Option<OrderStatus>,
    /// Only in this payment status.
    pub payment_status: Option<PaymentStatus>,
    /// Placed at or after.
    pub from: Option<DateTime<Utc>>,
    /// Placed before.
    pub to: Option<DateTime<Utc>>,
}

fn filtered<'a>(what: &str, filter: &'a OrderFilter) -> QueryBuilder<'a, Postgres> {
    let mut query = QueryBuilder::new(format!("SELECT {what} FROM orders WHERE true"));
    if let Some(user) = filter.user_id {
        query.push(" AND user_id = ").push_bind(user);
    }
    if let Some(status) = filter.status {
        query.push(" AND status = ").push_bind(status);
    }
    if let Some(payment) = filter.payment_status {
        query.push(" AND payment_status = ").push_bind(payment);
    }
    if let Some(from) = filter.from {
        query.push(" AND created_at >= ").push_bind(from);
    }
    if let Some(to) = filter.to {
        query.push(" AND created_at < ").push_bind(to);
    }
    query
}

/// A page of orders matching `filter`, newest first.
#[tracing::instrument(skip_all)]
pub async fn list(
    db: impl PgExecutor<'_>,
    filter: &OrderFilter,
    limit: i64,
    offset: i64,
) -> Result<Vec<OrderRow>> {
    let mut query = filtered(ORDER_COLUMNS, filter);
    query.push(" ORDER BY created_at DESC, id DESC LIMIT ").push_bind(limit);
    query.push(" OFFSET ").push_bind(offset);
    Ok(query.build_query_as::<OrderRow>().fetch_all(db).await?)
}

/// How many orders match `filter`.
#[tracing::instrument(skip_all)]
pub async fn count(db: impl PgExecutor<'_>, filter: &OrderFilter) -> Result<i64> {
    Ok(filtered("count(*)", filter).build_query_scalar::<i64>().fetch_one(db).await?)
}

/// Unpaid orders placed before `older_than_secs` ago, oldest first.
#[tracing::instrument(skip_all)]
pub async fn expired_pending(
    db: impl PgExecutor<'_>,
    older_than_secs: f64,
    limit: i64,
) -> Result<Vec<Uuid>> {
    Ok(sqlx::query_scalar!(
        "SELECT id FROM orders WHERE status = 'pending_payment'
           AND created_at < now() - make_interval(secs => $1)
         ORDER BY created_at LIMIT $2",
        older_than_secs,
        limit
    )
    .fetch_all(db)
    .await?)
}

/// Stores a new order inside a savepoint of `tx`, so a colliding order
/// number can be retried without aborting the whole transaction.
#[tracing::instrument(skip_all)]
pub async fn insert_order_in_savepoint(
    tx: &mut PgConnection,
    order: &OrderRow,
) -> std::result::Result<(), sqlx::Error> {
    sqlx::query("SAVEPOINT order_number").execute(&mut *tx).await?;
    match insert_order(&mut *tx, order).await {
        Ok(()) => {
            sqlx::query("RELEASE SAVEPOINT order_number").execute(&mut *tx).await?;
            Ok(())
        }
        Err(err) => {
            sqlx::query("ROLLBACK TO SAVEPOINT order_number").execute(&mut *tx).await?;
            Err(err)
        }
    }
}

/// The order paid by a PaymentIntent, locked.
#[tracing::instrument(skip_all)]
pub async fn find_by_payment_reference(
    db: impl PgExecutor<'_>,
    intent: &str,
) -> Result<Option<OrderRow>> {
    let mut query = QueryBuilder::<Postgres>::new(format!(
        "SELECT {ORDER_COLUMNS} FROM orders WHERE payment_reference = "
    ));
    query.push_bind(intent).push(" FOR UPDATE");
    Ok(query.build_query_as::<OrderRow>().fetch_optional(db).await?)
}

/// Records the PaymentIntent of an order.
#[tracing::instrument(skip_all, fields(order = %order))]
pub async fn set_payment_reference(
    db: impl PgExecutor<'_>,
    order: Uuid,
    intent: &str,
) -> Result<()> {
    sqlx::query!("UPDATE orders SET payment_reference = $2 WHERE id = $1", order, intent)
        .execute(db)
        .await?;
    Ok(())
}

/// The PaymentIntent of an order, if it has one.
#[tracing::instrument(skip_all, fields(order = %order))]
pub async fn payment_reference(db: impl PgExecutor<'_>, order: Uuid) -> Result<Option<String>> {
    Ok(sqlx::query_scalar!("SELECT payment_reference FROM orders WHERE id = $1", order)
        .fetch_optional(db)
        .await?
        .flatten())
}

/// Stripe orders with a PaymentIntent and no payment yet: those awaiting it,
/// and recently cancelled ones, whose customer may still have paid (a paid
/// cancelled order is refunded).
#[tracing::instrument(skip_all)]
pub async fn pending_stripe_orders(
    db: impl PgExecutor<'_>,
    limit: i64,
) -> Result<Vec<(Uuid, String)>> {
    let rows = sqlx::query!(
        r#"SELECT id, payment_reference AS "payment_reference!" FROM orders
           WHERE payment_method = 'stripe' AND payment_reference IS NOT NULL
             AND payment_status IN ('pending', 'failed')
             AND (status = 'pending_payment'
                  OR (status = 'cancelled' AND created_at > now() - interval '30 days'))
           ORDER BY created_at LIMIT $1"#,
        limit
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|row| (row.id, row.payment_reference)).collect())
}

/// An order's status, if the order exists.
#[tracing::instrument(skip_all, fields(order = %id))]
pub async fn status(db: impl PgExecutor<'_>, id: Uuid) -> Result<Option<OrderStatus>> {
    Ok(sqlx::query_scalar!(
        r#"SELECT status AS "status: OrderStatus" FROM orders WHERE id = $1"#,
        id
    )
    .fetch_optional(db)
    .await?)
}

/// What a customer's email about an order says, besides its items.
#[derive(Debug, Clone)]
pub struct NotificationFacts {
    /// Public order number.
    pub order_number: String,
    /// Payment status now.
    pub payment_status: PaymentStatus,
    /// Currency of the amounts.
    pub currency: String,
    /// Total charged.
    pub total_amount: i64,
    /// Carrier tracking number.
    pub tracking_number: Option<String>,
    /// The carrier of an order shipped by hand.
    pub carrier: Option<String>,
    /// Expected delivery.
    pub estimated_delivery_date: Option<NaiveDate>,
    /// The customer's name; `None` once the account is deleted.
    pub name: Option<String>,
    /// The customer's email; `None` once the account is deleted.
    pub email: Option<String>,
    /// Whether a guest placed it (its emails carry its access link).
    pub guest: bool,
}

/// Records that guest `email` placed order `id`, which the token hashing to
/// `token_hash` opens.
#[tracing::instrument(skip_all, fields(order = %id))]
pub async fn set_guest(
    db: impl PgExecutor<'_>,
    id: Uuid,
    email: &str,
    token_hash: &[u8],
) -> Result<()> {
    sqlx::query!(
        "UPDATE orders SET guest_email = $2, access_token_hash = $3 WHERE id = $1",
        id,
        email,
        token_hash
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Gives `user` the guest orders placed with `email`, an address the
/// account has just shown to be its holder's.
#[tracing::instrument(skip_all, fields(user = %user))]
pub async fn adopt_guest_orders(db: impl PgExecutor<'_>, user: Uuid, email: &str) -> Result<u64> {
    let done = sqlx::query!(
        "UPDATE orders SET user_id = $1 WHERE user_id IS NULL AND guest_email = $2",
        user,
        email
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

/// The order that the access token hashing to `token_hash` opens.
#[tracing::instrument(skip_all)]
pub async fn find_by_access(db: impl PgExecutor<'_>, token_hash: &[u8]) -> Result<Option<Uuid>> {
    Ok(sqlx::query_scalar!("SELECT id FROM orders WHERE access_token_hash = $1", token_hash)
        .fetch_optional(db)
        .await?)
}

/// The facts of order `id` for the customer's email, if the order exists.
#[tracing::instrument(skip_all, fields(order = %id))]
pub async fn notification_facts(
    db: impl PgExecutor<'_>,
    id: Uuid,
) -> Result<Option<NotificationFacts>> {
    Ok(sqlx::query_as!(
        NotificationFacts,
        r#"SELECT o.order_number, o.payment_status AS "payment_status: PaymentStatus", o.currency,
                  o.total_amount, o.tracking_number, o.carrier, o.estimated_delivery_date,
                  coalesce(u.name, CASE WHEN o.guest_email IS NOT NULL
                                        THEN o.shipping_address->>'name' END) AS "name?",
                  coalesce(u.email, o.guest_email) AS "email?",
                  o.access_token_hash IS NOT NULL AS "guest!"
           FROM orders o LEFT JOIN users u ON u.id = o.user_id
           WHERE o.id = $1"#,
        id
    )
    .fetch_optional(db)
    .await?)
}
