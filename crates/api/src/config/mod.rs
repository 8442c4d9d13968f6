//! The API's typed configuration, read once at start-up.
//!
//! Every variable, with its default, is documented in `api.env.example`.
//! Secrets are [`SecretString`]s so they never reach a log line by `Debug`.

mod fulfillment;
mod media;

use std::time::Duration;

use gokart_edge::{AppEnv, ConfigError, Env, ServerConfig};

use crate::payments::Provider;
use secrecy::{ExposeSecret, SecretString};

pub use fulfillment::{
    CloudTasksConfig, FulfillmentConfig, LOCAL_API_IDENTITY, LOCAL_SCHEDULER_IDENTITY,
    LOCAL_WORKER_IDENTITY, TaskBackendKind,
};
pub use media::{GCS_ENDPOINT, MediaConfig, MediaStorage};

/// Everything the API reads from its environment.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// Listening, limits and logging.
    pub server: ServerConfig,
    /// `PUBLIC_URL`: the API's own origin as browsers see it.
    pub public_url: String,
    /// `STOREFRONT_URL`: where shoppers' emailed links lead (the storefront
    /// is served by the API itself unless it is hosted elsewhere).
    pub storefront_url: String,
    /// The PostgreSQL connection.
    pub database: DatabaseConfig,
    /// Accounts, sessions and their protections.
    pub auth: AuthConfig,
    /// `GUEST_CART_MAX_IDLE`: guest carts untouched this long are deleted by maintenance.
    pub guest_cart_max_idle: Duration,
    /// Pricing and order housekeeping.
    pub orders: OrderConfig,
    /// How payments are taken.
    pub payments: PaymentConfig,
    /// `MAINTENANCE_INTERVAL`: how often `api serve` runs maintenance itself;
    /// `off` where a scheduler calls the maintenance endpoint instead.
    pub maintenance_interval: Option<Duration>,
    /// The fulfillment pipeline: task backend, relay and service auth.
    pub fulfillment: FulfillmentConfig,
    /// Bounds on requests in progress for the expensive routes.
    pub limits: RouteLimitConfig,
    /// Product media: storage, public URL, upload size.
    pub media: MediaConfig,
    /// `LOW_STOCK_THRESHOLD`: a variant with this many units or fewer is low
    /// on stock (the admin's list; default 5).
    pub low_stock_threshold: i32,
    /// `IMPORT_MAX_MB`: the largest product CSV an admin may upload
    /// (default 64, about 250,000 rows).
    pub import_max_bytes: usize,
    /// `SEARCH_ENGINE`: search from the embedded index, built at start-up
    /// and kept current (default `true`); `false`: from PostgreSQL alone.
    pub search_engine: bool,
    /// `PRODUCT_CACHE_MB`: the memory each instance gives to product JSON
    /// served from memory (default 256; 0: every read goes to PostgreSQL).
    pub product_cache_bytes: usize,
    /// `WEB_DIR`: the built web app (storefront and admin) to serve at `/`
    /// (default `web/dist`); `off`: serve the API alone.
    pub web_dir: Option<std::path::PathBuf>,
    /// Outbound webhooks.
    pub webhooks: WebhookConfig,
}

/// Outbound webhooks.
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    /// `WEBHOOK_ALLOWED_HOSTS`: hosts (names or addresses, comma-separated)
    /// that endpoints may name although they are not public, e.g.
    /// `localhost,127.0.0.1` in development. Empty by default.
    pub allowed_hosts: Vec<String>,
    /// `WEBHOOK_TIMEOUT`: how long an endpoint has to answer (10s).
    pub timeout: Duration,
    /// `WEBHOOK_DISABLE_AFTER`: an endpoint whose every delivery has failed
    /// for this long is disabled (5 days).
    pub disable_after: Duration,
}

impl WebhookConfig {
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let allowed_hosts = env
            .string("WEBHOOK_ALLOWED_HOSTS", "")
            .split(',')
            .map(|host| host.trim().to_owned())
            .filter(|host| !host.is_empty())
            .collect();
        let timeout = env.duration("WEBHOOK_TIMEOUT", Duration::from_secs(10))?;
        if timeout.is_zero() || timeout > Duration::from_secs(60) {
            return Err(ConfigError::new("WEBHOOK_TIMEOUT", "must be from 1ms to 60s"));
        }
        let disable_after =
            env.duration("WEBHOOK_DISABLE_AFTER", Duration::from_secs(5 * 24 * 3600))?;
        Ok(WebhookConfig { allowed_hosts, timeout, disable_after })
    }
}

/// How many requests of each expensive kind one instance serves at once.
#[derive(Debug, Clone, Copy)]
pub struct RouteLimitConfig {
    /// `PASSWORD_MAX_IN_FLIGHT`: sign-ins, registrations and password
    /// changes in progress (each waits for an argon2id slot).
    pub password_max_in_flight: usize,
    /// `CHECKOUT_MAX_IN_FLIGHT`: checkouts in progress.
    pub checkout_max_in_flight: usize,
}

impl RouteLimitConfig {
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let config = RouteLimitConfig {
            password_max_in_flight: env.parse("PASSWORD_MAX_IN_FLIGHT", 32)?,
            checkout_max_in_flight: env.parse("CHECKOUT_MAX_IN_FLIGHT", 64)?,
        };
        for (name, value) in [
            ("PASSWORD_MAX_IN_FLIGHT", config.password_max_in_flight),
            ("CHECKOUT_MAX_IN_FLIGHT", config.checkout_max_in_flight),
        ] {
            if value == 0 {
                return Err(ConfigError::new(name, "must be greater than 0"));
            }
        }
        Ok(config)
    }
}

/// The payment provider and its credentials.
#[derive(Debug, Clone)]
pub struct PaymentConfig {
    /// `PAYMENT_PROVIDER`: `manual` (default) or `stripe`.
    pub provider: Provider,
    /// `STRIPE_SECRET_KEY`: required with `stripe`.
    pub stripe_secret_key: Option<SecretString>,
    /// `STRIPE_WEBHOOK_SECRET`: the endpoint's signing secret; required with `stripe`.
    pub stripe_webhook_secret: Option<SecretString>,
    /// `STRIPE_API_BASE`: another address for the Stripe API (a local stand-in).
    pub stripe_api_base: Option<String>,
    /// `STRIPE_PUBLISHABLE_KEY`: the `pk_` key the web app's card form uses;
    /// without it the app cannot take card payments.
    pub stripe_publishable_key: Option<String>,
}

impl PaymentConfig {
    /// The publishable key browsers confirm card payments with: only when
    /// Stripe takes the payments and one is configured.
    pub fn card_key(&self) -> Option<&str> {
        match self.provider {
            Provider::Stripe => self.stripe_publishable_key.as_deref(),
            Provider::Manual => None,
        }
    }

    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let provider = env.parse("PAYMENT_PROVIDER", Provider::Manual)?;
        let secret = |name: &str| env.get(name).map(|value| SecretString::from(value.to_owned()));
        let config = PaymentConfig {
            provider,
            stripe_secret_key: secret("STRIPE_SECRET_KEY"),
            stripe_webhook_secret: secret("STRIPE_WEBHOOK_SECRET"),
            stripe_api_base: env
                .get("STRIPE_API_BASE")
                .map(|base| base.trim_end_matches('/').to_owned()),
            stripe_publishable_key: env.get("STRIPE_PUBLISHABLE_KEY").map(str::to_owned),
        };
        if config.stripe_publishable_key.as_ref().is_some_and(|key| !key.starts_with("pk_")) {
            return Err(ConfigError::new(
                "STRIPE_PUBLISHABLE_KEY",
                "must be a publishable key (pk_...), never a secret one",
            ));
        }
        if provider == Provider::Stripe {
            env.require("STRIPE_SECRET_KEY")?;
            env.require("STRIPE_WEBHOOK_SECRET")?;
        }
        Ok(config)
    }
}

/// When unpaid orders expire. (Prices, shipping and tax are kept in the
/// shop: tax rates, shipping zones and discounts, managed through the admin
/// API.)
#[derive(Debug, Clone, Copy)]
pub struct OrderConfig {
    /// `PENDING_ORDER_CLEANUP_THRESHOLD`: unpaid orders older than this are
    /// cancelled and restocked by maintenance.
    pub pending_order_expiry: Duration,
    /// `RETURN_WINDOW`: how long after delivery a customer may ask to
    /// return units (default 30d; 0: the shop takes no returns).
    pub return_window: Duration,
}

/// Settings that pricing rules stored in the shop replaced; a deployment
/// still setting one is told where its rule lives now rather than charging
/// by rules it did not mean.
const RETIRED: [(&str, &str); 4] = [
    ("ORDER_TAX_RATE", "tax rates are kept in the shop: /api/v1/admin/tax-rates"),
    ("ORDER_SHIPPING_COST", "shipping is priced by zone: /api/v1/admin/shipping-zones"),
    (
        "ORDER_FREE_SHIPPING_THRESHOLD",
        "a shipping method's `free_over` sets it: /api/v1/admin/shipping-zones",
    ),
    ("ORDER_DISCOUNT_AMOUNT", "discounts are kept in the shop: /api/v1/admin/discounts"),
];

impl OrderConfig {
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        if let Some((name, instead)) = RETIRED.iter().find(|(name, _)| env.get(name).is_some()) {
            return Err(ConfigError::new(*name, format!("is retired; {instead}")));
        }
        let return_window = env.duration("RETURN_WINDOW", Duration::from_secs(30 * 86_400))?;
        if return_window > Duration::from_secs(3650 * 86_400) {
            return Err(ConfigError::new("RETURN_WINDOW", "must be at most 3650d"));
        }
        Ok(OrderConfig {
            pending_order_expiry: env
                .duration("PENDING_ORDER_CLEANUP_THRESHOLD", Duration::from_secs(30 * 60))?,
            return_window,
        })
    }
}

/// How the API reaches PostgreSQL.
#[derive(Debug, Clone)]
pub struct DatabaseConfig {
    /// `DATABASE_URL`, e.g. `postgres://user:pass@host:5432/gokart`, or a
    /// Cloud SQL socket: `postgres://user:pass@/gokart?host=/cloudsql/INSTANCE`.
    pub url: SecretString,
    /// `DATABASE_MAX_CONNECTIONS`: pool size per API instance.
    pub max_connections: u32,
    /// `DATABASE_MIN_CONNECTIONS`: connections kept open while idle.
    pub min_connections: u32,
    /// `DATABASE_ACQUIRE_TIMEOUT`: longest wait for a pooled connection before a 503.
    pub acquire_timeout: Duration,
    /// `DATABASE_STATEMENT_TIMEOUT`: PostgreSQL cancels any statement running longer.
    pub statement_timeout: Duration,
    /// `RUN_MIGRATIONS`: apply pending migrations when `serve` starts.
    pub migrate_on_start: bool,
}

/// Accounts, sessions and their protections.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// `JWT_SECRET`: HMAC key for access tokens; required in production.
    pub jwt_secret: SecretString,
    /// `ACCESS_TOKEN_TTL`: lifetime of an access token.
    pub access_token_ttl: Duration,
    /// `REFRESH_TOKEN_TTL`: how long a session lasts from login.
    pub refresh_token_ttl: Duration,
    /// `REFRESH_REUSE_GRACE`: how long after a rotation the token it replaced
    /// still returns the same replacement (two tabs refreshing at once)
    /// instead of ending the session as stolen.
    pub refresh_reuse_grace: Duration,
    /// `MAX_SESSIONS_PER_USER`: live sessions kept per user; the oldest goes first.
    pub max_sessions_per_user: u32,
    /// `PASSWORD_RESET_TTL`: how long an emailed reset link works.
    pub password_reset_ttl: Duration,
    /// `EMAIL_VERIFICATION_TTL`: how long an emailed verification link works.
    pub email_verification_ttl: Duration,
    /// `CHECKOUT_REQUIRES_VERIFIED_EMAIL`: refuse checkout to accounts whose
    /// address is not verified (off: unverified accounts can shop).
    pub checkout_requires_verified_email: bool,
    /// `COOKIE_SECURE`: mark cookies `Secure` (default: on in production).
    pub cookie_secure: bool,
    /// `CORS_ALLOW_ORIGINS`: comma-separated browser origins allowed to call
    /// the API with credentials (and to use the refresh cookie).
    pub allowed_origins: Vec<String>,
    /// Password hashing cost.
    pub argon2: Argon2Config,
    /// Brute-force protections.
    pub limits: LoginLimits,
}

/// argon2id cost parameters (defaults: OWASP's 19 MiB, 2 passes, 1 lane).
#[derive(Debug, Clone, Copy)]
pub struct Argon2Config {
    /// `ARGON2_MEMORY_KIB`: memory per hash, in KiB.
    pub memory_kib: u32,
    /// `ARGON2_ITERATIONS`: passes over the memory.
    pub iterations: u32,
    /// `ARGON2_PARALLELISM`: lanes per hash.
    pub parallelism: u32,
}

/// Limits on login and registration attempts.
#[derive(Debug, Clone, Copy)]
pub struct LoginLimits {
    /// `LOGIN_FAILURE_LIMIT`: password attempts one source (client address,
    /// known browser or session) gets against one account per window.
    pub failure_limit: u32,
    /// `LOGIN_ACCOUNT_FAILURE_LIMIT`: attempts all unknown sources together
    /// get against one account per window; known browsers are not held by it.
    pub account_failure_limit: u32,
    /// `LOGIN_FAILURE_WINDOW`: the window attempts are counted in.
    pub failure_window: Duration,
    /// `AUTH_RATE_LIMIT_PER_MINUTE`: login and registration attempts per client address.
    pub per_address_per_minute: u32,
    /// `TRUSTED_PROXY_HOPS`: proxies in front of the API that append to
    /// `X-Forwarded-For` (1 on Cloud Run; 0 when clients connect directly).
    pub trusted_proxy_hops: usize,
}

/// What `api seed` creates.
#[derive(Debug, Clone)]
pub struct SeedConfig {
    /// `ADMIN_EMAIL`: the demo admin's email.
    pub admin_email: String,
    /// `ADMIN_PASSWORD`: the demo admin's password; production refuses the default.
    pub admin_password: SecretString,
}

/// The demo admin's development password; production refuses it.
pub const DEV_ADMIN_PASSWORD: &str = "supersecretpassword";

impl SeedConfig {
    /// Reads the seeding variables.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let app_env = env.app_env()?;
        Ok(SeedConfig {
            admin_email: env.string("ADMIN_EMAIL", "admin@example.com"),
            admin_password: env.secret("ADMIN_PASSWORD", DEV_ADMIN_PASSWORD, app_env)?,
        })
    }
}

/// The development-only JWT key; production refuses it.
pub const DEV_JWT_SECRET: &str = "development-only-jwt-secret-change-me";

impl ApiConfig {
    /// Reads and validates every variable, naming the first bad one.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let server = ServerConfig::from_env(env, 8080)?;
        let app_env = server.app_env;
        let public_url = env.url("PUBLIC_URL", &format!("http://localhost:{}", server.port))?;
        let max_connections = env.parse("DATABASE_MAX_CONNECTIONS", 10)?;
        if max_connections == 0 {
            return Err(ConfigError::new("DATABASE_MAX_CONNECTIONS", "must be at least 1"));
        }
        let min_connections = env.parse("DATABASE_MIN_CONNECTIONS", 1)?;
        if min_connections > max_connections {
            return Err(ConfigError::new(
                "DATABASE_MIN_CONNECTIONS",
                "must not exceed DATABASE_MAX_CONNECTIONS",
            ));
        }
        let database = DatabaseConfig {
            url: SecretString::from(env.require("DATABASE_URL")?),
            max_connections,
            min_connections,
            acquire_timeout: env.duration("DATABASE_ACQUIRE_TIMEOUT", Duration::from_secs(5))?,
            statement_timeout: env
                .duration("DATABASE_STATEMENT_TIMEOUT", Duration::from_secs(15))?,
            migrate_on_start: env.flag("RUN_MIGRATIONS", true)?,
        };
        let auth = AuthConfig::from_env(env, app_env)?;
        let guest_cart_max_idle =
            env.duration("GUEST_CART_MAX_IDLE", Duration::from_secs(30 * 24 * 3600))?;
        let orders = OrderConfig::from_env(env)?;
        let low_stock_threshold: i32 = env.parse("LOW_STOCK_THRESHOLD", 5)?;
        if !(0..=1_000_000).contains(&low_stock_threshold) {
            return Err(ConfigError::new("LOW_STOCK_THRESHOLD", "must be from 0 to 1000000"));
        }
        let product_cache_mb: usize = env.parse("PRODUCT_CACHE_MB", 256)?;
        if product_cache_mb > 1_048_576 {
            return Err(ConfigError::new("PRODUCT_CACHE_MB", "must be from 0 to 1048576"));
        }
        let import_max_mb: usize = env.parse("IMPORT_MAX_MB", 64)?;
        if !(1..=4096).contains(&import_max_mb) {
            return Err(ConfigError::new("IMPORT_MAX_MB", "must be from 1 to 4096"));
        }
        let payments = PaymentConfig::from_env(env)?;
        let maintenance_interval = match env.string("MAINTENANCE_INTERVAL", "5m").as_str() {
            "off" | "none" => None,
            _ => Some(env.duration("MAINTENANCE_INTERVAL", Duration::from_secs(300)))
                .transpose()?
                .filter(|interval| !interval.is_zero()),
        };
        Ok(ApiConfig {
            server,
            database,
            auth,
            guest_cart_max_idle,
            orders,
            payments,
            maintenance_interval,
            fulfillment: FulfillmentConfig::from_env(env, app_env)?,
            limits: RouteLimitConfig::from_env(env)?,
            media: MediaConfig::from_env(env, &public_url)?,
            storefront_url: env.url("STOREFRONT_URL", &public_url)?,
            low_stock_threshold,
            import_max_bytes: import_max_mb << 20,
            search_engine: env.flag("SEARCH_ENGINE", true)?,
            product_cache_bytes: product_cache_mb << 20,
            web_dir: match env.string("WEB_DIR", "web/dist").as_str() {
                "off" | "none" => None,
                dir => Some(std::path::PathBuf::from(dir)),
            },
            webhooks: WebhookConfig::from_env(env)?,
            public_url,
        })
    }

    /// The API's own origin (scheme, host and port of `PUBLIC_URL`).
    pub fn own_origin(&self) -> &str {
        origin_of(&self.public_url)
    }

    /// The origin product photos load from, when it is not the API's own.
    pub fn media_origin(&self) -> Option<&str> {
        let media = origin_of(&self.media.public_url);
        (media != self.own_origin()).then_some(media)
    }
}

impl AuthConfig {
    fn from_env(env: &Env, app_env: AppEnv) -> Result<Self, ConfigError> {
        let jwt_secret = env.secret("JWT_SECRET", DEV_JWT_SECRET, app_env)?;
        if app_env == AppEnv::Production && jwt_secret.expose_secret().len() < 32 {
            return Err(ConfigError::new("JWT_SECRET", "must be at least 32 characters"));
        }
        let allowed_origins = env
            .string("CORS_ALLOW_ORIGINS", "")
            .split(',')
            .map(|origin| origin.trim().trim_end_matches('/').to_owned())
            .filter(|origin| !origin.is_empty())
            .collect::<Vec<_>>();
        if let Some(bad) = allowed_origins.iter().find(|o| {
            !(o.starts_with("http://") || o.starts_with("https://")) || origin_of(o) != o.as_str()
        }) {
            return Err(ConfigError::new(
                "CORS_ALLOW_ORIGINS",
                format!(
                    "{bad:?} is not an origin like https://shop.example.com (and `*` is never allowed)"
                ),
            ));
        }
        let argon2 = Argon2Config {
            memory_kib: env.parse("ARGON2_MEMORY_KIB", 19 * 1024)?,
            iterations: env.parse("ARGON2_ITERATIONS", 2)?,
            parallelism: env.parse("ARGON2_PARALLELISM", 1)?,
        };
        if argon2::Params::new(argon2.memory_kib, argon2.iterations, argon2.parallelism, None)
            .is_err()
        {
            return Err(ConfigError::new(
                "ARGON2_MEMORY_KIB",
                "with ARGON2_ITERATIONS and ARGON2_PARALLELISM, not valid argon2 parameters",
            ));
        }
        let limits = LoginLimits {
            failure_limit: env.parse("LOGIN_FAILURE_LIMIT", 5)?,
            account_failure_limit: env.parse("LOGIN_ACCOUNT_FAILURE_LIMIT", 100)?,
            failure_window: env.duration("LOGIN_FAILURE_WINDOW", Duration::from_secs(15 * 60))?,
            per_address_per_minute: env.parse("AUTH_RATE_LIMIT_PER_MINUTE", 100)?,
            trusted_proxy_hops: env.parse("TRUSTED_PROXY_HOPS", 0)?,
        };
        if limits.failure_limit == 0 {
            return Err(ConfigError::new("LOGIN_FAILURE_LIMIT", "must be at least 1"));
        }
        if limits.account_failure_limit < limits.failure_limit {
            return Err(ConfigError::new(
                "LOGIN_ACCOUNT_FAILURE_LIMIT",
                "must be at least LOGIN_FAILURE_LIMIT",
            ));
        }
        if limits.failure_window.is_zero() {
            return Err(ConfigError::new("LOGIN_FAILURE_WINDOW", "must be greater than 0"));
        }
        let access_token_ttl = env.duration("ACCESS_TOKEN_TTL", Duration::from_secs(15 * 60))?;
        if access_token_ttl.is_zero() || access_token_ttl > Duration::from_secs(24 * 3600) {
            return Err(ConfigError::new("ACCESS_TOKEN_TTL", "must be between 1s and 24h"));
        }
        let refresh_token_ttl =
            env.duration("REFRESH_TOKEN_TTL", Duration::from_secs(30 * 24 * 3600))?;
        if refresh_token_ttl.is_zero() || refresh_token_ttl > Duration::from_secs(366 * 24 * 3600) {
            return Err(ConfigError::new("REFRESH_TOKEN_TTL", "must be between 1s and 366d"));
        }
        let refresh_reuse_grace = env.duration("REFRESH_REUSE_GRACE", Duration::from_secs(10))?;
        if refresh_reuse_grace > Duration::from_secs(60) {
            return Err(ConfigError::new("REFRESH_REUSE_GRACE", "must be at most 60s"));
        }
        let max_sessions_per_user = env.parse("MAX_SESSIONS_PER_USER", 5)?;
        if max_sessions_per_user == 0 {
            return Err(ConfigError::new("MAX_SESSIONS_PER_USER", "must be at least 1"));
        }
        let password_reset_ttl =
            env.duration("PASSWORD_RESET_TTL", Duration::from_secs(30 * 60))?;
        if password_reset_ttl < Duration::from_secs(60)
            || password_reset_ttl > Duration::from_secs(24 * 3600)
        {
            return Err(ConfigError::new("PASSWORD_RESET_TTL", "must be between 1m and 24h"));
        }
        let email_verification_ttl =
            env.duration("EMAIL_VERIFICATION_TTL", Duration::from_secs(24 * 3600))?;
        if email_verification_ttl < Duration::from_secs(60)
            || email_verification_ttl > Duration::from_secs(30 * 24 * 3600)
        {
            return Err(ConfigError::new("EMAIL_VERIFICATION_TTL", "must be between 1m and 30d"));
        }
        Ok(AuthConfig {
            password_reset_ttl,
            email_verification_ttl,
            checkout_requires_verified_email: env
                .flag("CHECKOUT_REQUIRES_VERIFIED_EMAIL", false)?,
            jwt_secret,
            access_token_ttl,
            refresh_token_ttl,
            refresh_reuse_grace,
            max_sessions_per_user,
            cookie_secure: env.flag("COOKIE_SECURE", app_env.is_production())?,
            allowed_origins,
            argon2,
            limits,
        })
    }
}

/// `scheme://host[:port]` of a URL, without path.
fn origin_of(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    match url[after_scheme..].find('/') {
        Some(slash) => &url[..after_scheme + slash],
        None => url,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Env {
        let mut env = Env::from_pairs([("DATABASE_URL", "postgres://localhost/gokart")]);
        for (key, value) in pairs {
            env.set(*key, *value);
        }
        env
    }

    #[test]
    fn development_needs_only_a_database_url() {
        let config = ApiConfig::from_env(&env(&[])).unwrap();
        assert_eq!(config.public_url, "http://localhost:8080");
        assert_eq!(config.database.max_connections, 10);
        assert!(config.database.migrate_on_start);
    }

    #[test]
    fn a_secret_key_is_never_taken_for_the_publishable_one() {
        let err =
            ApiConfig::from_env(&env(&[("STRIPE_PUBLISHABLE_KEY", "sk_live_oops")])).unwrap_err();
        assert_eq!(err.var, "STRIPE_PUBLISHABLE_KEY");
        let config =
            ApiConfig::from_env(&env(&[("STRIPE_PUBLISHABLE_KEY", "pk_live_ok")])).unwrap();
        assert_eq!(config.payments.stripe_publishable_key.as_deref(), Some("pk_live_ok"));
    }

    #[test]
    fn a_missing_database_url_is_named() {
        let err = ApiConfig::from_env(&Env::default()).unwrap_err();
        assert_eq!(err.var, "DATABASE_URL");
    }

    #[test]
    fn production_refuses_the_development_jwt_secret() {
        let err = ApiConfig::from_env(&env(&[("APP_ENV", "production")])).unwrap_err();
        assert_eq!(err.var, "JWT_SECRET");
        let err =
            ApiConfig::from_env(&env(&[("APP_ENV", "production"), ("JWT_SECRET", DEV_JWT_SECRET)]))
                .unwrap_err();
        assert_eq!(err.var, "JWT_SECRET");
        let err = ApiConfig::from_env(&env(&[("APP_ENV", "production"), ("JWT_SECRET", "short")]))
            .unwrap_err();
        assert_eq!(err.var, "JWT_SECRET");
        let strong = "k".repeat(48);
        assert!(
            ApiConfig::from_env(&env(&[
                ("APP_ENV", "production"),
                ("JWT_SECRET", &strong),
                ("SERVICE_AUTH_SECRET", &strong),
            ]))
            .is_ok()
        );
    }

    #[test]
    fn cors_origins_must_be_origins() {
        let config = ApiConfig::from_env(&env(&[(
            "CORS_ALLOW_ORIGINS",
            "https://shop.example.com, http://localhost:3000/",
        )]))
        .unwrap();
        assert_eq!(
            config.auth.allowed_origins,
            ["https://shop.example.com", "http://localhost:3000"]
        );
        for bad in ["*", "shop.example.com", "https://shop.example.com/path"] {
            let err = ApiConfig::from_env(&env(&[("CORS_ALLOW_ORIGINS", bad)])).unwrap_err();
            assert_eq!(err.var, "CORS_ALLOW_ORIGINS", "{bad}");
        }
    }

    #[test]
    fn the_own_origin_drops_the_path() {
        let config =
            ApiConfig::from_env(&env(&[("PUBLIC_URL", "https://api.example.com/")])).unwrap();
        assert_eq!(config.own_origin(), "https://api.example.com");
    }

    #[test]
    fn production_refuses_the_default_admin_password_for_seeding() {
        let production = Env::from_pairs([("APP_ENV", "production")]);
        assert_eq!(SeedConfig::from_env(&production).unwrap_err().var, "ADMIN_PASSWORD");
        let mut default = production;
        default.set("ADMIN_PASSWORD", DEV_ADMIN_PASSWORD);
        assert_eq!(SeedConfig::from_env(&default).unwrap_err().var, "ADMIN_PASSWORD");
        assert!(SeedConfig::from_env(&Env::default()).is_ok());
    }

    #[test]
    fn retired_pricing_settings_are_refused_with_where_the_rule_lives_now() {
        for var in [
            "ORDER_TAX_RATE",
            "ORDER_SHIPPING_COST",
            "ORDER_FREE_SHIPPING_THRESHOLD",
            "ORDER_DISCOUNT_AMOUNT",
        ] {
            let err = ApiConfig::from_env(&env(&[(var, "0")])).unwrap_err();
            assert_eq!(err.var, var);
            assert!(err.to_string().contains("/api/v1/admin/"), "{err}");
        }
    }

    #[test]
    fn session_settings_that_would_break_sign_in_are_refused() {
        for (var, value) in [
            ("REFRESH_TOKEN_TTL", "1000000000d"),
            ("ACCESS_TOKEN_TTL", "0s"),
            ("MAX_SESSIONS_PER_USER", "0"),
        ] {
            assert_eq!(ApiConfig::from_env(&env(&[(var, value)])).unwrap_err().var, var);
        }
    }

    #[test]
    fn pool_bounds_are_checked() {
        let err = ApiConfig::from_env(&env(&[("DATABASE_MAX_CONNECTIONS", "0")])).unwrap_err();
        assert_eq!(err.var, "DATABASE_MAX_CONNECTIONS");
        let err = ApiConfig::from_env(&env(&[
            ("DATABASE_MAX_CONNECTIONS", "2"),
            ("DATABASE_MIN_CONNECTIONS", "3"),
        ]))
        .unwrap_err();
        assert_eq!(err.var, "DATABASE_MIN_CONNECTIONS");
    }

    #[test]
    fn debug_output_hides_secrets() {
        let config = ApiConfig::from_env(&env(&[("JWT_SECRET", "hunter2-but-longer")])).unwrap();
        let shown = format!("{config:?}");
        assert!(!shown.contains("hunter2"));
        assert!(!shown.contains("postgres://localhost"));
    }
}
