//! Encoded tiles decoded by an independent decoder (prost + a spec-written command decoder)
//! and compared, as readable text, with checked-in snapshots.

mod common;

use common::decode::{decode, paths, to_text, twice_area};
use common::mesh::Mesh;
use common::{assert_snapshot, samples};
use geo::Geometry;
use wangge_tiles::math::tiles_covering;
use wangge_tiles::{encode_tile, EncodeOptions, Feature, Layer, PropValue, TileId, Topology};

#[test]
fn sample_tile_snapshot() {
    let bytes = encode_tile(
        samples::tile(),
        &samples::layers(),
        &EncodeOptions::default(),
    )
    .expect("encodes");
    assert_snapshot("sample_tile.txt", &to_text(&bytes));
}

/// Spec rules every produced tile must follow, checked on the decoded form.
fn check_spec(bytes: &[u8], opts: &EncodeOptions) {
    let lo = -i64::from(opts.buffer);
    let hi = i64::from(opts.extent + opts.buffer);
    for l in decode(bytes).layers {
        assert_eq!(l.version, Some(2));
        assert_eq!(l.extent, Some(opts.extent));
        assert!(!l.features.is_empty(), "empty layers are omitted");
        for f in &l.features {
            assert!(f.id.is_some(), "every feature has an id");
            assert_eq!(f.tags.len() % 2, 0);
            let ps = paths(&f.geometry).expect("valid command stream");
            assert!(!ps.is_empty());
            for p in &ps {
                for &(x, y) in &p.points {
                    assert!(
                        x >= lo && x <= hi && y >= lo && y <= hi,
                        "({x},{y}) outside the buffer"
                    );
                }
            }
            if f.r#type == Some(3) {
                // First ring of a polygon is an exterior: positive area, y down (spec 4.3.4.4).
                assert!(ps.iter().all(|p| p.closed && p.points.len() >= 3));
                assert!(twice_area(&ps[0].points) > 0, "first ring must be exterior");
                assert!(ps.iter().all(|p| twice_area(&p.points) != 0));
            }
        }
    }
}

#[test]
fn mesh_tiles_follow_the_spec_at_several_zooms() {
    let mesh = Mesh {
        nx: 30,
        ny: 20,
        s: 12,
        k: 6,
        seed: 3,
    };
    let cells = mesh.cells_lonlat(116.25, 39.875, 1.0 / 16384.0);
    let topo = Topology::build(&cells);
    let opts = EncodeOptions::default();
    let bbox = geo::Rect::new(
        geo::Coord {
            x: 116.25,
            y: 39.875,
        },
        geo::Coord {
            x: 116.25 + 360.0 / 16384.0,
            y: 39.875 + 240.0 / 16384.0,
        },
    );
    let mut summary = String::new();
    for z in [10u8, 13, 15, 16] {
        let simplified = topo.simplify(wangge_tiles::tolerance_for_zoom(z, 0.5, 39.9));
        let mut layer = Layer::new("grids");
        for (i, mp) in simplified.into_iter().enumerate() {
            if mp.0.is_empty() {
                continue;
            }
            layer.push(Feature {
                id: i as u64 + 1,
                geometry: Geometry::MultiPolygon(mp),
                properties: vec![("code".into(), PropValue::String(format!("G{i:04}")))],
            });
        }
        let range = tiles_covering(bbox, z, 0, 4096).expect("valid zoom");
        let (mut n, mut features, mut bytes_total) = (0, 0, 0);
        for t in range.iter() {
            let bytes = encode_tile(t, std::slice::from_ref(&layer), &opts).expect("encodes");
            check_spec(&bytes, &opts);
            n += 1;
            bytes_total += bytes.len();
            features += decode(&bytes)
                .layers
                .iter()
                .map(|l| l.features.len())
                .sum::<usize>();
        }
        summary += &format!("z{z}: {n} tiles, {features} features, {bytes_total} bytes\n");
    }
    // Sizes pin the encoder's output; a change here means the bytes changed: review it.
    assert_snapshot("mesh_summary.txt", &summary);
}

#[test]
fn invalid_tile_addresses_are_refused() {
    assert!(TileId::new(25, 0, 0).is_err());
    assert!(TileId::new(3, 8, 0).is_err());
    assert!(TileId::new(3, 0, 8).is_err());
}
