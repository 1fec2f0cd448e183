//! The embedded default backend: one OGC GeoPackage file (`wangge.gpkg`) through sqlx sqlite.
//! Schema in `migrations/gpkg`; GIS tools (QGIS, `ogrinfo`) open the file directly.
//!
//! Writes start with `BEGIN IMMEDIATE`, which takes SQLite's write lock up front: writers queue
//! on the busy timeout instead of failing when a read transaction tries to upgrade, and the
//! optimistic check and the change id run under that lock, as with the PostGIS advisory lock.
//! The file uses WAL journaling so readers (other processes following the log) never block the
//! writer; the `-wal`/`-shm` side files exist only while the store is open.

mod read;
mod rtree;

use super::commit::WriteTx;
use super::geom;
use super::record::{self, be, db_error};
use super::sql::{self, Row, Val};
use super::{
    ChangeMeta, ImportProgress, Person, StoreError, StoreResult, StoredChange, TokenRecord,
};
use crate::io::dataset::Dataset;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{QueryBuilder, Sqlite, SqliteConnection, Transaction};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::sync::watch;
use wangge_engine::edit::ChangeSet;
use wangge_engine::{Grid, GridId};

pub const FILE_NAME: &str = "wangge.gpkg";
/// How often a follower polls the change log (another process may write the same file).
const POLL: Duration = Duration::from_millis(200);
/// Rows per multi-row INSERT: far below SQLite's 32,766 bound parameters for every table here.
const BATCH: usize = 2000;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/gpkg");

#[derive(Debug, Clone)]
pub struct GpkgStore {
    pool: SqlitePool,
    path: PathBuf,
}

fn date(s: &str) -> StoreResult<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| record::unknown("date", s))
}

fn timestamp_text(t: &DateTime<Utc>) -> String {
    // Nanoseconds kept: the stored time reads back equal to the one given.
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

sql::shared_sql!(
    GpkgStore,
    Sqlite,
    json = "",
    seq = "fid",
    stamp = timestamp_text,
    bulk = insert_batched
);

impl GpkgStore {
    /// Opens (creating folder and file when missing) `dir/wangge.gpkg` and migrates it.
    pub async fn open_dir(dir: &Path) -> StoreResult<Self> {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
            while_: format!("creating the data folder {}", dir.display()),
            source,
        })?;
        Self::open_file(&dir.join(FILE_NAME)).await
    }

    pub async fn open_file(path: &Path) -> StoreResult<Self> {
        let opts = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal);
        Self::connect(opts, SqlitePoolOptions::new().max_connections(4), path).await
    }

    /// A GeoPackage that lives only in this process (`Store::memory()`): the same SQL on an
    /// in-memory database, so tests and dry runs get exactly the file store's behaviour. One
    /// connection, never closed while the store lives, because the database dies with it.
    pub async fn open_memory() -> StoreResult<Self> {
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None);
        // sqlx names it (`file:sqlx-in-memory-N`, shared cache), so the read path's own
        // connections can open the same database by that name.
        let opts: SqliteConnectOptions = "sqlite::memory:"
            .parse()
            .map_err(|e| db_error("naming an in-memory database", e))?;
        let uri = format!("{}?mode=memory&cache=shared", opts.get_filename().display());
        Self::connect(opts, pool, Path::new(&uri)).await
    }

    async fn connect(
        opts: SqliteConnectOptions,
        pool: SqlitePoolOptions,
        path: &Path,
    ) -> StoreResult<Self> {
        let opts = opts
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(30));
        let pool = pool
            // The R-tree triggers call ST_MinX…, which each connection must provide.
            .after_connect(|conn, _| Box::pin(rtree::register_functions(conn)))
            .connect_with(opts)
            .await
            .map_err(|e| db_error(&format!("opening {}", path.display()), e))?;
        let store = GpkgStore {
            pool,
            path: path.to_path_buf(),
        };
        store.migrate().await?;
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub async fn migrate(&self) -> StoreResult<()> {
        MIGRATOR.run(&self.pool).await.map_err(|source| {
            log::error!(
                "GeoPackage migration of {} failed: {source}",
                self.path.display()
            );
            StoreError::Migrate {
                what: format!("the GeoPackage {}", self.path.display()),
                source,
            }
        })
    }

    /// Closes every connection, folding the WAL back into the single file.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    pub(crate) async fn begin_write(&self) -> StoreResult<Transaction<'static, Sqlite>> {
        self.pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(be("beginning a write"))
    }

    /// SQLite has no notifications across processes (and another process may write the same
    /// file): followers poll.
    async fn notifier(&self) {}

    /// Reads the whole store (see [`read`]).
    pub async fn load(&self) -> StoreResult<Dataset> {
        read::load(&self.path).await
    }
}

/// `r`'s values with each geometry as its GeoPackage blob (`Err`): encoded before the query
/// builder's closure, which cannot return an error.
fn encoded<R: Row>(r: &R) -> StoreResult<Vec<Result<Val<'_>, Vec<u8>>>> {
    let blob = |v| match v {
        Val::Shape(s) => geom::to_gpkg(&s).map(Err),
        v => Ok(Ok(v)),
    };
    r.values()?.into_iter().map(blob).collect()
}

/// Inserts `rows` with multi-row INSERTs of [`BATCH`] rows, reporting progress per batch.
async fn insert_batched<R: Row>(
    conn: &mut SqliteConnection,
    rows: &[R],
    progress: &ImportProgress<'_>,
) -> StoreResult<()> {
    let what = format!("bulk loading {}", R::TABLE);
    // A bulk load fills the table's R-tree in one statement afterwards instead of row by row
    // through its trigger: 5.5 s instead of 5.8 s of CPU for the 100,000-grid city
    // (`cargo bench --bench store -- big gpkg`, issue 12). An edit's few rows take the trigger.
    let suspended = match rtree::INDEXED.contains(&R::TABLE) && rows.len() >= BATCH {
        true => Some(rtree::suspend(&mut *conn, R::TABLE).await?),
        false => None,
    };
    let mut done = 0u64;
    for chunk in rows.chunks(BATCH) {
        let values = chunk.iter().map(encoded).collect::<StoreResult<Vec<_>>>()?;
        let mut qb =
            QueryBuilder::<Sqlite>::new(format!("INSERT INTO {} ({}) ", R::TABLE, R::COLUMNS));
        qb.push_values(values, |mut b, row| {
            for v in row {
                match v {
                    Ok(Val::Null) => b.push_bind(None::<i64>),
                    Ok(Val::Str(s)) => b.push_bind(s),
                    Ok(Val::Text(s)) => b.push_bind(s),
                    Ok(Val::Int(i)) => b.push_bind(i),
                    Ok(Val::Real(x)) => b.push_bind(x),
                    Ok(Val::Date(d)) => b.push_bind(d),
                    Ok(Val::Shape(_)) => b.push_bind(None::<Vec<u8>>), // encoded above
                    Err(blob) => b.push_bind(blob),
                };
            }
        });
        qb.build()
            .execute(&mut *conn)
            .await
            .map_err(|e| db_error(&what, e))?;
        done += chunk.len() as u64;
        progress(R::TABLE, done);
    }
    if let Some(index) = suspended {
        index.resume(conn).await?;
    }
    Ok(())
}
