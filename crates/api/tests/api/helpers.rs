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
    /// The test database, dropped with the app.
    _database: TestDatabase,
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
        let mut env = Env::from_pairs([
            ("DATABASE_URL", database.url.as_str()),
            ("PORT", "0"),
            ("RUN_MIGRATIONS", "false"),
        ]);
        configure(&mut env);
        let config = ApiConfig::from_env(&env).expect("test configuration is valid");
        let server = startup::build_with_routes(config, extra)
            .await
            .expect("the API builds");
        let address = format!("http://{}", server.local_addr().expect("bound"));
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
            .connect(&database.url)
            .await
            .expect("test database reachable");
        TestApp {
            address,
            client,
            db,
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
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request sent")
    }

    /// `POST path` with a JSON body.
    pub async fn post_json(&self, path: &str, body: &serde_json::Value) -> Response {
        self.client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .expect("request sent")
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

/// Parses an error response body, asserting its status.
pub async fn error_of(response: Response, status: u16) -> ErrorDetail {
    assert_eq!(response.status().as_u16(), status, "unexpected status");
    let content_type = response.headers().get("content-type").cloned();
    assert_eq!(
        content_type.as_ref().and_then(|v| v.to_str().ok()),
        Some("application/json"),
        "errors are JSON"
    );
    let envelope: gokart_edge::http::ErrorEnvelope = response
        .json()
        .await
        .expect("error body has the documented shape");
    envelope.error
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
        TestDatabase {
            url: with_database(&admin_url, &name),
            name,
            admin_url,
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        // Drop runs outside any runtime we may block, so use a thread of our own.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                let mut admin = PgConnection::connect(&admin_url)
                    .await
                    .map_err(std::io::Error::other)?;
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
    sqlx::query("SELECT pg_advisory_lock(7310421)")
        .execute(&mut *admin)
        .await
        .expect("lock");
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
        db::migrate(&pool)
            .await
            .expect("migrations apply to an empty database");
        pool.close().await;
        admin
            .execute(format!(r#"ALTER DATABASE "{building}" RENAME TO "{template}""#).as_str())
            .await
            .expect("template renamed");
    }
    sqlx::query("SELECT pg_advisory_unlock(7310421)")
        .execute(&mut *admin)
        .await
        .expect("unlock");
    template
}

fn with_database(url: &str, database: &str) -> String {
    let mut url = Url::parse(url).expect("DATABASE_URL is a URL");
    url.set_path(&format!("/{database}"));
    url.to_string()
}
