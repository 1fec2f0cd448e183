//! Cross-check with the JavaScript decoder MapLibre's ecosystem uses: sample tiles are written
//! to a temp dir, decoded by `node tiles/tests/decode.mjs` (@mapbox/vector-tile + pbf), and the
//! ids, types, properties and geometry it reports must equal what the Rust-side decoder reads.
//!
//! Needs `node` and `npm install --prefix tiles/tests` (package.json + package-lock.json are
//! checked in). Missing either is a failure, not a skip, so CI cannot pass without the check.

mod common;

use common::decode::{decode, paths, Value};
use common::mesh::Mesh;
use common::samples;
use geo::Geometry;
use serde_json::{json, Value as Json};
use std::path::Path;
use std::process::Command;
use wangge_tiles::math::tiles_covering;
use wangge_tiles::{encode_tile, EncodeOptions, Feature, Layer, PropValue, Topology};

fn value_json(v: &Value) -> Json {
    if let Some(s) = &v.string_value {
        json!(s)
    } else if let Some(f) = v.float_value {
        json!(f)
    } else if let Some(d) = v.double_value {
        json!(d)
    } else if let Some(i) = v.int_value {
        json!(i)
    } else if let Some(u) = v.uint_value {
        json!(u)
    } else if let Some(s) = v.sint_value {
        json!(s)
    } else {
        json!(v.bool_value)
    }
}

/// The Rust decoder's view, shaped like decode.mjs's output (vector-tile-js conventions:
/// closed rings repeat their first point; each point of a multipoint is its own "ring").
fn rust_view(bytes: &[u8]) -> Json {
    let layers: Vec<Json> = decode(bytes)
        .layers
        .iter()
        .map(|l| {
            let features: Vec<Json> = l
                .features
                .iter()
                .map(|f| {
                    let mut props = serde_json::Map::new();
                    for kv in f.tags.chunks(2) {
                        props.insert(
                            l.keys[kv[0] as usize].clone(),
                            value_json(&l.values[kv[1] as usize]),
                        );
                    }
                    let geometry: Vec<Json> = paths(&f.geometry)
                        .expect("valid commands")
                        .into_iter()
                        .map(|p| {
                            let mut pts: Vec<Json> =
                                p.points.iter().map(|&(x, y)| json!([x, y])).collect();
                            if p.closed {
                                pts.push(pts[0].clone());
                            }
                            Json::Array(pts)
                        })
                        .collect();
                    json!({"id": f.id, "type": f.r#type, "properties": props, "geometry": geometry})
                })
                .collect();
            json!({"name": l.name, "version": l.version, "extent": l.extent, "features": features})
        })
        .collect();
    Json::Array(layers)
}

fn mesh_tiles() -> Vec<Vec<u8>> {
    let mesh = Mesh {
        nx: 8,
        ny: 6,
        s: 12,
        k: 6,
        seed: 11,
    };
    let cells = mesh.cells_lonlat(116.25, 39.875, 1.0 / 16384.0);
    let topo = Topology::build(&cells);
    let z = 15;
    let mut layer = Layer::new("grids");
    for (i, mp) in topo
        .simplify(wangge_tiles::tolerance_for_zoom(z, 0.5, 39.9))
        .into_iter()
        .enumerate()
    {
        layer.push(Feature {
            id: i as u64,
            geometry: Geometry::MultiPolygon(mp),
            properties: vec![("code".into(), PropValue::String(format!("G{i}")))],
        });
    }
    let bbox = geo::Rect::new(
        geo::Coord {
            x: 116.25,
            y: 39.875,
        },
        geo::Coord {
            x: 116.25 + 96.0 / 16384.0,
            y: 39.875 + 72.0 / 16384.0,
        },
    );
    tiles_covering(bbox, z, 0, 4096)
        .expect("zoom ok")
        .iter()
        .map(|t| {
            encode_tile(t, std::slice::from_ref(&layer), &EncodeOptions::default())
                .expect("encodes")
        })
        .filter(|b| !b.is_empty())
        .collect()
}

#[test]
fn javascript_decoder_reads_what_we_wrote() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    assert!(
        dir.join("node_modules/@mapbox/vector-tile").is_dir()
            && dir.join("node_modules/pbf").is_dir(),
        "tiles/tests/node_modules is missing: run `npm ci --prefix tiles/tests` (needs node + npm)"
    );
    let tmp = tempfile::tempdir().expect("temp dir");
    let mut tiles = vec![encode_tile(
        samples::tile(),
        &samples::layers(),
        &EncodeOptions::default(),
    )
    .expect("encodes")];
    tiles.extend(mesh_tiles());
    assert!(tiles.len() >= 3);
    let mut files = Vec::new();
    for (i, t) in tiles.iter().enumerate() {
        let f = tmp.path().join(format!("{i}.mvt"));
        std::fs::write(&f, t).expect("write tile");
        files.push(f);
    }
    let out = Command::new("node")
        .arg(dir.join("decode.mjs"))
        .args(&files)
        .output()
        .unwrap_or_else(|e| panic!("could not run `node` ({e}): install Node.js to run this test"));
    assert!(
        out.status.success(),
        "decode.mjs failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).expect("utf-8");
    let docs: Vec<Json> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(docs.len(), tiles.len());
    for (i, (doc, bytes)) in docs.iter().zip(&tiles).enumerate() {
        assert_eq!(
            doc["layers"],
            rust_view(bytes),
            "tile {i}: JS and Rust decoders disagree"
        );
    }
    // And the JS view of the sample matches the intent, not only the Rust decoder.
    let grids = &docs[0]["layers"][0];
    assert_eq!(grids["name"], "grids");
    assert_eq!(
        grids["features"][1]["geometry"][0],
        json!([
            [3000, 2000],
            [4160, 2000],
            [4160, 3000],
            [3000, 3000],
            [3000, 2000]
        ])
    );
    assert_eq!(grids["features"][0]["properties"]["code"], "110105001001");
    assert_eq!(grids["features"][0]["properties"]["delta"], -3);
}
