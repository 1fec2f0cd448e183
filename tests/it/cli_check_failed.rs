//! `wangge validate --grids` when a check cannot run, and GeoJSON near ±180° (issue #11).

use crate::common::wangge;

fn feature(id: &str, geometry: &str) -> String {
    format!(r#"{{"type":"Feature","id":"{id}","properties":{{}},"geometry":{geometry}}}"#)
}

fn write(dir: &std::path::Path, name: &str, features: &[String]) -> String {
    let path = dir.join(name);
    let text = format!(
        r#"{{"type":"FeatureCollection","features":[{}]}}"#,
        features.join(",")
    );
    std::fs::write(&path, text).expect("write");
    path.display().to_string()
}

#[test]
fn validate_grids_exits_non_zero_with_check_failed_when_a_check_cannot_run() {
    let tmp = tempfile::tempdir().expect("tempdir");
    // A near-world grid (drawn with a vertex at 0° so that no edge jumps across ±180°) and a
    // small one inside it: their overlap and the holes of their union
    // cannot be computed on the lattice. Before, this printed "0 errors" and exited 0.
    let grids = write(
        tmp.path(),
        "world.geojson",
        &[
            feature(
                "world",
                r#"{"type":"Polygon","coordinates":[[[-179,-60],[0,-60],[179,-60],[179,70],[0,70],[-179,70],[-179,-60]]]}"#,
            ),
            feature(
                "paris",
                r#"{"type":"Polygon","coordinates":[[[2.3,48.8],[2.4,48.8],[2.4,48.9],[2.3,48.9],[2.3,48.8]]]}"#,
            ),
        ],
    );
    let out = wangge(&["validate", "--grids", &grids]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let failed: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("check_failed"))
        .collect();
    assert!(!failed.is_empty(), "{text}");
    assert!(failed.iter().all(|l| l.starts_with("error")), "{text}");
    assert!(
        failed
            .iter()
            .any(|l| l.contains("world") && l.contains("paris")),
        "{text}"
    );

    let out = wangge(&["validate", "--grids", &grids, "--format", "geojson"]);
    assert_eq!(out.status.code(), Some(1));
    let fc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("geojson");
    let problem = fc["features"]
        .as_array()
        .expect("features")
        .iter()
        .find(|f| f["properties"]["kind"] == "check_failed")
        .expect("a check_failed feature");
    assert_eq!(problem["properties"]["severity"], "error");
    assert!(problem["properties"]["reason"]
        .as_str()
        .is_some_and(|r| r.contains("extent too large")));
    assert!(problem["properties"]["check"].is_string());
}

#[test]
fn antimeridian_multipolygon_grids_validate_part_by_part() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let grids = write(
        tmp.path(),
        "fiji.geojson",
        &[
            feature(
                "a",
                r#"{"type":"MultiPolygon","coordinates":[[[[179,-17],[179.5,-17],[179.5,-16],[179,-16],[179,-17]]],[[[-179.5,-17],[-179,-17],[-179,-16],[-179.5,-16],[-179.5,-17]]]]}"#,
            ),
            feature(
                "b",
                r#"{"type":"MultiPolygon","coordinates":[[[[179.4,-17],[180,-17],[180,-16],[179.4,-16],[179.4,-17]]],[[[-180,-17],[-179.4,-17],[-179.4,-16],[-180,-16],[-180,-17]]]]}"#,
            ),
        ],
    );
    let out = wangge(&["validate", "--grids", &grids]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(!text.contains("check_failed"), "{text}");
    assert_eq!(
        text.lines().filter(|l| l.contains(" overlap ")).count(),
        2,
        "{text}"
    );
}

#[test]
fn antimeridian_crossing_ring_is_refused_with_a_plain_line() {
    let tmp = tempfile::tempdir().expect("tempdir");
    // One ring drawn across ±180°: read as is it would run the long way round the world.
    let grids = write(
        tmp.path(),
        "crossing.geojson",
        &[feature(
            "taveuni",
            r#"{"type":"Polygon","coordinates":[[[179.8,-17],[-179.8,-17],[-179.8,-16.8],[179.8,-16.8],[179.8,-17]]]}"#,
        )],
    );
    let out = wangge(&["validate", "--grids", &grids]);
    let err = String::from_utf8_lossy(&out.stderr).trim_end().to_string();
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("crosses the antimeridian"), "{err}");
    assert!(err.contains("taveuni"), "{err}");
    assert!(err.contains("MultiPolygon"), "{err}");
}
