//! The command-line interface as a user runs it: exit codes, one-line errors, CSV output.

use crate::common::wangge;
use rstest::rstest;
use std::path::PathBuf;
use std::process::Output;

fn fixture(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
        .display()
        .to_string()
}

fn stderr_line(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).trim_end().to_string()
}

/// Bad input on the command line: exit code 2 and one plain line saying what is wrong. In the
/// arguments, `BAD_JSON`, `LINES` and `BUBENEC` stand for a file that is not JSON, a GeoJSON of
/// line strings and the Bubeneč tessellation fixture.
#[rstest]
#[case::missing_file(&["export", "--grids", "/nonexistent/grids.geojson"], "cannot read")]
#[case::not_json(&["export", "--grids", "BAD_JSON"], "invalid JSON")]
#[case::line_strings(&["export", "--grids", "LINES"], "LineString is not a Polygon")]
#[case::unknown_layer(
    &["export", "--grids", "BUBENEC", "--layer", "roads"],
    "unknown layer \"roads\""
)]
#[case::missing_id_field(
    &["export", "--grids", "BUBENEC", "--id-field", "nope"],
    "id field \"nope\" is missing"
)]
#[case::longitude_out_of_range(
    &["lookup", "--grids", "BUBENEC", "--lon", "200", "--lat", "50"],
    "longitude 200 is out of range"
)]
#[case::unknown_option(&["lookup", "--frobnicate"], "unexpected argument")]
fn bad_input_is_one_plain_line_and_exit_2(#[case] args: &[&str], #[case] expected: &str) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let not_json = tmp.path().join("bad.geojson");
    std::fs::write(&not_json, "{ this is not json").expect("write");
    let lines = tmp.path().join("lines.geojson");
    std::fs::write(
        &lines,
        r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[0,0],[1,1]]}}]}"#,
    )
    .expect("write");
    let bubenec = fixture("bubenec/tessellation.geojson");
    let args: Vec<String> = args
        .iter()
        .map(|a| match *a {
            "BAD_JSON" => not_json.display().to_string(),
            "LINES" => lines.display().to_string(),
            "BUBENEC" => bubenec.clone(),
            other => other.to_string(),
        })
        .collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = wangge(&args);
    let err = stderr_line(&out);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
    assert!(err.contains(expected), "{args:?}: {err}");
}

#[test]
fn lookup_points_csv_keeps_columns_and_adds_grid_id_and_on_boundary() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let points = tmp.path().join("events.csv");
    // The first point is inside cell uID 1 of the tessellation, the second far away.
    let cells = std::fs::read_to_string(fixture("bubenec/tessellation.geojson")).expect("read");
    let fc: geojson::FeatureCollection = cells
        .parse::<geojson::GeoJson>()
        .expect("geojson")
        .try_into()
        .expect("fc");
    let cell = fc
        .features
        .iter()
        .find(|f| f.property("uID").and_then(|v| v.as_i64()) == Some(1))
        .expect("cell 1");
    let poly: geo::Geometry<f64> = cell
        .geometry
        .clone()
        .expect("geometry")
        .try_into()
        .expect("geo");
    let inside = geo::InteriorPoint::interior_point(&poly).expect("interior point");
    std::fs::write(
        &points,
        format!(
            "event,x,y\nE1,{},{}\nE2,10.0,40.0\n",
            inside.x(),
            inside.y()
        ),
    )
    .expect("write");
    let out = wangge(&[
        "lookup",
        "--grids",
        &fixture("bubenec/tessellation.geojson"),
        "--id-field",
        "uID",
        "--points",
        &points.display().to_string(),
        "--lon-field",
        "x",
        "--lat-field",
        "y",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_line(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(rows[0], "event,x,y,grid_id,on_boundary");
    let first: Vec<&str> = rows[1].split(',').collect();
    assert_eq!(first[0], "E1");
    assert_eq!(first[3], "1", "E1 lies in cell 1: {}", rows[1]);
    assert_eq!(rows[2], "E2,10.0,40.0,,false");
}

#[test]
fn export_writes_rfc7946_geojson_with_seven_decimals_and_no_crs() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out_path = tmp.path().join("out.geojson");
    let out = wangge(&[
        "export",
        "--grids",
        &fixture("bubenec/tessellation.geojson"),
        "--id-field",
        "uID",
        "-o",
        &out_path.display().to_string(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_line(&out));
    let text = std::fs::read_to_string(&out_path).expect("read");
    let v: serde_json::Value = serde_json::from_str(&text).expect("json");
    assert!(v.get("crs").is_none());
    let features = v["features"].as_array().expect("features");
    assert_eq!(features.len(), 144);
    for f in features {
        let ring = &f["geometry"]["coordinates"][0];
        for pos in ring.as_array().expect("ring") {
            for n in pos.as_array().expect("position") {
                let s = n.to_string();
                let decimals = s.split('.').nth(1).map_or(0, str::len);
                assert!(decimals <= 7, "{s}");
            }
        }
        // Right-hand rule: the exterior ring is counter-clockwise (positive shoelace area).
        let pts: Vec<(f64, f64)> = ring
            .as_array()
            .expect("ring")
            .iter()
            .map(|p| (p[0].as_f64().unwrap_or(0.0), p[1].as_f64().unwrap_or(0.0)))
            .collect();
        let twice_area: f64 = pts
            .windows(2)
            .map(|w| w[0].0 * w[1].1 - w[1].0 * w[0].1)
            .sum();
        assert!(twice_area > 0.0, "exterior ring must be counter-clockwise");
    }
}
