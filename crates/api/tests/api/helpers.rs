//! `TestApp`: the API served on a random port against its own database.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::str::FromStr;

use axum::Router;
use gokart_api::{ApiConfig, AppState, db, startup};
use gokart_edge::Env;
use gokart_edge::http::ErrorDetail;
use reqwest::{Response, Url};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, Executor, PgConnection, PgPool};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The API under test.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub address: String,
    /// A client that keeps cookies and never follows redirects.
    pub client: reqwest::Client,
    /// A pool on the test database, for arranging and asserting.
    #[allow(dead_code, reason = "not every test binary arranges rows")]
    pub db: PgPool,
    /// The test database's URL.
    pub database_url: String,
    /// `http://` address of the metrics listener, when METRICS_PORT was given.
    #[allow(dead_code, reason = "only some tests scrape")]
    pub metrics_address: Option<String>,
    /// The test database, dropped with the app that created it.
    _database: Option<TestDatabase>,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<std::io::Result<()>>>,
}

impl TestApp {
    /// The API with default test configuration.
    pub async fn spawn() -> TestApp {
        TestApp::spawn_with(|_| {}, Router::new()).await
    }

    /// The API with configuration changed by `configure` and `extra` routes
    /// mounted beside the real ones.
    pub async fn spawn_with(configure: impl FnOnce(&mut Env), extra: Router<AppState>) -> TestApp {
        init_test_logging();
        let database = TestDatabase::create().await;
        let url = database.url.clone();
        TestApp::start(url, Some(database), configure, extra).await
    }

    /// The API on `database`, which the caller has migrated.
    #[allow(dead_code, reason = "only the upgrade tests bring their own database")]
    pub async fn on_database(database: TestDatabase) -> TestApp {
        init_test_logging();
        let url = database.url.clone();
        TestApp::start(url, Some(database), |_| {}, Router::new()).await
    }

    /// A second API instance on the same database, as when Cloud Run scales out.
    pub async fn spawn_sibling(&self, configure: impl FnOnce(&mut Env)) -> TestApp {
        TestApp::start(self.database_url.clone(), None, configure, Router::new()).await
    }

    async fn start(
        database_url: String,
        database: Option<TestDatabase>,
        configure: impl FnOnce(&mut Env),
        extra: Router<AppState>,
    ) -> TestApp {
        let mut env = Env::from_pairs([
            ("DATABASE_URL", database_url.as_str()),
            ("PORT", "0"),
            ("RUN_MIGRATIONS", "false"),
            ("JWT_SECRET", TEST_JWT_SECRET),
            // Pipeline tests turn the relay on; elsewhere outbox rows stay put.
            ("RELAY_ENABLED", "false"),
            // Cheap hashing keeps the suite fast; production cost is configured, not coded.
            ("ARGON2_MEMORY_KIB", "1024"),
            ("ARGON2_ITERATIONS", "1"),
            // The web app's tests build one of their own.
            ("WEB_DIR", "off"),
            // Search from PostgreSQL unless a test asks for the index, which
            // follows the catalog a moment behind the test's own writes.
            ("SEARCH_ENGINE", "false"),
            // Likewise product pages from PostgreSQL unless a test asks for
            // the cache.
            ("PRODUCT_CACHE_MB", "0"),
        ]);
        configure(&mut env);
        let config = ApiConfig::from_env(&env).expect("test configuration is valid");
        let server = startup::build_with_routes(config, extra).await.expect("the API builds");
        let address = format!("http://{}", server.local_addr().expect("bound"));
        let metrics_address = server.metrics_addr().map(|address| format!("http://{address}"));
        let (shutdown_tx, shutdown_rx) = oneshot::channel::<()>();
        let server = tokio::spawn(server.run_until(async move {
            let _ = shutdown_rx.await;
        }));
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client builds");
        let db = PgPoolOptions::new()
            .max_connections(4)
            .connect(&database_url)
            .await
            .expect("test database reachable");
        TestApp {
            address,
            client,
            db,
            database_url,
            metrics_address,
            _database: database,
            shutdown: Some(shutdown_tx),
            server: Some(server),
        }
    }

    /// An absolute URL for `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).send().await.expect("request sent")
    }

    /// `POST path` with a JSON body.
    pub async fn post_json(&self, path: &str, body: &serde_json::Value) -> Response {
        self.client.post(self.url(path)).json(body).send().await.expect("request sent")
    }

    /// `POST path` with a raw body and content type.
    pub async fn post_raw(
        &self,
        path: &str,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> Response {
        self.client
            .post(self.url(path))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("request sent")
    }

    /// Starts a graceful shutdown and waits for the server to finish.
    pub async fn stop(&mut self) -> std::io::Result<()> {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        match self.server.take() {
            Some(server) => server.await.expect("server task did not panic"),
            None => Ok(()),
        }
    }
}

/// The JWT key the test apps sign with, so tests can forge tokens.
pub const TEST_JWT_SECRET: &str = "test-only-jwt-secret-with-enough-length";

/// A registered user and the credentials a client would hold.
#[derive(Debug, Clone)]
pub struct TestUser {
    /// User id.
    pub id: String,
    /// Email as registered.
    pub email: String,
    /// Password in clear.
    pub password: String,
    /// Bearer access token.
    pub access_token: String,
    /// Value of the `refresh_token` cookie.
    pub refresh_token: String,
}

impl TestApp {
    /// `POST /api/v1/users`.
    pub async fn register(&self, name: &str, email: &str, password: &str) -> Response {
        let body = serde_json::json!({"name": name, "email": email, "password": password});
        self.post_json("/api/v1/users", &body).await
    }

    /// Registers a new customer with a unique email.
    pub async fn register_user(&self) -> TestUser {
        let email = format!("shopper-{}@example.com", uuid::Uuid::new_v4().simple());
        let password = "correct horse battery staple".to_owned();
        let response = self.register("Ada Shopper", &email, &password).await;
        assert_eq!(response.status(), 201, "registration succeeds");
        TestUser::from_response(response, email, password).await
    }

    /// Registers a user and makes them an admin.
    pub async fn create_admin(&self) -> TestUser {
        let user = self.register_user().await;
        sqlx::query("UPDATE users SET role = 'admin' WHERE email = $1")
            .bind(&user.email)
            .execute(&self.db)
            .await
            .unwrap();
        user
    }

    /// `POST /api/v1/auth/login`.
    pub async fn login(&self, email: &str, password: &str) -> Response {
        self.post_json(
            "/api/v1/auth/login",
            &serde_json::json!({"email": email, "password": password}),
        )
        .await
    }

    /// Logs `user` in again, as a new session.
    pub async fn sign_in(&self, user: &TestUser) -> TestUser {
        let response = self.login(&user.email, &user.password).await;
        assert_eq!(response.status(), 200, "login succeeds");
        TestUser::from_response(response, user.email.clone(), user.password.clone()).await
    }

    /// `POST /api/v1/auth/login` for `user`, carrying a guest `cart_token`.
    pub async fn login_with_cart(&self, user: &TestUser, cart_token: &str) -> Response {
        self.client
            .post(self.url("/api/v1/auth/login"))
            .header("cookie", format!("cart_token={cart_token}"))
            .json(&serde_json::json!({"email": user.email, "password": user.password}))
            .send()
            .await
            .unwrap()
    }

    /// `POST /api/v1/auth/refresh` presenting `refresh_token` as the cookie.
    pub async fn refresh(&self, refresh_token: &str) -> Response {
        self.client
            .post(self.url("/api/v1/auth/refresh"))
            .header("cookie", format!("refresh_token={refresh_token}"))
            .send()
            .await
            .unwrap()
    }

    /// A request with `Authorization: Bearer token`.
    pub fn authed(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
    ) -> reqwest::RequestBuilder {
        self.client.request(method, self.url(path)).bearer_auth(token)
    }
}

impl TestApp {
    /// The API with the demo catalog loaded.
    pub async fn spawn_shop() -> TestApp {
        TestApp::spawn_shop_with(|_| {}).await
    }

    /// The stock of the variant with `sku`.
    pub async fn stock_of(&self, sku: &str) -> i32 {
        sqlx::query_scalar("SELECT stock_quantity FROM product_variants WHERE sku = $1")
            .bind(sku)
            .fetch_one(&self.db)
            .await
            .unwrap()
    }

    /// Sets the stock of the product with `sku`; returns the product's id.
    pub async fn set_stock(&self, sku: &str, stock: i32) -> String {
        let id: uuid::Uuid = sqlx::query_scalar(
            "UPDATE product_variants SET stock_quantity = $2 WHERE sku = $1 RETURNING product_id",
        )
        .bind(sku)
        .bind(stock)
        .fetch_one(&self.db)
        .await
        .unwrap();
        id.to_string()
    }

    /// Waits until a query of the app is blocked on a lock the test holds.
    pub async fn until_a_query_waits_for_a_lock(&self) {
        for _ in 0..250 {
            let waiting: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM pg_stat_activity
                 WHERE datname = current_database() AND wait_event_type = 'Lock'",
            )
            .fetch_one(&self.db)
            .await
            .unwrap();
            if waiting > 0 {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        panic!("no query ever waited for the lock");
    }

    /// A new customer with one address; the user and the address id.
    pub async fn customer(&self) -> (TestUser, String) {
        let user = self.register_user().await;
        let address: serde_json::Value = self
            .authed(reqwest::Method::POST, "/api/v1/addresses", &user.access_token)
            .json(&serde_json::json!({"name": "Ada", "phone": "+1 555 010 0199",
                "street1": "1 Main St", "city": "Springfield", "state": "IL",
                "postal_code": "62701", "country": "US"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        (user, address["id"].as_str().unwrap().to_owned())
    }

    /// Application state over the test database with `settings`, for calling
    /// services (maintenance, housekeeping) directly.
    pub fn state(&self, settings: &[(&str, &str)]) -> AppState {
        let mut env = Env::from_pairs([("DATABASE_URL", self.database_url.as_str())]);
        for (name, value) in settings {
            env.set(*name, *value);
        }
        AppState::new(ApiConfig::from_env(&env).unwrap(), self.db.clone()).unwrap()
    }
}

impl TestUser {
    /// Reads the access token, user id and refresh cookie of a sign-in response.
    pub async fn from_response(response: Response, email: String, password: String) -> TestUser {
        let refresh_token = refresh_cookie(&response).expect("a refresh cookie is set");
        let body: serde_json::Value = response.json().await.unwrap();
        TestUser {
            id: body["user"]["id"].as_str().unwrap().to_owned(),
            email,
            password,
            access_token: body["access_token"].as_str().unwrap().to_owned(),
            refresh_token,
        }
    }
}

/// The `refresh_token` cookie a response sets, if any (empty when cleared).
pub fn refresh_cookie(response: &Response) -> Option<String> {
    cookie_value(response, "refresh_token")
}

/// The value of cookie `name` a response sets, if any (empty when cleared).
pub fn cookie_value(response: &Response, name: &str) -> Option<String> {
    set_cookie(response, name).map(|header| {
        let pair = header.split(';').next().unwrap_or("");
        pair.trim_start_matches(name).trim_start_matches('=').to_owned()
    })
}

/// The whole `Set-Cookie` header for cookie `name`, if the response sets it.
pub fn set_cookie(response: &Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

/// Parses an error response body, asserting its status.
pub async fn error_of(response: Response, status: u16) -> ErrorDetail {
    assert_eq!(response.status().as_u16(), status, "unexpected status");
    let content_type = response.headers().get("content-type").cloned();
    assert_eq!(
        content_type.as_ref().and_then(|v| v.to_str().ok()),
        Some("application/json"),
        "errors are JSON"
    );
    let envelope: gokart_edge::http::ErrorEnvelope =
        response.json().await.expect("error body has the documented shape");
    envelope.error
}

/// Whether `error` names a field that starts with `field` (`events` also
/// covers `events[0]`).
pub fn names_field(error: &ErrorDetail, field: &str) -> bool {
    error.fields.as_ref().is_some_and(|fields| fields.keys().any(|key| key.starts_with(field)))
}

fn init_test_logging() {
    if std::env::var_os("TEST_LOG").is_some() {
        let _ = gokart_edge::telemetry::init(gokart_edge::telemetry::LogFormat::Pretty, "debug");
    }
}

/// A database of its own for one test, copied from a migrated template and
/// dropped when the test ends (even when it fails).
pub struct TestDatabase {
    /// Its name.
    pub name: String,
    /// Its URL.
    pub url: String,
    admin_url: String,
}

impl TestDatabase {
    /// Creates a fresh, migrated database. `DATABASE_URL` names the server
    /// (and a database to connect to for administration); `make test` sets it.
    pub async fn create() -> TestDatabase {
        let admin_url = std::env::var("DATABASE_URL").expect(
            "DATABASE_URL must point at a PostgreSQL server: run the tests with `make test`",
        );
        let mut admin = PgConnectOptions::from_str(&admin_url)
            .expect("DATABASE_URL is a PostgreSQL URL")
            .disable_statement_logging()
            .connect()
            .await
            .expect("the PostgreSQL server in DATABASE_URL is reachable");
        let template = ensure_template(&mut admin, &admin_url).await;
        let name = format!("test_{}", uuid::Uuid::new_v4().simple());
        admin
            .execute(format!(r#"CREATE DATABASE "{name}" TEMPLATE "{template}""#).as_str())
            .await
            .expect("test database created");
        admin.close().await.ok();
        TestDatabase { url: with_database(&admin_url, &name), name, admin_url }
    }
}

impl TestDatabase {
    /// A fresh database with no migrations applied.
    #[allow(dead_code, reason = "only the upgrade tests start from nothing")]
    pub async fn empty() -> TestDatabase {
        let admin_url = std::env::var("DATABASE_URL").expect("DATABASE_URL names the server");
        let mut admin = PgConnection::connect(&admin_url).await.expect("server reachable");
        let name = format!("test_{}", uuid::Uuid::new_v4().simple());
        admin
            .execute(format!(r#"CREATE DATABASE "{name}" TEMPLATE template0"#).as_str())
            .await
            .expect("test database created");
        admin.close().await.ok();
        TestDatabase { url: with_database(&admin_url, &name), name, admin_url }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        // Drop runs outside any runtime we may block, so use a thread of our own.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            runtime.block_on(async {
                let mut admin =
                    PgConnection::connect(&admin_url).await.map_err(std::io::Error::other)?;
                admin
                    .execute(format!(r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#).as_str())
                    .await
                    .map_err(std::io::Error::other)?;
                Ok::<_, std::io::Error>(())
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("warning: test database {} was not dropped", self.name);
        }
    }
}

/// The name of a database holding every current migration, creating it once
/// per set of migrations. An advisory lock makes concurrent test processes
/// wait for the first one to build it.
async fn ensure_template(admin: &mut PgConnection, admin_url: &str) -> String {
    let mut hasher = DefaultHasher::new();
    for migration in db::MIGRATOR.iter() {
        migration.version.hash(&mut hasher);
        migration.checksum.hash(&mut hasher);
    }
    let template = format!("gokart_template_{:016x}", hasher.finish());
    sqlx::query("SELECT pg_advisory_lock(7310421)").execute(&mut *admin).await.expect("lock");
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(&template)
            .fetch_one(&mut *admin)
            .await
            .expect("catalog query");
    if !exists {
        let building = format!("{template}_building");
        admin
            .execute(format!(r#"DROP DATABASE IF EXISTS "{building}" WITH (FORCE)"#).as_str())
            .await
            .expect("stale template dropped");
        admin
            .execute(format!(r#"CREATE DATABASE "{building}""#).as_str())
            .await
            .expect("template created");
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .connect(&with_database(admin_url, &building))
            .await
            .expect("template reachable");
        db::migrate(&pool).await.expect("migrations apply to an empty database");
        pool.close().await;
        admin
            .execute(format!(r#"ALTER DATABASE "{building}" RENAME TO "{template}""#).as_str())
            .await
            .expect("template renamed");
    }
    sqlx::query("SELECT pg_advisory_unlock(7310421)").execute(&mut *admin).await.expect("unlock");
    template
}

fn with_database(url: &str, database: &str) -> String {
    let mut url = Url::parse(url).expect("DATABASE_URL is a URL");
    url.set_path(&format!("/{database}"));
    url.to_string()
}

/// A shop with the demo catalog and a signed-in admin.
#[allow(dead_code, reason = "only the admin test modules use it")]
pub struct AdminShop {
    /// The API.
    pub app: TestApp,
    /// An admin of it.
    pub admin: TestUser,
}

#[allow(dead_code, reason = "only the admin test modules use it")]
impl AdminShop {
    /// The demo shop and an admin.
    pub async fn spawn() -> AdminShop {
        let app = TestApp::spawn_shop().await;
        let admin = app.create_admin().await;
        AdminShop { app, admin }
    }

    /// The demo shop and an admin, without the default shipping zone and
    /// tax rate a new shop starts with.
    pub async fn spawn_bare() -> AdminShop {
        let shop = AdminShop::spawn().await;
        for table in ["shipping_zones", "tax_rates"] {
            sqlx::query(&format!("DELETE FROM {table}")).execute(&shop.app.db).await.unwrap();
        }
        shop
    }

    /// `method path` as the admin, with `body` as JSON when given.
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> Response {
        let mut request = self.app.authed(method, path, &self.admin.access_token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.expect("request sent")
    }

    /// `POST path` as the admin, which must answer 201; the body.
    pub async fn created(&self, path: &str, body: serde_json::Value) -> serde_json::Value {
        let response = self.send(reqwest::Method::POST, path, Some(body)).await;
        assert_eq!(response.status(), 201, "created");
        response.json().await.expect("a JSON body")
    }

    /// `GET path` as anyone, which must answer 200; the body.
    pub async fn json(&self, path: &str) -> serde_json::Value {
        let response = self.app.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        response.json().await.expect("a JSON body")
    }
}

/// Adds `quantity` of `product` (a product with one variant) to the user's cart.
pub async fn add_to_cart(app: &TestApp, user: &TestUser, product: &str, quantity: i64) {
    add_item(app, user, serde_json::json!({"product_id": product, "quantity": quantity})).await;
}

/// Adds `quantity` of `variant` to the user's cart.
#[allow(dead_code, reason = "only the variant tests name variants")]
pub async fn add_variant_to_cart(app: &TestApp, user: &TestUser, variant: &str, quantity: i64) {
    add_item(app, user, serde_json::json!({"variant_id": variant, "quantity": quantity})).await;
}

async fn add_item(app: &TestApp, user: &TestUser, body: serde_json::Value) {
    let response = app
        .authed(reqwest::Method::POST, "/api/v1/cart/items", &user.access_token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "added to cart");
}

/// Every buyer checks out at the same moment; the statuses, in any order.
pub async fn checkout_all(app: &TestApp, buyers: Vec<(TestUser, String)>) -> Vec<u16> {
    let mut checkouts = tokio::task::JoinSet::new();
    for (user, address) in buyers {
        let (client, url) = (app.client.clone(), app.url("/api/v1/orders"));
        checkouts.spawn(async move {
            let request =
                client.post(url).bearer_auth(user.access_token).json(&checkout_body(&address));
            request.send().await.unwrap().status().as_u16()
        });
    }
    checkouts.join_all().await
}

/// A checkout body paying with the manual provider.
pub fn checkout_body(address: &str) -> serde_json::Value {
    serde_json::json!({"shipping_address_id": address, "billing_address_id": address, "payment_method": "manual"})
}

/// Checks out the user's cart.
pub async fn checkout(app: &TestApp, user: &TestUser, address: &str) -> reqwest::Response {
    app.authed(reqwest::Method::POST, "/api/v1/orders", &user.access_token)
        .json(&checkout_body(address))
        .send()
        .await
        .unwrap()
}

/// A port nobody listens on yet (so a service can be told another's URL
/// before that one starts).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Seconds since the epoch, for token claims.
pub fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

impl TestApp {
    /// The API with configuration changed by `configure` and the demo catalog loaded.
    pub async fn spawn_shop_with(configure: impl FnOnce(&mut Env)) -> TestApp {
        let app = TestApp::spawn_with(configure, Router::new()).await;
        gokart_api::catalog::seed::demo_catalog(&app.db).await.unwrap();
        app
    }

    /// The API searching from its index, with the demo catalog loaded and
    /// indexed.
    #[allow(dead_code, reason = "only the search tests use the index")]
    pub async fn spawn_indexed_shop() -> TestApp {
        let app = TestApp::spawn_shop_with(|env| env.set("SEARCH_ENGINE", "true")).await;
        app.until_indexed().await;
        app
    }

    /// Waits until the search index is built and lists every product the
    /// shop shows.
    #[allow(dead_code, reason = "only the search tests use the index")]
    pub async fn until_indexed(&self) {
        self.until_indexed_within(std::time::Duration::from_secs(10)).await;
    }

    /// [`TestApp::until_indexed`], waiting up to `wait`.
    #[allow(dead_code, reason = "only the search tests use the index")]
    pub async fn until_indexed_within(&self, wait: std::time::Duration) {
        let visible: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM products
             WHERE deleted_at IS NULL AND is_active AND price_min IS NOT NULL",
        )
        .fetch_one(&self.db)
        .await
        .unwrap();
        let started = std::time::Instant::now();
        loop {
            let ready: serde_json::Value = self.get("/readyz").await.json().await.unwrap();
            if ready["search"] == "ready" {
                let page: serde_json::Value =
                    self.get("/api/v1/products?page_size=1").await.json().await.unwrap();
                if page["total"] == visible {
                    return;
                }
            }
            assert!(started.elapsed() < wait, "the index never caught up: {ready}");
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
}

/// Calls `check(path, text)` for every Rust source file below `dir`.
/// The API crate's `src/`, located when the test runs: a test binary reused
/// from another checkout must still read this one.
pub fn source_dir() -> std::path::PathBuf {
    let crate_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| env!("CARGO_MANIFEST_DIR").into(), std::path::PathBuf::from);
    crate_dir.join("src")
}

pub fn visit_sources(dir: &std::path::Path, check: &mut dyn FnMut(&std::path::Path, &str)) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            visit_sources(&path, check);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            check(&path, &std::fs::read_to_string(&path).unwrap());
        }
    }
}

/// The `cart_token` cookie a response sets.
pub fn cart_token(response: &reqwest::Response) -> Option<String> {
    cookie_value(response, "cart_token")
}

/// A guest adds `quantity` of `product` (one variant) to the cart behind
/// `token`, or to a new cart without one.
pub async fn guest_add(
    app: &TestApp,
    token: Option<&str>,
    product: &str,
    quantity: i64,
) -> reqwest::Response {
    let mut request = app
        .client
        .post(app.url("/api/v1/cart/items"))
        .json(&serde_json::json!({"product_id": product, "quantity": quantity}));
    if let Some(token) = token {
        request = request.header("cookie", format!("cart_token={token}"));
    }
    request.send().await.unwrap()
}
