//! Storage: where grids, their history, buildings, households, people, tokens and the change log
//! live. One interface, several backends:
//! - [`gpkg`]: the embedded default, one OGC GeoPackage file `wangge.gpkg` in the data folder,
//!   or an in-memory GeoPackage ([`Store::memory`]) for tests and throwaway runs;
//! - [`postgres`]: PostGIS, for production and several service processes on one database.
//!
//! [`Store::open`] picks the backend from the configuration; migrations run on open.
//!
//! Every write is one transaction: it is stored whole or not at all. Edits are optimistic: a
//! change set whose `before` versions are no longer the stored current versions is refused with
//! [`StoreError::Conflict`] naming the grid, and nothing is written.

mod commit;
mod error;
pub mod geom;
pub mod gpkg;
pub mod postgres;
mod record;
mod sql;

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

/// Declares [`Operation`] with its stored names in one list (the enum, [`Operation::ALL`] and
/// [`Operation::as_str`] cannot drift apart).
macro_rules! operations {
    ($($(#[$doc:meta])* $op:ident = $name:literal,)*) => {
        /// What made a change. Stored (and shown in `/changes`) as its snake_case name, the same
        /// strings the change logs have always held.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Operation {
            $($(#[$doc])* $op,)*
        }

        impl Operation {
            pub const ALL: [Operation; [$($name),*].len()] = [$(Operation::$op),*];

            /// The stored name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Operation::$op => $name,)*
                }
            }
        }
    };
}

operations! {
    Create = "create",
    Reshape = "reshape",
    Split = "split",
    Merge = "merge",
    MoveBoundary = "move_boundary",
    RerouteBoundary = "reroute_boundary",
    SetStatus = "set_status",
    Retire = "retire",
    /// Whole datasets loaded (logged without a change set to replay).
    Import = "import",
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stored operation name that no [`Operation`] has.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown operation \"{0}\" in the change log")]
pub struct UnknownOperation(pub String);

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

pub use error::{StoreError, StoreResult};

/// Told `(table, rows written so far)` while a bulk import runs (the `wangge load` progress).
pub type ImportProgress<'a> = dyn Fn(&str, u64) + Send + Sync + 'a;

/// The store the service runs on. Cloning shares it (like a connection pool).
#[derive(Debug, Clone)]
pub struct Store(Backend);

#[derive(Debug, Clone)]
enum Backend {
    Gpkg(gpkg::GpkgStore),
    Postgres(postgres::PgStore),
}

/// Forwards a call to whichever backend `$store` holds: the backends have methods of the same
/// names and signatures (the SQL ones from one macro, `sql::shared_sql!`), so one arm serves all.
macro_rules! each {
    ($store:expr, $s:ident => $call:expr) => {
        match &$store.0 {
            Backend::Gpkg($s) => $call,
            Backend::Postgres($s) => $call,
        }
    };
}

/// `Store` methods that call the backend's method of the same name and arguments.
macro_rules! forward {
    ($($(#[$doc:meta])* fn $name:ident(&self $(, $arg:ident: $ty:ty)*) -> $ret:ty;)*) => {
        impl Store {
            $($(#[$doc])* pub async fn $name(&self $(, $arg: $ty)*) -> $ret {
                each!(self, s => s.$name($($arg),*).await)
            })*
        }
    };
}

forward! {
    /// Brings the schema up to date (also done by [`Store::open`]).
    fn migrate(&self) -> StoreResult<()>;
    /// Closes connections (the GeoPackage folds its write-ahead log back into the one file).
    fn close(&self) -> ();
    /// The latest committed change id, updated when any process commits (PostGIS:
    /// LISTEN/NOTIFY with polling as a fallback; GeoPackage: polling the change log).
    fn subscribe(&self) -> StoreResult<watch::Receiver<i64>>;
    /// Whether nothing has been loaded yet (the service then loads the demo district).
    fn is_empty(&self) -> StoreResult<bool>;
    /// Every admin area, grid version, building and household.
    fn load(&self) -> StoreResult<Dataset>;
    /// Changes committed after `id`, oldest first (the audit trail; replayed to stay in sync).
    fn changes_after(&self, id: i64) -> StoreResult<Vec<StoredChange>>;
    fn latest_change(&self) -> StoreResult<i64>;
    fn put_person(&self, p: &Person) -> StoreResult<()>;
    fn remove_person(&self, id: &str) -> StoreResult<bool>;
    fn people(&self) -> StoreResult<Vec<Person>>;
    fn put_token(&self, t: &TokenRecord) -> StoreResult<()>;
    fn tokens(&self) -> StoreResult<Vec<TokenRecord>>;
    fn remove_token(&self, id: &str) -> StoreResult<bool>;
}

impl Store {
    /// A store in this process only (tests, dry runs): an in-memory GeoPackage, gone when the
    /// last clone is dropped or [`Store::close`] is called.
    pub async fn memory() -> StoreResult<Store> {
        Ok(Store(Backend::Gpkg(gpkg::GpkgStore::open_memory().await?)))
    }

    /// `database` `postgres://…` (or `postgresql://…`): PostGIS; otherwise the GeoPackage
    /// `data_dir/wangge.gpkg` (folder and file created when missing). Migrates the schema.
    pub async fn open(database: Option<&str>, data_dir: &Path) -> StoreResult<Store> {
        Ok(Store(match database.map(str::trim).filter(|d| !d.is_empty()) {
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                Backend::Postgres(postgres::PgStore::connect(url).await?)
            }
            Some(other) => return Err(StoreError::Invalid(format!(
                "database \"{}\" is not a postgres:// URL (leave it out to use the GeoPackage in the data folder)",
                other.split('@').next_back().unwrap_or_default()
            ))),
            None => Backend::Gpkg(gpkg::GpkgStore::open_dir(data_dir).await?),
        }))
    }

    /// [`Store::import`] telling `progress` how far it got (one transaction all the same).
    pub async fn import_reporting(
        &self,
        ds: &Dataset,
        meta: &ChangeMeta,
        progress: &ImportProgress<'_>,
    ) -> StoreResult<i64> {
        each!(self, s => commit::import(s.begin_write().await?, ds, meta, progress).await)
    }

    /// Adds a whole dataset in one transaction, logged as one change.
    pub async fn import(&self, ds: &Dataset, meta: &ChangeMeta) -> StoreResult<i64> {
        self.import_reporting(ds, meta, &|_, _| {}).await
    }

    /// Commits an edit's change set: closes each `before` version on the change date and adds
    /// each `after` version, checking versions optimistically. Returns the change id.
    pub async fn commit(&self, changes: &ChangeSet, meta: &ChangeMeta) -> StoreResult<i64> {
        each!(self, s => commit::commit(s.begin_write().await?, changes, meta, None).await)
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
        each!(self, s => commit::commit(s.begin_write().await?, changes, meta, Some(based_on)).await)
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
