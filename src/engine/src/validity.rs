//! Geometry validity with geo's rules (`geo::Validation`) in O(n log n) for a ring.
//!
//! Why not geo's `Validation` itself: its ring check (`linestring_has_self_intersection`) tests
//! every ordered pair of segments: a 32,000-vertex dry run took 71 s and a 100,000-vertex
//! one stalled the service (issue #11, High 5). Everything else geo checks
//! (holes against the shell, holes against each other, parts of a multipolygon) goes through its
//! `Relate`, whose edge intersection is R-tree based, so those checks are kept as they are and
//! only the ring check is replaced: a Shamos–Hoey sweep (sort the segment ends, keep the
//! segments crossing the sweep line in an ordered set, test each segment against its
//! neighbours there only) with geo's robust predicates. It answers exactly what geo's pairwise
//! loop answers (the property tests below compare the two on small integer rings, where touches,
//! collinear overlaps and repeated points are common), in O(n log n): the unit test counts
//! about 150 order comparisons and intersection tests per segment on a 20,000-vertex star, where geo's loop
//! makes 20,000 (release timings: `cargo bench --bench engine -- validity`).
//!
//! Why not a crate: geo's own Bentley–Ottmann `sweep::Intersections` reports every meeting pair
//! (each vertex's two segments too) and panics on some degenerate inputs ("segment not found in
//! active-vec-set", georust/geo#1342, its rewrite still open as #1358); i_overlay resolves
//! self-intersections rather than reporting them. The sweep here stops at the first pair that
//! may not meet, and falls back to the pairwise loop instead of panicking if its order ever
//! turns out inconsistent.
//!
//! Multipolygon parts are compared pairwise with `Relate` as geo does, but only when their
//! bounding boxes meet (parts whose boxes are apart can neither overlap nor touch, so geo's
//! answer for them is "no error").

use geo::algorithm::validation::{
    CoordIndex, GeometryIndex, InvalidMultiPolygon, InvalidPolygon, RingRole,
};
use geo::coordinate_position::CoordPos;
use geo::dimensions::Dimensions;
use geo::kernels::{Kernel, Orientation, RobustKernel};
use geo::{
    BoundingRect, Coord, Intersects, Line, LineString, MultiPolygon, Polygon, PreparedGeometry,
    Relate, RemoveRepeatedPoints,
};
use std::cmp::Ordering;
use std::collections::BTreeSet;
use std::ops::Bound;
use std::ops::ControlFlow;

/// geo's `is_valid` for a multipolygon, answered in O(n log n) per ring.
pub fn is_valid(mp: &MultiPolygon<f64>) -> bool {
    visit(mp, &mut |_| ControlFlow::Break(())).is_continue()
}

/// geo's `validation_errors` for a multipolygon (the same errors, in the same order), except
/// that the checks between rings and between parts are skipped once a ring itself is invalid
/// (geo runs them on broken rings too; the first error is the same).
pub fn validation_errors(mp: &MultiPolygon<f64>) -> Vec<InvalidMultiPolygon> {
    let mut out = vec![];
    let _ = visit(mp, &mut |e| {
        out.push(e);
        ControlFlow::Continue(())
    });
    out
}

/// The first validation error of a multipolygon, if any.
pub fn first_error(mp: &MultiPolygon<f64>) -> Option<InvalidMultiPolygon> {
    let mut first = None;
    let _ = visit(mp, &mut |e| {
        first = Some(e);
        ControlFlow::Break(())
    });
    first
}

type Sink<'a> = dyn FnMut(InvalidMultiPolygon) -> ControlFlow<()> + 'a;

fn visit(mp: &MultiPolygon<f64>, sink: &mut Sink<'_>) -> ControlFlow<()> {
    // Every ring by itself first (cheap); geo interleaves these with the checks below, so when
    // a ring is broken the first error may be another of geo's errors than geo's first.
    let mut rings_ok = true;
    for (i, p) in mp.0.iter().enumerate() {
        let mut wrap =
            |e: InvalidPolygon| sink(InvalidMultiPolygon::InvalidPolygon(GeometryIndex(i), e));
        rings_ok &= visit_rings(p, &mut wrap)?;
    }
    if !rings_ok {
        return ControlFlow::Continue(());
    }
    // Then geo's order: a polygon's holes, then that polygon against the later ones.
    let boxes: Vec<_> = mp.0.iter().map(BoundingRect::bounding_rect).collect();
    for (i, p) in mp.0.iter().enumerate() {
        let mut wrap =
            |e: InvalidPolygon| sink(InvalidMultiPolygon::InvalidPolygon(GeometryIndex(i), e));
        visit_holes(p, &mut wrap)?;
        for (j, q) in mp.0.iter().enumerate().skip(i + 1) {
            let apart = match (boxes[i], boxes[j]) {
                (Some(a), Some(b)) => !a.intersects(&b),
                _ => true, // an empty part relates to nothing
            };
            if apart {
                continue;
            }
            let im = p.relate(q);
            if im.get(CoordPos::Inside, CoordPos::Inside) == Dimensions::TwoDimensional {
                sink(InvalidMultiPolygon::ElementsOverlaps(
                    GeometryIndex(i),
                    GeometryIndex(j),
                ))?;
            }
            if im.get(CoordPos::OnBoundary, CoordPos::OnBoundary) == Dimensions::OneDimensional {
                sink(InvalidMultiPolygon::ElementsTouchOnALine(
                    GeometryIndex(i),
                    GeometryIndex(j),
                ))?;
            }
        }
    }
    ControlFlow::Continue(())
}

/// geo's checks of each ring of a polygon by itself, with the fast self-intersection check.
/// Breaks when the sink does; otherwise continues with whether every ring was valid.
fn visit_rings(
    p: &Polygon<f64>,
    sink: &mut dyn FnMut(InvalidPolygon) -> ControlFlow<()>,
) -> ControlFlow<(), bool> {
    if p.exterior().0.is_empty() {
        return ControlFlow::Continue(true); // geo: an empty polygon is valid
    }
    let mut rings_ok = true;
    for (k, ring) in std::iter::once(p.exterior())
        .chain(p.interiors())
        .enumerate()
    {
        if ring.0.is_empty() {
            continue;
        }
        let role = if k == 0 {
            RingRole::Exterior
        } else {
            RingRole::Interior(k - 1)
        };
        let finite = ring.0.iter().all(|c| c.x.is_finite() && c.y.is_finite());
        let deduped = ring.remove_repeated_points();
        if deduped.0.len() < 4 {
            rings_ok = false;
            sink(InvalidPolygon::TooFewPointsInRing(role))?;
        } else if finite && !ring_is_simple(&deduped) {
            rings_ok = false;
            sink(InvalidPolygon::SelfIntersection(role))?;
        }
        for (ci, c) in ring.0.iter().enumerate() {
            if !(c.x.is_finite() && c.y.is_finite()) {
                rings_ok = false;
                sink(InvalidPolygon::NonFiniteCoord(role, CoordIndex(ci)))?;
            }
        }
    }
    ControlFlow::Continue(rings_ok)
}

/// geo's checks of a polygon's holes against its shell and each other (`Relate`), unchanged
/// except that holes whose boxes are apart are not related (geo's answer for them: no error).
fn visit_holes(
    p: &Polygon<f64>,
    sink: &mut dyn FnMut(InvalidPolygon) -> ControlFlow<()>,
) -> ControlFlow<()> {
    if p.exterior().0.is_empty() || p.interiors().iter().all(|r| r.0.is_empty()) {
        return ControlFlow::Continue(());
    }
    let shell = Polygon::new(p.exterior().clone(), vec![]);
    let shell = PreparedGeometry::from(&shell);
    for (i, hole) in p.interiors().iter().enumerate() {
        if hole.0.is_empty() {
            continue;
        }
        let role = RingRole::Interior(i);
        let hole_poly = Polygon::new(hole.clone(), vec![]);
        let prepared = PreparedGeometry::from(&hole_poly);
        let im = shell.relate(&prepared);
        if !im.is_contains() {
            sink(InvalidPolygon::InteriorRingNotContainedInExteriorRing(role))?;
        }
        if im.get(CoordPos::OnBoundary, CoordPos::OnBoundary) == Dimensions::OneDimensional {
            sink(InvalidPolygon::IntersectingRingsOnALine(
                RingRole::Exterior,
                role,
            ))?;
        }
        let hole_box = hole.bounding_rect();
        for (j, other) in p.interiors().iter().enumerate().skip(i + 1) {
            if other.0.is_empty() {
                continue;
            }
            if let (Some(a), Some(b)) = (hole_box, other.bounding_rect()) {
                if !a.intersects(&b) {
                    continue;
                }
            }
            let other = Polygon::new(other.clone(), vec![]);
            let im = prepared.relate(&other);
            if im.get(CoordPos::Inside, CoordPos::Inside) == Dimensions::TwoDimensional {
                sink(InvalidPolygon::IntersectingRingsOnAnArea(
                    role,
                    RingRole::Interior(j),
                ))?;
            }
            if im.get(CoordPos::OnBoundary, CoordPos::OnBoundary) == Dimensions::OneDimensional {
                sink(InvalidPolygon::IntersectingRingsOnALine(
                    role,
                    RingRole::Interior(j),
                ))?;
            }
        }
    }
    ControlFlow::Continue(())
}

/// Whether a closed ring has no self-intersection in geo's sense: no two segments meet unless
/// one ends where the other starts. Expects finite coordinates and no repeated consecutive
/// points (geo's answer does not change when those are removed); O(n log n).
///
/// With repeats removed, geo's excuse ("one ends where the other starts") covers exactly the
/// consecutive segments (a vertex visited twice makes two segments end at it, which is not
/// excused), and it covers them even when they overlap: a spike back along the previous segment
/// puts a vertex inside that segment, which the following segment then touches, so a spike is a
/// self-intersection except in a three-segment ring, where every pair is consecutive.
pub fn ring_is_simple(ring: &LineString<f64>) -> bool {
    let pts = &ring.0;
    let n = pts.len().saturating_sub(1); // segments
    if pts.first() != pts.last() {
        return false;
    }
    if n <= 3 {
        return true; // every pair of segments is consecutive
    }
    let turns_back = |i: usize| {
        let (p, q, r) = (pts[i], pts[i + 1], pts[(i + 2) % n]);
        RobustKernel::orient2d(p, q, r) == Orientation::Collinear
            && (p.x - q.x) * (r.x - q.x) + (p.y - q.y) * (r.y - q.y) > 0.0
    };
    if (0..n).any(turns_back) {
        return false;
    }
    match sweep(pts, n) {
        Some(simple) => simple,
        // The ordered set met an inconsistent order (it should not: the sweep stops at the first
        // crossing). Answer with the pairwise check rather than guess.
        None => !brute_force_crossing(pts, n),
    }
}

/// One segment of the ring, its ends in sweep order (`l` before `r` by x, then y).
#[derive(Debug, Clone, Copy)]
struct Seg {
    l: Coord<f64>,
    r: Coord<f64>,
    i: usize,
}

fn lex(a: Coord<f64>, b: Coord<f64>) -> Ordering {
    a.x.partial_cmp(&b.x)
        .unwrap_or(Ordering::Equal)
        .then(a.y.partial_cmp(&b.y).unwrap_or(Ordering::Equal))
}

fn side(o: Orientation) -> Option<Ordering> {
    match o {
        Orientation::CounterClockwise => Some(Ordering::Greater),
        Orientation::Clockwise => Some(Ordering::Less),
        Orientation::Collinear => None,
    }
}

/// Segments crossing the sweep line, ordered from bottom to top. Two segments both crossing the
/// sweep line and not crossing each other before it are ordered by where the later-starting one
/// starts relative to the other's line (then where it ends, for a shared start).
#[derive(Debug, Clone, Copy)]
struct Active(Seg);

impl Active {
    fn order(a: &Seg, b: &Seg) -> Ordering {
        #[cfg(test)]
        tests::WORK.with(|w| w.set(w.get() + 1));
        if a.i == b.i {
            return Ordering::Equal;
        }
        if lex(a.l, b.l) == Ordering::Less {
            return Self::order(b, a).reverse();
        }
        side(RobustKernel::orient2d(b.l, b.r, a.l))
            .or_else(|| side(RobustKernel::orient2d(b.l, b.r, a.r)))
            .unwrap_or_else(|| a.i.cmp(&b.i))
    }
}

impl PartialEq for Active {
    fn eq(&self, o: &Self) -> bool {
        self.0.i == o.0.i
    }
}
impl Eq for Active {}
impl PartialOrd for Active {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Active {
    fn cmp(&self, o: &Self) -> Ordering {
        Active::order(&self.0, &o.0)
    }
}

/// Shamos–Hoey: `Some(true)` when no two non-consecutive segments meet, `Some(false)` at the
/// first pair that does, `None` if the ordered set turned out inconsistent.
fn sweep(pts: &[Coord<f64>], n: usize) -> Option<bool> {
    let segs: Vec<Seg> = (0..n)
        .map(|i| {
            let (a, b) = (pts[i], pts[i + 1]);
            if lex(a, b) == Ordering::Greater {
                Seg { l: b, r: a, i }
            } else {
                Seg { l: a, r: b, i }
            }
        })
        .collect();
    // Events: (point, is_insert, segment). At one point, insertions come first, so that every
    // segment touching the point is in the set together and a touch there is seen.
    let mut events: Vec<(Coord<f64>, bool, usize)> = Vec::with_capacity(2 * n);
    for s in &segs {
        events.push((s.l, true, s.i));
        events.push((s.r, false, s.i));
    }
    events.sort_unstable_by(|a, b| lex(a.0, b.0).then(b.1.cmp(&a.1)));
    let consecutive = |a: usize, b: usize| a.abs_diff(b) == 1 || a.abs_diff(b) == n - 1;
    let meet = |a: &Seg, b: &Seg| {
        #[cfg(test)]
        tests::WORK.with(|w| w.set(w.get() + 1));
        !consecutive(a.i, b.i) && Line::new(a.l, a.r).intersects(&Line::new(b.l, b.r))
    };
    let mut set: BTreeSet<Active> = BTreeSet::new();
    for (_, insert, i) in events {
        let key = Active(segs[i]);
        let below = set.range(..key).next_back().copied();
        let above = set
            .range((Bound::Excluded(key), Bound::Unbounded))
            .next()
            .copied();
        if insert {
            if below.is_some_and(|b| meet(&b.0, &key.0))
                || above.is_some_and(|a| meet(&a.0, &key.0))
            {
                return Some(false);
            }
            set.insert(key);
        } else {
            if !set.remove(&key) {
                return None;
            }
            if let (Some(b), Some(a)) = (below, above) {
                if meet(&b.0, &a.0) {
                    return Some(false);
                }
            }
        }
    }
    Some(true)
}

/// The pairwise check (geo's, on a ring without repeats): only for the sweep's safety net.
fn brute_force_crossing(pts: &[Coord<f64>], n: usize) -> bool {
    let seg = |i: usize| Line::new(pts[i], pts[i + 1]);
    (0..n).any(|i| {
        (i + 2..n)
            .filter(|&j| !(i == 0 && j == n - 1))
            .any(|j| seg(i).intersects(&seg(j)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{coord, Polygon, Validation};
    use proptest::prelude::*;

    fn ring(c: &[(f64, f64)]) -> LineString<f64> {
        let mut v: Vec<Coord<f64>> = c.iter().map(|&(x, y)| coord! {x: x, y: y}).collect();
        v.push(v[0]);
        LineString(v)
    }

    fn ints(pts: &[(i32, i32)]) -> LineString<f64> {
        ring(
            &pts.iter()
                .map(|&(x, y)| (f64::from(x), f64::from(y)))
                .collect::<Vec<_>>(),
        )
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
    fn a_ring_touching_itself_at_a_vertex_is_not_simple() {
        // The spike at (1, 1) touches the vertex (1, 1) of the other lobe.
        let r = ring(&[(0., 0.), (2., 0.), (1., 1.), (2., 2.), (0., 2.), (1., 1.)]);
        assert!(!ring_is_simple(&r));
        assert!(!is_valid(&MultiPolygon(vec![Polygon::new(r, vec![])])));
    }

    #[test]
    fn a_spike_back_along_the_previous_edge_is_not_simple() {
        let r = ring(&[(0., 0.), (2., 0.), (1., 0.), (1., 1.)]);
        assert!(!ring_is_simple(&r));
        let mp = MultiPolygon(vec![Polygon::new(r, vec![])]);
        assert_eq!(is_valid(&mp), mp.is_valid());
    }

    /// A ring of `n` vertices on a circle, zig-zagging in and out so that every segment's
    /// x-range overlaps many others (the old fast path's sort by x was quadratic on it).
    fn star(n: usize) -> LineString<f64> {
        let pts: Vec<(f64, f64)> = (0..n)
            .map(|k| {
                let a = k as f64 / n as f64 * std::f64::consts::TAU;
                let r = if k % 2 == 0 { 1000.0 } else { 10.0 };
                (r * a.cos(), r * a.sin())
            })
            .collect();
        ring(&pts)
    }

    // Order comparisons and intersection tests made by the sweep of this thread.
    thread_local! {
        pub(super) static WORK: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    }

    fn work_for(r: &LineString<f64>) -> (bool, usize) {
        WORK.with(|w| w.set(0));
        let simple = ring_is_simple(r);
        (simple, WORK.with(|w| w.get()))
    }

    #[test]
    fn validity_of_a_large_star_is_n_log_n_not_pairwise() {
        // Regression for issue #11 (High 5): geo's pairwise ring check took over a minute on a
        // 32,000-vertex polygon. Count the sweep's work on stars of 5,000 and 20,000 vertices,
        // whose segments' x-ranges overlap heavily (the old sort-by-x fast path was quadratic
        // there too): 4× the vertices must cost about 4.6× (n log n), not 16× (pairwise).
        let (small_ok, small) = work_for(&star(5_000));
        let (large_ok, large) = work_for(&star(20_000));
        assert!(small_ok && large_ok);
        let ratio = large as f64 / small as f64;
        assert!(
            ratio < 6.0,
            "work grew {ratio:.1}× for 4× the vertices ({small} → {large})"
        );
        // A B-tree search compares with up to 11 keys per level: ~150 steps per segment here,
        // where the pairwise loop makes 20,000.
        assert!(large < 20_000 * 400, "{large} steps for 20,000 segments");
        let mp = MultiPolygon(vec![Polygon::new(star(20_000), vec![])]);
        assert!(is_valid(&mp));
        // Break it: move the outer vertex at 180° across the ring to 0°; the sweep must notice.
        let mut bad = star(20_000);
        bad.0[10_000] = coord! {x: 1000.0, y: 0.5};
        assert!(!is_valid(&MultiPolygon(vec![Polygon::new(bad, vec![])])));
    }

    fn poly(rings: Vec<LineString<f64>>) -> Polygon<f64> {
        let mut it = rings.into_iter();
        let ext = it.next().unwrap_or_else(|| LineString(vec![]));
        Polygon::new(ext, it.collect())
    }

    fn small_ring() -> impl Strategy<Value = LineString<f64>> {
        proptest::collection::vec((0i32..7, 0i32..7), 3..10).prop_map(|p| ints(&p))
    }

    fn rectangle() -> impl Strategy<Value = LineString<f64>> {
        (0i32..6, 0i32..6, 1i32..4, 1i32..4)
            .prop_map(|(x, y, w, h)| ints(&[(x, y), (x + w, y), (x + w, y + h), (x, y + h)]))
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2048, rng_seed: proptest::test_runner::RngSeed::Fixed(11), .. ProptestConfig::default() })]

        /// The sweep answers what geo's pairwise loop answers, on rings with touches,
        /// collinear overlaps, spikes and repeated points (a 7×7 integer lattice makes them
        /// common).
        #[test]
        fn ring_check_agrees_with_geo(r in small_ring()) {
            let mp = MultiPolygon(vec![Polygon::new(r.clone(), vec![])]);
            prop_assert_eq!(is_valid(&mp), mp.is_valid(), "{:?}", r);
            prop_assert_eq!(first_error(&mp), mp.validation_errors().into_iter().next());
        }

        /// Shells with holes (touching the shell, each other, outside it) and multipolygons
        /// with touching or overlapping parts: same answer and same first error as geo.
        #[test]
        fn polygon_and_multipolygon_checks_agree_with_geo(
            shells in proptest::collection::vec(prop_oneof![rectangle(), small_ring()], 1..3),
            holes in proptest::collection::vec(prop_oneof![rectangle(), small_ring()], 0..3),
        ) {
            let mut parts: Vec<Polygon<f64>> = shells.into_iter().map(|s| poly(vec![s])).collect();
            let first = parts.remove(0);
            let mut rings = vec![first.exterior().clone()];
            rings.extend(holes);
            parts.insert(0, poly(rings));
            let mp = MultiPolygon(parts);
            prop_assert_eq!(is_valid(&mp), mp.is_valid(), "{:?}", mp);
            // The first error is one of geo's, and geo's first unless a ring is broken (rings
            // are checked before parts are related; geo interleaves the two).
            let geo_errors = mp.validation_errors();
            let mine = first_error(&mp);
            let ring_broken = geo_errors.iter().any(|e| matches!(e,
                InvalidMultiPolygon::InvalidPolygon(_, InvalidPolygon::TooFewPointsInRing(_)
                    | InvalidPolygon::SelfIntersection(_) | InvalidPolygon::NonFiniteCoord(..))));
            if let Some(m) = &mine {
                prop_assert!(geo_errors.contains(m), "{:?} not in {:?}", m, geo_errors);
            }
            if !ring_broken {
                prop_assert_eq!(mine, geo_errors.into_iter().next());
            }
        }

        /// Big rings too: a random walk of axis-parallel steps on a lattice (many collinear
        /// runs and returns to earlier vertices).
        #[test]
        fn walks_agree_with_geo(steps in proptest::collection::vec(0u8..4, 4..60)) {
            let mut p = (0i32, 0i32);
            let mut pts = vec![p];
            for s in steps {
                p = match s { 0 => (p.0 + 1, p.1), 1 => (p.0, p.1 + 1), 2 => (p.0 - 1, p.1), _ => (p.0, p.1 - 1) };
                pts.push(p);
            }
            let r = ints(&pts);
            let mp = MultiPolygon(vec![Polygon::new(r.clone(), vec![])]);
            prop_assert_eq!(is_valid(&mp), mp.is_valid(), "{:?}", r);
        }
    }
}
