//! Product search: the embedded engine ([`engine`]) kept current from
//! PostgreSQL ([`feed`]), which stays the only source of truth.
//!
//! Each instance builds its own index in the background at start-up and
//! answers searches from PostgreSQL until it is ready. Then it follows the
//! catalog: `NOTIFY gokart_catalog` (sent by triggers on admin writes and
//! when a variant's stock crosses zero) wakes it at once, and a poll every
//! half second re-reads the changes since the oldest transaction still open
//! began ([`feed::horizon`]), so a missed notification only delays a
//! change, and a transaction that commits long after it began is not lost.
//! The same feed tells its subscribers (the product cache) every change,
//! stock included, within the poll.

pub mod engine;
pub mod feed;
pub mod handler;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use tokio::sync::broadcast;
use uuid::Uuid;

use self::engine::SearchIndex;
use self::feed::Categories;
use crate::error::{Error, Result};

/// The channel the catalog's triggers notify.
pub const CHANNEL: &str = "gokart_catalog";
/// The payload that asks every instance to rebuild its index.
pub const REBUILD: &str = "rebuild";
/// How often the index re-reads recent changes without a notification.
const POLL: Duration = Duration::from_millis(500);
/// How far before the oldest open transaction each read begins (changes are
/// stamped by the database's clock; this covers the time between reading
/// the horizon and the changes).
const MARGIN: chrono::TimeDelta = chrono::TimeDelta::seconds(2);
/// Products read from PostgreSQL per statement while building.
const BATCH: i64 = 5_000;

/// This instance's search engine, and the catalog feed it follows.
pub struct Search {
    index: Option<Arc<SearchIndex>>,
    ready: AtomicBool,
    changed: broadcast::Sender<Changed>,
}

/// What the catalog feed tells its subscribers after each read.
#[derive(Debug, Clone)]
pub enum Changed {
    /// These products changed (none: the feed is following, nothing
    /// changed).
    Products(Arc<[Uuid]>),
    /// Anything may have changed: the feed (re)started, the index was
    /// rebuilt, or a category or collection changed.
    Everything,
}

impl std::fmt::Debug for Search {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Search").field("state", &self.state()).finish()
    }
}

impl Search {
    /// An engine waiting to be built, or none (`enabled` false: every
    /// search is answered by PostgreSQL).
    pub fn new(enabled: bool) -> anyhow::Result<Search> {
        let index = if enabled { Some(Arc::new(SearchIndex::new()?)) } else { None };
        let (changed, _) = broadcast::channel(64);
        Ok(Search { index, ready: AtomicBool::new(false), changed })
    }

    /// The index, once it is built.
    pub fn ready(&self) -> Option<Arc<SearchIndex>> {
        self.index.clone().filter(|_| self.ready.load(Ordering::Acquire))
    }

    /// `off`, `building` or `ready`.
    pub fn state(&self) -> &'static str {
        match (&self.index, self.ready.load(Ordering::Acquire)) {
            (None, _) => "off",
            (Some(_), false) => "building",
            (Some(_), true) => "ready",
        }
    }

    /// The catalog's changes as the feed reads them, from now on (once
    /// [`Search::spawn`] runs, which a subscriber must come before).
    pub fn subscribe(&self) -> broadcast::Receiver<Changed> {
        self.changed.subscribe()
    }

    /// Builds the index (when the engine is on) and then follows the
    /// catalog for as long as the process lives, keeping the index current
    /// and telling subscribers what changed. Nothing runs when there is
    /// neither an index nor a subscriber.
    pub fn spawn(self: &Arc<Search>, db: PgPool) {
        if self.index.is_none() && self.changed.receiver_count() == 0 {
            return;
        }
        let search = self.clone();
        tokio::spawn(async move {
            let mut since = loop {
                let start = match &search.index {
                    Some(index) => build(&db, index).await,
                    None => feed::horizon(&db, MARGIN).await,
                };
                match start {
                    Ok(since) => break since,
                    Err(err) => {
                        tracing::error!(error = %err, "cannot start the catalog feed; retrying");
                        tokio::time::sleep(Duration::from_secs(5)).await;
                    }
                }
            };
            search.ready.store(true, Ordering::Release);
            let _ = search.changed.send(Changed::Everything);
            let mut follower = Follower {
                db,
                index: search.index.clone(),
                applied: HashMap::new(),
                changed: search.changed.clone(),
                arrangement: None,
            };
            let mut listener = follower.listen().await;
            loop {
                let rebuild = wait(&mut listener).await;
                if listener.is_none() {
                    listener = follower.listen().await;
                }
                let step = match &follower.index {
                    Some(index) if rebuild => {
                        follower.applied.clear();
                        let built = build(&follower.db, index).await;
                        let _ = follower.changed.send(Changed::Everything);
                        built
                    }
                    _ => follower.catch_up(since).await,
                };
                match step {
                    Ok(next) => since = next,
                    Err(err) => tracing::warn!(error = %err, "catalog feed catch-up failed"),
                }
            }
        });
    }
}

/// Waits for the next poll or notification; `true` when a rebuild was
/// asked for. A broken listener is dropped (and reconnected by the caller).
async fn wait(listener: &mut Option<PgListener>) -> bool {
    let Some(active) = listener else {
        tokio::time::sleep(POLL).await;
        return false;
    };
    tokio::select! {
        () = tokio::time::sleep(POLL) => false,
        received = active.try_recv() => match received {
            Ok(Some(notification)) => notification.payload() == REBUILD,
            Ok(None) | Err(_) => {
                *listener = None;
                false
            }
        },
    }
}

/// Fills `index` with every visible product; answers the moment changes
/// must be read from.
async fn build(db: &PgPool, index: &Arc<SearchIndex>) -> Result<DateTime<Utc>> {
    let started = Instant::now();
    let since = feed::horizon(db, MARGIN).await?;
    let categories = Categories::load(db).await?;
    index.set_categories(categories.names());
    // Batches go to the index as they are read, so building holds one batch
    // and the writer's buffer, not the whole catalog.
    let (sender, batches) = tokio::sync::mpsc::channel(2);
    let writer = index.clone();
    let indexing = tokio::task::spawn_blocking(move || writer.replace_from(batches));
    let read = async {
        let mut after = Uuid::nil();
        loop {
            let batch = feed::batch(db, &categories, after, BATCH).await?;
            let Some(last) = batch.last() else { return Ok(()) };
            after = last.id;
            if sender.send(Some(batch)).await.is_err() {
                return Ok(());
            }
        }
    };
    let read: Result<()> = read.await;
    if read.is_err() {
        // The index keeps what it had.
        let _ = sender.send(None).await;
    }
    drop(sender);
    let indexed = match indexing.await {
        Ok(Ok(count)) => count,
        Ok(Err(err)) => return Err(read.err().unwrap_or_else(|| search_error(&err))),
        Err(err) => return Err(Error::Internal(anyhow::anyhow!("search index task: {err}"))),
    };
    read?;
    tracing::info!(products = indexed, ms = started.elapsed().as_millis(), "search index built");
    Ok(since)
}

fn search_error(err: &tantivy::TantivyError) -> Error {
    Error::Internal(anyhow::anyhow!("search index: {err}"))
}

/// Keeps the index, and the feed's subscribers, in step with the catalog.
struct Follower {
    db: PgPool,
    index: Option<Arc<SearchIndex>>,
    /// The changes recently applied, by product and change, with when
    /// each began (forgotten once no read can return them).
    applied: HashMap<(Uuid, String), DateTime<Utc>>,
    changed: broadcast::Sender<Changed>,
    /// The fingerprint of the category tree and the collections when last
    /// read.
    arrangement: Option<(i64, i64)>,
}

impl Follower {
    async fn listen(&self) -> Option<PgListener> {
        let listen = async {
            let mut listener = PgListener::connect_with(&self.db).await?;
            listener.listen(CHANNEL).await?;
            Ok::<_, sqlx::Error>(listener)
        };
        match listen.await {
            Ok(listener) => Some(listener),
            Err(err) => {
                tracing::warn!(error = %err, "cannot listen for catalog changes; polling");
                None
            }
        }
    }

    /// Applies the changes since `since` not yet applied; answers where the
    /// next read starts.
    async fn catch_up(&mut self, since: DateTime<Utc>) -> Result<DateTime<Utc>> {
        let next = feed::horizon(&self.db, MARGIN).await?;
        let changes = feed::changes(&self.db, since).await?;
        let arrangement = Some(feed::arrangement(&self.db).await?);
        let mut fresh: Vec<Uuid> = Vec::new();
        let mut for_index: Vec<Uuid> = Vec::new();
        let mut done = Vec::new();
        for change in changes {
            let key = (change.product_id, change.key);
            if self.applied.contains_key(&key) {
                continue;
            }
            fresh.push(change.product_id);
            if !change.index_unchanged {
                for_index.push(change.product_id);
            }
            done.push((key, change.at));
        }
        for ids in [&mut fresh, &mut for_index] {
            ids.sort_unstable();
            ids.dedup();
        }
        if let Some(index) = self.index.clone()
            && !for_index.is_empty()
        {
            let categories = Categories::load(&self.db).await?;
            index.set_categories(categories.names());
            let documents = feed::documents(&self.db, &categories, &for_index).await?;
            let visible: std::collections::HashSet<Uuid> =
                documents.iter().map(|doc| doc.id).collect();
            let removed: Vec<Uuid> =
                for_index.iter().copied().filter(|id| !visible.contains(id)).collect();
            blocking(move || index.apply(&documents, &removed)).await?;
            tracing::debug!(products = for_index.len(), "search index caught up");
        }
        // Applied only now: a failed step is read again next time.
        self.applied.extend(done);
        // A category or a collection added, changed or deleted changes what
        // lists hold beyond the products it names.
        let rearranged = self.arrangement.is_some() && self.arrangement != arrangement;
        self.arrangement = arrangement;
        let report = if rearranged { Changed::Everything } else { Changed::Products(fresh.into()) };
        let _ = self.changed.send(report);
        self.applied.retain(|_, at| *at > next);
        Ok(next)
    }
}

/// Runs index work on the blocking pool.
pub async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> tantivy::Result<T> + Send + 'static,
) -> Result<T> {
    match tokio::task::spawn_blocking(work).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(err)) => Err(search_error(&err)),
        Err(err) => Err(Error::Internal(anyhow::anyhow!("search index task: {err}"))),
    }
}

/// Builds an index from PostgreSQL as this process would, then asks every
/// running instance to rebuild its own (`api search rebuild`). Answers how
/// many products were indexed and how long building took.
pub async fn rebuild(db: &PgPool) -> Result<(u64, Duration)> {
    let started = Instant::now();
    let index = Arc::new(
        SearchIndex::new()
            .map_err(|err| Error::Internal(anyhow::anyhow!("search index: {err}")))?,
    );
    build(db, &index).await?;
    let took = started.elapsed();
    sqlx::query("SELECT pg_notify($1, $2)").bind(CHANNEL).bind(REBUILD).execute(db).await?;
    Ok((index.len(), took))
}
