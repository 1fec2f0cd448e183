//! Geometry validity, with a fast path for the common case and geo's `Validation` for the rest.
//!
//! Why not only geo: its ring check tests every pair of segments with an exact intersection
//! (`linestring_has_self_intersection`), and on the 50,000-grid city that was about half of a
//! whole-layer validation (perf, after the overlay work was cut by the edge certificate). Almost
//! every grid is one polygon without holes whose ring is simple; proving that only needs the
//! segment pairs whose boxes meet, found by sorting the segments by x, with the same robust
//! predicates. Whatever the fast path cannot prove simple goes to geo, so the answer is always
//! geo's answer.

use geo::kernels::{Kernel, Orientation, RobustKernel};
use geo::{Coord, Intersects, Line, LineString, MultiPolygon, Validation};

/// geo's `is_valid`, answered without it when the geometry is one polygon with no holes and a
/// simple ring.
pub fn is_valid(mp: &MultiPolygon<f64>) -> bool {
    if let [p] = mp.0.as_slice() {
        if p.interiors().is_empty() && ring_is_simple(p.exterior()) {
            return true;
        }
    }
    mp.is_valid()
}

/// True when the closed ring has at least three segments, finite coordinates, no repeated
/// consecutive points, and no two segments meeting except consecutive ones at their shared
/// end. `false` means "not proved simple".
pub fn ring_is_simple(ring: &LineString<f64>) -> bool {
    let pts = &ring.0;
    let n = pts.len().saturating_sub(1); // segments
    if n < 3 || pts.first() != pts.last() {
        return false;
    }
    if pts.iter().any(|c| !c.x.is_finite() || !c.y.is_finite()) {
        return false;
    }
    if pts.windows(2).any(|w| w[0] == w[1]) {
        return false;
    }
    let seg = |i: usize| Line::new(pts[i], pts[i + 1]);
    // Consecutive segments may only share their common end: turning straight back along the
    // previous segment overlaps it.
    for i in 0..n {
        let (p, q, r) = (pts[i], pts[i + 1], pts[(i + 2) % n]);
        if RobustKernel::orient2d(p, q, r) == Orientation::Collinear
            && (p.x - q.x) * (r.x - q.x) + (p.y - q.y) * (r.y - q.y) > 0.0
        {
            return false;
        }
    }
    // Every other pair of segments must not meet at all; only pairs whose x-ranges overlap
    // can, so sweep the segments in order of their left end.
    let min_x = |i: usize| pts[i].x.min(pts[i + 1].x);
    let max_x = |i: usize| pts[i].x.max(pts[i + 1].x);
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_unstable_by(|&a, &b| min_x(a).total_cmp(&min_x(b)));
    let adjacent = |a: usize, b: usize| a.abs_diff(b) == 1 || a.abs_diff(b) == n - 1;
    for (k, &a) in order.iter().enumerate() {
        let (ay0, ay1) = y_range(pts[a], pts[a + 1]);
        for &b in &order[k + 1..] {
            if min_x(b) > max_x(a) {
                break;
            }
            if adjacent(a, b) {
                continue;
            }
            let (by0, by1) = y_range(pts[b], pts[b + 1]);
            if by0 > ay1 || by1 < ay0 {
                continue;
            }
            if seg(a).intersects(&seg(b)) {
                return false;
            }
        }
    }
    true
}

fn y_range(a: Coord<f64>, b: Coord<f64>) -> (f64, f64) {
    (a.y.min(b.y), a.y.max(b.y))
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{coord, Polygon};
    use proptest::prelude::*;

    fn ring(c: &[(f64, f64)]) -> LineString<f64> {
        let mut v: Vec<Coord<f64>> = c.iter().map(|&(x, y)| coord! {x: x, y: y}).collect();
        v.push(v[0]);
        LineString(v)
    }

    #[test]
    fn a_square_is_simple_and_a_bow_tie_is_not() {
        assert!(ring_is_simple(&ring(&[
            (0., 0.),
            (1., 0.),
            (1., 1.),
            (0., 1.)
        ])));
        assert!(!ring_is_simple(&ring(&[
            (0., 0.),
            (1., 1.),
            (1., 0.),
            (0., 1.)
        ])));
    }

    #[test]
    fn a_ring_touching_itself_at_a_vertex_is_not_proved_simple() {
        // The spike at (1, 1) touches the vertex (1, 1) of the other lobe.
        let r = ring(&[(0., 0.), (2., 0.), (1., 1.), (2., 2.), (0., 2.), (1., 1.)]);
        assert!(!ring_is_simple(&r));
    }

    #[test]
    fn a_spike_back_along_the_previous_edge_is_not_simple() {
        let r = ring(&[(0., 0.), (2., 0.), (1., 0.), (1., 1.)]);
        assert!(!ring_is_simple(&r));
        let repeated = ring(&[(0., 0.), (1., 0.), (1., 0.), (1., 1.)]);
        assert!(!ring_is_simple(&repeated));
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, .. ProptestConfig::default() })]

        /// Whenever the fast path says "simple", geo agrees that the polygon is valid; and the
        /// combined answer is always geo's.
        #[test]
        fn the_fast_path_agrees_with_geo(
            pts in proptest::collection::vec((0i32..8, 0i32..8), 3..9),
        ) {
            let r = ring(&pts.iter().map(|&(x, y)| (f64::from(x), f64::from(y))).collect::<Vec<_>>());
            let mp = MultiPolygon(vec![Polygon::new(r.clone(), vec![])]);
            if ring_is_simple(&r) {
                prop_assert!(mp.is_valid(), "{:?}", r);
            }
            prop_assert_eq!(is_valid(&mp), mp.is_valid());
        }
    }
}
