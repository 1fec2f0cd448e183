//! The embedded default backend: one OGC GeoPackage file (`wangge.gpkg`) through sqlx sqlite.
//! Schema in `migrations/gpkg`; GIS tools (QGIS, `ogrinfo`) open the file directly.
//!
//! Writes start with `BEGIN IMMEDIATE`, which takes SQLite's write lock up front: writers queue
//! on the busy timeout instead of failing when a read transaction tries to upgrade, and the
//! optimistic check and the change id run under that lock, as with the PostGIS advisory lock.
//! The file uses WAL journaling so readers (other processes following the log) never block the
//! writer; the `-wal`/`-shm` side files exist only while the store is open.

use super::commit::WriteTx;
use super::geom::{self, Shape};
use super::record::{self, be, db_error, household};
use super::sql::{self, Row, Val};
use super::{
    ChangeMeta, ImportProgress, Person, StoreError, StoreResult, StoredChange, TokenRecord,
};
use crate::io::dataset::Dataset;
use chrono::{DateTime, NaiveDate, Utc};
use futures_util::TryStreamExt;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{QueryBuilder, Row as _, Sqlite, SqliteConnection, Transaction};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::sync::watch;
use wangge_engine::edit::ChangeSet;
use wangge_engine::{AdminArea, Building, Footprint, Grid, GridId};

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
        let opts = SqliteConnectOptions::new().in_memory(true);
        Self::connect(opts, pool, Path::new(":memory:")).await
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

    pub async fn load(&self) -> StoreResult<Dataset> {
        // One read transaction: a consistent snapshot across the tables.
        let mut tx = self.pool.begin().await.map_err(be("cannot begin a read"))?;
        let mut ds = Dataset::default();

        let mut rows = sqlx::query(
            "SELECT code, name, level, parent, kind, geometry FROM admin_areas ORDER BY fid",
        )
        .fetch(&mut *tx);
        let e = be("reading admin areas");
        while let Some(r) = rows.try_next().await.map_err(&e)? {
            let g: Option<Vec<u8>> = r.try_get(5).map_err(&e)?;
            ds.areas.push(AdminArea {
                code: r.try_get(0).map_err(&e)?,
                name: r.try_get(1).map_err(&e)?,
                level: record::level(r.try_get(2).map_err(&e)?)?,
                parent: r.try_get(3).map_err(&e)?,
                kind: record::kind(r.try_get(4).map_err(&e)?)?,
                geometry: g
                    .map(|g| geom::from_gpkg(&g).and_then(geom::multipolygon))
                    .transpose()?,
            });
        }
        drop(rows);

        let mut members: HashMap<(String, i64), Vec<GridId>> = HashMap::new();
        let mut rows = sqlx::query_as::<_, (String, i64, String)>(
            "SELECT grid_id, grid_version, member_id FROM grid_members \
             ORDER BY grid_id, grid_version, ord",
        )
        .fetch(&mut *tx);
        while let Some((g, v, m)) = rows.try_next().await.map_err(be("reading grid members"))? {
            members.entry((g, v)).or_default().push(GridId(m));
        }
        drop(rows);

        let mut rows = sqlx::query(
            "SELECT id, version, code, name, layer, parent, kind, status, category, network, \
             properties, geometry, valid_from, valid_to FROM grids ORDER BY fid",
        )
        .fetch(&mut *tx);
        let e = be("reading grids");
        while let Some(r) = rows.try_next().await.map_err(&e)? {
            let id: String = r.try_get(0).map_err(&e)?;
            let version: i64 = r.try_get(1).map_err(&e)?;
            let props: String = r.try_get(10).map_err(&e)?;
            let blob: Vec<u8> = r.try_get(11).map_err(&e)?;
            let category: Option<String> = r.try_get(8).map_err(&e)?;
            let valid_to: Option<String> = r.try_get(13).map_err(&e)?;
            ds.grids.push(Grid {
                members: members.remove(&(id.clone(), version)).unwrap_or_default(),
                id: GridId(id),
                version: u32::try_from(version)
                    .map_err(|_| record::unknown("grid version", &version.to_string()))?,
                code: r.try_get(2).map_err(&e)?,
                name: r.try_get(3).map_err(&e)?,
                layer: record::layer(r.try_get(4).map_err(&e)?)?,
                parent: r.try_get(5).map_err(&e)?,
                kind: record::kind(r.try_get(6).map_err(&e)?)?,
                status: record::status(r.try_get(7).map_err(&e)?)?,
                category: record::category(category.as_deref())?,
                network: r.try_get(9).map_err(&e)?,
                properties: record::from_json_text(&props, "grid properties")?,
                geometry: geom::multipolygon(geom::from_gpkg(&blob)?)?,
                valid_from: date(r.try_get(12).map_err(&e)?)?,
                valid_to: valid_to.as_deref().map(date).transpose()?,
            });
        }
        drop(rows);

        let mut rows = sqlx::query(
            "SELECT id, geometry, households, residents, usage FROM buildings ORDER BY fid",
        )
        .fetch(&mut *tx);
        let e = be("reading buildings");
        while let Some(r) = rows.try_next().await.map_err(&e)? {
            let blob: Vec<u8> = r.try_get(1).map_err(&e)?;
            let households: i64 = r.try_get(2).map_err(&e)?;
            let residents: i64 = r.try_get(3).map_err(&e)?;
            ds.buildings.push(Building {
                id: r.try_get(0).map_err(&e)?,
                footprint: match geom::from_gpkg(&blob)? {
                    Shape::Point(p) => Footprint::Point(p),
                    Shape::Polygon(p) => Footprint::Polygon(p),
                    Shape::MultiPolygon(_) => {
                        return Err(record::unknown("building geometry", "MultiPolygon"))
                    }
                },
                households: households.clamp(0, u32::MAX as i64) as u32,
                residents: residents.clamp(0, u32::MAX as i64) as u32,
                usage: r.try_get(4).map_err(&e)?,
            });
        }
        drop(rows);

        type HouseholdRow = (String, Option<String>, Option<f64>, Option<f64>, i32);
        let mut rows = sqlx::query_as::<_, HouseholdRow>(
            "SELECT id, building_id, lon, lat, residents FROM households ORDER BY fid",
        )
        .fetch(&mut *tx);
        while let Some(row) = rows.try_next().await.map_err(be("reading households"))? {
            ds.households.push(household(row)?);
        }
        drop(rows);
        tx.commit().await.map_err(be("finishing a read"))?;
        Ok(ds)
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
    Ok(())
}
