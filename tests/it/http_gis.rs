//! GIS files over HTTP: `POST /api/v1/import` (uploads through GDAL, all or nothing, admins
//! only) and `GET /api/v1/export?format=` (GDAL formats and the assignment CSV).

use crate::common::http::*;
use crate::common::{counting_listener, vrt_fetching};
use serde_json::{json, Value};
use wangge::store::Role;

/// A village base grid (rural: it has no micro grids of its own).
const VILLAGE_GRID: &str = "341002100200001";

async fn interior(s: &Server, id: &str) -> (f64, f64) {
    let f = s.get_json(&format!("/api/v1/grids/{id}")).await;
    let ring = f["geometry"]["coordinates"][0]
        .as_array()
        .expect("ring")
        .clone();
    // Probe the middle of the grid's first interior cell: the centroid of its first vertices.
    let pts: Vec<(f64, f64)> = ring
        .iter()
        .map(|p| (p[0].as_f64().unwrap_or(0.0), p[1].as_f64().unwrap_or(0.0)))
        .collect();
    let n = (pts.len() - 1) as f64;
    let c = pts[..pts.len() - 1]
        .iter()
        .fold((0.0, 0.0), |a, p| (a.0 + p.0 / n, a.1 + p.1 / n));
    let r = s
        .get_json(&format!("/api/v1/lookup?lon={}&lat={}", c.0, c.1))
        .await;
    assert_eq!(r["base"]["id"], id, "the centroid probe lies in the grid");
    c
}

fn micro_upload(parent: &str, code: &str, (x, y): (f64, f64)) -> String {
    let d = 0.0001; // about 10 m
    let ring = json!([
        [x - d, y - d],
        [x + d, y - d],
        [x + d, y + d],
        [x - d, y + d],
        [x - d, y - d]
    ]);
    json!({"type": "FeatureCollection", "features": [{
        "type": "Feature", "id": code,
        "properties": {"code": code, "name": "新建小区", "parent": parent, "valid_from": "2025-01-01"},
        "geometry": {"type": "Polygon", "coordinates": [ring]}
    }]})
    .to_string()
}

async fn upload(s: &Server, token: &str, query: &str, body: String) -> reqwest::Response {
    s.client
        .post(s.url(&format!("/api/v1/import?{query}")))
        .bearer_auth(token)
        .header("Content-Type", "application/octet-stream")
        .body(body)
        .send()
        .await
        .expect("post")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_uploaded_micro_grid_is_validated_then_stored_and_found_by_lookup() {
    let s = start().await;
    let c = interior(&s, VILLAGE_GRID).await;
    let code = format!("{VILLAGE_GRID}W001");
    let before = s.changes().await;

    let r = upload(
        &s,
        ADMIN,
        "layer=micro&filename=new.geojson&dry_run=true",
        micro_upload(VILLAGE_GRID, &code, c),
    )
    .await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.expect("json");
    assert_eq!(v["dry_run"], true);
    assert_eq!(v["imported"], 1);
    let errors: Vec<&Value> = v["problems"]["features"]
        .as_array()
        .expect("problems")
        .iter()
        .filter(|p| p["properties"]["severity"] == "error")
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(s.changes().await, before, "a dry run stores nothing");

    let r = upload(
        &s,
        ADMIN,
        "layer=micro&filename=new.geojson",
        micro_upload(VILLAGE_GRID, &code, c),
    )
    .await;
    assert!(names_field(&problem(r, 400).await, "reason"));

    let r = upload(
        &s,
        ADMIN,
        "layer=micro&filename=new.geojson&reason=new%20estate",
        micro_upload(VILLAGE_GRID, &code, c),
    )
    .await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.expect("json");
    assert!(v["change_id"].as_i64() > Some(1));
    let hit = s
        .get_json(&format!("/api/v1/lookup?lon={}&lat={}", c.0, c.1))
        .await;
    assert_eq!(hit["micro"]["code"], code.as_str());
    assert_eq!(s.changes().await, before + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_uploads_are_refused_and_store_nothing() {
    let s = start().await;
    let c = interior(&s, VILLAGE_GRID).await;
    let before = s.changes().await;
    let planner = s.token(Role::Planner, &["341002100200"]).await;
    let r = upload(
        &s,
        &planner,
        "layer=micro&filename=a.geojson&dry_run=true",
        micro_upload(VILLAGE_GRID, "X1", c),
    )
    .await;
    problem(r, 403).await;
    for (query, body, field) in [
        (
            "layer=micro&filename=a.geojson&reason=x",
            "{ not json".to_string(),
            "file",
        ),
        (
            "layer=roads&filename=a.geojson&reason=x",
            micro_upload(VILLAGE_GRID, "X1", c),
            "layer",
        ),
        (
            "layer=micro&filename=a.exe&reason=x",
            micro_upload(VILLAGE_GRID, "X1", c),
            "filename",
        ),
        (
            "layer=micro&filename=a.geojson&reason=x",
            micro_upload("no-such-grid", "X1", c),
            "file",
        ),
        (
            "layer=micro&filename=a.geojson&reason=x&crs=mars",
            micro_upload(VILLAGE_GRID, "X1", c),
            "crs",
        ),
    ] {
        let p = problem(upload(&s, ADMIN, query, body).await, 400).await;
        assert!(names_field(&p, field), "{query}: {p}");
    }
    assert_eq!(s.changes().await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_formats_round_trip_through_gdal_and_assignments_keep_codes_as_text() {
    let s = start().await;
    let area = "341002001001";
    let listed = s
        .get_json(&format!("/api/v1/grids?layer=base&area={area}"))
        .await;
    let n = listed["features"].as_array().map_or(0, Vec::len);
    assert!(n > 0);
    let r = s
        .get(&format!(
            "/api/v1/export?format=gpkg&layer=base&area={area}"
        ))
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-type"],
        "application/geopackage+sqlite3"
    );
    let bytes = r.bytes().await.expect("bytes");
    assert!(bytes.starts_with(b"SQLite format 3"));
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("grids.gpkg");
    std::fs::write(&path, &bytes).expect("write");
    let back = wangge::gis::read_file(
        &path,
        &wangge::gis::ImportOptions::new(wangge::gis::Target::parse("base").expect("target")),
    )
    .expect("GDAL reads it");
    assert_eq!(back.data.grids.len(), n);
    let mut codes: Vec<String> = back.data.grids.iter().map(|g| g.code.clone()).collect();
    codes.sort();
    let mut want: Vec<String> = listed["features"]
        .as_array()
        .expect("features")
        .iter()
        .filter_map(|f| f["properties"]["code"].as_str().map(str::to_string))
        .collect();
    want.sort();
    assert_eq!(codes, want);

    let csv = s
        .get(&format!(
            "/api/v1/export?what=assignments&layer=base&area={area}"
        ))
        .await;
    assert_eq!(csv.status(), 200);
    let text = csv.text().await.expect("text");
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("\"object\",\"id\",\"layer\",\"grid_id\",\"grid_code\",\"grid_name\"")
    );
    assert!(
        lines.any(|l| l.contains(&format!("\"{area}001\""))),
        "codes are quoted text"
    );

    // A shapefile comes zipped; its parts read back through GDAL with every grid and code.
    let r = s
        .get(&format!("/api/v1/export?format=shp&layer=base&area={area}"))
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/zip");
    let zipped = r.bytes().await.expect("bytes");
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zipped.to_vec())).expect("a zip");
    let shp_dir = tempfile::tempdir().expect("tempdir");
    archive.extract(shp_dir.path()).expect("unzip");
    for part in [
        "grids.shp",
        "grids.shx",
        "grids.dbf",
        "grids.prj",
        "grids.cpg",
    ] {
        assert!(shp_dir.path().join(part).exists(), "{part} is in the zip");
    }
    let back = wangge::gis::read_file(
        &shp_dir.path().join("grids.shp"),
        &wangge::gis::ImportOptions::new(wangge::gis::Target::parse("base").expect("target")),
    )
    .expect("GDAL reads it");
    let mut shp_codes: Vec<String> = back.data.grids.iter().map(|g| g.code.clone()).collect();
    shp_codes.sort();
    assert_eq!(shp_codes, want);
    let p = problem(s.get("/api/v1/export?format=pdf").await, 400).await;
    assert!(names_field(&p, "format"));
    let p = problem(s.get("/api/v1/export?what=roads").await, 400).await;
    assert!(names_field(&p, "what"));
}

/// The parts of a shapefile zipped together, as GIS staff send them.
fn zipped_shapefile(grid: &wangge::engine::Grid) -> Vec<u8> {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("upload.shp");
    wangge::gis::write_file(&path, wangge::gis::Format::Shp, &[grid]).expect("write shapefile");
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let mut parts: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    parts.sort();
    for p in parts {
        let name = p
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        zip.start_file(name, zip::write::SimpleFileOptions::default())
            .expect("entry");
        std::io::Write::write_all(&mut zip, &std::fs::read(&p).expect("part")).expect("write");
    }
    zip.finish().expect("zip").into_inner()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_zipped_shapefile_upload_is_read_and_a_zip_without_data_is_refused() {
    let s = start().await;
    let (x, y) = interior(&s, VILLAGE_GRID).await;
    let d = 0.0001;
    let square = geo::MultiPolygon(vec![geo::Polygon::new(
        geo::LineString::from(vec![
            (x - d, y - d),
            (x + d, y - d),
            (x + d, y + d),
            (x - d, y + d),
            (x - d, y - d),
        ]),
        vec![],
    )]);
    let code = format!("{VILLAGE_GRID}W001");
    let grid = wangge::engine::Grid::new(
        &code,
        wangge::engine::Layer::Micro,
        Some(VILLAGE_GRID),
        square,
        chrono::NaiveDate::from_ymd_opt(2025, 1, 1).expect("date"),
    );
    let r = s
        .client
        .post(s.url("/api/v1/import?layer=micro&filename=upload.zip&dry_run=true"))
        .bearer_auth(ADMIN)
        .body(zipped_shapefile(&grid))
        .send()
        .await
        .expect("post");
    let status = r.status();
    let v: Value = r.json().await.expect("json");
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["imported"], 1);

    let mut empty = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    empty
        .start_file("readme.txt", zip::write::SimpleFileOptions::default())
        .expect("entry");
    std::io::Write::write_all(&mut empty, b"no data here").expect("write");
    let r = s
        .client
        .post(s.url("/api/v1/import?layer=micro&filename=upload.zip&dry_run=true"))
        .bearer_auth(ADMIN)
        .body(empty.finish().expect("zip").into_inner())
        .send()
        .await
        .expect("post");
    assert!(names_field(&problem(r, 400).await, "file"));
}

// ---- Import safety (issue #11) ----

async fn refused_upload_fetches_nothing(filename: &str) {
    let s = start().await;
    let before = s.changes().await;
    let (port, connections) = counting_listener();
    let r = upload(
        &s,
        ADMIN,
        &format!("layer=micro&filename={filename}&reason=x"),
        vrt_fetching(port),
    )
    .await;
    let p = problem(r, 400).await;
    assert!(names_field(&p, "file"), "{p}");
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(
        connections.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "the server made a request: {p}"
    );
    assert_eq!(s.changes().await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vrt_disguised_as_kml_is_refused_and_fetches_nothing() {
    refused_upload_fetches_nothing("grids.kml").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn geojson_upload_with_vsicurl_source_refused() {
    refused_upload_fetches_nothing("grids.geojson").await;
}

fn micro_square(code: &str, parent: &str, (x, y): (f64, f64)) -> wangge::engine::Grid {
    let d = 0.0001;
    let square = geo::MultiPolygon(vec![geo::Polygon::new(
        geo::LineString::from(vec![
            (x - d, y - d),
            (x + d, y - d),
            (x + d, y + d),
            (x - d, y + d),
            (x - d, y - d),
        ]),
        vec![],
    )]);
    wangge::engine::Grid::new(
        code,
        wangge::engine::Layer::Micro,
        Some(parent),
        square,
        chrono::NaiveDate::from_ymd_opt(2025, 1, 1).expect("date"),
    )
}

/// A shapefile zipped as QGIS or Windows "Send to → Compressed folder" does: deflated, inside a
/// folder entry, with `extra` unrelated entries.
fn deflated_zip_in_folder(grid: &wangge::engine::Grid, extra: usize) -> Vec<u8> {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("grids.shp");
    wangge::gis::write_file(&path, wangge::gis::Format::Shp, &[grid]).expect("write shapefile");
    let deflated = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.add_directory("grids/", deflated).expect("folder");
    let mut parts: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .map(|e| e.expect("entry").path())
        .collect();
    parts.sort();
    for p in parts {
        let name = p.file_name().and_then(|n| n.to_str()).expect("name");
        zip.start_file(format!("grids/{name}"), deflated)
            .expect("entry");
        std::io::Write::write_all(&mut zip, &std::fs::read(&p).expect("part")).expect("write");
    }
    for i in 0..extra {
        zip.start_file(format!("grids/readme{i}.txt"), deflated)
            .expect("entry");
        std::io::Write::write_all(&mut zip, b"notes").expect("write");
    }
    zip.finish().expect("zip").into_inner()
}

async fn upload_bytes(s: &Server, query: &str, body: Vec<u8>) -> reqwest::Response {
    s.client
        .post(s.url(&format!("/api/v1/import?{query}")))
        .bearer_auth(ADMIN)
        .body(body)
        .send()
        .await
        .expect("post")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deflate_zipped_shapefile_imports() {
    let s = start().await;
    let c = interior(&s, VILLAGE_GRID).await;
    let grid = micro_square(&format!("{VILLAGE_GRID}W001"), VILLAGE_GRID, c);
    let zipped = deflated_zip_in_folder(&grid, 0);
    let r = upload_bytes(&s, "layer=micro&filename=grids.zip&dry_run=true", zipped).await;
    let status = r.status();
    let v: Value = r.json().await.expect("json");
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["imported"], 1, "{v}");
    assert_eq!(v["would_store"], true, "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zip_with_too_many_entries_refused() {
    let s = start().await;
    let c = interior(&s, VILLAGE_GRID).await;
    let grid = micro_square(&format!("{VILLAGE_GRID}W001"), VILLAGE_GRID, c);
    let zipped = deflated_zip_in_folder(&grid, 80);
    let r = upload_bytes(&s, "layer=micro&filename=grids.zip&dry_run=true", zipped).await;
    let p = problem(r, 400).await;
    assert!(names_field(&p, "file"), "{p}");
    assert!(
        p["detail"].as_str().is_some_and(|d| d.contains("entries")),
        "{p}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_far_outside_district_refused() {
    let s = start().await;
    let before = s.changes().await;
    // Coordinates of a file in the wrong CRS read as degrees: near (0, 0), far from 黄山.
    for query in [
        "layer=micro&filename=far.geojson&dry_run=true",
        "layer=micro&filename=far.geojson&reason=x",
    ] {
        let r = upload(
            &s,
            ADMIN,
            query,
            micro_upload(VILLAGE_GRID, "FAR1", (0.5, 0.5)),
        )
        .await;
        let p = problem(r, 400).await;
        let detail = p["detail"].as_str().unwrap_or_default();
        assert!(
            detail.contains("feature 0 (grid FAR1)") && detail.contains("outside the district"),
            "{query}: {p}"
        );
    }
    assert_eq!(s.changes().await, before, "nothing stored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_larger_than_district_refused() {
    let s = start().await;
    let (x, y) = interior(&s, VILLAGE_GRID).await;
    // A square of about 2° (≈ 40 000 km²) around a point inside the district.
    let ring = json!([
        [x - 1.0, y - 1.0],
        [x + 1.0, y - 1.0],
        [x + 1.0, y + 1.0],
        [x - 1.0, y + 1.0],
        [x - 1.0, y - 1.0]
    ]);
    let body = json!({"type": "FeatureCollection", "features": [{"type": "Feature",
        "properties": {"code": "HUGE", "parent": VILLAGE_GRID},
        "geometry": {"type": "Polygon", "coordinates": [ring]}}]})
    .to_string();
    let p = problem(
        upload(
            &s,
            ADMIN,
            "layer=micro&filename=huge.geojson&reason=x",
            body,
        )
        .await,
        400,
    )
    .await;
    let detail = p["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("grid HUGE") && detail.contains("more than the whole district"),
        "{p}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_that_validation_calls_error_refused() {
    let s = start().await;
    let before = s.changes().await;
    let c = interior(&s, VILLAGE_GRID).await;
    let community = &VILLAGE_GRID[..12];
    // A second base grid drawn inside an existing one: an overlap, which an edit would refuse.
    let d = 0.0001;
    let ring = json!([
        [c.0 - d, c.1 - d],
        [c.0 + d, c.1 - d],
        [c.0 + d, c.1 + d],
        [c.0 - d, c.1 + d],
        [c.0 - d, c.1 - d]
    ]);
    let body = json!({"type": "FeatureCollection", "features": [{"type": "Feature",
        "properties": {"code": format!("{community}901"), "parent": community},
        "geometry": {"type": "Polygon", "coordinates": [ring]}}]})
    .to_string();

    let r = upload(
        &s,
        ADMIN,
        "layer=base&filename=b.geojson&dry_run=true",
        body.clone(),
    )
    .await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.expect("json");
    assert_eq!(
        v["would_store"], false,
        "the dry run must not promise success: {v}"
    );
    assert!(
        v["refused"].as_str().is_some_and(|m| m.contains("overlap")),
        "{v}"
    );

    let r = upload(&s, ADMIN, "layer=base&filename=b.geojson&reason=x", body).await;
    let p = problem(r, 422).await;
    assert!(names_field(&p, "overlap"), "{p}");
    assert_eq!(s.changes().await, before, "nothing stored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_filename_with_nul_is_400() {
    let s = start().await;
    let c = interior(&s, VILLAGE_GRID).await;
    let long = format!("{}.geojson", "a".repeat(300));
    for name in ["a%00.geojson", "a.geojson%00", long.as_str()] {
        let r = upload(
            &s,
            ADMIN,
            &format!("layer=micro&filename={name}&dry_run=true"),
            micro_upload(VILLAGE_GRID, "N1", c),
        )
        .await;
        let p = problem(r, 400).await;
        assert!(names_field(&p, "filename"), "{name}: {p}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_error_does_not_leak_temp_path() {
    let s = start().await;
    let tmp = std::env::temp_dir().display().to_string();
    for (name, body) in [
        ("broken.geojson", "{ not json".to_string()),
        ("broken.kml", "<kml><oops".to_string()),
        ("broken.zip", "PK not really".to_string()),
    ] {
        let r = upload(
            &s,
            ADMIN,
            &format!("layer=micro&filename={name}&dry_run=true"),
            body,
        )
        .await;
        let p = problem(r, 400).await;
        let text = p.to_string();
        assert!(text.contains(name), "names the upload: {p}");
        assert!(
            !text.contains(&tmp) && !text.contains(".tmp"),
            "leaks a path: {p}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_over_body_limit_is_413_problem() {
    let s = start_with(wangge::server::Config {
        max_body_bytes: 4096,
        ..wangge::server::Config::default()
    })
    .await;
    let r = upload(
        &s,
        ADMIN,
        "layer=micro&filename=big.geojson&dry_run=true",
        " ".repeat(64 * 1024),
    )
    .await;
    let p = problem(r, 413).await;
    assert!(names_field(&p, "body"), "{p}");
}
