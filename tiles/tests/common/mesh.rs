//! A jittered mesh partition: nx × ny cells on an integer lattice, every cell edge subdivided
//! into `k` steps whose inner points are jittered by -1..=1 lattice units across the edge.
//! Each edge is generated once, so neighbours share bit-identical vertices; the outer frame is
//! straight. `s` (cell side in lattice units) must be ≥ 2k so that jitter cannot cross.

use geo::{Coord, LineString, MultiPolygon, Polygon};

/// Deterministic jitter in -1..=1 (splitmix64 of the inputs).
fn jitter(seed: u64, horizontal: bool, i: u32, j: u32, t: u32) -> i64 {
    let mut z = seed
        ^ (u64::from(horizontal) << 63)
        ^ (u64::from(i) << 40)
        ^ (u64::from(j) << 16)
        ^ u64::from(t);
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    (z % 3) as i64 - 1
}

pub(crate) struct Mesh {
    pub nx: u32,
    pub ny: u32,
    pub s: i64,
    pub k: i64,
    pub seed: u64,
}

impl Mesh {
    /// Lattice points of the horizontal edge from corner (i, j) to (i+1, j).
    fn h_edge(&self, i: u32, j: u32) -> Vec<(i64, i64)> {
        let (x0, y0) = (i64::from(i) * self.s, i64::from(j) * self.s);
        (0..=self.k)
            .map(|t| {
                let frame = j == 0 || j == self.ny || t == 0 || t == self.k;
                let d = if frame {
                    0
                } else {
                    jitter(self.seed, true, i, j, t as u32)
                };
                (x0 + t * self.s / self.k, y0 + d)
            })
            .collect()
    }

    fn v_edge(&self, i: u32, j: u32) -> Vec<(i64, i64)> {
        let (x0, y0) = (i64::from(i) * self.s, i64::from(j) * self.s);
        (0..=self.k)
            .map(|t| {
                let frame = i == 0 || i == self.nx || t == 0 || t == self.k;
                let d = if frame {
                    0
                } else {
                    jitter(self.seed, false, i, j, t as u32)
                };
                (x0 + d, y0 + t * self.s / self.k)
            })
            .collect()
    }

    /// Cell rings in lattice units, counter-clockwise with y up, closed.
    pub(crate) fn cells_lattice(&self) -> Vec<Vec<(i64, i64)>> {
        let mut out = Vec::new();
        for j in 0..self.ny {
            for i in 0..self.nx {
                let mut r = self.h_edge(i, j);
                r.extend(self.v_edge(i + 1, j).into_iter().skip(1));
                r.extend(self.h_edge(i, j + 1).into_iter().rev().skip(1));
                r.extend(self.v_edge(i, j).into_iter().rev().skip(1));
                out.push(r);
            }
        }
        out
    }

    /// Cells mapped to lon/lat: lon0 + x·unit, lat0 + y·unit. With `unit` a power of two and
    /// lon0/lat0 exactly representable, the mapping is exact, so shared vertices stay shared.
    pub(crate) fn cells_lonlat(&self, lon0: f64, lat0: f64, unit: f64) -> Vec<MultiPolygon<f64>> {
        self.cells_lattice()
            .into_iter()
            .map(|r| {
                let ring: Vec<Coord<f64>> = r
                    .into_iter()
                    .map(|(x, y)| Coord {
                        x: lon0 + x as f64 * unit,
                        y: lat0 + y as f64 * unit,
                    })
                    .collect();
                MultiPolygon(vec![Polygon::new(LineString::from(ring), vec![])])
            })
            .collect()
    }
}
