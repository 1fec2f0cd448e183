//! The demo district validates clean, and each defect planted in it is found with the right
//! grid ids and measure.

use crate::common::demo_dataset;
use geo::{BoundingRect, Coord, LineString, MultiPolygon, Polygon, Rect};
use wangge::engine::lattice;
use wangge::engine::measure::area_m2;
use wangge::engine::validate::{validate, Config, Problem, ProblemKind, Report, Scope};
use wangge::engine::{Building, District, Footprint, Grid, GridId, Layer};
use wangge::io::dataset::Dataset;

fn report(ds: Dataset) -> Report {
    let (d, _) = ds.into_district().expect("district");
    validate(&d, &Scope::All, None, &Config::default())
}

fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> MultiPolygon<f64> {
    MultiPolygon(vec![Polygon::new(
        LineString::from(vec![(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]),
        vec![],
    )])
}

fn current(ds: &Dataset, layer: Layer) -> Vec<usize> {
    ds.grids
        .iter()
        .enumerate()
        .filter(|(_, g)| g.layer == layer && g.valid_to.is_none())
        .map(|(i, _)| i)
        .collect()
}

/// Two current base grids of one community that share an edge of positive length.
fn adjacent_pair(ds: &Dataset) -> (usize, usize) {
    let base = current(ds, Layer::Base);
    for &a in &base {
        for &b in &base {
            let (ga, gb) = (&ds.grids[a], &ds.grids[b]);
            if a >= b || ga.parent != gb.parent {
                continue;
            }
            let shared = ga.geometry.0[0]
                .exterior()
                .lines()
                .filter(|l| {
                    gb.geometry.0[0]
                        .exterior()
                        .lines()
                        .any(|m| m.start == l.end && m.end == l.start)
                })
                .count();
            if shared > 0 {
                return (a, b);
            }
        }
    }
    panic!("no adjacent base grids in the demo");
}

fn only(r: &Report, kind: ProblemKind) -> Vec<&Problem> {
    r.problems.iter().filter(|p| p.kind == kind).collect()
}

#[test]
fn the_demo_district_validates_clean() {
    let r = report(demo_dataset());
    let not_info: Vec<String> = r
        .problems
        .iter()
        .filter(|p| p.kind != ProblemKind::StatusSummary)
        .map(|p| p.to_string())
        .collect();
    assert!(not_info.is_empty(), "{not_info:#?}");
    assert!(r.is_clean());
}

#[test]
fn a_removed_base_grid_is_a_gap_of_its_area_in_its_community() {
    let mut ds = demo_dataset();
    // A base grid without children, so removing it leaves nothing dangling.
    let parents: Vec<String> = ds
        .grids
        .iter()
        .filter_map(|g| g.layer.is_child().then(|| g.parent.clone()).flatten())
        .collect();
    let victim = current(&ds, Layer::Base)
        .into_iter()
        .find(|&i| !parents.contains(&ds.grids[i].id.0))
        .expect("a childless base grid");
    let removed: Grid = ds.grids.remove(victim);
    // Composite grids drop it too (and vanish when it was their only member).
    for g in &mut ds.grids {
        g.members.retain(|m| *m != removed.id);
    }
    ds.grids
        .retain(|g| g.layer != Layer::Composite || !g.members.is_empty());
    ds.grids.retain(|g| g.id != removed.id);
    let r = report(ds);
    let gaps = only(&r, ProblemKind::Gap);
    assert_eq!(gaps.len(), 1, "{:#?}", r.problems);
    assert_eq!(gaps[0].area.as_deref(), removed.parent.as_deref());
    let expected = area_m2(&removed.geometry);
    assert!(
        (gaps[0].measure.value - expected).abs() < 1.0,
        "{} vs {expected}",
        gaps[0].measure.value
    );
}

#[test]
fn a_grid_grown_over_its_neighbour_overlaps_it_by_the_neighbours_area() {
    let mut ds = demo_dataset();
    let (a, b) = adjacent_pair(&ds);
    let grown = lattice::union(&ds.grids[a].geometry, &ds.grids[b].geometry).expect("union");
    ds.grids[a].geometry = grown;
    let expected = area_m2(&ds.grids[b].geometry);
    let mut ids = vec![ds.grids[a].id.clone(), ds.grids[b].id.clone()];
    ids.sort();
    let r = report(ds);
    let overlaps = only(&r, ProblemKind::Overlap);
    assert_eq!(overlaps.len(), 1, "{:#?}", r.problems);
    assert_eq!(overlaps[0].grids, ids);
    assert!((overlaps[0].measure.value - expected).abs() < 1.0);
}

#[test]
fn a_strip_of_twenty_centimetres_cut_from_a_grid_is_a_sliver_gap() {
    let mut ds = demo_dataset();
    let (a, _) = adjacent_pair(&ds);
    let bbox = ds.grids[a].geometry.bounding_rect().expect("bbox");
    // 0.2 m of longitude at the grid's west edge.
    let width_deg = 0.2 / (111_320.0 * bbox.min().y.to_radians().cos());
    let strip = rect(
        bbox.min().x - 1e-6,
        bbox.min().y - 1e-6,
        bbox.min().x + width_deg,
        bbox.max().y + 1e-6,
    );
    ds.grids[a].geometry = lattice::difference(&ds.grids[a].geometry, &strip).expect("difference");
    let id = ds.grids[a].id.clone();
    let r = report(ds);
    let slivers = only(&r, ProblemKind::SliverGap);
    assert!(!slivers.is_empty(), "{:#?}", r.problems);
    for s in &slivers {
        assert!(s.grids.contains(&id), "{s}");
        assert!(
            s.measure.value > 0.1 && s.measure.value < 0.3,
            "width {}",
            s.measure.value
        );
    }
    assert!(
        only(&r, ProblemKind::Gap).is_empty(),
        "the strip is a sliver, not a gap"
    );
}

#[test]
fn a_micro_grid_reaching_out_of_its_base_grid_is_found_with_both_ids() {
    let mut ds = demo_dataset();
    let m = current(&ds, Layer::Micro)[0];
    let parent_id = ds.grids[m].parent.clone().expect("parent");
    let parent = ds
        .grids
        .iter()
        .find(|g| g.id.0 == parent_id && g.valid_to.is_none())
        .expect("base")
        .clone();
    let mb: Rect<f64> = ds.grids[m].geometry.bounding_rect().expect("bbox");
    let pb = parent.geometry.bounding_rect().expect("bbox");
    // Stretch the compound east to 50 m beyond its base grid.
    let beyond = pb.max().x + 50.0 / 96_700.0;
    let arm = rect(
        mb.center().x,
        mb.center().y - 1e-5,
        beyond,
        mb.center().y + 1e-5,
    );
    ds.grids[m].geometry = lattice::union(&ds.grids[m].geometry, &arm).expect("union");
    let outside =
        area_m2(&lattice::difference(&ds.grids[m].geometry, &parent.geometry).expect("difference"));
    let mut ids = vec![ds.grids[m].id.clone(), GridId(parent_id)];
    ids.sort();
    let r = report(ds);
    let found = only(&r, ProblemKind::ChildOutsideParent);
    assert_eq!(found.len(), 1, "{:#?}", r.problems);
    let mut got = found[0].grids.clone();
    got.sort();
    assert_eq!(got, ids);
    assert!(
        (found[0].measure.value - outside).abs() < 0.5,
        "{} vs {outside}",
        found[0].measure.value
    );
}

#[test]
fn a_building_on_a_shared_boundary_is_split_between_both_grids() {
    let mut ds = demo_dataset();
    let (a, b) = adjacent_pair(&ds);
    let (ga, gb) = (&ds.grids[a], &ds.grids[b]);
    let shared: Coord<f64> = ga.geometry.0[0]
        .exterior()
        .lines()
        .find(|l| {
            gb.geometry.0[0]
                .exterior()
                .lines()
                .any(|m| m.start == l.end && m.end == l.start)
        })
        .map(|l| Coord {
            x: (l.start.x + l.end.x) / 2.0,
            y: (l.start.y + l.end.y) / 2.0,
        })
        .expect("shared edge");
    let d = 10.0 / 111_000.0;
    let footprint = rect(shared.x - d, shared.y - d, shared.x + d, shared.y + d)
        .0
        .remove(0);
    ds.buildings.push(Building {
        id: "B-STRADDLE".into(),
        footprint: Footprint::Polygon(footprint),
        households: 0,
        residents: 0,
        usage: Some("shop".into()),
    });
    let mut ids = vec![ds.grids[a].id.clone(), ds.grids[b].id.clone()];
    ids.sort();
    let r = report(ds);
    let split = only(&r, ProblemKind::SplitBuilding);
    assert_eq!(split.len(), 1, "{:#?}", r.problems);
    assert_eq!(split[0].buildings, vec!["B-STRADDLE".to_string()]);
    let mut got = split[0].grids.clone();
    got.sort();
    assert_eq!(got, ids);
}

#[test]
fn crowding_an_urban_grid_breaks_the_household_standard() {
    let mut ds = demo_dataset();
    let (district, _) = ds.clone().into_district().expect("district");
    let assignment = wangge::engine::assign::assign(&district, None);
    // Find a building in an urban base grid and give it 600 more households.
    let (bi, slot) = assignment
        .buildings
        .iter()
        .find_map(|a| {
            let s = a.base?;
            let g = district.slot(s);
            (g.kind == wangge::engine::AreaKind::Urban
                && g.status == wangge::engine::GridStatus::Active)
                .then_some((a.building, s))
        })
        .expect("urban building");
    let id = ds
        .buildings
        .iter()
        .position(|b| b.id == district.buildings()[bi].id)
        .expect("building");
    ds.buildings[id].households += 600;
    let grid_id = district.slot(slot).id.clone();
    let r = report(ds);
    let breaches = only(&r, ProblemKind::HouseholdStandard);
    assert_eq!(breaches.len(), 1, "{:#?}", r.problems);
    assert_eq!(breaches[0].grids, vec![grid_id]);
    assert!(breaches[0].measure.value > 500.0);
}

#[test]
fn demo_lookups_of_every_building_agree_with_assignment() {
    let (d, _): (District, _) = demo_dataset().into_district().expect("district");
    let assignment = wangge::engine::assign::assign(&d, None);
    assert_eq!(assignment.unassigned_buildings().count(), 0);
    assert_eq!(assignment.straddling_buildings().count(), 0);
    for a in assignment.buildings.iter().step_by(7) {
        let p = match &d.buildings()[a.building].footprint {
            Footprint::Point(p) => p.0,
            Footprint::Polygon(poly) => poly.exterior().0[0],
        };
        let hit = wangge::engine::lookup::lookup(&d, p, None);
        assert_eq!(
            hit.base.map(|b| b.id),
            a.base.map(|s| d.slot(s).id.0.clone())
        );
    }
}
