//! Every kind of bad input is a 4xx `application/problem+json` naming the field, and nothing
//! stored changes.

use crate::common::http::*;
use rstest::rstest;
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

    // Malformed JSON, wrong geometry types and bad polygons are the cases of
    // `bad_geometry_body_is_a_problem_and_changes_nothing` below.
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
    insta::assert_json_snapshot!("problem_wrong_field_type", s.portless(&p));
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
    // Bad dates, unknown layers/areas/CRS, bad bbox and missing lon are the cases of
    // `bad_query_parameter_is_a_problem_naming_it` below.
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

/// A reshape with a bad geometry body: 400 naming the field (and what is wrong, where the
/// detail says it), and nothing stored.
#[rstest]
#[case::malformed_json("{\"type\": \"Polygon\",", Some("body"), None)]
#[case::wrong_geometry_type(
    r#"{"type": "Point", "coordinates": [118.3, 29.7]}"#,
    Some("geometry"),
    Some("Point")
)]
#[case::self_intersecting_bow_tie(
    r#"{"type": "Polygon", "coordinates": [[[118.31, 29.70], [118.32, 29.71], [118.32, 29.70], [118.31, 29.71], [118.31, 29.70]]]}"#,
    Some("geometry"),
    None
)]
#[case::coordinates_out_of_range(
    r#"{"type": "Polygon", "coordinates": [[[118.31, 29.70], [218.32, 29.70], [118.32, 29.71], [118.31, 29.70]]]}"#,
    None,
    Some("out of range")
)]
#[case::unclosed_ring(
    r#"{"type": "Polygon", "coordinates": [[[118.31, 29.70], [118.32, 29.70], [118.32, 29.71], [118.31, 29.71]]]}"#,
    None,
    None
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_geometry_body_is_a_problem_and_changes_nothing(
    #[case] body: &str,
    #[case] field: Option<&str>,
    #[case] detail: Option<&str>,
) {
    let s = start().await;
    let changes = s.changes().await;
    let r = s
        .client
        .put(s.url(&format!("/api/v1/grids/{G1}/geometry?reason=test")))
        .bearer_auth(ADMIN)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("r");
    let p = problem(r, 400).await;
    if let Some(field) = field {
        assert!(names_field(&p, field), "{p}");
    }
    if let Some(detail) = detail {
        assert!(
            p["detail"].as_str().is_some_and(|d| d.contains(detail)),
            "{p}"
        );
    }
    assert_eq!(s.changes().await, changes, "nothing was stored");
    let g = s.get(&format!("/api/v1/grids/{G1}")).await;
    assert_eq!(g.headers()["etag"], "\"1\"");
}

/// A bad query parameter on a read: 400 naming the parameter.
#[rstest]
#[case::month_13("/api/v1/grids?as_of=2024-13-01", "as_of")]
#[case::unknown_layer("/api/v1/grids?layer=roads", "layer")]
#[case::unknown_area("/api/v1/grids?area=999", "area")]
#[case::bbox_of_three("/api/v1/grids?bbox=1,2,3", "bbox")]
#[case::bbox_west_of_east("/api/v1/grids?bbox=118.4,29.7,118.3,29.8", "bbox")]
#[case::validation_unknown_area("/api/v1/validation?area=999", "area")]
#[case::unknown_crs("/api/v1/lookup?lon=118.3&lat=29.7&crs=utm", "crs")]
#[case::missing_lon("/api/v1/lookup?lat=29.7", "lon")]
#[case::lon_not_a_number("/api/v1/lookup?lon=east&lat=29.7", "lon")]
#[case::lat_over_90("/api/v1/lookup?lon=118.3&lat=91", "lat")]
#[case::as_of_not_a_date("/api/v1/lookup?lon=118.3&lat=29.7&as_of=yesterday", "as_of")]
#[case::changes_after_not_a_number("/api/v1/changes?after=x", "after")]
#[case::ogc_datetime_interval(
    "/ogc/collections/base/items?datetime=2020-01-01/2021-01-01",
    "datetime"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_query_parameter_is_a_problem_naming_it(#[case] path: &str, #[case] field: &str) {
    let s = start().await;
    let p = problem(s.get(path).await, 400).await;
    assert!(names_field(&p, field), "{path}: {p}");
}
