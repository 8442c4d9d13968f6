//! `gokart-bench`: drives load at a running GoKart over loopback and
//! measures the ceilings the results are compared with, in the same run.
//!
//! Each scenario prints one line: requests per second, p50 and p99 latency,
//! and errors. `bench/run.sh` starts everything and prints the ratios.

// Printing results is what this program is for.
#![allow(clippy::print_stdout)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::ensure;
use chrono::{DateTime, Utc};
use clap::{Parser, Subcommand};
use gokart_api::auth::password::Passwords;
use gokart_api::config::ApiConfig;
use gokart_domain::NewPassword;
use gokart_edge::Env;

#[derive(Debug, Parser)]
#[command(name = "gokart-bench", about = "Load scenarios and ceilings for GoKart")]
struct Cli {
    #[command(subcommand)]
    scenario: Scenario,
}

#[derive(Debug, Subcommand)]
enum Scenario {
    /// Ceiling: argon2id verifications per second on all cores, at the
    /// parameters the API is configured with (ARGON2_* variables).
    Argon2 {
        /// How long to measure.
        #[arg(long, default_value_t = 5)]
        seconds: u64,
    },
    /// Start-up time to a 200 from /readyz, and resident memory once idle,
    /// of the API binary given (with the environment of this process).
    Startup {
        /// Path to the `api` binary.
        #[arg(long)]
        binary: std::path::PathBuf,
        /// Port to start it on.
        #[arg(long, default_value_t = 18090)]
        port: u16,
    },
    /// Product detail, category list and search against a running API with
    /// a large catalog (seed it with `api seed --synthetic-products N`).
    Catalog {
        /// The API's base URL.
        #[arg(long, default_value = "http://127.0.0.1:18080")]
        url: String,
        /// Requests in flight at once.
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
        /// How long to measure each scenario.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
    },
    /// Orders per second: each worker, as its own customer, adds a product to
    /// its cart and checks out, again and again. `--hot` has everyone buy the
    /// same product (one contended stock row); otherwise purchases spread over
    /// the catalog. Needs the demo admin to raise stock first.
    Checkout {
        /// The API's base URL.
        #[arg(long, default_value = "http://127.0.0.1:18080")]
        url: String,
        /// Everyone buys the same product.
        #[arg(long)]
        hot: bool,
        /// Customers buying at once.
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
        /// How long to measure.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
    },
    /// The fulfillment pipeline: places `orders` orders (manual payment, so
    /// each is paid at once) as fast as `concurrency` customers can, then
    /// waits until every one is delivered, and reports orders/s from the
    /// first payment to the last delivery and the paid-to-delivered latency.
    /// Run it against an API relaying to a worker with zero processing times.
    Pipeline {
        /// The API's base URL.
        #[arg(long, default_value = "http://127.0.0.1:18080")]
        url: String,
        /// Orders to push through.
        #[arg(long, default_value_t = 2000)]
        orders: usize,
        /// Customers ordering at once.
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
        /// Longest to wait for the last delivery.
        #[arg(long, default_value_t = 120)]
        timeout: u64,
    },
    /// Ceiling: a bare axum "hello" handler on this process's runtime, to
    /// be loaded by an HTTP load generator. Serves until killed.
    Hello {
        /// Port to serve on (127.0.0.1 only).
        #[arg(long, default_value_t = 18099)]
        port: u16,
    },
    /// Cart adds per second: each worker, as its own customer, adds one of
    /// 100 products to its cart, again and again.
    Cart {
        /// The API's base URL.
        #[arg(long, default_value = "http://127.0.0.1:18080")]
        url: String,
        /// Customers adding at once.
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
        /// How long to measure.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
    },
    /// Logins per second against a running API (only 127.0.0.1 is allowed).
    Login {
        /// The API's base URL.
        #[arg(long, default_value = "http://127.0.0.1:18080")]
        url: String,
        /// Distinct accounts to log in as (registered first).
        #[arg(long, default_value_t = 64)]
        users: usize,
        /// Requests in flight at once.
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
        /// How long to measure.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().scenario {
        Scenario::Argon2 { seconds } => argon2_ceiling(Duration::from_secs(seconds)).await,
        Scenario::Startup { binary, port } => startup(&binary, port).await,
        Scenario::Catalog { url, concurrency, seconds } => {
            catalog(&url, concurrency, Duration::from_secs(seconds)).await
        }
        Scenario::Checkout { url, hot, concurrency, seconds } => {
            checkout(&url, hot, concurrency, Duration::from_secs(seconds)).await
        }
        Scenario::Pipeline { url, orders, concurrency, timeout } => {
            pipeline(&url, orders, concurrency, Duration::from_secs(timeout)).await
        }
        Scenario::Hello { port } => hello(port).await,
        Scenario::Cart { url, concurrency, seconds } => {
            cart(&url, concurrency, Duration::from_secs(seconds)).await
        }
        Scenario::Login { url, users, concurrency, seconds } => {
            login(&url, users, concurrency, Duration::from_secs(seconds)).await
        }
    }
}

/// What a scenario measured.
struct Report {
    completed: usize,
    errors: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

impl Report {
    fn print(&mut self, name: &str) {
        self.latencies.sort_unstable();
        let at = |q: f64| {
            let index = ((self.latencies.len() as f64 - 1.0) * q).round() as usize;
            self.latencies.get(index).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
        };
        let rate = self.completed as f64 / self.elapsed.as_secs_f64();
        println!(
            "{name}: {rate:.1}/s  p50 {:.2} ms  p99 {:.2} ms  errors {}  ({} in {:.1} s)",
            at(0.50),
            at(0.99),
            self.errors,
            self.completed,
            self.elapsed.as_secs_f64()
        );
    }
}

async fn argon2_ceiling(duration: Duration) -> anyhow::Result<()> {
    let mut env = Env::load(None, "api.env")?;
    env.set("DATABASE_URL", "postgres://unused/unused");
    let config = ApiConfig::from_env(&env)?;
    let passwords = Passwords::new(config.auth.argon2)?;
    let password =
        NewPassword::parse("benchmark passphrase").map_err(|e| anyhow::anyhow!("{e}"))?;
    let hash = Arc::new(passwords.hash(&password).await?);
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    let deadline = Instant::now() + duration;
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..cores * 2 {
        let (passwords, hash) = (passwords.clone(), hash.clone());
        workers.spawn(async move {
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                let one = Instant::now();
                passwords.verify("benchmark passphrase", &hash).await?;
                latencies.push(one.elapsed());
            }
            Ok::<_, anyhow::Error>(latencies)
        });
    }
    let mut latencies = Vec::new();
    for result in workers.join_all().await {
        latencies.extend(result?);
    }
    let completed = latencies.len();
    Report { completed, errors: 0, elapsed: started.elapsed(), latencies }.print(&format!(
        "argon2id verify ceiling (m={} KiB, t={}, p={}, {cores} cores)",
        config.auth.argon2.memory_kib,
        config.auth.argon2.iterations,
        config.auth.argon2.parallelism
    ));
    Ok(())
}

async fn login(
    url: &str,
    users: usize,
    concurrency: usize,
    duration: Duration,
) -> anyhow::Result<()> {
    let client = loopback_client(url, concurrency)?;
    let password = "benchmark passphrase";
    let run = std::process::id();
    let mut emails = Vec::with_capacity(users);
    for n in 0..users {
        let email = format!("bench-{run}-{n}@example.com");
        let body = serde_json::json!({"name": "Bench", "email": email, "password": password});
        let response = client.post(format!("{url}/api/v1/users")).json(&body).send().await?;
        ensure!(response.status() == 201, "registering {email}: {}", response.status());
        emails.push(email);
    }
    let login_url = format!("{url}/api/v1/auth/login");
    let mut report = drive(&client, concurrency, duration, move |client, n| {
        let body = serde_json::json!({"email": emails[n % emails.len()], "password": password});
        client.post(&login_url).json(&body)
    })
    .await;
    report.print(&format!("login ({concurrency} concurrent, {users} accounts)"));
    Ok(())
}

/// Sends requests from `concurrency` workers for `duration`; request `n`
/// is made by `request(client, n)`. Any status but 200 counts as an error.
async fn drive<F>(
    client: &reqwest::Client,
    concurrency: usize,
    duration: Duration,
    request: F,
) -> Report
where
    F: Fn(&reqwest::Client, usize) -> reqwest::RequestBuilder + Send + Sync + 'static,
{
    let request = Arc::new(request);
    let deadline = Instant::now() + duration;
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for worker in 0..concurrency {
        let (client, request) = (client.clone(), request.clone());
        workers.spawn(async move {
            let (mut latencies, mut errors, mut n) = (Vec::new(), 0usize, worker);
            while Instant::now() < deadline {
                let one = Instant::now();
                match request(&client, n).send().await {
                    Ok(response) if response.status() == 200 => {
                        // Read the body: a client pays for it too.
                        if response.bytes().await.is_ok() {
                            latencies.push(one.elapsed());
                        } else {
                            errors += 1;
                        }
                    }
                    _ => errors += 1,
                }
                n += concurrency;
            }
            (latencies, errors)
        });
    }
    let (mut latencies, mut errors) = (Vec::new(), 0);
    for (worker_latencies, worker_errors) in workers.join_all().await {
        latencies.extend(worker_latencies);
        errors += worker_errors;
    }
    Report { completed: latencies.len(), errors, elapsed: started.elapsed(), latencies }
}

async fn catalog(url: &str, concurrency: usize, duration: Duration) -> anyhow::Result<()> {
    let client = loopback_client(url, concurrency)?;
    let page: serde_json::Value =
        client.get(format!("{url}/api/v1/products?page_size=100")).send().await?.json().await?;
    let total = page["total"].as_i64().unwrap_or(0);
    let ids: Vec<String> = page["items"]
        .as_array()
        .map(|items| items.iter().filter_map(|p| p["id"].as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    ensure!(!ids.is_empty(), "the catalog is empty: seed it first");
    let categories: serde_json::Value =
        client.get(format!("{url}/api/v1/categories")).send().await?.json().await?;
    let slugs: Vec<String> = categories["items"]
        .as_array()
        .map(|items| items.iter().filter_map(|c| c["slug"].as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    println!("catalog of {total} products in {} categories", slugs.len());

    let base = url.to_owned();
    let mut detail = drive(&client, concurrency, duration, move |client, n| {
        client.get(format!("{base}/api/v1/products/{}", ids[n % ids.len()]))
    })
    .await;
    detail.print("product detail");

    let base = url.to_owned();
    let mut list = drive(&client, concurrency, duration, move |client, n| {
        let slug = &slugs[n % slugs.len()];
        client.get(format!(
            "{base}/api/v1/products?category={slug}&sort=price_asc&page={}",
            1 + n % 5
        ))
    })
    .await;
    list.print("product list (category, by price, pages 1-5)");

    let base = url.to_owned();
    let words = ["kettle", "lamp", "head", "wireless", "tent", "desk", "bottle", "charger"];
    let mut search = drive(&client, concurrency, duration, move |client, n| {
        client.get(format!("{base}/api/v1/products?q={}", words[n % words.len()]))
    })
    .await;
    search.print("full-text search");
    Ok(())
}

async fn checkout(
    url: &str,
    hot: bool,
    concurrency: usize,
    duration: Duration,
) -> anyhow::Result<()> {
    let client = loopback_client(url, concurrency)?;
    let products = Arc::new(stocked_products(&client, url, if hot { 1 } else { 100 }).await?);
    let customers = customers(&client, url, concurrency).await?;
    let base = url.to_owned();
    let deadline = Instant::now() + duration;
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for (worker, customer) in customers.into_iter().enumerate() {
        let (client, products, base) = (client.clone(), products.clone(), base.clone());
        workers.spawn(async move {
            let (mut latencies, mut errors, mut n) = (Vec::new(), 0usize, worker);
            while Instant::now() < deadline {
                let one = Instant::now();
                let product = &products[n % products.len()];
                n += 7;
                match place_order(&client, &base, &customer, product).await {
                    Some(_) => latencies.push(one.elapsed()),
                    None => errors += 1,
                }
            }
            (latencies, errors)
        });
    }
    let (mut latencies, mut errors) = (Vec::new(), 0);
    for (worker_latencies, worker_errors) in workers.join_all().await {
        latencies.extend(worker_latencies);
        errors += worker_errors;
    }
    let kind = if hot { "one hot product" } else { "spread products" };
    Report { completed: latencies.len(), errors, elapsed: started.elapsed(), latencies }
        .print(&format!("checkout, {kind} ({concurrency} customers; add to cart + order)"));
    Ok(())
}

/// A client for load on `url`, which must be this machine's loopback.
fn loopback_client(url: &str, concurrency: usize) -> anyhow::Result<reqwest::Client> {
    ensure!(
        url.starts_with("http://127.0.0.1:") || url.starts_with("http://localhost:"),
        "load is only ever sent to this machine's loopback"
    );
    Ok(reqwest::Client::builder().pool_max_idle_per_host(concurrency * 2).build()?)
}

/// Up to `count` variant ids (the first of each product), each with stock
/// raised out of reach (as the demo admin).
async fn stocked_products(
    client: &reqwest::Client,
    url: &str,
    count: usize,
) -> anyhow::Result<Vec<String>> {
    let admin: serde_json::Value = client
        .post(format!("{url}/api/v1/auth/login"))
        .json(&serde_json::json!({"email": "admin@example.com", "password": "supersecretpassword"}))
        .send()
        .await?
        .json()
        .await?;
    let admin_token = admin["access_token"].as_str().unwrap_or_default().to_owned();
    let page: serde_json::Value = client
        .get(format!("{url}/api/v1/products?page_size={count}&sort=price_asc"))
        .send()
        .await?
        .json()
        .await?;
    // What a cart holds is a variant: each product's first.
    let products: Vec<String> = page["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|p| p["variants"][0]["id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    ensure!(!products.is_empty(), "the catalog is empty: seed it first");
    for variant in &products {
        let response = client
            .patch(format!("{url}/api/v1/admin/variants/{variant}/stock"))
            .bearer_auth(&admin_token)
            .json(&serde_json::json!({"quantity": 1_000_000_000}))
            .send()
            .await?;
        ensure!(response.status() == 200, "raising stock: {}", response.status());
    }
    Ok(products)
}

/// `count` new customers with an address each: (access token, address id).
async fn customers(
    client: &reqwest::Client,
    url: &str,
    count: usize,
) -> anyhow::Result<Vec<(String, String)>> {
    let run = std::process::id();
    let mut customers = Vec::with_capacity(count);
    for n in 0..count {
        let body = serde_json::json!({"name": "Bench", "email": format!("buyer-{run}-{n}@example.com"),
            "password": "benchmark passphrase"});
        let user: serde_json::Value =
            client.post(format!("{url}/api/v1/users")).json(&body).send().await?.json().await?;
        let token = user["access_token"].as_str().unwrap_or_default().to_owned();
        let address: serde_json::Value = client
            .post(format!("{url}/api/v1/addresses"))
            .bearer_auth(&token)
            .json(&serde_json::json!({"name": "Bench", "phone": "+1 555 010 0199", "street1": "1 Main St",
                "city": "Springfield", "postal_code": "62701", "country": "US"}))
            .send()
            .await?
            .json()
            .await?;
        let address = address["id"].as_str().unwrap_or_default().to_owned();
        ensure!(!token.is_empty() && !address.is_empty(), "could not set up customer {n}");
        customers.push((token, address));
    }
    Ok(customers)
}

/// Places one order of `product` for a customer; its id.
async fn place_order(
    client: &reqwest::Client,
    url: &str,
    (token, address): &(String, String),
    product: &str,
) -> Option<String> {
    let added = client
        .post(format!("{url}/api/v1/cart/items"))
        .bearer_auth(token)
        .json(&serde_json::json!({"variant_id": product, "quantity": 1}))
        .send()
        .await
        .ok()?;
    if added.status() != 200 {
        return None;
    }
    let ordered = client
        .post(format!("{url}/api/v1/orders"))
        .bearer_auth(token)
        .json(&serde_json::json!({"shipping_address_id": address,
            "billing_address_id": address, "payment_method": "manual"}))
        .send()
        .await
        .ok()?;
    if ordered.status() != 201 {
        return None;
    }
    let order: serde_json::Value = ordered.json().await.ok()?;
    order["id"].as_str().map(str::to_owned)
}

async fn pipeline(
    url: &str,
    orders: usize,
    concurrency: usize,
    timeout: Duration,
) -> anyhow::Result<()> {
    let client = loopback_client(url, concurrency)?;
    let products = Arc::new(stocked_products(&client, url, 100).await?);
    let customers = customers(&client, url, concurrency).await?;
    let placing = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for (worker, customer) in customers.into_iter().enumerate() {
        let (client, products, base) = (client.clone(), products.clone(), url.to_owned());
        let share = orders / concurrency + usize::from(worker < orders % concurrency);
        workers.spawn(async move {
            let mut placed = Vec::with_capacity(share);
            for n in 0..share {
                let product = &products[(worker + n * 7) % products.len()];
                if let Some(id) = place_order(&client, &base, &customer, product).await {
                    placed.push((customer.0.clone(), id));
                }
            }
            placed
        });
    }
    let placed: Vec<(String, String)> = workers.join_all().await.into_iter().flatten().collect();
    let placing = placing.elapsed();
    println!(
        "pipeline: {} orders placed in {:.1} s ({:.1}/s, {} failed)",
        placed.len(),
        placing.as_secs_f64(),
        placed.len() as f64 / placing.as_secs_f64(),
        orders - placed.len()
    );
    // Wait for every delivery, reading each order's timeline once delivered.
    let deadline = Instant::now() + timeout;
    let mut spans = Vec::with_capacity(placed.len());
    let mut waiting = placed;
    while !waiting.is_empty() {
        ensure!(Instant::now() < deadline, "{} orders not delivered in time", waiting.len());
        let mut still = Vec::new();
        for (token, id) in waiting {
            match paid_and_delivered(&client, url, &token, &id).await? {
                Some(span) => spans.push(span),
                None => still.push((token, id)),
            }
        }
        waiting = still;
        if !waiting.is_empty() {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    let first_paid = spans.iter().map(|(paid, _)| *paid).min();
    let last_delivered = spans.iter().map(|(_, delivered)| *delivered).max();
    let (Some(first_paid), Some(last_delivered)) = (first_paid, last_delivered) else {
        anyhow::bail!("no order was placed");
    };
    let window = (last_delivered - first_paid).to_std().unwrap_or_default();
    let latencies: Vec<Duration> = spans
        .iter()
        .map(|(paid, delivered)| (*delivered - *paid).to_std().unwrap_or_default())
        .collect();
    let mut report =
        Report { completed: spans.len(), errors: orders - spans.len(), elapsed: window, latencies };
    report.print("pipeline, paid to delivered (zero processing times)");
    Ok(())
}

/// When an order was paid and delivered, once it is delivered.
async fn paid_and_delivered(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    id: &str,
) -> anyhow::Result<Option<(DateTime<Utc>, DateTime<Utc>)>> {
    let order: serde_json::Value = client
        .get(format!("{url}/api/v1/orders/{id}"))
        .bearer_auth(token)
        .send()
        .await?
        .json()
        .await?;
    let at = |status: &str| {
        order["timeline"].as_array().and_then(|events| {
            events
                .iter()
                .find(|event| event["status"] == status)
                .and_then(|event| event["at"].as_str())
                .and_then(|at| at.parse::<DateTime<Utc>>().ok())
        })
    };
    Ok(at("confirmed").zip(at("delivered")))
}

async fn hello(port: u16) -> anyhow::Result<()> {
    let router = axum::Router::new().route("/", axum::routing::get(|| async { "hello" }));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    axum::serve(listener, router).await?;
    Ok(())
}

async fn cart(url: &str, concurrency: usize, duration: Duration) -> anyhow::Result<()> {
    let client = loopback_client(url, concurrency)?;
    let products = Arc::new(stocked_products(&client, url, 100).await?);
    let tokens: Arc<Vec<String>> = Arc::new(
        customers(&client, url, concurrency).await?.into_iter().map(|(token, _)| token).collect(),
    );
    let base = url.to_owned();
    let mut report = drive(&client, concurrency, duration, move |client, n| {
        // Worker `n % concurrency` is always the same customer.
        let token = &tokens[n % tokens.len()];
        client
            .post(format!("{base}/api/v1/cart/items"))
            .bearer_auth(token)
            .json(&serde_json::json!({"variant_id": products[(n / tokens.len()) % products.len()],
                "quantity": 1}))
    })
    .await;
    report.print(&format!("cart add ({concurrency} customers)"));
    Ok(())
}

async fn startup(binary: &std::path::Path, port: u16) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut child = tokio::process::Command::new(binary)
        .arg("serve")
        .env("PORT", port.to_string())
        .env("RUST_LOG", "warn")
        .kill_on_drop(true)
        .spawn()?;
    let deadline = started + Duration::from_secs(10);
    let mut ready = None;
    while Instant::now() < deadline {
        if gokart_edge::http::probe(port, "/readyz").await {
            ready = Some(started.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let ready = ready.ok_or_else(|| anyhow::anyhow!("the API did not become ready in 10 s"))?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let pid = child.id().ok_or_else(|| anyhow::anyhow!("the API exited"))?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let rss_kib: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("no VmRSS in /proc/{pid}/status"))?;
    child.start_kill()?;
    child.wait().await?;
    println!(
        "api start-up to ready: {:.1} ms; idle RSS: {:.1} MiB",
        ready.as_secs_f64() * 1000.0,
        rss_kib as f64 / 1024.0
    );
    Ok(())
}
