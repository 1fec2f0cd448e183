//! A deterministic synthetic large city for benchmarks: `nx` × `ny` base grids of about 100 m in
//! communities of `block` × `block` grids, with slanted shared edges (interior vertices jittered)
//! and about 20 vertices per grid, one building per grid and optionally micro grids.
//!
//! Exactness: every vertex is computed once, on the lattice, from its mesh indices, and every edge
//! is subdivided from its lower-indexed end, so neighbours share bit-identical vertices and each
//! community tiles exactly.

use chrono::NaiveDate;
use geo::{Coord, LineString, MultiPolygon, Point, Polygon};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use wangge_engine::{AdminArea, AdminLevel, AreaKind, Building, Footprint, Grid, Layer};

/// Points per grid edge (so a grid has 4 × this many vertices).
const EDGE_POINTS: usize = 5;
/// South-west corner of the city and grid size in degrees (about 100 m × 110 m at 29.5°N).
const X0: f64 = 118.0;
const Y0: f64 = 29.5;
const STEP: f64 = 0.001;

pub struct City {
    pub areas: Vec<AdminArea>,
    pub grids: Vec<Grid>,
    pub buildings: Vec<Building>,
}

fn lattice(v: f64) -> f64 {
    (v * 1e7).round() / 1e7
}

/// Generates the city. `micro_per_grid` micro grids (small squares around the grid centre) are
/// added to every base grid.
pub fn city(nx: usize, ny: usize, block: usize, micro_per_grid: usize) -> City {
    let mut rng = ChaCha8Rng::seed_from_u64(0x6369_7479);
    let block = block.max(1);
    let mut v = vec![vec![Coord { x: 0.0, y: 0.0 }; ny + 1]; nx + 1];
    for (i, col) in v.iter_mut().enumerate() {
        for (j, c) in col.iter_mut().enumerate() {
            // Community boundaries stay on straight lattice lines; inside, vertices move.
            let free = i % block != 0 && j % block != 0 && i < nx && j < ny;
            let (dx, dy) = if free {
                (rng.random_range(-0.25..0.25), rng.random_range(-0.25..0.25))
            } else {
                (0.0, 0.0)
            };
            *c = Coord {
                x: lattice(X0 + (i as f64 + dx) * STEP),
                y: lattice(Y0 + (j as f64 + dy) * STEP),
            };
        }
    }
    let edge = |a: (usize, usize), b: (usize, usize)| -> Vec<Coord<f64>> {
        // Subdivide from the lower-indexed end so both neighbours compute the same points.
        let (lo, hi, flip) = if a <= b { (a, b, false) } else { (b, a, true) };
        let (p, q) = (v[lo.0][lo.1], v[hi.0][hi.1]);
        let mut pts: Vec<Coord<f64>> = (0..EDGE_POINTS)
            .map(|t| {
                let f = t as f64 / EDGE_POINTS as f64;
                Coord {
                    x: lattice(p.x + (q.x - p.x) * f),
                    y: lattice(p.y + (q.y - p.y) * f),
                }
            })
            .collect();
        pts.push(q);
        if flip {
            pts.reverse();
        }
        pts.pop();
        pts
    };
    let from = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap_or_default();
    let (bx, by) = (nx.div_ceil(block), ny.div_ceil(block));
    let mut areas = vec![AdminArea {
        code: "990001".into(),
        name: "large city".into(),
        level: AdminLevel::District,
        parent: None,
        kind: AreaKind::Urban,
        geometry: None,
    }];
    for t in 0..(bx * by).div_ceil(100) {
        areas.push(AdminArea {
            code: town_code(t * 100),
            name: format!("town {}", t + 1),
            level: AdminLevel::Town,
            parent: Some("990001".into()),
            kind: AreaKind::Urban,
            geometry: None,
        });
    }
    for ci in 0..bx {
        for cj in 0..by {
            let (i0, j0) = (ci * block, cj * block);
            let (i1, j1) = ((i0 + block).min(nx), (j0 + block).min(ny));
            // Community edges carry the grids' subdivision points too, so they share vertices.
            let mut outline = Vec::new();
            for i in i0..i1 {
                outline.extend(edge((i, j0), (i + 1, j0)));
            }
            for j in j0..j1 {
                outline.extend(edge((i1, j), (i1, j + 1)));
            }
            for i in (i0..i1).rev() {
                outline.extend(edge((i + 1, j1), (i, j1)));
            }
            for j in (j0..j1).rev() {
                outline.extend(edge((i0, j + 1), (i0, j)));
            }
            outline.push(outline[0]);
            areas.push(AdminArea {
                code: community_code(ci, cj, by),
                name: format!("community {ci}-{cj}"),
                level: AdminLevel::Community,
                parent: Some(town_code(ci * by + cj)),
                kind: AreaKind::Urban,
                geometry: Some(MultiPolygon(vec![Polygon::new(
                    LineString(outline),
                    vec![],
                )])),
            });
        }
    }
    let mut grids = Vec::with_capacity(nx * ny * (1 + micro_per_grid));
    let mut buildings = Vec::with_capacity(nx * ny);
    for i in 0..nx {
        for j in 0..ny {
            let mut ring = Vec::with_capacity(4 * EDGE_POINTS + 1);
            ring.extend(edge((i, j), (i + 1, j)));
            ring.extend(edge((i + 1, j), (i + 1, j + 1)));
            ring.extend(edge((i + 1, j + 1), (i, j + 1)));
            ring.extend(edge((i, j + 1), (i, j)));
            ring.push(ring[0]);
            let community = community_code(i / block, j / block, by);
            let seq = (i % block) * block + (j % block) + 1;
            let code = format!("{community}{seq:03}");
            let centre = Coord {
                x: (v[i][j].x + v[i + 1][j + 1].x) / 2.0,
                y: (v[i][j].y + v[i + 1][j + 1].y) / 2.0,
            };
            grids.push(Grid::new(
                &code,
                Layer::Base,
                Some(&community),
                MultiPolygon(vec![Polygon::new(LineString(ring), vec![])]),
                from,
            ));
            for k in 0..micro_per_grid {
                let half = STEP * 0.08;
                let cx = centre.x + (k as f64 - (micro_per_grid as f64 - 1.0) / 2.0) * STEP * 0.2;
                let sq = square(cx, centre.y, half);
                grids.push(Grid::new(
                    &format!("{code}W{:03}", k + 1),
                    Layer::Micro,
                    Some(&code),
                    sq,
                    from,
                ));
            }
            let households = rng.random_range(300..=500);
            buildings.push(Building {
                id: format!("B{i:04}{j:04}"),
                footprint: Footprint::Point(Point(Coord {
                    x: lattice(centre.x + STEP * 0.013),
                    y: lattice(centre.y + STEP * 0.017),
                })),
                households,
                residents: households * 5 / 2,
                usage: Some("residential".into()),
            });
        }
    }
    City {
        areas,
        grids,
        buildings,
    }
}

/// 100 communities per town: town `990001TTT`, community `990001TTTCCC`.
fn town_code(index: usize) -> String {
    format!("990001{:03}", index / 100 + 1)
}

fn community_code(ci: usize, cj: usize, by: usize) -> String {
    let index = ci * by + cj;
    format!("{}{:03}", town_code(index), index % 100 + 1)
}

fn square(cx: f64, cy: f64, half: f64) -> MultiPolygon<f64> {
    let (x0, y0, x1, y1) = (
        lattice(cx - half),
        lattice(cy - half),
        lattice(cx + half),
        lattice(cy + half),
    );
    MultiPolygon(vec![Polygon::new(
        LineString::from(vec![(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]),
        vec![],
    )])
}

#[cfg(test)]
mod tests {
    use super::*;
    use wangge_engine::validate::{validate, Config, Scope};
    use wangge_engine::District;

    #[test]
    fn a_small_city_validates_clean_and_is_deterministic() {
        let c = city(12, 9, 5, 2);
        assert_eq!(c.grids.len(), 12 * 9 * 3);
        assert_eq!(c.areas.len(), 2 + 3 * 2);
        let again = city(12, 9, 5, 2);
        assert_eq!(c.grids, again.grids);
        let d = District::new(c.areas, c.grids, c.buildings, vec![]).expect("district");
        let r = validate(&d, &Scope::All, None, &Config::default());
        let shown: Vec<String> = r.problems.iter().map(|p| p.to_string()).collect();
        assert!(r.is_clean(), "{shown:#?}");
    }
}
