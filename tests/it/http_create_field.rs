//! POST /api/v1/grids names the field that is wrong: a geometry the GeoJSON reader refuses was
//! reported against `properties` (regression, issue #12).

use crate::common::http::*;
use serde_json::{json, Value};

const COMMUNITY: &str = "341002001001";

async fn create(s: &Server, feature: &Value) -> reqwest::Response {
    s.client
        .post(s.url("/api/v1/grids?dry_run=true"))
        .bearer_auth(ADMIN)
        .json(feature)
        .send()
        .await
        .expect("post")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_grid_geometry_error_names_geometry_not_properties() {
    let s = start().await;
    let changes = s.changes().await;
    // A valid ring in the plane that crosses the antimeridian (179.9 → -179.9): the request's
    // geometry check passes it, the GeoJSON reader refuses it.
    let across = json!({"type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [[
            [179.9, 29.70], [-179.9, 29.70], [-179.9, 29.71], [179.9, 29.71], [179.9, 29.70]
        ]]},
        "properties": {"layer": "base", "parent": COMMUNITY, "name": "across"}});
    let p = problem(create(&s, &across).await, 400).await;
    assert!(names_field(&p, "geometry"), "{p}");
    assert!(!names_field(&p, "properties"), "{p}");
    assert!(
        p["detail"]
            .as_str()
            .is_some_and(|d| d.contains("antimeridian")),
        "{p}"
    );

    // A bad property is still reported against `properties`.
    let bad_status = json!({"type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [[
            [118.31, 29.70], [118.3102, 29.70], [118.3102, 29.7001], [118.31, 29.7001], [118.31, 29.70]
        ]]},
        "properties": {"layer": "base", "parent": COMMUNITY, "status": "broken"}});
    let p = problem(create(&s, &bad_status).await, 400).await;
    assert!(names_field(&p, "properties"), "{p}");
    assert!(!names_field(&p, "geometry"), "{p}");

    assert_eq!(s.changes().await, changes, "nothing stored");
}
