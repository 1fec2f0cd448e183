//! Storage: where grids, their history, buildings, households, people, tokens and the change log
//! live. One interface, several backends:
//! - [`memory`]: in process, for tests and throwaway runs;
//! - [`gpkg`]: the embedded default, one OGC GeoPackage file `wangge.gpkg` in the data folder;
//! - [`postgres`]: PostGIS, for production and several service processes on one database.
//!
//! [`Store::open`] picks the backend from the configuration; migrations run on open.
//!
//! Every write is one transaction: it is stored whole or not at all. Edits are optimistic: a
//! change set whose `before` versions are no longer the stored current versions is refused with
//! [`StoreError::Conflict`] naming the grid, and nothing is written.

pub mod geom;
pub mod gpkg;
pub mod memory;
pub mod postgres;
mod record;

use crate::io::dataset::Dataset;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::Path;
use tokio::sync::watch;
use wangge_engine::edit::ChangeSet;
use wangge_engine::GridId;

/// Who made a change, when and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangeMeta {
    pub actor: String,
    pub reason: String,
    /// What made the change: one of the edits, or an import.
    pub operation: Operation,
    pub at: DateTime<Utc>,
}

/// What made a change. Stored (and shown in `/changes`) as its snake_case name, the same strings
/// the change logs have always held: `create`, `reshape`, `split`, `merge`, `move_boundary`,
/// `reroute_boundary`, `set_status`, `retire`, `import`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    Create,
    Reshape,
    Split,
    Merge,
    MoveBoundary,
    RerouteBoundary,
    SetStatus,
    Retire,
    /// Whole datasets loaded (logged without a change set to replay).
    Import,
}

impl Operation {
    pub const ALL: [Operation; 9] = [
        Operation::Create,
        Operation::Reshape,
        Operation::Split,
        Operation::Merge,
        Operation::MoveBoundary,
        Operation::RerouteBoundary,
        Operation::SetStatus,
        Operation::Retire,
        Operation::Import,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Create => "create",
            Operation::Reshape => "reshape",
            Operation::Split => "split",
            Operation::Merge => "merge",
            Operation::MoveBoundary => "move_boundary",
            Operation::RerouteBoundary => "reroute_boundary",
            Operation::SetStatus => "set_status",
            Operation::Retire => "retire",
            Operation::Import => "import",
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stored operation name that no [`Operation`] has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownOperation(pub String);

impl fmt::Display for UnknownOperation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown operation \"{}\" in the change log", self.0)
    }
}

impl std::error::Error for UnknownOperation {}

impl std::str::FromStr for Operation {
    type Err = UnknownOperation;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Operation::ALL
            .into_iter()
            .find(|o| o.as_str() == s)
            .ok_or_else(|| UnknownOperation(s.to_string()))
    }
}

/// A committed change: the audit trail and what other processes replay to stay in sync.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredChange {
    /// Increasing with commit order.
    pub id: i64,
    pub meta: ChangeMeta,
    pub changes: ChangeSet,
}

/// Roles of the people attached to grids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PersonRole {
    /// 网格长
    GridHead,
    /// 综治网格员 (full-time grid worker)
    GridWorker,
    /// 业务团队 member shared across grids (urban management, judicial…)
    BusinessTeam,
    /// 村/社区责任人
    CommunityContact,
    /// 区直单位责任人
    DistrictContact,
    /// 志愿者
    Volunteer,
    /// 楼栋长 / 村民小组长
    MicroForce,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Person {
    pub id: String,
    pub name: String,
    pub role: PersonRole,
    /// Grids the person serves (business-team members serve several).
    pub grids: Vec<GridId>,
    pub phone: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Viewer,
    Planner,
    Admin,
}

/// An API token. Only a hash of the secret is stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenRecord {
    pub id: String,
    pub name: String,
    pub role: Role,
    /// Admin area codes a planner may edit in (empty: none for planners; ignored for admins).
    pub areas: Vec<String>,
    pub secret_hash: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum StoreError {
    /// The stored current version of `grid` is `actual`, not the `expected` one the change was
    /// made against (`actual` 0: the grid no longer has a current version).
    Conflict {
        grid: GridId,
        expected: u32,
        actual: u32,
    },
    /// A change set planned on the store as of change `based_on` was offered when change
    /// `latest` had been committed since (by another process): plan it again and retry.
    Stale { based_on: i64, latest: i64 },
    /// A change that cannot be stored as given (e.g. creating a grid id that exists).
    Invalid(String),
    /// The backend failed; the message is for logs, not for clients.
    Backend(String),
    /// The change log holds an operation this version does not know (written by a newer one, or
    /// damaged): the log cannot be replayed.
    UnknownOperation(UnknownOperation),
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Conflict { grid, expected, actual: 0 } => write!(
                f,
                "grid {grid} was changed by someone else: version {expected} is no longer current (the grid was retired)"
            ),
            StoreError::Conflict { grid, expected, actual } => write!(
                f,
                "grid {grid} was changed by someone else: you edited version {expected}, the current version is {actual}"
            ),
            StoreError::Stale { based_on, latest } => write!(
                f,
                "the change was planned on change {based_on} but change {latest} was saved since"
            ),
            StoreError::Invalid(m) => write!(f, "{m}"),
            StoreError::Backend(m) => write!(f, "storage error: {m}"),
            StoreError::UnknownOperation(e) => write!(f, "storage error: {e}"),
        }
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StoreError::UnknownOperation(e) => Some(e),
            _ => None,
        }
    }
}

impl From<UnknownOperation> for StoreError {
    fn from(e: UnknownOperation) -> Self {
        StoreError::UnknownOperation(e)
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Told `(table, rows written so far)` while a bulk import runs (the `wangge load` progress).
pub type ImportProgress<'a> = dyn Fn(&str, u64) + Send + Sync + 'a;

/// The store the service runs on.
#[derive(Debug, Clone)]
pub enum Store {
    Memory(memory::MemoryStore),
    Gpkg(gpkg::GpkgStore),
    Postgres(postgres::PgStore),
}

impl Store {
    pub fn memory() -> Self {
        Store::Memory(memory::MemoryStore::default())
    }

    /// `database` `postgres://…` (or `postgresql://…`): PostGIS; otherwise the GeoPackage
    /// `data_dir/wangge.gpkg` (folder and file created when missing). Migrates the schema.
    pub async fn open(database: Option<&str>, data_dir: &Path) -> StoreResult<Store> {
        match database.map(str::trim).filter(|d| !d.is_empty()) {
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                Ok(Store::Postgres(postgres::PgStore::connect(url).await?))
            }
            Some(other) => Err(StoreError::Invalid(format!(
                "database \"{}\" is not a postgres:// URL (leave it out to use the GeoPackage in the data folder)",
                other.split('@').next_back().unwrap_or_default()
            ))),
            None => Ok(Store::Gpkg(gpkg::GpkgStore::open_dir(data_dir).await?)),
        }
    }

    /// Brings the schema up to date (also done by [`Store::open`]).
    pub async fn migrate(&self) -> StoreResult<()> {
        match self {
            Store::Memory(_) => Ok(()),
            Store::Gpkg(s) => s.migrate().await,
            Store::Postgres(s) => s.migrate().await,
        }
    }

    /// Closes connections (the GeoPackage folds its write-ahead log back into the one file).
    pub async fn close(&self) {
        match self {
            Store::Memory(_) => {}
            Store::Gpkg(s) => s.close().await,
            Store::Postgres(s) => s.close().await,
        }
    }

    /// The latest committed change id, updated when any process commits (PostGIS:
    /// LISTEN/NOTIFY with polling as a fallback; GeoPackage: polling the change log).
    pub async fn subscribe(&self) -> StoreResult<watch::Receiver<i64>> {
        match self {
            Store::Memory(s) => Ok(s.subscribe()),
            Store::Gpkg(s) => s.subscribe().await,
            Store::Postgres(s) => s.subscribe().await,
        }
    }

    /// [`Store::import`] telling `progress` how far it got (one transaction all the same).
    pub async fn import_reporting(
        &self,
        ds: &Dataset,
        meta: &ChangeMeta,
        progress: &ImportProgress<'_>,
    ) -> StoreResult<i64> {
        match self {
            Store::Memory(s) => s.import(ds, meta),
            Store::Gpkg(s) => s.import(ds, meta, progress).await,
            Store::Postgres(s) => s.import(ds, meta, progress).await,
        }
    }

    /// Whether nothing has been loaded yet (the service then loads the demo district).
    pub async fn is_empty(&self) -> StoreResult<bool> {
        match self {
            Store::Memory(s) => s.is_empty(),
            Store::Gpkg(s) => s.is_empty().await,
            Store::Postgres(s) => s.is_empty().await,
        }
    }

    /// Every admin area, grid version, building and household.
    pub async fn load(&self) -> StoreResult<Dataset> {
        match self {
            Store::Memory(s) => s.load(),
            Store::Gpkg(s) => s.load().await,
            Store::Postgres(s) => s.load().await,
        }
    }

    /// Adds a whole dataset in one transaction, logged as one change.
    pub async fn import(&self, ds: &Dataset, meta: &ChangeMeta) -> StoreResult<i64> {
        match self {
            Store::Memory(s) => s.import(ds, meta),
            Store::Gpkg(s) => s.import(ds, meta, &|_, _| {}).await,
            Store::Postgres(s) => s.import(ds, meta, &|_, _| {}).await,
        }
    }

    /// Commits an edit's change set: closes each `before` version on the change date and adds
    /// each `after` version, checking versions optimistically. Returns the change id.
    pub async fn commit(&self, changes: &ChangeSet, meta: &ChangeMeta) -> StoreResult<i64> {
        self.commit_checked(changes, meta, None).await
    }

    /// [`Store::commit`], refused with [`StoreError::Stale`] unless `based_on` is still the latest
    /// change. Version checks protect the grids a change set rewrites; this protects what its
    /// validation read — the neighbours — from a concurrent edit in another process: the caller
    /// catches up, plans again on the newer state, and retries.
    pub async fn commit_based_on(
        &self,
        changes: &ChangeSet,
        meta: &ChangeMeta,
        based_on: i64,
    ) -> StoreResult<i64> {
        self.commit_checked(changes, meta, Some(based_on)).await
    }

    async fn commit_checked(
        &self,
        changes: &ChangeSet,
        meta: &ChangeMeta,
        based_on: Option<i64>,
    ) -> StoreResult<i64> {
        match self {
            Store::Memory(s) => s.commit(changes, meta, based_on),
            Store::Gpkg(s) => s.commit(changes, meta, based_on).await,
            Store::Postgres(s) => s.commit(changes, meta, based_on).await,
        }
    }

    /// Changes committed after `id`, oldest first (the audit trail; replayed to stay in sync).
    pub async fn changes_after(&self, id: i64) -> StoreResult<Vec<StoredChange>> {
        match self {
            Store::Memory(s) => s.changes_after(id),
            Store::Gpkg(s) => s.changes_after(id).await,
            Store::Postgres(s) => s.changes_after(id).await,
        }
    }

    pub async fn latest_change(&self) -> StoreResult<i64> {
        match self {
            Store::Memory(s) => s.latest_change(),
            Store::Gpkg(s) => s.latest_change().await,
            Store::Postgres(s) => s.latest_change().await,
        }
    }

    pub async fn put_person(&self, p: &Person) -> StoreResult<()> {
        match self {
            Store::Memory(s) => s.put_person(p),
            Store::Gpkg(s) => s.put_person(p).await,
            Store::Postgres(s) => s.put_person(p).await,
        }
    }

    pub async fn remove_person(&self, id: &str) -> StoreResult<bool> {
        match self {
            Store::Memory(s) => s.remove_person(id),
            Store::Gpkg(s) => s.remove_person(id).await,
            Store::Postgres(s) => s.remove_person(id).await,
        }
    }

    pub async fn people(&self) -> StoreResult<Vec<Person>> {
        match self {
            Store::Memory(s) => s.people(),
            Store::Gpkg(s) => s.people().await,
            Store::Postgres(s) => s.people().await,
        }
    }

    pub async fn put_token(&self, t: &TokenRecord) -> StoreResult<()> {
        match self {
            Store::Memory(s) => s.put_token(t),
            Store::Gpkg(s) => s.put_token(t).await,
            Store::Postgres(s) => s.put_token(t).await,
        }
    }

    pub async fn tokens(&self) -> StoreResult<Vec<TokenRecord>> {
        match self {
            Store::Memory(s) => s.tokens(),
            Store::Gpkg(s) => s.tokens().await,
            Store::Postgres(s) => s.tokens().await,
        }
    }

    pub async fn remove_token(&self, id: &str) -> StoreResult<bool> {
        match self {
            Store::Memory(s) => s.remove_token(id),
            Store::Gpkg(s) => s.remove_token(id).await,
            Store::Postgres(s) => s.remove_token(id).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The stored names are the serde names, and every name reads back as its operation.
    #[test]
    fn operation_names_round_trip() {
        for op in Operation::ALL {
            let json = serde_json::to_string(&op).expect("serialize");
            assert_eq!(json, format!("\"{}\"", op.as_str()));
            assert_eq!(op.as_str().parse::<Operation>(), Ok(op));
            assert_eq!(
                serde_json::from_str::<Operation>(&json).expect("deserialize"),
                op
            );
        }
        assert_eq!(Operation::MoveBoundary.as_str(), "move_boundary");
        assert_eq!(
            "Import".parse::<Operation>(),
            Err(UnknownOperation("Import".into()))
        );
    }
}
