//! Measures in metres and square metres.
//!
//! Areas and lengths are geodesic on the WGS84 ellipsoid (Karney's algorithms through geo).
//! Nearest-point searches run in a local equirectangular frame (longitude scaled by the cosine of
//! the latitude), which is accurate to well under 0.1 % across a district; the distance reported
//! is then the geodesic distance between the two points found.

use geo::{
    Closest, ClosestPoint, Coord, Distance, Geodesic, GeodesicArea, Length, LineString,
    MultiPolygon, Point, Polygon,
};

/// Mean metres per degree of latitude; used only where a width or tolerance has to be turned
/// into degrees (sliver tolerances, search radii), never to report a measure.
pub const METRES_PER_DEGREE: f64 = 111_320.0;

pub fn area_m2(mp: &MultiPolygon<f64>) -> f64 {
    mp.geodesic_area_unsigned()
}

pub fn polygon_area_m2(p: &Polygon<f64>) -> f64 {
    p.geodesic_area_unsigned()
}

pub fn perimeter_m(mp: &MultiPolygon<f64>) -> f64 {
    mp.0.iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .map(|ring| Geodesic.length(ring))
        .sum()
}

pub fn length_m(line: &LineString<f64>) -> f64 {
    Geodesic.length(line)
}

pub fn distance_m(a: Point<f64>, b: Point<f64>) -> f64 {
    Geodesic.distance(a, b)
}

/// Mean width of a thin shape: for a strip of length L and width w, area ≈ L·w and
/// perimeter ≈ 2L, so 2·area/perimeter ≈ w. Used to tell slivers from real gaps and overlaps.
pub fn mean_width_m(mp: &MultiPolygon<f64>) -> f64 {
    let perimeter = perimeter_m(mp);
    if perimeter <= 0.0 {
        0.0
    } else {
        2.0 * area_m2(mp) / perimeter
    }
}

/// Local equirectangular frame around a latitude.
#[derive(Debug, Clone, Copy)]
pub struct LocalFrame {
    cos_lat: f64,
}

impl LocalFrame {
    pub fn at_latitude(lat: f64) -> Self {
        LocalFrame {
            cos_lat: lat.to_radians().cos().max(1e-6),
        }
    }

    pub fn cos_lat(self) -> f64 {
        self.cos_lat
    }

    fn to_local(self, c: Coord<f64>) -> Coord<f64> {
        Coord {
            x: c.x * self.cos_lat,
            y: c.y,
        }
    }

    fn to_degrees(self, c: Coord<f64>) -> Coord<f64> {
        Coord {
            x: c.x / self.cos_lat,
            y: c.y,
        }
    }

    fn ring_local(self, ring: &LineString<f64>) -> LineString<f64> {
        LineString(ring.0.iter().map(|c| self.to_local(*c)).collect())
    }

    /// The point of `mp`'s boundary nearest to `p`, in degrees.
    pub fn closest_boundary_point(
        self,
        mp: &MultiPolygon<f64>,
        p: Point<f64>,
    ) -> Option<Point<f64>> {
        let local_p = Point(self.to_local(p.0));
        let mut best: Option<(f64, Point<f64>)> = None;
        for ring in
            mp.0.iter()
                .flat_map(|poly| std::iter::once(poly.exterior()).chain(poly.interiors()))
        {
            let local = self.ring_local(ring);
            let candidate = match local.closest_point(&local_p) {
                Closest::Intersection(q) | Closest::SinglePoint(q) => q,
                Closest::Indeterminate => continue,
            };
            let d = (candidate.x() - local_p.x()).hypot(candidate.y() - local_p.y());
            if best.is_none_or(|(bd, _)| d < bd) {
                best = Some((d, candidate));
            }
        }
        best.map(|(_, q)| Point(self.to_degrees(q.0)))
    }
}

/// Geodesic distance in metres from `p` to the boundary of `mp`.
pub fn distance_to_boundary_m(mp: &MultiPolygon<f64>, p: Point<f64>) -> Option<f64> {
    LocalFrame::at_latitude(p.y())
        .closest_boundary_point(mp, p)
        .map(|q| distance_m(p, q))
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    #[test]
    fn a_hundred_metre_square_near_tunxi_measures_ten_thousand_square_metres() {
        // 100 m in latitude and longitude at 29.7°N.
        let dlat = 100.0 / 110_857.0;
        let dlon = 100.0 / 96_782.0;
        let sq = MultiPolygon(vec![
            polygon![(x: 118.3, y: 29.7), (x: 118.3 + dlon, y: 29.7), (x: 118.3 + dlon, y: 29.7 + dlat), (x: 118.3, y: 29.7 + dlat)],
        ]);
        let a = area_m2(&sq);
        assert!((a - 10_000.0).abs() < 20.0, "area {a}");
        assert!((perimeter_m(&sq) - 400.0).abs() < 1.0);
    }

    #[test]
    fn mean_width_of_a_strip_is_its_width() {
        let w = 0.5 / 110_857.0; // 0.5 m tall
        let l = 1000.0 / 96_782.0; // 1 km long
        let strip = MultiPolygon(vec![
            polygon![(x: 118.3, y: 29.7), (x: 118.3 + l, y: 29.7), (x: 118.3 + l, y: 29.7 + w), (x: 118.3, y: 29.7 + w)],
        ]);
        let width = mean_width_m(&strip);
        assert!((width - 0.5).abs() < 0.01, "width {width}");
    }

    #[test]
    fn distance_to_boundary_is_in_metres() {
        let sq = MultiPolygon(vec![
            polygon![(x: 118.3, y: 29.7), (x: 118.31, y: 29.7), (x: 118.31, y: 29.71), (x: 118.3, y: 29.71)],
        ]);
        // 0.001° of latitude south of the bottom edge is about 110.9 m.
        let d = distance_to_boundary_m(&sq, Point::new(118.305, 29.699)).expect("distance");
        assert!((d - 110.86).abs() < 0.5, "distance {d}");
    }
}
