//! Reading the whole GeoPackage into a [`Dataset`] (start-up and reload).
//!
//! Where the time went (100,000 grids, 5,000,000 households, `cargo bench --bench store -- big
//! gpkg`, issue 12): the load took 9.5–10.4 s of CPU (District::new after it 0.35 s), nearly all
//! of it in sqlx's SQLite row streaming, which copies every column value into an owned value and
//! hands every row over a channel from its worker thread to the async task, one table after the
//! other. The same decoding over rusqlite (direct `sqlite3_step`, column values borrowed, plain
//! threads) takes 1.8 s of CPU. So this path reads with rusqlite, on several read connections at
//! once: one for the areas and grids, the others for the buildings and the households split by
//! fid range; geometry blobs and grid properties are decoded on rayon's pool.
//!
//! Consistency: SQLite gives each read transaction its own snapshot (WAL), fixed at its first
//! read. The connections open their transactions one after the other and each first reads the
//! latest change id and the largest fid of every table it loads; a store write always appends
//! to the change log in the same transaction, and another program adding rows moves a fid, so
//! when every connection saw the same marks they all read the same state. Otherwise someone
//! committed in between and the snapshots are opened again. (An edit by another program that
//! only rewrites rows in place, e.g. QGIS moving a vertex, is not detected; the store itself
//! never writes that way.)

use super::super::geom::{self, Shape};
use super::super::record;
use super::super::{StoreError, StoreResult};
use super::date;
use crate::io::dataset::Dataset;
use geo::MultiPolygon;
use rayon::prelude::*;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags, Row};
use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;
use wangge_engine::{AdminArea, Building, Footprint, Grid, GridId, Household, HouseholdLocation};

/// How often opening the snapshots is retried when commits keep landing in between.
const SNAPSHOT_ATTEMPTS: usize = 10;

/// What every read connection checks to be on the same snapshot (see the module comment).
const MARKS: &str = "SELECT (SELECT coalesce(max(id), 0) FROM change_sets), \
     (SELECT coalesce(max(fid), 0) FROM admin_areas), \
     (SELECT coalesce(max(fid), 0) FROM grids), \
     (SELECT coalesce(max(fid), 0) FROM buildings), \
     (SELECT coalesce(max(fid), 0) FROM households)";

type Marks = [i64; 5];

fn sql_error(what: &str) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
    move |source| {
        log::error!("{what}: {source}");
        StoreError::Sqlite {
            while_: what.to_string(),
            source,
        }
    }
}

/// Reads the store at `path` (its file must exist: the store opened and migrated it).
pub(super) async fn load(path: &Path) -> StoreResult<Dataset> {
    let path = path.to_path_buf();
    tokio::task::spawn_blocking(move || load_blocking(&path))
        .await
        .map_err(|e| StoreError::Worker {
            while_: "reading the GeoPackage".into(),
            source: Box::new(e),
        })?
}

fn open(path: &Path) -> StoreResult<Connection> {
    // Read-write without create: a read-only connection could not recover a WAL left by a
    // crashed writer, and the file must already exist (opening never creates one here).
    // URI: the in-memory store is a shared-cache database named by a `file:…?mode=memory` URI.
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI,
    )
    .map_err(sql_error(&format!("opening {}", path.display())))?;
    // As the pool's connections: wait for a writer's checkpoint rather than fail.
    conn.busy_timeout(Duration::from_secs(30))
        .map_err(sql_error("setting the busy timeout"))?;
    Ok(conn)
}

/// `n` connections in read transactions that see the same state of the file.
fn snapshots(path: &Path, n: usize) -> StoreResult<(Vec<Connection>, Marks)> {
    for _ in 0..SNAPSHOT_ATTEMPTS {
        let mut conns = Vec::with_capacity(n);
        let mut seen: Vec<Marks> = Vec::with_capacity(n);
        for _ in 0..n {
            let conn = open(path)?;
            conn.execute_batch("BEGIN")
                .map_err(sql_error("cannot begin a read"))?;
            let marks = conn
                .query_row(MARKS, [], |r| {
                    Ok([r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?])
                })
                .map_err(sql_error("reading the latest change"))?;
            conns.push(conn);
            seen.push(marks);
        }
        if seen.windows(2).all(|w| w[0] == w[1]) {
            return Ok((conns, seen[0]));
        }
        log::debug!("a commit landed while the read snapshots opened; opening them again");
    }
    Err(StoreError::Unsettled {
        path: path.display().to_string(),
        attempts: SNAPSHOT_ATTEMPTS,
    })
}

fn load_blocking(path: &Path) -> StoreResult<Dataset> {
    // Households are most of the rows: they get every connection left after the grids' one and
    // the buildings' one, in fid ranges.
    let parts = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .clamp(1, 4);
    let (mut conns, marks) = snapshots(path, 1 + parts)?;
    let max_household_fid = marks[4];
    let grids_conn = conns.remove(0);
    // Fid ranges (lo, hi]; the first part also reads the buildings, which are few.
    let step = max_household_fid / parts as i64 + 1;
    // The first range starts below any fid another tool could have written (0, negative).
    let ranges: Vec<(i64, i64)> = (0..parts as i64)
        .map(|i| {
            let lo = if i == 0 { i64::MIN } else { i * step };
            (lo, ((i + 1) * step).min(max_household_fid))
        })
        .collect();

    std::thread::scope(|s| {
        let grids = s.spawn(move || read_areas_and_grids(&grids_conn));
        let parts: Vec<_> = conns
            .into_iter()
            .zip(ranges)
            .enumerate()
            .map(|(i, (conn, range))| {
                s.spawn(move || {
                    let buildings = if i == 0 {
                        read_buildings(&conn)?
                    } else {
                        Vec::new()
                    };
                    // The first part's vector receives the others: sized for them all, it
                    // grows no further (a doubling copy of 5,000,000 households was a
                    // third of the load's peak memory).
                    let capacity = if i == 0 {
                        max_household_fid
                    } else {
                        range.1 - range.0
                    };
                    Ok((buildings, read_households(&conn, range, capacity)?))
                })
            })
            .collect();
        let joined = |what: &str| StoreError::Worker {
            while_: format!("reading the {what}"),
            source: "the reader thread panicked".into(),
        };
        let (areas, grids) = grids.join().map_err(|_| joined("grids"))??;
        let mut ds = Dataset {
            areas,
            grids,
            ..Dataset::default()
        };
        for part in parts {
            let r: StoreResult<(Vec<Building>, Vec<Household>)> =
                part.join().map_err(|_| joined("households"))?;
            let (buildings, households) = r?;
            ds.buildings.extend(buildings);
            if ds.households.capacity() == 0 {
                ds.households = households;
            } else {
                ds.households.extend(households);
            }
        }
        Ok(ds)
    })
}

fn text(r: &Row<'_>, i: usize) -> rusqlite::Result<String> {
    r.get(i)
}

fn opt_text(r: &Row<'_>, i: usize) -> rusqlite::Result<Option<String>> {
    r.get(i)
}

/// A text column borrowed from the row (for values parsed, not kept).
fn str_ref<'r>(r: &'r Row<'_>, i: usize) -> rusqlite::Result<&'r str> {
    match r.get_ref(i)? {
        ValueRef::Text(t) => std::str::from_utf8(t).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
        }),
        other => Err(rusqlite::Error::InvalidColumnType(
            i,
            r.as_ref().column_name(i).unwrap_or("?").to_string(),
            other.data_type(),
        )),
    }
}

fn read_areas_and_grids(conn: &Connection) -> StoreResult<(Vec<AdminArea>, Vec<Grid>)> {
    let e = sql_error("reading admin areas");
    let mut st = conn
        .prepare("SELECT code, name, level, parent, kind, geometry FROM admin_areas ORDER BY fid")
        .map_err(&e)?;
    let mut rows = st.query([]).map_err(&e)?;
    let mut areas = Vec::new();
    while let Some(r) = rows.next().map_err(&e)? {
        let g: Option<Vec<u8>> = r.get(5).map_err(&e)?;
        areas.push(AdminArea {
            code: text(r, 0).map_err(&e)?,
            name: text(r, 1).map_err(&e)?,
            level: record::level(str_ref(r, 2).map_err(&e)?)?,
            parent: opt_text(r, 3).map_err(&e)?,
            kind: record::kind(str_ref(r, 4).map_err(&e)?)?,
            geometry: g
                .map(|g| geom::from_gpkg(&g).and_then(geom::multipolygon))
                .transpose()?,
        });
    }
    drop(rows);
    drop(st);

    let e = sql_error("reading grid members");
    let mut members: HashMap<(String, i64), Vec<GridId>> = HashMap::new();
    let mut st = conn
        .prepare(
            "SELECT grid_id, grid_version, member_id FROM grid_members \
             ORDER BY grid_id, grid_version, ord",
        )
        .map_err(&e)?;
    let mut rows = st.query([]).map_err(&e)?;
    while let Some(r) = rows.next().map_err(&e)? {
        members
            .entry((text(r, 0).map_err(&e)?, r.get(1).map_err(&e)?))
            .or_default()
            .push(GridId(text(r, 2).map_err(&e)?));
    }
    drop(rows);
    drop(st);

    // Rows are read here, on this connection's thread; geometry and properties (the costly
    // parts) are decoded afterwards on rayon's pool, in order.
    struct RawGrid {
        grid: Grid,
        properties: String,
        geometry: Vec<u8>,
    }
    let e = sql_error("reading grids");
    let mut st = conn
        .prepare(
            "SELECT id, version, code, name, layer, parent, kind, status, category, network, \
             properties, geometry, valid_from, valid_to FROM grids ORDER BY fid",
        )
        .map_err(&e)?;
    let mut rows = st.query([]).map_err(&e)?;
    let mut raw = Vec::new();
    while let Some(r) = rows.next().map_err(&e)? {
        let id = text(r, 0).map_err(&e)?;
        let version: i64 = r.get(1).map_err(&e)?;
        let category = match r.get_ref(8).map_err(&e)? {
            ValueRef::Null => None,
            _ => Some(str_ref(r, 8).map_err(&e)?),
        };
        let valid_to = match r.get_ref(13).map_err(&e)? {
            ValueRef::Null => None,
            _ => Some(date(str_ref(r, 13).map_err(&e)?)?),
        };
        raw.push(RawGrid {
            grid: Grid {
                members: members.remove(&(id.clone(), version)).unwrap_or_default(),
                id: GridId(id),
                version: u32::try_from(version)
                    .map_err(|_| record::unknown("grid version", &version.to_string()))?,
                code: text(r, 2).map_err(&e)?,
                name: text(r, 3).map_err(&e)?,
                layer: record::layer(str_ref(r, 4).map_err(&e)?)?,
                parent: opt_text(r, 5).map_err(&e)?,
                kind: record::kind(str_ref(r, 6).map_err(&e)?)?,
                status: record::status(str_ref(r, 7).map_err(&e)?)?,
                category: record::category(category)?,
                network: opt_text(r, 9).map_err(&e)?,
                properties: Default::default(),
                geometry: MultiPolygon(Vec::new()),
                valid_from: date(str_ref(r, 12).map_err(&e)?)?,
                valid_to,
            },
            properties: text(r, 10).map_err(&e)?,
            geometry: r.get(11).map_err(&e)?,
        });
    }
    drop(rows);
    drop(st);
    let grids = raw
        .into_par_iter()
        .map(
            |RawGrid {
                 mut grid,
                 properties,
                 geometry,
             }| {
                grid.properties = record::from_json_text(&properties, "grid properties")?;
                grid.geometry = geom::multipolygon(geom::from_gpkg(&geometry)?)?;
                Ok(grid)
            },
        )
        .collect::<StoreResult<Vec<Grid>>>()?;
    Ok((areas, grids))
}

fn read_buildings(conn: &Connection) -> StoreResult<Vec<Building>> {
    let e = sql_error("reading buildings");
    let mut st = conn
        .prepare("SELECT id, geometry, households, residents, usage FROM buildings ORDER BY fid")
        .map_err(&e)?;
    let mut rows = st.query([]).map_err(&e)?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().map_err(&e)? {
        let blob = match r.get_ref(1).map_err(&e)? {
            ValueRef::Blob(b) => b,
            other => {
                return Err(record::unknown(
                    "building geometry",
                    &other.data_type().to_string(),
                ))
            }
        };
        let households: i64 = r.get(2).map_err(&e)?;
        let residents: i64 = r.get(3).map_err(&e)?;
        out.push(Building {
            id: text(r, 0).map_err(&e)?,
            footprint: match geom::from_gpkg(blob)? {
                Shape::Point(p) => Footprint::Point(p),
                Shape::Polygon(p) => Footprint::Polygon(p),
                Shape::MultiPolygon(_) => {
                    return Err(record::unknown("building geometry", "MultiPolygon"))
                }
            },
            households: households.clamp(0, u32::MAX as i64) as u32,
            residents: residents.clamp(0, u32::MAX as i64) as u32,
            usage: opt_text(r, 4).map_err(&e)?,
        });
    }
    Ok(out)
}

/// The households with `lo < fid <= hi`, in fid order.
fn read_households(
    conn: &Connection,
    (lo, hi): (i64, i64),
    capacity: i64,
) -> StoreResult<Vec<Household>> {
    let e = sql_error("reading households");
    let mut st = conn
        .prepare(
            "SELECT id, building_id, lon, lat, residents FROM households \
             WHERE fid > ?1 AND fid <= ?2 ORDER BY fid",
        )
        .map_err(&e)?;
    let mut rows = st.query([lo, hi]).map_err(&e)?;
    // Fids are dense after an import; within reason if they are not.
    let mut out = Vec::with_capacity(usize::try_from(capacity.clamp(0, 1 << 24)).unwrap_or(0));
    while let Some(r) = rows.next().map_err(&e)? {
        let id = text(r, 0).map_err(&e)?;
        let building = opt_text(r, 1).map_err(&e)?;
        let lon: Option<f64> = r.get(2).map_err(&e)?;
        let lat: Option<f64> = r.get(3).map_err(&e)?;
        let residents: i64 = r.get(4).map_err(&e)?;
        let location = match (building, lon, lat) {
            (Some(b), _, _) => HouseholdLocation::Building(b),
            (None, Some(x), Some(y)) => HouseholdLocation::Point(geo::Point::new(x, y)),
            _ => return Err(record::unknown("household location", &id)),
        };
        out.push(Household {
            id,
            location,
            residents: residents.clamp(0, u32::MAX as i64) as u32,
        });
    }
    Ok(out)
}
