//! Cutting a grid by a line on the lattice.
//!
//! [`crate::lattice::slice`] runs i_overlay's string overlay, which always drops collinear
//! vertices (its shape input ignores the overlay options). On a grid those are often a
//! neighbour's T-junction vertices, and dropping them breaks exact edge sharing, so they are put
//! back: a dropped vertex lay on a straight run of edges, so it lies exactly on the merged edge.

use super::topology::{insert_vertices, vertex_set};
use crate::lattice::{self, OverlayError};
use geo::{LineString, MultiPolygon, Polygon};

/// The pieces of `mp` cut along `line`, each keeping every vertex of `mp` on its boundary.
/// Fails when the overlay refuses the geometry (extent too large for exact overlay, or a
/// coordinate that is not finite).
pub fn slice_keep_vertices(
    mp: &MultiPolygon<f64>,
    line: &LineString<f64>,
) -> Result<Vec<Polygon<f64>>, OverlayError> {
    let pieces = lattice::slice(mp, line)?;
    let original: Vec<_> = vertex_set(mp).into_iter().collect();
    Ok(pieces
        .into_iter()
        .map(|piece| {
            let one = MultiPolygon(vec![piece]);
            match insert_vertices(&one, &original, 0.0) {
                Some(mut with) => with.0.swap_remove(0),
                None => one
                    .0
                    .into_iter()
                    .next()
                    .unwrap_or_else(|| Polygon::new(LineString(vec![]), vec![])),
            }
        })
        .collect())
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

    /// The overlay's refusal was `.ok()`-ed into `None` and the reason lost: it is the typed
    /// error now, so the caller can say why the line could not cut.
    #[test]
    fn slicing_beyond_the_exact_range_is_an_overlay_error() {
        let sq = MultiPolygon(vec![polygon![
            (x: 118.0, y: 29.0), (x: 118.01, y: 29.0), (x: 118.01, y: 29.01), (x: 118.0, y: 29.01)
        ]]);
        let line = LineString::from(vec![(-100.0, 29.005), (130.0, 29.005)]);
        assert_eq!(
            slice_keep_vertices(&sq, &line),
            Err(OverlayError::ExtentTooLarge)
        );
    }
}
