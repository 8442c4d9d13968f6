//! What every handler can reach.

use std::sync::Arc;

use axum::extract::FromRef;
use gokart_edge::service_auth::TokenVerifier;
use sqlx::PgPool;

use crate::auth::limiter::AddressLimiter;
use crate::auth::links::AccountLinks;
use crate::auth::password::Passwords;
use crate::auth::tokens::AccessTokens;
use crate::config::ApiConfig;
use crate::media::{self, library::Media};
use crate::payments::Provider;
use crate::payments::stripe::Stripe;

/// Shared application state: one allocation, so a clone is one reference
/// count (the router clones it for every request it routes).
#[derive(Debug, Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What every handler can reach, through [`AppState`].
#[derive(Debug)]
pub struct Shared {
    /// The PostgreSQL pool.
    pub db: PgPool,
    /// Configuration read at start-up.
    pub config: Arc<ApiConfig>,
    /// Access-token signing and checking.
    pub tokens: AccessTokens,
    /// Password hashing.
    pub passwords: Passwords,
    /// Login and registration attempts per client address.
    pub address_limiter: Arc<AddressLimiter>,
    /// The Stripe client, when Stripe takes the payments.
    pub stripe: Option<Stripe>,
    /// Checks the service tokens of internal callers (worker, scheduler).
    pub service_tokens: Arc<TokenVerifier>,
    /// Product media: the store and the conversion slots.
    pub media: Arc<Media>,
    /// The tokens and links of account emails (password resets).
    pub links: AccountLinks,
    /// The embedded product search engine.
    pub search: Arc<crate::search::Search>,
    /// Product JSON served from memory, when configured.
    pub products: Option<Arc<crate::catalog::cache::ProductCache>>,
    /// The product import runner.
    pub imports: crate::catalog::import::signal::Imports,
}

impl FromRef<AppState> for Arc<TokenVerifier> {
    fn from_ref(state: &AppState) -> Self {
        state.service_tokens.clone()
    }
}

impl AppState {
    /// The product cache, while it may answer.
    pub fn product_cache(&self) -> Option<&crate::catalog::cache::ProductCache> {
        self.products.as_deref().filter(|cache| cache.usable())
    }

    /// Where shoppers load product media from.
    pub fn media_urls(&self) -> media::Urls<'_> {
        media::Urls::new(&self.config.media.public_url)
    }

    /// State for `config` over `db`.
    pub fn new(config: ApiConfig, db: PgPool) -> anyhow::Result<Self> {
        let auth = &config.auth;
        let payments = &config.payments;
        let stripe = match (payments.provider, &payments.stripe_secret_key) {
            (Provider::Stripe, Some(key)) => {
                Some(Stripe::new(key, payments.stripe_api_base.as_deref())?)
            }
            _ => None,
        };
        let service_tokens =
            Arc::new(TokenVerifier::new(&config.fulfillment.service_auth, &config.public_url));
        // Converting an image keeps a core busy: at most one per core.
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        let media = Arc::new(Media::new(media::store::connect(&config.media)?, cores));
        let links = AccountLinks::new(
            &auth.jwt_secret,
            &config.storefront_url,
            (auth.password_reset_ttl, auth.email_verification_ttl),
        );
        let search = Arc::new(crate::search::Search::new(config.search_engine)?);
        let products = (config.product_cache_bytes > 0).then(|| {
            Arc::new(crate::catalog::cache::ProductCache::new(config.product_cache_bytes))
        });
        Ok(AppState(Arc::new(Shared {
            imports: crate::catalog::import::signal::Imports::default(),
            search,
            products,
            links,
            media,
            stripe,
            service_tokens,
            tokens: AccessTokens::new(&auth.jwt_secret, auth.access_token_ttl),
            passwords: Passwords::new(auth.argon2)?,
            address_limiter: Arc::new(AddressLimiter::new(auth.limits.per_address_per_minute)),
            db,
            config: Arc::new(config),
        })))
    }
}
