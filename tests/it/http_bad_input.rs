//! Every kind of bad input is a 4xx `application/problem+json` naming the field, and nothing
//! stored changes.

use crate::common::http::*;
use serde_json::json;

const G1: &str = "341002001001001";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_a_problem_and_changes_nothing() {
    let s = start_with(wangge::server::Config {
        max_body_bytes: 4096,
        ..Default::default()
    })
    .await;
    let changes = s.changes().await;
    let put = |path: String, body: String| {
        s.client
            .put(s.url(&path))
            .bearer_auth(ADMIN)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let reshape = format!("/api/v1/grids/{G1}/geometry?reason=test");

    // Malformed JSON.
    let p = problem(
        put(reshape.clone(), "{\"type\": \"Polygon\",".into())
            .await
            .expect("r"),
        400,
    )
    .await;
    assert!(names_field(&p, "body"), "{p}");
    // Wrong geometry type.
    let p = problem(
        put(
            reshape.clone(),
            json!({"type": "Point", "coordinates": [118.3, 29.7]}).to_string(),
        )
        .await
        .expect("r"),
        400,
    )
    .await;
    assert!(
        names_field(&p, "geometry") && p["detail"].as_str().is_some_and(|d| d.contains("Point"))
    );
    // Self-intersecting polygon (a bow tie).
    let bow = json!({"type": "Polygon", "coordinates": [[[118.31, 29.70], [118.32, 29.71], [118.32, 29.70], [118.31, 29.71], [118.31, 29.70]]]});
    let p = problem(put(reshape.clone(), bow.to_string()).await.expect("r"), 400).await;
    assert!(names_field(&p, "geometry"), "{p}");
    // Coordinates out of range.
    let far = json!({"type": "Polygon", "coordinates": [[[118.31, 29.70], [218.32, 29.70], [118.32, 29.71], [118.31, 29.70]]]});
    let p = problem(put(reshape.clone(), far.to_string()).await.expect("r"), 400).await;
    assert!(
        p["detail"]
            .as_str()
            .is_some_and(|d| d.contains("out of range")),
        "{p}"
    );
    // Unclosed ring.
    let open = json!({"type": "Polygon", "coordinates": [[[118.31, 29.70], [118.32, 29.70], [118.32, 29.71], [118.31, 29.71]]]});
    problem(
        put(reshape.clone(), open.to_string()).await.expect("r"),
        400,
    )
    .await;
    // Wrong content type.
    let r = s
        .client
        .put(s.url(&reshape))
        .bearer_auth(ADMIN)
        .header("content-type", "text/plain")
        .body("x")
        .send()
        .await
        .expect("r");
    problem(r, 415).await;
    // Body over the limit.
    let big = json!({"type": "Polygon", "coordinates": [vec![[118.31, 29.70]; 400]]}).to_string();
    assert!(big.len() > 4096);
    let p = problem(put(reshape.clone(), big).await.expect("r"), 413).await;
    assert!(names_field(&p, "body"));
    // Wrong field type in a JSON body: the path names it.
    let p = problem(
        s.client
            .post(s.url("/api/v1/people"))
            .bearer_auth(ADMIN)
            .json(&json!({"name": "x", "role": "grid_worker", "grids": [G1], "phone": 5}))
            .send()
            .await
            .expect("r"),
        400,
    )
    .await;
    assert!(names_field(&p, "phone"), "{p}");
    let p = problem(
        s.client
            .post(s.url("/api/v1/people"))
            .bearer_auth(ADMIN)
            .json(&json!({"name": "x", "role": "mayor", "grids": [G1]}))
            .send()
            .await
            .expect("r"),
        400,
    )
    .await;
    assert!(names_field(&p, "role"), "{p}");
    // Unknown status, unknown grid, stale/garbled If-Match.
    let p = problem(
        put(
            format!("/api/v1/grids/{G1}/status?reason=x"),
            json!({"status": "closed"}).to_string(),
        )
        .await
        .expect("r"),
        400,
    )
    .await;
    assert!(names_field(&p, "status"));
    problem(
        put(
            "/api/v1/grids/nope/status?reason=x".into(),
            json!({"status": "active"}).to_string(),
        )
        .await
        .expect("r"),
        404,
    )
    .await;
    let r = s
        .client
        .put(s.url(&format!("/api/v1/grids/{G1}/status?reason=x")))
        .bearer_auth(ADMIN)
        .header("if-match", "version-one")
        .json(&json!({"status": "active"}))
        .send()
        .await
        .expect("r");
    assert!(names_field(&problem(r, 400).await, "If-Match"));
    // Bad dates, unknown layers/areas/CRS, bad bbox, missing lon.
    for (path, field) in [
        ("/api/v1/grids?as_of=2024-13-01", "as_of"),
        ("/api/v1/grids?layer=roads", "layer"),
        ("/api/v1/grids?area=999", "area"),
        ("/api/v1/grids?bbox=1,2,3", "bbox"),
        ("/api/v1/grids?bbox=118.4,29.7,118.3,29.8", "bbox"),
        ("/api/v1/validation?area=999", "area"),
        ("/api/v1/lookup?lon=118.3&lat=29.7&crs=utm", "crs"),
        ("/api/v1/lookup?lat=29.7", "lon"),
        ("/api/v1/lookup?lon=east&lat=29.7", "lon"),
        ("/api/v1/lookup?lon=118.3&lat=91", "lat"),
        ("/api/v1/lookup?lon=118.3&lat=29.7&as_of=yesterday", "as_of"),
        ("/api/v1/changes?after=x", "after"),
        (
            "/ogc/collections/base/items?datetime=2020-01-01/2021-01-01",
            "datetime",
        ),
    ] {
        let p = problem(s.get(path).await, 400).await;
        assert!(names_field(&p, field), "{path}: {p}");
    }
    problem(s.get("/api/v1/grids/nope").await, 404).await;
    problem(s.get("/api/v1/areas/999").await, 404).await;
    problem(s.get("/api/v1/no-such-thing").await, 404).await;
    problem(
        s.client
            .patch(s.url("/api/v1/layers"))
            .send()
            .await
            .expect("r"),
        405,
    )
    .await;
    // Batch lookup: malformed JSON, wrong top-level type, unknown content type, CSV without lon.
    let post = |ct: &'static str, body: &'static str| {
        s.client
            .post(s.url("/api/v1/lookup"))
            .header("content-type", ct)
            .body(body)
            .send()
    };
    problem(
        post("application/json", "[{\"lon\": 1,").await.expect("r"),
        400,
    )
    .await;
    problem(
        post("application/json", "{\"type\": \"Feature\"}")
            .await
            .expect("r"),
        400,
    )
    .await;
    problem(post("application/xml", "<x/>").await.expect("r"), 415).await;
    let p = problem(post("text/csv", "x,y\n1,2\n").await.expect("r"), 400).await;
    assert!(names_field(&p, "lon_field"));
    // Batch body over the limit (the batch reads its body as a stream and counts it).
    let big_csv = "lon,lat\n".to_string() + &"118.3,29.7\n".repeat(1000);
    let r = s
        .client
        .post(s.url("/api/v1/lookup"))
        .header("content-type", "text/csv")
        .body(big_csv)
        .send()
        .await
        .expect("r");
    problem(r, 413).await;
    // Missing reason on a save.
    let r = s
        .client
        .delete(s.url(&format!("/api/v1/grids/{G1}")))
        .bearer_auth(ADMIN)
        .send()
        .await
        .expect("r");
    assert!(names_field(&problem(r, 400).await, "reason"));
    // A garbled token.
    let r = s
        .client
        .get(s.url("/api/v1/layers"))
        .header("authorization", "Basic abc")
        .send()
        .await
        .expect("r");
    problem(r, 401).await;

    assert_eq!(s.changes().await, changes, "nothing was stored");
    let g = s.get(&format!("/api/v1/grids/{G1}")).await;
    assert_eq!(g.headers()["etag"], "\"1\"");
}
