//! Cutting a grid by a line on the lattice.
//!
//! [`crate::lattice::slice`] runs i_overlay's string overlay with its default options, which drop
//! collinear vertices; on a grid those are often a neighbour's T-junction vertices, and dropping
//! them breaks exact edge sharing. This version keeps every input vertex.

use super::topology::{coord, units, Pt};
use geo::{LineString, MultiPolygon, Polygon};
use i_overlay::core::fill_rule::FillRule;
use i_overlay::core::overlay::{ContourDirection, IntOverlayOptions};
use i_overlay::i_float::int::point::IntPoint;
use i_overlay::string::overlay::StringOverlay;
use i_overlay::string::rule::StringRule;

/// Offsets stay well inside i_overlay's exact range (±2^30) for any grid-sized extent.
const MAX_OFFSET: i64 = 1 << 29;

fn options() -> IntOverlayOptions {
    IntOverlayOptions {
        preserve_input_collinear: true,
        output_direction: ContourDirection::CounterClockwise,
        preserve_output_collinear: true,
        min_output_area: 0,
        ogc: true,
    }
}

/// The pieces of `mp` cut along `line`. `None` when the extent is too large for exact overlay.
pub fn slice_keep_vertices(
    mp: &MultiPolygon<f64>,
    line: &LineString<f64>,
) -> Option<Vec<Polygon<f64>>> {
    let first = mp.0.first()?.exterior().0.first().copied()?;
    let origin = units(first);
    let to_int = |p: Pt| -> Option<IntPoint> {
        let (x, y) = (p.0 - origin.0, p.1 - origin.1);
        (x.abs() < MAX_OFFSET && y.abs() < MAX_OFFSET).then(|| IntPoint::new(x as i32, y as i32))
    };
    let mut overlay = StringOverlay::with_options(64, options());
    for poly in &mp.0 {
        for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
            let mut path: Vec<IntPoint> = Vec::with_capacity(ring.0.len());
            for c in super::topology::ring_units(ring) {
                let p = to_int(c)?;
                if path.last() != Some(&p) {
                    path.push(p);
                }
            }
            overlay.add_shape_contour(&path);
        }
    }
    let mut path: Vec<IntPoint> = Vec::with_capacity(line.0.len());
    for c in &line.0 {
        if !c.x.is_finite() || !c.y.is_finite() {
            return None;
        }
        let p = to_int(units(*c))?;
        if path.last() != Some(&p) {
            path.push(p);
        }
    }
    overlay.add_string_path(&path);
    let shapes = overlay
        .build_graph_view(FillRule::NonZero)
        .map(|g| g.extract_shapes_custom(StringRule::Slice, options()))
        .unwrap_or_default();
    let back = |p: &IntPoint| coord((p.x as i64 + origin.0, p.y as i64 + origin.1));
    Some(
        shapes
            .into_iter()
            .filter_map(|shape| {
                let mut rings = shape.into_iter().map(|path| {
                    let mut cs: Vec<_> = path.iter().map(back).collect();
                    if let Some(f) = cs.first().copied() {
                        cs.push(f);
                    }
                    LineString(cs)
                });
                let ext = rings.next()?;
                Some(Polygon::new(ext, rings.collect()))
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edit::topology::{has_vertex, units};
    use geo::{polygon, Area, Coord};

    #[test]
    fn slicing_keeps_collinear_t_junction_vertices() {
        // The square has an extra vertex in the middle of its right edge (a neighbour's corner).
        let sq = MultiPolygon(vec![polygon![
            (x: 118.0, y: 29.0), (x: 118.01, y: 29.0), (x: 118.01, y: 29.003),
            (x: 118.01, y: 29.01), (x: 118.0, y: 29.01)
        ]]);
        let line = LineString::from(vec![(117.99, 29.005), (118.02, 29.005)]);
        let pieces = slice_keep_vertices(&sq, &line).expect("in range");
        assert_eq!(pieces.len(), 2);
        let total: f64 = pieces.iter().map(|p| p.unsigned_area()).sum();
        assert!((total - 1e-4).abs() < 1e-12);
        let t = units(Coord {
            x: 118.01,
            y: 29.003,
        });
        assert!(pieces
            .iter()
            .any(|p| has_vertex(&MultiPolygon(vec![p.clone()]), t)));
    }
}
