//! Prepared polygons: point-in-polygon with a deterministic rule for boundary points.
//!
//! # The boundary rule
//! A point belongs to a polygon when the point nudged an infinitesimal step east, and then an
//! even smaller step north, lies inside it (symbolic perturbation p + (ε, ε²)). Consequences:
//! - a point on a shared north–south or slanted edge belongs to the grid east of the edge;
//! - a point on a shared east–west edge belongs to the grid north of it;
//! - a shared vertex belongs to the grid covering the area just north-east of it.
//!
//! For grids that tile an area exactly (shared edges have the same vertices), every point of the
//! area therefore belongs to exactly one grid. The rule is evaluated with exact orientation
//! predicates, so it does not depend on floating-point rounding.
//!
//! # Why hand-written
//! geo's `Contains` treats boundary points as outside and walks every edge on each call;
//! `CoordinatePosition` reports `OnBoundary` but leaves the choice of owner to the caller. Here
//! the edges are bucketed into horizontal bands once, so a test visits only the edges crossing
//! the point's latitude band (for a 200-vertex grid, about 8 instead of 200).

use geo::kernels::{Kernel, Orientation, RobustKernel};
use geo::{BoundingRect, Coord, LineString, MultiPolygon, Rect};

/// How a point relates to a prepared polygon under the boundary rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PointRelation {
    /// The point belongs to the polygon (boundary rule applied).
    pub inside: bool,
    /// The point lies exactly on the polygon's boundary.
    pub on_boundary: bool,
}

#[derive(Debug, Clone)]
pub struct PreparedPolygon {
    bbox: Rect<f64>,
    edges: Vec<[Coord<f64>; 2]>,
    band_height: f64,
    /// `band_starts[i]..band_starts[i + 1]` indexes `band_edges` for band `i`.
    band_starts: Vec<u32>,
    band_edges: Vec<u32>,
}

impl PreparedPolygon {
    pub fn new(mp: &MultiPolygon<f64>) -> Self {
        let edges: Vec<[Coord<f64>; 2]> =
            mp.0.iter()
                .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
                .flat_map(ring_edges)
                .collect();
        let bbox = mp
            .bounding_rect()
            .unwrap_or_else(|| Rect::new(Coord { x: 0.0, y: 0.0 }, Coord { x: 0.0, y: 0.0 }));
        let band_count = ((edges.len() as f64).sqrt().ceil() as usize).clamp(1, 512);
        let height = bbox.height();
        let band_height = if height > 0.0 {
            height / band_count as f64
        } else {
            1.0
        };
        let band_of = |y: f64| -> usize {
            (((y - bbox.min().y) / band_height).floor().max(0.0) as usize).min(band_count - 1)
        };
        let mut counts = vec![0u32; band_count + 1];
        for [a, b] in &edges {
            let (lo, hi) = (band_of(a.y.min(b.y)), band_of(a.y.max(b.y)));
            for slot in &mut counts[lo..=hi] {
                *slot += 1;
            }
        }
        let mut band_starts = Vec::with_capacity(band_count + 1);
        let mut total = 0u32;
        for c in &counts[..band_count] {
            band_starts.push(total);
            total += c;
        }
        band_starts.push(total);
        let mut fill = band_starts.clone();
        let mut band_edges = vec![0u32; total as usize];
        for (i, [a, b]) in edges.iter().enumerate() {
            let (lo, hi) = (band_of(a.y.min(b.y)), band_of(a.y.max(b.y)));
            for band in lo..=hi {
                band_edges[fill[band] as usize] = i as u32;
                fill[band] += 1;
            }
        }
        PreparedPolygon {
            bbox,
            edges,
            band_height,
            band_starts,
            band_edges,
        }
    }

    pub fn bbox(&self) -> Rect<f64> {
        self.bbox
    }

    fn band_edges(&self, y: f64) -> &[u32] {
        let bands = self.band_starts.len() - 1;
        let band = (((y - self.bbox.min().y) / self.band_height)
            .floor()
            .max(0.0) as usize)
            .min(bands - 1);
        let (start, end) = (
            self.band_starts[band] as usize,
            self.band_starts[band + 1] as usize,
        );
        &self.band_edges[start..end]
    }

    fn in_bbox(&self, p: Coord<f64>) -> bool {
        let (min, max) = (self.bbox.min(), self.bbox.max());
        p.x >= min.x && p.x <= max.x && p.y >= min.y && p.y <= max.y
    }

    /// Whether `p` belongs to the polygon under the boundary rule, and whether it lies on the
    /// boundary.
    pub fn relate(&self, p: Coord<f64>) -> PointRelation {
        if !self.in_bbox(p) {
            return PointRelation {
                inside: false,
                on_boundary: false,
            };
        }
        let mut inside = false;
        let mut on_boundary = false;
        for &i in self.band_edges(p.y) {
            let [a, b] = self.edges[i as usize];
            let a_below = a.y <= p.y;
            let b_below = b.y <= p.y;
            if a_below == b_below {
                // The half-open rule skips this edge for crossing, but the point may still lie on
                // it (a horizontal edge, or the edge's top endpoint).
                if !on_boundary && on_segment(a, b, p) {
                    on_boundary = true;
                }
                continue;
            }
            match RobustKernel::orient2d(a, b, p) {
                Orientation::Collinear => on_boundary = true,
                Orientation::CounterClockwise if a_below => inside = !inside,
                Orientation::Clockwise if !a_below => inside = !inside,
                _ => {}
            }
        }
        PointRelation {
            inside,
            on_boundary,
        }
    }

    pub fn contains(&self, p: Coord<f64>) -> bool {
        self.relate(p).inside
    }

    /// Whether any edge of the polygon passes through the rectangle (its interior or border).
    /// When none does, the rectangle lies wholly inside or wholly outside.
    pub fn boundary_touches_rect(&self, r: Rect<f64>) -> bool {
        use geo::Intersects;
        let (lo, hi) = (r.min().y, r.max().y);
        let bands = self.band_starts.len() - 1;
        let band_of = |y: f64| -> usize {
            (((y - self.bbox.min().y) / self.band_height)
                .floor()
                .max(0.0) as usize)
                .min(bands - 1)
        };
        if hi < self.bbox.min().y || lo > self.bbox.max().y {
            return false;
        }
        let (b0, b1) = (band_of(lo), band_of(hi));
        let start = self.band_starts[b0] as usize;
        let end = self.band_starts[b1 + 1] as usize;
        self.band_edges[start..end].iter().any(|&i| {
            let [a, b] = self.edges[i as usize];
            geo::Line::new(a, b).intersects(&r)
        })
    }

    /// Whether the boundary passes within `tol` degrees of `p` in longitude and in latitude
    /// (through the square of half-side `tol` around it): the lookup's lattice tolerance for
    /// points just beyond the outer edge of a coverage.
    pub fn boundary_near(&self, p: Coord<f64>, tol: f64) -> bool {
        let d = Coord { x: tol, y: tol };
        let square = Rect::new(p - d, p + d);
        let (b, s) = (self.bbox, square);
        if s.min().x > b.max().x || s.max().x < b.min().x {
            return false;
        }
        self.boundary_touches_rect(square)
    }

    pub fn vertex_count(&self) -> usize {
        self.edges.len()
    }
}

fn ring_edges(ring: &LineString<f64>) -> impl Iterator<Item = [Coord<f64>; 2]> + '_ {
    let closed_extra = if ring.is_closed() { 0 } else { 1 };
    let n = ring.0.len();
    (0..(n.saturating_sub(1) + closed_extra).min(n)).filter_map(move |i| {
        let a = ring.0[i];
        let b = ring.0[(i + 1) % n];
        (a != b).then_some([a, b])
    })
}

fn on_segment(a: Coord<f64>, b: Coord<f64>, p: Coord<f64>) -> bool {
    p.x >= a.x.min(b.x)
        && p.x <= a.x.max(b.x)
        && p.y >= a.y.min(b.y)
        && p.y <= a.y.max(b.y)
        && RobustKernel::orient2d(a, b, p) == Orientation::Collinear
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{polygon, Contains, Polygon};

    fn sq(x0: f64, y0: f64, x1: f64, y1: f64) -> MultiPolygon<f64> {
        MultiPolygon(vec![
            polygon![(x: x0, y: y0), (x: x1, y: y0), (x: x1, y: y1), (x: x0, y: y1)],
        ])
    }

    /// Four squares meeting at (1, 1).
    fn quad() -> Vec<PreparedPolygon> {
        vec![
            PreparedPolygon::new(&sq(0.0, 0.0, 1.0, 1.0)), // SW
            PreparedPolygon::new(&sq(1.0, 0.0, 2.0, 1.0)), // SE
            PreparedPolygon::new(&sq(0.0, 1.0, 1.0, 2.0)), // NW
            PreparedPolygon::new(&sq(1.0, 1.0, 2.0, 2.0)), // NE
        ]
    }

    fn owners(polys: &[PreparedPolygon], p: Coord<f64>) -> Vec<usize> {
        polys
            .iter()
            .enumerate()
            .filter(|(_, g)| g.contains(p))
            .map(|(i, _)| i)
            .collect()
    }

    #[test]
    fn shared_vertex_goes_to_the_north_east_grid() {
        assert_eq!(owners(&quad(), Coord { x: 1.0, y: 1.0 }), vec![3]);
    }

    #[test]
    fn shared_vertical_edge_goes_east_and_horizontal_edge_goes_north() {
        let q = quad();
        assert_eq!(owners(&q, Coord { x: 1.0, y: 0.5 }), vec![1]);
        assert_eq!(owners(&q, Coord { x: 0.5, y: 1.0 }), vec![2]);
    }

    #[test]
    fn on_boundary_is_reported_for_edges_and_vertices() {
        let q = quad();
        for p in [
            Coord { x: 1.0, y: 1.0 },
            Coord { x: 1.0, y: 0.5 },
            Coord { x: 0.5, y: 1.0 },
            Coord { x: 0.0, y: 0.0 },
        ] {
            let rel = q[0].relate(p);
            assert!(rel.on_boundary, "{p:?}");
        }
        assert!(!q[0].relate(Coord { x: 0.5, y: 0.5 }).on_boundary);
    }

    #[test]
    fn slanted_shared_edge_goes_to_the_east_side() {
        // Two triangles splitting the unit square along the diagonal (0,0)–(1,1).
        let upper_left = PreparedPolygon::new(&MultiPolygon(vec![
            polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 1.0), (x: 0.0, y: 1.0)],
        ]));
        let lower_right = PreparedPolygon::new(&MultiPolygon(vec![
            polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0)],
        ]));
        let p = Coord { x: 0.5, y: 0.5 };
        assert!(lower_right.contains(p));
        assert!(!upper_left.contains(p));
    }

    #[test]
    fn hole_excludes_and_hole_boundary_follows_the_rule() {
        let outer = polygon![
            exterior: [(x: 0.0, y: 0.0), (x: 4.0, y: 0.0), (x: 4.0, y: 4.0), (x: 0.0, y: 4.0)],
            interiors: [[(x: 1.0, y: 1.0), (x: 1.0, y: 3.0), (x: 3.0, y: 3.0), (x: 3.0, y: 1.0)]],
        ];
        let donut = PreparedPolygon::new(&MultiPolygon(vec![outer]));
        let island = PreparedPolygon::new(&sq(1.0, 1.0, 3.0, 3.0));
        assert!(!donut.contains(Coord { x: 2.0, y: 2.0 }));
        assert!(island.contains(Coord { x: 2.0, y: 2.0 }));
        // West edge of the hole: east side is the island.
        assert!(island.contains(Coord { x: 1.0, y: 2.0 }));
        assert!(!donut.contains(Coord { x: 1.0, y: 2.0 }));
        // East edge of the hole: east side is the donut.
        assert!(donut.contains(Coord { x: 3.0, y: 2.0 }));
        assert!(!island.contains(Coord { x: 3.0, y: 2.0 }));
    }

    #[test]
    fn agrees_with_geo_contains_off_the_boundary() {
        let poly: Polygon<f64> = polygon![(x: 0.0, y: 0.0), (x: 5.0, y: 1.0), (x: 3.0, y: 4.0), (x: 4.0, y: 7.0), (x: -1.0, y: 5.0), (x: 1.0, y: 3.0)];
        let prepared = PreparedPolygon::new(&MultiPolygon(vec![poly.clone()]));
        for i in 0..60 {
            for j in 0..80 {
                let p = Coord {
                    x: -1.5 + i as f64 * 0.1137,
                    y: -0.5 + j as f64 * 0.0991,
                };
                let rel = prepared.relate(p);
                if !rel.on_boundary {
                    assert_eq!(rel.inside, poly.contains(&geo::Point(p)), "{p:?}");
                }
            }
        }
    }

    #[test]
    fn boundary_touches_rect_detects_crossing_edges_only() {
        let p = PreparedPolygon::new(&sq(0.0, 0.0, 10.0, 10.0));
        let inner = Rect::new(Coord { x: 2.0, y: 2.0 }, Coord { x: 3.0, y: 3.0 });
        let across = Rect::new(Coord { x: 9.0, y: 2.0 }, Coord { x: 11.0, y: 3.0 });
        assert!(!p.boundary_touches_rect(inner));
        assert!(p.boundary_touches_rect(across));
    }
}
