//! The coordinate lattice and exact polygon overlay.
//!
//! Grid coordinates are stored on a lattice of 1e-7 degrees (about 1.1 cm), the precision
//! RFC 7946 GeoJSON output keeps. Boolean operations run on that lattice through i_overlay's
//! integer API rather than geo's `BooleanOps`: geo's float adapter chooses a new scale for every
//! call, so the same shared vertex can come back rounded differently in two neighbouring grids,
//! which opens hairline gaps and overlaps. On a fixed lattice every operation maps a coordinate
//! to the same integer and back, so a vertex shared before an edit stays bit-identical after it.

use geo::{Coord, LineString, MultiPolygon, Polygon, Rect};
use i_overlay::core::fill_rule::FillRule;
use i_overlay::core::overlay::{ContourDirection, IntOverlayOptions, Overlay, ShapeType};
use i_overlay::core::overlay_rule::OverlayRule;
use i_overlay::core::solver::Solver;
use i_overlay::i_float::int::point::IntPoint;
use i_overlay::i_shape::int::shape::{IntShape, IntShapes};
use i_overlay::string::slice::IntSlice;
use std::fmt;

/// Lattice units per degree.
pub const UNITS_PER_DEGREE: f64 = 1e7;

/// i_overlay keeps its integer arithmetic exact for coordinates within ±2^30.
const MAX_OFFSET_UNITS: i64 = 1 << 30;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OverlayError {
    /// A group of touching or nested operand parts spans more than about 107° from its centre
    /// (operands far apart, such as islands on both sides of ±180°, are overlaid group by group
    /// and do not hit this; a single polygon of near-world size does).
    ExtentTooLarge,
    /// A coordinate is NaN or infinite.
    NotFinite,
}

impl fmt::Display for OverlayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OverlayError::ExtentTooLarge => f.write_str(
                "geometry extent too large for exact overlay: a group of touching polygons spans \
                 more than 214° of longitude or latitude on the 1e-7° lattice",
            ),
            OverlayError::NotFinite => f.write_str("geometry has a coordinate that is not finite"),
        }
    }
}

impl std::error::Error for OverlayError {}

/// Rounds a coordinate to the lattice.
pub fn snap(c: Coord<f64>) -> Coord<f64> {
    Coord {
        x: (c.x * UNITS_PER_DEGREE).round() / UNITS_PER_DEGREE,
        y: (c.y * UNITS_PER_DEGREE).round() / UNITS_PER_DEGREE,
    }
}

/// Rounds every coordinate of a multipolygon to the lattice and drops the consecutive repeats
/// rounding creates.
pub fn snap_multipolygon(mp: &MultiPolygon<f64>) -> MultiPolygon<f64> {
    MultiPolygon(
        mp.0.iter()
            .map(|p| {
                Polygon::new(
                    snap_ring(p.exterior()),
                    p.interiors().iter().map(snap_ring).collect(),
                )
            })
            .collect(),
    )
}

fn snap_ring(ring: &LineString<f64>) -> LineString<f64> {
    let mut out: Vec<Coord<f64>> = Vec::with_capacity(ring.0.len());
    for c in ring.0.iter().map(|c| snap(*c)) {
        if out.last() != Some(&c) {
            out.push(c);
        }
    }
    LineString(out)
}

/// Maps degrees to integer lattice units relative to an origin near the operands, so that
/// i_overlay's range limit applies to the operands' extent rather than to absolute longitude.
#[derive(Debug, Clone, Copy)]
struct Frame {
    origin_x: i64,
    origin_y: i64,
}

impl Frame {
    fn around(rect: Rect<f64>) -> Result<Self, OverlayError> {
        let c = rect.center();
        if !c.x.is_finite() || !c.y.is_finite() {
            return Err(OverlayError::NotFinite);
        }
        Ok(Frame {
            origin_x: (c.x * UNITS_PER_DEGREE).round() as i64,
            origin_y: (c.y * UNITS_PER_DEGREE).round() as i64,
        })
    }

    fn to_int(self, c: Coord<f64>) -> Result<IntPoint, OverlayError> {
        if !c.x.is_finite() || !c.y.is_finite() {
            return Err(OverlayError::NotFinite);
        }
        let x = (c.x * UNITS_PER_DEGREE).round() as i64 - self.origin_x;
        let y = (c.y * UNITS_PER_DEGREE).round() as i64 - self.origin_y;
        if x.abs() >= MAX_OFFSET_UNITS || y.abs() >= MAX_OFFSET_UNITS {
            return Err(OverlayError::ExtentTooLarge);
        }
        Ok(IntPoint::new(x as i32, y as i32))
    }

    fn to_float(self, p: IntPoint) -> Coord<f64> {
        Coord {
            x: (p.x as i64 + self.origin_x) as f64 / UNITS_PER_DEGREE,
            y: (p.y as i64 + self.origin_y) as f64 / UNITS_PER_DEGREE,
        }
    }

    fn shapes(self, mp: &MultiPolygon<f64>) -> Result<IntShapes, OverlayError> {
        mp.0.iter().map(|p| self.shape(p)).collect()
    }

    fn shape(self, p: &Polygon<f64>) -> Result<IntShape, OverlayError> {
        std::iter::once(p.exterior())
            .chain(p.interiors())
            .map(|ring| self.path(ring))
            .collect()
    }

    /// An open path: i_overlay closes contours implicitly.
    fn path(self, ring: &LineString<f64>) -> Result<Vec<IntPoint>, OverlayError> {
        let n = if ring.is_closed() && ring.0.len() > 1 {
            ring.0.len() - 1
        } else {
            ring.0.len()
        };
        let mut out: Vec<IntPoint> = Vec::with_capacity(n);
        for c in &ring.0[..n] {
            let p = self.to_int(*c)?;
            if out.last() != Some(&p) {
                out.push(p);
            }
        }
        Ok(out)
    }

    /// Converts back to degrees. Rings are re-oriented (exterior counter-clockwise, holes
    /// clockwise) because i_overlay returns holes with the exterior's winding, and a hole wound
    /// like its shell would be filled by the next overlay and measured as negative area.
    fn multipolygon(self, shapes: IntShapes) -> MultiPolygon<f64> {
        use geo::orient::{Direction, Orient};
        MultiPolygon(
            shapes
                .into_iter()
                .filter_map(|shape| {
                    let mut rings = shape.into_iter().map(|path| {
                        let mut coords: Vec<Coord<f64>> =
                            path.iter().map(|p| self.to_float(*p)).collect();
                        if let Some(first) = coords.first().copied() {
                            coords.push(first);
                        }
                        LineString(coords)
                    });
                    let exterior = rings.next()?;
                    Some(Polygon::new(exterior, rings.collect()))
                })
                .collect(),
        )
        .orient(Direction::Default)
    }
}

fn bounds<'a>(mps: impl IntoIterator<Item = &'a MultiPolygon<f64>>) -> Option<Rect<f64>> {
    use geo::BoundingRect;
    mps.into_iter()
        .filter_map(|mp| mp.bounding_rect())
        .reduce(crate::index::union_rect)
}

fn options() -> IntOverlayOptions {
    IntOverlayOptions {
        // Collinear vertices are kept: they are often vertices a neighbour shares (a T-junction
        // seen from this side), and dropping them would break exact edge sharing.
        preserve_input_collinear: true,
        output_direction: ContourDirection::CounterClockwise,
        preserve_output_collinear: true,
        min_output_area: 0,
        ogc: true,
    }
}

/// Whether a box fits one frame: every coordinate in it, rounded to the lattice, stays within
/// i_overlay's range from the rounded centre (two units of slack for the rounding).
fn fits_one_frame(rect: Rect<f64>) -> bool {
    let half = |v: f64| v * UNITS_PER_DEGREE / 2.0 + 2.0;
    let (w, h) = (half(rect.width()), half(rect.height()));
    w.is_finite() && h.is_finite() && w < MAX_OFFSET_UNITS as f64 && h < MAX_OFFSET_UNITS as f64
}

fn run(
    subject: &[&MultiPolygon<f64>],
    clip: &[&MultiPolygon<f64>],
    rule: OverlayRule,
) -> Result<MultiPolygon<f64>, OverlayError> {
    let Some(rect) = bounds(subject.iter().chain(clip.iter()).copied()) else {
        return Ok(MultiPolygon(vec![]));
    };
    if fits_one_frame(rect) {
        let s: Vec<&Polygon<f64>> = subject.iter().flat_map(|mp| mp.0.iter()).collect();
        let c: Vec<&Polygon<f64>> = clip.iter().flat_map(|mp| mp.0.iter()).collect();
        return run_in(rect, &s, &c, rule);
    }
    run_by_groups(subject, clip, rule)
}

/// One overlay in the frame around `rect`.
fn run_in(
    rect: Rect<f64>,
    subject: &[&Polygon<f64>],
    clip: &[&Polygon<f64>],
    rule: OverlayRule,
) -> Result<MultiPolygon<f64>, OverlayError> {
    let frame = Frame::around(rect)?;
    let mut overlay = Overlay::new_custom(64, options(), Solver::default());
    for p in subject {
        overlay.add_shape(&frame.shape(p)?, ShapeType::Subject);
    }
    for p in clip {
        overlay.add_shape(&frame.shape(p)?, ShapeType::Clip);
    }
    Ok(frame.multipolygon(overlay.overlay(rule, FillRule::NonZero)))
}

/// Operands too far apart for one frame (islands on both sides of ±180°, a continent and its
/// outlying islands) are overlaid part by part: polygons are grouped until the groups' boxes are
/// pairwise disjoint, and each group is overlaid alone in its own frame. A boolean operation at a
/// point depends only on the operands there, and no polygon of one group reaches into another
/// group's box, so the results of the groups, side by side, are the result of the whole. Only a
/// group that itself spans more than the frame (a near-world polygon) is an error.
fn run_by_groups(
    subject: &[&MultiPolygon<f64>],
    clip: &[&MultiPolygon<f64>],
    rule: OverlayRule,
) -> Result<MultiPolygon<f64>, OverlayError> {
    use geo::BoundingRect;
    let mut parts: Vec<(Rect<f64>, bool, &Polygon<f64>)> = Vec::new();
    for (is_subject, side) in [(true, subject), (false, clip)] {
        for p in side.iter().flat_map(|mp| mp.0.iter()) {
            if let Some(r) = p.bounding_rect() {
                if !(r.min().x.is_finite()
                    && r.min().y.is_finite()
                    && r.max().x.is_finite()
                    && r.max().y.is_finite())
                {
                    return Err(OverlayError::NotFinite);
                }
                parts.push((r, is_subject, p));
            }
        }
    }
    let groups = disjoint_groups(parts.iter().map(|(r, _, _)| *r).collect());
    let mut out = Vec::new();
    for (rect, members) in groups {
        if !fits_one_frame(rect) {
            return Err(OverlayError::ExtentTooLarge);
        }
        let pick = |want: bool| -> Vec<&Polygon<f64>> {
            members
                .iter()
                .filter(|&&i| parts[i].1 == want)
                .map(|&i| parts[i].2)
                .collect()
        };
        out.extend(run_in(rect, &pick(true), &pick(false), rule)?.0);
    }
    Ok(MultiPolygon(out))
}

/// Groups boxes (closed, and widened by a lattice unit: touching boxes meet) until the groups' boxes are pairwise disjoint:
/// connected components of the boxes, then of the components' boxes (an island inside a lake
/// whose shore is many polygons meets none of them, but lies in their group's box), repeated
/// until nothing merges. Returns each group's box and members.
fn disjoint_groups(boxes: Vec<Rect<f64>>) -> Vec<(Rect<f64>, Vec<usize>)> {
    use crate::index::{envelope_of, union_rect, Entry};
    // Boxes are compared widened by one lattice unit: coordinates are rounded to the lattice
    // in the overlay, so parts whose float boxes miss each other by less than that may touch.
    let widened = |r: Rect<f64>| {
        let u = Coord {
            x: 1.0 / UNITS_PER_DEGREE,
            y: 1.0 / UNITS_PER_DEGREE,
        };
        envelope_of(Rect::new(r.min() - u, r.max() + u))
    };
    // Each round merges the groups whose boxes meet; `members[g]` are the boxes of group g.
    let mut groups: Vec<(Rect<f64>, Vec<usize>)> = boxes
        .iter()
        .enumerate()
        .map(|(i, r)| (*r, vec![i]))
        .collect();
    loop {
        let tree = rstar::RTree::bulk_load(
            groups
                .iter()
                .enumerate()
                .map(|(g, (r, _))| Entry {
                    envelope: widened(*r),
                    slot: g as u32,
                })
                .collect(),
        );
        let mut parent: Vec<usize> = (0..groups.len()).collect();
        fn root(parent: &mut [usize], mut i: usize) -> usize {
            while parent[i] != i {
                parent[i] = parent[parent[i]];
                i = parent[i];
            }
            i
        }
        let mut merged = false;
        for (g, (r, _)) in groups.iter().enumerate() {
            for other in tree.locate_in_envelope_intersecting(widened(*r)) {
                let (a, b) = (root(&mut parent, g), root(&mut parent, other.slot as usize));
                if a != b {
                    parent[a.max(b)] = a.min(b);
                    merged = true;
                }
            }
        }
        if !merged {
            return groups;
        }
        let mut next: Vec<Option<(Rect<f64>, Vec<usize>)>> = vec![None; groups.len()];
        for (g, (r, members)) in groups.into_iter().enumerate() {
            let slot = &mut next[root(&mut parent, g)];
            match slot {
                Some((acc, list)) => {
                    *acc = union_rect(*acc, r);
                    list.extend(members);
                }
                None => *slot = Some((r, members)),
            }
        }
        groups = next.into_iter().flatten().collect();
    }
}

/// Union of any number of multipolygons (which may overlap).
pub fn union_all<'a>(
    parts: impl IntoIterator<Item = &'a MultiPolygon<f64>>,
) -> Result<MultiPolygon<f64>, OverlayError> {
    let parts: Vec<&MultiPolygon<f64>> = parts.into_iter().collect();
    run(&parts, &[], OverlayRule::Subject)
}

pub fn union(
    a: &MultiPolygon<f64>,
    b: &MultiPolygon<f64>,
) -> Result<MultiPolygon<f64>, OverlayError> {
    run(&[a], &[b], OverlayRule::Union)
}

pub fn intersection(
    a: &MultiPolygon<f64>,
    b: &MultiPolygon<f64>,
) -> Result<MultiPolygon<f64>, OverlayError> {
    run(&[a], &[b], OverlayRule::Intersect)
}

pub fn difference(
    a: &MultiPolygon<f64>,
    b: &MultiPolygon<f64>,
) -> Result<MultiPolygon<f64>, OverlayError> {
    run(&[a], &[b], OverlayRule::Difference)
}

/// `a` minus the union of `others`.
pub fn difference_all<'a>(
    a: &MultiPolygon<f64>,
    others: impl IntoIterator<Item = &'a MultiPolygon<f64>>,
) -> Result<MultiPolygon<f64>, OverlayError> {
    let others: Vec<&MultiPolygon<f64>> = others.into_iter().collect();
    run(&[a], &others, OverlayRule::Difference)
}

/// Cuts `mp` along `line` and returns the pieces (each a polygon, possibly with holes).
/// Parts of the line outside `mp` are ignored; a line that does not cross `mp` returns it whole.
pub fn slice(
    mp: &MultiPolygon<f64>,
    line: &LineString<f64>,
) -> Result<Vec<Polygon<f64>>, OverlayError> {
    let line_mp = MultiPolygon(vec![Polygon::new(line.clone(), vec![])]);
    let Some(rect) = bounds([mp, &line_mp]) else {
        return Ok(vec![]);
    };
    let frame = Frame::around(rect)?;
    let shapes = frame.shapes(mp)?;
    let mut path = Vec::with_capacity(line.0.len());
    for c in &line.0 {
        let p = frame.to_int(*c)?;
        if path.last() != Some(&p) {
            path.push(p);
        }
    }
    let pieces = shapes.slice_by_path(&path, FillRule::NonZero);
    Ok(frame.multipolygon(pieces).0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{polygon, Area};

    fn square(x: f64, y: f64, s: f64) -> MultiPolygon<f64> {
        MultiPolygon(vec![
            polygon![(x: x, y: y), (x: x + s, y: y), (x: x + s, y: y + s), (x: x, y: y + s)],
        ])
    }

    #[test]
    fn union_of_edge_sharing_squares_is_one_polygon_with_the_shared_vertices_gone_only_where_interior(
    ) {
        let a = square(118.3, 29.7, 0.01);
        let b = square(118.31, 29.7, 0.01);
        let u = union(&a, &b).expect("overlay");
        assert_eq!(u.0.len(), 1);
        assert!((u.unsigned_area() - 0.0002).abs() < 1e-12);
    }

    #[test]
    fn intersection_of_neighbours_sharing_an_edge_has_no_area() {
        let a = square(118.3, 29.7, 0.01);
        let b = square(118.31, 29.7, 0.01);
        let i = intersection(&a, &b).expect("overlay");
        assert!(i.unsigned_area() < 1e-18, "got {i:?}");
    }

    #[test]
    fn outputs_are_on_the_lattice_and_round_trip_exactly() {
        let a = square(118.123_456_7, 29.765_432_1, 0.003_3);
        let b = square(118.124, 29.766, 0.01);
        let d = difference(&a, &b).expect("overlay");
        for c in d.0.iter().flat_map(|p| p.exterior().0.iter()) {
            assert_eq!(snap(*c), *c);
        }
        // Every vertex of `a` that survives is bit-identical to the input vertex.
        let input: Vec<Coord<f64>> = a.0[0].exterior().0.clone();
        let kept = d.0[0]
            .exterior()
            .0
            .iter()
            .filter(|c| input.contains(c))
            .count();
        assert!(kept >= 3, "kept {kept} of the original vertices: {d:?}");
    }

    #[test]
    fn slice_by_a_line_across_gives_two_pieces_whose_areas_add_up() {
        let a = square(118.3, 29.7, 0.01);
        let line = LineString::from(vec![(118.295, 29.705), (118.315, 29.705)]);
        let pieces = slice(&a, &line).expect("slice");
        assert_eq!(pieces.len(), 2);
        let total: f64 = pieces.iter().map(|p| p.unsigned_area()).sum();
        assert!((total - 0.0001).abs() < 1e-12);
    }

    #[test]
    fn holes_come_back_clockwise_and_survive_a_second_overlay() {
        use geo::winding_order::Winding;
        let outer = square(118.3, 29.7, 0.03);
        let inner = square(118.31, 29.71, 0.01);
        let donut = difference(&outer, &inner).expect("overlay");
        assert_eq!(donut.0.len(), 1);
        assert_eq!(donut.0[0].interiors().len(), 1);
        assert!(donut.0[0].exterior().is_ccw());
        assert!(donut.0[0].interiors()[0].is_cw());
        let again = union(&donut, &square(119.0, 29.7, 0.001)).expect("overlay");
        let donut_again = again
            .0
            .iter()
            .find(|p| !p.interiors().is_empty())
            .expect("donut kept");
        assert!((donut_again.unsigned_area() - 0.0008).abs() < 1e-12);
    }

    #[test]
    fn a_near_world_polygon_is_an_error_not_a_panic() {
        let world = MultiPolygon(vec![Rect::new(
            Coord {
                x: -179.0,
                y: -60.0,
            },
            Coord { x: 179.0, y: 70.0 },
        )
        .to_polygon()]);
        let b = square(2.35, 48.85, 0.01);
        assert_eq!(union(&world, &b), Err(OverlayError::ExtentTooLarge));
        assert_eq!(difference(&b, &world), Err(OverlayError::ExtentTooLarge));
        let nan = square(f64::NAN, 0.0, 1.0);
        assert_eq!(union_all([&nan]), Err(OverlayError::NotFinite));
    }

    #[test]
    fn operands_on_both_sides_of_the_antimeridian_are_overlaid_part_by_part() {
        let a = square(-170.0, 0.0, 1.0);
        let b = square(170.0, 0.0, 1.0);
        let u = union(&a, &b).expect("two groups, each fits");
        assert_eq!(u.0.len(), 2);
        assert!((u.unsigned_area() - 2.0).abs() < 1e-9);
        // One multipolygon with a part on each side, against another overlapping both parts.
        let east_west = |x: f64, w: f64| {
            MultiPolygon(vec![
                Rect::new(Coord { x, y: -17.0 }, Coord { x: x + w, y: -16.0 }).to_polygon(),
                Rect::new(
                    Coord {
                        x: -x - w,
                        y: -17.0,
                    },
                    Coord { x: -x, y: -16.0 },
                )
                .to_polygon(),
            ])
        };
        let fiji = east_west(179.0, 0.5);
        let other = east_west(179.4, 0.6);
        let i = intersection(&fiji, &other).expect("part by part");
        assert_eq!(i.0.len(), 2, "{i:?}");
        assert!(
            (i.unsigned_area() - 0.2).abs() < 1e-9,
            "{}",
            i.unsigned_area()
        );
        let d = difference(&fiji, &other).expect("part by part");
        assert!(
            (d.unsigned_area() - 0.8).abs() < 1e-9,
            "{}",
            d.unsigned_area()
        );
    }

    #[test]
    fn an_island_in_a_lake_of_many_shore_polygons_stays_in_the_lake_group() {
        // Eight shore squares around a 3 × 3 lake with a one-cell island in the middle; a far
        // island at -179° forces the grouped path. The island's box meets no shore square, only
        // the shore's group box: it must be overlaid with the shore, or the lake would be filled.
        let mut parts: Vec<MultiPolygon<f64>> = Vec::new();
        for i in 0..5 {
            for j in 0..5 {
                let ring = i == 0 || i == 4 || j == 0 || j == 4;
                if ring || (i, j) == (2, 2) {
                    parts.push(square(100.0 + i as f64, 10.0 + j as f64, 1.0));
                }
            }
        }
        parts.push(square(-179.5, 10.0, 0.5));
        let u = union_all(parts.iter()).expect("grouped union");
        let with_hole =
            u.0.iter()
                .find(|p| !p.interiors().is_empty())
                .expect("lake");
        assert!((with_hole.unsigned_area() - 16.0).abs() < 1e-9);
        assert!((u.unsigned_area() - (16.0 + 1.0 + 0.25)).abs() < 1e-9);
        assert_eq!(u.0.len(), 3);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: 64,
            rng_seed: proptest::test_runner::RngSeed::Fixed(11),
            ..proptest::prelude::ProptestConfig::default()
        })]

        /// Overlaying group by group gives what one overlay of everything gives (the oracle,
        /// on operands that fit one frame).
        #[test]
        fn grouped_overlay_equals_one_overlay(
            subject in proptest::collection::vec((0u8..40, 0u8..40, 1u8..8, 1u8..8), 1..12),
            clip in proptest::collection::vec((0u8..40, 0u8..40, 1u8..8, 1u8..8), 0..12),
            rule in 0usize..4,
        ) {
            let to_mp = |v: &[(u8, u8, u8, u8)]| -> Vec<MultiPolygon<f64>> {
                v.iter()
                    .map(|&(x, y, w, h)| {
                        let (x, y) = (118.0 + x as f64 * 1e-3, 29.0 + y as f64 * 1e-3);
                        MultiPolygon(vec![Rect::new(
                            Coord { x, y },
                            Coord { x: x + w as f64 * 1e-3, y: y + h as f64 * 1e-3 },
                        )
                        .to_polygon()])
                    })
                    .collect()
            };
            let (s, c) = (to_mp(&subject), to_mp(&clip));
            let rule = [
                OverlayRule::Subject,
                OverlayRule::Union,
                OverlayRule::Intersect,
                OverlayRule::Difference,
            ][rule];
            let sr: Vec<&MultiPolygon<f64>> = s.iter().collect();
            let cr: Vec<&MultiPolygon<f64>> = c.iter().collect();
            let one = run(&sr, &cr, rule).expect("fits one frame");
            let grouped = run_by_groups(&sr, &cr, rule).expect("groups fit");
            proptest::prop_assert!((one.unsigned_area() - grouped.unsigned_area()).abs() < 1e-12);
            proptest::prop_assert_eq!(one.0.len(), grouped.0.len());
            let sym = difference(&one, &grouped).expect("overlay").unsigned_area()
                + difference(&grouped, &one).expect("overlay").unsigned_area();
            proptest::prop_assert!(sym < 1e-15, "symmetric difference {}", sym);
        }
    }
}
