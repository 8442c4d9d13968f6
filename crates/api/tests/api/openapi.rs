//! The OpenAPI document is generated from the code and agrees with the router.
//!
//! The tests without an app read the document the binary serves
//! (`gokart_api::routes::openapi()`): unique operation ids, explicit
//! security, typed ids, enums for closed sets, `$ref`s for list items,
//! declared headers, and request schemas as strict as the validation.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use crate::helpers::TestApp;

async fn spec(app: &TestApp) -> serde_json::Value {
    let response = app.get("/api/v1/openapi.json").await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

#[tokio::test]
async fn the_spec_is_served_and_describes_the_probes() {
    let app = TestApp::spawn().await;

    let spec = spec(&app).await;

    assert!(spec["openapi"].as_str().unwrap().starts_with("3."));
    assert_eq!(spec["info"]["title"], "GoKart API");
    assert!(spec["paths"]["/healthz"]["get"].is_object());
    assert!(spec["paths"]["/readyz"]["get"]["responses"]["503"].is_object());
    assert!(spec["components"]["schemas"]["ErrorEnvelope"].is_object());
}

#[tokio::test]
async fn the_spec_describes_bearer_tokens_and_the_refresh_cookie() {
    let app = TestApp::spawn().await;

    let spec = spec(&app).await;

    let schemes = &spec["components"]["securitySchemes"];
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(schemes["refresh_cookie"]["in"], "cookie");
    assert_eq!(schemes["refresh_cookie"]["name"], "refresh_token");
    assert_eq!(
        spec["paths"]["/api/v1/auth/refresh"]["post"]["security"][0]["refresh_cookie"],
        serde_json::json!([])
    );
    assert_eq!(
        spec["paths"]["/api/v1/users/profile"]["get"]["security"][0]["bearer"],
        serde_json::json!([])
    );
    for path in [
        "/api/v1/users",
        "/api/v1/auth/login",
        "/api/v1/auth/logout",
        "/api/v1/auth/sessions",
        "/api/v1/auth/sessions/{id}",
        "/api/v1/users/password",
        "/api/v1/users/account",
        "/api/v1/admin/users",
        "/api/v1/admin/users/{id}",
    ] {
        assert!(spec["paths"][path].is_object(), "{path} is documented");
    }
}

#[tokio::test]
async fn every_documented_operation_is_routed() {
    let app = TestApp::spawn().await;
    let spec = spec(&app).await;
    let paths = spec["paths"].as_object().unwrap();
    assert!(!paths.is_empty());

    for (template, operations) in paths {
        let path = fill_parameters(template);
        for method in operations.as_object().unwrap().keys() {
            let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let response = app.client.request(method.clone(), app.url(&path)).send().await.unwrap();
            let status = response.status().as_u16();
            let body: serde_json::Value = response.json().await.unwrap_or_default();
            assert_ne!(status, 405, "{method} {template} is documented but not routed");
            assert_ne!(
                body["error"]["code"], "route_not_found",
                "{method} {template} is documented but not routed"
            );
        }
    }
}

/// Routes are registered only through `routes!(...)`, which documents them
/// as it routes them; a plain `.route(` call would add an undocumented one.
/// The exceptions are not operations: the `local` media store's files at
/// `/media/...` (image bytes for `<img>` tags, described in API.md) and the
/// web app's pages and files, which take what no route does.
#[test]
fn every_route_is_registered_through_the_documented_router() {
    let src = crate::helpers::source_dir();
    let mut offenders = Vec::new();
    crate::helpers::visit_sources(&src, &mut |file, text| {
        for (number, line) in text.lines().enumerate() {
            let code = line.trim_start();
            let not_operations = [
                ".route(\"/media/{*key}\"",
                ".route(\"/\", any(web::serve))",
                ".route(\"/{*path}\", any(web::serve))",
            ];
            if code.starts_with("//") || not_operations.iter().any(|route| code.starts_with(route))
            {
                continue;
            }
            if [".route(", ".route_service(", ".nest_service("]
                .iter()
                .any(|call| code.contains(call))
            {
                offenders.push(format!("{}:{}: {code}", file.display(), number + 1));
            }
        }
    });
    assert!(offenders.is_empty(), "undocumented routes:\n{}", offenders.join("\n"));
}

#[tokio::test]
async fn interactive_docs_are_served_from_the_binary() {
    let app = TestApp::spawn().await;

    let page = app.get("/api/v1/docs/").await;
    assert_eq!(page.status(), 200);
    assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let html = page.text().await.unwrap();
    let bundle = app.get("/api/v1/docs/swagger-ui-bundle.js").await;

    assert!(html.contains("swagger-ui"));
    for attribute in ["src=\"http", "href=\"http", "src=\"//", "href=\"//"] {
        assert!(
            !html.contains(attribute),
            "the docs page loads something from elsewhere: {attribute}"
        );
    }
    assert_eq!(bundle.status(), 200);
    assert!(bundle.bytes().await.unwrap().len() > 100_000);
}

fn fill_parameters(template: &str) -> String {
    template
        .split('/')
        .map(|segment| {
            if segment.starts_with('{') {
                uuid::Uuid::new_v4().to_string()
            } else {
                segment.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn document() -> Value {
    gokart_api::routes::document()
}

/// Every operation as `(operationId or "METHOD path", operation)`.
fn operations(doc: &Value) -> Vec<(String, &Value)> {
    let mut found = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let name = operation["operationId"]
                .as_str()
                .map_or_else(|| format!("{} {path}", method.to_uppercase()), str::to_owned);
            found.push((name, operation));
        }
    }
    found
}

fn operation<'a>(doc: &'a Value, id: &str) -> &'a Value {
    operations(doc)
        .into_iter()
        .find(|(name, _)| name == id)
        .map(|(_, operation)| operation)
        .unwrap_or_else(|| panic!("no operation {id}"))
}

/// Follows `$ref`s to the schema they name; a dangling one fails the test.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(reference) => {
            let name = reference.strip_prefix("#/components/schemas/").unwrap();
            let target = &doc["components"]["schemas"][name];
            assert!(target.is_object(), "{reference} names no schema");
            resolve(doc, target)
        }
        None => schema,
    }
}

/// The schemas a value may match: `oneOf`/`anyOf` alternatives resolved,
/// `null` left out.
fn variants<'a>(doc: &'a Value, schema: &'a Value) -> Vec<&'a Value> {
    let schema = resolve(doc, schema);
    let alternatives = schema["oneOf"].as_array().or_else(|| schema["anyOf"].as_array());
    match alternatives {
        Some(alternatives) => alternatives.iter().flat_map(|s| variants(doc, s)).collect(),
        None if schema["type"] == "null" => Vec::new(),
        None => vec![schema],
    }
}

/// Calls `visit(name, schema)` for every property in `schema`, through
/// references, compositions, nested objects and array items.
fn visit_properties<'a>(doc: &'a Value, schema: &'a Value, visit: &mut dyn FnMut(&str, &'a Value)) {
    let schema = resolve(doc, schema);
    for key in ["allOf", "oneOf", "anyOf"] {
        for part in schema[key].as_array().into_iter().flatten() {
            visit_properties(doc, part, visit);
        }
    }
    for (name, property) in schema["properties"].as_object().into_iter().flatten() {
        visit(name, property);
        visit_properties(doc, property, visit);
    }
    if schema["items"].is_object() {
        visit_properties(doc, &schema["items"], visit);
    }
}

/// Every property of every JSON request body, with its operation's id.
fn request_properties(doc: &Value) -> Vec<(String, String, &Value)> {
    let mut found = Vec::new();
    for (id, operation) in operations(doc) {
        let body = &operation["requestBody"]["content"]["application/json"]["schema"];
        if body.is_object() {
            visit_properties(doc, body, &mut |name, schema| {
                found.push((id.clone(), name.to_owned(), schema));
            });
        }
    }
    found
}

fn parameter<'a>(doc: &'a Value, id: &str, name: &str) -> &'a Value {
    operation(doc, id)["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("{id} has no parameter {name}"))
}

#[test]
fn every_operation_has_its_own_meaningful_id() {
    let doc = document();

    let mut seen = BTreeMap::new();
    for (id, operation) in operations(&doc) {
        assert!(operation["operationId"].is_string(), "{id} has no operationId");
        *seen.entry(id).or_insert(0) += 1;
    }

    let repeated: Vec<_> = seen.iter().filter(|(_, count)| **count > 1).collect();
    assert!(repeated.is_empty(), "repeated operationIds: {repeated:?}");
    for id in seen.keys() {
        assert!(
            id.contains('_')
                || ["checkout", "healthz", "readyz", "register", "login", "logout"]
                    .contains(&id.as_str()),
            "{id} does not say what it acts on"
        );
        assert!(id.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{id} is not snake_case");
    }
    // scripts/fuzz-api.sh names these.
    for id in ["delete_account", "revoke_all_sessions", "revoke_session"] {
        assert!(seen.contains_key(id), "{id} is gone");
    }
}

#[test]
fn every_id_a_request_carries_is_a_uuid() {
    let doc = document();
    let is_id = |name: &str| name == "id" || name.ends_with("_id");
    let mut checked = 0;

    for (id, operation) in operations(&doc) {
        for parameter in operation["parameters"].as_array().into_iter().flatten() {
            let name = parameter["name"].as_str().unwrap();
            if is_id(name) {
                checked += 1;
                for schema in variants(&doc, &parameter["schema"]) {
                    assert_eq!(schema["format"], "uuid", "{id}: parameter {name}");
                }
            }
        }
    }
    for (id, name, schema) in request_properties(&doc) {
        if is_id(&name) {
            checked += 1;
            for schema in variants(&doc, schema) {
                assert_eq!(schema["format"], "uuid", "{id}: body field {name}");
            }
        }
    }

    assert!(checked > 25, "only {checked} ids found");
}

#[test]
fn every_operation_says_which_credentials_it_takes() {
    let doc = document();
    let public: BTreeSet<_> = [
        "healthz",
        "readyz",
        "register",
        "login",
        "request_password_reset",
        "confirm_password_reset",
        "verify_email",
        "lookup_order",
        "cancel_order_by_token",
        "get_order_payment_secret_by_token",
        "list_categories",
        "list_collections",
        "get_collection",
        "suggest_products",
        "list_products",
        "get_product",
        "get_shop",
        "receive_stripe_webhook",
    ]
    .into();
    let optional_sign_in = json!([{}, {"bearer": []}]);

    let mut needs_none = BTreeSet::new();
    for (id, operation) in operations(&doc) {
        let security = &operation["security"];
        assert!(security.is_array(), "{id} does not declare its security");
        if security.as_array().is_some_and(Vec::is_empty) {
            needs_none.insert(id.clone());
        }
        if id.contains("cart") {
            assert_eq!(security, &optional_sign_in, "{id}: a guest or a user");
        }
    }

    assert_eq!(needs_none, public.iter().map(|id| (*id).to_owned()).collect());
    for id in ["healthz", "list_products", "get_product", "register"] {
        assert!(operation(&doc, id)["responses"]["401"].is_null(), "{id} takes no credentials");
    }
    assert!(operation(&doc, "get_cart")["responses"]["401"].is_object(), "a bad token is a 401");
    assert!(operation(&doc, "list_orders")["responses"]["401"].is_object());
}

#[test]
fn closed_sets_of_values_are_enums() {
    let doc = document();
    let enum_values = |schema: &Value| -> Vec<String> {
        let variants = variants(&doc, schema);
        assert_eq!(variants.len(), 1, "one schema: {schema}");
        let values = variants[0]["enum"].as_array();
        values
            .unwrap_or_else(|| panic!("not an enum: {schema}"))
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect()
    };
    let property =
        |schema: &str, name: &str| doc["components"]["schemas"][schema]["properties"][name].clone();
    let reference = |name: &str| json!({"$ref": format!("#/components/schemas/{name}")});

    assert_eq!(enum_values(&property("CheckoutRequest", "payment_method")), ["manual", "stripe"]);
    assert_eq!(enum_values(&property("OrderView", "payment_method")), ["manual", "stripe"]);
    assert_eq!(
        enum_values(&property("SetDefaultRequest", "type")),
        ["shipping", "billing", "both"]
    );
    assert!(enum_values(&property("TimelineEntry", "status")).contains(&"shipped".to_owned()));
    assert!(enum_values(&property("DeadLetter", "kind")).contains(&"payment.refund".to_owned()));
    let sort = &parameter(&doc, "list_products", "sort")["schema"];
    assert_eq!(enum_values(sort), ["relevance", "price_asc", "price_desc", "newest"]);
    assert_eq!(parameter(&doc, "admin_list_orders", "status")["schema"], reference("OrderStatus"));
    assert_eq!(
        parameter(&doc, "admin_list_orders", "payment_status")["schema"],
        reference("PaymentStatus")
    );
    for schema in ["NewUserRequest", "UserUpdateRequest"] {
        let role = property(schema, "role");
        assert_eq!(enum_values(&role), ["user", "admin"]);
        assert!(role.to_string().contains("#/components/schemas/Role"), "{schema}.role");
    }
}

#[test]
fn list_pages_refer_to_their_item_schema() {
    let doc = document();
    let schemas = doc["components"]["schemas"].as_object().unwrap();

    let pages: Vec<_> = schemas.keys().filter(|name| name.starts_with("Page_")).collect();
    assert!(pages.len() >= 7, "{pages:?}");
    for page in pages {
        let item = page.strip_prefix("Page_").unwrap();
        assert_eq!(
            schemas[page]["properties"]["items"]["items"]["$ref"],
            format!("#/components/schemas/{item}"),
            "{page} copies its items"
        );
    }

    // Every schema is used, and every reference names one.
    let text = doc.to_string();
    for name in schemas.keys() {
        let reference = format!("\"#/components/schemas/{name}\"");
        assert!(text.contains(&reference), "{name} is never used");
    }
    for reference in text.split("\"$ref\":\"").skip(1) {
        let reference = reference.split('"').next().unwrap();
        resolve(&doc, &json!({ "$ref": reference }));
    }
}

#[test]
fn the_document_names_the_server_it_describes() {
    let doc = document();

    let servers = doc["servers"].as_array().unwrap();

    assert!(!servers.is_empty());
    assert_eq!(servers[0]["url"], "/");
}

#[test]
fn headers_the_api_reads_and_writes_are_declared() {
    let doc = document();
    let header = |id: &str, status: &str, name: &str| {
        operation(&doc, id)["responses"][status]["headers"][name].clone()
    };

    for id in ["list_products", "get_product", "list_categories"] {
        assert_eq!(parameter(&doc, id, "If-None-Match")["in"], "header");
        assert!(header(id, "200", "ETag").is_object(), "{id}: ETag");
        assert!(header(id, "304", "ETag").is_object(), "{id}: ETag on 304");
    }
    for (id, status) in [("register", "201"), ("login", "200"), ("refresh_session", "200")] {
        assert!(header(id, status, "Set-Cookie").is_object(), "{id}: Set-Cookie");
    }
    assert_eq!(parameter(&doc, "checkout", "Idempotency-Key")["in"], "header");
    let mut busy = 0;
    for (id, operation) in operations(&doc) {
        for status in ["429", "503"] {
            if operation["responses"][status].is_object() {
                busy += 1;
                let retry = &operation["responses"][status]["headers"]["Retry-After"];
                assert_eq!(retry["schema"]["type"], "integer", "{id} {status}: Retry-After");
            }
        }
    }
    assert!(busy > operations(&doc).len(), "every operation can be shed with a 503");
}

#[test]
fn order_addresses_have_a_schema() {
    let doc = document();
    let order = &doc["components"]["schemas"]["OrderView"]["properties"];

    for field in ["shipping_address", "billing_address"] {
        let address = resolve(&doc, &order[field]);
        assert_eq!(address["type"], "object", "{field}");
        for property in ["name", "phone", "street1", "city", "postal_code", "country"] {
            assert!(address["properties"][property].is_object(), "{field}.{property}");
        }
    }
}

/// Schema-valid input should be valid to the API too: every string a
/// request carries is bounded or drawn from a set, and the validators'
/// numbers are in the schema.
#[test]
fn request_schemas_state_the_validation_rules() {
    let doc = document();
    // Any password may be tried; only a new one has a policy.
    let unbounded_by_design = [
        ("login", "password"),
        ("change_password", "current_password"),
        ("delete_account", "password"),
    ];

    let mut strings = 0;
    for (id, name, schema) in request_properties(&doc) {
        for schema in variants(&doc, schema) {
            if schema["type"] != "string"
                || unbounded_by_design.contains(&(id.as_str(), name.as_str()))
            {
                continue;
            }
            strings += 1;
            let bounded = ["maxLength", "enum", "format"].iter().any(|key| !schema[key].is_null());
            assert!(bounded, "{id}: {name} takes any string: {schema}");
        }
    }
    for (id, operation) in operations(&doc) {
        for parameter in operation["parameters"].as_array().into_iter().flatten() {
            for schema in variants(&doc, &parameter["schema"]) {
                if schema["type"] == "string" && parameter["in"] == "query" {
                    let bounded =
                        ["maxLength", "enum", "format"].iter().any(|k| !schema[k].is_null());
                    assert!(bounded, "{id}: parameter {} takes any string", parameter["name"]);
                }
            }
        }
    }
    assert!(strings > 40, "only {strings} strings checked");

    let schemas = &doc["components"]["schemas"];
    let field =
        |schema: &str, name: &str| variants(&doc, &schemas[schema]["properties"][name])[0].clone();
    let limits = |schema: &Value| (schema["minLength"].clone(), schema["maxLength"].clone());
    let range = |schema: &Value| (schema["minimum"].clone(), schema["maximum"].clone());

    assert_eq!(limits(&field("RegisterRequest", "password")), (json!(8), json!(128)));
    assert_eq!(limits(&field("RegisterRequest", "name")), (json!(1), json!(100)));
    assert_eq!(field("RegisterRequest", "email")["format"], "email");
    assert_eq!(limits(&field("ProductRequest", "name")), (json!(1), json!(200)));
    assert_eq!(limits(&field("ProductRequest", "sku")), (json!(1), json!(64)));
    assert_eq!(field("ProductRequest", "images")["maxItems"], 20);
    assert_eq!(range(&field("ProductRequest", "stock_quantity")), (json!(0), json!(1_000_000_000)));
    assert_eq!(range(&field("Price", "amount")), (json!(0), json!(10_000_000_000_i64)));
    for pick in schemas["AddItemRequest"]["oneOf"].as_array().unwrap() {
        assert_eq!(range(&pick["properties"]["quantity"]), (json!(1), json!(99)));
    }
    assert_eq!(range(&field("SetQuantityRequest", "quantity")), (json!(0), json!(99)));
    assert_eq!(limits(&field("AddressFields", "postal_code")), (json!(2), json!(12)));
    assert!(field("AddressFields", "phone")["pattern"].is_string());
    assert!(field("AddressFields", "country")["enum"].as_array().unwrap().contains(&json!("GB")));
    let required = schemas["AddressFields"]["required"].as_array().unwrap();
    for name in ["name", "phone", "street1", "city", "postal_code", "country"] {
        assert!(required.contains(&json!(name)), "AddressFields.{name} is required");
    }
    let stock = schemas["StockRequest"]["oneOf"].as_array().unwrap();
    assert_eq!(stock.len(), 2, "exactly one of delta and quantity");
    let create =
        &operation(&doc, "admin_create_product")["requestBody"]["content"]["application/json"];
    assert_eq!(create["schema"]["$ref"], "#/components/schemas/NewProductRequest");
}

#[tokio::test]
async fn optional_query_values_may_be_empty_and_an_empty_one_means_absent() {
    let app = TestApp::spawn_shop().await;
    let served = spec(&app).await;
    let list = &served["paths"]["/api/v1/products"]["get"]["parameters"];

    let empty = app.get("/api/v1/products?sort=&category=&min_price=&in_stock=").await;
    let absent = app.get("/api/v1/products").await;

    for parameter in list.as_array().unwrap().iter().filter(|p| p["in"] == "query") {
        assert_eq!(parameter["allowEmptyValue"], true, "{}", parameter["name"]);
    }
    assert_eq!(served, gokart_api::routes::document(), "the dump is what is served");
    assert_eq!(empty.status(), 200);
    let (empty, absent): (serde_json::Value, serde_json::Value) =
        (empty.json().await.unwrap(), absent.json().await.unwrap());
    assert_eq!(empty["total"], absent["total"]);
}
