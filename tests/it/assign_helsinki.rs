//! Assignment of the real Helsinki OpenStreetMap buildings (© OpenStreetMap contributors, ODbL)
//! to a square base-grid layer: complete, deterministic, and consistent with the area shares.

use std::path::PathBuf;
use wangge::engine::assign::assign;
use wangge::engine::validate::{validate, Config, ProblemKind, Scope};
use wangge::engine::District;
use wangge::io::dataset::read_buildings;

fn helsinki(size_m: f64) -> District {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("geodata/helsinki/buildings.geojson");
    let buildings = read_buildings(&path).expect("buildings");
    assert_eq!(buildings.len(), 444);
    let (area, grids) = wangge::demo::helsinki::grids_over(&buildings, size_m);
    District::new(vec![area], grids, buildings, vec![]).expect("district")
}

#[test]
fn every_helsinki_building_gets_exactly_one_base_grid_deterministically() {
    let d = helsinki(150.0);
    let first = assign(&d, None);
    let second = assign(&d, None);
    assert_eq!(first.buildings, second.buildings);
    assert_eq!(first.buildings.len(), 444);
    assert_eq!(first.unassigned_buildings().count(), 0);
    for a in &first.buildings {
        // The chosen grid holds the largest share, and shares add up to the whole footprint
        // (the invalid OSM relation 1858248 included: its parts still sum to about one).
        let total: f64 = a.shares.iter().map(|(_, s)| s).sum();
        assert!(
            (total - 1.0).abs() < 0.02,
            "{} shares sum to {total}",
            d.buildings()[a.building].id
        );
        assert_eq!(a.base, a.shares.first().map(|(s, _)| *s));
        assert!(a.shares.windows(2).all(|w| w[0].1 >= w[1].1 - 1e-9));
    }
    // Real footprints on a 150 m lattice: some straddle, and validation names them.
    let straddling: Vec<String> = first
        .straddling_buildings()
        .map(|a| d.buildings()[a.building].id.clone())
        .collect();
    assert!(!straddling.is_empty());
    let report = validate(&d, &Scope::All, None, &Config::default());
    let mut split: Vec<String> = report
        .of_kind(ProblemKind::SplitBuilding)
        .flat_map(|p| p.buildings.clone())
        .collect();
    split.sort();
    let mut expected = straddling.clone();
    expected.sort();
    assert_eq!(split, expected);
    // Per-grid building counts add up to the number of buildings.
    let counted: u32 = first.per_grid.values().map(|c| c.buildings).sum();
    assert_eq!(counted, 444);
}
