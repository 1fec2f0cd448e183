//! The HTTP API against the demo district, over real HTTP on loopback.

use crate::common::demo_district;
use crate::common::http::*;
use chrono::NaiveDate;
use geo::Coord;
use serde_json::{json, Value};
use wangge::store::Role;
use wangge_engine::edit::{commit, plan, Edit, EditOptions};
use wangge_engine::lookup::lookup;
use wangge_engine::{District, GridId, Layer};

const G1: &str = "341002001001001";
const COMMUNITY1: &str = "341002001001";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_layers_areas_grids_and_openapi() {
    let s = start().await;
    assert_eq!(s.get("/health").await.status(), 200);
    let layers = s.get_json("/api/v1/layers").await;
    let base = &layers[0];
    assert_eq!(base["id"], "base");
    assert_eq!(base["grids"], 493);
    assert!(layers[3]["networks"]["party_building"].as_u64() > Some(0));
    let tree = s.get_json("/api/v1/areas").await;
    assert_eq!(tree[0]["code"], "341002");
    assert!(!tree[0]["children"].as_array().expect("towns").is_empty());
    let area = s.get_json(&format!("/api/v1/areas/{COMMUNITY1}")).await;
    assert!(area["properties"]["base_grids"]
        .as_array()
        .expect("grids")
        .contains(&json!(G1)));
    let r = s.get(&format!("/api/v1/grids/{G1}")).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["etag"], "\"1\"");
    assert_eq!(r.headers()["content-type"], "application/geo+json");
    let fc = s
        .get_json(&format!(
            "/api/v1/grids?layer=micro&area={COMMUNITY1}&bbox=118.31,29.70,118.32,29.72"
        ))
        .await;
    let feats = fc["features"].as_array().expect("features");
    assert!(!feats.is_empty());
    assert!(feats.iter().all(|f| f["properties"]["layer"] == "micro"));
    let h = s.get_json(&format!("/api/v1/grids/{G1}/history")).await;
    assert_eq!(h["features"].as_array().map(Vec::len), Some(1));
    let doc = s.get_json("/api/openapi.json").await;
    for p in [
        "/api/v1/lookup",
        "/api/v1/grids/{id}/split",
        "/api/v1/tokens",
    ] {
        assert!(doc["paths"][p].is_object(), "OpenAPI lacks {p}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lookup_on_a_shared_boundary_gives_one_grid_and_the_flag() {
    let s = start().await;
    // The west edge of grid 001 is shared with its western neighbour.
    let v = s
        .get_json("/api/v1/lookup?lon=118.3133985&lat=29.7100")
        .await;
    insta::assert_json_snapshot!("lookup_on_a_shared_boundary", s.portless(&v));
    assert_eq!(v["assigned"], true);
    assert_eq!(v["on_boundary"], true);
    assert_eq!(v["base"]["id"], G1);
    assert_eq!(v["overlapping"], json!([]));
    assert_eq!(v["community"]["code"], COMMUNITY1);
    assert_eq!(v["district"]["code"], "341002");
    assert_eq!(v["uncertain"], false, "WGS84 input has no datum error");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gcj02_lookup_converts_and_flags_points_within_the_error_bound() {
    let s = start().await;
    let inside = Coord {
        x: 118.3154679,
        y: 29.70999,
    };
    let g = wangge_engine::datum::wgs84_to_gcj02(inside);
    let v = s
        .get_json(&format!("/api/v1/lookup?lon={}&lat={}&crs=gcj02", g.x, g.y))
        .await;
    assert_eq!(v["base"]["id"], G1);
    assert_eq!(v["uncertain"], false);
    assert!((v["position"][0].as_f64().unwrap_or(0.0) - inside.x).abs() < 1e-7);
    // 0.3 m east of the shared west edge: within GCJ-02's 1 m, so uncertain.
    let near = wangge_engine::datum::wgs84_to_gcj02(Coord {
        x: 118.3133985 + 3e-6,
        y: 29.7100,
    });
    let v = s
        .get_json(&format!(
            "/api/v1/lookup?lon={}&lat={}&crs=GCJ02",
            near.x, near.y
        ))
        .await;
    assert_eq!(v["base"]["id"], G1);
    assert_eq!(v["uncertain"], true, "{v}");
    let p = problem(
        s.get("/api/v1/lookup?lon=118.3&lat=29.7&crs=mars").await,
        400,
    )
    .await;
    assert!(names_field(&p, "crs"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_lookup_json_featurecollection_and_csv() {
    let s = start().await;
    let d = demo_district();
    let pts: Vec<(f64, f64)> = (0..500)
        .map(|i| {
            (
                118.19 + 0.2 * (i as f64 / 500.0),
                29.66 + 0.17 * ((i * 7919 % 500) as f64 / 500.0),
            )
        })
        .collect();
    let expected_assigned = pts
        .iter()
        .filter(|(x, y)| lookup(&d, Coord { x: *x, y: *y }, None).assigned)
        .count();
    let body: Vec<Value> = pts
        .iter()
        .enumerate()
        .map(|(i, (x, y))| json!({"id": i, "lon": x, "lat": y}))
        .collect();
    let r = s
        .client
        .post(s.url("/api/v1/lookup"))
        .json(&body)
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/x-ndjson");
    let text = r.text().await.expect("text");
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("ndjson line"))
        .collect();
    assert_eq!(lines.len(), 500);
    assert!(lines.iter().enumerate().all(|(i, l)| l["index"] == i));
    assert_eq!(
        lines.iter().filter(|l| l["grid_id"].is_string()).count(),
        expected_assigned
    );
    // FeatureCollection of points; a non-point feature gets a per-point error.
    let fc = json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": "a", "geometry": {"type": "Point", "coordinates": [118.3154679, 29.70999]}, "properties": {}},
        {"type": "Feature", "id": "b", "geometry": {"type": "LineString", "coordinates": [[1, 2], [3, 4]]}, "properties": {}},
    ]});
    let text = s
        .client
        .post(s.url("/api/v1/lookup"))
        .header("content-type", "application/geo+json")
        .body(fc.to_string())
        .send()
        .await
        .expect("post")
        .text()
        .await
        .expect("text");
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("line"))
        .collect();
    assert_eq!(lines[0]["grid_id"], G1);
    assert!(lines[1]["error"]
        .as_str()
        .is_some_and(|e| e.contains("not a Point")));
    // CSV in, CSV out, input columns kept.
    let csv = "name,lat,lon\nx,29.70999,118.3154679\ny,95,118.3\n";
    let r = s
        .client
        .post(s.url("/api/v1/lookup"))
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .expect("post");
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap_or("")
        .starts_with("text/csv"));
    let text = r.text().await.expect("text");
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(rows[0], "name,lat,lon,grid_id,grid_code,on_boundary,error");
    assert!(rows[1].starts_with(&format!("x,29.70999,118.3154679,{G1},{G1},false")));
    assert!(rows[2].contains("out of range"));
}

/// A million points in one request (release builds; debug builds default to 200,000 to keep
/// `cargo test` quick). `WANGGE_BATCH_POINTS=1000000 cargo test --release --test it
/// http_api::batch_lookup_of_many_points` is the documented full run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_lookup_of_many_points_streams() {
    let n: usize = std::env::var("WANGGE_BATCH_POINTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if cfg!(debug_assertions) {
            200_000
        } else {
            1_000_000
        });
    let s = start().await;
    let mut csv = String::with_capacity(n * 28 + 8);
    csv.push_str("lon,lat\n");
    let mut x: u64 = 88172645463325252;
    for _ in 0..n {
        // xorshift: deterministic points over the district's extent.
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let a = (x % 1_000_000) as f64 / 1e6;
        let b = ((x >> 20) % 1_000_000) as f64 / 1e6;
        csv.push_str(&format!(
            "{:.7},{:.7}\n",
            118.19 + 0.21 * a,
            29.66 + 0.17 * b
        ));
    }
    let started = std::time::Instant::now();
    let r = s
        .client
        .post(s.url("/api/v1/lookup"))
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 200);
    let mut stream = r.bytes_stream();
    let (mut lines, mut assigned) = (0usize, 0usize);
    let mut rest = Vec::new();
    use futures_util::StreamExt;
    while let Some(chunk) = stream.next().await {
        rest.extend_from_slice(&chunk.expect("chunk"));
        let last = rest.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
        for line in rest[..last]
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
        {
            lines += 1;
            // lon,lat,grid_id,…: a third field that is not empty means assigned.
            if line
                .split(|&b| b == b',')
                .nth(2)
                .is_some_and(|f| !f.is_empty())
            {
                assigned += 1;
            }
        }
        rest.drain(..last);
    }
    assert_eq!(lines, n + 1, "header + one row per point");
    assert!(assigned > n / 2, "{assigned} of {n} assigned");
    eprintln!("{n} points in {:?}", started.elapsed());
}

/// Finds a vertex move the engine accepts, and a point that changes base grid with it.
fn find_move(d: &mut District) -> (Coord<f64>, Coord<f64>, Coord<f64>, String, String) {
    let date = NaiveDate::from_ymd_opt(2030, 1, 1).expect("date");
    let grids: Vec<_> = d
        .base_grids_of(COMMUNITY1, None)
        .into_iter()
        .cloned()
        .collect();
    for g in &grids {
        for c in g.geometry.0[0].exterior().0.iter() {
            for (dx, dy) in [(4e-5, 0.0), (-4e-5, 0.0), (0.0, 4e-5), (0.0, -4e-5)] {
                let to = Coord {
                    x: c.x + dx,
                    y: c.y + dy,
                };
                let edit = Edit::MoveBoundary { from: *c, to };
                let Ok(p) = plan(d, &edit, &EditOptions::on(date)) else {
                    continue;
                };
                if p.changes.changes.len() < 2 {
                    continue;
                }
                // Sample around the move for a point whose grid changes.
                let mut after = d.clone();
                if commit(&mut after, &edit, &EditOptions::on(date)).is_err() {
                    continue;
                }
                for i in 1..10 {
                    let t = i as f64 / 10.0;
                    for (ox, oy) in [(1e-6, 1e-6), (-1e-6, 1e-6), (1e-6, -1e-6), (-1e-6, -1e-6)] {
                        let q = Coord {
                            x: c.x + dx * t + ox,
                            y: c.y + dy * t + oy,
                        };
                        let (b, a) = (lookup(d, q, None), lookup(&after, q, None));
                        if let (Some(b), Some(a)) = (b.base, a.base) {
                            if b.id != a.id && !b.id.is_empty() {
                                return (*c, to, q, b.id, a.id);
                            }
                        }
                    }
                }
            }
        }
    }
    panic!("no movable vertex found in the demo community");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validation_dry_run_save_and_lookup_change() {
    let s = start().await;
    let fc = s.get_json("/api/v1/validation").await;
    let feats = fc["features"].as_array().expect("features");
    assert!(
        feats
            .iter()
            .all(|f| f["properties"]["kind"] == "status_summary"),
        "the demo validates clean (only the reserved/suspended summary)"
    );
    let planner = s.token(Role::Planner, &[COMMUNITY1]).await;
    let mut d = demo_district();
    let (from, to, q, before_grid, after_grid) = find_move(&mut d);
    let body = json!({"from": [from.x, from.y], "to": [to.x, to.y]});
    let lookup_q = format!("/api/v1/lookup?lon={}&lat={}", q.x, q.y);
    assert_eq!(s.get_json(&lookup_q).await["base"]["id"], before_grid);
    let changes_before = s.changes().await;

    // Dry run: impact, nothing stored.
    let r = s
        .client
        .post(s.url("/api/v1/boundaries/move?dry_run=true"))
        .bearer_auth(&planner)
        .json(&body)
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.expect("json");
    assert_eq!(v["dry_run"], true);
    let changed = v["changed"]["features"].as_array().expect("changed");
    assert!(changed.len() >= 2);
    assert!(changed.iter().all(|f| f["properties"]["version"] == 2));
    assert!(v["impact"]["households_changing_grid"].is_u64());
    assert!(v["impact"]["problems_created"]["type"] == "FeatureCollection");
    assert_eq!(s.changes().await, changes_before);
    assert_eq!(s.get_json(&lookup_q).await["base"]["id"], before_grid);

    // Save without a reason: refused, nothing stored.
    let r = s
        .client
        .post(s.url("/api/v1/boundaries/move"))
        .bearer_auth(&planner)
        .json(&body)
        .send()
        .await
        .expect("post");
    assert!(names_field(&problem(r, 400).await, "reason"));

    // Save.
    let r = s
        .client
        .post(s.url("/api/v1/boundaries/move?reason=new%20estate"))
        .bearer_auth(&planner)
        .json(&body)
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.expect("json");
    assert!(v["change_id"].as_i64() > Some(1));
    assert_eq!(s.get_json(&lookup_q).await["base"]["id"], after_grid);
    let log = s.get_json("/api/v1/changes?after=1").await;
    assert_eq!(log[0]["operation"], "move_boundary");
    assert_eq!(log[0]["reason"], "new estate");
    assert!(log[0]["actor"]
        .as_str()
        .is_some_and(|a| a.contains("Planner test")));
    let r = s.get(&format!("/api/v1/grids/{before_grid}")).await;
    assert_eq!(r.headers()["etag"], "\"2\"");
    // History: the first version is still readable with as_of.
    let old = s
        .get_json(&format!("/api/v1/grids/{before_grid}?as_of=2024-06-01"))
        .await;
    assert_eq!(old["properties"]["version"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_if_match_is_412_naming_the_grid_and_roles_are_enforced() {
    let s = start().await;
    let admin = ADMIN;
    let url = s.url(&format!("/api/v1/grids/{G1}/status?reason=test"));
    let body = json!({"status": "suspended"});
    // Anonymous → 401, viewer → 403.
    let r = s.client.put(&url).json(&body).send().await.expect("put");
    problem(r, 401).await;
    let viewer = s.token(Role::Viewer, &[]).await;
    let r = s
        .client
        .put(&url)
        .bearer_auth(&viewer)
        .json(&body)
        .send()
        .await
        .expect("put");
    problem(r, 403).await;
    // Planner of another community → 403 naming the grid.
    let other = s.token(Role::Planner, &["341002002001"]).await;
    let r = s
        .client
        .put(&url)
        .bearer_auth(&other)
        .json(&body)
        .send()
        .await
        .expect("put");
    let p = problem(r, 403).await;
    assert_eq!(p["grid"], G1);
    assert!(p["detail"].as_str().is_some_and(|d| d.contains(COMMUNITY1)));
    // Planner of the grid's town may.
    let town = s.token(Role::Planner, &["341002001"]).await;
    let r = s
        .client
        .put(&url)
        .bearer_auth(&town)
        .header("if-match", "\"1\"")
        .json(&body)
        .send()
        .await
        .expect("put");
    assert_eq!(r.status(), 200);
    // Now version 1 is stale.
    let r = s
        .client
        .put(&url)
        .bearer_auth(admin)
        .header("if-match", "\"1\"")
        .json(&json!({"status": "active"}))
        .send()
        .await
        .expect("put");
    let p = problem(r, 412).await;
    assert_eq!(p["grid"], G1);
    assert!(
        p["detail"]
            .as_str()
            .is_some_and(|d| d.contains("current version is 2")),
        "{p}"
    );
    let v = s
        .get_json("/api/v1/lookup?lon=118.3154679&lat=29.70999")
        .await;
    assert_eq!(v["base"]["status"], "suspended");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ogc_items_page_with_links() {
    let s = start().await;
    let land = s.get_json("/ogc").await;
    assert!(land["links"]
        .as_array()
        .is_some_and(|l| l.iter().any(|x| x["rel"] == "data")));
    let conf = s.get_json("/ogc/conformance").await;
    assert!(conf["conformsTo"].to_string().contains("conf/geojson"));
    let cols = s.get_json("/ogc/collections").await;
    assert_eq!(cols["collections"].as_array().map(Vec::len), Some(4));
    let page = s.get_json("/ogc/collections/base/items?limit=100").await;
    assert_eq!(page["numberMatched"], 493);
    assert_eq!(page["numberReturned"], 100);
    let next = page["links"]
        .as_array()
        .and_then(|l| l.iter().find(|x| x["rel"] == "next"))
        .and_then(|x| x["href"].as_str())
        .expect("next link")
        .to_string();
    let page2: Value = s
        .client
        .get(&next)
        .send()
        .await
        .expect("next")
        .json()
        .await
        .expect("json");
    assert_eq!(page2["numberReturned"], 100);
    assert_ne!(page["features"][0]["id"], page2["features"][0]["id"]);
    assert!(page2["links"].to_string().contains("\"prev\""));
    let last = s
        .get_json("/ogc/collections/base/items?limit=100&offset=400")
        .await;
    assert_eq!(last["numberReturned"], 93);
    assert!(!last["links"].to_string().contains("\"next\""));
    let one = s
        .get_json(&format!("/ogc/collections/base/items/{G1}"))
        .await;
    assert_eq!(one["id"], G1);
    let past = s
        .get_json("/ogc/collections/base/items?datetime=2000-01-01&limit=5")
        .await;
    assert_eq!(past["numberMatched"], 0);
    problem(s.get("/ogc/collections/roads").await, 404).await;
    let p = problem(s.get("/ogc/collections/base/items?limit=0").await, 400).await;
    assert!(names_field(&p, "limit"));
}

fn decimals(v: &Value, max: &mut usize) {
    match v {
        Value::Array(a) => a.iter().for_each(|x| decimals(x, max)),
        Value::Number(n) => {
            let s = n.to_string();
            if let Some((_, frac)) = s.split_once('.') {
                *max = (*max).max(frac.len());
            }
        }
        _ => {}
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_is_rfc7946() {
    let s = start().await;
    let r = s.get("/api/v1/export?layer=base").await;
    assert_eq!(r.status(), 200);
    let text = r.text().await.expect("text");
    let v: Value = serde_json::from_str(&text).expect("one JSON document");
    assert_eq!(v["type"], "FeatureCollection");
    assert!(v.get("crs").is_none(), "RFC 7946 has no crs member");
    let feats = v["features"].as_array().expect("features");
    assert_eq!(feats.len(), 493);
    let mut max = 0;
    for f in feats {
        decimals(&f["geometry"]["coordinates"], &mut max);
        let gj: geojson::Geometry =
            serde_json::from_value(f["geometry"].clone()).expect("geometry");
        let g: geo::Geometry<f64> = gj.try_into().expect("geo");
        let polys: Vec<geo::Polygon<f64>> = match g {
            geo::Geometry::Polygon(p) => vec![p],
            geo::Geometry::MultiPolygon(m) => m.0,
            other => panic!("not polygonal: {other:?}"),
        };
        use geo::Winding;
        for p in polys {
            assert!(p.exterior().is_ccw(), "exterior rings counter-clockwise");
            assert!(p.interiors().iter().all(|r| r.is_cw()), "holes clockwise");
        }
        let c = &f["geometry"]["coordinates"];
        let first = c.pointer("/0/0/0").or(c.pointer("/0/0")).expect("position");
        let lon = first.as_f64().or(first[0].as_f64()).unwrap_or(0.0);
        assert!((118.0..119.0).contains(&lon), "lon first");
    }
    assert!(max <= 7, "at most 7 decimals, found {max}");
    let p = problem(s.get("/api/v1/export?layer=roads").await, 400).await;
    assert!(names_field(&p, "layer"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn people_and_staffing() {
    let s = start().await;
    let planner = s.token(Role::Planner, &[COMMUNITY1]).await;
    let r = s
        .client
        .post(s.url("/api/v1/people"))
        .bearer_auth(&planner)
        .json(&json!({"id": "w1", "name": "张三", "role": "grid_worker", "grids": [G1], "phone": "13800000000"}))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 201);
    let r = s
        .client
        .post(s.url("/api/v1/people"))
        .bearer_auth(&planner)
        .json(&json!({"name": "李四", "role": "grid_head", "grids": [G1]}))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 201);
    // Outside the planner's community: 403; unknown grid: 400 naming it.
    let r = s
        .client
        .post(s.url("/api/v1/people"))
        .bearer_auth(&planner)
        .json(&json!({"name": "王五", "role": "grid_worker", "grids": ["341002002001001"]}))
        .send()
        .await
        .expect("post");
    problem(r, 403).await;
    let r = s
        .client
        .post(s.url("/api/v1/people"))
        .bearer_auth(&planner)
        .json(&json!({"name": "王五", "role": "grid_worker", "grids": ["nope"]}))
        .send()
        .await
        .expect("post");
    assert!(names_field(&problem(r, 400).await, "grids[0]"));
    let people = s.get_json(&format!("/api/v1/people?grid={G1}")).await;
    assert_eq!(people.as_array().map(Vec::len), Some(2));
    let st = s
        .get_json(&format!("/api/v1/staffing?area={COMMUNITY1}"))
        .await;
    let grids = st["grids"].as_u64().expect("grids");
    assert!(grids > 1);
    assert_eq!(st["workers"], 1);
    assert!((st["workers_per_grid"].as_f64().unwrap_or(0.0) - 1.0 / grids as f64).abs() < 1e-9);
    assert_eq!(
        st["grids_without_worker"].as_array().map(Vec::len),
        Some(grids as usize - 1)
    );
    assert!(st["workers_per_resident"].as_f64().is_some_and(|x| x > 0.0));
    let stats = s
        .get_json(&format!("/api/v1/stats?area={COMMUNITY1}"))
        .await;
    let g1 = stats["grids"]
        .as_array()
        .and_then(|g| g.iter().find(|x| x["id"] == G1))
        .expect("grid 001")
        .clone();
    assert_eq!(g1["workers"], 1);
    assert!(g1["households"].as_u64() > Some(0));
    assert_eq!(g1["standard"], json!([300, 500]));
    // Update and delete.
    let r = s
        .client
        .put(s.url("/api/v1/people/w1"))
        .bearer_auth(&planner)
        .json(&json!({"name": "张三", "role": "volunteer", "grids": [G1]}))
        .send()
        .await
        .expect("put");
    assert_eq!(r.status(), 200);
    let st = s
        .get_json(&format!("/api/v1/staffing?area={COMMUNITY1}"))
        .await;
    assert_eq!(st["workers"], 0);
    let r = s
        .client
        .delete(s.url("/api/v1/people/w1"))
        .bearer_auth(&planner)
        .send()
        .await
        .expect("delete");
    assert_eq!(r.status(), 204);
    problem(s.get("/api/v1/people/w1").await, 404).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_are_admin_only_and_the_secret_is_shown_once() {
    let s = start().await;
    let r = s
        .client
        .post(s.url("/api/v1/tokens"))
        .bearer_auth(ADMIN)
        .json(&json!({"name": "town planner", "role": "planner", "areas": ["341002001"]}))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 201);
    let t: Value = r.json().await.expect("json");
    let secret = t["secret"].as_str().expect("secret").to_string();
    assert!(secret.starts_with("wg_") && secret.len() == 67);
    let list = s
        .client
        .get(s.url("/api/v1/tokens"))
        .bearer_auth(ADMIN)
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("text");
    assert!(!list.contains(&secret) && !list.contains("secret"));
    // The new planner cannot manage tokens.
    let r = s
        .client
        .get(s.url("/api/v1/tokens"))
        .bearer_auth(&secret)
        .send()
        .await
        .expect("get");
    problem(r, 403).await;
    let id = t["id"].as_str().expect("id");
    let r = s
        .client
        .delete(s.url(&format!("/api/v1/tokens/{id}")))
        .bearer_auth(ADMIN)
        .send()
        .await
        .expect("delete");
    assert_eq!(r.status(), 204);
    let r = s
        .client
        .get(s.url("/api/v1/layers"))
        .bearer_auth(&secret)
        .send()
        .await
        .expect("get");
    problem(r, 401).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_need_a_token_when_anonymous_read_is_off() {
    let s = start_with(wangge::server::Config {
        anonymous_read: false,
        ..Default::default()
    })
    .await;
    problem(s.get("/api/v1/layers").await, 401).await;
    let viewer = s.token(Role::Viewer, &[]).await;
    let r = s
        .client
        .get(s.url("/api/v1/layers"))
        .bearer_auth(&viewer)
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 200);
    // /health stays open for the load balancer.
    assert_eq!(s.get("/health").await.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_split_and_merge_through_the_api() {
    let s = start().await;
    let d = demo_district();
    let g = d.grid(&GridId(G1.into()), None).expect("grid").clone();
    let rect = geo::BoundingRect::bounding_rect(&g.geometry).expect("rect");
    let mid_x = (rect.min().x + rect.max().x) / 2.0;
    // A split along a north–south line through the middle.
    let line = json!({"type": "LineString", "coordinates": [[mid_x, rect.min().y - 0.001], [mid_x, rect.max().y + 0.001]]});
    let r1 = s
        .client
        .post(s.url(&format!("/api/v1/grids/{G1}/split?dry_run=true")))
        .bearer_auth(ADMIN)
        .json(&json!({"line": line}))
        .send()
        .await
        .expect("post");
    let status = r1.status();
    let v: Value = r1.json().await.expect("json");
    // The split may be refused by the rules (e.g. it would cut a micro grid); either way the
    // answer is a documented shape.
    if status == 200 {
        let changed = v["changed"]["features"].as_array().expect("changed");
        assert!(changed
            .iter()
            .any(|f| f["properties"]["change"] == "retired"));
        assert_eq!(
            changed
                .iter()
                .filter(|f| f["properties"]["change"] == "created")
                .count(),
            2
        );
    } else {
        assert_eq!(status, 422, "{v}");
        assert!(
            v["grid"].is_string() && v["errors"].as_array().is_some_and(|e| !e.is_empty()),
            "{v}"
        );
    }
    // Merge with a grid that does not touch it: refused, nothing stored.
    let before = s.changes().await;
    let r = s
        .client
        .post(s.url("/api/v1/grids/merge?reason=x"))
        .bearer_auth(ADMIN)
        .json(&json!({"ids": [G1, "341002001003001"], "keep": G1}))
        .send()
        .await
        .expect("post");
    assert!(matches!(r.status().as_u16(), 404 | 422), "{}", r.status());
    assert_eq!(s.changes().await, before);
    // Create a micro grid inside grid 001 where no micro grid is: a tiny square near its SE corner.
    let (x0, y0) = (rect.max().x - 0.0004, rect.min().y + 0.00005);
    let sq = json!([[
        [x0, y0],
        [x0 + 0.0002, y0],
        [x0 + 0.0002, y0 + 0.0001],
        [x0, y0 + 0.0001],
        [x0, y0]
    ]]);
    let feature = json!({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": sq},
        "properties": {"layer": "special", "parent": G1, "name": "test school", "category": "school"}});
    let r = s
        .client
        .post(s.url("/api/v1/grids?dry_run=true"))
        .bearer_auth(ADMIN)
        .json(&feature)
        .send()
        .await
        .expect("post");
    let status = r.status();
    let v: Value = r.json().await.expect("json");
    assert!(status == 200 || status == 422, "{status} {v}");
    if status == 200 {
        let created = &v["changed"]["features"][0];
        assert!(created["id"].as_str().is_some_and(|c| c.starts_with(G1)));
        assert_eq!(created["properties"]["layer"], "special");
    }
    let _ = Layer::Base;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_is_503_and_reads_refused_while_loading() {
    use tower::ServiceExt;
    // A state that has not loaded its district yet, as during start-up.
    let state = wangge::server::state::AppState::new(
        wangge::store::Store::memory().await.expect("memory store"),
        wangge::server::Config::default(),
    );
    let app = wangge::server::router(state);
    for path in ["/health", "/api/v1/layers"] {
        let req = axum::http::Request::get(path)
            .body(axum::body::Body::empty())
            .expect("request");
        let r = app.clone().oneshot(req).await.expect("response");
        assert_eq!(r.status(), 503, "{path}");
        assert_eq!(r.headers()["content-type"], "application/problem+json");
    }
}
