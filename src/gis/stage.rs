//! Staging an import: store it in one transaction, or validate what the store would hold with it
//! (a dry run). Shared by `wangge import` and `POST /api/v1/import`.

use super::read::ImportOutcome;
use crate::store::{ChangeMeta, Store, StoreError};
use std::fmt;
use wangge_engine::validate::{validate, Config, Report, Scope};

/// What [`store_outcome`] did.
#[derive(Debug)]
pub enum Stored {
    /// The validation report of the store's content plus the file's; nothing written.
    DryRun(Report),
    /// The change id of the one transaction that stored everything.
    Change(i64),
}

#[derive(Debug)]
pub enum StageError {
    /// The file or its combination with the stored data is not acceptable (refused features,
    /// unknown parents…): the message says why.
    Rejected(String),
    Store(StoreError),
}

impl fmt::Display for StageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StageError::Rejected(m) => f.write_str(m),
            StageError::Store(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for StageError {}

/// Stores an import in one transaction, or with `dry_run` validates the district made of the
/// store's content plus the imported objects. Refused features mean nothing is stored.
pub async fn store_outcome(
    store: &Store,
    outcome: &ImportOutcome,
    meta: &ChangeMeta,
    dry_run: bool,
) -> Result<Stored, StageError> {
    outcome
        .require_all()
        .map_err(|e| StageError::Rejected(e.to_string()))?;
    let mut ds = store.load().await.map_err(StageError::Store)?;
    ds.grids.extend(outcome.data.grids.iter().cloned());
    ds.buildings.extend(outcome.data.buildings.iter().cloned());
    ds.households
        .extend(outcome.data.households.iter().cloned());
    // The combination must load as a district (known parents, unique versions) before anything
    // is written; a dry run also validates it.
    let (district, mut problems) = ds
        .into_district()
        .map_err(|e| StageError::Rejected(e.to_string()))?;
    if dry_run {
        problems.extend(validate(&district, &Scope::All, None, &Config::default()).problems);
        return Ok(Stored::DryRun(Report::new(problems)));
    }
    store
        .import(&outcome.data, meta)
        .await
        .map(Stored::Change)
        .map_err(StageError::Store)
}
