//! The store's one error type. What a client caused (`Conflict`, `Stale`, `Invalid`) is told
//! apart from what the store failed at, and every failure keeps its source and says what it was
//! doing ("while …"), for the logs: clients only ever see that the server failed.

use super::UnknownOperation;
use wangge_engine::GridId;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The stored current version of `grid` is `actual`, not the `expected` one the change was
    /// made against (`actual` 0: the grid no longer has a current version).
    #[error("grid {grid} was changed by someone else: {}", conflict_detail(*.expected, *.actual))]
    Conflict {
        grid: GridId,
        expected: u32,
        actual: u32,
    },
    /// A change set planned on the store as of change `based_on` was offered when change
    /// `latest` had been committed since (by another process): plan it again and retry.
    #[error("the change was planned on change {based_on} but change {latest} was saved since")]
    Stale { based_on: i64, latest: i64 },
    /// A change that cannot be stored as given (e.g. creating a grid id that exists).
    #[error("{0}")]
    Invalid(String),
    /// The database failed while doing `while_` ("reading grids").
    #[error("storage error: {while_}")]
    Database {
        while_: String,
        #[source]
        source: sqlx::Error,
    },
    /// The schema could not be brought up to date.
    #[error("storage error: migrating {what}")]
    Migrate {
        what: String,
        #[source]
        source: sqlx::migrate::MigrateError,
    },
    /// A stored value the model does not know: the database was edited by hand or by a newer
    /// version. Names the column so the log says which one is wrong.
    #[error("storage error: unknown {column} \"{value}\" in the store")]
    Corrupt { column: &'static str, value: String },
    #[error("storage error: cannot encode {what}")]
    Encode {
        what: &'static str,
        #[source]
        source: serde_json::Error,
    },
    #[error("storage error: stored {what} is not readable")]
    Decode {
        what: &'static str,
        #[source]
        source: serde_json::Error,
    },
    /// The GeoPackage read path (rusqlite) failed while doing `while_`.
    #[error("storage error: {while_}")]
    Sqlite {
        while_: String,
        #[source]
        source: rusqlite::Error,
    },
    /// Readers kept seeing different states of the file: commits kept landing while the read
    /// snapshots were being opened.
    #[error(
        "storage error: no consistent read of {path} in {attempts} attempts (commits kept landing)"
    )]
    Unsettled { path: String, attempts: usize },
    /// A reader thread of the store panicked or was cancelled while doing `while_`.
    #[error("storage error: {while_} stopped")]
    Worker {
        while_: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("storage error: {while_}")]
    Io {
        while_: String,
        #[source]
        source: std::io::Error,
    },
    /// The change log holds an operation this version does not know (written by a newer one, or
    /// damaged): the log cannot be replayed.
    #[error("storage error: {0}")]
    UnknownOperation(#[from] UnknownOperation),
}

fn conflict_detail(expected: u32, actual: u32) -> String {
    match actual {
        0 => format!("version {expected} is no longer current (the grid was retired)"),
        _ => format!("you edited version {expected}, the current version is {actual}"),
    }
}

/// Equal when the same thing went wrong: same variant, same message (which holds every field
/// of the client-facing variants tests and callers compare). By hand because neither
/// `sqlx::Error` nor `std::io::Error` can be compared.
impl PartialEq for StoreError {
    fn eq(&self, other: &Self) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(other)
            && self.to_string() == other.to_string()
    }
}

pub type StoreResult<T> = Result<T, StoreError>;
