//! The cell lattice every generated boundary is made of, and region growing over it.
//!
//! The district is covered by square cells of about [`CELL_M`] metres. Cell corners come from one
//! formula ([`CellGrid::corner`]), rounded to the engine's 1e-7° lattice, so neighbouring cells
//! share corners bit for bit. Cells wholly inside the district are kept as rectangles ("full"
//! cells); cells crossing the outline are clipped to it with the lattice's exact overlay. Every
//! town, community and base grid is a union of whole cells, so each level tiles the one above
//! exactly by construction.

use super::DemoError;
use geo::{Coord, MultiPolygon, Polygon, Rect};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use wangge_engine::district::normalise;
use wangge_engine::lattice;
use wangge_engine::measure::METRES_PER_DEGREE;
use wangge_engine::prepared::PreparedPolygon;

/// Cell edge length in metres.
pub const CELL_M: f64 = 200.0;

#[derive(Debug, Clone)]
pub struct Cell {
    pub i: i32,
    pub j: i32,
    pub geometry: MultiPolygon<f64>,
    /// Wholly inside the district: buildings and child grids are only placed in full cells, so
    /// they never touch the outline.
    pub full: bool,
}

#[derive(Debug, Clone)]
pub struct CellGrid {
    origin: Coord<f64>,
    dlon: f64,
    dlat: f64,
    pub cells: Vec<Cell>,
    by_ij: BTreeMap<(i32, i32), usize>,
}

impl CellGrid {
    /// Covers `district` (lattice coordinates) with cells, in row-major order from the south-west.
    pub fn build(district: &MultiPolygon<f64>) -> Result<Self, DemoError> {
        use geo::BoundingRect;
        let bbox = district
            .bounding_rect()
            .ok_or_else(|| DemoError::Outline("empty outline".into()))?;
        let lat0 = bbox.center().y;
        let dlat = CELL_M / METRES_PER_DEGREE;
        let dlon = CELL_M / (METRES_PER_DEGREE * lat0.to_radians().cos());
        let origin = lattice::snap(bbox.min());
        let mut grid = CellGrid {
            origin,
            dlon,
            dlat,
            cells: Vec::new(),
            by_ij: BTreeMap::new(),
        };
        let ni = ((bbox.max().x - origin.x) / dlon).ceil() as i32 + 1;
        let nj = ((bbox.max().y - origin.y) / dlat).ceil() as i32 + 1;
        let prepared = PreparedPolygon::new(district);
        for j in -1..nj {
            for i in -1..ni {
                let rect = grid.rect(i, j);
                let corners_in = rect_corners(&rect).iter().all(|c| prepared.contains(*c));
                let (geometry, full) = if corners_in && !prepared.boundary_touches_rect(rect) {
                    (MultiPolygon(vec![rect.to_polygon()]), true)
                } else if prepared.boundary_touches_rect(rect) {
                    // Oriented so that a hole stays a hole when the cell is fed to the next
                    // overlay (the overlay returns holes with the exterior's winding and reads
                    // them back with the non-zero rule).
                    let clipped =
                        lattice::intersection(&MultiPolygon(vec![rect.to_polygon()]), district)?;
                    (normalise(&clipped), false)
                } else {
                    continue;
                };
                if geometry.0.is_empty() {
                    continue;
                }
                grid.by_ij.insert((i, j), grid.cells.len());
                grid.cells.push(Cell {
                    i,
                    j,
                    geometry,
                    full,
                });
            }
        }
        Ok(grid)
    }

    /// The lattice-rounded corner (i, j): the single formula all cell edges come from.
    pub fn corner(&self, i: i32, j: i32) -> Coord<f64> {
        lattice::snap(Coord {
            x: self.origin.x + i as f64 * self.dlon,
            y: self.origin.y + j as f64 * self.dlat,
        })
    }

    pub fn rect(&self, i: i32, j: i32) -> Rect<f64> {
        Rect::new(self.corner(i, j), self.corner(i + 1, j + 1))
    }

    /// A point `(x_m, y_m)` metres east and north of cell `c`'s south-west corner, on the lattice.
    pub fn offset(&self, c: usize, x_m: f64, y_m: f64) -> Coord<f64> {
        let cell = &self.cells[c];
        let sw = self.corner(cell.i, cell.j);
        lattice::snap(Coord {
            x: sw.x + x_m / CELL_M * self.dlon,
            y: sw.y + y_m / CELL_M * self.dlat,
        })
    }

    /// An axis-aligned rectangle inside cell `c`, given in metres from its south-west corner.
    pub fn sub_rect(&self, c: usize, x0: f64, y0: f64, x1: f64, y1: f64) -> Polygon<f64> {
        use geo::orient::{Direction, Orient};
        Rect::new(self.offset(c, x0, y0), self.offset(c, x1, y1))
            .to_polygon()
            .orient(Direction::Default)
    }

    /// The centre of cell `c`'s square (not of its clipped shape).
    pub fn centre(&self, c: usize) -> Coord<f64> {
        let cell = &self.cells[c];
        Coord {
            x: self.origin.x + (cell.i as f64 + 0.5) * self.dlon,
            y: self.origin.y + (cell.j as f64 + 0.5) * self.dlat,
        }
    }

    pub fn cell_at(&self, i: i32, j: i32) -> Option<usize> {
        self.by_ij.get(&(i, j)).copied()
    }

    /// The cell whose square holds `p`, if it is part of the district.
    pub fn cell_of(&self, p: Coord<f64>) -> Option<usize> {
        let i = ((p.x - self.origin.x) / self.dlon).floor() as i32;
        let j = ((p.y - self.origin.y) / self.dlat).floor() as i32;
        self.cell_at(i, j)
    }

    /// Edge neighbours in a fixed order (east, north, west, south).
    pub fn neighbours(&self, c: usize) -> impl Iterator<Item = usize> + '_ {
        let (i, j) = (self.cells[c].i, self.cells[c].j);
        [(1, 0), (0, 1), (-1, 0), (0, -1)]
            .into_iter()
            .filter_map(move |(di, dj)| self.cell_at(i + di, j + dj))
    }

    /// Squared distance between two cells in cell units.
    pub fn dist2(&self, a: usize, b: usize) -> i64 {
        let (ca, cb) = (&self.cells[a], &self.cells[b]);
        let (di, dj) = ((ca.i - cb.i) as i64, (ca.j - cb.j) as i64);
        di * di + dj * dj
    }

    /// Squared distance from cell `c` to the fractional cell position `(i, j)`, in cell units².
    pub fn dist2_to(&self, c: usize, i: f64, j: f64) -> f64 {
        let cell = &self.cells[c];
        (cell.i as f64 + 0.5 - i).powi(2) + (cell.j as f64 + 0.5 - j).powi(2)
    }

    /// The fractional cell position of a coordinate.
    pub fn position(&self, p: Coord<f64>) -> (f64, f64) {
        (
            (p.x - self.origin.x) / self.dlon,
            (p.y - self.origin.y) / self.dlat,
        )
    }

    /// The union of whole cells (exact, on the lattice).
    ///
    /// Rings are oriented as RFC 7946 wants: the overlay may return a hole counter-clockwise,
    /// which geodesic area reads as "the rest of the Earth".
    pub fn union(&self, cells: &[usize]) -> Result<MultiPolygon<f64>, DemoError> {
        let union = lattice::union_all(cells.iter().map(|&c| &self.cells[c].geometry))?;
        Ok(normalise(&union))
    }
}

fn rect_corners(r: &Rect<f64>) -> [Coord<f64>; 4] {
    let (a, b) = (r.min(), r.max());
    [a, Coord { x: b.x, y: a.y }, b, Coord { x: a.x, y: b.y }]
}

/// Among `cells`, the one nearest to the fractional position `(i, j)`, preferring full cells.
pub fn nearest_cell(grid: &CellGrid, cells: &[usize], i: f64, j: f64) -> Option<usize> {
    let key = |&c: &usize| (!grid.cells[c].full, OrdF64(grid.dist2_to(c, i, j)), c);
    cells.iter().copied().min_by_key(key)
}

/// Total order on finite floats for deterministic `min_by_key`.
#[derive(Debug, Clone, Copy)]
struct OrdF64(f64);
impl PartialEq for OrdF64 {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}
impl PartialOrd for OrdF64 {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Eq for OrdF64 {}
impl Ord for OrdF64 {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// `k` seeds spread over `cells` by farthest-point sampling from `first`: each next seed is the
/// cell farthest from all seeds so far (ties: lowest cell index), which spreads regions evenly.
pub fn spread_seeds(grid: &CellGrid, cells: &[usize], first: usize, k: usize) -> Vec<usize> {
    let mut seeds = vec![first];
    let mut nearest: Vec<i64> = cells.iter().map(|&c| grid.dist2(c, first)).collect();
    while seeds.len() < k.min(cells.len()) {
        let Some((pos, _)) = nearest
            .iter()
            .enumerate()
            .max_by_key(|&(pos, d)| (*d, Reverse(cells[pos])))
        else {
            break;
        };
        let s = cells[pos];
        seeds.push(s);
        for (n, &c) in nearest.iter_mut().zip(cells) {
            *n = (*n).min(grid.dist2(c, s));
        }
    }
    seeds
}

/// Grows one region per seed over `cells` (sorted, distinct), returning each region's cells in
/// ascending order. Regions take turns claiming the free neighbouring cell nearest their seed, so
/// every region stays edge-connected; a region stops at its cap (if any) until every region is
/// capped, after which all grow freely to absorb what is left. Cells no region can reach (parts of
/// the outline joined only at a point) go to the region of the nearest claimed cell.
pub fn grow(
    grid: &CellGrid,
    cells: &[usize],
    seeds: &[usize],
    caps: &[Option<usize>],
) -> Vec<Vec<usize>> {
    let allowed: BTreeMap<usize, usize> = cells.iter().enumerate().map(|(p, &c)| (c, p)).collect();
    let mut owner: Vec<Option<usize>> = vec![None; cells.len()];
    let mut sizes = vec![0usize; seeds.len()];
    let mut heaps: Vec<BinaryHeap<Reverse<(i64, usize)>>> = vec![BinaryHeap::new(); seeds.len()];
    for (r, &s) in seeds.iter().enumerate() {
        heaps[r].push(Reverse((0, s)));
    }
    for capped in [true, false] {
        loop {
            let mut progress = false;
            for r in 0..seeds.len() {
                if capped
                    && caps
                        .get(r)
                        .copied()
                        .flatten()
                        .is_some_and(|cap| sizes[r] >= cap)
                {
                    continue;
                }
                while let Some(Reverse((_, c))) = heaps[r].pop() {
                    let Some(&pos) = allowed.get(&c) else {
                        continue;
                    };
                    if owner[pos].is_some() {
                        continue;
                    }
                    owner[pos] = Some(r);
                    sizes[r] += 1;
                    for n in grid.neighbours(c) {
                        if allowed.get(&n).is_some_and(|&p| owner[p].is_none()) {
                            heaps[r].push(Reverse((grid.dist2(n, seeds[r]), n)));
                        }
                    }
                    progress = true;
                    break;
                }
            }
            if !progress {
                break;
            }
        }
    }
    let claimed: Vec<(usize, usize)> = cells
        .iter()
        .zip(&owner)
        .filter_map(|(&c, o)| o.map(|r| (c, r)))
        .collect();
    for (pos, &c) in cells.iter().enumerate() {
        if owner[pos].is_none() {
            owner[pos] = claimed
                .iter()
                .min_by_key(|&&(d, _)| (grid.dist2(c, d), d))
                .map(|&(_, r)| r);
        }
    }
    let mut regions = vec![Vec::new(); seeds.len()];
    for (pos, &c) in cells.iter().enumerate() {
        if let Some(r) = owner[pos] {
            regions[r].push(c);
        }
    }
    regions
}
