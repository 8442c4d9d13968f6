//! The product cache: each instance keeps the JSON of the products shoppers
//! read most, serialised once, with its `ETag`, so product pages and lists
//! are answered from memory. PostgreSQL stays the source of truth: the
//! catalog feed ([`crate::search`]) tells the cache every change, stock
//! included, within its half-second poll, and the cache drops what
//! changed. Checkout re-reads stock under its locks, so a page a moment
//! old can never oversell.
//!
//! A product read while a change arrives is not kept (the cache's
//! generation moved on while it was read), and when the feed falls silent
//! for [`SILENCE`] the cache stops answering until it speaks again. Memory
//! is bounded: past its budget the cache forgets the products not read
//! since the last sweep (a clock, not a strict LRU: a hit takes no lock
//! but the read lock).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::HeaderValue;
use serde::{Serialize, Serializer};
use serde_json::value::RawValue;
use tokio::sync::broadcast;
use uuid::Uuid;

use crate::etag::TaggedJson;

use super::view::ProductView;
use crate::error::{Error, Result};
use crate::etag;
use crate::search::Changed;

/// How long the cache answers after the feed last reported (it reports
/// every half second while it follows the catalog).
pub const SILENCE: Duration = Duration::from_secs(3);

/// A product's JSON, as shoppers see it, and its `ETag`.
#[derive(Debug)]
pub struct Shelved {
    json: Box<RawValue>,
    etag: HeaderValue,
    /// Read since the last sweep.
    recent: AtomicBool,
}

impl Shelved {
    /// `view` serialised.
    pub fn new(view: &ProductView) -> Result<Shelved> {
        let json = serde_json::to_string(view).map_err(|err| Error::Internal(err.into()))?;
        let etag = etag::header_of(&etag::tag_of(json.as_bytes()))?;
        let json = RawValue::from_string(json).map_err(|err| Error::Internal(err.into()))?;
        Ok(Shelved { json, etag, recent: AtomicBool::new(true) })
    }

    /// The JSON.
    pub fn json(&self) -> &str {
        self.json.get()
    }

    /// The JSON as a response body, sharing the cached bytes.
    pub fn body(self: &Arc<Self>) -> Bytes {
        Bytes::from_owner(JsonOf(Arc::clone(self)))
    }

    /// Its `ETag` (quoted), as [`etag::cached_json`] would give it.
    pub fn etag(&self) -> &HeaderValue {
        &self.etag
    }

    fn size(&self) -> usize {
        self.json.get().len() + self.etag.len() + ENTRY_OVERHEAD
    }
}

/// A shelved product's JSON, owned by the response body that sends it.
struct JsonOf(Arc<Shelved>);

impl AsRef<[u8]> for JsonOf {
    fn as_ref(&self) -> &[u8] {
        self.0.json().as_bytes()
    }
}

/// What an entry costs beyond its JSON: the map's slot, the `Arc`, the
/// boxes' headers.
const ENTRY_OVERHEAD: usize = 128;

impl Serialize for Shelved {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        self.json.serialize(serializer)
    }
}

/// A whole response (a list page, the categories), plain and gzipped.
pub type CachedPage = TaggedJson;

fn page_size(page: &CachedPage) -> usize {
    page.size() + ENTRY_OVERHEAD
}

/// The cache of one instance.
#[derive(Debug)]
pub struct ProductCache {
    entries: RwLock<Entries>,
    budget: usize,
    /// Moves on with every change the feed reports.
    generation: AtomicU64,
    /// Milliseconds after `started` until which the feed's last report
    /// holds (0: it has not reported since the cache began).
    fresh_until: AtomicU64,
    started: Instant,
}

#[derive(Debug, Default)]
struct Entries {
    map: HashMap<Uuid, Arc<Shelved>>,
    bytes: usize,
    /// Whole responses by what asked for them, kept until the next change
    /// of any product.
    pages: HashMap<String, Arc<CachedPage>>,
    page_bytes: usize,
}

impl ProductCache {
    /// A cache holding at most `budget` bytes of products.
    pub fn new(budget: usize) -> ProductCache {
        ProductCache {
            entries: RwLock::new(Entries::default()),
            budget,
            generation: AtomicU64::new(0),
            fresh_until: AtomicU64::new(0),
            started: Instant::now(),
        }
    }

    fn now(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Whether the cache may answer: the feed follows the catalog and has
    /// reported within [`SILENCE`].
    pub fn usable(&self) -> bool {
        self.now() < self.fresh_until.load(Ordering::Acquire)
    }

    /// The generation to hand back to [`ProductCache::keep`] with what is
    /// about to be read.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Product `id`, when the cache holds it (and may answer).
    pub fn get(&self, id: Uuid) -> Option<Arc<Shelved>> {
        if !self.usable() {
            return None;
        }
        let entries = self.entries.read().ok()?;
        let found = entries.map.get(&id)?;
        // Written only when it changes: a hit leaves the entry's memory
        // untouched for the other cores.
        if !found.recent.load(Ordering::Relaxed) {
            found.recent.store(true, Ordering::Relaxed);
        }
        Some(found.clone())
    }

    /// The response kept for `key`, when the cache holds it (and may
    /// answer).
    pub fn page(&self, key: &str) -> Option<Arc<CachedPage>> {
        if !self.usable() {
            return None;
        }
        self.entries.read().ok()?.pages.get(key).cloned()
    }

    /// Keeps the response `page` for `key`, made since `generation`, unless
    /// a change came in meanwhile. Responses take at most a quarter of the
    /// budget; past it the cache forgets them all.
    pub fn keep_page(&self, generation: u64, key: String, page: CachedPage) {
        let Ok(mut entries) = self.entries.write() else { return };
        if self.generation.load(Ordering::Acquire) != generation || !self.usable() {
            return;
        }
        let key_bytes = key.len();
        if entries.page_bytes + page_size(&page) + key_bytes > self.budget / 4 {
            entries.pages.clear();
            entries.page_bytes = 0;
        }
        entries.page_bytes += page_size(&page) + key_bytes;
        if let Some(old) = entries.pages.insert(key, Arc::new(page)) {
            entries.page_bytes -= page_size(&old) + key_bytes;
        }
    }

    /// Keeps `products`, read from PostgreSQL since `generation`, unless a
    /// change came in meanwhile (they may predate it).
    pub fn keep(&self, generation: u64, products: &[(Uuid, Arc<Shelved>)]) {
        let Ok(mut entries) = self.entries.write() else { return };
        // Checked under the lock that changes take too.
        if self.generation.load(Ordering::Acquire) != generation || !self.usable() {
            return;
        }
        for (id, product) in products {
            let size = product.size();
            if let Some(old) = entries.map.insert(*id, product.clone()) {
                entries.bytes -= old.size();
            }
            entries.bytes += size;
        }
        if entries.bytes > self.budget {
            entries.sweep(self.budget);
        }
    }

    /// Takes in what the feed reports.
    pub fn apply(&self, changed: &Changed) {
        let until = self.now().saturating_add(u64::try_from(SILENCE.as_millis()).unwrap_or(0));
        if matches!(changed, Changed::Products(ids) if ids.is_empty()) {
            // Nothing changed: the feed only says it follows.
            self.fresh_until.store(until, Ordering::Release);
            return;
        }
        let Ok(mut entries) = self.entries.write() else { return };
        self.generation.fetch_add(1, Ordering::AcqRel);
        match changed {
            Changed::Products(ids) => {
                for id in ids.iter() {
                    if let Some(old) = entries.map.remove(id) {
                        entries.bytes -= old.size();
                    }
                }
                // Any page may list a changed product, or count it.
                entries.pages.clear();
                entries.page_bytes = 0;
            }
            Changed::Everything => *entries = Entries::default(),
        }
        self.fresh_until.store(until, Ordering::Release);
    }

    /// Forgets every product (the next reads come from PostgreSQL): an
    /// admin changed the catalog through this instance, and sees the change
    /// on their next read without waiting for the feed.
    pub fn clear(&self) {
        if let Ok(mut entries) = self.entries.write() {
            self.generation.fetch_add(1, Ordering::AcqRel);
            *entries = Entries::default();
        }
    }

    /// Forgets everything, and answers nothing until the feed reports again
    /// (it missed reports).
    fn forget(&self) {
        if let Ok(mut entries) = self.entries.write() {
            self.generation.fetch_add(1, Ordering::AcqRel);
            *entries = Entries::default();
            self.fresh_until.store(0, Ordering::Release);
        }
    }

    /// Products held, and their bytes.
    pub fn size(&self) -> (usize, usize) {
        self.entries.read().map(|entries| (entries.map.len(), entries.bytes)).unwrap_or_default()
    }

    /// Follows the feed's reports for as long as the process lives.
    pub fn spawn(self: &Arc<ProductCache>, mut reports: broadcast::Receiver<Changed>) {
        let cache = self.clone();
        tokio::spawn(async move {
            loop {
                match reports.recv().await {
                    Ok(changed) => cache.apply(&changed),
                    Err(broadcast::error::RecvError::Lagged(_)) => cache.forget(),
                    Err(broadcast::error::RecvError::Closed) => {
                        cache.forget();
                        return;
                    }
                }
            }
        });
    }
}

impl Entries {
    /// Forgets products not read since the last sweep until the cache is
    /// within three quarters of `budget`, marking those it passes over
    /// unread; a second pass takes those if the first freed too little.
    fn sweep(&mut self, budget: usize) {
        let target = budget / 4 * 3;
        for _ in 0..2 {
            let over = self.bytes.saturating_sub(target);
            let mut freed = 0;
            self.map.retain(|_, product| {
                if freed >= over || product.recent.swap(false, Ordering::Relaxed) {
                    return true;
                }
                freed += product.size();
                false
            });
            self.bytes -= freed;
            if self.bytes <= target {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shelved(text: &str) -> Arc<Shelved> {
        let json = RawValue::from_string(format!("{text:?}")).unwrap();
        let etag = etag::header_of(&etag::tag_of(json.get().as_bytes())).expect("a valid tag");
        Arc::new(Shelved { etag, json, recent: true.into() })
    }

    fn following(budget: usize) -> ProductCache {
        let cache = ProductCache::new(budget);
        cache.apply(&Changed::Everything);
        cache
    }

    #[test]
    fn nothing_is_answered_until_the_feed_reports() {
        let cache = ProductCache::new(1 << 20);
        let id = Uuid::from_u128(1);
        cache.keep(cache.generation(), &[(id, shelved("a"))]);
        assert!(cache.get(id).is_none());
        cache.apply(&Changed::Products(Arc::from([])));
        cache.keep(cache.generation(), &[(id, shelved("a"))]);
        assert_eq!(cache.get(id).map(|p| p.json().to_owned()).as_deref(), Some("\"a\""));
    }

    #[test]
    fn a_product_read_while_a_change_arrived_is_not_kept() {
        let cache = following(1 << 20);
        let id = Uuid::from_u128(1);
        let before = cache.generation();
        cache.apply(&Changed::Products(Arc::from([Uuid::from_u128(2)])));
        cache.keep(before, &[(id, shelved("old"))]);
        assert!(cache.get(id).is_none(), "it may predate the change");
        cache.keep(cache.generation(), &[(id, shelved("new"))]);
        assert!(cache.get(id).is_some());
        cache.apply(&Changed::Products(Arc::from([id])));
        assert!(cache.get(id).is_none(), "a change drops the product");
    }

    #[test]
    fn past_its_budget_the_cache_forgets_what_was_not_read() {
        let one = shelved("x").size();
        let cache = following(one * 8);
        let ids: Vec<Uuid> = (0..8).map(Uuid::from_u128).collect();
        let all: Vec<_> = ids.iter().map(|id| (*id, shelved("x"))).collect();
        cache.keep(cache.generation(), &all);
        assert_eq!(cache.size().0, 8);
        // Every entry starts as read: a first sweep marks them unread.
        cache.keep(cache.generation(), &[(Uuid::from_u128(100), shelved("x"))]);
        let (count, bytes) = cache.size();
        assert!(bytes <= one * 8 && count <= 8, "within budget: {count} products, {bytes} bytes");
        for id in &ids[..2] {
            cache.get(*id);
        }
        for n in 200..210 {
            cache.keep(cache.generation(), &[(Uuid::from_u128(n), shelved("x"))]);
        }
        let (_, bytes) = cache.size();
        assert!(bytes <= one * 8, "{bytes} bytes");
    }
}
