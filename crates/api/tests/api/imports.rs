//! Product import from CSV: queued at once, written in the background,
//! matched by SKU so that a file imported twice changes nothing, bad rows
//! reported and skipped without ever leaving half a product, and the
//! export read back in as it came out.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, error_of, names_field};
use crate::media::form;

const HEADER: &str = "product_id,name,description,brand,category,active,option1_name,\
                      option1_value,option2_name,option2_value,option3_name,option3_value,sku,\
                      price,compare_at_price,stock,weight_grams,image_urls";

/// Uploads `csv` as the body; the status and the answer.
async fn upload(app: &TestApp, token: &str, csv: impl Into<reqwest::Body>) -> (u16, Value) {
    let answer = app
        .authed(Method::POST, "/api/v1/admin/imports", token)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    let status = answer.status().as_u16();
    (status, answer.json().await.unwrap_or(Value::Null))
}

/// The import once it has finished.
async fn until_done(app: &TestApp, token: &str, id: &str) -> Value {
    let path = format!("/api/v1/admin/imports/{id}");
    for _ in 0..600 {
        let answer = app.authed(Method::GET, &path, token).send().await.unwrap();
        assert_eq!(answer.status(), 200);
        let import: Value = answer.json().await.unwrap();
        if import["status"] != "queued" && import["status"] != "running" {
            return import;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("import {id} did not finish in 30 s");
}

/// Uploads `csv` and waits for it to be written.
async fn import(app: &TestApp, admin: &TestUser, csv: &str) -> Value {
    let (status, queued) = upload(app, &admin.access_token, csv.to_owned()).await;
    assert_eq!(status, 202, "{queued}");
    until_done(app, &admin.access_token, queued["id"].as_str().unwrap()).await
}

fn counts(import: &Value) -> [i64; 4] {
    ["products_created", "products_updated", "variants_created", "variants_updated"]
        .map(|name| import[name].as_i64().unwrap())
}

/// A product as shoppers see it, found by one of its SKUs.
async fn product_with(app: &TestApp, sku: &str) -> Value {
    let id: uuid::Uuid =
        sqlx::query_scalar("SELECT product_id FROM product_variants WHERE sku = $1")
            .bind(sku)
            .fetch_one(&app.db)
            .await
            .unwrap();
    let answer = app.get(&format!("/api/v1/products/{id}")).await;
    assert_eq!(answer.status(), 200);
    answer.json().await.unwrap()
}

/// Two products shoppers see, each with the SKU of one of its variants.
async fn two_products(app: &TestApp) -> [(uuid::Uuid, String); 2] {
    let rows: Vec<(uuid::Uuid, String)> = sqlx::query_as(
        "SELECT DISTINCT ON (p.id) p.id, v.sku FROM products p
         JOIN product_variants v ON v.product_id = p.id AND v.deleted_at IS NULL
         WHERE p.deleted_at IS NULL AND p.is_active AND v.is_active
         ORDER BY p.id, v.position LIMIT 2",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    [rows[0].clone(), rows[1].clone()]
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&app.db).await.unwrap()
}

#[tokio::test]
async fn a_file_makes_products_with_variants_and_importing_it_again_changes_nothing() {
    let app = TestApp::spawn_shop().await;
    let admin = app.create_admin().await;
    let csv = format!(
        "{HEADER}\n\
         ,Trail Runner,\"Grippy, light\",Peak,outdoors,true,Size,42,Colour,Red,,,TR-42-R,8900,9900,5,310,http://127.0.0.1/photos/tr.jpg\n\
         ,Trail Runner,,,,,Size,43,Colour,Red,,,TR-43-R,8900,,0,320,\n\
         ,Trail Runner,,,,,Size,43,Colour,Blue,,,TR-43-B,9100,,7,320,\n\
         ,Desk Lamp,Warm light,Lumo,home-office,false,,,,,,,LAMP-1,2599,,12,,\n"
    );
    let done = import(&app, &admin, &csv).await;
    assert_eq!(done["status"], "done", "{done}");
    assert_eq!((done["rows_total"].as_i64(), done["rows_done"].as_i64()), (Some(4), Some(4)));
    assert_eq!(done["errors"], json!([]));
    assert_eq!(counts(&done), [2, 0, 4, 0]);

    let shoe = product_with(&app, "TR-43-B").await;
    assert_eq!(shoe["name"], "Trail Runner");
    assert_eq!(shoe["description"], "Grippy, light");
    assert_eq!(shoe["images"], json!(["http://127.0.0.1/photos/tr.jpg"]));
    let options: Vec<(&str, Vec<&str>)> = shoe["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            let values = o["values"].as_array().unwrap().iter().map(|v| v.as_str().unwrap());
            (o["name"].as_str().unwrap(), values.collect())
        })
        .collect();
    assert_eq!(options, [("Size", vec!["42", "43"]), ("Colour", vec!["Red", "Blue"])]);
    let variants = shoe["variants"].as_array().unwrap();
    assert_eq!(variants.len(), 3);
    assert_eq!(variants[0]["sku"], "TR-42-R");
    assert_eq!(variants[0]["compare_at_price"]["amount"], 9900);
    assert_eq!(variants[2]["price"]["amount"], 9100);
    assert_eq!(app.stock_of("TR-43-B").await, 7);
    // An inactive product is not shown to shoppers.
    let lamp: uuid::Uuid =
        sqlx::query_scalar("SELECT product_id FROM product_variants WHERE sku = 'LAMP-1'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(app.get(&format!("/api/v1/products/{lamp}")).await.status(), 404);

    let stamp = "SELECT max(greatest(p.updated_at, v.updated_at))::text FROM products p
                 JOIN product_variants v ON v.product_id = p.id";
    let before: String = sqlx::query_scalar(stamp).fetch_one(&app.db).await.unwrap();
    let again = import(&app, &admin, &csv).await;
    assert_eq!(again["status"], "done");
    assert_eq!(counts(&again), [0, 0, 0, 0], "{again}");
    assert_eq!(again["errors"], json!([]));
    let after: String = sqlx::query_scalar(stamp).fetch_one(&app.db).await.unwrap();
    assert_eq!(before, after, "nothing was written the second time");
    assert_eq!(count(&app, "SELECT count(*) FROM products WHERE name = 'Trail Runner'").await, 1);
}

#[tokio::test]
async fn bad_rows_are_reported_and_skipped_and_never_leave_half_a_product() {
    let app = TestApp::spawn_shop().await;
    let admin = app.create_admin().await;
    let [(owner, taken_sku), (other, _)] = two_products(&app).await;
    let owner_name = product_with(&app, &taken_sku).await["name"].clone();
    let csv = format!(
        "{HEADER}\n\
         ,Good Mug,,,kitchen,,,,,,,,MUG-1,1200,,3,,\n\
         ,Good Mug,,,,,,,,,,,MUG-2,twelve,,3,,\n\
         ,Nowhere Chair,,,no-such-aisle,,,,,,,,CHAIR-1,5000,,1,,\n\
         ,Nowhere Chair,,,,,,,,,,,CHAIR-2,5000,,1,,\n\
         {other},Thief,,,kitchen,,,,,,,,{taken_sku},100,,1,,\n\
         ,Twice,,,kitchen,,,,,,,,MUG-1,1300,,1,,\n\
         ,,,,,,,,,,,,LONELY-1,100,,1,,\n\
         ,Short row,kitchen\n\
         ,Sized Tee,,,kitchen,,Size,M,,,,,TEE-M,1500,,2,,\n\
         ,Sized Tee,,,,,Size,,,,,,TEE-L,1500,,2,,\n"
    );
    let done = import(&app, &admin, &csv).await;
    assert_eq!(done["status"], "done", "{done}");
    assert_eq!(done["rows_total"], 10);
    assert_eq!(done["rows_done"], 10);
    let errors: Vec<(i64, String)> = done["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["row"].as_i64().unwrap(), e["field"].as_str().unwrap().to_owned()))
        .collect();
    let expected: Vec<(i64, String)> = [
        (3, "price"),
        (4, "category"),
        (5, "row"),
        (6, "sku"),
        (7, "sku"),
        (8, "name"),
        (9, "row"),
        (11, "option1_value"),
    ]
    .into_iter()
    .map(|(row, field)| (row, field.to_owned()))
    .collect();
    assert_eq!(errors, expected, "{done}");
    assert_eq!(done["rows_failed"], 8);
    assert!(done["errors"][1]["message"].as_str().unwrap().contains("no-such-aisle"));
    assert!(done["errors"][4]["message"].as_str().unwrap().contains("repeats row 2"));

    // The good rows are in; the chair whose category is wrong is not, not
    // even its good second row; the taken SKU still has its own product.
    assert_eq!(app.stock_of("MUG-1").await, 3);
    assert_eq!(count(&app, "SELECT count(*) FROM product_variants WHERE sku = 'MUG-2'").await, 0);
    assert_eq!(count(&app, "SELECT count(*) FROM products WHERE name = 'Nowhere Chair'").await, 0);
    // A row naming one product with another's SKU changes neither.
    assert_eq!(count(&app, "SELECT count(*) FROM products WHERE name = 'Thief'").await, 0);
    assert_eq!(product_with(&app, &taken_sku).await["name"], owner_name);
    assert_eq!(product_with(&app, &taken_sku).await["id"], owner.to_string());
    assert!(done["errors"][3]["message"].as_str().unwrap().contains("another product"));
    assert_eq!(product_with(&app, "TEE-M").await["variants"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_file_without_a_usable_header_is_refused_and_nothing_is_kept() {
    let app = TestApp::spawn_shop().await;
    let admin = app.create_admin().await;
    for csv in ["", "name,price\nMug,100\n", "sku,colour\nA-1,red\n", "sku\n", "{\"sku\": 1}"] {
        let answer = app
            .authed(Method::POST, "/api/v1/admin/imports", &admin.access_token)
            .body(csv)
            .send()
            .await
            .unwrap();
        let error = error_of(answer, 422).await;
        assert!(names_field(&error, "file"), "{csv:?}: {error:?}");
    }
    assert_eq!(count(&app, "SELECT count(*) FROM product_imports").await, 0);

    // A form with the file works as the bare body does.
    let (body, content_type) =
        form(b"sku,price,stock\nnot-a-known-sku,100,1\n", "prices.csv", "text/csv", None);
    let answer = app
        .authed(Method::POST, "/api/v1/admin/imports", &admin.access_token)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 202);
    let location = answer.headers()["location"].to_str().unwrap().to_owned();
    let queued: Value = answer.json().await.unwrap();
    assert_eq!(location, format!("/api/v1/admin/imports/{}", queued["id"].as_str().unwrap()));
    let done = until_done(&app, &admin.access_token, queued["id"].as_str().unwrap()).await;
    assert_eq!(done["errors"][0]["field"], "name", "{done}");

    // Reports are kept for 30 days after the import ends.
    sqlx::query(
        "UPDATE product_imports SET finished_at = now() - interval '31 days' WHERE id = $1",
    )
    .bind(uuid::Uuid::parse_str(queued["id"].as_str().unwrap()).unwrap())
    .execute(&app.db)
    .await
    .unwrap();
    let report = gokart_api::maintenance::run(&app.state(&[])).await.unwrap();
    assert_eq!(report.imports_purged, 1);
    let purged = app.authed(Method::GET, &location, &admin.access_token).send().await.unwrap();
    assert_eq!(purged.status(), 404);

    let missing = app
        .authed(
            Method::GET,
            &format!("/api/v1/admin/imports/{}", uuid::Uuid::nil()),
            &admin.access_token,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn a_partial_file_changes_only_what_it_names() {
    let app = TestApp::spawn_shop().await;
    let admin = app.create_admin().await;
    let [(_, sku), _] = two_products(&app).await;
    let product = &product_with(&app, &sku).await;
    let done = import(&app, &admin, &format!("SKU,Stock\n{sku},2\n")).await;
    assert_eq!(counts(&done), [0, 1, 0, 1], "{done}");
    assert_eq!(app.stock_of(&sku).await, 2);
    let after = product_with(&app, &sku).await;
    for field in ["name", "description", "brand", "category_id", "price"] {
        assert_eq!(after[field], product[field], "{field} is left as it was");
    }
}

/// The export, imported as it came out, changes nothing; edited, it
/// changes exactly the cells edited; exported again, it shows them.
#[tokio::test]
async fn the_export_imports_back_unchanged_and_edits_round_trip() {
    let app = TestApp::spawn_shop().await;
    gokart_api::catalog::seed::synthetic_products(&app.db, 120).await.unwrap();
    let admin = app.create_admin().await;
    let export = || async {
        let answer = app
            .authed(Method::GET, "/api/v1/admin/exports/products.csv", &admin.access_token)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200);
        answer.text().await.unwrap()
    };
    // Cells an export must quote, defuse or keep as they are.
    let category: String = sqlx::query_scalar("SELECT slug FROM categories ORDER BY slug LIMIT 1")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let tricky = format!(
        "{HEADER}\n\
         ,\"=SUM(A1), \"\"quoted\"\"\",\"two\nlines, a comma\",''-) Smile,{category},false,Size,S,,,,,TRICKY-S,1999,2499,3,250,/img/a.jpg http://127.0.0.1/b.jpg\n\
         ,\"=SUM(A1), \"\"quoted\"\"\",,,,,Size,M,,,,,TRICKY-M,2199,,0,,\n"
    );
    let made = import(&app, &admin, &tricky).await;
    assert_eq!(counts(&made), [1, 0, 2, 0], "{made}");
    let stored: (String, String, String, bool, Vec<String>) = sqlx::query_as(
        "SELECT name, description, brand, is_active, images FROM products WHERE id =
             (SELECT product_id FROM product_variants WHERE sku = 'TRICKY-S')",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(stored.0, "=SUM(A1), \"quoted\"");
    assert_eq!(stored.1, "two\nlines, a comma");
    assert_eq!(stored.2, "'-) Smile");
    assert!(!stored.3);
    assert_eq!(stored.4, ["/img/a.jpg", "http://127.0.0.1/b.jpg"]);

    let first = export().await;
    let rows = csv::Reader::from_reader(first.as_bytes()).records().count() as i64;
    let done = import(&app, &admin, &first).await;
    assert_eq!(done["rows_total"].as_i64(), Some(rows));
    assert_eq!(done["errors"], json!([]), "{done}");
    assert_eq!(counts(&done), [0, 0, 0, 0]);
    assert_eq!(export().await, first);

    let mut reader = csv::Reader::from_reader(first.as_bytes());
    let header = reader.headers().unwrap().clone();
    let mut records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    let edit = |record: &csv::StringRecord, at: usize, value: &str| {
        let mut cells: Vec<String> = record.iter().map(str::to_owned).collect();
        cells[at] = value.to_owned();
        csv::StringRecord::from(cells)
    };
    // Two variants of two products.
    let product = |record: &csv::StringRecord| record.get(column("product_id")).unwrap().to_owned();
    let other = records.iter().position(|r| product(r) != product(&records[0])).unwrap();
    let priced = records[0].get(column("sku")).unwrap().to_owned();
    let stocked = records[other].get(column("sku")).unwrap().to_owned();
    records[0] = edit(&records[0], column("price"), "4321");
    records[other] = edit(&records[other], column("stock"), "77");
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(&header).unwrap();
    for record in &records {
        writer.write_record(record).unwrap();
    }
    let edited = String::from_utf8(writer.into_inner().unwrap()).unwrap();
    let done = import(&app, &admin, &edited).await;
    assert_eq!(counts(&done), [0, 2, 0, 2], "{done}");
    let price: i64 = sqlx::query_scalar("SELECT price_amount FROM product_variants WHERE sku = $1")
        .bind(&priced)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(price, 4321);
    assert_eq!(app.stock_of(&stocked).await, 77);
    let second = export().await;
    assert!(second.contains(",4321,"));
    assert_eq!(second.lines().count(), first.lines().count());
}

/// Two instances importing the same new products at once make each of
/// them once: the second finds the first's SKUs and changes nothing.
#[tokio::test]
async fn the_same_file_imported_twice_at_once_makes_each_product_once() {
    let app = TestApp::spawn_shop().await;
    let sibling = app.spawn_sibling(|_| {}).await;
    let admin = app.create_admin().await;
    let mut csv = format!("{HEADER}\n");
    for product in 0..60 {
        for size in ["S", "M", "L"] {
            csv.push_str(&format!(
                ",Race Tee {product},,,fitness,,Size,{size},,,,,RACE-{product}-{size},1500,,4,,\n"
            ));
        }
    }
    let (one, two) = tokio::join!(
        upload(&app, &admin.access_token, csv.clone()),
        upload(&sibling, &admin.access_token, csv.clone())
    );
    assert_eq!((one.0, two.0), (202, 202));
    let (one, two) = tokio::join!(
        until_done(&app, &admin.access_token, one.1["id"].as_str().unwrap()),
        until_done(&app, &admin.access_token, two.1["id"].as_str().unwrap())
    );
    assert_eq!(count(&app, "SELECT count(*) FROM products WHERE name LIKE 'Race Tee %'").await, 60);
    assert_eq!(
        count(&app, "SELECT count(*) FROM product_variants WHERE sku LIKE 'RACE-%'").await,
        180
    );
    let created =
        one["products_created"].as_i64().unwrap() + two["products_created"].as_i64().unwrap();
    assert_eq!(created, 60, "{one}\n{two}");
    for import in [&one, &two] {
        assert_eq!(import["status"], "done");
        assert_eq!(
            (import["rows_done"].as_i64(), import["rows_failed"].as_i64()),
            (Some(180), Some(0))
        );
    }
}

#[tokio::test]
async fn a_key_needs_catalog_write_to_import() {
    let app = TestApp::spawn_shop().await;
    let admin = app.create_admin().await;
    let make = |scopes: Value| {
        app.authed(Method::POST, "/api/v1/admin/api-keys", &admin.access_token)
            .json(&json!({"name": "erp", "scopes": scopes}))
            .send()
    };
    let reader: Value = make(json!(["catalog:read"])).await.unwrap().json().await.unwrap();
    let writer: Value = make(json!(["catalog:write"])).await.unwrap().json().await.unwrap();
    let csv = "sku,stock\nnobody,1\n";
    let (status, _) = upload(&app, reader["key"].as_str().unwrap(), csv).await;
    assert_eq!(status, 403);
    let (status, queued) = upload(&app, writer["key"].as_str().unwrap(), csv).await;
    assert_eq!(status, 202);
    let done =
        until_done(&app, writer["key"].as_str().unwrap(), queued["id"].as_str().unwrap()).await;
    assert_eq!(done["status"], "done");
}

/// A product's first row carries it: when that row is refused, as the file
/// is read or when it is written, none of the product's rows are applied.
#[tokio::test]
async fn a_product_whose_first_row_is_refused_is_left_as_it_was() {
    let app = TestApp::spawn_shop().await;
    let admin = app.create_admin().await;
    let [(product, sku), _] = two_products(&app).await;
    let before = product_with(&app, &sku).await;
    let csv = format!(
        "product_id,description,sku,price,stock\n\
         {product},Rewritten,{sku},12.50,1\n\
         {product},,NEW-SKU-1,900,5\n\
         ,,FRESH-1,100,1\n"
    );
    let done = import(&app, &admin, &csv).await;
    let errors: Vec<(i64, &str)> = done["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["row"].as_i64().unwrap(), e["field"].as_str().unwrap()))
        .collect();
    assert_eq!(errors, [(2, "price"), (3, "row"), (4, "name")], "{done}");
    assert_eq!(counts(&done), [0, 0, 0, 0]);
    let after = product_with(&app, &sku).await;
    assert_eq!(after["description"], before["description"]);
    assert_eq!(after["variants"], before["variants"]);
    assert_eq!(
        count(&app, "SELECT count(*) FROM product_variants WHERE sku = 'NEW-SKU-1'").await,
        0
    );
}

/// Without option columns a product is one variant; with them, variants
/// may trade option values with each other and with a new variant in one
/// file.
#[tokio::test]
async fn option_values_are_checked_across_the_file_and_may_change_hands() {
    let app = TestApp::spawn_shop().await;
    let admin = app.create_admin().await;
    let done = import(
        &app,
        &admin,
        "name,category,sku,price\nMug,kitchen,MUG-R,1200\nMug,kitchen,MUG-B,1200\n",
    )
    .await;
    assert_eq!(counts(&done), [1, 0, 1, 0], "{done}");
    assert_eq!(done["errors"][0]["row"], 3);
    assert!(done["errors"][0]["message"].as_str().unwrap().contains("no options"), "{done}");

    let colours = "name,category,option1_name,option1_value,sku,price\n\
                   Scarf,kitchen,Colour,Red,SCARF-A,900\n\
                   Scarf,kitchen,Colour,Blue,SCARF-B,900\n";
    assert_eq!(counts(&import(&app, &admin, colours).await), [1, 0, 2, 0]);
    // A takes B's colour, B a new one, and a new variant A's old one.
    let scarf = product_with(&app, "SCARF-A").await["id"].as_str().unwrap().to_owned();
    let traded = format!(
        "product_id,sku,option1_name,option1_value,price\n\
         ,SCARF-A,colour,BLUE,\n\
         ,SCARF-B,Colour,Green,\n\
         {scarf},SCARF-C,Colour,red,950\n"
    );
    let done = import(&app, &admin, &traded).await;
    assert_eq!(done["errors"], json!([]), "{done}");
    assert_eq!(counts(&done), [0, 1, 1, 2]);
    let scarf = product_with(&app, "SCARF-C").await;
    let picked: Vec<(&str, &str)> = scarf["variants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["sku"].as_str().unwrap(), v["options"]["Colour"].as_str().unwrap()))
        .collect();
    assert_eq!(picked, [("SCARF-A", "Blue"), ("SCARF-B", "Green"), ("SCARF-C", "Red")]);
    assert_eq!(scarf["options"][0]["values"], json!(["Red", "Blue", "Green"]));
}

/// A SKU given twice is refused the second time, however far apart the
/// rows are (here more products apart than a batch writes).
#[tokio::test]
async fn a_sku_given_twice_is_refused_the_second_time() {
    let app = TestApp::spawn_shop().await;
    let admin = app.create_admin().await;
    let mut csv = String::from("name,category,sku,price\nAlpha Mug,kitchen,DUP-1,1200\n");
    for n in 0..250 {
        csv.push_str(&format!("Filler {n:03},kitchen,FILL-{n},100\n"));
    }
    csv.push_str("Zeta Mug,kitchen,DUP-1,1300\n");
    let done = import(&app, &admin, &csv).await;
    assert_eq!(done["rows_total"], 252);
    assert_eq!(done["rows_done"], 252);
    assert_eq!(done["errors"], json!([{"row": 253, "field": "sku", "message": "repeats row 2"}]));
    assert_eq!(counts(&done), [251, 0, 251, 0]);
    assert_eq!(product_with(&app, "DUP-1").await["name"], "Alpha Mug");
    assert_eq!(count(&app, "SELECT count(*) FROM products WHERE name = 'Zeta Mug'").await, 0);
}
