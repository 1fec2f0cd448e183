//! `wangge load`: a bulk load killed halfway leaves nothing behind and can be run again; the
//! GeoPackage it writes is one GDAL reads with every layer and feature.

use crate::common::store::{store_args, Backend, TestStore};
use crate::common::wangge_command;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use wangge::io::dataset::{load_dir, write_dir};
use wangge::store::Store;

/// Starts `wangge load`, SIGKILLs it at its first households progress line (grids and buildings
/// are written by then, the transaction is open), then checks the store holds nothing; a second
/// load then succeeds and holds everything.
async fn killed_load_leaves_nothing(b: Backend) {
    let t = TestStore::new(b).await;
    let data = tempfile::tempdir().expect("temporary folder");
    let ds = crate::common::synth::dataset(20, 20, 200_000);
    write_dir(data.path(), &ds).expect("writing the dataset folder");
    let args = store_args(t.url.as_deref(), &t.data_dir());

    let mut child = wangge_command()
        .arg("load")
        .arg("--data")
        .arg(data.path())
        .args(&args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawning wangge load");
    let stderr = child.stderr.take().expect("load stderr");
    let mut seen = vec![];
    let mut killed = false;
    for line in BufReader::new(stderr).lines().map_while(Result::ok) {
        if line.starts_with("progress households") {
            child.kill().expect("SIGKILL wangge load");
            killed = true;
            break;
        }
        seen.push(line);
    }
    let status = child.wait().expect("waiting for wangge load");
    assert!(
        killed,
        "wangge load ended before writing households ({status}): {seen:?}"
    );

    let store = t.reopen().await;
    let after_kill = store.load().await.expect("load after the kill");
    assert!(
        after_kill.grids.is_empty()
            && after_kill.areas.is_empty()
            && after_kill.buildings.is_empty()
            && after_kill.households.is_empty(),
        "{b:?}: a killed load left {} grids, {} buildings, {} households",
        after_kill.grids.len(),
        after_kill.buildings.len(),
        after_kill.households.len()
    );
    assert_eq!(store.latest_change().await.expect("latest"), 0);
    store.close().await;

    let out = wangge_command()
        .arg("load")
        .arg("--data")
        .arg(data.path())
        .args(&args)
        .output()
        .expect("running wangge load again");
    assert!(
        out.status.success(),
        "second load failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let store = t.reopen().await;
    let loaded = store.load().await.expect("load after the second load");
    let want = load_dir(data.path()).expect("reading the dataset folder");
    assert_eq!(loaded.grids, want.grids);
    assert_eq!(loaded.buildings, want.buildings);
    assert_eq!(loaded.households, want.households);
    assert_eq!(
        store.latest_change().await.expect("latest"),
        1,
        "one change: the load"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_load_leaves_nothing_gpkg() {
    killed_load_leaves_nothing(Backend::Gpkg).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_load_leaves_nothing_postgres() {
    killed_load_leaves_nothing(Backend::Postgres).await
}

/// `ogrinfo` (GDAL, Debian package gdal-bin) lists the GeoPackage's layers with the right
/// feature counts and reads its geometries.
#[tokio::test]
async fn ogrinfo_reads_the_geopackage() {
    let ogrinfo = Path::new("/usr/bin/ogrinfo");
    assert!(
        ogrinfo.exists(),
        "ogrinfo not found: install GDAL's tools (apt-get install -y gdal-bin)"
    );
    let dir = tempfile::tempdir().expect("temporary folder");
    let demo = crate::common::demo_dir();
    let out = wangge_command()
        .arg("load")
        .arg("--data")
        .arg(&demo)
        .arg("--data-dir")
        .arg(dir.path())
        .output()
        .expect("running wangge load");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let file = dir.path().join("wangge.gpkg");
    let ds = load_dir(&demo).expect("demo");
    let current = |layer: &str| {
        ds.grids
            .iter()
            .filter(|g| g.layer.as_str() == layer && g.valid_to.is_none())
            .count()
    };
    let want: BTreeMap<String, usize> = [
        ("grids", ds.grids.len()),
        ("base_grids", current("base")),
        ("micro_grids", current("micro")),
        ("special_grids", current("special")),
        ("composite_grids", current("composite")),
        ("admin_areas", ds.areas.len()),
        ("buildings", ds.buildings.len()),
        ("households", 0),
        ("change_sets", 1),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();

    let out = Command::new(ogrinfo)
        .args(["-ro", "-so", "-al"])
        .arg(&file)
        .output()
        .expect("running ogrinfo");
    let text = String::from_utf8_lossy(&out.stdout);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "ogrinfo failed: {err}");
    assert!(
        !err.contains("Warning") && !err.contains("ERROR"),
        "ogrinfo complained: {err}"
    );
    let mut got = BTreeMap::new();
    let mut layer = None;
    for line in text.lines() {
        if let Some(name) = line.strip_prefix("Layer name: ") {
            layer = Some(name.trim().to_string());
        }
        if let (Some(l), Some(n)) = (&layer, line.strip_prefix("Feature Count: ")) {
            got.insert(l.clone(), n.trim().parse::<usize>().expect("a count"));
        }
    }
    assert_eq!(got, want, "layers and feature counts");
    assert!(
        text.contains("EPSG\",4326") || text.contains("ID[\"EPSG\",4326]"),
        "layers are EPSG:4326"
    );

    // GDAL decodes the geometry blobs: the first grid's WKT is a multipolygon.
    let out = Command::new(ogrinfo)
        .args(["-ro", "-q", "-fid", "1"])
        .arg(&file)
        .arg("grids")
        .output()
        .expect("running ogrinfo");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("MULTIPOLYGON ((("), "{text}");

    // And the file opens again as a store holding the demo.
    let store = Store::open(None, dir.path()).await.expect("reopen");
    assert_eq!(store.load().await.expect("load").grids, ds.grids);
}

/// `wangge migrate` creates the data folder and the GeoPackage, is idempotent, and refuses a
/// database URL that is not PostgreSQL without echoing its credentials.
#[test]
fn migrate_creates_and_refuses() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let data = dir.path().join("nested/data");
    for _ in 0..2 {
        let out = wangge_command()
            .arg("migrate")
            .arg("--data-dir")
            .arg(&data)
            .output()
            .expect("running wangge migrate");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert!(data.join("wangge.gpkg").is_file());
    let out = wangge_command()
        .args(["migrate", "--database", "mysql://user:secret@host/db"])
        .output()
        .expect("running wangge migrate");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        err.contains("not a postgres:// URL") && !err.contains("secret"),
        "{err}"
    );
}
