//! The optimistic commit, written once for every backend over [`WriteTx`], the few things a
//! backend's write transaction can do.
//!
//! The protocol, in this order (refusing at the first failed check; a refused change set writes
//! nothing because the transaction is dropped, which rolls it back):
//! 1. `based_on` given: it must still be the latest change, or [`StoreError::Stale`].
//! 2. Each change in turn: its versions must fit the stored integer (the cast rule below), then
//!    a `before` version is closed on the change date — it must be the grid's current version,
//!    or [`StoreError::Conflict`] with the current one (0: none) — and a creation (no `before`)
//!    must use an id and a code no grid version ever had, or [`StoreError::Invalid`].
//! 3. The `after` versions are inserted (nothing is sent when there are none), the change is
//!    appended to the log, and the transaction commits.
//!
//! Cast rule: versions travel as `i64` and a version above `i32::MAX` is refused as
//! [`StoreError::Invalid`] on every backend, because PostGIS stores them as `integer`; before,
//! only PostGIS refused them (and only for `before` versions), and the others took up to
//! `u32::MAX`.

use super::{ChangeMeta, ImportProgress, StoreError, StoreResult};
use crate::io::dataset::Dataset;
use chrono::NaiveDate;
use wangge_engine::edit::ChangeSet;
use wangge_engine::{Grid, GridId};

/// A backend's write transaction, holding the backend's write lock until it commits or is
/// dropped (dropping rolls back). `pub(crate)` trait: `async fn` is fine, callers are concrete.
pub(crate) trait WriteTx: Send {
    /// The id of the latest committed change (0: none).
    async fn latest_change(&mut self) -> StoreResult<i64>;
    /// The version of `grid` that has no end date, if any.
    async fn current_version(&mut self, grid: &GridId) -> StoreResult<Option<i64>>;
    /// Whether any stored version has `grid`'s id, and whether any has its code.
    async fn in_use(&mut self, grid: &Grid) -> StoreResult<(bool, bool)>;
    /// Ends `grid` `version` on `day` if it is current; whether it was.
    async fn close_version(
        &mut self,
        grid: &GridId,
        version: i64,
        day: NaiveDate,
    ) -> StoreResult<bool>;
    /// Adds grid versions (never called with none).
    async fn insert_grids(&mut self, grids: &[Grid]) -> StoreResult<()>;
    /// Adds a whole dataset, the backend's fastest way.
    async fn bulk_load(&mut self, ds: &Dataset, progress: &ImportProgress<'_>) -> StoreResult<()>;
    /// Appends to the change log; the new change's id.
    async fn log_change(&mut self, changes: &ChangeSet, meta: &ChangeMeta) -> StoreResult<i64>;
    async fn commit(self) -> StoreResult<()>;
}

/// A grid version as stored: within `i32` (see the cast rule in the module comment).
fn stored_version(grid: &Grid) -> StoreResult<i64> {
    match i32::try_from(grid.version) {
        Ok(v) => Ok(i64::from(v)),
        Err(_) => Err(StoreError::Invalid(format!(
            "grid {} version {} is too large (at most {})",
            grid.id,
            grid.version,
            i32::MAX
        ))),
    }
}

/// Commits `changes` by the protocol in the module comment; the new change's id.
pub(crate) async fn commit(
    mut tx: impl WriteTx,
    changes: &ChangeSet,
    meta: &ChangeMeta,
    based_on: Option<i64>,
) -> StoreResult<i64> {
    if let Some(based_on) = based_on {
        // Under the write lock: nobody can commit between this check and our insert.
        let latest = tx.latest_change().await?;
        if latest != based_on {
            return Err(StoreError::Stale { based_on, latest });
        }
    }
    for c in &changes.changes {
        for g in c.before.iter().chain(&c.after) {
            stored_version(g)?;
        }
        match (&c.before, &c.after) {
            (Some(before), _) => {
                let version = i64::from(before.version);
                if !tx.close_version(&before.id, version, changes.date).await? {
                    let actual = tx.current_version(&before.id).await?;
                    return Err(StoreError::Conflict {
                        grid: before.id.clone(),
                        expected: before.version,
                        actual: actual.map_or(0, |v| v.clamp(0, i64::from(u32::MAX)) as u32),
                    });
                }
            }
            (None, Some(after)) => match tx.in_use(after).await? {
                (true, _) => {
                    return Err(StoreError::Invalid(format!(
                        "grid id {} is already in use",
                        after.id
                    )))
                }
                (_, true) => {
                    return Err(StoreError::Invalid(format!(
                        "grid code {} is already in use (codes are never reused)",
                        after.code
                    )))
                }
                _ => {}
            },
            (None, None) => {}
        }
    }
    let afters: Vec<Grid> = changes
        .changes
        .iter()
        .filter_map(|c| c.after.clone())
        .collect();
    if !afters.is_empty() {
        tx.insert_grids(&afters).await?;
    }
    let id = tx.log_change(changes, meta).await?;
    tx.commit().await?;
    Ok(id)
}

/// Loads a whole dataset and logs it as one change (an import, with no change set to replay).
pub(crate) async fn import(
    mut tx: impl WriteTx,
    ds: &Dataset,
    meta: &ChangeMeta,
    progress: &ImportProgress<'_>,
) -> StoreResult<i64> {
    for g in &ds.grids {
        stored_version(g)?;
    }
    tx.bulk_load(ds, progress).await?;
    let empty = ChangeSet {
        date: meta.at.date_naive(),
        changes: vec![],
    };
    let id = tx.log_change(&empty, meta).await?;
    tx.commit().await?;
    Ok(id)
}
