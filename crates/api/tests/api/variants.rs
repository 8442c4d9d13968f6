//! Products with options and variants: created in one request, bought per
//! variant, stock that never oversells, and option changes that keep every
//! existing variant valid.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{
    AdminShop, TestApp, TestUser, add_variant_to_cart, checkout_all, checkout_body, error_of,
};

/// The demo shop, an admin, and a category to put new products in.
struct Shop {
    base: AdminShop,
    category: String,
}

impl std::ops::Deref for Shop {
    type Target = AdminShop;

    fn deref(&self) -> &AdminShop {
        &self.base
    }
}

async fn shop() -> Shop {
    let base = AdminShop::spawn().await;
    let category: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM categories ORDER BY slug LIMIT 1")
            .fetch_one(&base.app.db)
            .await
            .unwrap();
    Shop { base, category: category.to_string() }
}

impl Shop {
    /// A T-shirt in S, M and L, red and blue: six variants, priced by size.
    fn shirt(&self) -> Value {
        let mut variants = Vec::new();
        for (size, price) in [("S", 1900), ("M", 2000), ("L", 2100)] {
            for color in ["Red", "Blue"] {
                variants.push(json!({
                    "sku": format!("TEE-{size}-{}", &color[..1]),
                    "options": {"Size": size, "Color": color},
                    "price": {"amount": price, "currency": "usd"},
                    "stock_quantity": 4,
                }));
            }
        }
        json!({
            "name": "Organic Tee", "category_id": self.category,
            "options": [{"name": "Size", "values": ["S", "M", "L"]},
                        {"name": "Color", "values": ["Red", "Blue"]}],
            "variants": variants,
        })
    }

    async fn create(&self, body: Value) -> Value {
        self.created("/api/v1/admin/products", body).await
    }

    async fn products(&self) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM products").fetch_one(&self.app.db).await.unwrap()
    }
}

fn variant<'a>(product: &'a Value, sku: &str) -> &'a Value {
    product["variants"].as_array().unwrap().iter().find(|v| v["sku"] == sku).unwrap()
}

#[tokio::test]
async fn a_product_with_options_and_variants_is_created_in_one_request() {
    let shop = shop().await;

    let created = shop.create(shop.shirt()).await;
    let shown: Value = shop
        .app
        .get(&format!("/api/v1/products/{}", created["id"].as_str().unwrap()))
        .await
        .json()
        .await
        .unwrap();

    for product in [&created, &shown] {
        assert_eq!(product["options"][0]["name"], "Size");
        assert_eq!(product["options"][1]["values"], json!(["Red", "Blue"]));
        assert_eq!(product["variants"].as_array().unwrap().len(), 6);
        assert_eq!(variant(product, "TEE-M-B")["options"], json!({"Size": "M", "Color": "Blue"}));
        assert_eq!(product["price"]["amount"], 1900, "the lowest variant price");
        assert_eq!(product["price_range"]["min"]["amount"], 1900);
        assert_eq!(product["price_range"]["max"]["amount"], 2100);
        assert_eq!(product["stock_quantity"], 24, "the sum over variants");
    }
}

#[tokio::test]
async fn bad_options_and_variants_are_named_and_nothing_is_written() {
    let shop = shop().await;
    let before = shop.products().await;
    let with = |change: &dyn Fn(&mut Value)| {
        let mut body = shop.shirt();
        change(&mut body);
        body
    };
    let cases: [(Value, &str); 7] = [
        (
            with(&|b| b["variants"][3]["options"] = json!({"Size": "M", "Color": "Red"})),
            "variants[3].options",
        ),
        (
            with(&|b| b["variants"][0]["options"] = json!({"Size": "XL", "Color": "Red"})),
            "variants[0].options",
        ),
        (with(&|b| b["variants"][1]["options"] = json!({"Size": "S"})), "variants[1].options"),
        (with(&|b| b["variants"][2]["sku"] = json!("no spaces allowed")), "variants[2].sku"),
        (
            with(&|b| {
                b["variants"][4].as_object_mut().unwrap().remove("price").map(drop).unwrap_or(())
            }),
            "variants[4].price",
        ),
        (with(&|b| b["options"][1]["name"] = json!("size")), "options[1].name"),
        (with(&|b| b["variants"] = json!([])), "variants"),
    ];

    for (body, field) in cases {
        let response = shop.send(Method::POST, "/api/v1/admin/products", Some(body)).await;
        let error = error_of(response, 422).await;
        assert!(error.fields.as_ref().unwrap().contains_key(field), "{field}: {error:?}");
    }
    let options_without_variants = with(&|b| {
        b.as_object_mut().unwrap().remove("variants");
        b["sku"] = json!("TEE-1");
        b["price"] = json!({"amount": 100, "currency": "usd"});
    });
    let error = error_of(
        shop.send(Method::POST, "/api/v1/admin/products", Some(options_without_variants)).await,
        422,
    )
    .await;
    assert!(error.fields.unwrap().contains_key("variants"));
    assert_eq!(shop.products().await, before, "no product was written");
}

#[tokio::test]
async fn variants_are_added_changed_and_deleted_one_by_one() {
    let shop = shop().await;
    let product = shop.create(shop.shirt()).await;
    let id = product["id"].as_str().unwrap();
    let path = format!("/api/v1/admin/products/{id}/variants");
    let add = |body: Value| shop.send(Method::POST, &path, Some(body));

    let taken = add(json!({"sku": "TEE-S-R2", "options": {"Size": "S", "Color": "Red"},
        "price": {"amount": 1900, "currency": "usd"}}))
    .await;
    let sku_taken = add(json!({"sku": "TEE-S-R", "options": {"Size": "S", "Color": "Red"},
        "price": {"amount": 1900, "currency": "usd"}}))
    .await;
    let unknown_value = add(json!({"sku": "TEE-XL-R", "options": {"Size": "XL", "Color": "Red"},
        "price": {"amount": 1900, "currency": "usd"}}))
    .await;
    let changed = shop
        .send(Method::PUT, &format!("/api/v1/admin/products/{id}"),
            Some(json!({"options": [
                {"id": product["options"][0]["id"], "name": "Size", "values": ["S", "M", "L", "XL"]},
                {"id": product["options"][1]["id"], "name": "Colour", "values": ["Red", "Blue"]}]})))
        .await;
    let added = add(json!({"sku": "TEE-XL-R", "options": {"size": "xl", "colour": "RED"},
        "price": {"amount": 2300, "currency": "usd"}, "compare_at_price": {"amount": 2900, "currency": "usd"},
        "stock_quantity": 2, "weight_grams": 180})).await;
    assert_eq!(added.status(), 201);
    let added: Value = added.json().await.unwrap();
    let xl = added["id"].as_str().unwrap();
    let repriced: Value = shop
        .send(
            Method::PUT,
            &format!("/api/v1/admin/variants/{xl}"),
            Some(json!({"price": {"amount": 2200, "currency": "usd"}, "compare_at_price": null})),
        )
        .await
        .json()
        .await
        .unwrap();
    let restocked: Value = shop
        .send(
            Method::PATCH,
            &format!("/api/v1/admin/variants/{xl}/stock"),
            Some(json!({"delta": 3})),
        )
        .await
        .json()
        .await
        .unwrap();
    let deleted = shop.send(Method::DELETE, &format!("/api/v1/admin/variants/{xl}"), None).await;
    let after: Value = shop.app.get(&format!("/api/v1/products/{id}")).await.json().await.unwrap();

    assert_eq!(error_of(taken, 409).await.code, "variant_exists");
    assert_eq!(error_of(sku_taken, 409).await.code, "sku_taken");
    assert!(error_of(unknown_value, 422).await.fields.unwrap().contains_key("options"));
    assert_eq!(changed.status(), 200, "adding a value and renaming an option keep the variants");
    let changed: Value = changed.json().await.unwrap();
    assert_eq!(variant(&changed, "TEE-L-B")["options"], json!({"Size": "L", "Colour": "Blue"}));
    assert_eq!(
        added["options"],
        json!({"Size": "XL", "Colour": "Red"}),
        "spelled as the option spells it"
    );
    assert_eq!(added["compare_at_price"]["amount"], 2900);
    assert_eq!(added["weight_grams"], 180);
    assert_eq!(repriced["price"]["amount"], 2200);
    assert!(repriced["compare_at_price"].is_null(), "null clears it");
    assert_eq!(restocked["stock_quantity"], 5);
    assert_eq!(deleted.status(), 204);
    assert_eq!(after["variants"].as_array().unwrap().len(), 6);
    assert_eq!(after["price_range"]["max"]["amount"], 2100, "a deleted variant's price is gone");
}

#[tokio::test]
async fn product_level_sku_price_and_stock_changes_need_a_single_variant() {
    let shop = shop().await;
    let product = shop.create(shop.shirt()).await;
    let id = product["id"].as_str().unwrap();

    let stock = shop
        .send(
            Method::PATCH,
            &format!("/api/v1/admin/products/{id}/stock"),
            Some(json!({"delta": 1})),
        )
        .await;
    let price = shop
        .send(
            Method::PUT,
            &format!("/api/v1/admin/products/{id}"),
            Some(json!({"price": {"amount": 100, "currency": "usd"}})),
        )
        .await;

    let stock = error_of(stock, 422).await;
    let price = error_of(price, 422).await;
    assert_eq!(
        (stock.code.as_str(), price.code.as_str()),
        ("variant_required", "variant_required")
    );
    assert!(stock.fields.unwrap().contains_key("delta"));
    assert!(price.fields.unwrap().contains_key("price"));
    assert_eq!(shop.app.stock_of("TEE-S-R").await, 4, "nothing changed");
}

#[tokio::test]
async fn an_admin_edit_never_overwrites_units_put_back_meanwhile() {
    let shop = shop().await;
    let product = shop.create(shop.shirt()).await;
    let small_red = variant(&product, "TEE-S-R")["id"].as_str().unwrap().to_owned();
    // A cancellation holds the variant while it puts 3 units back.
    let mut cancel = shop.app.db.begin().await.unwrap();
    sqlx::query("SELECT 1 FROM product_variants WHERE sku = 'TEE-S-R' FOR NO KEY UPDATE")
        .execute(&mut *cancel)
        .await
        .unwrap();
    let edit = tokio::spawn({
        let request = shop.app.authed(
            Method::PUT,
            &format!("/api/v1/admin/variants/{small_red}"),
            &shop.admin.access_token,
        );
        async move {
            let body = json!({"price": {"amount": 2500, "currency": "usd"}});
            request.json(&body).send().await.unwrap().status().as_u16()
        }
    });
    shop.app.until_a_query_waits_for_a_lock().await;
    sqlx::query(
        "UPDATE product_variants SET stock_quantity = stock_quantity + 3 WHERE sku = 'TEE-S-R'",
    )
    .execute(&mut *cancel)
    .await
    .unwrap();
    cancel.commit().await.unwrap();

    assert_eq!(edit.await.unwrap(), 200);
    assert_eq!(shop.app.stock_of("TEE-S-R").await, 7, "the 3 units put back are kept");
}

#[tokio::test]
async fn a_create_that_fails_inside_its_transaction_writes_nothing() {
    let shop = shop().await;
    let before = shop.products().await;
    let mut body = shop.shirt();
    body["variants"][5]["sku"] = json!("K-001");
    let mut twice = shop.shirt();
    twice["variants"][1]["sku"] = json!("TEE-S-R");
    let mut with_id = shop.shirt();
    with_id["options"][0]["id"] = json!(uuid::Uuid::new_v4());

    let taken = shop.send(Method::POST, "/api/v1/admin/products", Some(body)).await;
    let repeated = shop.send(Method::POST, "/api/v1/admin/products", Some(twice)).await;
    let named = shop.send(Method::POST, "/api/v1/admin/products", Some(with_id)).await;

    assert_eq!(error_of(taken, 409).await.code, "sku_taken", "K-001 is a demo product's");
    assert!(error_of(repeated, 422).await.fields.unwrap().contains_key("variants[1].sku"));
    assert!(error_of(named, 422).await.fields.unwrap().contains_key("options[0].id"));
    assert_eq!(shop.products().await, before, "the product and its first variants rolled back");
    let variants: i64 =
        sqlx::query_scalar("SELECT count(*) FROM product_variants WHERE sku LIKE 'TEE-%'")
            .fetch_one(&shop.app.db)
            .await
            .unwrap();
    assert_eq!(variants, 0);
}

#[tokio::test]
async fn swapping_two_options_that_share_values_keeps_every_variant() {
    let shop = shop().await;
    let variants: Vec<Value> = [("1", "2"), ("2", "1")]
        .iter()
        .map(|(width, height)| {
            json!({"sku": format!("FRAME-{width}{height}"), "options": {"Width": width, "Height": height},
                   "price": {"amount": 900, "currency": "usd"}})
        })
        .collect();
    let product = shop
        .create(json!({"name": "Picture Frame", "category_id": shop.category, "variants": variants,
            "options": [{"name": "Width", "values": ["1", "2"]}, {"name": "Height", "values": ["1", "2"]}]}))
        .await;
    let id = product["id"].as_str().unwrap();
    let (width, height) = (&product["options"][0], &product["options"][1]);

    let swapped = shop
        .send(
            Method::PUT,
            &format!("/api/v1/admin/products/{id}"),
            Some(json!({"options": [height, width]})),
        )
        .await;

    assert_eq!(swapped.status(), 200);
    let swapped: Value = swapped.json().await.unwrap();
    assert_eq!(swapped["options"][0]["name"], "Height");
    assert_eq!(variant(&swapped, "FRAME-12")["options"], json!({"Width": "1", "Height": "2"}));
    assert_eq!(variant(&swapped, "FRAME-21")["options"], json!({"Width": "2", "Height": "1"}));
}

#[tokio::test]
async fn removing_an_option_value_in_use_is_refused_naming_the_variants() {
    let shop = shop().await;
    let product = shop.create(shop.shirt()).await;
    let id = product["id"].as_str().unwrap();
    let options = |sizes: Value| {
        json!({"options": [
            {"id": product["options"][0]["id"], "name": "Size", "values": sizes},
            {"id": product["options"][1]["id"], "name": "Color", "values": ["Red", "Blue"]}]})
    };

    let refused = shop
        .send(
            Method::PUT,
            &format!("/api/v1/admin/products/{id}"),
            Some(options(json!(["S", "M"]))),
        )
        .await;
    let error = error_of(refused, 409).await;
    for sku in ["TEE-L-R", "TEE-L-B"] {
        let large = variant(&product, sku)["id"].as_str().unwrap();
        let deleted =
            shop.send(Method::DELETE, &format!("/api/v1/admin/variants/{large}"), None).await;
        assert_eq!(deleted.status(), 204);
    }
    let allowed = shop
        .send(
            Method::PUT,
            &format!("/api/v1/admin/products/{id}"),
            Some(options(json!(["S", "M"]))),
        )
        .await;

    assert_eq!(error.code, "option_value_in_use");
    assert!(
        error.message.contains("TEE-L-R") && error.message.contains("TEE-L-B"),
        "{}",
        error.message
    );
    assert_eq!(allowed.status(), 200, "once no variant uses L, it can go");
}

#[tokio::test]
async fn a_product_with_several_variants_is_bought_by_variant() {
    let shop = shop().await;
    let product = shop.create(shop.shirt()).await;
    let (user, address) = shop.app.customer().await;
    let medium_blue = variant(&product, "TEE-M-B")["id"].as_str().unwrap().to_owned();
    let add = |body: Value| {
        shop.app.authed(Method::POST, "/api/v1/cart/items", &user.access_token).json(&body).send()
    };

    let by_product = add(json!({"product_id": product["id"], "quantity": 1})).await.unwrap();
    let cart: Value =
        add(json!({"variant_id": medium_blue, "quantity": 2})).await.unwrap().json().await.unwrap();
    let order: Value = shop
        .app
        .authed(Method::POST, "/api/v1/orders", &user.access_token)
        .json(&checkout_body(&address))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    let error = error_of(by_product, 422).await;
    assert_eq!(error.code, "variant_required");
    assert!(error.fields.unwrap().contains_key("product_id"));
    assert_eq!(cart["items"][0]["variant_id"], medium_blue.as_str());
    assert_eq!(cart["items"][0]["options"], json!({"Size": "M", "Color": "Blue"}));
    assert_eq!(cart["items"][0]["price"]["amount"], 2000);
    let item = &order["items"][0];
    assert_eq!((&item["sku"], &item["variant_id"]), (&json!("TEE-M-B"), &json!(medium_blue)));
    assert_eq!(item["options"], json!({"Size": "M", "Color": "Blue"}));
    assert_eq!(shop.app.stock_of("TEE-M-B").await, 2);
    assert_eq!(shop.app.stock_of("TEE-M-R").await, 4, "other variants keep their stock");
}

/// `count` new customers, each with one unit of `variant` in the cart.
async fn buyers_of(app: &TestApp, variant: &str, count: usize) -> Vec<(TestUser, String)> {
    let mut buyers = Vec::new();
    for _ in 0..count {
        let (user, address) = app.customer().await;
        add_variant_to_cart(app, &user, variant, 1).await;
        buyers.push((user, address));
    }
    buyers
}

#[tokio::test]
async fn thirty_buyers_of_five_units_of_one_variant_make_exactly_five_orders() {
    let shop = shop().await;
    let product = shop.create(shop.shirt()).await;
    let small_red = variant(&product, "TEE-S-R")["id"].as_str().unwrap().to_owned();
    sqlx::query("UPDATE product_variants SET stock_quantity = 30 WHERE sku = 'TEE-S-R'")
        .execute(&shop.app.db)
        .await
        .unwrap();
    let buyers = buyers_of(&shop.app, &small_red, 30).await;
    sqlx::query("UPDATE product_variants SET stock_quantity = 5 WHERE sku = 'TEE-S-R'")
        .execute(&shop.app.db)
        .await
        .unwrap();

    let statuses = checkout_all(&shop.app, buyers).await;

    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 5, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 25, "{statuses:?}");
    assert_eq!(shop.app.stock_of("TEE-S-R").await, 0);
    let sold: i64 = sqlx::query_scalar(
        "SELECT coalesce(sum(quantity), 0)::int8 FROM order_items i
         JOIN product_variants v ON v.id = i.variant_id WHERE v.sku = 'TEE-S-R'",
    )
    .fetch_one(&shop.app.db)
    .await
    .unwrap();
    assert_eq!(sold, 5);
    assert_eq!(shop.app.stock_of("TEE-S-B").await, 4, "the other colour is untouched");
}

#[tokio::test]
async fn two_variants_of_one_product_sell_out_side_by_side() {
    let shop = shop().await;
    let product = shop.create(shop.shirt()).await;
    let red = variant(&product, "TEE-L-R")["id"].as_str().unwrap().to_owned();
    let blue = variant(&product, "TEE-L-B")["id"].as_str().unwrap().to_owned();
    sqlx::query(
        "UPDATE product_variants SET stock_quantity = 12 WHERE sku IN ('TEE-L-R', 'TEE-L-B')",
    )
    .execute(&shop.app.db)
    .await
    .unwrap();
    let mut buyers = buyers_of(&shop.app, &red, 12).await;
    buyers.extend(buyers_of(&shop.app, &blue, 12).await);
    sqlx::query(
        "UPDATE product_variants SET stock_quantity = 8 WHERE sku IN ('TEE-L-R', 'TEE-L-B')",
    )
    .execute(&shop.app.db)
    .await
    .unwrap();
    // While a red order holds its variant's lock, a blue order still goes
    // through: buyers of different variants never wait for each other.
    let mut holder = shop.app.db.begin().await.unwrap();
    sqlx::query("SELECT 1 FROM product_variants WHERE sku = 'TEE-L-R' FOR NO KEY UPDATE")
        .execute(&mut *holder)
        .await
        .unwrap();
    let (lone_user, lone_address) = shop.app.customer().await;
    add_variant_to_cart(&shop.app, &lone_user, &blue, 1).await;
    let blue_while_red_is_held = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        shop.app
            .authed(Method::POST, "/api/v1/orders", &lone_user.access_token)
            .json(&checkout_body(&lone_address))
            .send(),
    )
    .await;
    holder.rollback().await.unwrap();

    let statuses = checkout_all(&shop.app, buyers).await;

    assert_eq!(blue_while_red_is_held.expect("not blocked by the red lock").unwrap().status(), 201);
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 15, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == 201 || *s == 409), "no deadlock or error: {statuses:?}");
    assert_eq!((shop.app.stock_of("TEE-L-R").await, shop.app.stock_of("TEE-L-B").await), (0, 0));
}

#[tokio::test]
async fn the_admin_lists_variants_running_out_fewest_first() {
    let shop = shop().await;
    // Everything else in the demo shop is well stocked.
    sqlx::query("UPDATE product_variants SET stock_quantity = 1000")
        .execute(&shop.app.db)
        .await
        .unwrap();
    let shirt = shop.create(shop.shirt()).await;
    let set = |sku: &'static str, quantity: i64| {
        let id = variant(&shirt, sku)["id"].as_str().unwrap().to_owned();
        let shop = &shop;
        async move {
            let path = format!("/api/v1/admin/variants/{id}/stock");
            let response =
                shop.send(Method::PATCH, &path, Some(json!({"quantity": quantity}))).await;
            assert_eq!(response.status(), 200);
        }
    };
    set("TEE-M-B", 0).await;
    set("TEE-L-R", 2).await;
    set("TEE-S-R", 9).await;
    let low = |query: &'static str| {
        let shop = &shop;
        async move {
            let path = format!("/api/v1/admin/inventory/low-stock{query}");
            let response = shop.send(Method::GET, &path, None).await;
            assert_eq!(response.status(), 200, "{path}");
            response.json::<Value>().await.unwrap()
        }
    };

    // The shop's threshold is 5: five of the six, the sold-out one first.
    let page = low("").await;
    assert_eq!(page["total"], 5);
    let skus: Vec<&str> =
        page["items"].as_array().unwrap().iter().map(|v| v["sku"].as_str().unwrap()).collect();
    assert_eq!(&skus[..2], ["TEE-M-B", "TEE-L-R"]);
    assert!(!skus.contains(&"TEE-S-R"), "nine units are not low");
    let first = &page["items"][0];
    assert_eq!(first["stock_quantity"], 0);
    assert_eq!(first["product_name"], "Organic Tee");
    assert_eq!(first["product_id"], shirt["id"]);
    assert_eq!(first["options"], json!({"Size": "M", "Color": "Blue"}));

    let page = low("?threshold=2&page_size=1").await;
    assert_eq!(
        (page["total"].clone(), page["items"][0]["sku"].clone()),
        (json!(2), json!("TEE-M-B"))
    );
    assert_eq!(low("?threshold=2&page=2&page_size=1").await["items"][0]["sku"], "TEE-L-R");

    // A variant taken off sale is not the shop's concern.
    let off = variant(&shirt, "TEE-M-B")["id"].as_str().unwrap().to_owned();
    let response = shop
        .send(
            Method::PUT,
            &format!("/api/v1/admin/variants/{off}"),
            Some(json!({"is_active": false})),
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(low("?threshold=2").await["total"], 1);

    for bad in ["-1", "1000001", "few"] {
        let path = format!("/api/v1/admin/inventory/low-stock?threshold={bad}");
        let error = error_of(shop.send(Method::GET, &path, None).await, 422).await;
        assert!(error.fields.unwrap().contains_key("threshold"), "{bad}");
    }
    let customer = shop.app.register_user().await;
    let path = "/api/v1/admin/inventory/low-stock";
    let refused = shop.app.authed(Method::GET, path, &customer.access_token).send().await.unwrap();
    assert_eq!(refused.status(), 403);
    assert_eq!(shop.app.get(path).await.status(), 401);
}
