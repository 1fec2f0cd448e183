//! Clipping in tile space against the buffered tile square.
//!
//! Choice: Sutherland–Hodgman for rings, Liang–Barsky for line segments. The clip window is
//! always an axis-aligned square, so Sutherland–Hodgman is exact, allocation-light and keeps
//! every ring a single ring (no splitting into pieces). The price is known: a concave ring that
//! leaves and re-enters the window comes back with zero-width "bridges" running along the
//! window's edge. Those lie in the buffer, outside the visible tile, so renderers never show
//! them; that is why every tile has a buffer. A general boolean intersection (geo's BooleanOps)
//! would split such rings properly but costs an order of magnitude more per feature and can
//! move shared vertices, which would undo the shared-edge guarantee of [`crate::simplify`].
//!
//! Points exactly on the window edge count as inside.

use geo::Coord;

/// Axis-aligned clip window in tile coordinates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClipRect {
    pub min_x: f64,
    pub min_y: f64,
    pub max_x: f64,
    pub max_y: f64,
}

impl ClipRect {
    /// The tile square 0..extent grown by `buffer` on every side.
    pub fn buffered(extent: u32, buffer: u32) -> ClipRect {
        let b = f64::from(buffer);
        let e = f64::from(extent);
        ClipRect {
            min_x: -b,
            min_y: -b,
            max_x: e + b,
            max_y: e + b,
        }
    }

    pub fn contains(&self, c: Coord<f64>) -> bool {
        c.x >= self.min_x && c.x <= self.max_x && c.y >= self.min_y && c.y <= self.max_y
    }

    /// Whether an axis-aligned box (given by its corners) touches the window.
    pub fn intersects_box(&self, min: Coord<f64>, max: Coord<f64>) -> bool {
        min.x <= self.max_x && max.x >= self.min_x && min.y <= self.max_y && max.y >= self.min_y
    }
}

#[derive(Clone, Copy)]
enum Edge {
    Left,
    Right,
    Top,
    Bottom,
}

impl Edge {
    fn inside(self, r: &ClipRect, c: Coord<f64>) -> bool {
        match self {
            Edge::Left => c.x >= r.min_x,
            Edge::Right => c.x <= r.max_x,
            Edge::Top => c.y >= r.min_y,
            Edge::Bottom => c.y <= r.max_y,
        }
    }

    /// Intersection of segment a→b with this edge's line; only called when a and b straddle it,
    /// so the denominator is non-zero.
    fn cut(self, r: &ClipRect, a: Coord<f64>, b: Coord<f64>) -> Coord<f64> {
        match self {
            Edge::Left | Edge::Right => {
                let x = if matches!(self, Edge::Left) {
                    r.min_x
                } else {
                    r.max_x
                };
                let t = (x - a.x) / (b.x - a.x);
                Coord {
                    x,
                    y: a.y + t * (b.y - a.y),
                }
            }
            Edge::Top | Edge::Bottom => {
                let y = if matches!(self, Edge::Top) {
                    r.min_y
                } else {
                    r.max_y
                };
                let t = (y - a.y) / (b.y - a.y);
                Coord {
                    x: a.x + t * (b.x - a.x),
                    y,
                }
            }
        }
    }
}

/// Clips a ring (open or closed: a repeated closing point is ignored) against `r`.
/// Returns the clipped ring *open* (no repeated closing point); it may be empty or degenerate,
/// the caller filters rings with fewer than 3 distinct points or zero area.
pub fn clip_ring(ring: &[Coord<f64>], r: &ClipRect) -> Vec<Coord<f64>> {
    let mut pts: Vec<Coord<f64>> = ring.to_vec();
    if pts.len() > 1 && pts.first() == pts.last() {
        pts.pop();
    }
    clip_open_ring_in_place(&mut pts, &mut Vec::new(), r);
    pts
}

/// [`clip_ring`] on an already open ring, in place, with `tmp` as the second buffer: the tile
/// encoder reuses both buffers for every ring of a tile instead of allocating per ring.
pub(crate) fn clip_open_ring_in_place(
    pts: &mut Vec<Coord<f64>>,
    tmp: &mut Vec<Coord<f64>>,
    r: &ClipRect,
) {
    // Fast path: the whole ring is inside, the common case for small grids at high zoom.
    if pts.iter().all(|&c| r.contains(c)) {
        return;
    }
    for edge in [Edge::Left, Edge::Right, Edge::Top, Edge::Bottom] {
        if pts.is_empty() {
            break;
        }
        tmp.clear();
        let mut prev = pts[pts.len() - 1];
        for &cur in pts.iter() {
            let (pin, cin) = (edge.inside(r, prev), edge.inside(r, cur));
            if cin {
                if !pin {
                    tmp.push(edge.cut(r, prev, cur));
                }
                tmp.push(cur);
            } else if pin {
                tmp.push(edge.cut(r, prev, cur));
            }
            prev = cur;
        }
        std::mem::swap(pts, tmp);
    }
}

/// Clips a polyline against `r`; it may come back as several pieces (or none).
pub fn clip_line(line: &[Coord<f64>], r: &ClipRect) -> Vec<Vec<Coord<f64>>> {
    let mut pieces = Vec::new();
    let mut cur: Vec<Coord<f64>> = Vec::new();
    for w in line.windows(2) {
        match clip_segment(w[0], w[1], r) {
            Some((a, b)) => {
                if cur.last() != Some(&a) {
                    if cur.len() >= 2 {
                        pieces.push(std::mem::take(&mut cur));
                    }
                    cur.clear();
                    cur.push(a);
                }
                cur.push(b);
                // The segment left the window: the piece ends here.
                if b != w[1] {
                    if cur.len() >= 2 {
                        pieces.push(std::mem::take(&mut cur));
                    }
                    cur.clear();
                }
            }
            None => {
                if cur.len() >= 2 {
                    pieces.push(std::mem::take(&mut cur));
                }
                cur.clear();
            }
        }
    }
    if cur.len() >= 2 {
        pieces.push(cur);
    }
    pieces
}

/// Liang–Barsky segment clipping.
fn clip_segment(a: Coord<f64>, b: Coord<f64>, r: &ClipRect) -> Option<(Coord<f64>, Coord<f64>)> {
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for (p, q) in [
        (-dx, a.x - r.min_x),
        (dx, r.max_x - a.x),
        (-dy, a.y - r.min_y),
        (dy, r.max_y - a.y),
    ] {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
        } else {
            let t = q / p;
            if p < 0.0 {
                t0 = t0.max(t);
            } else {
                t1 = t1.min(t);
            }
        }
    }
    if t0 > t1 {
        return None;
    }
    let at = |t: f64| {
        if t == 0.0 {
            a
        } else if t == 1.0 {
            b
        } else {
            Coord {
                x: a.x + t * dx,
                y: a.y + t * dy,
            }
        }
    };
    Some((at(t0), at(t1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(x: f64, y: f64) -> Coord<f64> {
        Coord { x, y }
    }

    fn area(r: &[Coord<f64>]) -> f64 {
        let n = r.len();
        (0..n)
            .map(|i| r[i].x * r[(i + 1) % n].y - r[(i + 1) % n].x * r[i].y)
            .sum::<f64>()
            / 2.0
    }

    #[test]
    fn ring_inside_is_untouched_and_opened() {
        let r = ClipRect::buffered(10, 0);
        let ring = [c(1., 1.), c(2., 1.), c(2., 2.), c(1., 1.)];
        assert_eq!(clip_ring(&ring, &r), vec![c(1., 1.), c(2., 1.), c(2., 2.)]);
    }

    #[test]
    fn ring_crossing_corner_is_cut() {
        let r = ClipRect::buffered(10, 0);
        let ring = [c(5., 5.), c(15., 5.), c(15., 15.), c(5., 15.)];
        let out = clip_ring(&ring, &r);
        assert!((area(&out).abs() - 25.0).abs() < 1e-9);
        assert!(out.iter().all(|&p| r.contains(p)));
    }

    #[test]
    fn ring_outside_vanishes() {
        let r = ClipRect::buffered(10, 2);
        let ring = [c(20., 20.), c(30., 20.), c(30., 30.)];
        assert!(clip_ring(&ring, &r).is_empty());
    }

    #[test]
    fn line_leaves_and_reenters() {
        let r = ClipRect::buffered(10, 0);
        let line = [c(1., 1.), c(20., 1.), c(20., 5.), c(5., 5.), c(5., 8.)];
        let pieces = clip_line(&line, &r);
        assert_eq!(pieces.len(), 2);
        assert_eq!(pieces[0], vec![c(1., 1.), c(10., 1.)]);
        assert_eq!(pieces[1], vec![c(10., 5.), c(5., 5.), c(5., 8.)]);
    }
}
