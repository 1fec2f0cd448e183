//! PostGIS backend (production): sqlx over PostgreSQL, schema in `migrations/postgres`.
//!
//! Writes are serialised by one transaction-scoped advisory lock. Edits are rare (planners redraw
//! grids, they do not stream), and serialising them makes change ids increase in commit order —
//! with plain sequences two overlapping transactions could commit ids 6 before 5 and a follower
//! reading "after 5" would miss one. Inside the lock the optimistic check is a conditional UPDATE
//! whose affected-row count says whether the edited version was still current.

mod copy;

use super::geom::{self, Shape};
use super::record::{self, db_error};
use super::{
    ChangeMeta, ImportProgress, Person, StoreError, StoreResult, StoredChange, TokenRecord,
};
use crate::io::dataset::Dataset;
use copy::CopyRows;
use futures_util::TryStreamExt;
use sqlx::postgres::{PgConnectOptions, PgListener, PgPool, PgPoolOptions};
use sqlx::{PgConnection, Postgres, Row, Transaction};
use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;
use tokio::sync::watch;
use wangge_engine::edit::ChangeSet;
use wangge_engine::{AdminArea, Building, Footprint, Grid, GridId, Household, HouseholdLocation};

/// Key of the advisory lock every writing transaction takes (arbitrary, "wangge" in ASCII).
const WRITE_LOCK: i64 = 0x7761_6e67_6765;
/// Channel the change log trigger notifies on.
pub const CHANNEL: &str = "wangge_changes";
/// How often a follower polls the log when notifications are unavailable, and as a safety net.
const POLL: Duration = Duration::from_millis(500);

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
}

fn be(what: &'static str) -> impl Fn(sqlx::Error) -> StoreError {
    move |e| db_error(what, e)
}

impl PgStore {
    /// Connects to `url` (`postgres://…`) and brings the schema up to date.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let opts = PgConnectOptions::from_str(url).map_err(|e| {
            StoreError::Invalid(format!("database URL is not a PostgreSQL URL: {e}"))
        })?;
        Self::connect_with(opts).await
    }

    pub async fn connect_with(opts: PgConnectOptions) -> StoreResult<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(opts)
            .await
            .map_err(be("cannot connect to PostgreSQL"))?;
        let store = PgStore { pool };
        store.migrate().await?;
        Ok(store)
    }

    pub async fn migrate(&self) -> StoreResult<()> {
        MIGRATOR.run(&self.pool).await.map_err(|e| {
            log::error!("PostgreSQL migration failed: {e}");
            StoreError::Backend(format!("migrating the PostgreSQL schema failed: {e}"))
        })
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    async fn write_tx(&self) -> StoreResult<Transaction<'static, Postgres>> {
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(be("cannot begin a write"))?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(WRITE_LOCK)
            .execute(&mut *tx)
            .await
            .map_err(be("cannot take the write lock"))?;
        Ok(tx)
    }

    pub async fn is_empty(&self) -> StoreResult<bool> {
        sqlx::query_scalar(
            "SELECT NOT EXISTS (SELECT 1 FROM admin_areas) AND NOT EXISTS (SELECT 1 FROM grids)",
        )
        .fetch_one(&self.pool)
        .await
        .map_err(be("checking whether the store is empty"))
    }

    pub async fn load(&self) -> StoreResult<Dataset> {
        // One repeatable-read transaction: a commit landing between the table reads cannot
        // produce a dataset that never existed.
        let mut tx = self.pool.begin().await.map_err(be("cannot begin a read"))?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .execute(&mut *tx)
            .await
            .map_err(be("cannot set the read isolation"))?;
        let mut ds = Dataset::default();

        let mut rows = sqlx::query(
            "SELECT code, name, level, parent, kind, ST_AsBinary(geometry) \
             FROM admin_areas ORDER BY seq",
        )
        .fetch(&mut *tx);
        while let Some(r) = rows.try_next().await.map_err(be("reading admin areas"))? {
            let geometry: Option<Vec<u8>> = r.try_get(5).map_err(be("reading admin areas"))?;
            ds.areas.push(AdminArea {
                code: r.try_get(0).map_err(be("reading admin areas"))?,
                name: r.try_get(1).map_err(be("reading admin areas"))?,
                level: record::level(r.try_get(2).map_err(be("reading admin areas"))?)?,
                parent: r.try_get(3).map_err(be("reading admin areas"))?,
                kind: record::kind(r.try_get(4).map_err(be("reading admin areas"))?)?,
                geometry: geometry
                    .map(|g| geom::from_wkb(&g).and_then(geom::multipolygon))
                    .transpose()?,
            });
        }
        drop(rows);

        let mut members: HashMap<(String, i32), Vec<GridId>> = HashMap::new();
        let mut rows = sqlx::query_as::<_, (String, i32, String)>(
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
             properties::text, ST_AsBinary(geometry), valid_from, valid_to \
             FROM grids ORDER BY seq",
        )
        .fetch(&mut *tx);
        let e = be("reading grids");
        while let Some(r) = rows.try_next().await.map_err(&e)? {
            let id: String = r.try_get(0).map_err(&e)?;
            let version: i32 = r.try_get(1).map_err(&e)?;
            let props: String = r.try_get(10).map_err(&e)?;
            let wkb: Vec<u8> = r.try_get(11).map_err(&e)?;
            let category: Option<String> = r.try_get(8).map_err(&e)?;
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
                geometry: geom::multipolygon(geom::from_wkb(&wkb)?)?,
                valid_from: r.try_get(12).map_err(&e)?,
                valid_to: r.try_get(13).map_err(&e)?,
            });
        }
        drop(rows);

        let mut rows = sqlx::query(
            "SELECT id, ST_AsBinary(geometry), households, residents, usage \
             FROM buildings ORDER BY seq",
        )
        .fetch(&mut *tx);
        let e = be("reading buildings");
        while let Some(r) = rows.try_next().await.map_err(&e)? {
            let wkb: Vec<u8> = r.try_get(1).map_err(&e)?;
            let households: i32 = r.try_get(2).map_err(&e)?;
            let residents: i32 = r.try_get(3).map_err(&e)?;
            ds.buildings.push(Building {
                id: r.try_get(0).map_err(&e)?,
                footprint: footprint(geom::from_wkb(&wkb)?)?,
                households: households.max(0) as u32,
                residents: residents.max(0) as u32,
                usage: r.try_get(4).map_err(&e)?,
            });
        }
        drop(rows);

        type HouseholdRow = (String, Option<String>, Option<f64>, Option<f64>, i32);
        let mut rows = sqlx::query_as::<_, HouseholdRow>(
            "SELECT id, building_id, lon, lat, residents FROM households ORDER BY seq",
        )
        .fetch(&mut *tx);
        while let Some(row) = rows.try_next().await.map_err(be("reading households"))? {
            ds.households.push(household(row)?);
        }
        drop(rows);
        tx.commit().await.map_err(be("finishing a read"))?;
        Ok(ds)
    }

    pub async fn import(
        &self,
        ds: &Dataset,
        meta: &ChangeMeta,
        progress: &ImportProgress<'_>,
    ) -> StoreResult<i64> {
        let mut tx = self.write_tx().await?;
        copy_areas(&mut tx, ds, progress).await?;
        copy_grids(&mut tx, &ds.grids, progress).await?;
        copy_buildings(&mut tx, ds, progress).await?;
        copy_households(&mut tx, ds, progress).await?;
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
            let latest: i64 =
                sqlx::query_scalar("SELECT COALESCE(MAX(id), 0)::BIGINT FROM change_sets")
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(be("reading the latest change"))?;
            if latest != based_on {
                return Err(StoreError::Stale { based_on, latest });
            }
        }
        // Check and close first: a refused change set returns before anything is inserted, and
        // dropping the transaction rolls back the versions already closed.
        for c in &changes.changes {
            match (&c.before, &c.after) {
                (Some(before), _) => {
                    let version = i32::try_from(before.version).map_err(|_| {
                        StoreError::Invalid(format!("grid {} version is too large", before.id))
                    })?;
                    let closed = sqlx::query(
                        "UPDATE grids SET valid_to = $3 \
                         WHERE id = $1 AND version = $2 AND valid_to IS NULL",
                    )
                    .bind(&before.id.0)
                    .bind(version)
                    .bind(changes.date)
                    .execute(&mut *tx)
                    .await
                    .map_err(be("closing a grid version"))?;
                    if closed.rows_affected() != 1 {
                        let actual: Option<i32> = sqlx::query_scalar(
                            "SELECT version FROM grids WHERE id = $1 AND valid_to IS NULL",
                        )
                        .bind(&before.id.0)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(be("reading a grid's current version"))?;
                        return Err(StoreError::Conflict {
                            grid: before.id.clone(),
                            expected: before.version,
                            actual: actual.unwrap_or(0).max(0) as u32,
                        });
                    }
                }
                (None, Some(after)) => {
                    let (id_used, code_used): (bool, bool) = sqlx::query_as(
                        "SELECT EXISTS (SELECT 1 FROM grids WHERE id = $1), \
                                EXISTS (SELECT 1 FROM grids WHERE code = $2)",
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
        if !afters.is_empty() {
            copy_grids(&mut tx, &afters, &|_, _| {}).await?;
        }
        let id = log_change(&mut tx, changes, meta).await?;
        tx.commit().await.map_err(be("committing a change set"))?;
        Ok(id)
    }

    pub async fn changes_after(&self, id: i64) -> StoreResult<Vec<StoredChange>> {
        let rows = sqlx::query(
            "SELECT id, actor, reason, operation, at, change_date, changes::text \
             FROM change_sets WHERE id > $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await
        .map_err(be("reading the change log"))?;
        let e = be("reading the change log");
        rows.iter()
            .map(|r| {
                let json: String = r.try_get(6).map_err(&e)?;
                Ok(StoredChange {
                    id: r.try_get(0).map_err(&e)?,
                    meta: ChangeMeta {
                        actor: r.try_get(1).map_err(&e)?,
                        reason: r.try_get(2).map_err(&e)?,
                        operation: r.try_get::<String, _>(3).map_err(&e)?.parse()?,
                        at: r.try_get(4).map_err(&e)?,
                    },
                    changes: record::changes_from_json(r.try_get(5).map_err(&e)?, &json)?,
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
        sqlx::query("DELETE FROM grid_people WHERE id = $1")
            .bind(&p.id)
            .execute(&mut *tx)
            .await
            .map_err(be("replacing a person"))?;
        sqlx::query(
            "INSERT INTO grid_people (id, name, role, grids, phone) VALUES ($1, $2, $3, $4::jsonb, $5)",
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
        let r = sqlx::query("DELETE FROM grid_people WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(be("removing a person"))?;
        Ok(r.rows_affected() > 0)
    }

    pub async fn people(&self) -> StoreResult<Vec<Person>> {
        let rows = sqlx::query_as::<_, (String, String, String, String, Option<String>)>(
            "SELECT id, name, role, grids::text, phone FROM grid_people ORDER BY seq",
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
        sqlx::query("DELETE FROM api_tokens WHERE id = $1")
            .bind(&t.id)
            .execute(&mut *tx)
            .await
            .map_err(be("replacing a token"))?;
        sqlx::query(
            "INSERT INTO api_tokens (id, name, role, areas, secret_hash, created_at) \
             VALUES ($1, $2, $3, $4::jsonb, $5, $6)",
        )
        .bind(&t.id)
        .bind(&t.name)
        .bind(record::enum_text(&t.role))
        .bind(record::json_text(&t.areas, "a token's areas")?)
        .bind(&t.secret_hash)
        .bind(t.created_at)
        .execute(&mut *tx)
        .await
        .map_err(be("storing a token"))?;
        tx.commit().await.map_err(be("storing a token"))
    }

    pub async fn tokens(&self) -> StoreResult<Vec<TokenRecord>> {
        let rows = sqlx::query(
            "SELECT id, name, role, areas::text, secret_hash, created_at FROM api_tokens ORDER BY seq",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(be("reading tokens"))?;
        let e = be("reading tokens");
        rows.iter()
            .map(|r| {
                let areas: String = r.try_get(3).map_err(&e)?;
                Ok(TokenRecord {
                    id: r.try_get(0).map_err(&e)?,
                    name: r.try_get(1).map_err(&e)?,
                    role: record::token_role(r.try_get(2).map_err(&e)?)?,
                    areas: record::from_json_text(&areas, "a token's areas")?,
                    secret_hash: r.try_get(4).map_err(&e)?,
                    created_at: r.try_get(5).map_err(&e)?,
                })
            })
            .collect()
    }

    pub async fn remove_token(&self, id: &str) -> StoreResult<bool> {
        let r = sqlx::query("DELETE FROM api_tokens WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(be("removing a token"))?;
        Ok(r.rows_affected() > 0)
    }

    /// The latest committed change id, pushed by LISTEN/NOTIFY; the log is also polled every
    /// [`POLL`] so a lost notification (or a server without the trigger) only delays an update.
    pub async fn subscribe(&self) -> StoreResult<watch::Receiver<i64>> {
        let pool = self.pool.clone();
        let mut listener = match PgListener::connect_with(&pool).await {
            Ok(mut l) => match l.listen(CHANNEL).await {
                Ok(()) => Some(l),
                Err(e) => {
                    log::warn!("LISTEN {CHANNEL} failed, following the log by polling: {e}");
                    None
                }
            },
            Err(e) => {
                log::warn!("no listener connection, following the log by polling: {e}");
                None
            }
        };
        // Read the latest id after LISTEN: nothing committed in between can be missed.
        let start = latest(&pool).await?;
        let (tx, rx) = watch::channel(start);
        tokio::spawn(async move {
            loop {
                let notified = async {
                    match listener.as_mut() {
                        Some(l) => l.recv().await.map(|_| ()),
                        None => std::future::pending().await,
                    }
                };
                tokio::select! {
                    _ = tx.closed() => break,
                    r = notified => {
                        if let Err(e) = r {
                            log::warn!("change notifications lost, polling instead: {e}");
                            listener = None;
                        }
                    }
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

async fn latest(pool: &PgPool) -> StoreResult<i64> {
    sqlx::query_scalar("SELECT coalesce(max(id), 0)::bigint FROM change_sets")
        .fetch_one(pool)
        .await
        .map_err(be("reading the latest change"))
}

fn footprint(shape: Shape) -> StoreResult<Footprint> {
    match shape {
        Shape::Point(p) => Ok(Footprint::Point(p)),
        Shape::Polygon(p) => Ok(Footprint::Polygon(p)),
        Shape::MultiPolygon(_) => Err(record::unknown("building geometry", "MultiPolygon")),
    }
}

pub(crate) fn household(
    (id, building, lon, lat, residents): (String, Option<String>, Option<f64>, Option<f64>, i32),
) -> StoreResult<Household> {
    let location = match (building, lon, lat) {
        (Some(b), _, _) => HouseholdLocation::Building(b),
        (None, Some(x), Some(y)) => HouseholdLocation::Point(geo::Point::new(x, y)),
        _ => return Err(record::unknown("household location", &id)),
    };
    Ok(Household {
        id,
        location,
        residents: residents.max(0) as u32,
    })
}

async fn log_change(
    tx: &mut Transaction<'static, Postgres>,
    changes: &ChangeSet,
    meta: &ChangeMeta,
) -> StoreResult<i64> {
    sqlx::query_scalar(
        "INSERT INTO change_sets (actor, reason, operation, at, change_date, changes) \
         VALUES ($1, $2, $3, $4, $5, $6::jsonb) RETURNING id",
    )
    .bind(&meta.actor)
    .bind(&meta.reason)
    .bind(meta.operation.as_str())
    .bind(meta.at)
    .bind(changes.date)
    .bind(record::changes_to_json(changes)?)
    .fetch_one(&mut **tx)
    .await
    .map_err(be("writing the change log"))
}

/// Streams `rows` into `COPY statement` in chunks of about 1 MB, reporting progress per chunk.
async fn copy_in<T>(
    conn: &mut PgConnection,
    statement: &'static str,
    table: &str,
    items: &[T],
    mut row: impl FnMut(&mut CopyRows, &T) -> StoreResult<()>,
    progress: &ImportProgress<'_>,
) -> StoreResult<()> {
    if items.is_empty() {
        return Ok(());
    }
    let what = format!("bulk loading {table}");
    let fail = |e: sqlx::Error| db_error(&what, e);
    let mut copy = conn.copy_in_raw(statement).await.map_err(fail)?;
    let mut rows = CopyRows::new();
    let mut sent = 0u64;
    for item in items {
        row(&mut rows, item)?;
        if rows.is_full() {
            copy.send(std::mem::take(&mut rows.buf).into_bytes())
                .await
                .map_err(fail)?;
            sent += rows.rows;
            rows.rows = 0;
            progress(table, sent);
        }
    }
    if !rows.buf.is_empty() {
        copy.send(rows.buf.into_bytes()).await.map_err(fail)?;
        sent += rows.rows;
    }
    copy.finish().await.map_err(fail)?;
    progress(table, sent);
    Ok(())
}

async fn copy_areas(
    tx: &mut Transaction<'static, Postgres>,
    ds: &Dataset,
    progress: &ImportProgress<'_>,
) -> StoreResult<()> {
    copy_in(
        tx,
        "COPY admin_areas (code, name, level, parent, kind, geometry) FROM STDIN",
        "admin_areas",
        &ds.areas,
        |r, a| {
            r.text(&a.code);
            r.text(&a.name);
            r.text(a.level.as_str());
            r.opt_text(a.parent.as_deref());
            r.text(a.kind.as_str());
            match &a.geometry {
                Some(g) => {
                    geom::to_hex_ewkb(&Shape::MultiPolygon(g.clone()), &mut r.buf);
                    r.raw_done();
                }
                None => r.null(),
            }
            r.end_row();
            Ok(())
        },
        progress,
    )
    .await
}

async fn copy_grids(
    tx: &mut Transaction<'static, Postgres>,
    grids: &[Grid],
    progress: &ImportProgress<'_>,
) -> StoreResult<()> {
    copy_in(
        tx,
        "COPY grids (id, version, code, name, layer, parent, kind, status, category, network, \
         properties, geometry, valid_from, valid_to) FROM STDIN",
        "grids",
        grids,
        |r, g| {
            r.text(&g.id.0);
            r.plain(g.version);
            r.text(&g.code);
            r.text(&g.name);
            r.text(g.layer.as_str());
            r.opt_text(g.parent.as_deref());
            r.text(g.kind.as_str());
            r.text(g.status.as_str());
            r.opt_text(g.category.map(|c| c.as_str()));
            r.opt_text(g.network.as_deref());
            r.text(&record::json_text(&g.properties, "grid properties")?);
            geom::to_hex_ewkb(&Shape::MultiPolygon(g.geometry.clone()), &mut r.buf);
            r.raw_done();
            r.plain(g.valid_from);
            match g.valid_to {
                Some(d) => r.plain(d),
                None => r.null(),
            }
            r.end_row();
            Ok(())
        },
        progress,
    )
    .await?;
    let members: Vec<(&Grid, usize, &GridId)> = grids
        .iter()
        .flat_map(|g| g.members.iter().enumerate().map(move |(i, m)| (g, i, m)))
        .collect();
    copy_in(
        tx,
        "COPY grid_members (grid_id, grid_version, ord, member_id) FROM STDIN",
        "grid_members",
        &members,
        |r, (g, i, m)| {
            r.text(&g.id.0);
            r.plain(g.version);
            r.plain(i);
            r.text(&m.0);
            r.end_row();
            Ok(())
        },
        progress,
    )
    .await
}

async fn copy_buildings(
    tx: &mut Transaction<'static, Postgres>,
    ds: &Dataset,
    progress: &ImportProgress<'_>,
) -> StoreResult<()> {
    copy_in(
        tx,
        "COPY buildings (id, geometry, households, residents, usage) FROM STDIN",
        "buildings",
        &ds.buildings,
        |r, b| {
            r.text(&b.id);
            let shape = match &b.footprint {
                Footprint::Polygon(p) => Shape::Polygon(p.clone()),
                Footprint::Point(p) => Shape::Point(*p),
            };
            geom::to_hex_ewkb(&shape, &mut r.buf);
            r.raw_done();
            r.plain(b.households);
            r.plain(b.residents);
            r.opt_text(b.usage.as_deref());
            r.end_row();
            Ok(())
        },
        progress,
    )
    .await
}

async fn copy_households(
    tx: &mut Transaction<'static, Postgres>,
    ds: &Dataset,
    progress: &ImportProgress<'_>,
) -> StoreResult<()> {
    copy_in(
        tx,
        "COPY households (id, building_id, lon, lat, residents) FROM STDIN",
        "households",
        &ds.households,
        |r, h| {
            r.text(&h.id);
            match &h.location {
                HouseholdLocation::Building(b) => {
                    r.text(b);
                    r.null();
                    r.null();
                }
                HouseholdLocation::Point(p) => {
                    r.null();
                    r.plain(p.x());
                    r.plain(p.y());
                }
            }
            r.plain(h.residents);
            r.end_row();
            Ok(())
        },
        progress,
    )
    .await
}
