//! Vertex-level topology on the lattice: exact vertex and edge sharing between grids.
//!
//! Everything here works on integer lattice units (see [`crate::lattice`]) so that "the same
//! vertex" and "on this edge" are exact questions, not tolerances. The one tolerance is in
//! [`insert_vertices`]: a cut through a slanted edge lands on the nearest lattice point, which
//! may sit up to ~0.7 unit beside the edge, and the neighbour across that edge must take the
//! same kink or a hairline gap/overlap appears.

use crate::lattice::UNITS_PER_DEGREE;
use geo::{Coord, LineString, MultiPolygon, Polygon};
use rstar::{RTree, AABB};
use std::collections::{HashMap, HashSet};

/// A lattice point in integer units.
pub type Pt = (i64, i64);

/// Distance (in lattice units) within which a new vertex counts as lying on an edge.
/// Rounding to the nearest lattice point moves a point at most √½ ≈ 0.71 unit.
pub const ON_EDGE_UNITS: f64 = 0.75;

pub fn units(c: Coord<f64>) -> Pt {
    (
        (c.x * UNITS_PER_DEGREE).round() as i64,
        (c.y * UNITS_PER_DEGREE).round() as i64,
    )
}

pub fn coord(p: Pt) -> Coord<f64> {
    Coord {
        x: p.0 as f64 / UNITS_PER_DEGREE,
        y: p.1 as f64 / UNITS_PER_DEGREE,
    }
}

/// All rings of a multipolygon (exteriors and holes).
pub fn rings(mp: &MultiPolygon<f64>) -> impl Iterator<Item = &LineString<f64>> {
    mp.0.iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
}

/// The ring's vertices in units without the closing repeat.
pub fn ring_units(ring: &LineString<f64>) -> Vec<Pt> {
    let mut out: Vec<Pt> = ring.0.iter().map(|c| units(*c)).collect();
    if out.len() > 1 && out.first() == out.last() {
        out.pop();
    }
    out
}

pub fn ring_from_units(pts: &[Pt]) -> LineString<f64> {
    let mut coords: Vec<Coord<f64>> = pts.iter().map(|p| coord(*p)).collect();
    if let Some(first) = coords.first().copied() {
        coords.push(first);
    }
    LineString(coords)
}

/// Rebuilds a multipolygon ring by ring.
pub fn map_rings(
    mp: &MultiPolygon<f64>,
    mut f: impl FnMut(&LineString<f64>) -> LineString<f64>,
) -> MultiPolygon<f64> {
    MultiPolygon(
        mp.0.iter()
            .map(|p| Polygon::new(f(p.exterior()), p.interiors().iter().map(&mut f).collect()))
            .collect(),
    )
}

pub fn vertex_set(mp: &MultiPolygon<f64>) -> HashSet<Pt> {
    rings(mp).flat_map(ring_units).collect()
}

pub fn has_vertex(mp: &MultiPolygon<f64>, p: Pt) -> bool {
    rings(mp).any(|r| r.0.iter().any(|c| units(*c) == p))
}

fn cross(o: Pt, a: Pt, b: Pt) -> i128 {
    (a.0 - o.0) as i128 * (b.1 - o.1) as i128 - (a.1 - o.1) as i128 * (b.0 - o.0) as i128
}

/// Where `p` projects on segment `a`–`b` (0 at `a`, 1 at `b`) and its distance from the line,
/// both in units; `None` for a degenerate segment.
fn project(a: Pt, b: Pt, p: Pt) -> Option<(f64, f64)> {
    let (dx, dy) = ((b.0 - a.0) as f64, (b.1 - a.1) as f64);
    let len2 = dx * dx + dy * dy;
    if len2 == 0.0 {
        return None;
    }
    let t = ((p.0 - a.0) as f64 * dx + (p.1 - a.1) as f64 * dy) / len2;
    let dist = cross(a, b, p) as f64 / len2.sqrt();
    Some((t, dist.abs()))
}

/// Whether `p` lies strictly inside segment `a`–`b`, exactly (`tol == 0`) or within `tol` units.
/// Where `p` lies strictly inside segment `a`–`b` (parameter and distance in units), exactly
/// (`tol == 0`) or within `tol` units.
pub fn on_segment_interior(a: Pt, b: Pt, p: Pt, tol: f64) -> Option<(f64, f64)> {
    if p == a || p == b || (tol == 0.0 && cross(a, b, p) != 0) {
        return None;
    }
    let (t, dist) = project(a, b, p)?;
    (t > 0.0 && t < 1.0 && dist <= tol).then_some((t, dist))
}

/// Inserts each of `points` into every edge of `mp` it lies on (within `tol` units) and that
/// does not already have it as a vertex. Returns `None` when nothing was inserted.
///
/// This is the T-junction repair: when an edit puts a new vertex on an edge shared with a
/// neighbour, the neighbour must get the same vertex or the two boundaries stop being
/// bit-identical.
pub fn insert_vertices(
    mp: &MultiPolygon<f64>,
    points: &[Pt],
    tol: f64,
) -> Option<MultiPolygon<f64>> {
    let existing = vertex_set(mp);
    // Each edge is tested only against the points in its box (widened by the tolerance), found
    // in an R-tree of the points: testing every point against every edge was quadratic, and a
    // detailed reshape or split line (thousands of new vertices on a grid of thousands of edges)
    // took minutes (issue #11, High 5).
    let candidates: HashSet<Pt> = points
        .iter()
        .copied()
        .filter(|p| !existing.contains(p))
        .collect();
    if candidates.is_empty() {
        return None;
    }
    let tree = RTree::bulk_load(candidates.into_iter().map(|(x, y)| [x, y]).collect());
    let pad = tol.ceil() as i64;
    // Each point goes into the one edge nearest to it: with a tolerance, a point near a corner
    // could otherwise land in both edges meeting there. Edges are visited in ring order, so a
    // tie goes to the first edge, as before.
    let mut best: HashMap<Pt, (usize, usize, f64, f64)> = HashMap::new();
    for (ri, ring) in rings(mp).enumerate() {
        let pts = ring_units(ring);
        let n = pts.len();
        for i in 0..n {
            let (a, b) = (pts[i], pts[(i + 1) % n]);
            let env = AABB::from_corners(
                [a.0.min(b.0) - pad, a.1.min(b.1) - pad],
                [a.0.max(b.0) + pad, a.1.max(b.1) + pad],
            );
            for &[x, y] in tree.locate_in_envelope(env) {
                let p = (x, y);
                let Some((t, dist)) = on_segment_interior(a, b, p, tol) else {
                    continue;
                };
                if best.get(&p).is_none_or(|cur| dist < cur.3) {
                    best.insert(p, (ri, i, t, dist));
                }
            }
        }
    }
    if best.is_empty() {
        return None;
    }
    let mut per_edge: HashMap<(usize, usize), Vec<(f64, Pt)>> = HashMap::new();
    for (p, (ri, i, t, _)) in best {
        per_edge.entry((ri, i)).or_default().push((t, p));
    }
    let mut ri = 0;
    let out = map_rings(mp, |ring| {
        let pts = ring_units(ring);
        let mut new: Vec<Pt> = Vec::with_capacity(pts.len());
        for (i, p) in pts.iter().enumerate() {
            new.push(*p);
            if let Some(on) = per_edge.get_mut(&(ri, i)) {
                on.sort_by(|x, y| x.0.total_cmp(&y.0));
                new.extend(on.iter().map(|(_, q)| *q));
            }
        }
        ri += 1;
        ring_from_units(&new)
    });
    Some(out)
}

/// Moves every vertex at `from` to `to`.
pub fn move_vertex(mp: &MultiPolygon<f64>, from: Pt, to: Pt) -> MultiPolygon<f64> {
    map_rings(mp, |ring| {
        let pts: Vec<Pt> = ring_units(ring)
            .into_iter()
            .map(|p| if p == from { to } else { p })
            .collect();
        ring_from_units(&pts)
    })
}

/// Segments of a multipolygon in units.
fn segments(mp: &MultiPolygon<f64>) -> Vec<(Pt, Pt)> {
    rings(mp)
        .flat_map(|r| {
            let pts = ring_units(r);
            let n = pts.len();
            (0..n).map(move |i| (pts[i], pts[(i + 1) % n]))
        })
        .filter(|(a, b)| a != b)
        .collect()
}

/// Length, in lattice units, of boundary the two geometries share exactly (collinear
/// overlapping edges). Positive iff the grids are adjacent along an edge, not only at a point.
pub fn shared_length_units(a: &MultiPolygon<f64>, b: &MultiPolygon<f64>) -> f64 {
    let sb = segments(b);
    let mut total = 0.0;
    for (a0, a1) in segments(a) {
        let (lo_x, hi_x) = (a0.0.min(a1.0), a0.0.max(a1.0));
        let (lo_y, hi_y) = (a0.1.min(a1.1), a0.1.max(a1.1));
        for &(b0, b1) in &sb {
            if b0.0.max(b1.0) < lo_x
                || b0.0.min(b1.0) > hi_x
                || b0.1.max(b1.1) < lo_y
                || b0.1.min(b1.1) > hi_y
            {
                continue;
            }
            if cross(a0, a1, b0) != 0 || cross(a0, a1, b1) != 0 {
                continue;
            }
            let (dx, dy) = ((a1.0 - a0.0) as f64, (a1.1 - a0.1) as f64);
            let len = (dx * dx + dy * dy).sqrt();
            let t = |p: Pt| ((p.0 - a0.0) as f64 * dx + (p.1 - a0.1) as f64 * dy) / len;
            let (t0, t1) = (t(b0), t(b1));
            let overlap = t0.max(t1).min(len) - t0.min(t1).max(0.0);
            if overlap > 0.0 {
                total += overlap;
            }
        }
    }
    total
}

/// The one contiguous chain of edges of `a` that `b` also has (as exact edges), as the
/// index of the ring in [`rings`] order, and the chain's first and last vertex positions in
/// that ring. Errors: `Ok(None)` when there is no shared edge; `Err(n)` with the number of
/// separate chains when there is more than one, or when a whole ring is shared.
pub fn shared_chain(
    a: &MultiPolygon<f64>,
    b: &MultiPolygon<f64>,
) -> Result<Option<(usize, usize, usize)>, usize> {
    let b_edges: HashSet<(Pt, Pt)> = segments(b)
        .into_iter()
        .map(|(p, q)| if p < q { (p, q) } else { (q, p) })
        .collect();
    let mut found = Vec::new();
    for (ri, ring) in rings(a).enumerate() {
        let pts = ring_units(ring);
        let n = pts.len();
        let shared: Vec<bool> = (0..n)
            .map(|i| {
                let (p, q) = (pts[i], pts[(i + 1) % n]);
                b_edges.contains(&if p < q { (p, q) } else { (q, p) })
            })
            .collect();
        if n > 0 && shared.iter().all(|s| *s) {
            return Err(usize::MAX);
        }
        for i in 0..n {
            if shared[i] && !shared[(i + n - 1) % n] {
                let mut len = 0;
                while shared[(i + len) % n] {
                    len += 1;
                }
                found.push((ri, i, (i + len) % n));
            }
        }
    }
    match found.len() {
        0 => Ok(None),
        1 => Ok(found.pop()),
        k => Err(k),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    fn sq(x: f64, y: f64, s: f64) -> MultiPolygon<f64> {
        MultiPolygon(vec![
            polygon![(x: x, y: y), (x: x + s, y: y), (x: x + s, y: y + s), (x: x, y: y + s)],
        ])
    }

    #[test]
    fn insert_vertices_puts_a_t_junction_vertex_into_the_edge_it_lies_on() {
        let a = sq(118.0, 29.0, 0.01);
        let mid = units(Coord {
            x: 118.01,
            y: 29.005,
        });
        let off = units(Coord {
            x: 118.02,
            y: 29.005,
        });
        let out = insert_vertices(&a, &[mid, off], 0.0).expect("inserted");
        let ext = ring_units(out.0[0].exterior());
        assert_eq!(ext.len(), 5);
        let i = ext.iter().position(|p| *p == mid).expect("mid present");
        // Between (118.01, 29.0) and (118.01, 29.01).
        assert_eq!(ext[i - 1], units(Coord { x: 118.01, y: 29.0 }));
        assert_eq!(
            ext[(i + 1) % 5],
            units(Coord {
                x: 118.01,
                y: 29.01
            })
        );
        assert!(!ext.contains(&off));
        // Already present: nothing to do.
        assert!(insert_vertices(&out, &[mid], 0.0).is_none());
    }

    /// The pairwise insertion this module used before the R-tree (every point against every
    /// edge), as the oracle.
    fn insert_pairwise(mp: &MultiPolygon<f64>, points: &[Pt], tol: f64) -> Vec<Vec<Pt>> {
        let existing = vertex_set(mp);
        let mut best: HashMap<Pt, (usize, usize, f64, f64)> = HashMap::new();
        for (ri, ring) in rings(mp).enumerate() {
            let pts = ring_units(ring);
            let n = pts.len();
            for i in 0..n {
                for &p in points.iter().filter(|p| !existing.contains(p)) {
                    if let Some((t, d)) = on_segment_interior(pts[i], pts[(i + 1) % n], p, tol) {
                        if best.get(&p).is_none_or(|c| d < c.3) {
                            best.insert(p, (ri, i, t, d));
                        }
                    }
                }
            }
        }
        rings(mp)
            .enumerate()
            .map(|(ri, ring)| {
                let mut out = vec![];
                for (i, p) in ring_units(ring).into_iter().enumerate() {
                    out.push(p);
                    let mut on: Vec<(f64, Pt)> = best
                        .iter()
                        .filter(|(_, b)| (b.0, b.1) == (ri, i))
                        .map(|(q, b)| (b.2, *q))
                        .collect();
                    on.sort_by(|x, y| x.0.total_cmp(&y.0));
                    out.extend(on.into_iter().map(|(_, q)| q));
                }
                out
            })
            .collect()
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 256, rng_seed: proptest::test_runner::RngSeed::Fixed(5), .. Default::default() })]

        /// Issue #11 (High 5): the R-tree insertion answers what the pairwise one did, on
        /// slanted rings with points on, beside and off their edges, with and without tolerance.
        #[test]
        fn insert_vertices_agrees_with_pairwise_insertion(
            ring in proptest::collection::vec((0i64..40, 0i64..40), 3..8),
            points in proptest::collection::vec((0i64..40, 0i64..40), 0..30),
            tolerant in proptest::bool::ANY,
        ) {
            let tol = if tolerant { ON_EDGE_UNITS } else { 0.0 };
            let mp = MultiPolygon(vec![Polygon::new(ring_from_units(&ring), vec![])]);
            let expected = insert_pairwise(&mp, &points, tol);
            let got: Vec<Vec<Pt>> = match insert_vertices(&mp, &points, tol) {
                Some(out) => rings(&out).map(ring_units).collect(),
                None => rings(&mp).map(ring_units).collect(),
            };
            proptest::prop_assert_eq!(got, expected);
        }
    }

    #[test]
    fn insert_vertices_with_tolerance_takes_a_point_half_a_unit_beside_a_slanted_edge() {
        let a = MultiPolygon(vec![
            polygon![(x: 0.0, y: 0.0), (x: 3e-7, y: 7e-7), (x: 0.0, y: 7e-7)],
        ]);
        // (1, 2) is 1/sqrt(58) ≈ 0.13 unit from the edge (0,0)–(3,7).
        assert!(insert_vertices(&a, &[(1, 2)], 0.0).is_none());
        let out = insert_vertices(&a, &[(1, 2)], ON_EDGE_UNITS).expect("inserted");
        assert_eq!(
            ring_units(out.0[0].exterior()),
            vec![(0, 0), (1, 2), (3, 7), (0, 7)]
        );
    }

    #[test]
    fn shared_length_counts_only_collinear_overlap() {
        let a = sq(118.0, 29.0, 0.01);
        let b = sq(118.01, 29.005, 0.01);
        let c = sq(118.01, 29.01, 0.01);
        assert!((shared_length_units(&a, &b) - 0.005 * UNITS_PER_DEGREE).abs() < 1e-6);
        // c touches a only at a corner.
        assert_eq!(shared_length_units(&a, &c), 0.0);
    }

    #[test]
    fn shared_chain_finds_the_single_common_run() {
        let a = sq(118.0, 29.0, 0.01);
        let b = sq(118.01, 29.0, 0.01);
        let (ri, s, e) = shared_chain(&a, &b).expect("one chain").expect("some");
        let pts = ring_units(rings(&a).nth(ri).expect("ring"));
        let ends = [pts[s], pts[e]];
        assert!(ends.contains(&units(Coord { x: 118.01, y: 29.0 })));
        assert!(ends.contains(&units(Coord {
            x: 118.01,
            y: 29.01
        })));
        assert_eq!(shared_chain(&a, &sq(118.02, 29.0, 0.01)), Ok(None));
    }

    #[test]
    fn move_vertex_moves_every_copy() {
        let a = sq(118.0, 29.0, 0.01);
        let from = units(Coord {
            x: 118.01,
            y: 29.01,
        });
        let m = move_vertex(&a, from, (0, 0));
        assert!(has_vertex(&m, (0, 0)));
        assert!(!has_vertex(&m, from));
    }
}
