//! The relevance check: fixed queries over the demo catalog with the
//! product a shopper expects near the top. Every search path must pass the
//! cases that apply to it; all the misses are reported together.

use serde_json::Value;

use crate::helpers::TestApp;

/// A query and the product it must find.
struct Case {
    /// What the shopper types.
    query: &'static str,
    /// The name of the product expected.
    expect: &'static str,
    /// Among the first this many results.
    within: usize,
    /// Whether the SQL search (the fallback) is held to it: it matches
    /// words by prefix and falls back to trigram similarity on the name
    /// only when nothing matches, so typos inside longer queries and some
    /// inflections are beyond it.
    sql: bool,
}

const fn case(query: &'static str, expect: &'static str, within: usize, sql: bool) -> Case {
    Case { query, expect, within, sql }
}

const CASES: &[Case] = &[
    // Whole names and words of them.
    case("electric kettle", "Electric Kettle", 1, true),
    case("cast iron skillet", "Cast Iron Skillet", 1, true),
    case("skillet", "Cast Iron Skillet", 1, true),
    case("yoga mat", "Yoga Mat", 1, true),
    case("standing desk", "Standing Desk", 1, true),
    case("fountain pen", "Fountain Pen", 1, true),
    case("foam roller", "Foam Roller", 1, true),
    case("4k monitor", "4K Monitor", 1, true),
    case("wireless mouse", "Wireless Mouse", 1, true),
    case("sleeping bag", "Down Sleeping Bag", 1, true),
    case("water bottle", "Insulated Water Bottle", 1, true),
    case("hammock", "Hammock", 1, true),
    // Words in another order, and a stop word.
    case("running shoes trail", "Trail Running Shoes", 1, true),
    case("the yoga mat", "Yoga Mat", 1, true),
    // The last word as a prefix, as while typing.
    case("espre", "Espresso Machine", 1, true),
    case("headph", "Wireless Noise-Cancelling Headphones", 1, true),
    case("wireless ear", "Wireless Earbuds", 1, true),
    case("binoc", "Binoculars", 1, true),
    case("dutch ov", "Dutch Oven", 1, true),
    // Brands and categories.
    case("forgewell", "Cast Iron Skillet", 3, true),
    case("kurogane", "Chef's Knife", 1, true),
    case("digital kitchen scale", "Digital Kitchen Scale", 1, true),
    case("usb charger", "USB-C Charger 65W", 1, true),
    // Option values.
    case("terracotta", "Linen Camp Shirt", 1, true),
    case("burgundy hoodie", "Zip Hoodie", 1, true),
    case("oatmeal", "Long Sleeve Henley", 1, true),
    case("heather grey tee", "Organic Cotton Tee", 1, true),
    // SKUs.
    case("K-009", "Espresso Machine", 1, true),
    case("E-007", "4K Monitor", 1, true),
    // Typos.
    case("kettel", "Electric Kettle", 3, true),
    case("binoculers", "Binoculars", 1, true),
    case("hamock", "Hammock", 1, true),
    case("headphnoes", "Wireless Noise-Cancelling Headphones", 1, true),
    case("espreso machine", "Espresso Machine", 1, false),
    case("wireles mouse", "Wireless Mouse", 1, false),
    // Inflections.
    case("boots", "Hiking Boots", 1, true),
    case("knives", "Chef's Knife", 1, false),
];

/// The names of the first results for `query`.
async fn top(app: &TestApp, query: &str, n: usize) -> Vec<String> {
    let path = format!("/api/v1/products?q={}&page_size={n}", urlencode(query));
    let response = app.get(&path).await;
    assert_eq!(response.status(), 200, "{path}");
    let page: Value = response.json().await.unwrap();
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|product| product["name"].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Every case that applies (`applies`) that `app` fails, described.
async fn misses(app: &TestApp, applies: impl Fn(&Case) -> bool) -> Vec<String> {
    let mut misses = Vec::new();
    for case in CASES.iter().filter(|case| applies(case)) {
        let found = top(app, case.query, case.within).await;
        if !found.iter().any(|name| name == case.expect) {
            misses.push(format!(
                "{:?}: expected {:?} in the first {}, got {found:?}",
                case.query, case.expect, case.within
            ));
        }
    }
    misses
}

#[tokio::test]
async fn the_fixed_queries_find_what_shoppers_expect_on_the_sql_search() {
    assert!(CASES.len() >= 30, "the check has at least 30 queries");
    let app = TestApp::spawn_shop().await;
    let misses = misses(&app, |case| case.sql).await;
    assert!(misses.is_empty(), "relevance misses:\n{}", misses.join("\n"));
}

#[tokio::test]
async fn the_fixed_queries_find_what_shoppers_expect_on_the_engine() {
    let app = TestApp::spawn_indexed_shop().await;
    let misses = misses(&app, |_| true).await;
    assert!(misses.is_empty(), "relevance misses:\n{}", misses.join("\n"));
}
