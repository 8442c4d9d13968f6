//! Upgrading a database that holds a shop's data keeps every product, cart
//! and order usable.

use reqwest::Method;
use serde_json::{Value, json};
use sqlx::migrate::Migrate;
use sqlx::{Connection, PgConnection};
use uuid::Uuid;

use crate::helpers::{TestApp, TestDatabase};

/// The last migration before products had variants.
const SINGLE_SKU_SCHEMA: i64 = 8;

#[tokio::test]
async fn single_sku_products_carts_and_orders_move_to_one_variant_each() {
    let (database, mut db) = database_at(SINGLE_SKU_SCHEMA).await;
    let (category, kettle, gone, cart, order) =
        (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    let token = "an-old-guest-cart-token-with-enough-entropy";
    let address = json!({"name": "Ada", "phone": "+1 555 010 0199", "street1": "1 Main St",
        "street2": null, "city": "Springfield", "state": "IL", "postal_code": "62701",
        "country": "US"});
    sqlx::raw_sql(&format!(
        "INSERT INTO categories (id, name, slug) VALUES ('{category}', 'Kitchen', 'kitchen');
         INSERT INTO products (id, category_id, name, sku, price_amount, stock_quantity)
             VALUES ('{kettle}', '{category}', 'Old Kettle', 'OLD-1', 1999, 7);
         INSERT INTO products (id, category_id, name, sku, price_amount, stock_quantity, deleted_at)
             VALUES ('{gone}', '{category}', 'Old Lamp', 'OLD-GONE', 500, 0, now());
         INSERT INTO carts (id, token_hash) VALUES ('{cart}', sha256('{token}'));
         INSERT INTO cart_items (cart_id, product_id, quantity) VALUES ('{cart}', '{kettle}', 2);
         INSERT INTO orders (id, order_number, status, payment_status, payment_method,
                             shipping_address, billing_address, currency, subtotal_amount,
                             tax_amount, shipping_amount, discount_amount, total_amount)
             VALUES ('{order}', 'GK-OLD1-OLD2-OLD3', 'confirmed', 'paid', 'manual',
                     '{address}', '{address}', 'usd', 5997, 0, 0, 0, 5997);
         INSERT INTO order_items (order_id, product_id, name, sku, unit_price_amount, quantity,
                                  line_total_amount)
             VALUES ('{order}', '{kettle}', 'Old Kettle', 'OLD-1', 1999, 3, 5997);"
    ))
    .execute(&mut db)
    .await
    .unwrap();
    db.close().await.unwrap();

    let pool = sqlx::PgPool::connect(&database.url).await.unwrap();
    gokart_api::db::migrate(&pool).await.unwrap();
    gokart_api::db::migrate(&pool).await.expect("a second run has nothing to do");
    pool.close().await;
    let app = TestApp::on_database(database).await;
    let (variant, deleted): (Uuid, bool) = sqlx::query_as(
        "SELECT id, deleted_at IS NOT NULL FROM product_variants WHERE sku = 'OLD-1'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();

    let product: Value = app.get(&format!("/api/v1/products/{kettle}")).await.json().await.unwrap();
    let hidden = app.get(&format!("/api/v1/products/{gone}")).await;
    let cart = app.client.get(app.url("/api/v1/cart"));
    let line = json_of(cart.header("cookie", format!("cart_token={token}"))).await;
    let admin = app.create_admin().await;
    let bought = json_of(app.authed(
        Method::GET,
        &format!("/api/v1/admin/orders/{order}"),
        &admin.access_token,
    ))
    .await;
    let cancelled = app
        .authed(Method::POST, &format!("/api/v1/admin/orders/{order}/cancel"), &admin.access_token)
        .send()
        .await
        .unwrap();
    let restocked: Value =
        app.get(&format!("/api/v1/products/{kettle}")).await.json().await.unwrap();

    assert!(!deleted);
    assert_eq!(
        (&product["sku"], &product["price"]["amount"], &product["stock_quantity"]),
        (&json!("OLD-1"), &json!(1999), &json!(7)),
        "the product sells as before: {product}"
    );
    assert_eq!(hidden.status(), 404, "a deleted product stays deleted");
    let gone_variant: bool = sqlx::query_scalar(
        "SELECT deleted_at IS NOT NULL FROM product_variants WHERE sku = 'OLD-GONE'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert!(gone_variant, "its variant is deleted with it, its SKU kept");
    let items = &line["items"];
    assert_eq!(items[0]["variant_id"], variant.to_string(), "{line}");
    assert_eq!(items[0]["product_id"], kettle.to_string());
    assert_eq!(items[0]["quantity"], 2);
    assert_eq!(bought["items"][0]["variant_id"], variant.to_string(), "{bought}");
    assert_eq!(bought["items"][0]["sku"], "OLD-1");
    assert_eq!(bought["items"][0]["options"], json!({}));
    assert_eq!(cancelled.status(), 200, "an order placed before the upgrade can be cancelled");
    let cancelled: Value = cancelled.json().await.unwrap();
    assert!(cancelled["items"][0]["id"].is_string(), "old lines get ids: {cancelled}");
    assert_eq!(cancelled["payment_status"], "refunded");
    assert_eq!(cancelled["refunds"][0]["amount"]["amount"], 5997, "the refund is on the books");
    assert_eq!(restocked["stock_quantity"], 10, "its units go back to the variant");
}

/// The last migration before partial refunds.
const WHOLE_REFUNDS_SCHEMA: i64 = 27;

#[tokio::test]
async fn refunds_made_and_queued_before_partial_refunds_stay_on_the_books_under_their_keys() {
    let (database, mut db) = database_at(WHOLE_REFUNDS_SCHEMA).await;
    let (queued, done) = (Uuid::new_v4(), Uuid::new_v4());
    let address = json!({"name": "Ada", "phone": "+1 555 010 0199", "street1": "1 Main St",
        "city": "Springfield", "state": "IL", "postal_code": "62701", "country": "US"});
    for (id, number, payment) in
        [(queued, "GK-OLDQ-OLDQ-OLDQ", "paid"), (done, "GK-OLDD-OLDD-OLDD", "refunded")]
    {
        sqlx::query(
            "INSERT INTO orders (id, order_number, status, payment_status, payment_method,
                                 payment_reference, shipping_address, billing_address, currency,
                                 subtotal_amount, tax_amount, shipping_amount, discount_amount,
                                 total_amount)
             VALUES ($1, $2, 'cancelled', $3, 'stripe', 'pi_old', $4, $4, 'usd', 4000, 0, 599,
                     0, 4599)",
        )
        .bind(id)
        .bind(number)
        .bind(payment)
        .bind(&address)
        .execute(&mut db)
        .await
        .unwrap();
    }
    sqlx::query("INSERT INTO outbox (id, kind, payload) VALUES ($1, 'payment.refund', $2)")
        .bind(Uuid::new_v4())
        .bind(json!({"order_id": queued}))
        .execute(&mut db)
        .await
        .unwrap();
    db.close().await.unwrap();

    let pool = sqlx::PgPool::connect(&database.url).await.unwrap();
    gokart_api::db::migrate(&pool).await.unwrap();
    let refunds: Vec<(Uuid, Uuid, i64, String)> =
        sqlx::query_as("SELECT id, order_id, amount, status FROM refunds ORDER BY status")
            .fetch_all(&pool)
            .await
            .unwrap();
    let payload: Value =
        sqlx::query_scalar("SELECT payload FROM outbox WHERE kind = 'payment.refund'")
            .fetch_one(&pool)
            .await
            .unwrap();
    pool.close().await;

    // The queued refund keeps the order's id, so Stripe's idempotency key
    // (`refund-<id>`) is the one a send before the upgrade used.
    assert_eq!(
        refunds,
        [(queued, queued, 4599, "pending".to_owned()), (done, done, 4599, "succeeded".to_owned())]
    );
    assert_eq!(payload, json!({"order_id": queued, "refund_id": queued}));
}

/// An empty database migrated up to `version`, and a connection to it.
async fn database_at(version: i64) -> (TestDatabase, PgConnection) {
    let database = TestDatabase::empty().await;
    let mut db = PgConnection::connect(&database.url).await.unwrap();
    db.ensure_migrations_table().await.unwrap();
    for migration in gokart_api::db::MIGRATOR.iter().filter(|m| m.version <= version) {
        db.apply(migration).await.unwrap();
    }
    (database, db)
}

async fn json_of(request: reqwest::RequestBuilder) -> Value {
    request.send().await.unwrap().json().await.unwrap()
}
