//! The GeoPackage's R-tree spatial index (extension `gpkg_rtree_index`): GDAL sees it on a store
//! the service wrote and answers bounding-box queries through it with the right rows; commits
//! keep it current through the spec's triggers (which call the ST_* functions wangge registers);
//! and a file written before the index existed gets it when the store opens it.

use geo::{BoundingRect, Coord, MapCoords, Rect};
use std::path::Path;
use std::process::Command;
use wangge::engine::edit::{ChangeSet, GridChange};
use wangge::engine::Grid;
use wangge::io::dataset::{load_dir, Dataset};
use wangge::store::{ChangeMeta, Operation, Store};

const OGRINFO: &str = "/usr/bin/ogrinfo";
/// A box in the middle of the demo district (lon/lat), crossing many grids but not all.
const BOX: [f64; 4] = [118.25, 29.70, 118.30, 29.75];

fn demo() -> Dataset {
    load_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("geodata/tunxi")).expect("demo dataset")
}

fn meta(operation: Operation) -> ChangeMeta {
    ChangeMeta {
        actor: "test".into(),
        reason: "spatial index".into(),
        operation,
        at: chrono::Utc::now(),
    }
}

/// A store in `dir` holding the demo, written by the service's own import; closed again so
/// the file is complete for other programs.
async fn imported(dir: &Path) -> Dataset {
    let ds = demo();
    let store = Store::open(None, dir).await.expect("opening the store");
    store
        .import(&ds, &meta(Operation::Import))
        .await
        .expect("import");
    store.close().await;
    ds
}

/// Runs ogrinfo read-only on `file` with `args`; returns stdout and stderr.
fn ogrinfo(file: &Path, args: &[&str], debug: bool) -> (String, String) {
    assert!(
        Path::new(OGRINFO).exists(),
        "ogrinfo not found: install GDAL's tools (apt-get install -y gdal-bin)"
    );
    let mut cmd = Command::new(OGRINFO);
    cmd.arg("-ro").arg(file).args(args);
    if debug {
        cmd.env("CPL_DEBUG", "ON");
    }
    let out = cmd.output().expect("running ogrinfo");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert!(out.status.success(), "ogrinfo {args:?} failed: {stderr}");
    (stdout, stderr)
}

/// The values of field `name` in ogrinfo's feature listing (`  name (Type) = value`).
fn field_values(text: &str, name: &str) -> Vec<String> {
    let prefix = format!("{name} (");
    text.lines()
        .filter_map(|l| {
            let l = l.trim();
            l.strip_prefix(&prefix)
                .and_then(|rest| rest.split_once(") = "))
                .map(|(_, v)| v.to_string())
        })
        .collect()
}

fn intersects(r: &Rect<f64>, b: [f64; 4], margin: f64) -> bool {
    r.max().x >= b[0] - margin
        && r.min().x <= b[2] + margin
        && r.max().y >= b[1] - margin
        && r.min().y <= b[3] + margin
}

/// `id/version` of the grids whose envelope meets `BOX` grown by `margin` (empty geometries
/// have no envelope and are not indexed).
fn grids_meeting_box(ds: &Dataset, margin: f64) -> Vec<String> {
    let mut v: Vec<String> = ds
        .grids
        .iter()
        .filter(|g| {
            g.geometry
                .bounding_rect()
                .is_some_and(|r| intersects(&r, BOX, margin))
        })
        .map(|g| format!("{}/{}", g.id, g.version))
        .collect();
    v.sort();
    v
}

fn non_empty(ds: &Dataset) -> usize {
    ds.grids
        .iter()
        .filter(|g| g.geometry.bounding_rect().is_some())
        .count()
}

#[tokio::test]
async fn ogrinfo_reports_the_spatial_index_and_answers_a_bbox_query_with_the_right_rows() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let ds = imported(dir.path()).await;
    let file = dir.path().join("wangge.gpkg");

    // GDAL's own test for the extension: the rtree table, its gpkg_extensions row and triggers.
    let (out, _) = ogrinfo(
        &file,
        &[
            "-sql",
            "SELECT HasSpatialIndex('grids', 'geometry') AS grids_idx, \
                    HasSpatialIndex('admin_areas', 'geometry') AS areas_idx, \
                    HasSpatialIndex('buildings', 'geometry') AS buildings_idx, \
                    (SELECT count(*) FROM rtree_grids_geometry) AS grids_n, \
                    (SELECT count(*) FROM rtree_buildings_geometry) AS buildings_n",
        ],
        false,
    );
    for f in ["grids_idx", "areas_idx", "buildings_idx"] {
        assert_eq!(field_values(&out, f), ["1"], "{f} in {out}");
    }
    assert_eq!(
        field_values(&out, "grids_n"),
        [non_empty(&ds).to_string()],
        "every grid version with a geometry is indexed"
    );
    assert_eq!(
        field_values(&out, "buildings_n"),
        [ds.buildings.len().to_string()]
    );

    // The index answers the box: every grid whose envelope meets it, and no other (the R-tree
    // keeps float32 envelopes rounded outwards, so a grid within 1e-4° may come along).
    let [x0, y0, x1, y1] = BOX;
    let sql = format!(
        "SELECT g.id || '/' || g.version AS key FROM grids g \
         JOIN rtree_grids_geometry r ON g.fid = r.id \
         WHERE r.maxx >= {x0} AND r.minx <= {x1} AND r.maxy >= {y0} AND r.miny <= {y1}"
    );
    let (out, _) = ogrinfo(&file, &["-sql", &sql], false);
    let mut got = field_values(&out, "key");
    got.sort();
    let exact = grids_meeting_box(&ds, 0.0);
    let loose = grids_meeting_box(&ds, 1e-4);
    assert!(
        !exact.is_empty() && exact.len() < ds.grids.len(),
        "the box selects some grids: {}",
        exact.len()
    );
    for k in &exact {
        assert!(got.contains(k), "the index misses grid {k}");
    }
    for k in &got {
        assert!(
            loose.contains(k),
            "the index returns grid {k} outside the box"
        );
    }

    // A layer query with a spatial filter goes through the index (GDAL's debug log shows the
    // join) and returns grids from the box only.
    let (out, err) = ogrinfo(
        &file,
        &[
            "-q",
            "-spat",
            &x0.to_string(),
            &y0.to_string(),
            &x1.to_string(),
            &y1.to_string(),
            "grids",
        ],
        true,
    );
    assert!(
        err.contains("rtree_grids_geometry"),
        "GDAL did not use the R-tree: {err}"
    );
    let ids = field_values(&out, "id");
    assert!(!ids.is_empty(), "the spatial filter found no grid");
    for id in ids {
        assert!(
            got.iter().any(|k| k.starts_with(&format!("{id}/"))),
            "grid {id} is outside the box"
        );
    }
}

async fn sqlite(file: &Path) -> sqlx::SqlitePool {
    sqlx::SqlitePool::connect(&format!("sqlite://{}", file.display()))
        .await
        .expect("opening the GeoPackage")
}

/// The R-tree envelope of grid `id` version `version`.
async fn envelope(pool: &sqlx::SqlitePool, g: &Grid) -> Option<(f64, f64, f64, f64)> {
    sqlx::query_as(
        "SELECT r.minx, r.maxx, r.miny, r.maxy FROM rtree_grids_geometry r \
         JOIN grids g ON g.fid = r.id WHERE g.id = ?1 AND g.version = ?2",
    )
    .bind(&g.id.0)
    .bind(i64::from(g.version))
    .fetch_optional(pool)
    .await
    .expect("reading the R-tree")
}

fn close_to(got: (f64, f64, f64, f64), r: Rect<f64>) -> bool {
    // float32 in the R-tree: about 1e-5° at these longitudes.
    let want = (r.min().x, r.max().x, r.min().y, r.max().y);
    (got.0 - want.0).abs() < 1e-4
        && (got.1 - want.1).abs() < 1e-4
        && (got.2 - want.2).abs() < 1e-4
        && (got.3 - want.3).abs() < 1e-4
}

#[tokio::test]
async fn a_committed_grid_version_is_indexed_by_the_triggers() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let ds = imported(dir.path()).await;
    let old = ds
        .grids
        .iter()
        .find(|g| g.valid_to.is_none() && g.geometry.bounding_rect().is_some())
        .expect("a current grid with a geometry")
        .clone();
    // The next version, moved 0.01° east: its envelope differs from the old one.
    let mut new = old.clone();
    new.version += 1;
    new.valid_from = chrono::NaiveDate::from_ymd_opt(2030, 1, 1).expect("date");
    new.geometry = old.geometry.map_coords(|c| Coord {
        x: ((c.x + 0.01) * 1e7).round() / 1e7,
        y: c.y,
    });
    let store = Store::open(None, dir.path()).await.expect("reopening");
    store
        .commit(
            &ChangeSet {
                date: new.valid_from,
                changes: vec![GridChange {
                    before: Some(old.clone()),
                    after: Some(new.clone()),
                }],
            },
            &meta(Operation::Reshape),
        )
        .await
        .expect("commit");
    store.close().await;

    let pool = sqlite(&dir.path().join("wangge.gpkg")).await;
    let rect = |g: &Grid| g.geometry.bounding_rect().expect("an envelope");
    let got_new = envelope(&pool, &new)
        .await
        .expect("the new version is indexed");
    assert!(
        close_to(got_new, rect(&new)),
        "{got_new:?} vs {:?}",
        rect(&new)
    );
    let got_old = envelope(&pool, &old).await.expect("history stays indexed");
    assert!(
        close_to(got_old, rect(&old)),
        "{got_old:?} vs {:?}",
        rect(&old)
    );
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM rtree_grids_geometry")
        .fetch_one(&pool)
        .await
        .expect("counting");
    assert_eq!(n as usize, non_empty(&ds) + 1);
    pool.close().await;
}

#[tokio::test]
async fn a_geopackage_written_before_the_index_gets_it_when_opened() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let ds = imported(dir.path()).await;
    let file = dir.path().join("wangge.gpkg");
    // Back to the file as the first migration left it: no index, no extensions table, and the
    // index migration not applied.
    let pool = sqlite(&file).await;
    let mut drop_all = String::new();
    for t in ["admin_areas", "grids", "buildings"] {
        drop_all.push_str(&format!("DROP TABLE rtree_{t}_geometry;"));
        for tr in [
            "insert", "update2", "update4", "update5", "update6", "update7", "delete",
        ] {
            drop_all.push_str(&format!("DROP TRIGGER rtree_{t}_geometry_{tr};"));
        }
    }
    drop_all
        .push_str("DROP TABLE gpkg_extensions; DELETE FROM _sqlx_migrations WHERE version = 2;");
    sqlx::raw_sql(sqlx::AssertSqlSafe(drop_all))
        .execute(&pool)
        .await
        .expect("removing the index");
    pool.close().await;
    let (out, _) = ogrinfo(
        &file,
        // With a second column: GDAL answers a lone `SELECT HasSpatialIndex(…)` itself, under
        // the function's name.
        &[
            "-sql",
            "SELECT HasSpatialIndex('grids', 'geometry') AS idx, \
                    (SELECT count(*) FROM grids) AS n",
        ],
        false,
    );
    assert_eq!(field_values(&out, "idx"), ["0"], "{out}");

    let store = Store::open(None, dir.path())
        .await
        .expect("opening migrates");
    assert_eq!(store.load().await.expect("load").grids, ds.grids);
    store.close().await;
    let (out, _) = ogrinfo(
        &file,
        &[
            "-sql",
            "SELECT HasSpatialIndex('grids', 'geometry') AS idx, \
                    (SELECT count(*) FROM rtree_grids_geometry) AS n",
        ],
        false,
    );
    assert_eq!(field_values(&out, "idx"), ["1"], "{out}");
    assert_eq!(field_values(&out, "n"), [non_empty(&ds).to_string()]);
}
