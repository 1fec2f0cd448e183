//! Bad files are refused with one clear message and nothing reaches the store; exported GeoJSON
//! passes @mapbox/geojsonhint and ogrinfo.

use crate::common::gis::{current, gdal_tool, s};
use crate::common::wangge_command;
use rstest::rstest;
use std::path::{Path, PathBuf};
use std::process::Command;
use wangge::engine::Layer;
use wangge::gis::stage::store_outcome;
use wangge::gis::{read_file, write_file, Format, GisError, ImportOptions, Target};
use wangge::store::{ChangeMeta, Operation, Store};

fn meta() -> ChangeMeta {
    ChangeMeta {
        actor: "test".into(),
        reason: "import".into(),
        operation: Operation::Import,
        at: chrono::Utc::now(),
    }
}

/// The CLI's path: read, then store all or nothing. Returns the error message.
fn import_into(path: &Path, layer: Layer) -> String {
    // Timers on: the in-memory store is SQLite behind a connection pool.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let store = &rt.block_on(Store::memory()).expect("memory store");
    let opts = ImportOptions::new(Target::Grids(layer));
    let result = read_file(path, &opts)
        .map_err(|e| e.to_string())
        .and_then(|o| {
            rt.block_on(store_outcome(store, &o, &meta(), false))
                .map_err(|e| e.to_string())
        });
    let err = result.expect_err("a bad file must be refused");
    assert!(
        rt.block_on(store.is_empty()).expect("store"),
        "nothing may be stored"
    );
    assert!(!err.contains('\n'), "one line: {err}");
    err
}

fn demo_shapefile(dir: &Path) -> PathBuf {
    let shp = dir.join("base.shp");
    write_file(&shp, Format::Shp, &current(&Layer::Base)).expect("write");
    shp
}

#[test]
fn truncated_shapefile_is_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let shp = demo_shapefile(tmp.path());
    let bytes = std::fs::read(&shp).expect("read");
    std::fs::write(&shp, &bytes[..bytes.len() / 2]).expect("truncate");
    let err = import_into(&shp, Layer::Base);
    assert!(
        err.contains("damaged") || err.contains("cannot open"),
        "{err}"
    );
}

/// GeoJSON with lines where grids need polygons: refused naming why (and, among polygons, which
/// feature), and nothing is stored.
#[rstest]
#[case::only_a_line(
    r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"1"},"geometry":{"type":"LineString","coordinates":[[118.3,29.7],[118.31,29.71]]}}]}"#,
    &["Line String", "grids need polygons"]
)]
#[case::one_line_among_polygons(
    r#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"code":"A"},"geometry":{"type":"Polygon","coordinates":[[[118.3,29.7],[118.31,29.7],[118.31,29.71],[118.3,29.7]]]}},
{"type":"Feature","properties":{"code":"B"},"geometry":{"type":"LineString","coordinates":[[118.3,29.7],[118.31,29.71]]}}]}"#,
    &["1 of 2 features refused", "feature 1"]
)]
fn line_strings_are_not_grids(#[case] geojson: &str, #[case] says: &[&str]) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let path = tmp.path().join("roads.geojson");
    std::fs::write(&path, geojson).expect("write");
    let err = import_into(&path, Layer::Base);
    assert!(says.iter().all(|s| err.contains(s)), "{err}");
}

#[test]
fn shapefile_without_prj_needs_crs() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let shp = demo_shapefile(tmp.path());
    std::fs::remove_file(shp.with_extension("prj")).expect("remove .prj");
    let err = import_into(&shp, Layer::Base);
    assert!(
        err.contains("declares no coordinate system") && err.contains("--crs"),
        "{err}"
    );
    // With --crs it imports.
    let mut opts = ImportOptions::new(Target::Grids(Layer::Base));
    opts.crs = Some(wangge::gis::CrsOverride::parse("EPSG:4490").expect("crs"));
    assert_eq!(
        read_file(&shp, &opts).expect("import").data.grids.len(),
        current(&Layer::Base).len()
    );
}

#[test]
fn invalid_encoding_is_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let src = tmp.path().join("base.gpkg");
    write_file(&src, Format::Gpkg, &current(&Layer::Base)).expect("write");
    let shp = tmp.path().join("gbk.shp");
    gdal_tool("ogr2ogr", &["-lco", "ENCODING=GBK", s(&shp), s(&src)]);
    // The .cpg lies: the bytes are GBK.
    std::fs::write(shp.with_extension("cpg"), "UTF-8").expect("cpg");
    let err = import_into(&shp, Layer::Base);
    assert!(
        err.contains("not valid UTF-8") && err.contains(".cpg"),
        "{err}"
    );
    // No .cpg at all: not UTF-8, nothing declared → refused with advice.
    std::fs::remove_file(shp.with_extension("cpg")).expect("rm cpg");
    let err = import_into(&shp, Layer::Base);
    assert!(err.contains("declares no encoding"), "{err}");
    assert!(matches!(
        read_file(&shp, &ImportOptions::new(Target::Grids(Layer::Base))),
        Err(GisError::Encoding(_))
    ));
}

#[test]
fn cli_refuses_a_bad_file_with_one_line_and_exit_2() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let shp = demo_shapefile(tmp.path());
    std::fs::remove_file(shp.with_extension("prj")).expect("remove .prj");
    let out = wangge_command()
        .args(["import", s(&shp), "--layer", "base", "--dry-run"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(
        err.starts_with("wangge: ") && err.contains("--crs"),
        "{err}"
    );
}

#[rstest]
fn exported_geojson_passes_geojsonhint_and_ogrinfo(
    #[values(Layer::Base, Layer::Micro, Layer::Special)] layer: Layer,
) {
    let js = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/js");
    let hint = js.join("node_modules/.bin/geojsonhint");
    assert!(
        hint.exists(),
        "{} is missing: run `npm ci` in {} (needs Node.js and npm)",
        hint.display(),
        js.display()
    );
    let tmp = tempfile::tempdir().expect("tempdir");
    let path = tmp.path().join(format!("{}.geojson", layer.as_str()));
    write_file(&path, Format::GeoJson, &current(&layer)).expect("write");
    let out = Command::new("node")
        .arg(&hint)
        .arg(&path)
        .output()
        .expect("run node (install nodejs)");
    let report =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && report.trim().is_empty(),
        "geojsonhint: {report}"
    );
    gdal_tool("ogrinfo", &["-ro", "-so", "-al", s(&path)]);
}
