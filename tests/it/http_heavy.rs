//! One request must not stall the service (issue #11, High 5): request geometries are bounded
//! (`--max-vertices`), and planning an edit leaves readers alone.

use crate::common::demo_district;
use crate::common::http::*;
use geo::{Coord, LineString};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use wangge::server::state::DEFAULT_MAX_VERTICES;
use wangge::server::Config;
use wangge::store::Role;
use wangge_engine::{District, GridId};

const G1: &str = "341002001001001";
const G2: &str = "341002001001002";
const COMMUNITY1: &str = "341002001001";

/// `ring` with points added along its edges until it has exactly `positions` positions (the
/// closing one included): the same shape, drawn in more detail.
fn densify(ring: &LineString<f64>, positions: usize) -> Vec<[f64; 2]> {
    let pts = &ring.0;
    let edges = pts.len() - 1;
    let extra = positions - pts.len();
    let mut out = Vec::with_capacity(positions);
    for e in 0..edges {
        let (a, b) = (pts[e], pts[e + 1]);
        out.push([a.x, a.y]);
        // Spread the extra points over the edges as evenly as integers allow.
        let k = extra * (e + 1) / edges - extra * e / edges;
        for i in 1..=k {
            let t = i as f64 / (k + 1) as f64;
            out.push([a.x + (b.x - a.x) * t, a.y + (b.y - a.y) * t]);
        }
    }
    out.push([pts[0].x, pts[0].y]);
    assert_eq!(out.len(), positions);
    out
}

fn polygon_json(coords: Vec<[f64; 2]>) -> Value {
    json!({"type": "Polygon", "coordinates": [coords]})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_limit_geometry_refused_413_names_geometry() {
    let limit = 200;
    let s = start_with(Config {
        max_vertices: limit,
        ..Config::default()
    })
    .await;
    let d = demo_district();
    let g = d.grid(&GridId(G1.into()), None).expect("grid").clone();
    let ring = g.geometry.0[0].exterior().clone();
    let changes = s.changes().await;

    // A reshape one position over the limit: 413 naming `geometry` and the limit.
    let r = s
        .client
        .put(s.url(&format!("/api/v1/grids/{G1}/geometry?dry_run=true")))
        .bearer_auth(ADMIN)
        .json(&polygon_json(densify(&ring, limit + 1)))
        .send()
        .await
        .expect("put");
    let p = problem(r, 413).await;
    assert!(names_field(&p, "geometry"), "{p}");
    assert!(
        p["detail"]
            .as_str()
            .is_some_and(|d| d.contains(&limit.to_string())),
        "{p}"
    );
    // At the limit: accepted for planning (whatever the rules then say, it is not refused as
    // too large).
    let r = s
        .client
        .put(s.url(&format!("/api/v1/grids/{G1}/geometry?dry_run=true")))
        .bearer_auth(ADMIN)
        .json(&polygon_json(densify(&ring, limit)))
        .send()
        .await
        .expect("put");
    assert_ne!(r.status(), 413);

    // A split line and a reroute path over the limit: 413 naming `line` and `path`.
    let rect = geo::BoundingRect::bounding_rect(&g.geometry).expect("rect");
    let long_line: Vec<[f64; 2]> = (0..=limit)
        .map(|i| {
            let t = i as f64 / limit as f64;
            [
                (rect.min().x + rect.max().x) / 2.0,
                rect.min().y - 0.001 + t * (rect.height() + 0.002),
            ]
        })
        .collect();
    let r = s
        .client
        .post(s.url(&format!("/api/v1/grids/{G1}/split?dry_run=true")))
        .bearer_auth(ADMIN)
        .json(&json!({"line": long_line}))
        .send()
        .await
        .expect("post");
    assert!(names_field(&problem(r, 413).await, "line"));
    let r = s
        .client
        .post(s.url("/api/v1/boundaries/reroute?dry_run=true"))
        .bearer_auth(ADMIN)
        .json(&json!({"a": G1, "b": G2, "path": {"type": "LineString", "coordinates": long_line}}))
        .send()
        .await
        .expect("post");
    assert!(names_field(&problem(r, 413).await, "path"));
    // A create names `geometry` too, and nothing was stored by any of it.
    let r = s
        .client
        .post(s.url("/api/v1/grids?dry_run=true"))
        .bearer_auth(ADMIN)
        .json(
            &json!({"type": "Feature", "geometry": polygon_json(densify(&ring, limit + 1)),
            "properties": {"layer": "base", "parent": COMMUNITY1, "name": "big"}}),
        )
        .send()
        .await
        .expect("post");
    assert!(names_field(&problem(r, 413).await, "geometry"));
    assert_eq!(s.changes().await, changes);
}

/// The vertex limit of the tests that plan at the limit: small enough that a debug build plans
/// it in seconds (planning validates around the edit with exact overlay, which a debug build
/// runs tens of times slower), large enough that planning takes far longer than a read.
const TEST_LIMIT: usize = 2_000;

/// Held by the tests that plan a maximal geometry: two such plans at once fill both cores of a
/// small machine, and a read then waits on the other test's plan, not on this test's dry run.
static MAXIMAL_PLANS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn planner_outside_areas_refused_before_planning_a_maximal_geometry() {
    let _alone = MAXIMAL_PLANS.lock().await;
    let s = start_with(Config {
        max_vertices: TEST_LIMIT,
        ..Config::default()
    })
    .await;
    // A planner of another community names G1: 403 at once, naming the grid, however large
    // the geometry (the plan would take long; authorization must not wait for it).
    let planner = s.token(Role::Planner, &["341002001002"]).await;
    let d = demo_district();
    let ring = d.grid(&GridId(G1.into()), None).expect("grid").geometry.0[0]
        .exterior()
        .clone();
    let body = polygon_json(densify(&ring, TEST_LIMIT));
    let t = Instant::now();
    let r = s
        .client
        .put(s.url(&format!("/api/v1/grids/{G1}/geometry?dry_run=true")))
        .bearer_auth(&planner)
        .json(&body)
        .send()
        .await
        .expect("put");
    let p = problem(r, 403).await;
    assert_eq!(p["grid"], G1, "{p}");
    let took = t.elapsed();
    // The same request from an admin plans; the refusal must cost a small part of that.
    let t = Instant::now();
    let r = s
        .client
        .put(s.url(&format!("/api/v1/grids/{G1}/geometry?dry_run=true")))
        .bearer_auth(ADMIN)
        .json(&body)
        .send()
        .await
        .expect("put");
    assert!(r.status() == 200 || r.status() == 422, "{}", r.status());
    let planned = t.elapsed();
    eprintln!("refusal {took:?}, plan {planned:?}");
    assert!(
        took < planned / 2,
        "refused in {took:?}, planned in {planned:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_answers_while_maximal_dry_run_runs() {
    // The real default: a maximal dry run at it must finish (in seconds, even in a debug build)
    // while reads go on.
    let limit = DEFAULT_MAX_VERTICES;
    let _alone = MAXIMAL_PLANS.lock().await;
    let s = start_with(Config::default()).await;
    let d = demo_district();
    let g = d.grid(&GridId(G1.into()), None).expect("grid").clone();
    let ring = g.geometry.0[0].exterior().clone();
    let inside: Coord<f64> = geo::InteriorPoint::interior_point(&g.geometry)
        .expect("a point inside")
        .into();
    let lookup_q = format!("/api/v1/lookup?lon={}&lat={}", inside.x, inside.y);
    assert_eq!(s.get_json(&lookup_q).await["base"]["id"], G1);

    // A maximal dry run: G1 redrawn with exactly the vertex limit.
    let body = polygon_json(densify(&ring, limit));
    let (client, url) = (
        s.client.clone(),
        s.url(&format!("/api/v1/grids/{G1}/geometry?dry_run=true")),
    );
    let started = Instant::now();
    let dry_run = tokio::spawn(async move {
        let r = client
            .put(url)
            .bearer_auth(ADMIN)
            .json(&body)
            .send()
            .await
            .expect("put");
        (r.status().as_u16(), started.elapsed())
    });
    // Give the request time to arrive and start planning, then read while it runs.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut during = vec![];
    while !dry_run.is_finished() {
        for path in ["/health", lookup_q.as_str()] {
            let t = Instant::now();
            let r = s.get(path).await;
            let took = t.elapsed();
            assert_eq!(r.status(), 200, "{path}");
            if !dry_run.is_finished() {
                during.push((path.to_string(), took));
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (status, planned) = dry_run.await.expect("dry run task");
    eprintln!("dry run: {status} after {planned:?}; reads during it: {during:?}");
    assert!(status == 200 || status == 422, "dry run answered {status}");
    // Generous for a debug build on a shared machine; at 20,000 positions it took over 17 min.
    assert!(
        planned < Duration::from_secs(60),
        "a maximal dry run at the default limit took {planned:?}"
    );
    assert!(
        during.len() >= 6,
        "the dry run ({planned:?}) ended before several reads could be measured: {during:?}"
    );
    let slow: Vec<_> = during
        .iter()
        .filter(|(_, t)| *t >= Duration::from_millis(100))
        .collect();
    assert!(slow.is_empty(), "reads waited on the dry run: {slow:?}");
}

/// What a copy of the district costs (the edit path plans on one; see `planning_copy` in
/// `src/server/routes/edits.rs`). Figures only:
/// `cargo test --test it -- --ignored http_heavy::district_clone_cost --nocapture`.
#[test]
#[ignore]
fn district_clone_cost() {
    let time = |d: &District| {
        let t = Instant::now();
        for _ in 0..5 {
            std::hint::black_box(d.clone());
        }
        t.elapsed() / 5
    };
    let demo = demo_district();
    let _ = demo.base_cells();
    eprintln!("demo district: {:?} per clone", time(&demo));
    let c = wangge::demo::city::city(250, 200, 10, 0);
    let city = District::new(c.areas, c.grids, c.buildings, vec![]).expect("city");
    let _ = city.base_cells();
    eprintln!("50,000-grid city: {:?} per clone", time(&city));
}
