//! Product import from CSV, as a background job.
//!
//! Uploading reads the file row by row: each row is checked on its own
//! ([`parse`]), the good ones are staged with the product they belong to,
//! the bad ones go into the import's report, and the job is queued, all in
//! one transaction (a file with an unusable header is refused whole). The
//! job ([`spawn`]) then takes the staged rows a batch of
//! [`BATCH_GROUPS`] products at a time: it locks those products, works out
//! what changes ([`plan`]), writes it with one statement per kind of write
//! ([`store::apply`]), queues their webhooks, and moves its progress on, in
//! one transaction. Memory holds one batch, whatever the file's size.
//!
//! Rows are matched by SKU: re-importing a file changes nothing. A row
//! that cannot be applied is reported and skipped; a product is written
//! with all its good rows or, when its own fields are bad, not at all.

pub mod parse;
pub mod plan;
pub mod signal;
pub mod store;

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::time::Duration;

use uuid::Uuid;

use self::parse::{Columns, ImportRow, RowError};
use self::plan::{Group, Plan, World};
pub use self::signal::Imports;
use self::store::Claimed;
use super::events::product_events;
use super::repository;
use crate::error::{Error, Result};
use crate::state::AppState;
use crate::webhooks::{self, EventType};

/// Products per batch.
pub const BATCH_GROUPS: i64 = 200;

/// Rows read from the file before they are staged.
const STAGE_ROWS: usize = 2000;

/// Runs of one job (each after the last stopped answering) before it is
/// given up as failed.
const MAX_ATTEMPTS: i32 = 5;

/// How often an idle runner looks for work it was not told about (an
/// import queued by another instance, or one whose runner stopped).
const POLL: Duration = Duration::from_secs(5);

/// Runs imports for as long as the process lives, one at a time: the one
/// [`Imports::wake`] announces, else what it finds every few seconds.
pub fn spawn(state: AppState) {
    tokio::spawn(async move {
        loop {
            match run_next(&state).await {
                Ok(true) => continue,
                Ok(false) => {}
                Err(err) => tracing::error!(error = %err, "product import stopped"),
            }
            tokio::select! {
                () = state.imports.queued() => {}
                () = tokio::time::sleep(POLL) => {}
            }
        }
    });
}

/// Reads `file` into a new import by `admin` and queues it; its id. A file
/// without a usable header is a 422 naming `file`, and nothing is kept.
#[tracing::instrument(skip_all)]
pub async fn upload(state: &AppState, file: &[u8], admin: Uuid) -> Result<Uuid> {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(file);
    let mut records = reader.byte_records();
    let header = match records.next() {
        Some(Ok(header)) => header,
        Some(Err(_)) | None => {
            return Err(Error::invalid(
                "file",
                "is empty: give a header line, then a row per variant",
            ));
        }
    };
    let cells: Vec<&str> = header
        .iter()
        .map(std::str::from_utf8)
        .collect::<std::result::Result<_, _>>()
        .map_err(|_| Error::invalid("file", "is not UTF-8 text"))?;
    let columns = Columns::parse(&cells).map_err(|invalid| Error::invalid("file", &invalid.0))?;
    let id = Uuid::now_v7();
    let mut tx = state.db.begin().await?;
    store::create(&mut *tx, id, &columns.names(), admin).await?;
    let (mut rows, mut failed) = (0_i32, 0_i32);
    let mut batch: Vec<ImportRow> = Vec::with_capacity(STAGE_ROWS);
    let mut errors: Vec<RowError> = Vec::new();
    // Each SKU's first row: a later one is refused.
    let mut seen: HashMap<String, i32> = HashMap::new();
    loop {
        let record = records.next();
        let end = record.is_none();
        if let Some(record) = record {
            rows += 1;
            let number = rows + 1;
            let cells = match &record {
                Ok(record) => record
                    .iter()
                    .map(std::str::from_utf8)
                    .collect::<std::result::Result<Vec<_>, _>>()
                    .map_err(|_| RowError::new(number, "row", "is not UTF-8 text")),
                Err(err) => Err(RowError::new(number, "row", format!("is not CSV: {err}"))),
            };
            let checked = match &cells {
                Ok(cells) => parse::row(&columns, number, cells).and_then(|row| {
                    match seen.entry(row.sku.clone()) {
                        Entry::Occupied(first) => {
                            let message = format!("repeats row {}", first.get());
                            Err(vec![RowError::new(number, "sku", message)])
                        }
                        Entry::Vacant(entry) => {
                            entry.insert(number);
                            Ok(row)
                        }
                    }
                }),
                Err(error) => Err(vec![error.clone()]),
            };
            match checked {
                Ok(row) => batch.push(row),
                Err(bad) => {
                    failed += 1;
                    errors.extend(bad);
                    // Staged as a mark on its product (see `plan`).
                    if let Ok(cells) = &cells {
                        batch.push(ImportRow::refused(&columns, number, cells));
                    }
                }
            }
        }
        if batch.len() >= STAGE_ROWS || (end && !batch.is_empty()) {
            failed += stage(&mut tx, id, std::mem::take(&mut batch), &mut errors).await?;
        }
        if errors.len() >= STAGE_ROWS || end {
            store::record_errors(&mut *tx, id, &errors).await?;
            errors.clear();
        }
        if end {
            break;
        }
    }
    if rows == 0 {
        return Err(Error::invalid("file", "has no rows under its header"));
    }
    store::counted(&mut *tx, id, rows, failed).await?;
    tx.commit().await?;
    state.imports.wake();
    Ok(id)
}

/// Stages rows with the product each is for; how many good rows could not
/// be placed (a new product's row without a name), reported in `errors`.
/// A refused row that names no product is dropped (it was reported).
async fn stage(
    tx: &mut sqlx::PgConnection,
    id: Uuid,
    rows: Vec<ImportRow>,
    errors: &mut Vec<RowError>,
) -> Result<i32> {
    let skus: Vec<String> =
        rows.iter().filter(|row| !row.sku.is_empty()).map(|row| row.sku.clone()).collect();
    let owners = store::sku_owners(&mut *tx, &skus).await?;
    let mut keyed = Vec::with_capacity(rows.len());
    let mut failed = 0;
    for row in rows {
        let owner = owners.get(&row.sku).map(|owner| owner.product_id);
        match plan::group_key(&row, owner) {
            Some(key) => keyed.push((key, row)),
            None if row.refused => {}
            None => {
                failed += 1;
                let message = "is required for a new product (no product has this SKU)";
                errors.push(RowError::new(row.row, "name", message));
            }
        }
    }
    store::stage(&mut *tx, id, &keyed).await?;
    Ok(failed)
}

/// Runs the oldest import waiting, to its end; whether there was one.
pub async fn run_next(state: &AppState) -> Result<bool> {
    let Some(claimed) = store::claim(&state.db).await? else { return Ok(false) };
    let mut db = state.db.acquire().await?;
    if claimed.attempts > MAX_ATTEMPTS {
        let why = "the import stopped before it finished too many times; upload the file again \
                   (rows already imported will not change)";
        store::finish(&mut db, &claimed, Some(why)).await?;
        return Ok(true);
    }
    drop(db);
    let columns = Columns::from_names(&claimed.columns);
    let mut through = claimed.done_through.clone();
    loop {
        let groups = store::next_groups(&state.db, claimed.id, &through, BATCH_GROUPS).await?;
        let Some(last) = groups.last().map(|group| group.key.clone()) else { break };
        let held = match batch(state, &claimed, &columns, &groups, &last).await {
            Ok(held) => held,
            // Something the checks let through that the database refused:
            // each product on its own, so that only its rows are skipped.
            Err(Error::Database(sqlx::Error::Database(err))) if refused(&*err) => {
                tracing::warn!(error = %err, "import batch refused; writing its products one by one");
                one_by_one(state, &claimed, &columns, &groups).await?
            }
            Err(err) => return Err(err),
        };
        if !held {
            tracing::warn!(import = %claimed.id, "another runner took the import over");
            return Ok(true);
        }
        through = last;
    }
    let mut db = state.db.acquire().await?;
    store::finish(&mut db, &claimed, None).await?;
    tracing::info!(import = %claimed.id, "product import done");
    Ok(true)
}

/// Whether the database refused what was written (a constraint), rather
/// than failed to write it (a timeout, a lost connection): only the first
/// is the rows' fault; the second stops the job, to be run again.
fn refused(err: &dyn sqlx::error::DatabaseError) -> bool {
    err.code().is_some_and(|code| code.starts_with("23"))
}

/// Writes `groups` one transaction each; a product the database refuses
/// has each of its rows reported.
async fn one_by_one(
    state: &AppState,
    claimed: &Claimed,
    columns: &Columns,
    groups: &[Group],
) -> Result<bool> {
    for group in groups {
        let one = std::slice::from_ref(group);
        let held = match batch(state, claimed, columns, one, &group.key).await {
            Err(Error::Database(sqlx::Error::Database(err))) if refused(&*err) => {
                let message = format!("could not be saved: {}", err.message());
                let errors: Vec<RowError> = group
                    .rows
                    .iter()
                    .filter(|row| !row.refused)
                    .map(|row| RowError::new(row.row, "row", &message))
                    .collect();
                let rows = i32::try_from(errors.len()).unwrap_or(i32::MAX);
                let mut tx = state.db.begin().await?;
                store::record_errors(&mut *tx, claimed.id, &errors).await?;
                let counts = plan::Counts::default();
                let held =
                    store::advance(&mut *tx, claimed, &group.key, rows, rows, counts).await?;
                tx.commit().await?;
                held
            }
            other => other?,
        };
        if !held {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Writes `groups` and moves the job past `through`, in one transaction;
/// `false` (and nothing written) when another runner holds the job.
async fn batch(
    state: &AppState,
    claimed: &Claimed,
    columns: &Columns,
    groups: &[Group],
    through: &str,
) -> Result<bool> {
    let mut tx = state.db.begin().await?;
    let world = world(&mut tx, state, groups).await?;
    let plan = plan::plan(columns, groups.to_vec(), &world);
    store::apply(&mut tx, &plan).await?;
    announce(&mut tx, state, &plan).await?;
    store::record_errors(&mut *tx, claimed.id, &plan.errors).await?;
    // Refused rows were counted when the file was read.
    let rows = groups.iter().flat_map(|group| &group.rows).filter(|row| !row.refused).count();
    let rows = i32::try_from(rows).unwrap_or(i32::MAX);
    if !store::advance(&mut *tx, claimed, through, rows, plan.rows_failed, plan.counts).await? {
        return Ok(false);
    }
    tx.commit().await?;
    Ok(true)
}

/// What the database holds for `groups`, their products locked.
async fn world(tx: &mut sqlx::PgConnection, state: &AppState, groups: &[Group]) -> Result<World> {
    let rows = || groups.iter().flat_map(|group| &group.rows);
    let skus: Vec<String> = rows().map(|row| row.sku.clone()).collect();
    let owners = store::sku_owners(&mut *tx, &skus).await?;
    let mut ids: Vec<Uuid> = groups
        .iter()
        .filter_map(|group| group.key.strip_prefix("id:"))
        .filter_map(|id| Uuid::parse_str(id).ok())
        .chain(owners.values().filter(|owner| !owner.deleted).map(|owner| owner.product_id))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let (products, deleted) = repository::lock_products(&mut *tx, &ids).await?;
    let slugs: Vec<String> =
        rows().filter_map(|row| row.category.clone()).collect::<HashSet<_>>().into_iter().collect();
    let urls = state.media_urls();
    Ok(World {
        photos: products
            .iter()
            .filter(|p| !p.row.media.is_empty())
            .map(|p| (p.row.id, p.row.media.iter().map(|m| urls.view(p.row.id, m).url).collect()))
            .collect(),
        products: products.into_iter().map(|p| (p.row.id, p)).collect(),
        deleted: deleted.into_iter().collect(),
        skus: owners,
        categories: store::categories(&mut *tx, &slugs).await?,
    })
}

/// Queues the webhooks of what `plan` created and changed, when an
/// endpoint takes them.
async fn announce(tx: &mut sqlx::PgConnection, state: &AppState, plan: &Plan) -> Result<()> {
    let kinds = [EventType::ProductCreated, EventType::ProductUpdated, EventType::InventoryLow];
    if (plan.created.is_empty() && plan.updated.is_empty())
        || !webhooks::wanted(&mut *tx, &kinds).await?
    {
        return Ok(());
    }
    let mut ids: Vec<Uuid> = plan.created.clone();
    ids.extend(plan.updated.iter().map(|(id, _)| *id));
    ids.sort_unstable();
    let (products, _) = repository::lock_products(&mut *tx, &ids).await?;
    let mut events = Vec::new();
    for product in &products {
        let before = plan.updated.iter().find(|(id, _)| *id == product.row.id);
        let (kind, before) = match before {
            Some((_, before)) => (EventType::ProductUpdated, before.as_slice()),
            None => (EventType::ProductCreated, &[][..]),
        };
        events.extend(product_events(state, kind, before, product)?);
    }
    webhooks::emit(&mut *tx, &events).await
}
