//! Lookup against a brute-force scan, on random exact partitions, including points exactly on
//! shared vertices and edges.

mod common;

use chrono::NaiveDate;
use common::*;
use geo::{Contains, Coord, Point};
use proptest::prelude::*;
use wangge_engine::lookup::{base_batch, lookup, rtree_batch};
use wangge_engine::{AdminArea, AdminLevel, AreaKind, District};

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    #[test]
    fn every_point_of_an_exact_partition_has_exactly_one_base_grid(
        jitter in prop::collection::vec((-3000i32..3000, -3000i32..3000), 7),
        fx in prop::collection::vec(0.0f64..1.0, 40),
        fy in prop::collection::vec(0.0f64..1.0, 40),
    ) {
        let (nx, ny) = (4, 3);
        let v = mesh(nx, ny, &jitter);
        let polys = quads(&v);
        let d = district_of(&polys, outline(nx, ny));
        // Random interior points, every mesh vertex, and the midpoints of axis-parallel
        // outer edges (exactly representable).
        let mut points: Vec<Coord<f64>> = fx.iter().zip(&fy).map(|(a, b)| Coord {
            x: X0 + a * nx as f64 * STEP * 0.999_999,
            y: Y0 + b * ny as f64 * STEP * 0.999_999,
        }).collect();
        for col in &v {
            for c in col {
                points.push(*c);
            }
        }
        let hits = base_batch(&d, &points, None);
        let (x1, y1) = (X0 + nx as f64 * STEP, Y0 + ny as f64 * STEP);
        for (p, hit) in points.iter().zip(&hits) {
            // Query points are snapped to the lattice before the rule (README, "Boundary
            // points"); the brute force applies the rule to the snapped point too.
            let p = &wangge_engine::lattice::snap(*p);
            // Brute force: every grid, no index.
            let owners: Vec<usize> = (0..polys.len())
                .filter(|&i| wangge_engine::prepared::PreparedPolygon::new(&polys[i]).contains(*p))
                .collect();
            // The rule gives the east and north edges of the whole area to nobody (the area's
            // owner lies beyond); every other point has exactly one owner. Lookup still assigns
            // the outer-edge points, to a grid they touch.
            let on_outer_east_or_north = p.x == x1 || p.y == y1;
            let slot = hit.slot.expect("every point of the closed area is assigned");
            if on_outer_east_or_north {
                prop_assert!(owners.is_empty());
                prop_assert!(hit.on_boundary);
            } else {
                prop_assert_eq!(owners.len(), 1, "point {:?}", p);
                prop_assert_eq!(d.slot(slot).id.0.clone(), format!("G{:03}", owners[0]));
            }
            // Off the boundary the answer agrees with geo's Contains.
            if !hit.on_boundary {
                for (i, poly) in polys.iter().enumerate() {
                    if poly.contains(&Point(*p)) {
                        prop_assert_eq!(hit.slot.map(|s| d.slot(s).id.0.clone()), Some(format!("G{i:03}")));
                    }
                }
            }
        }
    }
}

#[test]
fn shared_vertex_and_edge_points_report_on_boundary_and_one_grid() {
    let v = mesh(2, 2, &[(0, 0)]);
    let polys = quads(&v);
    let d = district_of(&polys, outline(2, 2));
    let centre = v[1][1];
    let r = lookup(&d, centre, None);
    assert!(r.assigned && r.on_boundary);
    // Quads are numbered column by column: G000 (0,0), G001 (0,1), G002 (1,0), G003 (1,1).
    // The north-east one owns the shared vertex.
    assert_eq!(r.base.map(|b| b.id), Some("G003".to_string()));
    let r = lookup(
        &d,
        Coord {
            x: centre.x,
            y: (v[1][0].y + centre.y) / 2.0,
        },
        None,
    );
    assert!(r.on_boundary);
    assert_eq!(r.base.map(|b| b.id), Some("G002".to_string()));
    assert_eq!(r.community.map(|c| c.code), Some("C1".to_string()));
}

#[test]
fn point_outside_every_grid_is_unassigned_with_the_nearest_grid_in_metres() {
    let v = mesh(2, 2, &[(0, 0)]);
    let d = district_of(&quads(&v), outline(2, 2));
    // 0.001° of latitude south of the south edge: about 110.9 m.
    let r = lookup(
        &d,
        Coord {
            x: X0 + 0.0005,
            y: Y0 - 0.001,
        },
        None,
    );
    assert!(!r.assigned);
    let n = r.nearest.expect("nearest");
    assert_eq!(n.grid.id, "G000");
    assert!((n.distance_m - 110.86).abs() < 0.5, "{}", n.distance_m);
}

#[test]
fn as_of_selects_the_version_valid_on_the_date() {
    let v = mesh(2, 1, &[(0, 0)]);
    let polys = quads(&v);
    let mut old = grid("G000", polys[0].clone());
    old.valid_from = NaiveDate::from_ymd_opt(2020, 1, 1).expect("date");
    old.valid_to = NaiveDate::from_ymd_opt(2024, 1, 1);
    // Version 2 of G000 covers both cells; G001 appears only in the old layout.
    let mut g1_old = grid("G001", polys[1].clone());
    g1_old.valid_from = old.valid_from;
    g1_old.valid_to = old.valid_to;
    let both = wangge_engine::lattice::union(&polys[0], &polys[1]).expect("union");
    let mut new = grid("G000", both);
    new.version = 2;
    let community = AdminArea {
        code: "C1".into(),
        name: "c".into(),
        level: AdminLevel::Community,
        parent: None,
        kind: AreaKind::Urban,
        geometry: Some(outline(2, 1)),
    };
    let d =
        District::new(vec![community], vec![old, g1_old, new], vec![], vec![]).expect("district");
    let p = Coord {
        x: X0 + 1.5 * STEP,
        y: Y0 + 0.5 * STEP,
    };
    let now = lookup(&d, p, None);
    assert_eq!(
        now.base.as_ref().map(|b| (b.id.as_str(), b.version)),
        Some(("G000", 2))
    );
    let then = lookup(&d, p, NaiveDate::from_ymd_opt(2022, 6, 1));
    assert_eq!(
        then.base.as_ref().map(|b| (b.id.as_str(), b.version)),
        Some(("G001", 1))
    );
}

#[test]
fn a_point_on_the_outer_east_edge_takes_the_grid_it_touches() {
    let v = mesh(2, 2, &[(0, 0)]);
    let d = district_of(&quads(&v), outline(2, 2));
    // The east edge of the whole area, in the south-east quad (G002).
    let p = Coord {
        x: v[2][0].x,
        y: (v[2][0].y + v[2][1].y) / 2.0,
    };
    let r = lookup(&d, p, None);
    assert!(r.assigned && r.on_boundary);
    assert_eq!(r.base.map(|b| b.id), Some("G002".to_string()));
    // The north-east corner of the whole area touches only G003.
    let r = lookup(&d, v[2][2], None);
    assert_eq!(r.base.map(|b| b.id), Some("G003".to_string()));
}

// ----- query points on the lattice (issue #11) -----

/// Deterministic xorshift in [0, 1).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// An `nx` × `ny` mesh whose every vertex, outer ones included, is moved by up to 20 % of a
/// cell to a position off the 1e-7° lattice: slanted outer edges, as in a real coverage.
fn unsnapped_mesh(nx: usize, ny: usize, seed: u64) -> Vec<Vec<Coord<f64>>> {
    let mut rng = Rng(seed | 1);
    (0..=nx)
        .map(|i| {
            (0..=ny)
                .map(|j| Coord {
                    x: X0 + (i as f64 + 0.4 * (rng.next() - 0.5)) * STEP + 0.37e-7,
                    y: Y0 + (j as f64 + 0.4 * (rng.next() - 0.5)) * STEP + 0.61e-7,
                })
                .collect()
        })
        .collect()
}

/// Every vertex of the unsnapped drawing and points along every edge (away from the ends),
/// each with the grids (quad indices) whose edge or vertex it is.
// Vertex (i, j) and its neighbours are addressed by index on purpose: the quads around a
// vertex or an edge are named by the same indices.
#[allow(clippy::needless_range_loop)]
fn drawing_points(v: &[Vec<Coord<f64>>], per_edge: usize) -> Vec<(Coord<f64>, Vec<usize>)> {
    let (nx, ny) = (v.len() - 1, v[0].len() - 1);
    let quad = |i: usize, j: usize| i * ny + j;
    let mut out = Vec::new();
    for i in 0..=nx {
        for j in 0..=ny {
            let mut owners = vec![];
            for (di, dj) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                if i >= di && j >= dj && i - di < nx && j - dj < ny {
                    owners.push(quad(i - di, j - dj));
                }
            }
            out.push((v[i][j], owners));
        }
    }
    let along = |a: Coord<f64>, b: Coord<f64>, owners: Vec<usize>, out: &mut Vec<_>| {
        for k in 0..per_edge {
            let t = 0.05 + 0.9 * k as f64 / (per_edge - 1).max(1) as f64;
            out.push((a + (b - a) * t, owners.clone()));
        }
    };
    for i in 0..=nx {
        for j in 0..ny {
            // The vertical edge (i, j)–(i, j + 1) between quads (i - 1, j) and (i, j).
            let owners: Vec<usize> = [i.checked_sub(1), (i < nx).then_some(i)]
                .into_iter()
                .flatten()
                .map(|c| quad(c, j))
                .collect();
            along(v[i][j], v[i][j + 1], owners, &mut out);
        }
    }
    for j in 0..=ny {
        for i in 0..nx {
            let owners: Vec<usize> = [j.checked_sub(1), (j < ny).then_some(j)]
                .into_iter()
                .flatten()
                .map(|r| quad(i, r))
                .collect();
            along(v[i][j], v[i + 1][j], owners, &mut out);
        }
    }
    out
}

/// Every drawing point gets exactly one grid, one of those whose edge or vertex it is, the
/// same from `lookup`, the R-tree batch and the cell index batch.
fn assert_one_grid_each(v: &[Vec<Coord<f64>>], per_edge: usize) -> Result<(), String> {
    let (nx, ny) = (v.len() - 1, v[0].len() - 1);
    let d = district_of(&quads(v), outline(nx, ny));
    let probes = drawing_points(v, per_edge);
    let points: Vec<Coord<f64>> = probes.iter().map(|(p, _)| *p).collect();
    let cells = base_batch(&d, &points, None);
    let tree = rtree_batch(&d, &points, None);
    for (((p, owners), c), t) in probes.iter().zip(&cells).zip(&tree) {
        let one = lookup(&d, *p, None);
        let Some(base) = &one.base else {
            return Err(format!("{p:?} unassigned (its grids: {owners:?})"));
        };
        if !one.overlapping.is_empty() {
            return Err(format!("{p:?} in several grids: {:?}", one.overlapping));
        }
        let want: Vec<String> = owners.iter().map(|o| format!("G{o:03}")).collect();
        if !want.contains(&base.id) {
            return Err(format!("{p:?} got {}, not one of {want:?}", base.id));
        }
        for (path, hit) in [("cell index", c), ("R-tree batch", t)] {
            let id = hit.slot.map(|s| d.slot(s).id.0.clone());
            if id.as_ref() != Some(&base.id) || hit.on_boundary != one.on_boundary {
                return Err(format!("{path} at {p:?}: {hit:?} vs lookup {}", base.id));
            }
        }
    }
    Ok(())
}

#[test]
fn outer_edge_point_off_lattice_gets_lowest_coded_grid() {
    // Slanted outer edges off the lattice: the stored (snapped) edge is up to 5 mm away from the
    // drawn one, so about half of the drawn edge's points lay just outside the coverage and came
    // back unassigned before query points were snapped.
    let v = unsnapped_mesh(3, 2, 2024);
    assert_one_grid_each(&v, 200).unwrap_or_else(|e| panic!("{e}"));
    // An outer vertex shared by two grids touches both (and is beyond both under the rule):
    // the lower code takes it.
    let d = district_of(&quads(&v), outline(3, 2));
    let south_shared = lookup(&d, v[1][0], None);
    assert!(south_shared.assigned && south_shared.on_boundary);
    let r = lookup(&d, v[3][1], None);
    // The east outer vertex between G004 (south-east) and G005 (north-east).
    assert_eq!(r.base.map(|b| b.id), Some("G004".to_string()));
}

#[test]
fn a_point_well_outside_the_coverage_stays_unassigned() {
    // The lattice tolerance is 1.5 units (about 1.7 cm) per axis, not more.
    let v = mesh(2, 2, &[(0, 0)]);
    let d = district_of(&quads(&v), outline(2, 2));
    for dy in [3e-7, 1e-6, 1e-4] {
        let p = Coord {
            x: X0 + 0.0005,
            y: Y0 - dy,
        };
        assert!(!lookup(&d, p, None).assigned, "{dy}");
        assert_eq!(base_batch(&d, &[p], None)[0].slot, None, "{dy}");
    }
    let p = Coord {
        x: X0 + 0.0005,
        y: Y0 - 1e-7,
    };
    assert_eq!(lookup(&d, p, None).base.map(|b| b.id), Some("G000".into()));
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 24,
        rng_seed: proptest::test_runner::RngSeed::Fixed(7),
        .. ProptestConfig::default()
    })]

    #[test]
    fn every_vertex_and_edge_point_of_an_unsnapped_coverage_gets_exactly_one_grid(
        nx in 1usize..5,
        ny in 1usize..5,
        seed in 1u64..u64::MAX,
    ) {
        let v = unsnapped_mesh(nx, ny, seed);
        let r = assert_one_grid_each(&v, 25);
        prop_assert!(r.is_ok(), "{}", r.err().unwrap_or_default());
    }
}
