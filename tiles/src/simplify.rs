//! Simplification that keeps shared edges shared.
//!
//! Grids tile an area with bit-identical shared vertices. Simplifying each polygon on its own
//! (Douglas–Peucker per ring) would move a shared edge differently on its two sides and open
//! cracks or overlaps between neighbours. Instead, [`Topology::build`] splits every ring into
//! *arcs* once: a ring is cut at every vertex where the set of rings using the edge changes
//! (a node), and an arc met again in the opposite direction by the neighbour is the same arc.
//! [`Topology::simplify`] then simplifies every arc exactly once (Douglas–Peucker with its end
//! nodes fixed) and rebuilds each ring from its simplified arcs, so both sides of a shared
//! boundary get the very same vertices at every tolerance.
//!
//! Guard: a ring that comes back with fewer than 3 distinct points, or with zero area, is
//! dropped at that tolerance; an exterior ring dropped takes its holes with it. This happens to
//! grids smaller than about a pixel: they disappear at that zoom rather than being drawn as
//! slivers. Their neighbours keep the collapsed arcs, which are straight lines between nodes,
//! so no overlap appears; the tiny grid shows as a gap until the zoom is high enough.
//!
//! Known limit: Douglas–Peucker keeps topology along one arc (both sides share it) but does not
//! check that two *different* arcs stay apart; with tolerances around half a pixel and grids
//! larger than a few pixels this does not happen in practice, and the tests check it on jittered
//! meshes.

use geo::{Coord, LineString, MultiPolygon, Polygon, Simplify};
use std::collections::HashMap;

/// Bit-exact vertex identity. -0.0 is folded into 0.0 so the two spellings of zero match.
type Key = (u64, u64);

fn key(c: Coord<f64>) -> Key {
    let norm = |v: f64| {
        if v == 0.0 {
            0.0f64.to_bits()
        } else {
            v.to_bits()
        }
    };
    (norm(c.x), norm(c.y))
}

/// An arc used by a ring, possibly walked backwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ArcRef {
    arc: usize,
    reversed: bool,
}

/// Rings of one input, as arcs: `parts[p][r]` is ring r (0 = exterior) of polygon p.
#[derive(Debug, Clone, Default)]
struct Shape {
    parts: Vec<Vec<Vec<ArcRef>>>,
}

/// Arcs shared between a set of polygons; build once, simplify at many tolerances.
#[derive(Debug, Clone)]
pub struct Topology {
    arcs: Vec<Vec<Coord<f64>>>,
    shapes: Vec<Shape>,
}

/// Ring vertices, open (no repeated closing point), with consecutive duplicates removed.
fn open_ring(ls: &LineString<f64>) -> Vec<Coord<f64>> {
    let mut v: Vec<Coord<f64>> = Vec::with_capacity(ls.0.len());
    for &c in &ls.0 {
        if v.last().map(|&l| key(l)) != Some(key(c)) {
            v.push(c);
        }
    }
    while v.len() > 1 && key(v[0]) == key(v[v.len() - 1]) {
        v.pop();
    }
    v
}

fn edge_key(a: Coord<f64>, b: Coord<f64>) -> (Key, Key) {
    let (ka, kb) = (key(a), key(b));
    if ka <= kb {
        (ka, kb)
    } else {
        (kb, ka)
    }
}

fn dist2(a: Coord<f64>, b: Coord<f64>) -> f64 {
    (a.x - b.x).powi(2) + (a.y - b.y).powi(2)
}

impl Topology {
    /// Builds arcs for `shapes` (one entry per grid, in the caller's order). Rings with fewer
    /// than 3 distinct vertices are ignored.
    pub fn build(shapes: &[MultiPolygon<f64>]) -> Topology {
        // 1. Collect rings (global ring id = index in `rings`) and where they belong.
        let mut rings: Vec<Vec<Coord<f64>>> = Vec::new();
        let mut owner: Vec<(usize, usize, bool)> = Vec::new(); // (shape, part, is_exterior)
        for (s, mp) in shapes.iter().enumerate() {
            for (p, poly) in mp.0.iter().enumerate() {
                let ext = open_ring(poly.exterior());
                if ext.len() < 3 {
                    continue;
                }
                rings.push(ext);
                owner.push((s, p, true));
                for hole in poly.interiors() {
                    let h = open_ring(hole);
                    if h.len() >= 3 {
                        rings.push(h);
                        owner.push((s, p, false));
                    }
                }
            }
        }

        // 2. Which rings use each undirected edge. Sorted lists so equal sets compare equal.
        let mut users: HashMap<(Key, Key), Vec<u32>> = HashMap::new();
        for (rid, ring) in rings.iter().enumerate() {
            let n = ring.len();
            for i in 0..n {
                let u = users
                    .entry(edge_key(ring[i], ring[(i + 1) % n]))
                    .or_default();
                if u.last() != Some(&(rid as u32)) {
                    u.push(rid as u32);
                }
            }
        }

        // 3. Cut rings into arcs and identify each arc with its reverse.
        let mut arcs: Vec<Vec<Coord<f64>>> = Vec::new();
        let mut by_first_edge: HashMap<(Key, Key), ArcRef> = HashMap::new();
        let mut out: Vec<Shape> = vec![Shape::default(); shapes.len()];
        for ((s, p, is_ext), ring) in owner.iter().copied().zip(&rings) {
            let n = ring.len();
            let sig = |i: usize| users.get(&edge_key(ring[i], ring[(i + 1) % n]));
            // Vertex i is a node when the edge before it and the edge after it are used by
            // different sets of rings.
            let mut nodes: Vec<usize> =
                (0..n).filter(|&i| sig((i + n - 1) % n) != sig(i)).collect();
            if nodes.len() < 2 {
                // A ring shared whole (or not at all) has no natural node. Pick nodes every user
                // of the ring agrees on: its lowest vertex by bits, then the vertex farthest from
                // that one (ties to the lowest bits). Two nodes keep each arc open, which
                // Douglas–Peucker needs to have a baseline.
                let first = match nodes.first() {
                    Some(&i) => i,
                    None => (0..n).min_by_key(|&i| key(ring[i])).unwrap_or(0),
                };
                let far = (0..n)
                    .filter(|&i| i != first)
                    .max_by(|&a, &b| {
                        dist2(ring[first], ring[a])
                            .total_cmp(&dist2(ring[first], ring[b]))
                            .then_with(|| key(ring[b]).cmp(&key(ring[a])))
                    })
                    .unwrap_or(first);
                nodes = vec![first.min(far), first.max(far)];
            }
            let mut refs = Vec::with_capacity(nodes.len());
            for (k, &start) in nodes.iter().enumerate() {
                let end = nodes[(k + 1) % nodes.len()];
                let mut arc = Vec::new();
                let mut i = start;
                loop {
                    arc.push(ring[i]);
                    if arc.len() > 1 && i == end {
                        break;
                    }
                    i = (i + 1) % n;
                }
                let fwd = (key(arc[0]), key(arc[1]));
                let r = match by_first_edge.get(&fwd) {
                    Some(&r) => r,
                    None => {
                        let id = arcs.len();
                        let m = arc.len();
                        by_first_edge.insert(
                            fwd,
                            ArcRef {
                                arc: id,
                                reversed: false,
                            },
                        );
                        by_first_edge.insert(
                            (key(arc[m - 1]), key(arc[m - 2])),
                            ArcRef {
                                arc: id,
                                reversed: true,
                            },
                        );
                        arcs.push(arc);
                        ArcRef {
                            arc: id,
                            reversed: false,
                        }
                    }
                };
                refs.push(r);
            }
            let shape = &mut out[s];
            if shape.parts.len() <= p {
                shape.parts.resize(p + 1, Vec::new());
            }
            if is_ext {
                shape.parts[p].insert(0, refs);
            } else {
                shape.parts[p].push(refs);
            }
        }
        // Parts whose exterior was degenerate hold no rings or only holes; drop them.
        for shape in &mut out {
            shape.parts.retain(|rings| !rings.is_empty());
        }
        Topology { arcs, shapes: out }
    }

    /// Number of distinct arcs (a shared boundary counts once).
    pub fn arc_count(&self) -> usize {
        self.arcs.len()
    }

    /// Number of input shapes.
    pub fn len(&self) -> usize {
        self.shapes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.shapes.is_empty()
    }

    /// Simplifies every arc once with Douglas–Peucker at `tolerance` (same unit as the input
    /// coordinates; end nodes never move) and rebuilds all shapes, in input order. A shape whose
    /// every ring collapsed comes back as an empty MultiPolygon.
    pub fn simplify(&self, tolerance: f64) -> Vec<MultiPolygon<f64>> {
        let simplified: Vec<Vec<Coord<f64>>> = self
            .arcs
            .iter()
            .map(|a| {
                if a.len() <= 2 || tolerance <= 0.0 {
                    a.clone()
                } else {
                    LineString::from(a.clone()).simplify(tolerance).0
                }
            })
            .collect();
        self.shapes
            .iter()
            .map(|shape| {
                let polys = shape.parts.iter().filter_map(|rings| {
                    let mut rebuilt = rings.iter().map(|r| rebuild_ring(&simplified, r));
                    let exterior = rebuilt.next().flatten()?;
                    let holes: Vec<LineString<f64>> = rebuilt.flatten().collect();
                    Some(Polygon::new(exterior, holes))
                });
                MultiPolygon(polys.collect())
            })
            .collect()
    }
}

/// Concatenates arcs into a closed ring; None when it collapsed (see the module's guard).
fn rebuild_ring(arcs: &[Vec<Coord<f64>>], refs: &[ArcRef]) -> Option<LineString<f64>> {
    let mut pts: Vec<Coord<f64>> = Vec::new();
    for r in refs {
        let arc = &arcs[r.arc];
        let iter: Box<dyn Iterator<Item = &Coord<f64>>> = if r.reversed {
            Box::new(arc.iter().rev())
        } else {
            Box::new(arc.iter())
        };
        for &c in iter {
            // Arcs meet at their nodes: skip the repeated junction vertex.
            if pts.last().map(|&l| key(l)) != Some(key(c)) {
                pts.push(c);
            }
        }
    }
    while pts.len() > 1 && key(pts[0]) == key(pts[pts.len() - 1]) {
        pts.pop();
    }
    let mut distinct: Vec<Key> = pts.iter().map(|&c| key(c)).collect();
    distinct.sort_unstable();
    distinct.dedup();
    let n = pts.len();
    let twice_area: f64 = (0..n)
        .map(|i| pts[i].x * pts[(i + 1) % n].y - pts[(i + 1) % n].x * pts[i].y)
        .sum();
    if distinct.len() < 3 || twice_area == 0.0 {
        return None;
    }
    pts.push(pts[0]);
    Some(LineString::from(pts))
}

/// Douglas–Peucker tolerance in degrees for lon/lat data drawn at zoom `z`: `pixels` screen
/// pixels (256 per tile side), made smaller by cos(latitude) because Web Mercator stretches
/// latitude by 1/cos φ. Use the grid set's mean latitude.
pub fn tolerance_for_zoom(z: u8, pixels: f64, latitude: f64) -> f64 {
    pixels * crate::math::pixel_degrees(z) * latitude.to_radians().cos().abs()
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    #[test]
    fn two_squares_share_one_arc() {
        let a = polygon![(x: 0., y: 0.), (x: 1., y: 0.), (x: 1., y: 1.), (x: 0., y: 1.)];
        let b = polygon![(x: 1., y: 0.), (x: 2., y: 0.), (x: 2., y: 1.), (x: 1., y: 1.)];
        let t = Topology::build(&[MultiPolygon(vec![a.clone()]), MultiPolygon(vec![b])]);
        // a's outer boundary, b's outer boundary, the shared edge.
        assert_eq!(t.arc_count(), 3);
        let out = t.simplify(0.0);
        assert_eq!(out[0].0[0].exterior().0.len(), 5);
        use geo::Area;
        assert!((out[0].unsigned_area() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn island_ring_shared_with_hole_keeps_nodes() {
        let outer = polygon!(
            exterior: [(x: 0., y: 0.), (x: 10., y: 0.), (x: 10., y: 10.), (x: 0., y: 10.)],
            interiors: [[(x: 4., y: 4.), (x: 6., y: 4.), (x: 6., y: 6.), (x: 4., y: 6.)]],
        );
        let inner = polygon![(x: 4., y: 4.), (x: 4., y: 6.), (x: 6., y: 6.), (x: 6., y: 4.)];
        let t = Topology::build(&[MultiPolygon(vec![outer]), MultiPolygon(vec![inner])]);
        // Outer exterior: 2 arcs; the hole = the island: 2 arcs shared.
        assert_eq!(t.arc_count(), 4);
        let out = t.simplify(100.0);
        // Collapsed at a huge tolerance: the island and the hole vanish together.
        assert!(out[1].0.is_empty());
        assert!(out[0].0.is_empty() || out[0].0[0].interiors().is_empty());
    }
}
