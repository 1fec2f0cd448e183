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
    /// The operands span more than about 107° from their centre, or hold a non-finite value.
    ExtentTooLarge,
}

impl fmt::Display for OverlayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OverlayError::ExtentTooLarge => {
                f.write_str("geometry extent too large or not finite for exact overlay")
            }
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
            return Err(OverlayError::ExtentTooLarge);
        }
        Ok(Frame {
            origin_x: (c.x * UNITS_PER_DEGREE).round() as i64,
            origin_y: (c.y * UNITS_PER_DEGREE).round() as i64,
        })
    }

    fn to_int(self, c: Coord<f64>) -> Result<IntPoint, OverlayError> {
        if !c.x.is_finite() || !c.y.is_finite() {
            return Err(OverlayError::ExtentTooLarge);
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

fn run(
    subject: &[&MultiPolygon<f64>],
    clip: &[&MultiPolygon<f64>],
    rule: OverlayRule,
) -> Result<MultiPolygon<f64>, OverlayError> {
    let Some(rect) = bounds(subject.iter().chain(clip.iter()).copied()) else {
        return Ok(MultiPolygon(vec![]));
    };
    let frame = Frame::around(rect)?;
    let mut overlay = Overlay::new_custom(64, options(), Solver::default());
    for mp in subject {
        overlay.add_shapes(&frame.shapes(mp)?, ShapeType::Subject);
    }
    for mp in clip {
        overlay.add_shapes(&frame.shapes(mp)?, ShapeType::Clip);
    }
    Ok(frame.multipolygon(overlay.overlay(rule, FillRule::NonZero)))
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
    fn out_of_range_extent_is_an_error_not_a_panic() {
        let a = square(-170.0, 0.0, 1.0);
        let b = square(170.0, 0.0, 1.0);
        assert_eq!(union(&a, &b), Err(OverlayError::ExtentTooLarge));
    }
}
