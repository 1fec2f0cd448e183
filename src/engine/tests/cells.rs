//! The cell index against a brute-force scan of every grid (no index at all) and against the
//! R-tree path: random points, points exactly on cell borders (and one floating-point step
//! either side), shared vertices and edges, holes, multipolygons, overlaps, the outer edge,
//! dated lookups, and after edits. Fixed seeds, so failures reproduce.

mod common;

use chrono::NaiveDate;
use common::*;
use geo::{BoundingRect, Coord, LineString, MultiPolygon, Polygon};
use proptest::prelude::*;
use wangge_engine::lookup::{base_batch, rtree_batch, BaseHit};
use wangge_engine::{District, Grid, GridId, Layer};

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

/// Every visible base grid, in code order, tested at `p` snapped to the lattice: the lookup
/// rule with no index. A point no grid holds or touches takes the lowest-coded grid whose
/// boundary passes through the square of 1.5 lattice units around it (geo's `Intersects`).
fn brute(d: &District, p: Coord<f64>, as_of: Option<NaiveDate>) -> BaseHit {
    use geo::Intersects;
    let p = wangge_engine::lattice::snap(p);
    let slots = d.layer_slots(&Layer::Base, as_of);
    let rels: Vec<(u32, _)> = slots
        .iter()
        .map(|&s| (s, d.prepared(s).relate(p)))
        .collect();
    let owner = rels.iter().find(|(_, r)| r.inside).map(|(s, _)| *s);
    let touching = rels.iter().find(|(_, r)| r.on_boundary).map(|(s, _)| *s);
    if owner.is_none() && touching.is_none() && p.x.is_finite() && p.y.is_finite() {
        let t = Coord {
            x: 1.5e-7,
            y: 1.5e-7,
        };
        let square = geo::Rect::new(p - t, p + t);
        let near = slots.iter().copied().find(|&s| {
            let g = &d.slot(s).geometry;
            g.bounding_rect().is_some_and(|b| b.intersects(&square))
                && g.0
                    .iter()
                    .flat_map(|poly| std::iter::once(poly.exterior()).chain(poly.interiors()))
                    .any(|ring| ring.intersects(&square))
        });
        return BaseHit {
            slot: near,
            on_boundary: near.is_some(),
        };
    }
    BaseHit {
        slot: owner.or(touching),
        on_boundary: touching.is_some(),
    }
}

fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> Polygon<f64> {
    Polygon::new(
        LineString::from(vec![(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]),
        vec![],
    )
}

fn lattice(v: f64) -> f64 {
    (v * 1e7).round() / 1e7
}

/// Random points over (and a little beyond) the grids, every vertex, every edge midpoint, and
/// points on the index's cell borders and corners, exactly and one ulp either side.
fn probe_points(d: &District, seed: u64, n: usize) -> Vec<Coord<f64>> {
    let mut rng = Rng(seed);
    let grids = d.all_versions();
    let ext = grids
        .iter()
        .filter_map(|g| g.geometry.bounding_rect())
        .reduce(|a, b| {
            geo::Rect::new(
                (a.min().x.min(b.min().x), a.min().y.min(b.min().y)),
                (a.max().x.max(b.max().x), a.max().y.max(b.max().y)),
            )
        })
        .expect("grids");
    let (w, h) = (ext.width(), ext.height());
    let mut pts = Vec::new();
    for _ in 0..n {
        pts.push(Coord {
            x: ext.min().x - 0.05 * w + rng.next() * 1.1 * w,
            y: ext.min().y - 0.05 * h + rng.next() * 1.1 * h,
        });
    }
    for g in grids {
        for poly in &g.geometry.0 {
            for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
                for seg in ring.0.windows(2) {
                    pts.push(seg[0]);
                    pts.push(Coord {
                        x: (seg[0].x + seg[1].x) / 2.0,
                        y: (seg[0].y + seg[1].y) / 2.0,
                    });
                }
            }
        }
    }
    if let Some(cells) = d.base_cells() {
        let (xs, ys) = cells.borders();
        let around = |v: f64| [v.next_down(), v, v.next_up()];
        for &x in &xs {
            for _ in 0..4 {
                let y = ext.min().y + rng.next() * h;
                pts.extend(around(x).map(|x| Coord { x, y }));
            }
        }
        for &y in &ys {
            for _ in 0..4 {
                let x = ext.min().x + rng.next() * w;
                pts.extend(around(y).map(|y| Coord { x, y }));
            }
        }
        for &x in xs.iter().step_by(3) {
            for &y in ys.iter().step_by(3) {
                for x in around(x) {
                    pts.extend(around(y).map(|y| Coord { x, y }));
                }
            }
        }
    }
    // Non-finite input answers none, like the R-tree path.
    pts.push(Coord {
        x: f64::NAN,
        y: ext.min().y,
    });
    pts.push(Coord {
        x: f64::INFINITY,
        y: f64::NEG_INFINITY,
    });
    pts
}

/// The cell-index batch equals the brute-force scan and the R-tree batch at every probe point.
fn check(d: &District, seed: u64, n: usize) {
    let pts = probe_points(d, seed, n);
    let cells = base_batch(d, &pts, None);
    let tree = rtree_batch(d, &pts, None);
    for ((p, c), t) in pts.iter().zip(&cells).zip(&tree) {
        let b = brute(d, *p, None);
        assert_eq!(*c, b, "cell index vs brute force at {p:?}");
        assert_eq!(*t, b, "R-tree vs brute force at {p:?}");
    }
}

#[test]
fn jittered_partition_matches_brute_force_on_cell_borders_vertices_and_edges() {
    for (seed, (nx, ny)) in [(1u64, (7usize, 5usize)), (2, (12, 9)), (3, (3, 11))] {
        let mut rng = Rng(seed * 7919);
        let jitter: Vec<(i32, i32)> = (0..17)
            .map(|_| {
                (
                    (rng.next() * 6000.0 - 3000.0) as i32,
                    (rng.next() * 6000.0 - 3000.0) as i32,
                )
            })
            .collect();
        let v = mesh(nx, ny, &jitter);
        let d = district_of(&quads(&v), outline(nx, ny));
        check(&d, seed, 5000);
    }
}

#[test]
fn unjittered_mesh_whose_edges_fall_on_cell_borders() {
    // Straight grid lines: with whole cells per grid, boundaries coincide with cell borders.
    let v = mesh(8, 8, &[(0, 0)]);
    let d = district_of(&quads(&v), outline(8, 8));
    check(&d, 11, 3000);
}

/// Holes with an island in one, a two-part grid, two overlapping grids (lowest code wins), a
/// grid sharing only a vertex with the rest, and one far away (empty cells in between).
fn awkward() -> District {
    let from = NaiveDate::from_ymd_opt(2024, 1, 1).expect("date");
    let (x, y, s) = (X0, Y0, STEP);
    let donut = Polygon::new(
        LineString::from(vec![
            (x, y),
            (x + 4.0 * s, y),
            (x + 4.0 * s, y + 4.0 * s),
            (x, y + 4.0 * s),
            (x, y),
        ]),
        vec![LineString::from(vec![
            (x + s, y + s),
            (x + s, y + 3.0 * s),
            (x + 3.0 * s, y + 3.0 * s),
            (x + 3.0 * s, y + s),
            (x + s, y + s),
        ])],
    );
    let island = rect(x + s, y + s, x + 2.0 * s, y + 3.0 * s);
    let two_parts = MultiPolygon(vec![
        rect(x + 4.0 * s, y, x + 5.0 * s, y + 2.0 * s),
        rect(x + 6.0 * s, y, x + 7.0 * s, y + 2.0 * s),
    ]);
    let over_a = rect(x + 4.0 * s, y + 2.0 * s, lattice(x + 6.5 * s), y + 4.0 * s);
    let over_b = rect(lattice(x + 5.5 * s), y + 3.0 * s, x + 7.0 * s, y + 5.0 * s);
    let corner = rect(x + 7.0 * s, y + 5.0 * s, x + 8.0 * s, y + 6.0 * s);
    let far = rect(x + 30.0 * s, y + 20.0 * s, x + 31.0 * s, y + 21.0 * s);
    let mk = |id: &str, mp: MultiPolygon<f64>| Grid::new(id, Layer::Base, None, mp, from);
    let grids = vec![
        mk("A-donut", MultiPolygon(vec![donut])),
        mk("B-island", MultiPolygon(vec![island])),
        mk("C-parts", two_parts),
        mk("E-over", MultiPolygon(vec![over_a])),
        mk("D-over", MultiPolygon(vec![over_b])),
        mk("F-corner", MultiPolygon(vec![corner])),
        mk("G-far", MultiPolygon(vec![far])),
    ];
    District::new(vec![], grids, vec![], vec![]).expect("district")
}

#[test]
fn holes_multipolygons_overlaps_and_outer_edges_match_brute_force() {
    let d = awkward();
    check(&d, 21, 20_000);
    // Spot checks of the rule through the index.
    let at = |x: f64, y: f64| {
        let hit = base_batch(&d, &[Coord { x, y }], None)[0];
        hit.slot.map(|s| d.slot(s).code.clone())
    };
    let (x, y, s) = (X0, Y0, STEP);
    assert_eq!(at(x + 1.5 * s, y + 2.0 * s), Some("B-island".into()));
    assert_eq!(at(x + 2.5 * s, y + 2.0 * s), None, "the hole's empty half");
    assert_eq!(
        at(x + 6.0 * s, y + 3.5 * s),
        Some("D-over".into()),
        "overlap: lowest code"
    );
    assert_eq!(at(x + 5.5 * s, y + 1.0 * s), None, "between the two parts");
    assert_eq!(at(x + 15.0 * s, y + 10.0 * s), None, "empty cells");
    // The outer north edge of the far grid: no grid north of it, so the one it touches.
    assert_eq!(at(x + 30.5 * s, y + 21.0 * s), Some("G-far".into()));
}

#[test]
fn dated_lookups_and_edits_keep_matching_brute_force() {
    let v = mesh(6, 4, &[(1200, -900), (-700, 400), (300, 2500)]);
    let mut d = district_of(&quads(&v), outline(6, 4));
    let day0 = NaiveDate::from_ymd_opt(2024, 6, 1).expect("date");
    let day1 = NaiveDate::from_ymd_opt(2025, 1, 1).expect("date");
    // Build the index before the edits, so they update it in place.
    assert!(d.base_cells().is_some());
    check(&d, 31, 2000);

    // Reshape G007: shrink it to a small square inside its old area, leaving a gap.
    let old = d.grid(&GridId("G007".into()), None).expect("G007").clone();
    let b = old.geometry.bounding_rect().expect("box");
    let (cx, cy) = (lattice(b.center().x), lattice(b.center().y));
    let half = STEP / 8.0;
    assert!(d.close_version(&old.id, day1));
    let mut next = old.clone();
    next.version += 1;
    next.valid_from = day1;
    next.valid_to = None;
    next.geometry = MultiPolygon(vec![rect(
        lattice(cx - half),
        lattice(cy - half),
        lattice(cx + half),
        lattice(cy + half),
    )]);
    d.add_version(next).expect("new version");
    check(&d, 32, 2000);

    // The old shape is still the answer on an earlier date.
    let pts = probe_points(&d, 33, 2000);
    let dated = base_batch(&d, &pts, Some(day0));
    for (p, hit) in pts.iter().zip(&dated) {
        assert_eq!(*hit, brute(&d, *p, Some(day0)), "as of {day0} at {p:?}");
    }

    // A new grid beyond the indexed extent (the index is dropped and rebuilt).
    let far = Grid::new(
        "Z-far",
        Layer::Base,
        Some("C1"),
        MultiPolygon(vec![rect(X0 + 9.0 * STEP, Y0, X0 + 10.0 * STEP, Y0 + STEP)]),
        day1,
    );
    d.add_version(far).expect("far grid");
    check(&d, 34, 2000);

    // Undo: drop the far grid and the new G007 version, reopen the old one.
    assert!(d.remove_last_version(&GridId("Z-far".into())).is_some());
    check(&d, 35, 2000);
    assert!(d.remove_last_version(&old.id).is_some());
    assert!(d.reopen(&old.id, day1));
    check(&d, 36, 2000);
}

#[test]
fn many_small_edits_in_place_stay_exact() {
    let v = mesh(10, 10, &[(900, -1500), (-2100, 300), (600, 700), (0, -400)]);
    let mut d = district_of(&quads(&v), outline(10, 10));
    assert!(d.base_cells().is_some());
    let day = NaiveDate::from_ymd_opt(2025, 3, 1).expect("date");
    let mut rng = Rng(0xface);
    for round in 0..12 {
        let id = GridId(format!("G{:03}", (rng.next() * 100.0) as usize));
        let Some(old) = d.grid(&id, None).cloned() else {
            continue;
        };
        // Close the grid (a gap) and check, then bring back a version a little smaller.
        assert!(d.close_version(&id, day));
        check(&d, 100 + round, 300);
        let b = old.geometry.bounding_rect().expect("box");
        let mut next = old.clone();
        next.version += 1;
        next.valid_from = day;
        next.valid_to = None;
        next.geometry = MultiPolygon(vec![rect(
            lattice(b.min().x + STEP * 0.3),
            lattice(b.min().y + STEP * 0.3),
            lattice(b.max().x - STEP * 0.3),
            lattice(b.max().y - STEP * 0.3),
        )]);
        d.add_version(next).expect("version");
        check(&d, 200 + round, 300);
    }
}

#[test]
fn an_empty_district_answers_none() {
    let d = District::new(vec![], vec![], vec![], vec![]).expect("district");
    let hits = base_batch(&d, &[Coord { x: X0, y: Y0 }], None);
    assert_eq!(
        hits,
        vec![BaseHit {
            slot: None,
            on_boundary: false
        }]
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    #[test]
    fn random_partitions_match_brute_force(
        jitter in prop::collection::vec((-3000i32..3000, -3000i32..3000), 5),
        nx in 1usize..9,
        ny in 1usize..9,
        seed in 1u64..u64::MAX,
    ) {
        let v = mesh(nx, ny, &jitter);
        let d = district_of(&quads(&v), outline(nx, ny));
        let pts = probe_points(&d, seed, 500);
        let hits = base_batch(&d, &pts, None);
        for (p, hit) in pts.iter().zip(&hits) {
            prop_assert_eq!(*hit, brute(&d, *p, None), "at {:?}", p);
        }
    }
}

#[test]
fn a_large_table_answers_in_input_order_after_bucketing() {
    // 2,112 grids: tables over 2 MiB, so batches of 2^15 points and more are bucketed by tile
    // before the lookups and put back in input order.
    let v = mesh(66, 32, &[(900, -1500), (-2100, 300), (600, 700)]);
    let d = district_of(&quads(&v), outline(66, 32));
    let bytes = d.base_cells().expect("cells").bytes();
    assert!(bytes >= 2 << 20, "{bytes} bytes");
    let mut pts = probe_points(&d, 77, 40_000);
    pts.truncate(60_000);
    assert!(pts.len() >= 1 << 15);
    assert_eq!(base_batch(&d, &pts, None), rtree_batch(&d, &pts, None));
}
