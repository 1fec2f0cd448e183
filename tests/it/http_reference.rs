//! Reference layers (`--reference NAME=FILE`): read once through the GIS import's reader, served
//! as lon/lat GeoJSON for the web map to draw under the grids.

use crate::common::http::*;
use std::path::PathBuf;
use std::sync::Arc;
use wangge::server::reference::ReferenceLayer;
use wangge::server::Config;

fn helsinki_roads() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("geodata/helsinki/roads.geojson")
}

#[tokio::test]
async fn serves_helsinki_roads_as_lon_lat_geojson() {
    let roads = ReferenceLayer::read("roads", &helsinki_roads()).expect("roads read");
    assert_eq!(roads.features, 2504);
    let s = start_with(Config {
        reference: Arc::new(vec![roads]),
        ..Config::default()
    })
    .await;
    let list = s.get_json("/reference").await;
    assert_eq!(list["layers"][0]["name"], "roads");
    assert_eq!(list["layers"][0]["href"], "/reference/roads");
    let r = s.get("/reference/roads").await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/geo+json")
    );
    let fc: serde_json::Value = r.json().await.expect("GeoJSON");
    let features = fc["features"].as_array().expect("features");
    assert_eq!(features.len(), 2504);
    // Erottajankatu, the file's first road, in central Helsinki.
    let first = &features[0]["geometry"];
    assert_eq!(first["type"], "LineString");
    let lon = first["coordinates"][0][0].as_f64().expect("lon");
    let lat = first["coordinates"][0][1].as_f64().expect("lat");
    assert!((lon - 24.9432708).abs() < 1e-7 && (lat - 60.1665138).abs() < 1e-7);
    problem(s.get("/reference/rivers").await, 404).await;
}

#[tokio::test]
async fn no_reference_layers_is_an_empty_list() {
    let s = start().await;
    let list = s.get_json("/reference").await;
    assert_eq!(list["layers"], serde_json::json!([]));
}

#[test]
fn a_missing_file_or_bad_name_is_refused_at_start() {
    let missing = ReferenceLayer::read("roads", &PathBuf::from("/nonexistent/roads.gpkg"));
    assert!(missing
        .err()
        .is_some_and(|e| e.to_string().contains("no such file")));
    let bad = ReferenceLayer::read("../x", &helsinki_roads());
    assert!(bad.is_err());
}

#[test]
fn a_projected_file_is_reprojected_to_lon_lat() {
    // Erottajankatu's first vertex in ETRS-TM35FIN (EPSG:3067), as gdaltransform gives it.
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("roads.geojson");
    std::fs::write(
        &file,
        r#"{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::3067"}},
        "features":[{"type":"Feature","properties":{},"geometry":{"type":"LineString",
        "coordinates":[[385869.771382691,6671732.95209035],[385900,6671750]]}}]}"#,
    )
    .expect("write");
    let layer = ReferenceLayer::read("roads", &file).expect("read");
    assert_eq!(layer.features, 1);
    let geometries = wangge::gis::read_reference(&file, None, None).expect("read");
    let geo::Geometry::LineString(line) = &geometries[0] else {
        panic!("a line: {:?}", geometries[0]);
    };
    assert!((line.0[0].x - 24.9432708).abs() < 1e-6, "{:?}", line.0[0]);
    assert!((line.0[0].y - 60.1665138).abs() < 1e-6, "{:?}", line.0[0]);
}
