//! How far an edit may reach (issue #11): planners stay inside their areas — composites,
//! drafts and new geometries included —, nobody saves a geometry far outside the district,
//! edit dates stay in a window and after the grid's current version, and ids given by a client
//! follow the code rule. Every refusal is a 4xx problem naming the field, and nothing is stored.

use crate::common::demo_district;
use crate::common::http::*;
use geo::{BoundingRect, Coord, LineString, MultiPolygon};
use reqwest::Response;
use serde_json::{json, Value};
use wangge::store::Role;
use wangge_engine::edit::scope::only_inserts_vertices;
use wangge_engine::edit::{plan, Edit, EditOptions};
use wangge_engine::{District, GridId, Layer};

const G1: &str = "341002001001001";
const COMMUNITY1: &str = "341002001001";
const COMMUNITY2: &str = "341002001002";
/// Composites of community 1 (all members there) and of community 2.
const COMPOSITE1: &str = "341002001001CG01";
const COMPOSITE2: &str = "341002001002CG01";

fn square(lon: f64, lat: f64, half: f64) -> Value {
    json!({"type": "Polygon", "coordinates": [[
        [lon - half, lat - half], [lon + half, lat - half], [lon + half, lat + half],
        [lon - half, lat + half], [lon - half, lat - half]
    ]]})
}

/// A point well inside a grid (the centre of its largest polygon's bounding box, checked).
fn inside_point(d: &District, id: &str) -> Coord<f64> {
    let g = d.grid(&GridId(id.into()), None).expect("grid");
    let r = g.geometry.bounding_rect().expect("bbox");
    let c = r.center();
    assert!(
        geo::Contains::contains(&g.geometry, &geo::Point(c)),
        "the centre of {id} lies inside it"
    );
    c
}

async fn send(
    s: &Server,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> Response {
    let mut r = s.client.request(method, s.url(path)).bearer_auth(token);
    if let Some(b) = body {
        r = r.json(&b);
    }
    r.send().await.expect("request")
}

/// The grid's current version number.
async fn version(s: &Server, id: &str) -> u64 {
    s.get_json(&format!("/api/v1/grids/{id}")).await["properties"]["version"]
        .as_u64()
        .expect("version")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn planner_without_areas_cannot_change_composite_status() {
    let s = start().await;
    let nobody = s.token(Role::Planner, &[]).await;
    let changes = s.changes().await;
    for q in [
        "reason=test",
        "dry_run=true",
        "reason=test&force_draft=true",
    ] {
        let r = send(
            &s,
            reqwest::Method::PUT,
            &format!("/api/v1/grids/{COMPOSITE1}/status?{q}"),
            &nobody,
            Some(json!({"status": "suspended"})),
        )
        .await;
        let p = problem(r, 403).await;
        assert_eq!(p["grid"], COMPOSITE1, "{p}");
        assert!(names_field(&p, "grid"), "{p}");
        assert!(
            p["detail"]
                .as_str()
                .is_some_and(|d| d.contains("member") && d.contains("none")),
            "{p}"
        );
    }
    assert_eq!(s.changes().await, changes);
    assert_eq!(version(&s, COMPOSITE1).await, 1);
    // The planner of the community holding every member may.
    let own = s.token(Role::Planner, &[COMMUNITY1]).await;
    let r = send(
        &s,
        reqwest::Method::PUT,
        &format!("/api/v1/grids/{COMPOSITE1}/status?reason=test"),
        &own,
        Some(json!({"status": "suspended"})),
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(version(&s, COMPOSITE1).await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn planner_cannot_reshape_composite_outside_area() {
    let s = start().await;
    let d = demo_district();
    let planner = s.token(Role::Planner, &[COMMUNITY1]).await;
    let changes = s.changes().await;
    // A 20 m square inside the planner's own community, put on another community's composite.
    let c = inside_point(&d, G1);
    let r = send(
        &s,
        reqwest::Method::PUT,
        &format!("/api/v1/grids/{COMPOSITE2}/geometry?reason=test"),
        &planner,
        Some(square(c.x, c.y, 0.0001)),
    )
    .await;
    let p = problem(r, 403).await;
    assert_eq!(p["grid"], COMPOSITE2, "{p}");
    assert!(names_field(&p, "grid"), "{p}");
    // Nor retire it.
    let r = send(
        &s,
        reqwest::Method::DELETE,
        &format!("/api/v1/grids/{COMPOSITE2}?reason=test"),
        &planner,
        None,
    )
    .await;
    problem(r, 403).await;
    assert_eq!(s.changes().await, changes);
    assert_eq!(version(&s, COMPOSITE2).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn force_draft_does_not_bypass_area_check() {
    let s = start().await;
    let d = demo_district();
    let planner = s.token(Role::Planner, &[COMMUNITY1]).await;
    let changes = s.changes().await;
    // A base grid claiming the planner's community, drawn over community 2.
    let other = d.base_grids_of(COMMUNITY2, None)[0].id.0.clone();
    let c = inside_point(&d, &other);
    let feature = json!({"type": "Feature", "geometry": square(c.x, c.y, 0.0002),
        "properties": {"layer": "base", "parent": COMMUNITY1}});
    for q in [
        "reason=test&force_draft=true",
        "dry_run=true&force_draft=true",
    ] {
        let r = send(
            &s,
            reqwest::Method::POST,
            &format!("/api/v1/grids?{q}"),
            &planner,
            Some(feature.clone()),
        )
        .await;
        let p = problem(r, 403).await;
        assert!(names_field(&p, "geometry"), "{q}: {p}");
        assert!(
            p["detail"]
                .as_str()
                .is_some_and(|d| d.contains("outside the areas of your token")),
            "{q}: {p}"
        );
    }
    // Reshaping its own grid over the neighbour, as a draft: refused too.
    let r = send(
        &s,
        reqwest::Method::PUT,
        &format!("/api/v1/grids/{G1}/geometry?reason=test&force_draft=true"),
        &planner,
        Some(square(c.x, c.y, 0.0002)),
    )
    .await;
    let p = problem(r, 403).await;
    assert_eq!(p["grid"], G1, "{p}");
    assert!(names_field(&p, "geometry"), "{p}");
    assert_eq!(s.changes().await, changes);
    let lookup = s
        .get_json(&format!("/api/v1/lookup?lon={}&lat={}", c.x, c.y))
        .await;
    assert_eq!(lookup["base"]["id"], other.as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn near_world_base_grid_refused() {
    let s = start().await;
    let planner = s.token(Role::Planner, &[COMMUNITY1]).await;
    let changes = s.changes().await;
    // Intermediate vertices keep every edge under 180° of longitude, so the ring is read as
    // the near-world box it is (an edge from -179° to 179° is refused earlier as crossing ±180°).
    let world = json!({"type": "Polygon", "coordinates": [[
        [-179.0, -85.0], [0.0, -85.0], [179.0, -85.0], [179.0, 85.0], [0.0, 85.0],
        [-179.0, 85.0], [-179.0, -85.0]
    ]]});
    let paris = square(2.35, 48.85, 0.001);
    for (who, token) in [("admin", ADMIN), ("planner", planner.as_str())] {
        for (what, geometry) in [("near-world", &world), ("Paris", &paris)] {
            let feature = json!({"type": "Feature", "geometry": geometry,
                "properties": {"layer": "base", "parent": COMMUNITY1}});
            let r = send(
                &s,
                reqwest::Method::POST,
                "/api/v1/grids?reason=test&force_draft=true",
                token,
                Some(feature),
            )
            .await;
            let p = problem(r, 400).await;
            assert!(names_field(&p, "geometry"), "{who} {what}: {p}");
            assert!(
                p["detail"]
                    .as_str()
                    .is_some_and(|d| d.contains("outside the district")),
                "{who} {what}: {p}"
            );
            // Reshaping an existing grid to it: the same.
            let r = send(
                &s,
                reqwest::Method::PUT,
                &format!("/api/v1/grids/{G1}/geometry?reason=test&force_draft=true"),
                token,
                Some(geometry.clone()),
            )
            .await;
            let p = problem(r, 400).await;
            assert!(names_field(&p, "geometry"), "{who} {what}: {p}");
        }
    }
    assert_eq!(s.changes().await, changes);
    let paris_lookup = s.get_json("/api/v1/lookup?lon=2.35&lat=48.85").await;
    assert!(paris_lookup["base"].is_null(), "{paris_lookup}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edit_date_far_future_refused_names_date() {
    let s = start().await;
    let changes = s.changes().await;
    for date in ["9999-12-31", "1900-01-01", "2100-01-01"] {
        let r = send(
            &s,
            reqwest::Method::PUT,
            &format!("/api/v1/grids/{G1}/status?reason=test&date={date}"),
            ADMIN,
            Some(json!({"status": "suspended"})),
        )
        .await;
        let p = problem(r, 400).await;
        assert!(names_field(&p, "date"), "{date}: {p}");
        assert!(
            p["detail"]
                .as_str()
                .is_some_and(|d| d.contains(date) && d.contains("days")),
            "{date}: {p}"
        );
    }
    assert_eq!(s.changes().await, changes);
    assert_eq!(version(&s, G1).await, 1);
    // Edits on the grid and its neighbours still work.
    let r = send(
        &s,
        reqwest::Method::PUT,
        &format!("/api/v1/grids/{G1}/status?reason=test"),
        ADMIN,
        Some(json!({"status": "suspended"})),
    )
    .await;
    assert_eq!(r.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edit_date_before_current_version_refused() {
    let s = start().await;
    let today = wangge::server::Config::default().edit_dates.today();
    let yesterday = today.pred_opt().expect("yesterday");
    // The demo's grids start on 2024-01-01: a date before that is before version 1.
    let changes = s.changes().await;
    let r = send(
        &s,
        reqwest::Method::PUT,
        &format!("/api/v1/grids/{G1}/status?reason=test&date=2023-12-31"),
        ADMIN,
        Some(json!({"status": "suspended"})),
    )
    .await;
    let p = problem(r, 400).await;
    assert!(names_field(&p, "date"), "{p}");
    assert_eq!(p["grid"], G1);
    assert_eq!(s.changes().await, changes);
    // Version 2 from today; then an edit dated yesterday is before it.
    let r = send(
        &s,
        reqwest::Method::PUT,
        &format!("/api/v1/grids/{G1}/status?reason=test&date={today}"),
        ADMIN,
        Some(json!({"status": "suspended"})),
    )
    .await;
    assert_eq!(r.status(), 200);
    let changes = s.changes().await;
    let r = send(
        &s,
        reqwest::Method::PUT,
        &format!("/api/v1/grids/{G1}/status?reason=test&date={yesterday}"),
        ADMIN,
        Some(json!({"status": "active"})),
    )
    .await;
    let p = problem(r, 400).await;
    assert!(names_field(&p, "date"), "{p}");
    assert!(
        p["detail"]
            .as_str()
            .is_some_and(|d| d.contains(&today.to_string())),
        "{p}"
    );
    assert_eq!(s.changes().await, changes);
    assert_eq!(version(&s, G1).await, 2);
}

/// A vertical line through the middle of a grid's bounding box, reaching beyond it.
fn middle_line(d: &District, id: &str) -> Value {
    let r = d
        .grid(&GridId(id.into()), None)
        .expect("grid")
        .geometry
        .bounding_rect()
        .expect("bbox");
    let x = r.center().x;
    json!([[x, r.min().y - 0.001], [x, r.max().y + 0.001]])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn split_new_ids_must_follow_code_rule() {
    let s = start().await;
    let d = demo_district();
    let line = middle_line(&d, G1);
    let url = format!("/api/v1/grids/{G1}/split?reason=test");
    let changes = s.changes().await;
    for ids in [
        json!(["\u{202e}100100143", "341002001001902"]),
        json!(["341002001001901", "x'); DROP TABLE grids; --"]),
        json!(["341002001002901", "341002001002902"]),
        json!(["341002001001W901", "341002001001902"]),
        json!(["3410020010019", "341002001001902"]),
    ] {
        let r = send(
            &s,
            reqwest::Method::POST,
            &url,
            ADMIN,
            Some(json!({"line": line, "new_ids": ids})),
        )
        .await;
        let p = problem(r, 400).await;
        assert!(names_field(&p, "new_ids"), "{ids}: {p}");
    }
    assert_eq!(s.changes().await, changes);
    assert_eq!(version(&s, G1).await, 1);
    // Ids that follow the rule are taken (a draft: the line cuts through micro grids).
    let r = send(
        &s,
        reqwest::Method::POST,
        &format!("/api/v1/grids/{G1}/split?dry_run=true&force_draft=true"),
        ADMIN,
        Some(json!({"line": line, "new_ids": ["341002001001901", "341002001001902"]})),
    )
    .await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.expect("json");
    let ids: Vec<&str> = v["changed"]["features"]
        .as_array()
        .expect("changed")
        .iter()
        .filter(|f| f["properties"]["change"] == "created")
        .filter_map(|f| f["id"].as_str())
        .collect();
    assert_eq!(ids, ["341002001001901", "341002001001902"], "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_code_and_id_must_follow_code_rule() {
    let s = start().await;
    let d = demo_district();
    let c = inside_point(&d, G1);
    let changes = s.changes().await;
    for (field, extra) in [
        ("properties.code", json!({"code": "G1' OR 1=1"})),
        ("properties.code", json!({"code": "341002001002901"})),
        ("id", json!({"id": "\u{202e}341002001001901"})),
    ] {
        let mut feature = json!({"type": "Feature", "geometry": square(c.x, c.y, 0.00005),
            "properties": {"layer": "micro", "parent": G1}});
        if let Some(code) = extra.get("code") {
            feature["properties"]["code"] = code.clone();
        }
        if let Some(id) = extra.get("id") {
            feature["id"] = id.clone();
        }
        let r = send(
            &s,
            reqwest::Method::POST,
            "/api/v1/grids?dry_run=true",
            ADMIN,
            Some(feature),
        )
        .await;
        let p = problem(r, 400).await;
        assert!(names_field(&p, field), "{field}: {p}");
    }
    assert_eq!(s.changes().await, changes);
}

/// A base grid with an edge shared with a base grid of another community, and a line that cuts
/// it in two (without breaking the hierarchy) from a lattice point inside that edge, not a
/// vertex, so that the neighbour gets a T-vertex and nothing else. Returns the grid's
/// community, the grid, the neighbour and the line.
fn border_split(d: &mut District) -> (String, String, String, LineString<f64>) {
    let units = |c: Coord<f64>| ((c.x * 1e7).round() as i64, (c.y * 1e7).round() as i64);
    let mut grids: Vec<_> = d
        .grids_of_layer(&Layer::Base, None)
        .into_iter()
        .filter(|g| d.children_of(&g.id, None).is_empty())
        .cloned()
        .collect();
    grids.sort_by(|a, b| a.id.cmp(&b.id));
    for g in &grids {
        let ring = &g.geometry.0[0].exterior().0;
        for w in ring.windows(2) {
            let (a, b) = (units(w[0]), units(w[1]));
            let (dx, dy) = (b.0 - a.0, b.1 - a.1);
            let k = gcd(dx.abs(), dy.abs());
            if k < 2 {
                continue;
            }
            let m = (a.0 + dx / k * (k / 2), a.1 + dy / k * (k / 2));
            let mc = Coord {
                x: m.0 as f64 / 1e7,
                y: m.1 as f64 / 1e7,
            };
            // The edge must be on the community border: a base grid of another community
            // holds the point.
            let neighbour_elsewhere = d.grids_of_layer(&Layer::Base, None).into_iter().any(|n| {
                n.parent != g.parent && geo::Intersects::intersects(&n.geometry, &geo::Point(mc))
            });
            if !neighbour_elsewhere {
                continue;
            }
            let len = ((dx * dx + dy * dy) as f64).sqrt();
            for side in [1.0, -1.0] {
                let n = Coord {
                    x: -(dy as f64) / len * side,
                    y: dx as f64 / len * side,
                };
                let line = LineString(vec![
                    Coord {
                        x: mc.x - n.x * 0.0001,
                        y: mc.y - n.y * 0.0001,
                    },
                    Coord {
                        x: mc.x + n.x * 0.05,
                        y: mc.y + n.y * 0.05,
                    },
                ]);
                let edit = Edit::Split {
                    id: g.id.clone(),
                    line: line.clone(),
                    new_ids: None,
                };
                // Searching for a border grid the line really splits: a line that does not
                // split this grid is the next candidate (the test asserts one is found).
                let Ok(p) = plan(d, &edit, &EditOptions::on(g.valid_from)) else {
                    continue;
                };
                let outside: Vec<_> = p
                    .changes
                    .changes
                    .iter()
                    .filter(|c| {
                        c.after
                            .as_ref()
                            .is_some_and(|a| a.layer == Layer::Base && a.parent != g.parent)
                    })
                    .collect();
                if outside.len() == 1 && only_inserts_vertices(outside[0]) {
                    let n = outside[0].after.as_ref().expect("after").id.0.clone();
                    let community = g.parent.clone().expect("community");
                    return (community, g.id.0.clone(), n, line);
                }
            }
        }
    }
    panic!("no base grid can be split on its community border");
}

fn gcd(a: i64, b: i64) -> i64 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn planner_can_split_grid_on_community_border() {
    let s = start().await;
    let mut d = demo_district();
    let (community, grid, neighbour, line) = border_split(&mut d);
    let planner = s.token(Role::Planner, &[community.as_str()]).await;
    let coords: Vec<[f64; 2]> = line.0.iter().map(|c| [c.x, c.y]).collect();
    let r = send(
        &s,
        reqwest::Method::POST,
        &format!("/api/v1/grids/{grid}/split?reason=test"),
        &planner,
        Some(json!({"line": coords})),
    )
    .await;
    let status = r.status();
    assert_eq!(status, 200, "{:?}", r.text().await);
    // The neighbour took the vertex (a new version) and kept its shape.
    assert_eq!(version(&s, &neighbour).await, 2);
    let old = d
        .grid(&GridId(neighbour.clone()), None)
        .expect("neighbour")
        .clone();
    let now = s.get_json(&format!("/api/v1/grids/{neighbour}")).await;
    let geometry: geojson::Geometry =
        serde_json::from_value(now["geometry"].clone()).expect("geometry");
    let mut after = old.clone();
    after.geometry = match geo::Geometry::<f64>::try_from(geometry).expect("geo") {
        geo::Geometry::MultiPolygon(m) => m,
        geo::Geometry::Polygon(p) => MultiPolygon(vec![p]),
        other => panic!("not polygonal: {other:?}"),
    };
    after.version = 2;
    assert!(only_inserts_vertices(&wangge_engine::edit::GridChange {
        before: Some(old),
        after: Some(after),
    }));
    // The planner still may not edit that neighbour.
    let r = send(
        &s,
        reqwest::Method::PUT,
        &format!("/api/v1/grids/{neighbour}/status?reason=test"),
        &planner,
        Some(json!({"status": "suspended"})),
    )
    .await;
    let p = problem(r, 403).await;
    assert_eq!(p["grid"], neighbour.as_str());
}
