//! Cell index of the current base grids: a uniform grid of cells over their extent, each cell
//! classified once so that most batch lookups need no polygon test.
//!
//! A cell is classified on its closed rectangle, widened by a margin larger than any rounding in
//! the point → cell computation (so a point that rounds into a neighbouring cell is still inside
//! the rectangle its cell was classified on):
//! - no base grid's boundary touches it: every point of it has the same answer, with
//!   `on_boundary` false: the lowest-coded grid holding the cell's centre, or none (a cell no grid
//!   touches, like the ocean around the US counties). The answer is one array read.
//! - some boundary touches it ("mixed"): the grids whose boundary touches it are kept, in code
//!   order, with the lowest-coded grid holding the whole cell; a point is tested against those
//!   few grids only, with the same rule as [`crate::lookup::base_at`].
//!
//! A grid whose boundary does not touch a cell holds all of it or none of it, so testing the
//! centre decides; every other grid is tested at the point itself. The answer is therefore the
//! very answer of `base_at`, for every point (border, vertex and outer-edge points included).
//!
//! # Why hand-written
//! shapely's `STRtree.query(points, predicate=...)` and the R-tree path of `base_at` both
//! descend a tree and test candidate polygons at every point; rstar has no notion of "this
//! area is wholly inside one polygon". Here most points lie in cells no boundary crosses and
//! cost one multiply and one or two loads. Quick side-by-side run (`bash
//! benches/side_by_side/run.sh --quick`, 200,000 random points, 2 threads, quiet machine),
//! points per second:
//!
//! | dataset                  | R-tree path | cell index | shapely intersects / within |
//! |--------------------------|-------------|------------|-----------------------------|
//! | Tunxi, 493 real grids    | 10.7 M      | 79 M       | 3.2 M / 2.2 M               |
//! | Helsinki, 187 grids      | 12.8 M      | 120 M      | 5.9 M / 2.2 M               |
//! | city, 5,000 grids        | 7.5 M       | 23 M       | 1.5 M / 1.0 M               |
//! | US counties, 96 % none   | 16 M        | 177 M      | 8.0 M / 7.1 M               |
//!
//! Every point gets the same grid as from shapely and PostGIS. The R-tree column is the figure
//! before this index (main at 0b20f42). Batches of 200,000 points take 1–9 ms, so a busy
//! second core shows: on a loaded machine Helsinki measured 58 M once (9.7 × shapely's
//! intersects).
//!
//! Edits keep the index current: [`CellIndex::refresh`] reclassifies the cells under a changed
//! grid's box; a change outside the indexed extent (or too much stale storage) drops the index,
//! which is rebuilt on the next batch.

use crate::prepared::PreparedPolygon;
use geo::{Coord, Rect};
use rayon::prelude::*;

/// What the cell index reads of a district: its current base grids, by slot.
///
/// A trait rather than the district itself so that the dependency goes one way: the district
/// holds its cell index and implements this (`district → cells`), and the index never names
/// the district (before, `cells`, `district` and `lookup` imported each other).
pub trait BaseGrids: Sync {
    /// Slots of the current base grids.
    fn current_base(&self) -> Vec<u32>;
    /// Slots of the current base grids whose boxes meet `r` (closed), in slot order.
    fn current_base_in(&self, r: Rect<f64>) -> Vec<u32>;
    /// The prepared polygon of a slot.
    fn prepared(&self, slot: u32) -> &PreparedPolygon;
    /// The code of the grid in a slot (ties between overlapping grids go to the lowest).
    fn code(&self, slot: u32) -> &str;
}

/// The compact answer of the batch form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BaseHit {
    /// Slot of the base grid (see [`crate::District::slot`]), or none.
    pub slot: Option<u32>,
    pub on_boundary: bool,
}

/// How far (degrees, per axis) beyond the outer edge of the coverage a snapped query point still
/// takes the grid of that edge: a point on an edge of the unsnapped drawing lands within one
/// lattice unit per axis of the snapped edge; half a unit more absorbs rounding.
pub const EDGE_TOLERANCE_DEG: f64 = 1.5 / crate::lattice::UNITS_PER_DEGREE;

/// The lowest-coded of `cands` whose boundary passes within [`EDGE_TOLERANCE_DEG`] of the
/// snapped point `q`: the owner of a point that no grid holds or touches. The R-tree path
/// ([`crate::lookup::base_at`]) and the cell index both decide outer-edge points here.
pub(crate) fn near_edge<D: BaseGrids + ?Sized>(
    d: &D,
    q: Coord<f64>,
    cands: impl IntoIterator<Item = u32>,
) -> Option<u32> {
    cands
        .into_iter()
        .filter(|&s| d.prepared(s).boundary_near(q, EDGE_TOLERANCE_DEG))
        .min_by(|&a, &b| code_order(d, a, b))
}

/// Cell value: no grid.
const NONE: u32 = u32::MAX;
/// Cell value flag: the low 31 bits index `mixed`.
const MIXED: u32 = 1 << 31;

/// Cells per current base grid: 1,024 (32 × 32 cells in a grid's area) leaves about one cell
/// in sixteen on a boundary for compact grids. Measured single-threaded on the side-by-side data
/// (200,000 random points), 256 → 1,024 cells per grid: US counties 58–71 → 94 M points/s,
/// Tunxi 34 → 43 M/s, Helsinki unchanged at about 62 M/s; blocks of one value keep the empty
/// and inner areas small, and [`MAX_CELLS`] bounds the largest districts.
const CELLS_PER_GRID: f64 = 1024.0;
/// At most this many cells (4 bytes each): 16 MiB for the largest districts.
const MAX_CELLS: f64 = (1u32 << 22) as f64;
/// Cells per axis at most.
const MAX_SIDE: f64 = 8192.0;

/// Points this far (degrees) outside the grids' extent are still looked up in the edge cells:
/// snapped to the lattice (half a unit) they may lie within the lookup's edge tolerance
/// ([`EDGE_TOLERANCE_DEG`], 1.5 units) of the outer edge.
const REACH: f64 = 3e-7;
/// The smallest widening of a cell: `REACH`, plus half a unit of snapping, plus the edge
/// tolerance, plus slack. A cell whose widened rectangle no boundary touches then has one answer
/// for every point in it or within `REACH` of the extent, snapped or not, tolerance included.
const MIN_MARGIN: f64 = 6e-7;

/// A cell some grid boundary touches.
#[derive(Debug, Clone, Copy)]
struct Mixed {
    /// The lowest-coded grid holding the whole cell (when base grids overlap), or [`NONE`].
    cover: u32,
    /// `cands[start..end]`: grids whose boundary touches the cell, in code order.
    start: u32,
    end: u32,
}

/// Cell value of a block that is split: its cells are stored in `cells`.
const SPLIT: u32 = u32::MAX - 1;
/// Mixed cells at most, so that `MIXED | index` stays below [`SPLIT`] and [`NONE`].
const MAX_MIXED: usize = (1 << 31) - 2;
/// Cells per block side (a power of two).
const BLOCK_SHIFT: usize = 3;
const BLOCK: usize = 1 << BLOCK_SHIFT;

/// 8 × 8 cells. Most of an extent like the US counties' (96 % ocean or beyond the border) is
/// whole blocks of "none": the block table (64 times smaller than the cells) stays in cache where
/// a table of every cell would not.
#[derive(Debug, Clone, Copy)]
struct Block {
    /// The value of every cell of the block, or [`SPLIT`].
    value: u32,
    /// For a split block: its first cell in `cells`.
    at: u32,
}

/// How one cell was classified.
enum Class {
    Pure(u32),
    Mixed { cover: u32, cands: Vec<u32> },
}

#[derive(Clone, Default)]
pub struct CellIndex {
    x0: f64,
    y0: f64,
    x1: f64,
    y1: f64,
    nx: usize,
    ny: usize,
    /// Cells per degree.
    inv_w: f64,
    inv_h: f64,
    /// Cell size in degrees.
    cw: f64,
    ch: f64,
    /// Widening of each cell's rectangle, in degrees.
    margin: f64,
    /// Blocks of 8 × 8 cells, row-major (`nbx` per row): one value for a block whose cells all
    /// have it, else where its cells start in `cells`.
    blocks: Vec<Block>,
    nbx: usize,
    /// Cells of split blocks, 64 per block, row-major inside the block.
    cells: Vec<u32>,
    mixed: Vec<Mixed>,
    cands: Vec<u32>,
    /// Mixed entries no cell refers to any more (left behind by refreshes).
    stale: usize,
}

impl std::fmt::Debug for CellIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CellIndex")
            .field("nx", &self.nx)
            .field("ny", &self.ny)
            .field("mixed", &self.mixed.len())
            .field("cands", &self.cands.len())
            .finish()
    }
}

/// Orders slots by grid code (then slot, so equal codes still give one answer).
fn code_order<D: BaseGrids + ?Sized>(d: &D, a: u32, b: u32) -> std::cmp::Ordering {
    d.code(a).cmp(d.code(b)).then(a.cmp(&b))
}

impl CellIndex {
    /// An index with no grid: every point has none.
    fn empty() -> CellIndex {
        CellIndex {
            x0: f64::INFINITY,
            y0: f64::INFINITY,
            x1: f64::NEG_INFINITY,
            y1: f64::NEG_INFINITY,
            nx: 1,
            ny: 1,
            nbx: 1,
            blocks: vec![Block { value: NONE, at: 0 }],
            ..CellIndex::default()
        }
    }

    /// Classifies every cell over the extent of the current base grids. None when slot numbers
    /// do not fit the 31 bits of a cell value (lookups then use the R-tree).
    pub fn build<D: BaseGrids + ?Sized>(d: &D) -> Option<CellIndex> {
        let slots = d.current_base();
        let mut extent: Option<Rect<f64>> = None;
        for &s in &slots {
            let b = d.prepared(s).bbox();
            extent = Some(match extent {
                Some(e) => crate::index::union_rect(e, b),
                None => b,
            });
        }
        if slots.iter().any(|&s| s >= MIXED) {
            return None;
        }
        let Some(ext) = extent else {
            return Some(CellIndex::empty());
        };
        let (w, h) = (ext.width(), ext.height());
        let target = (slots.len() as f64 * CELLS_PER_GRID).min(MAX_CELLS);
        // Square cells in degrees; a side of at least the 1e-7° lattice step.
        let side = ((w * h) / target)
            .sqrt()
            .max(w / MAX_SIDE)
            .max(h / MAX_SIDE);
        let side = if side.is_finite() && side > 1e-7 {
            side
        } else {
            w.max(h).max(1e-7)
        };
        let nx = ((w / side).ceil() as usize).clamp(1, MAX_SIDE as usize);
        let ny = ((h / side).ceil() as usize).clamp(1, MAX_SIDE as usize);
        let (cw, ch) = (w / nx as f64, h / ny as f64);
        let mut index = CellIndex {
            x0: ext.min().x,
            y0: ext.min().y,
            x1: ext.max().x,
            y1: ext.max().y,
            nx,
            ny,
            inv_w: if cw > 0.0 { 1.0 / cw } else { 0.0 },
            inv_h: if ch > 0.0 { 1.0 / ch } else { 0.0 },
            cw,
            ch,
            // Rounding of the cell computation is below 1e-12 of a cell and of the coordinates;
            // a thousandth of a cell is far above it and costs little. At least MIN_MARGIN, so
            // that the widened rectangle also holds the lattice tolerance of lookups.
            margin: (cw.max(ch) * 1e-3).max(MIN_MARGIN),
            blocks: Vec::new(),
            nbx: nx.div_ceil(BLOCK),
            cells: Vec::new(),
            mixed: Vec::new(),
            cands: Vec::new(),
            stale: 0,
        };
        // Sequential on purpose: this runs inside the district's `OnceLock` initialisation, and a
        // parallel build could have rayon workers blocked on that same lock (another batch
        // waiting for the index) while the build's own jobs wait for a worker.
        let rows: Vec<Vec<Class>> = (0..ny).map(|iy| index.classify_row(d, iy)).collect();
        let mut flat = Vec::with_capacity(nx * ny);
        for class in rows.into_iter().flatten() {
            let v = index.store(class);
            flat.push(v);
        }
        if index.mixed.len() >= MAX_MIXED {
            return None;
        }
        let nby = ny.div_ceil(BLOCK);
        index.blocks = Vec::with_capacity(index.nbx * nby);
        for by in 0..nby {
            for bx in 0..index.nbx {
                // Cells beyond nx or ny are never addressed; they take the first cell's value.
                let first = flat[(by * BLOCK) * nx + bx * BLOCK];
                let cell = |i: usize, j: usize| {
                    let (ix, iy) = (bx * BLOCK + i, by * BLOCK + j);
                    if ix < nx && iy < ny {
                        flat[iy * nx + ix]
                    } else {
                        first
                    }
                };
                let uniform = (0..BLOCK).all(|j| (0..BLOCK).all(|i| cell(i, j) == first));
                if uniform && first != SPLIT {
                    index.blocks.push(Block {
                        value: first,
                        at: 0,
                    });
                } else {
                    let at = index.cells.len() as u32;
                    for j in 0..BLOCK {
                        for i in 0..BLOCK {
                            index.cells.push(cell(i, j));
                        }
                    }
                    index.blocks.push(Block { value: SPLIT, at });
                }
            }
        }
        Some(index)
    }

    /// The widened closed rectangle of cell (ix, iy).
    fn cell_rect(&self, ix: usize, iy: usize) -> Rect<f64> {
        let m = self.margin;
        Rect::new(
            Coord {
                x: self.x0 + ix as f64 * self.cw - m,
                y: self.y0 + iy as f64 * self.ch - m,
            },
            Coord {
                x: self.x0 + (ix + 1) as f64 * self.cw + m,
                y: self.y0 + (iy + 1) as f64 * self.ch + m,
            },
        )
    }

    /// Classifies cell (ix, iy), given at least the current base grids whose boxes meet its
    /// widened rectangle (others are skipped).
    fn classify<D: BaseGrids + ?Sized>(
        &self,
        d: &D,
        ix: usize,
        iy: usize,
        near: impl IntoIterator<Item = u32>,
    ) -> Class {
        let rect = self.cell_rect(ix, iy);
        let centre = rect.center();
        let mut cover = NONE;
        let mut cands = Vec::new();
        for s in near {
            let prepared = d.prepared(s);
            if prepared.boundary_touches_rect(rect) {
                cands.push(s);
            } else if prepared.contains(centre)
                && (cover == NONE || code_order(d, s, cover).is_lt())
            {
                cover = s;
            }
        }
        if cands.is_empty() {
            Class::Pure(cover)
        } else {
            cands.sort_by(|&a, &b| code_order(d, a, b));
            Class::Mixed { cover, cands }
        }
    }

    /// Classifies a row of cells, sweeping west to east over the grids whose boxes meet the
    /// row: one R-tree query per row instead of one per cell (the build is dominated by those
    /// queries otherwise).
    fn classify_row<D: BaseGrids + ?Sized>(&self, d: &D, iy: usize) -> Vec<Class> {
        let band = self.cell_rect(0, iy);
        let row = Rect::new(
            band.min(),
            Coord {
                x: self.cell_rect(self.nx - 1, iy).max().x,
                y: band.max().y,
            },
        );
        let mut by_west: Vec<(f64, f64, u32)> = d
            .current_base_in(row)
            .into_iter()
            .map(|s| {
                let b = d.prepared(s).bbox();
                (b.min().x, b.max().x, s)
            })
            .collect();
        by_west.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut next = 0;
        let mut active: Vec<(f64, u32)> = Vec::new();
        (0..self.nx)
            .map(|ix| {
                let cell = self.cell_rect(ix, iy);
                // Boxes meet the cell when west <= cell east and east >= cell west (closed, as
                // in the R-tree); the row query already checked the y range.
                while next < by_west.len() && by_west[next].0 <= cell.max().x {
                    active.push((by_west[next].1, by_west[next].2));
                    next += 1;
                }
                active.retain(|&(east, _)| east >= cell.min().x);
                self.classify(d, ix, iy, active.iter().map(|&(_, s)| s))
            })
            .collect()
    }

    fn store(&mut self, class: Class) -> u32 {
        match class {
            Class::Pure(v) => v,
            Class::Mixed { cover, cands } => {
                let start = self.cands.len() as u32;
                self.cands.extend_from_slice(&cands);
                self.mixed.push(Mixed {
                    cover,
                    start,
                    end: self.cands.len() as u32,
                });
                MIXED | (self.mixed.len() - 1) as u32
            }
        }
    }

    /// The base grid owning `p` among the current grids: the answer of
    /// [`crate::lookup::base_at`] with `as_of = None`.
    #[inline]
    pub fn hit<D: BaseGrids + ?Sized>(&self, d: &D, p: Coord<f64>) -> BaseHit {
        // Outside the union of the grids' boxes no grid holds or touches `p`.
        let Some((ix, iy)) = self.cell_of(p) else {
            return BaseHit {
                slot: None,
                on_boundary: false,
            };
        };
        let v = self.value(ix, iy);
        if v & MIXED == 0 {
            return BaseHit {
                slot: Some(v),
                on_boundary: false,
            };
        }
        if v == NONE {
            return BaseHit {
                slot: None,
                on_boundary: false,
            };
        }
        self.mixed_hit(d, p, v & !MIXED)
    }

    /// The answer in a mixed cell. Kept out of line so that the common case above stays small
    /// enough to be inlined into the batch loop.
    #[inline(never)]
    fn mixed_hit<D: BaseGrids + ?Sized>(&self, d: &D, p: Coord<f64>, mixed: u32) -> BaseHit {
        // Snapped as in `base_at`. Points of pure cells need no snapping: the snapped point stays
        // in the widened rectangle, where every point has the same answer.
        let p = crate::lattice::snap(p);
        let m = self.mixed[mixed as usize];
        // Candidates are in code order: the first holding `p` is the lowest-coded owner among
        // them, the first touching it the lowest-coded touching grid.
        let mut owner = None;
        let mut touching = None;
        for &s in &self.cands[m.start as usize..m.end as usize] {
            let rel = d.prepared(s).relate(p);
            if rel.on_boundary && touching.is_none() {
                touching = Some(s);
            }
            if rel.inside && owner.is_none() {
                owner = Some(s);
            }
        }
        if m.cover != NONE {
            owner = Some(match owner {
                Some(o) if code_order(d, o, m.cover).is_lt() => o,
                _ => m.cover,
            });
        }
        if owner.is_none() && touching.is_none() {
            // Beyond the outer edge: every grid whose boundary passes within the tolerance
            // touches the widened cell, so it is among the candidates.
            let slot = near_edge(
                d,
                p,
                self.cands[m.start as usize..m.end as usize].iter().copied(),
            );
            return BaseHit {
                slot,
                on_boundary: slot.is_some(),
            };
        }
        BaseHit {
            slot: owner.or(touching),
            on_boundary: touching.is_some(),
        }
    }

    /// Answers many points, in input order.
    ///
    /// Small tables (under 2 MiB: most districts, the US counties) stay in cache: points are
    /// answered in input order. Large ones (5,000 grids: 7 MiB; 50,000 grids: 30 MiB, and the
    /// polygons) do not, and random points would each miss the cache several times over; there points
    /// are first bucketed by tile of 128 × 128 cells (a counting sort, two sequential passes),
    /// so each tile's cells and polygons are loaded once for all its points.
    pub fn batch<D: BaseGrids + ?Sized>(&self, d: &D, points: &[Coord<f64>]) -> Vec<BaseHit> {
        const TILE_SHIFT: u32 = 7;
        if self.bytes() < 2 << 20 || points.len() < 1 << 15 {
            return points
                .par_iter()
                .with_min_len(4096)
                .map(|&p| self.hit(d, p))
                .collect();
        }
        let tx = (self.nx >> TILE_SHIFT) + 1;
        let ty = (self.ny >> TILE_SHIFT) + 1;
        // Points outside the extent go to one extra bucket.
        let outside = (tx * ty) as u32;
        let keys: Vec<u32> = points
            .par_iter()
            .with_min_len(4096)
            .map(|p| match self.cell_of(*p) {
                Some((ix, iy)) => ((iy >> TILE_SHIFT) * tx + (ix >> TILE_SHIFT)) as u32,
                None => outside,
            })
            .collect();
        let mut starts = vec![0u32; outside as usize + 2];
        for &k in &keys {
            starts[k as usize + 1] += 1;
        }
        for i in 1..starts.len() {
            starts[i] += starts[i - 1];
        }
        let mut order = vec![0u32; points.len()];
        for (i, &k) in keys.iter().enumerate() {
            let at = &mut starts[k as usize];
            order[*at as usize] = i as u32;
            *at += 1;
        }
        let sorted: Vec<BaseHit> = order
            .par_iter()
            .with_min_len(4096)
            .map(|&i| self.hit(d, points[i as usize]))
            .collect();
        let mut out = vec![
            BaseHit {
                slot: None,
                on_boundary: false
            };
            points.len()
        ];
        for (hit, &i) in sorted.into_iter().zip(&order) {
            out[i as usize] = hit;
        }
        out
    }

    /// Memory held by the tables.
    pub fn bytes(&self) -> usize {
        self.blocks.len() * std::mem::size_of::<Block>()
            + self.cells.len() * 4
            + self.mixed.len() * std::mem::size_of::<Mixed>()
            + self.cands.len() * 4
    }

    /// The value of cell (ix, iy).
    #[inline]
    fn value(&self, ix: usize, iy: usize) -> u32 {
        let b = self.blocks[(iy >> BLOCK_SHIFT) * self.nbx + (ix >> BLOCK_SHIFT)];
        if b.value != SPLIT {
            return b.value;
        }
        self.cells[b.at as usize + ((iy & (BLOCK - 1)) << BLOCK_SHIFT) + (ix & (BLOCK - 1))]
    }

    /// Sets the value of cell (ix, iy), splitting its block first if it is whole.
    fn set(&mut self, ix: usize, iy: usize, v: u32) {
        let bi = (iy >> BLOCK_SHIFT) * self.nbx + (ix >> BLOCK_SHIFT);
        let b = self.blocks[bi];
        if b.value != SPLIT {
            if b.value == v {
                return;
            }
            let at = self.cells.len() as u32;
            self.cells
                .extend(std::iter::repeat_n(b.value, BLOCK * BLOCK));
            self.blocks[bi] = Block { value: SPLIT, at };
        }
        let at = self.blocks[bi].at as usize;
        self.cells[at + ((iy & (BLOCK - 1)) << BLOCK_SHIFT) + (ix & (BLOCK - 1))] = v;
    }

    /// The cell of `p`, or none farther than [`REACH`] outside the extent (NaN included).
    #[inline]
    fn cell_of(&self, p: Coord<f64>) -> Option<(usize, usize)> {
        if !(p.x >= self.x0 - REACH
            && p.x <= self.x1 + REACH
            && p.y >= self.y0 - REACH
            && p.y <= self.y1 + REACH)
        {
            return None;
        }
        // `as usize` saturates (negative values to 0); points on or just beyond the edge of the
        // extent fall in the edge cells, whose widened rectangles hold them.
        let ix = (((p.x - self.x0) * self.inv_w) as usize).min(self.nx - 1);
        let iy = (((p.y - self.y0) * self.inv_h) as usize).min(self.ny - 1);
        Some((ix, iy))
    }

    /// Reclassifies the cells under `changed` (the box of a base grid version that appeared,
    /// disappeared or changed visibility). Returns false when the index can no longer be kept
    /// current and must be rebuilt: the box reaches beyond the indexed extent, or refreshes left
    /// as much stale storage as live.
    pub fn refresh<D: BaseGrids + ?Sized>(&mut self, d: &D, changed: Rect<f64>) -> bool {
        let (min, max) = (changed.min(), changed.max());
        if !(min.x >= self.x0 && max.x <= self.x1 && min.y >= self.y0 && max.y <= self.y1) {
            return false;
        }
        // Extra cells on each side: the widened rectangles of neighbours reach into the box
        // (by one cell, or more where the margin is wider than a cell).
        let margin = self.margin;
        let span = |lo: f64, hi: f64, o: f64, inv: f64, n: usize| {
            let k = (margin * inv).ceil() as usize + 1;
            let a = (((lo - o) * inv) as usize).saturating_sub(k);
            let b = ((((hi - o) * inv) as usize) + k).min(n - 1);
            (a, b)
        };
        let (ax, bx) = span(min.x, max.x, self.x0, self.inv_w, self.nx);
        let (ay, by) = span(min.y, max.y, self.y0, self.inv_h, self.ny);
        for iy in ay..=by {
            for ix in ax..=bx {
                let near = d.current_base_in(self.cell_rect(ix, iy));
                let class = self.classify(d, ix, iy, near);
                let old = self.value(ix, iy);
                if old != NONE && old & MIXED != 0 {
                    self.stale += 1;
                }
                let v = self.store(class);
                self.set(ix, iy, v);
            }
        }
        self.stale <= self.mixed.len() / 2 + 4096 && self.mixed.len() < MAX_MIXED
    }

    /// The cell borders (x values, y values) as the index computes them: tests put points on
    /// them and one floating-point step either side.
    pub fn borders(&self) -> (Vec<f64>, Vec<f64>) {
        if self.x0 > self.x1 {
            return (vec![], vec![]);
        }
        (
            (0..=self.nx)
                .map(|i| self.x0 + i as f64 * self.cw)
                .collect(),
            (0..=self.ny)
                .map(|i| self.y0 + i as f64 * self.ch)
                .collect(),
        )
    }
}
