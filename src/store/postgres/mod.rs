//! PostGIS backend (production): sqlx over PostgreSQL, schema in `migrations/postgres`.
//!
//! Writes are serialised by one transaction-scoped advisory lock. Edits are rare (planners redraw
//! grids, they do not stream), and serialising them makes change ids increase in commit order —
//! with plain sequences two overlapping transactions could commit ids 6 before 5 and a follower
//! reading "after 5" would miss one. Inside the lock the optimistic check is a conditional UPDATE
//! whose affected-row count says whether the edited version was still current.

mod copy;

use super::commit::WriteTx;
use super::geom;
use super::record::{self, be, db_error, AreaRow, BuildingRow, Decode, GridRow, Members};
use super::sql::{self, Row, Val};
use super::{
    ChangeMeta, ImportProgress, Person, StoreError, StoreResult, StoredChange, TokenRecord,
};
use crate::io::dataset::Dataset;
use chrono::{DateTime, NaiveDate, Utc};
use copy::CopyRows;
use futures_util::TryStreamExt;
use sqlx::postgres::{PgConnectOptions, PgListener, PgPool, PgPoolOptions};
use sqlx::{PgConnection, Postgres, Transaction};
use std::str::FromStr;
use std::time::Duration;
use tokio::sync::watch;
use wangge_engine::edit::ChangeSet;
use wangge_engine::{Grid, GridId};

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

sql::shared_sql!(
    PgStore,
    Postgres,
    json = "::jsonb",
    seq = "seq",
    stamp = std::convert::identity, // timestamps go in as `timestamptz`
    bulk = copy_in
);

/// Change notifications (LISTEN on [`CHANNEL`]); none once they fail.
struct Notices(Option<PgListener>);

impl sql::Wake for Notices {
    async fn wait(&mut self) {
        match self.0.as_mut() {
            Some(l) => {
                if let Err(e) = l.recv().await {
                    log::warn!("change notifications lost, polling instead: {e}");
                    self.0 = None;
                }
            }
            None => std::future::pending().await,
        }
    }
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
            .map_err(be("connecting to PostgreSQL"))?;
        let store = PgStore { pool };
        store.migrate().await?;
        Ok(store)
    }

    pub async fn migrate(&self) -> StoreResult<()> {
        MIGRATOR.run(&self.pool).await.map_err(|source| {
            log::error!("PostgreSQL migration failed: {source}");
            StoreError::Migrate {
                what: "the PostgreSQL schema".into(),
                source,
            }
        })
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    pub(crate) async fn begin_write(&self) -> StoreResult<Transaction<'static, Postgres>> {
        let mut tx = self.pool.begin().await.map_err(be("beginning a write"))?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(WRITE_LOCK)
            .execute(&mut *tx)
            .await
            .map_err(be("taking the write lock"))?;
        Ok(tx)
    }

    /// LISTEN/NOTIFY when a listener connection can be had; polling alone otherwise.
    async fn notifier(&self) -> Notices {
        let listen = async {
            let mut listener = PgListener::connect_with(&self.pool).await?;
            listener.listen(CHANNEL).await.map(|()| listener)
        };
        match listen.await {
            Ok(l) => Notices(Some(l)),
            Err(e) => {
                log::warn!("cannot LISTEN {CHANNEL}, following the log by polling: {e}");
                Notices(None)
            }
        }
    }

    pub async fn load(&self) -> StoreResult<Dataset> {
        // One repeatable-read transaction: a commit landing between the table reads cannot
        // produce a dataset that never existed.
        let mut tx = self.pool.begin().await.map_err(be("cannot begin a read"))?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .execute(&mut *tx)
            .await
            .map_err(be("cannot set the read isolation"))?;
        let wkb: Decode = geom::from_wkb;
        let areas = "SELECT code, name, level, parent, kind, ST_AsBinary(geometry) AS geometry \
             FROM admin_areas ORDER BY seq";
        let areas = read_all(&mut tx, areas, "reading admin areas", |r: AreaRow| {
            r.decode(wkb)
        });
        let areas = areas.await?;
        let mut members = Members::new();
        let sql = "SELECT grid_id, CAST(grid_version AS BIGINT), member_id FROM grid_members \
             ORDER BY grid_id, grid_version, ord";
        read_all(&mut tx, sql, "reading grid members", |(g, v, m)| {
            members.entry((g, v)).or_default().push(GridId(m));
            Ok(())
        })
        .await?;
        let grids = "SELECT id, CAST(version AS BIGINT) AS version, code, name, layer, parent, \
             kind, status, category, network, properties::text AS properties, \
             ST_AsBinary(geometry) AS geometry, valid_from, valid_to FROM grids ORDER BY seq";
        let grid = |r: GridRow| r.decode(wkb, &mut members);
        let grids = read_all(&mut tx, grids, "reading grids", grid).await?;
        let buildings = "SELECT id, ST_AsBinary(geometry) AS geometry, \
             CAST(households AS BIGINT) AS households, CAST(residents AS BIGINT) AS residents, \
             usage FROM buildings ORDER BY seq";
        let building = |r: BuildingRow| r.decode(wkb);
        let buildings = read_all(&mut tx, buildings, "reading buildings", building).await?;
        let households = "SELECT id, building_id, lon, lat, residents FROM households ORDER BY seq";
        let households = read_all(&mut tx, households, "reading households", record::household);
        let households = households.await?;
        tx.commit().await.map_err(be("finishing a read"))?;
        Ok(Dataset {
            areas,
            grids,
            buildings,
            households,
            ..Dataset::default()
        })
    }
}

/// Streams the rows of `sql`, each made into a `T` by `f` (without holding every raw row).
async fn read_all<R, T>(
    conn: &mut PgConnection,
    sql: &'static str,
    what: &'static str,
    mut f: impl FnMut(R) -> StoreResult<T>,
) -> StoreResult<Vec<T>>
where
    R: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> + Send + Unpin,
{
    let mut rows = sqlx::query_as::<_, R>(sql).fetch(conn);
    let mut out = Vec::new();
    while let Some(r) = rows.try_next().await.map_err(be(what))? {
        out.push(f(r)?);
    }
    Ok(out)
}

/// Streams `rows` into `COPY` in chunks of about 1 MB, reporting progress per chunk.
async fn copy_in<R: Row>(
    conn: &mut PgConnection,
    rows: &[R],
    progress: &ImportProgress<'_>,
) -> StoreResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let what = format!("bulk loading {}", R::TABLE);
    let fail = |e: sqlx::Error| db_error(&what, e);
    let statement = format!("COPY {} ({}) FROM STDIN", R::TABLE, R::COLUMNS);
    let mut copy = conn.copy_in_raw(&statement).await.map_err(fail)?;
    let mut out = CopyRows::new();
    let mut sent = 0u64;
    for row in rows {
        for v in row.values()? {
            match v {
                Val::Null => out.null(),
                Val::Str(s) => out.text(s),
                Val::Text(s) => out.text(&s),
                Val::Int(i) => out.plain(i),
                Val::Real(x) => out.plain(x),
                Val::Date(d) => out.plain(d),
                Val::Shape(s) => {
                    geom::to_hex_ewkb(&s, &mut out.buf)?;
                    out.raw_done();
                }
            }
        }
        out.end_row();
        if out.is_full() {
            copy.send(std::mem::take(&mut out.buf).into_bytes())
                .await
                .map_err(fail)?;
            sent += out.rows;
            out.rows = 0;
            progress(R::TABLE, sent);
        }
    }
    if !out.buf.is_empty() {
        copy.send(out.buf.into_bytes()).await.map_err(fail)?;
        sent += out.rows;
    }
    copy.finish().await.map_err(fail)?;
    progress(R::TABLE, sent);
    Ok(())
}
