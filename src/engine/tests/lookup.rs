//! Lookup against a brute-force scan, on random exact partitions, including points exactly on
//! shared vertices and edges.

mod common;

use chrono::NaiveDate;
use common::*;
use geo::{Contains, Coord, Point};
use proptest::prelude::*;
use wangge_engine::lookup::{base_batch, lookup};
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
