//! Shared-edge simplification on a jittered mesh partition: at every zoom the simplified cells
//! still partition the frame exactly (no cracks, no overlaps) and every interior edge is still
//! used by exactly two cells, once in each direction.

mod common;

use common::mesh::Mesh;
use geo::{Area, BooleanOps, BoundingRect, Coord, Intersects, MultiPolygon};
use std::collections::HashMap;
use wangge_tiles::{tolerance_for_zoom, Topology};

const LON0: f64 = 116.0;
const LAT0: f64 = 39.875;
const UNIT: f64 = 1.0 / 4096.0; // power of two: lattice → degrees is exact

fn edges(mp: &MultiPolygon<f64>) -> Vec<(Coord<f64>, Coord<f64>)> {
    let mut out = Vec::new();
    for p in &mp.0 {
        for r in std::iter::once(p.exterior()).chain(p.interiors()) {
            out.extend(r.lines().map(|l| (l.start, l.end)));
        }
    }
    out
}

type Bits = (u64, u64);

fn bits(c: Coord<f64>) -> Bits {
    (c.x.to_bits(), c.y.to_bits())
}

#[test]
fn jittered_mesh_stays_a_partition_at_every_zoom() {
    let mesh = Mesh {
        nx: 12,
        ny: 10,
        s: 12,
        k: 6,
        seed: 7,
    };
    let cells = mesh.cells_lonlat(LON0, LAT0, UNIT);
    let topo = Topology::build(&cells);
    // 12×10 cells: 12×11 horizontal + 13×10 vertical edges, less 4: at each frame corner the
    // two outer sides of the corner cell have the same users (just that cell), so no node.
    assert_eq!(topo.arc_count(), 12 * 11 + 13 * 10 - 4);
    let frame_area = (12.0 * 12.0 * UNIT) * (10.0 * 12.0 * UNIT);
    let (x_max, y_max) = (LON0 + 144.0 * UNIT, LAT0 + 120.0 * UNIT);
    let original_vertices: usize = cells.iter().map(|c| edges(c).len()).sum();

    let mut seen_simplification = false;
    for z in [6u8, 8, 10, 11, 12, 13, 14, 16] {
        let tol = tolerance_for_zoom(z, 0.5, LAT0);
        let out = topo.simplify(tol);
        assert_eq!(out.len(), cells.len());
        let vertices: usize = out.iter().map(|c| edges(c).len()).sum();
        if vertices < original_vertices {
            seen_simplification = true;
        }

        // No cell vanished: every cell has 4 corner nodes, so it can't collapse.
        assert!(
            out.iter().all(|c| c.0.len() == 1),
            "z{z}: a cell collapsed or split"
        );

        // Sum of areas = union area = frame area: no overlaps, no cracks.
        let sum: f64 = out.iter().map(|c| c.unsigned_area()).sum();
        let union = out
            .iter()
            .skip(1)
            .fold(out[0].clone(), |acc, c| acc.union(c));
        let union_area = union.unsigned_area();
        assert!(
            (sum - union_area).abs() < 1e-9 * frame_area,
            "z{z}: sum {sum} vs union {union_area}"
        );
        // From z10 on a cell is ≥ 5 pixels and the frame keeps its corners, so the union is the
        // whole frame. Below that, the arc running round a frame corner cell is simplified like
        // any other and may cut the (sub-pixel) corner: the partition stays exact, it just
        // covers a little less.
        if z >= 10 {
            assert!(
                (union_area - frame_area).abs() < 1e-9 * frame_area,
                "z{z}: union {union_area} vs frame {frame_area}"
            );
        }

        // Pairwise: touching cells share an edge but have zero intersection area.
        for a in 0..out.len() {
            let ba = out[a].bounding_rect().expect("non-empty");
            for b in a + 1..out.len() {
                let bb = out[b].bounding_rect().expect("non-empty");
                if !ba.intersects(&bb) {
                    continue;
                }
                let inter = out[a].intersection(&out[b]).unsigned_area();
                assert!(
                    inter < 1e-12 * frame_area,
                    "z{z}: cells {a} and {b} overlap by {inter}"
                );
            }
        }

        // Every directed edge is either on the straight frame or met reversed in exactly one
        // other cell.
        let mut directed: HashMap<(Bits, Bits), usize> = HashMap::new();
        for (ci, c) in out.iter().enumerate() {
            for (s, e) in edges(c) {
                directed.insert((bits(s), bits(e)), ci);
            }
        }
        // Outer boundary edges run between two frame vertices (a cut frame corner too);
        // interior arcs always have at least one end inside the frame.
        let frame_pt = |c: Coord<f64>| c.x == LON0 || c.x == x_max || c.y == LAT0 || c.y == y_max;
        let on_frame = |s: Coord<f64>, e: Coord<f64>| frame_pt(s) && frame_pt(e);
        for (ci, c) in out.iter().enumerate() {
            for (s, e) in edges(c) {
                if on_frame(s, e) {
                    continue;
                }
                match directed.get(&(bits(e), bits(s))) {
                    Some(&other) => assert_ne!(other, ci, "z{z}: cell {ci} meets itself"),
                    None => panic!("z{z}: edge {s:?}→{e:?} of cell {ci} is no longer shared"),
                }
            }
        }
    }
    assert!(
        seen_simplification,
        "the tolerances chosen never simplified anything"
    );
}

#[test]
fn sub_pixel_cells_are_dropped_not_drawn_as_slivers() {
    // A 1×1 unit cell with only 2 nodes of its own (it sits on a single neighbour's edge).
    use geo::polygon;
    let big = polygon![(x: 0., y: 0.), (x: 10., y: 0.), (x: 10., y: 10.), (x: 0., y: 10.), (x: 0., y: 5.), (x: 0.5, y: 5.2), (x: 0., y: 5.4)];
    let tiny = polygon![(x: 0., y: 5.4), (x: 0.5, y: 5.2), (x: 0., y: 5.)];
    let topo = Topology::build(&[MultiPolygon(vec![big]), MultiPolygon(vec![tiny])]);
    let fine = topo.simplify(0.01);
    assert_eq!(fine[1].0.len(), 1);
    let coarse = topo.simplify(1.0);
    assert!(coarse[1].0.is_empty(), "sub-tolerance cell should collapse");
    // The neighbour takes the same straight arc: its area loses exactly the notch.
    assert!((coarse[0].unsigned_area() - 100.0).abs() < 1e-9);
}
