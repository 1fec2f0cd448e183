//! Assignment on random exact partitions: complete and deterministic.

mod common;

use common::*;
use geo::{Coord, LineString, Point, Polygon};
use proptest::prelude::*;
use wangge_engine::assign::assign;
use wangge_engine::{Building, District, Footprint, Grid};

fn with_buildings(
    v: &[Vec<Coord<f64>>],
    nx: usize,
    ny: usize,
    spots: &[(f64, f64, bool)],
) -> District {
    let polys = quads(v);
    let d = district_of(&polys, outline(nx, ny));
    let areas = d.areas().to_vec();
    let grids: Vec<Grid> = d.all_versions().iter().map(|g| Grid::clone(g)).collect();
    let buildings = spots
        .iter()
        .enumerate()
        .map(|(i, &(fx, fy, is_point))| {
            let (x, y) = (X0 + fx * nx as f64 * STEP, Y0 + fy * ny as f64 * STEP);
            let footprint = if is_point {
                Footprint::Point(Point::new(x, y))
            } else {
                // About 20 m × 15 m, so many straddle the slanted shared edges.
                let (w, h) = (0.0002, 0.00013);
                Footprint::Polygon(Polygon::new(
                    LineString::from(vec![(x, y), (x + w, y), (x + w, y + h), (x, y + h), (x, y)]),
                    vec![],
                ))
            };
            Building {
                id: format!("B{i:03}"),
                footprint,
                households: 3,
                residents: 7,
                usage: None,
            }
        })
        .collect();
    District::new(areas, grids, buildings, vec![]).expect("district")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, .. ProptestConfig::default() })]

    #[test]
    fn every_building_inside_the_partition_is_assigned_once_and_the_same_way_twice(
        jitter in prop::collection::vec((-3000i32..3000, -3000i32..3000), 7),
        spots in prop::collection::vec((0.0f64..0.94, 0.0f64..0.94, any::<bool>()), 1..40),
    ) {
        let (nx, ny) = (4, 3);
        let v = mesh(nx, ny, &jitter);
        let d = with_buildings(&v, nx, ny, &spots);
        let a = assign(&d, None);
        let b = assign(&d, None);
        prop_assert_eq!(&a.buildings, &b.buildings);
        prop_assert_eq!(a.buildings.len(), spots.len());
        for x in &a.buildings {
            // Every building lies inside the rectangle the partition tiles, so it has a grid.
            prop_assert!(x.base.is_some());
            let total: f64 = x.shares.iter().map(|(_, s)| s).sum();
            prop_assert!((total - 1.0).abs() < 1e-3, "shares sum to {}", total);
        }
        let households: u32 = a.per_grid.values().map(|c| c.households).sum();
        prop_assert_eq!(households, 3 * spots.len() as u32);
    }
}

/// A building whose overlay with a grid fails (a footprint spanning more than the lattice's
/// exact range) was silently taken as "no part in that grid" (`.ok()` on the intersection):
/// the failure is now kept on the assignment and validation reports a failed check naming the
/// building.
#[test]
fn building_share_overlay_failure_is_reported_not_dropped() {
    use wangge_engine::validate::{validate, Config, ProblemKind, Scope};
    let (nx, ny) = (2, 2);
    let v = mesh(nx, ny, &[(0, 0); 1]);
    let polys = quads(&v);
    let d = district_of(&polys, outline(nx, ny));
    let (areas, grids) = (
        d.areas().to_vec(),
        d.all_versions().iter().map(|g| (**g).clone()).collect(),
    );
    // From 100°W to 130°E across the grids' latitude: 230° of longitude in one group with the
    // grid it meets, beyond the ±107° the exact overlay can hold.
    let y = Y0 + 0.5 * STEP;
    let band = Polygon::new(
        LineString::from(vec![
            (-100.0, y),
            (130.0, y),
            (130.0, y + 0.0001),
            (-100.0, y + 0.0001),
            (-100.0, y),
        ]),
        vec![],
    );
    let huge = Building {
        id: "HUGE".into(),
        footprint: Footprint::Polygon(band),
        households: 1,
        residents: 1,
        usage: None,
    };
    let d = District::new(areas, grids, vec![huge], vec![]).expect("district");
    let a = assign(&d, None);
    let b = &a.buildings[0];
    assert!(!b.failed.is_empty(), "{b:?}");
    assert!(
        b.failed
            .iter()
            .all(|f| f.error == wangge_engine::lattice::OverlayError::ExtentTooLarge),
        "{:?}",
        b.failed
    );
    let r = validate(&d, &Scope::All, None, &Config::default());
    let failed: Vec<_> = r.of_kind(ProblemKind::CheckFailed).collect();
    assert!(
        failed
            .iter()
            .any(|p| p.buildings == vec!["HUGE".to_string()] && p.message.contains("HUGE")),
        "{:#?}",
        r.problems
    );
}
