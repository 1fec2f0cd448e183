//! Vector tiles over HTTP: TileJSON, MVT decoded by an independent decoder (npm
//! @mapbox/vector-tile, run through node), ETag revalidation, and eviction after a save.

use crate::common::http::*;
use crate::common::tile_of;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;
use wangge::store::Role;

const G1: &str = "341002001001001";
const COMMUNITY1: &str = "341002001001";

/// Decodes tile bytes with @mapbox/vector-tile (tiles/tests/decode.mjs).
fn decode(bytes: &[u8]) -> Value {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    assert!(
        root.join("tiles/tests/node_modules/@mapbox/vector-tile")
            .exists(),
        "run `npm ci --prefix tiles/tests` first (scripts/test.sh does)"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("tile.mvt");
    std::fs::write(&file, bytes).expect("write tile");
    let out = Command::new("node")
        .arg(root.join("tiles/tests/decode.mjs"))
        .arg(&file)
        .output()
        .expect("node runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("decoder JSON")
}

fn layer<'a>(tile: &'a Value, name: &str) -> &'a [Value] {
    tile["layers"]
        .as_array()
        .and_then(|ls| ls.iter().find(|l| l["name"] == name))
        .and_then(|l| l["features"].as_array())
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

async fn grid_interior(s: &Server, id: &str) -> (f64, f64) {
    let f = s.get_json(&format!("/api/v1/grids/{id}")).await;
    let ring = f["geometry"]["coordinates"][0]
        .as_array()
        .expect("ring")
        .clone();
    let n = (ring.len() - 1) as f64;
    let (sx, sy) = ring[..ring.len() - 1].iter().fold((0.0, 0.0), |(x, y), p| {
        (
            x + p[0].as_f64().unwrap_or(0.0),
            y + p[1].as_f64().unwrap_or(0.0),
        )
    });
    (sx / n, sy / n)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tilejson_and_a_decoded_tile_carry_the_grids_with_their_attributes() {
    let s = start().await;
    let tj = s.get_json("/tiles/grids.json").await;
    insta::assert_json_snapshot!("tilejson_of_the_demo_grids", s.portless(&tj));
    assert_eq!(tj["tilejson"], "3.0.0");
    let ids: Vec<&str> = tj["vector_layers"]
        .as_array()
        .expect("layers")
        .iter()
        .filter_map(|l| l["id"].as_str())
        .collect();
    for l in [
        "communities",
        "base",
        "micro",
        "special",
        "composite",
        "buildings",
        "problems",
    ] {
        assert!(ids.contains(&l), "TileJSON lacks {l}");
    }
    assert!(tj["tiles"][0]
        .as_str()
        .is_some_and(|t| t.ends_with("/tiles/grids/{z}/{x}/{y}.mvt")));

    let (lon, lat) = grid_interior(&s, G1).await;
    let (x, y) = tile_of(lon, lat, 14);
    let r = s.get(&format!("/tiles/grids/14/{x}/{y}.mvt")).await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-type"],
        "application/vnd.mapbox-vector-tile"
    );
    assert_eq!(r.headers()["cache-control"], "no-cache");
    let etag = r.headers()["etag"].to_str().expect("etag").to_string();
    let tile = decode(&r.bytes().await.expect("bytes"));
    let base = layer(&tile, "base");
    let g1 = base
        .iter()
        .find(|f| f["properties"]["code"] == G1)
        .expect("G1 in its tile");
    assert_eq!(g1["type"], 3, "a polygon");
    assert_eq!(
        g1["id"],
        json!(341002001001001u64),
        "an all-digit code is the feature id"
    );
    assert_eq!(g1["properties"]["status"], "active");
    assert!(g1["properties"]["households"]
        .as_u64()
        .is_some_and(|h| (300..=500).contains(&h)));
    assert_eq!(g1["properties"]["standard"], "within");
    assert!(!layer(&tile, "communities").is_empty());
    assert!(!layer(&tile, "buildings").is_empty());
    // Micro grids carry their letter code as a property (their id is a hash).
    assert!(layer(&tile, "micro").iter().all(|f| f["properties"]["code"]
        .as_str()
        .is_some_and(|c| c.contains('W'))));

    // Revalidation: the same ETag answers 304 with no body.
    let r = s
        .client
        .get(s.url(&format!("/tiles/grids/14/{x}/{y}.mvt")))
        .header("If-None-Match", &etag)
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 304);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_save_evicts_the_tiles_it_touches_and_only_those() {
    let s = start().await;
    let (lon, lat) = grid_interior(&s, G1).await;
    let (x, y) = tile_of(lon, lat, 14);
    let near = format!("/tiles/grids/14/{x}/{y}.mvt");
    // A tile far to the north-west of the district.
    let (fx, fy) = tile_of(118.20, 29.82, 14);
    let far = format!("/tiles/grids/14/{fx}/{fy}.mvt");
    let etag = |r: &reqwest::Response| r.headers()["etag"].to_str().expect("etag").to_string();
    let near_before = etag(&s.get(&near).await);
    let far_before = etag(&s.get(&far).await);

    let planner = s.token(Role::Planner, &[COMMUNITY1]).await;
    let r = s
        .client
        .put(s.url(&format!("/api/v1/grids/{G1}/status?reason=no%20worker")))
        .bearer_auth(&planner)
        .header("If-Match", "\"1\"")
        .json(&json!({"status": "suspended"}))
        .send()
        .await
        .expect("put");
    assert_eq!(r.status(), 200);

    let r = s.get(&near).await;
    assert_ne!(
        etag(&r),
        near_before,
        "the edited grid's tile has a new ETag"
    );
    let tile = decode(&r.bytes().await.expect("bytes"));
    let g1 = layer(&tile, "base")
        .iter()
        .find(|f| f["properties"]["code"] == G1)
        .cloned()
        .expect("G1");
    assert_eq!(g1["properties"]["status"], "suspended");
    assert_eq!(
        etag(&s.get(&far).await),
        far_before,
        "an untouched tile stays cached"
    );
    // History: the tile as of before the change still shows the grid active.
    let old = decode(
        &s.get(&format!("{near}?as_of=2024-06-01"))
            .await
            .bytes()
            .await
            .expect("bytes"),
    );
    let g1_old = layer(&old, "base")
        .iter()
        .find(|f| f["properties"]["code"] == G1)
        .cloned()
        .expect("G1");
    assert_eq!(g1_old["properties"]["status"], "active");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_tile_requests_are_problems_naming_the_field() {
    let s = start().await;
    for (path, field) in [
        ("/tiles/grids/25/0/0.mvt", "z"),
        ("/tiles/grids/3/8/0.mvt", "x"),
        ("/tiles/grids/3/x/0.mvt", "x"),
        ("/tiles/grids/3/0/0.png", "y"),
        ("/tiles/grids/3/0/0.mvt?as_of=yesterday", "as_of"),
    ] {
        let p = problem(s.get(path).await, 400).await;
        assert!(names_field(&p, field), "{path}: {p}");
    }
    problem(s.get("/tiles/roads/3/0/0.mvt").await, 404).await;
}

/// Decodes several tiles in one node run (tiles/tests/decode.mjs takes many files).
fn decode_all(tiles: &[Vec<u8>]) -> Vec<Value> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().expect("tempdir");
    let files: Vec<PathBuf> = tiles
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let f = dir.path().join(format!("{i}.mvt"));
            std::fs::write(&f, b).expect("write tile");
            f
        })
        .collect();
    let out = Command::new("node")
        .arg(root.join("tiles/tests/decode.mjs"))
        .args(&files)
        .output()
        .expect("node runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("decoder JSON"))
        .collect()
}

/// Every layer's properties, over the tiles covering the demo district at zoom 14 (where every
/// layer shows), are exactly the fields its TileJSON entry lists: both come from one list. (The
/// problems layer is empty for the clean demo and is compared only when it has features.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_layers_tile_properties_are_its_tilejson_fields() {
    let s = start().await;
    let tj = s.get_json("/tiles/grids.json").await;
    let b: Vec<f64> = tj["bounds"]
        .as_array()
        .expect("bounds")
        .iter()
        .map(|v| v.as_f64().expect("number"))
        .collect();
    let (x0, y0) = tile_of(b[0], b[3], 14);
    let (x1, y1) = tile_of(b[2], b[1], 14);
    let mut bytes = Vec::new();
    for x in x0..=x1 {
        for y in y0..=y1 {
            let r = s.get(&format!("/tiles/grids/14/{x}/{y}.mvt")).await;
            assert_eq!(r.status(), 200);
            bytes.push(r.bytes().await.expect("bytes").to_vec());
        }
    }
    let tiles = decode_all(&bytes);
    let layers = tj["vector_layers"].as_array().expect("layers");
    assert_eq!(layers.len(), 9, "every layer is listed");
    for l in layers {
        let name = l["id"].as_str().expect("layer id");
        let fields: BTreeSet<&str> = l["fields"]
            .as_object()
            .expect("fields")
            .keys()
            .map(String::as_str)
            .collect();
        let mut keys = BTreeSet::new();
        let mut count = 0;
        for t in &tiles {
            for f in layer(t, name) {
                count += 1;
                keys.extend(
                    f["properties"]
                        .as_object()
                        .expect("properties")
                        .keys()
                        .map(String::as_str),
                );
            }
        }
        if name == "problems" && count == 0 {
            // The demo district validates clean: no problem features to compare.
            continue;
        }
        assert!(count > 0, "no {name} features in the demo's tiles");
        // The demo configures household standards for base grids only (by area kind): micro and
        // special grids, which can have one per layer or area, carry no band there.
        let mut expected = fields.clone();
        if name == "micro" || name == "special" {
            for f in ["band_min", "band_max", "standard"] {
                assert!(expected.remove(f), "{name} lists {f}");
            }
        }
        assert_eq!(
            keys, expected,
            "{name}: tile properties against TileJSON fields"
        );
    }
    let base = layers
        .iter()
        .find(|l| l["id"] == "base")
        .expect("base layer");
    for f in ["band_min", "band_max", "standard"] {
        assert!(base["fields"].get(f).is_some(), "base lists {f}");
    }
}
