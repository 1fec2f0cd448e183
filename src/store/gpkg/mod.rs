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

use super::geom::{self, Shape};
use super::record::{self, db_error};
use super::{
    ChangeMeta, ImportProgress, Person, StoreError, StoreResult, StoredChange, TokenRecord,
};
use crate::io::dataset::Dataset;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{QueryBuilder, Sqlite, Transaction};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::sync::watch;
use wangge_engine::edit::ChangeSet;
use wangge_engine::{AdminArea, Building, Footprint, Grid, GridId, HouseholdLocation};

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

fn be(what: &'static str) -> impl Fn(sqlx::Error) -> StoreError {
    move |e| db_error(what, e)
}

fn date(s: &str) -> StoreResult<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| record::unknown("date", s))
}

fn timestamp(s: &str) -> StoreResult<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| record::unknown("timestamp", s))
}

fn timestamp_text(t: &DateTime<Utc>) -> String {
    // Nanoseconds kept: the stored time reads back equal to the one given.
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

impl GpkgStore {
    /// Opens (creating folder and file when missing) `dir/wangge.gpkg` and migrates it.
    pub async fn open_dir(dir: &Path) -> StoreResult<Self> {
        std::fs::create_dir_all(dir).map_err(|e| {
            StoreError::Backend(format!("cannot create data folder {}: {e}", dir.display()))
        })?;
        Self::open_file(&dir.join(FILE_NAME)).await
    }

    pub async fn open_file(path: &Path) -> StoreResult<Self> {
        let opts = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(30));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            // The R-tree triggers call ST_MinX…, which each connection must provide.
            .after_connect(|conn, _| Box::pin(rtree::register_functions(conn)))
            .connect_with(opts)
            .await
            .map_err(|e| {
                log::error!("cannot open {}: {e}", path.display());
                StoreError::Backend(format!("cannot open {}: {e}", path.display()))
            })?;
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
        MIGRATOR.run(&self.pool).await.map_err(|e| {
            log::error!(
                "GeoPackage migration of {} failed: {e}",
                self.path.display()
            );
            StoreError::Backend(format!(
                "migrating the GeoPackage {} failed: {e}",
                self.path.display()
            ))
        })
    }

    /// Closes every connection, folding the WAL back into the single file.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    async fn write_tx(&self) -> StoreResult<Transaction<'static, Sqlite>> {
        self.pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(be("cannot begin a write"))
    }

    pub async fn is_empty(&self) -> StoreResult<bool> {
        sqlx::query_scalar(
            "SELECT NOT EXISTS (SELECT 1 FROM admin_areas) AND NOT EXISTS (SELECT 1 FROM grids)",
        )
        .fetch_one(&self.pool)
        .await
        .map_err(be("checking whether the store is empty"))
    }

    /// Reads the whole store (see [`read`]).
    pub async fn load(&self) -> StoreResult<Dataset> {
        read::load(&self.path).await
    }

    pub async fn import(
        &self,
        ds: &Dataset,
        meta: &ChangeMeta,
        progress: &ImportProgress<'_>,
    ) -> StoreResult<i64> {
        let mut tx = self.write_tx().await?;
        // The R-trees are filled in one statement each after the bulk insert, not row by row
        // by their triggers: 5.5 s instead of 5.8 s of CPU for the 100,000-grid city
        // (`cargo bench --bench store -- big gpkg`, issue 12).
        let areas = rtree::suspend(&mut tx, "admin_areas").await?;
        let grids = rtree::suspend(&mut tx, "grids").await?;
        let buildings = rtree::suspend(&mut tx, "buildings").await?;
        insert_areas(&mut tx, &ds.areas, progress).await?;
        insert_grids(&mut tx, &ds.grids, progress).await?;
        insert_buildings(&mut tx, &ds.buildings, progress).await?;
        areas.resume(&mut tx).await?;
        grids.resume(&mut tx).await?;
        buildings.resume(&mut tx).await?;
        insert_households(&mut tx, ds, progress).await?;
        let empty = ChangeSet {
            date: meta.at.date_naive(),
            changes: vec![],
        };
        let id = log_change(&mut tx, &empty, meta).await?;
        tx.commit().await.map_err(be("committing the import"))?;
        Ok(id)
    }

    pub async fn commit(
        &self,
        changes: &ChangeSet,
        meta: &ChangeMeta,
        based_on: Option<i64>,
    ) -> StoreResult<i64> {
        let mut tx = self.write_tx().await?;
        if let Some(based_on) = based_on {
            // Under the write lock: nobody can commit between this check and our insert.
            let latest: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM change_sets")
                .fetch_one(&mut *tx)
                .await
                .map_err(be("reading the latest change"))?;
            if latest != based_on {
                return Err(StoreError::Stale { based_on, latest });
            }
        }
        let day = changes.date.format("%Y-%m-%d").to_string();
        // Check and close first; returning early drops the transaction, which rolls back.
        for c in &changes.changes {
            match (&c.before, &c.after) {
                (Some(before), _) => {
                    let closed = sqlx::query(
                        "UPDATE grids SET valid_to = ?3 \
                         WHERE id = ?1 AND version = ?2 AND valid_to IS NULL",
                    )
                    .bind(&before.id.0)
                    .bind(i64::from(before.version))
                    .bind(&day)
                    .execute(&mut *tx)
                    .await
                    .map_err(be("closing a grid version"))?;
                    if closed.rows_affected() != 1 {
                        let actual: Option<i64> = sqlx::query_scalar(
                            "SELECT version FROM grids WHERE id = ?1 AND valid_to IS NULL",
                        )
                        .bind(&before.id.0)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(be("reading a grid's current version"))?;
                        return Err(StoreError::Conflict {
                            grid: before.id.clone(),
                            expected: before.version,
                            actual: actual.unwrap_or(0).clamp(0, u32::MAX as i64) as u32,
                        });
                    }
                }
                (None, Some(after)) => {
                    let (id_used, code_used): (bool, bool) = sqlx::query_as(
                        "SELECT EXISTS (SELECT 1 FROM grids WHERE id = ?1), \
                                EXISTS (SELECT 1 FROM grids WHERE code = ?2)",
                    )
                    .bind(&after.id.0)
                    .bind(&after.code)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(be("checking a new grid's id and code"))?;
                    if id_used {
                        return Err(StoreError::Invalid(format!(
                            "grid id {} is already in use",
                            after.id
                        )));
                    }
                    if code_used {
                        return Err(StoreError::Invalid(format!(
                            "grid code {} is already in use (codes are never reused)",
                            after.code
                        )));
                    }
                }
                (None, None) => {}
            }
        }
        let afters: Vec<Grid> = changes
            .changes
            .iter()
            .filter_map(|c| c.after.clone())
            .collect();
        insert_grids(&mut tx, &afters, &|_, _| {}).await?;
        let id = log_change(&mut tx, changes, meta).await?;
        tx.commit().await.map_err(be("committing a change set"))?;
        Ok(id)
    }

    pub async fn changes_after(&self, id: i64) -> StoreResult<Vec<StoredChange>> {
        let rows = sqlx::query_as::<_, (i64, String, String, String, String, String, String)>(
            "SELECT id, actor, reason, operation, at, change_date, changes \
             FROM change_sets WHERE id > ?1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await
        .map_err(be("reading the change log"))?;
        rows.into_iter()
            .map(|(id, actor, reason, operation, at, day, json)| {
                Ok(StoredChange {
                    id,
                    meta: ChangeMeta {
                        actor,
                        reason,
                        operation: operation.parse()?,
                        at: timestamp(&at)?,
                    },
                    changes: record::changes_from_json(date(&day)?, &json)?,
                })
            })
            .collect()
    }

    pub async fn latest_change(&self) -> StoreResult<i64> {
        latest(&self.pool).await
    }

    pub async fn put_person(&self, p: &Person) -> StoreResult<()> {
        // Delete and insert (not upsert) so a replaced person moves to the end, as in memory.
        let mut tx = self.write_tx().await?;
        sqlx::query("DELETE FROM grid_people WHERE id = ?1")
            .bind(&p.id)
            .execute(&mut *tx)
            .await
            .map_err(be("replacing a person"))?;
        sqlx::query(
            "INSERT INTO grid_people (id, name, role, grids, phone) VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .bind(&p.id)
        .bind(&p.name)
        .bind(record::enum_text(&p.role))
        .bind(record::json_text(&p.grids, "a person's grids")?)
        .bind(&p.phone)
        .execute(&mut *tx)
        .await
        .map_err(be("storing a person"))?;
        tx.commit().await.map_err(be("storing a person"))
    }

    pub async fn remove_person(&self, id: &str) -> StoreResult<bool> {
        let r = sqlx::query("DELETE FROM grid_people WHERE id = ?1")
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(be("removing a person"))?;
        Ok(r.rows_affected() > 0)
    }

    pub async fn people(&self) -> StoreResult<Vec<Person>> {
        let rows = sqlx::query_as::<_, (String, String, String, String, Option<String>)>(
            "SELECT id, name, role, grids, phone FROM grid_people ORDER BY fid",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(be("reading people"))?;
        rows.into_iter()
            .map(|(id, name, role, grids, phone)| {
                Ok(Person {
                    id,
                    name,
                    role: record::person_role(&role)?,
                    grids: record::from_json_text(&grids, "a person's grids")?,
                    phone,
                })
            })
            .collect()
    }

    pub async fn put_token(&self, t: &TokenRecord) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        sqlx::query("DELETE FROM api_tokens WHERE id = ?1")
            .bind(&t.id)
            .execute(&mut *tx)
            .await
            .map_err(be("replacing a token"))?;
        sqlx::query(
            "INSERT INTO api_tokens (id, name, role, areas, secret_hash, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .bind(&t.id)
        .bind(&t.name)
        .bind(record::enum_text(&t.role))
        .bind(record::json_text(&t.areas, "a token's areas")?)
        .bind(&t.secret_hash)
        .bind(timestamp_text(&t.created_at))
        .execute(&mut *tx)
        .await
        .map_err(be("storing a token"))?;
        tx.commit().await.map_err(be("storing a token"))
    }

    pub async fn tokens(&self) -> StoreResult<Vec<TokenRecord>> {
        let rows = sqlx::query_as::<_, (String, String, String, String, String, String)>(
            "SELECT id, name, role, areas, secret_hash, created_at FROM api_tokens ORDER BY fid",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(be("reading tokens"))?;
        rows.into_iter()
            .map(|(id, name, role, areas, secret_hash, created_at)| {
                Ok(TokenRecord {
                    id,
                    name,
                    role: record::token_role(&role)?,
                    areas: record::from_json_text(&areas, "a token's areas")?,
                    secret_hash,
                    created_at: timestamp(&created_at)?,
                })
            })
            .collect()
    }

    pub async fn remove_token(&self, id: &str) -> StoreResult<bool> {
        let r = sqlx::query("DELETE FROM api_tokens WHERE id = ?1")
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(be("removing a token"))?;
        Ok(r.rows_affected() > 0)
    }

    /// The latest committed change id, by polling the log every [`POLL`]: SQLite has no
    /// notifications across processes, and another process may write the same file.
    pub async fn subscribe(&self) -> StoreResult<watch::Receiver<i64>> {
        let pool = self.pool.clone();
        let (tx, rx) = watch::channel(latest(&pool).await?);
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = tx.closed() => break,
                    _ = tokio::time::sleep(POLL) => {}
                }
                match latest(&pool).await {
                    Ok(id) => {
                        tx.send_if_modified(|cur| {
                            let newer = id > *cur;
                            if newer {
                                *cur = id;
                            }
                            newer
                        });
                    }
                    Err(e) => log::warn!("polling the change log failed: {e}"),
                }
            }
        });
        Ok(rx)
    }
}

async fn latest(pool: &SqlitePool) -> StoreResult<i64> {
    sqlx::query_scalar("SELECT coalesce(max(id), 0) FROM change_sets")
        .fetch_one(pool)
        .await
        .map_err(be("reading the latest change"))
}

async fn log_change(
    tx: &mut Transaction<'static, Sqlite>,
    changes: &ChangeSet,
    meta: &ChangeMeta,
) -> StoreResult<i64> {
    sqlx::query_scalar(
        "INSERT INTO change_sets (actor, reason, operation, at, change_date, changes) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id",
    )
    .bind(&meta.actor)
    .bind(&meta.reason)
    .bind(meta.operation.as_str())
    .bind(timestamp_text(&meta.at))
    .bind(changes.date.format("%Y-%m-%d").to_string())
    .bind(record::changes_to_json(changes)?)
    .fetch_one(&mut **tx)
    .await
    .map_err(be("writing the change log"))
}

/// Inserts `items` with multi-row INSERTs of [`BATCH`] rows, reporting progress per batch.
async fn insert_batched<T>(
    tx: &mut Transaction<'static, Sqlite>,
    head: &'static str,
    table: &str,
    items: &[T],
    mut row: impl FnMut(sqlx::query_builder::Separated<'_, Sqlite, &'static str>, &T),
    progress: &ImportProgress<'_>,
) -> StoreResult<()> {
    let what = format!("bulk loading {table}");
    let mut done = 0u64;
    for chunk in items.chunks(BATCH) {
        let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(head);
        qb.push_values(chunk, &mut row);
        qb.build()
            .execute(&mut **tx)
            .await
            .map_err(|e| db_error(&what, e))?;
        done += chunk.len() as u64;
        progress(table, done);
    }
    Ok(())
}

async fn insert_areas(
    tx: &mut Transaction<'static, Sqlite>,
    areas: &[AdminArea],
    progress: &ImportProgress<'_>,
) -> StoreResult<()> {
    insert_batched(
        tx,
        "INSERT INTO admin_areas (code, name, level, parent, kind, geometry) ",
        "admin_areas",
        areas,
        |mut b, a| {
            b.push_bind(a.code.clone())
                .push_bind(a.name.clone())
                .push_bind(a.level.as_str())
                .push_bind(a.parent.clone())
                .push_bind(a.kind.as_str())
                .push_bind(
                    a.geometry
                        .as_ref()
                        .map(|g| geom::to_gpkg(&Shape::MultiPolygon(g.clone()))),
                );
        },
        progress,
    )
    .await
}

async fn insert_grids(
    tx: &mut Transaction<'static, Sqlite>,
    grids: &[Grid],
    progress: &ImportProgress<'_>,
) -> StoreResult<()> {
    // Properties are encoded up front so an unencodable map fails before anything is sent.
    let props: Vec<String> = grids
        .iter()
        .map(|g| record::json_text(&g.properties, "grid properties"))
        .collect::<StoreResult<_>>()?;
    let rows: Vec<(&Grid, &String)> = grids.iter().zip(&props).collect();
    insert_batched(
        tx,
        "INSERT INTO grids (id, version, code, name, layer, parent, kind, status, category, \
         network, properties, geometry, valid_from, valid_to) ",
        "grids",
        &rows,
        |mut b, (g, props)| {
            b.push_bind(g.id.0.clone())
                .push_bind(i64::from(g.version))
                .push_bind(g.code.clone())
                .push_bind(g.name.clone())
                .push_bind(g.layer.as_str())
                .push_bind(g.parent.clone())
                .push_bind(g.kind.as_str())
                .push_bind(g.status.as_str())
                .push_bind(g.category.map(|c| c.as_str()))
                .push_bind(g.network.clone())
                .push_bind((*props).clone())
                .push_bind(geom::to_gpkg(&Shape::MultiPolygon(g.geometry.clone())))
                .push_bind(g.valid_from.format("%Y-%m-%d").to_string())
                .push_bind(g.valid_to.map(|d| d.format("%Y-%m-%d").to_string()));
        },
        progress,
    )
    .await?;
    let members: Vec<(&Grid, usize, &GridId)> = grids
        .iter()
        .flat_map(|g| g.members.iter().enumerate().map(move |(i, m)| (g, i, m)))
        .collect();
    insert_batched(
        tx,
        "INSERT INTO grid_members (grid_id, grid_version, ord, member_id) ",
        "grid_members",
        &members,
        |mut b, (g, i, m)| {
            b.push_bind(g.id.0.clone())
                .push_bind(i64::from(g.version))
                .push_bind(*i as i64)
                .push_bind(m.0.clone());
        },
        progress,
    )
    .await
}

async fn insert_buildings(
    tx: &mut Transaction<'static, Sqlite>,
    buildings: &[Building],
    progress: &ImportProgress<'_>,
) -> StoreResult<()> {
    insert_batched(
        tx,
        "INSERT INTO buildings (id, geometry, households, residents, usage) ",
        "buildings",
        buildings,
        |mut b, x| {
            let shape = match &x.footprint {
                Footprint::Polygon(p) => Shape::Polygon(p.clone()),
                Footprint::Point(p) => Shape::Point(*p),
            };
            b.push_bind(x.id.clone())
                .push_bind(geom::to_gpkg(&shape))
                .push_bind(i64::from(x.households))
                .push_bind(i64::from(x.residents))
                .push_bind(x.usage.clone());
        },
        progress,
    )
    .await
}

async fn insert_households(
    tx: &mut Transaction<'static, Sqlite>,
    ds: &Dataset,
    progress: &ImportProgress<'_>,
) -> StoreResult<()> {
    insert_batched(
        tx,
        "INSERT INTO households (id, building_id, lon, lat, residents) ",
        "households",
        &ds.households,
        |mut b, h| {
            let (building, lon, lat) = match &h.location {
                HouseholdLocation::Building(x) => (Some(x.clone()), None, None),
                HouseholdLocation::Point(p) => (None, Some(p.x()), Some(p.y())),
            };
            b.push_bind(h.id.clone())
                .push_bind(building)
                .push_bind(lon)
                .push_bind(lat)
                .push_bind(i64::from(h.residents));
        },
        progress,
    )
    .await
}
