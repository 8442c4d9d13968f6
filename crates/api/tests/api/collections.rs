//! Nested categories and curated collections.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{AdminShop, error_of};

async fn shop() -> AdminShop {
    AdminShop::spawn().await
}

/// Up to `count` product ids of the demo catalog, by name.
async fn product_ids(shop: &AdminShop, count: i64) -> Vec<String> {
    let ids: Vec<uuid::Uuid> = sqlx::query_scalar("SELECT id FROM products ORDER BY name LIMIT $1")
        .bind(count)
        .fetch_all(&shop.app.db)
        .await
        .unwrap();
    ids.into_iter().map(|id| id.to_string()).collect()
}

/// A top-level category and one inside it.
async fn tree(shop: &AdminShop) -> (Value, Value) {
    let top = shop.created("/api/v1/admin/categories", json!({"name": "Garments"})).await;
    let inner = shop
        .created("/api/v1/admin/categories", json!({"name": "Upper Wear", "parent_id": top["id"]}))
        .await;
    (top, inner)
}

#[tokio::test]
async fn categories_nest_with_a_path_and_list_their_subcategories_products() {
    let shop = shop().await;
    let (_, tops) = tree(&shop).await;
    let tees = shop
        .created("/api/v1/admin/categories", json!({"name": "T-Shirts", "parent_id": tops["id"]}))
        .await;
    let product = shop
        .created(
            "/api/v1/admin/products",
            json!({"name": "Plain Tee", "sku": "TEE-PLAIN", "category_id": tees["id"],
                   "price": {"amount": 1500, "currency": "usd"}, "stock_quantity": 3}),
        )
        .await;

    let in_apparel = shop.json("/api/v1/products?category=garments").await;
    let in_tees = shop.json("/api/v1/products?category=t-shirts").await;
    let all = shop.json("/api/v1/categories").await;
    let listed = all["items"].as_array().unwrap().iter().find(|c| c["slug"] == "t-shirts").unwrap();

    let crumbs: Vec<&str> =
        tees["path"].as_array().unwrap().iter().map(|c| c["slug"].as_str().unwrap()).collect();
    assert_eq!(crumbs, ["garments", "upper-wear", "t-shirts"], "root first");
    assert_eq!(listed["path"], tees["path"]);
    assert_eq!(listed["parent_id"], tops["id"]);
    assert_eq!(in_apparel["total"], 1, "a category lists its subcategories' products");
    assert_eq!(in_apparel["items"][0]["id"], product["id"]);
    assert_eq!(in_tees["total"], 1);
}

#[tokio::test]
async fn a_category_cannot_move_inside_itself_and_keeps_its_subcategories() {
    let shop = shop().await;
    let (apparel, tops) = tree(&shop).await;
    let id = apparel["id"].as_str().unwrap();

    let into_child = shop
        .send(
            Method::PUT,
            &format!("/api/v1/admin/categories/{id}"),
            Some(json!({"parent_id": tops["id"]})),
        )
        .await;
    let into_itself = shop
        .send(
            Method::PUT,
            &format!("/api/v1/admin/categories/{id}"),
            Some(json!({"parent_id": id})),
        )
        .await;
    let unknown_parent = shop
        .send(
            Method::PUT,
            &format!("/api/v1/admin/categories/{id}"),
            Some(json!({"parent_id": uuid::Uuid::new_v4()})),
        )
        .await;
    let delete_parent =
        shop.send(Method::DELETE, &format!("/api/v1/admin/categories/{id}"), None).await;
    let to_top = shop
        .send(
            Method::PUT,
            &format!("/api/v1/admin/categories/{}", tops["id"].as_str().unwrap()),
            Some(json!({"parent_id": null})),
        )
        .await;

    assert_eq!(error_of(into_child, 409).await.code, "category_cycle");
    assert_eq!(error_of(into_itself, 409).await.code, "category_cycle");
    assert!(error_of(unknown_parent, 422).await.fields.unwrap().contains_key("parent_id"));
    assert_eq!(error_of(delete_parent, 409).await.code, "category_not_empty");
    assert_eq!(to_top.status(), 200);
    let moved: Value = to_top.json().await.unwrap();
    assert!(moved["parent_id"].is_null());
    assert_eq!(moved["path"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn two_moves_that_would_close_a_loop_together_leave_one_refused() {
    let shop = shop().await;
    let a = shop.created("/api/v1/admin/categories", json!({"name": "Alpha"})).await;
    let b = shop.created("/api/v1/admin/categories", json!({"name": "Beta"})).await;
    let (a, b) = (a["id"].as_str().unwrap().to_owned(), b["id"].as_str().unwrap().to_owned());

    let (a_path, b_path) =
        (format!("/api/v1/admin/categories/{a}"), format!("/api/v1/admin/categories/{b}"));
    let (first, second) = tokio::join!(
        shop.send(Method::PUT, &a_path, Some(json!({"parent_id": b}))),
        shop.send(Method::PUT, &b_path, Some(json!({"parent_id": a}))),
    );

    let mut statuses = [first.status().as_u16(), second.status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409]);
}

#[tokio::test]
async fn a_collection_lists_its_products_in_order_a_page_at_a_time() {
    let shop = shop().await;
    let ids = product_ids(&shop, 5).await;
    let chosen = [ids[3].clone(), ids[0].clone(), ids[4].clone()];

    let created = shop
        .created(
            "/api/v1/admin/collections",
            json!({"title": "Featured Picks", "description": "What we love this week.",
                   "product_ids": chosen}),
        )
        .await;
    let first = shop.json("/api/v1/collections/featured-picks?page_size=2").await;
    let second = shop.json("/api/v1/collections/featured-picks?page_size=2&page=2").await;
    let listed = shop.json("/api/v1/collections").await;
    let missing = shop.app.get("/api/v1/collections/no-such-thing").await;

    assert_eq!(created["handle"], "featured-picks", "derived from the title");
    assert_eq!(created["product_ids"], json!(chosen));
    assert_eq!(first["title"], "Featured Picks");
    assert_eq!(first["products"]["total"], 3);
    let pages = [&first, &second];
    let order: Vec<Value> = pages
        .iter()
        .flat_map(|page| page["products"]["items"].as_array().unwrap())
        .map(|product| product["id"].clone())
        .collect();
    assert_eq!(order, chosen.iter().map(|id| json!(id)).collect::<Vec<_>>(), "in the order given");
    assert_eq!(listed["items"][0]["handle"], "featured-picks");
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn collections_are_changed_and_deleted_and_bad_input_writes_nothing() {
    let shop = shop().await;
    let ids = product_ids(&shop, 3).await;
    let created = shop
        .created(
            "/api/v1/admin/collections",
            json!({"title": "New Arrivals", "product_ids": [ids[0]]}),
        )
        .await;
    let id = created["id"].as_str().unwrap();
    sqlx::query("UPDATE products SET is_active = false WHERE id = $1::uuid")
        .bind(&ids[2])
        .execute(&shop.app.db)
        .await
        .unwrap();

    let bad = [
        (json!({"title": ""}), "title"),
        (json!({"title": "X", "handle": "Not A Handle"}), "handle"),
        (json!({"title": "X", "product_ids": [ids[0], ids[0]]}), "product_ids"),
        (json!({"title": "X", "product_ids": [uuid::Uuid::new_v4()]}), "product_ids"),
    ];
    for (body, field) in bad {
        let response = shop.send(Method::POST, "/api/v1/admin/collections", Some(body)).await;
        assert!(error_of(response, 422).await.fields.unwrap().contains_key(field), "{field}");
    }
    let taken = shop
        .send(Method::POST, "/api/v1/admin/collections", Some(json!({"title": "New Arrivals"})))
        .await;
    let changed = shop
        .send(
            Method::PUT,
            &format!("/api/v1/admin/collections/{id}"),
            Some(json!({"product_ids": [ids[2], ids[1]]})),
        )
        .await;
    let shown = shop.json("/api/v1/collections/new-arrivals").await;
    let deleted = shop.send(Method::DELETE, &format!("/api/v1/admin/collections/{id}"), None).await;
    let gone = shop.app.get("/api/v1/collections/new-arrivals").await;
    let collections: i64 = sqlx::query_scalar("SELECT count(*) FROM collections")
        .fetch_one(&shop.app.db)
        .await
        .unwrap();

    assert_eq!(error_of(taken, 409).await.code, "handle_taken");
    assert_eq!(changed.status(), 200);
    assert_eq!(changed.json::<Value>().await.unwrap()["product_ids"], json!([ids[2], ids[1]]));
    assert_eq!(shown["products"]["total"], 1, "shoppers do not see the inactive product");
    assert_eq!(shown["products"]["items"][0]["id"], ids[1].as_str());
    assert_eq!(deleted.status(), 204);
    assert_eq!(gone.status(), 404);
    assert_eq!(collections, 0, "nothing was left behind by the refused requests");
}

#[tokio::test]
async fn searching_finds_products_by_their_variants_option_values() {
    let shop = shop().await;
    let category: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM categories ORDER BY slug LIMIT 1")
            .fetch_one(&shop.app.db)
            .await
            .unwrap();
    let variants: Vec<Value> = ["Vermilion", "Cerulean"]
        .iter()
        .map(|colour| {
            json!({"sku": format!("XQJ-{}", &colour[..3]), "options": {"Colour": colour},
                   "price": {"amount": 3000, "currency": "usd"}, "stock_quantity": 1})
        })
        .collect();
    shop.created(
        "/api/v1/admin/products",
        json!({"name": "Pique Polo", "category_id": category,
               "options": [{"name": "Colour", "values": ["Vermilion", "Cerulean"]}], "variants": variants}),
    )
    .await;

    let vermilion = shop.json("/api/v1/products?q=vermilion%20polo").await;
    let by_sku = shop.json("/api/v1/products?q=XQJ").await;

    assert_eq!(vermilion["total"], 1, "{vermilion}");
    assert_eq!(vermilion["items"][0]["name"], "Pique Polo");
    assert_eq!(by_sku["total"], 1, "{by_sku}");
}
