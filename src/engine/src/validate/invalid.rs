//! Invalid geometry, as geo's `Validation` sees it: self-intersections, rings with too few
//! points, holes outside their shell, overlapping parts of a multipolygon… Winding is not
//! checked (the district orients rings on load) and unclosed rings never get here (GeoJSON
//! reading rejects them).

use super::common::Ctx;
use super::report::{Measure, Problem, ProblemKind, Severity};
use geo::algorithm::line_intersection::{line_intersection, LineIntersection};
use geo::algorithm::validation::{InvalidMultiPolygon, InvalidPolygon, RingRole};
use geo::{BoundingRect, Coord, Geometry, Line, LineString, MultiPolygon};
use rayon::prelude::*;

/// Rings longer than this are not searched for the crossing point (the search is quadratic);
/// the message then names the ring only.
const MAX_RING_SEARCH: usize = 2_000;

pub(super) fn invalid_geometries(ctx: &Ctx, slots: &[u32]) -> Vec<Problem> {
    slots
        .par_iter()
        .filter_map(|&s| invalid_geometry(ctx, s))
        .collect()
}

fn invalid_geometry(ctx: &Ctx, s: u32) -> Option<Problem> {
    if ctx.is_valid(s) {
        return None;
    }
    let grid = ctx.grid(s);
    let errors = crate::validity::validation_errors(&grid.geometry);
    if errors.is_empty() {
        return None;
    }
    let at = errors
        .iter()
        .find_map(|e| crossing_point(&grid.geometry, e))
        .or_else(|| grid.geometry.bounding_rect().map(|r| r.center()));
    let near = at
        .map(|c| format!(" near ({:.5}, {:.5})", c.x, c.y))
        .unwrap_or_default();
    let reasons: Vec<String> = errors.iter().map(ToString::to_string).collect();
    let mut details = serde_json::Map::new();
    details.insert("errors".into(), reasons.clone().into());
    let area = ctx.community_of(grid);
    Some(Problem {
        kind: ProblemKind::InvalidGeometry,
        severity: Severity::Error,
        grids: vec![grid.id.clone()],
        buildings: vec![],
        area,
        measure: Measure::count(errors.len() as f64),
        details,
        geometry: Some(Geometry::MultiPolygon(grid.geometry.clone())),
        message: format!(
            "{} grid {} has invalid geometry{near}: {}",
            grid.layer.as_str(),
            grid.id,
            reasons.join("; ")
        ),
    })
}

/// Where a ring crosses itself, for the message (geo names the ring but not the place).
fn crossing_point(mp: &MultiPolygon<f64>, e: &InvalidMultiPolygon) -> Option<Coord<f64>> {
    let InvalidMultiPolygon::InvalidPolygon(idx, InvalidPolygon::SelfIntersection(role)) = e else {
        return None;
    };
    let poly = mp.0.get(idx.0)?;
    let ring = match role {
        RingRole::Exterior => poly.exterior(),
        RingRole::Interior(i) => poly.interiors().get(*i)?,
    };
    self_crossing(ring)
}

fn self_crossing(ring: &LineString<f64>) -> Option<Coord<f64>> {
    let lines: Vec<Line<f64>> = ring.lines().collect();
    let n = lines.len();
    if n > MAX_RING_SEARCH {
        return None;
    }
    for i in 0..n {
        for j in (i + 2)..n {
            // The first and last segments of a closed ring share the closing vertex.
            if i == 0 && j == n - 1 {
                continue;
            }
            match line_intersection(lines[i], lines[j]) {
                Some(LineIntersection::SinglePoint { intersection, .. }) => {
                    return Some(intersection)
                }
                Some(LineIntersection::Collinear { intersection }) => {
                    return Some(intersection.start)
                }
                None => {}
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_crossing_of_a_bow_tie_is_found_and_a_square_has_none() {
        let bow_tie = LineString::from(vec![
            (0.0, 0.0),
            (2.0, 2.0),
            (2.0, 0.0),
            (0.0, 2.0),
            (0.0, 0.0),
        ]);
        assert_eq!(self_crossing(&bow_tie), Some(Coord { x: 1.0, y: 1.0 }));
        let square = LineString::from(vec![
            (0.0, 0.0),
            (1.0, 0.0),
            (1.0, 1.0),
            (0.0, 1.0),
            (0.0, 0.0),
        ]);
        assert_eq!(self_crossing(&square), None);
    }
}
