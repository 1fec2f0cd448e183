//! The GeoPackage R-tree spatial index (extension `gpkg_rtree_index`): `rtree_<table>_geometry`
//! virtual tables kept up to date by the spec's triggers (migration `0002_rtree_index.sql`).
//!
//! The triggers call `ST_IsEmpty`, `ST_MinX`, `ST_MaxX`, `ST_MinY` and `ST_MaxY`, which are not
//! SQLite functions: every program writing the file registers its own (GDAL does). wangge
//! registers them on every connection sqlx opens ([`register_functions`], from the pool's
//! `after_connect`); without them any insert into an indexed table fails with "no such function".
//!
//! sqlx has no API for user functions, so the registration borrows sqlx's raw connection handle
//! and hands it to rusqlite, whose `create_scalar_function` is a safe wrapper over
//! `sqlite3_create_function_v2` (both crates link the same libsqlite3-sys): one `unsafe` line
//! instead of hand-written C callbacks.

use super::super::geom;
use super::super::record::db_error;
use super::super::StoreResult;
use rusqlite::functions::{Context, FunctionFlags};
use sqlx::sqlite::SqliteConnection;
use sqlx::AssertSqlSafe;

/// Registers the envelope functions the R-tree triggers call on one sqlx connection.
pub(super) async fn register_functions(conn: &mut SqliteConnection) -> Result<(), sqlx::Error> {
    let mut handle = conn.lock_handle().await?;
    let raw = handle.as_raw_handle();
    // SAFETY: `raw` is the live handle of the connection `handle` keeps locked: sqlx's worker
    // cannot use it concurrently until `handle` drops, which is after `db`. `from_handle` makes a
    // borrowing (non-owning) rusqlite connection that does not close the handle on drop; the
    // functions it registers belong to the sqlite3 handle and live as long as it does (sqlite
    // frees their boxed closures through xDestroy when sqlx closes the connection).
    let db = unsafe { rusqlite::Connection::from_handle(raw.as_ptr()) }.map_err(protocol)?;
    register(&db).map_err(protocol)?;
    drop(db);
    drop(handle);
    Ok(())
}

fn protocol(e: rusqlite::Error) -> sqlx::Error {
    sqlx::Error::Protocol(format!(
        "registering the GeoPackage R-tree functions failed: {e}"
    ))
}

/// The geometry blob of argument 0: `None` for SQL NULL; an error for anything else than a blob
/// (the triggers only pass geometry columns).
fn blob<'a>(ctx: &'a Context<'_>) -> rusqlite::Result<Option<&'a [u8]>> {
    match ctx.get_raw(0) {
        rusqlite::types::ValueRef::Null => Ok(None),
        rusqlite::types::ValueRef::Blob(b) => Ok(Some(b)),
        other => Err(rusqlite::Error::UserFunctionError(
            format!(
                "a geometry function was given a {} value, not a GeoPackage blob",
                other.data_type()
            )
            .into(),
        )),
    }
}

fn user_error(e: super::super::StoreError) -> rusqlite::Error {
    rusqlite::Error::UserFunctionError(e.to_string().into())
}

fn register(db: &rusqlite::Connection) -> rusqlite::Result<()> {
    // Pure functions of their argument: deterministic (SQLite may factor them out) and
    // innocuous (allowed in triggers and views even with trusted_schema off).
    let flags = FunctionFlags::SQLITE_UTF8
        | FunctionFlags::SQLITE_DETERMINISTIC
        | FunctionFlags::SQLITE_INNOCUOUS;
    db.create_scalar_function("ST_IsEmpty", 1, flags, |ctx| {
        // NULL is no geometry, which the spec's triggers test separately; it answers NULL, as
        // GDAL's function does.
        blob(ctx)?
            .map(|b| geom::gpkg_is_empty(b).map_err(user_error))
            .transpose()
    })?;
    // Index into the envelope [min x, max x, min y, max y]; an empty geometry has none (NULL).
    for (name, at) in [
        ("ST_MinX", 0),
        ("ST_MaxX", 1),
        ("ST_MinY", 2),
        ("ST_MaxY", 3),
    ] {
        db.create_scalar_function(name, 1, flags, move |ctx| {
            Ok(match blob(ctx)? {
                None => None,
                Some(b) => geom::gpkg_envelope(b).map_err(user_error)?.map(|e| e[at]),
            })
        })?;
    }
    Ok(())
}

/// The tables with a geometry column and an R-tree (migration `0002_rtree_index.sql`).
pub(super) const INDEXED: [&str; 3] = ["admin_areas", "grids", "buildings"];

/// An R-tree whose insert trigger is suspended during a bulk insert into its table: [`resume`]
/// indexes the rows added since (one `INSERT … SELECT`) and puts the trigger back. Both run in
/// the caller's transaction, so a failed import rolls the suspension back too.
pub(super) struct Suspended {
    table: &'static str,
    trigger_sql: String,
    last_fid: i64,
}

/// Suspends the insert trigger of `table`'s R-tree for a bulk insert. The trigger's SQL is read
/// back from the schema rather than repeated here, so the migration stays its one definition.
///
/// `table` is one of the store's own table names (a constant at every call), never input: the
/// statements built from it are safe to assemble as text.
pub(super) async fn suspend(
    conn: &mut SqliteConnection,
    table: &'static str,
) -> StoreResult<Suspended> {
    let name = format!("rtree_{table}_geometry_insert");
    let e = |what: &str, err| db_error(&format!("{what} the R-tree trigger {name}"), err);
    let trigger_sql: String =
        sqlx::query_scalar("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?1")
            .bind(&name)
            .fetch_one(&mut *conn)
            .await
            .map_err(|err| e("reading", err))?;
    let last_fid: i64 = sqlx::query_scalar(AssertSqlSafe(format!(
        "SELECT coalesce(max(fid), 0) FROM {table}"
    )))
    .fetch_one(&mut *conn)
    .await
    .map_err(|err| e("preparing to suspend", err))?;
    sqlx::query(AssertSqlSafe(format!("DROP TRIGGER {name}")))
        .execute(&mut *conn)
        .await
        .map_err(|err| e("suspending", err))?;
    Ok(Suspended {
        table,
        trigger_sql,
        last_fid,
    })
}

impl Suspended {
    /// Indexes the rows inserted since [`suspend`] and restores the insert trigger.
    pub(super) async fn resume(self, conn: &mut SqliteConnection) -> StoreResult<()> {
        let t = self.table;
        sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO rtree_{t}_geometry \
             SELECT fid, ST_MinX(geometry), ST_MaxX(geometry), ST_MinY(geometry), ST_MaxY(geometry) \
             FROM {t} WHERE fid > ?1 AND geometry NOT NULL AND NOT ST_IsEmpty(geometry)"
        )))
        .bind(self.last_fid)
        .execute(&mut *conn)
        .await
        .map_err(|e| db_error(&format!("indexing the imported {t}"), e))?;
        sqlx::query(AssertSqlSafe(self.trigger_sql))
            .execute(&mut *conn)
            .await
            .map_err(|e| db_error(&format!("restoring the R-tree trigger of {t}"), e))?;
        Ok(())
    }
}
