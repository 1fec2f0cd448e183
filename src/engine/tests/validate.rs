//! Validation checks on small hand-built districts: a clean tiling, then one defect at a time.

use chrono::NaiveDate;
use geo::{coord, Coord, LineString, MultiPolygon, Point, Polygon, Rect};
use proptest::prelude::*;
use wangge_engine::lattice;
use wangge_engine::measure::{area_m2, mean_width_m};
use wangge_engine::validate::{
    validate, validate_around, Config, Problem, ProblemKind, Report, Scope, Severity, Unit,
};
use wangge_engine::{
    AdminArea, AdminLevel, AreaKind, Building, District, Footprint, Grid, GridId, GridStatus, Layer,
};

const X0: f64 = 118.3;
const Y0: f64 = 29.7;
/// Side of a base grid in degrees (about 97 m × 111 m here).
const S: f64 = 0.001;
const C1: &str = "341002001001";
const C2: &str = "341002001002";

// ----- helpers -----

fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> MultiPolygon<f64> {
    MultiPolygon(vec![Rect::new(
        coord! {x: x0, y: y0},
        coord! {x: x1, y: y1},
    )
    .to_polygon()])
}

fn area(
    code: &str,
    level: AdminLevel,
    parent: Option<&str>,
    geometry: Option<MultiPolygon<f64>>,
) -> AdminArea {
    AdminArea {
        code: code.into(),
        name: code.into(),
        level,
        parent: parent.map(Into::into),
        kind: AreaKind::Urban,
        geometry,
    }
}

fn grid(id: &str, layer: Layer, parent: Option<&str>, geometry: MultiPolygon<f64>) -> Grid {
    Grid {
        id: GridId::from(id),
        code: id.into(),
        name: id.into(),
        layer,
        parent: parent.map(Into::into),
        kind: AreaKind::Urban,
        status: GridStatus::Active,
        category: None,
        network: None,
        members: vec![],
        properties: Default::default(),
        geometry,
        valid_from: NaiveDate::from_ymd_opt(2024, 1, 1).expect("date"),
        valid_to: None,
        version: 1,
    }
}

fn point_building(id: &str, x: f64, y: f64, households: u32) -> Building {
    Building {
        id: id.into(),
        footprint: Footprint::Point(Point::new(x, y)),
        households,
        residents: households * 3,
        usage: Some("residential".into()),
    }
}

/// A district with communities, their base grids and one 400-household building per grid.
struct Fixture {
    areas: Vec<AdminArea>,
    grids: Vec<Grid>,
    buildings: Vec<Building>,
}

impl Fixture {
    fn district(&self) -> District {
        District::new(
            self.areas.clone(),
            self.grids.clone(),
            self.buildings.clone(),
            vec![],
        )
        .expect("district")
    }

    fn grid_mut(&mut self, id: &str) -> &mut Grid {
        self.grids.iter_mut().find(|g| g.id.0 == id).expect("grid")
    }

    fn report(&self) -> Report {
        validate(&self.district(), &Scope::All, None, &Config::default())
    }
}

/// Community `code` with its south-west corner `x` degrees east of X0, tiled 2 × 2 by base
/// grids `{p}1` (SW), `{p}2` (SE), `{p}3` (NW), `{p}4` (NE), which share edges and the centre.
fn community_tiled(f: &mut Fixture, code: &str, x: f64, p: &str) {
    let x0 = X0 + x;
    f.areas.push(area(
        code,
        AdminLevel::Community,
        Some("341002001"),
        Some(rect(x0, Y0, x0 + 2.0 * S, Y0 + 2.0 * S)),
    ));
    for (i, (dx, dy)) in [(0.0, 0.0), (S, 0.0), (0.0, S), (S, S)]
        .into_iter()
        .enumerate()
    {
        let id = format!("{p}{}", i + 1);
        f.grids.push(grid(
            &id,
            Layer::Base,
            Some(code),
            rect(x0 + dx, Y0 + dy, x0 + dx + S, Y0 + dy + S),
        ));
        f.buildings.push(point_building(
            &format!("b-{id}"),
            x0 + dx + S / 2.0,
            Y0 + dy + S / 2.0,
            400,
        ));
    }
}

fn tiled() -> Fixture {
    let mut f = Fixture {
        areas: vec![
            area("341002", AdminLevel::District, None, None),
            area("341002001", AdminLevel::Town, Some("341002"), None),
        ],
        grids: vec![],
        buildings: vec![],
    };
    community_tiled(&mut f, C1, 0.0, "g");
    f
}

fn two_communities() -> Fixture {
    let mut f = tiled();
    community_tiled(&mut f, C2, 2.0 * S, "h");
    f
}

fn errors(r: &Report) -> Vec<&Problem> {
    r.problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .collect()
}

/// The only problem of `kind`, asserting there is exactly one.
fn only(r: &Report, kind: ProblemKind) -> &Problem {
    let found: Vec<&Problem> = r.of_kind(kind).collect();
    assert_eq!(
        found.len(),
        1,
        "expected one {kind:?}, report:\n{}",
        dump(r)
    );
    found[0]
}

fn dump(r: &Report) -> String {
    r.problems
        .iter()
        .map(|p| format!("  {p} {:?}\n", p.grids))
        .collect()
}

fn ids(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn grid_ids(v: &[&str]) -> Vec<GridId> {
    v.iter().map(|s| GridId(s.to_string())).collect()
}

fn assert_close(got: f64, want: f64, tol: f64) {
    assert!((got - want).abs() <= tol, "got {got}, want {want} ± {tol}");
}

// ----- the clean case -----

#[test]
fn a_community_tiled_by_four_grids_sharing_edges_and_a_vertex_is_clean() {
    let r = tiled().report();
    assert!(r.problems.is_empty(), "{}", dump(&r));
    assert!(r.is_clean());
}

// ----- coverage -----

#[test]
fn a_shrunk_grid_leaves_a_gap_measured_in_square_metres() {
    let mut f = tiled();
    let cut = 0.0002;
    f.grid_mut("g1").geometry = rect(X0, Y0 + cut, X0 + S, Y0 + S);
    let r = f.report();
    let p = only(&r, ProblemKind::Gap);
    assert_eq!(
        p.grids,
        grid_ids(&["g1", "g2"]),
        "the shrunk grid and the one whose edge the gap runs along"
    );
    assert_eq!(p.measure.unit, Unit::SquareMetres);
    assert_close(
        p.measure.value,
        area_m2(&rect(X0, Y0, X0 + S, Y0 + cut)),
        0.01,
    );
    assert_eq!(p.area.as_deref(), Some(C1));
    assert!(
        p.message.contains(C1) && p.message.contains("near (118.3"),
        "{}",
        p.message
    );
    assert_eq!(errors(&r).len(), 1, "{}", dump(&r));
}

#[test]
fn a_grown_grid_overlaps_its_neighbour() {
    let mut f = tiled();
    f.grid_mut("g1").geometry = rect(X0, Y0, X0 + S + 0.0002, Y0 + S);
    let r = f.report();
    let p = only(&r, ProblemKind::Overlap);
    assert_eq!(p.grids, grid_ids(&["g1", "g2"]));
    assert_close(
        p.measure.value,
        area_m2(&rect(X0 + S, Y0, X0 + S + 0.0002, Y0 + S)),
        0.01,
    );
    assert_eq!(errors(&r).len(), 1, "{}", dump(&r));
}

#[test]
fn a_gap_twenty_centimetres_wide_is_a_sliver_measured_by_its_width() {
    let mut f = tiled();
    let cut = 0.000_001_8; // ≈ 0.2 m of latitude
    f.grid_mut("g1").geometry = rect(X0, Y0 + cut, X0 + S, Y0 + S);
    let r = f.report();
    assert_eq!(r.count(ProblemKind::Gap), 0, "{}", dump(&r));
    let p = only(&r, ProblemKind::SliverGap);
    let piece = rect(X0, Y0, X0 + S, Y0 + cut);
    assert_eq!(p.grids, grid_ids(&["g1", "g2"]));
    assert_eq!(p.measure.unit, Unit::Metres);
    assert_close(p.measure.value, mean_width_m(&piece), 0.001);
    assert_close(p.measure.value, 0.2, 0.01);
    let a = p.details["area_m2"].as_f64().expect("area in details");
    assert_close(a, area_m2(&piece), 0.01);
}

#[test]
fn an_overlap_twenty_centimetres_wide_is_a_sliver_overlap() {
    let mut f = tiled();
    let grow = 0.000_002_1; // ≈ 0.2 m of longitude
    f.grid_mut("g1").geometry = rect(X0, Y0, X0 + S + grow, Y0 + S);
    let r = f.report();
    let p = only(&r, ProblemKind::SliverOverlap);
    assert_eq!(p.grids, grid_ids(&["g1", "g2"]));
    assert_close(
        p.measure.value,
        mean_width_m(&rect(X0 + S, Y0, X0 + S + grow, Y0 + S)),
        0.001,
    );
    assert_eq!(r.count(ProblemKind::Overlap), 0);
}

#[test]
fn an_allowed_gap_mask_suppresses_the_gap_it_covers_and_only_that() {
    let mut f = tiled();
    let cut = 0.0002;
    f.grid_mut("g1").geometry = rect(X0, Y0 + cut, X0 + S, Y0 + S);
    let d = f.district();
    let lake = Config {
        allowed_gaps: Some(rect(X0 - 0.001, Y0 - 0.001, X0 + S, Y0 + cut)),
        ..Config::default()
    };
    assert!(validate(&d, &Scope::All, None, &lake).is_clean());

    let half = Config {
        allowed_gaps: Some(rect(X0 - 0.001, Y0 - 0.001, X0 + S / 2.0, Y0 + cut)),
        ..Config::default()
    };
    let r = validate(&d, &Scope::All, None, &half);
    let p = only(&r, ProblemKind::Gap);
    assert_close(
        p.measure.value,
        area_m2(&rect(X0 + S / 2.0, Y0, X0 + S, Y0 + cut)),
        0.01,
    );
}

#[test]
fn a_hole_in_grids_without_hierarchy_is_a_gap() {
    let mut grids = vec![];
    let mut buildings = vec![];
    for i in 0..3 {
        for j in 0..3 {
            if (i, j) == (1, 1) {
                continue;
            }
            let (x, y) = (X0 + i as f64 * S, Y0 + j as f64 * S);
            let id = format!("c{i}{j}");
            grids.push(grid(&id, Layer::Base, None, rect(x, y, x + S, y + S)));
            buildings.push(point_building(
                &format!("b{id}"),
                x + S / 2.0,
                y + S / 2.0,
                400,
            ));
        }
    }
    let d = District::new(vec![], grids, buildings, vec![]).expect("district");
    let r = validate(&d, &Scope::All, None, &Config::default());
    let p = only(&r, ProblemKind::Gap);
    assert_eq!(
        p.grids,
        grid_ids(&["c00", "c01", "c02", "c10", "c12", "c20", "c21", "c22"])
    );
    assert_eq!(p.area, None);
    assert_close(
        p.measure.value,
        area_m2(&rect(X0 + S, Y0 + S, X0 + 2.0 * S, Y0 + 2.0 * S)),
        0.01,
    );
    assert_eq!(errors(&r).len(), 1, "{}", dump(&r));

    // The incremental run finds the same hole from a neighbour, with the same key.
    let around = validate_around(&d, &[GridId::from("c00")], None, &Config::default());
    let q = only(&around, ProblemKind::Gap);
    assert_eq!(q.key(), p.key());
}

#[test]
fn multipolygon_grids_touching_at_a_vertex_tile_cleanly() {
    let mut f = tiled();
    let (g1, g4) = (f.grids[0].geometry.clone(), f.grids[3].geometry.clone());
    let (g2, g3) = (f.grids[1].geometry.clone(), f.grids[2].geometry.clone());
    f.grids.retain(|g| g.id.0 == "g1" || g.id.0 == "g2");
    f.grid_mut("g1").geometry = MultiPolygon(vec![g1.0[0].clone(), g4.0[0].clone()]);
    f.grid_mut("g2").geometry = MultiPolygon(vec![g2.0[0].clone(), g3.0[0].clone()]);
    for b in &mut f.buildings {
        b.households = 200; // two per grid now
    }
    let r = f.report();
    assert!(r.is_clean(), "{}", dump(&r));
}

#[test]
fn a_grid_with_a_hole_filled_by_another_grid_is_clean() {
    let mut f = tiled();
    let hole = Rect::new(
        coord! {x: X0 + 0.0003, y: Y0 + 0.0003},
        coord! {x: X0 + 0.0007, y: Y0 + 0.0007},
    );
    let outer = Polygon::new(
        f.grids[0].geometry.0[0].exterior().clone(),
        vec![hole.to_polygon().exterior().clone()],
    );
    f.grid_mut("g1").geometry = MultiPolygon(vec![outer]);
    // The building at the quadrant centre now lies in the inner grid; give g1 its own.
    f.grids.push(grid(
        "g5",
        Layer::Base,
        Some(C1),
        MultiPolygon(vec![hole.to_polygon()]),
    ));
    f.buildings
        .push(point_building("b-g1-edge", X0 + 0.0001, Y0 + 0.0001, 400));
    let r = f.report();
    assert!(r.is_clean(), "{}", dump(&r));
}

// ----- hierarchy -----

#[test]
fn a_micro_grid_sticking_out_of_its_base_grid_is_reported_with_the_area_outside() {
    let mut f = tiled();
    let micro = rect(X0 + 0.0008, Y0 + 0.0004, X0 + 0.0012, Y0 + 0.0006);
    f.grids.push(grid("m1", Layer::Micro, Some("g1"), micro));
    let r = f.report();
    let p = only(&r, ProblemKind::ChildOutsideParent);
    assert_eq!(p.grids, grid_ids(&["g1", "m1"]));
    assert_close(
        p.measure.value,
        area_m2(&rect(X0 + S, Y0 + 0.0004, X0 + 0.0012, Y0 + 0.0006)),
        0.01,
    );
    assert_eq!(p.area.as_deref(), Some(C1));
    assert_eq!(errors(&r).len(), 1, "{}", dump(&r));
}

#[test]
fn micro_and_special_grids_of_one_base_grid_are_siblings_and_may_not_overlap() {
    let mut f = tiled();
    f.grids.push(grid(
        "m1",
        Layer::Micro,
        Some("g1"),
        rect(X0 + 0.0001, Y0 + 0.0001, X0 + 0.0005, Y0 + 0.0005),
    ));
    let mut school = grid(
        "s1",
        Layer::Special,
        Some("g1"),
        rect(X0 + 0.0004, Y0 + 0.0001, X0 + 0.0008, Y0 + 0.0005),
    );
    school.category = Some(wangge_engine::SpecialCategory::School);
    f.grids.push(school);
    let r = f.report();
    let p = only(&r, ProblemKind::Overlap);
    assert_eq!(p.grids, grid_ids(&["m1", "s1"]));
    assert_close(
        p.measure.value,
        area_m2(&rect(X0 + 0.0004, Y0 + 0.0001, X0 + 0.0005, Y0 + 0.0005)),
        0.01,
    );
}

#[test]
fn a_base_grid_crossing_into_the_next_community_is_reported_and_not_as_an_overlap() {
    let mut f = two_communities();
    let grow = 0.0002;
    f.grid_mut("g2").geometry = rect(X0 + S, Y0, X0 + 2.0 * S + grow, Y0 + S);
    let r = f.report();
    let p = only(&r, ProblemKind::CrossesCommunity);
    assert_eq!(p.grids, grid_ids(&["g2"]));
    assert_eq!(p.area.as_deref(), Some(C1));
    assert_close(
        p.measure.value,
        area_m2(&rect(X0 + 2.0 * S, Y0, X0 + 2.0 * S + grow, Y0 + S)),
        0.01,
    );
    assert_eq!(
        errors(&r).len(),
        1,
        "grids of different communities are not siblings:\n{}",
        dump(&r)
    );
}

// ----- geometry -----

#[test]
fn a_bow_tie_grid_is_invalid_and_does_not_disturb_the_other_checks() {
    let mut f = tiled();
    let (a, b, c, e) = (X0 + S, Y0 + S, X0 + 2.0 * S, Y0 + 2.0 * S);
    let bow_tie = Polygon::new(
        LineString::from(vec![(a, b), (c, e), (c, b), (a, e), (a, b)]),
        vec![],
    );
    f.grid_mut("g4").geometry = MultiPolygon(vec![bow_tie]);
    let r = f.report();
    let p = only(&r, ProblemKind::InvalidGeometry);
    assert_eq!(p.grids, grid_ids(&["g4"]));
    assert!(
        p.message.contains("self-intersection") && p.message.contains("exterior ring"),
        "{}",
        p.message
    );
    assert!(
        p.message.contains("near (118.30150, 29.70150)"),
        "names the crossing: {}",
        p.message
    );
    assert_eq!(errors(&r).len(), 1, "{}", dump(&r));
}

// ----- buildings and households -----

#[test]
fn a_building_straddling_two_grids_is_a_split_building_measured_by_its_smaller_part() {
    let mut f = tiled();
    let footprint = rect(X0 + S - 0.00005, Y0 + 0.0004, X0 + S + 0.00015, Y0 + 0.0005);
    f.buildings.push(Building {
        id: "b-split".into(),
        footprint: Footprint::Polygon(footprint.0[0].clone()),
        households: 10,
        residents: 30,
        usage: None,
    });
    let r = f.report();
    let p = only(&r, ProblemKind::SplitBuilding);
    assert_eq!(p.severity, Severity::Warning);
    assert_eq!(p.grids, grid_ids(&["g1", "g2"]));
    assert_eq!(p.buildings, ids(&["b-split"]));
    assert_close(
        p.measure.value,
        area_m2(&rect(X0 + S - 0.00005, Y0 + 0.0004, X0 + S, Y0 + 0.0005)),
        0.05,
    );
}

#[test]
fn an_urban_grid_with_200_households_breaks_the_300_to_500_standard() {
    let mut f = tiled();
    f.buildings[0].households = 200;
    let r = f.report();
    let p = only(&r, ProblemKind::HouseholdStandard);
    assert_eq!(p.grids, grid_ids(&["g1"]));
    assert_eq!(p.measure.unit, Unit::Count);
    assert_eq!(p.measure.value, 200.0);
    assert_eq!(p.details["min"], 300);
    assert_eq!(p.details["max"], 500);
    assert!(errors(&r).is_empty());
}

#[test]
fn an_active_grid_with_nothing_in_it_is_empty() {
    let mut f = tiled();
    f.buildings.retain(|b| b.id != "b-g4");
    let r = f.report();
    assert_eq!(only(&r, ProblemKind::EmptyGrid).grids, grid_ids(&["g4"]));
}

#[test]
fn reserved_and_suspended_grids_are_summarised_without_making_the_report_unclean() {
    let mut f = tiled();
    f.grid_mut("g2").status = GridStatus::Reserved;
    f.grid_mut("g3").status = GridStatus::Suspended;
    f.buildings.retain(|b| b.id != "b-g2");
    let r = f.report();
    let p = only(&r, ProblemKind::StatusSummary);
    assert_eq!(p.severity, Severity::Info);
    assert_eq!(p.grids, grid_ids(&["g2", "g3"]));
    assert_eq!(p.details["reserved_count"], 1);
    assert_eq!(p.details["suspended_count"], 1);
    assert!(
        r.is_clean(),
        "an empty reserved grid is expected:\n{}",
        dump(&r)
    );
}

// ----- scopes and the incremental run -----

fn damaged() -> Fixture {
    let mut f = two_communities();
    f.grid_mut("g1").geometry = rect(X0, Y0 + 0.0002, X0 + S + 0.0001, Y0 + S); // gap + overlap
    f.grid_mut("g4").geometry = rect(X0 + S, Y0 + S, X0 + 2.0 * S + 0.0001, Y0 + 2.0 * S); // crosses
    f.grids.push(grid(
        "m1",
        Layer::Micro,
        Some("g1"),
        rect(X0 + 0.0008, Y0 + 0.0004, X0 + 0.0012, Y0 + 0.0006),
    ));
    f.grid_mut("h4").geometry = rect(X0 + 3.0 * S, Y0 + S, X0 + 4.0 * S, Y0 + 2.0 * S - 0.0003); // far gap
    f
}

#[test]
fn validate_around_finds_the_same_problems_as_a_full_run_for_the_grids_it_is_given() {
    let f = damaged();
    let d = f.district();
    let config = Config::default();
    let full = validate(&d, &Scope::All, None, &config);
    let key_set = |r: &Report| -> Vec<_> {
        r.problems
            .iter()
            .filter(|p| p.kind != ProblemKind::StatusSummary)
            .map(Problem::key)
            .collect()
    };
    let full_keys = key_set(&full);
    for id in ["g1", "g4", "m1", "h4", "h1"] {
        let around = validate_around(&d, &[GridId::from(id)], None, &config);
        for k in key_set(&around) {
            assert!(
                full_keys.contains(&k),
                "{id}: {k:?} not in the full report:\n{}",
                dump(&full)
            );
        }
        let around_keys = key_set(&around);
        for p in full
            .problems
            .iter()
            .filter(|p| p.grids.iter().any(|g| g.0 == id))
        {
            assert!(
                around_keys.contains(&p.key()),
                "{id}: missing {p}\n{}",
                dump(&around)
            );
        }
    }
    let g1 = validate_around(&d, &[GridId::from("g1")], None, &config);
    for kind in [
        ProblemKind::Gap,
        ProblemKind::Overlap,
        ProblemKind::ChildOutsideParent,
    ] {
        assert!(g1.count(kind) >= 1, "{kind:?} around g1:\n{}", dump(&g1));
    }
    assert_eq!(
        g1.count(ProblemKind::Gap),
        1,
        "the gap of h4 is far away:\n{}",
        dump(&g1)
    );
}

#[test]
fn an_area_scope_keeps_the_problems_of_its_communities() {
    let d = damaged().district();
    let config = Config::default();
    let c2 = validate(&d, &Scope::Area(C2.into()), None, &config);
    assert!(
        c2.problems.iter().all(|p| p.area.as_deref() == Some(C2)),
        "{}",
        dump(&c2)
    );
    assert_eq!(c2.count(ProblemKind::Gap), 1);
    let town = validate(&d, &Scope::Area("341002001".into()), None, &config);
    let all = validate(&d, &Scope::All, None, &config);
    assert_eq!(town.problems.len(), all.problems.len(), "{}", dump(&town));
    let r = validate(
        &d,
        &Scope::Rect(Rect::new(
            coord! {x: X0 + 3.0 * S, y: Y0},
            coord! {x: X0 + 4.0 * S, y: Y0 + 2.0 * S},
        )),
        None,
        &config,
    );
    assert_eq!(r.count(ProblemKind::Gap), 1, "{}", dump(&r));
}

#[test]
fn an_edit_compared_with_validate_around_shows_what_it_solved() {
    let mut f = tiled();
    f.grid_mut("g1").geometry = rect(X0, Y0 + 0.0002, X0 + S, Y0 + S);
    let mut d = f.district();
    let config = Config::default();
    let ids = [GridId::from("g1")];
    let before = validate_around(&d, &ids, None, &config);
    let day = NaiveDate::from_ymd_opt(2025, 1, 1).expect("date");
    assert!(d.close_version(&ids[0], day));
    let mut fixed = grid("g1", Layer::Base, Some(C1), rect(X0, Y0, X0 + S, Y0 + S));
    fixed.valid_from = day;
    fixed.version = 2;
    d.add_version(fixed).expect("new version");
    let after = validate_around(&d, &ids, None, &config);
    let delta = before.delta(&after);
    assert!(delta.created.is_empty(), "{:?}", delta.created);
    assert_eq!(delta.solved.len(), 1);
    assert_eq!(delta.solved[0].kind, ProblemKind::Gap);
    // The old version is still what the district looked like in 2024.
    let then = validate(
        &d,
        &Scope::All,
        NaiveDate::from_ymd_opt(2024, 6, 1),
        &config,
    );
    assert_eq!(then.count(ProblemKind::Gap), 1);
}

// ----- property: any exact partition validates clean -----

/// Splits a lattice rectangle recursively (guillotine cuts), giving rectangles whose edges meet
/// in T-junctions, the case where float overlay opens hairline gaps.
fn guillotine(
    r: (i64, i64, i64, i64),
    cuts: &mut impl Iterator<Item = (bool, u32)>,
    depth: u32,
    out: &mut Vec<(i64, i64, i64, i64)>,
) {
    let (x0, y0, x1, y1) = r;
    match cuts.next() {
        Some((vertical, at)) if depth < 5 => {
            let (lo, hi) = if vertical { (x0, x1) } else { (y0, y1) };
            if hi - lo < 20 {
                out.push(r);
                return;
            }
            let m = lo + 10 + (at as i64) % (hi - lo - 19);
            let (a, b) = if vertical {
                ((x0, y0, m, y1), (m, y0, x1, y1))
            } else {
                ((x0, y0, x1, m), (x0, m, x1, y1))
            };
            guillotine(a, cuts, depth + 1, out);
            guillotine(b, cuts, depth + 1, out);
        }
        _ => out.push(r),
    }
}

fn lattice_rect(r: (i64, i64, i64, i64)) -> MultiPolygon<f64> {
    let u = |v: i64| v as f64 * 1e-7;
    rect(X0 + u(r.0), Y0 + u(r.1), X0 + u(r.2), Y0 + u(r.3))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    #[test]
    fn a_random_exact_partition_validates_clean(
        cuts in proptest::collection::vec((any::<bool>(), any::<u32>()), 1..40),
        groups in 2usize..12,
        hierarchy in any::<bool>(),
    ) {
        let whole = (0, 0, 20_000, 15_000);
        let mut cells = vec![];
        guillotine(whole, &mut cuts.into_iter(), 0, &mut cells);
        let parent = hierarchy.then_some(C1);
        let mut grids = vec![];
        for k in 0..groups.min(cells.len()) {
            let parts: Vec<MultiPolygon<f64>> = cells.iter().enumerate().filter(|(i, _)| i % groups == k).map(|(_, c)| lattice_rect(*c)).collect();
            let geometry = lattice::union_all(parts.iter()).expect("union");
            grids.push(grid(&format!("p{k:02}"), Layer::Base, parent, geometry));
        }
        let areas = if hierarchy {
            vec![area(C1, AdminLevel::Community, None, Some(lattice_rect(whole)))]
        } else {
            vec![]
        };
        let d = District::new(areas, grids, vec![], vec![]).expect("district");
        let r = validate(&d, &Scope::All, None, &Config::default());
        let coverage: Vec<&Problem> = r.problems.iter().filter(|p| p.kind.breaks_hierarchy()).collect();
        prop_assert!(coverage.is_empty(), "{}", dump(&r));
    }
}

// ----- timing on a synthetic city (run with --release -- --ignored --nocapture) -----

#[test]
#[ignore]
fn timing_on_a_city_of_50000_base_grids() {
    use std::time::Instant;
    let (communities_x, communities_y, per_side) = (40usize, 25usize, 7usize); // 1000 × 49
    let mut areas = vec![
        area("341002", AdminLevel::District, None, None),
        area("341002001", AdminLevel::Town, Some("341002"), None),
    ];
    let mut grids = vec![];
    let mut buildings = vec![];
    let side = S * per_side as f64;
    // Shared vertices jittered (except on community boundaries, which stay straight), so that
    // neighbours' boxes overlap and every sibling pair is really intersected.
    let jitter = |i: usize, j: usize| -> (f64, f64) {
        if i.is_multiple_of(per_side) || j.is_multiple_of(per_side) {
            return (0.0, 0.0);
        }
        let h = (i * 7919 + j * 104_729) % 1000;
        let (a, b) = ((h % 31) as f64 / 31.0 - 0.5, (h % 17) as f64 / 17.0 - 0.5);
        (
            lattice::snap(coord! {x: a * 0.3 * S, y: 0.0}).x,
            lattice::snap(coord! {x: b * 0.3 * S, y: 0.0}).x,
        )
    };
    let vertex = |i: usize, j: usize| -> Coord<f64> {
        let (dx, dy) = jitter(i, j);
        lattice::snap(coord! {x: X0 + i as f64 * S + dx, y: Y0 + j as f64 * S + dy})
    };
    for cx in 0..communities_x {
        for cy in 0..communities_y {
            let code = format!("341002001{:03}", cx * communities_y + cy);
            let (x0, y0) = (X0 + cx as f64 * side, Y0 + cy as f64 * side);
            areas.push(area(
                &code,
                AdminLevel::Community,
                Some("341002001"),
                Some(rect(x0, y0, x0 + side, y0 + side)),
            ));
            for i in 0..per_side {
                for j in 0..per_side {
                    let (gi, gj) = (cx * per_side + i, cy * per_side + j);
                    let ring = vec![
                        vertex(gi, gj),
                        vertex(gi + 1, gj),
                        vertex(gi + 1, gj + 1),
                        vertex(gi, gj + 1),
                        vertex(gi, gj),
                    ];
                    let id = format!("{code}-{i}{j}");
                    grids.push(grid(
                        &id,
                        Layer::Base,
                        Some(&code),
                        MultiPolygon(vec![Polygon::new(LineString(ring), vec![])]),
                    ));
                    let (x, y) = (x0 + i as f64 * S, y0 + j as f64 * S);
                    buildings.push(point_building(
                        &format!("b{id}"),
                        x + S / 2.0,
                        y + S / 2.0,
                        400,
                    ));
                }
            }
        }
    }
    let n = grids.len();
    let t = Instant::now();
    let d = District::new(areas, grids, buildings, vec![]).expect("district");
    eprintln!("district of {n} base grids built in {:?}", t.elapsed());
    let config = Config::default();
    let t = Instant::now();
    let full = validate(&d, &Scope::All, None, &config);
    eprintln!(
        "full validate: {:?}, {} problems",
        t.elapsed(),
        full.problems.len()
    );
    assert!(full.is_clean(), "{}", dump(&full));
    let t = Instant::now();
    let rounds = 20;
    for k in 0..rounds {
        let id = GridId(format!("341002001{:03}-33", k * 37));
        let r = validate_around(&d, &[id], None, &config);
        assert!(r.is_clean());
    }
    eprintln!("validate_around: {:?} per call", t.elapsed() / rounds);
}

// ----- checks that cannot run (issue #11): a problem of their own, never silence -----

/// A near-world rectangle (it covers Paris as well as Tunxi).
fn near_world() -> MultiPolygon<f64> {
    rect(-179.0, -60.0, 179.0, 70.0)
}

#[test]
fn overlay_extent_too_large_is_check_failed_not_silence() {
    // A planner saved a near-world base grid in C1: its crossing, its overlaps with its
    // siblings and C1's gaps cannot be overlaid on the lattice. Each of those checks is a
    // check_failed error naming the grid, so the report is not clean.
    let mut f = tiled();
    f.grid_mut("g4").geometry = near_world();
    let d = f.district();
    let r = validate(&d, &Scope::All, None, &Config::default());
    let failed: Vec<&Problem> = r.of_kind(ProblemKind::CheckFailed).collect();
    assert!(!r.is_clean(), "{}", dump(&r));
    let checks: Vec<&str> = failed
        .iter()
        .filter_map(|p| p.details.get("check").and_then(|c| c.as_str()))
        .collect();
    for check in ["crosses_community", "overlap", "gap"] {
        assert!(checks.contains(&check), "no failed {check}: {}", dump(&r));
    }
    for p in &failed {
        assert_eq!(p.severity, Severity::Error);
        assert!(p.grids.contains(&GridId::from("g4")), "{p}");
        assert_eq!(p.area.as_deref(), Some(C1));
        let reason = p.details.get("reason").and_then(|v| v.as_str());
        assert!(
            reason.is_some_and(|r| r.contains("extent too large")),
            "{p}"
        );
        assert!(p.message.contains("could not run"), "{p}");
    }
    // A run scoped to Paris keeps it (the grid's box reaches there), and so does an incremental
    // run around the grid: an edit saving it is refused as breaking the hierarchy.
    let paris = Rect::new(coord! {x: 2.34, y: 48.85}, coord! {x: 2.36, y: 48.86});
    let scoped = validate(&d, &Scope::Rect(paris), None, &Config::default());
    assert!(
        scoped.count(ProblemKind::CheckFailed) >= 1,
        "{}",
        dump(&scoped)
    );
    let around = validate_around(&d, &[GridId::from("g4")], None, &Config::default());
    assert!(around.breaks_hierarchy(), "{}", dump(&around));
    let area = validate(&d, &Scope::Area(C1.into()), None, &Config::default());
    assert!(area.count(ProblemKind::CheckFailed) >= 1, "{}", dump(&area));
}

#[test]
fn micro_grid_of_near_world_size_is_check_failed_not_inside_its_base_grid() {
    let mut f = tiled();
    f.grids
        .push(grid("g1W01", Layer::Micro, Some("g1"), near_world()));
    let r = f.report();
    let p = r
        .of_kind(ProblemKind::CheckFailed)
        .find(|p| p.details.get("check").and_then(|c| c.as_str()) == Some("child_outside_parent"))
        .unwrap_or_else(|| panic!("no failed child check: {}", dump(&r)));
    assert_eq!(p.grids, grid_ids(&["g1", "g1W01"]));
}

/// A continent of unparented 2° × 2° base grids (lon 20–100, lat 0–50) with three lakes far
/// apart (one cell each; the third is 3 × 3 cells with an island cell in the middle), plus
/// island groups just east of -180° and just west of 180°, one of them a ring around a lagoon.
/// Deterministic.
fn continent() -> (Vec<Grid>, Vec<MultiPolygon<f64>>) {
    let cell = |x: f64, y: f64, s: f64| rect(x, y, x + s, y + s);
    let lakes = [(3, 3), (36, 21)];
    let lagoon_lake = |i: i32, j: i32| (18..=20).contains(&i) && (10..=12).contains(&j);
    let mut grids = vec![];
    for i in 0..40 {
        for j in 0..25 {
            if lakes.contains(&(i, j)) || (lagoon_lake(i, j) && (i, j) != (19, 11)) {
                continue;
            }
            let (x, y) = (20.0 + 2.0 * i as f64, 2.0 * j as f64);
            grids.push(grid(
                &format!("k{i:02}{j:02}"),
                Layer::Base,
                None,
                cell(x, y, 2.0),
            ));
        }
    }
    // Fiji-like islands: 0.2° cells, a 3 × 3 ring around a lagoon at 179.2–179.8, and two
    // touching islands at -179.8–-179.4.
    for i in 0..3 {
        for j in 0..3 {
            if (i, j) == (1, 1) {
                continue;
            }
            let (x, y) = (179.2 + 0.2 * i as f64, -17.0 + 0.2 * j as f64);
            grids.push(grid(
                &format!("e{i}{j}"),
                Layer::Base,
                None,
                cell(x, y, 0.2),
            ));
        }
    }
    for i in 0..2 {
        let x = -179.8 + 0.2 * i as f64;
        grids.push(grid(
            &format!("w{i}"),
            Layer::Base,
            None,
            cell(x, -17.0, 0.2),
        ));
    }
    let expected = vec![
        cell(20.0 + 6.0, 6.0, 2.0),
        cell(20.0 + 72.0, 42.0, 2.0),
        cell(179.4, -16.8, 0.2),
    ];
    (grids, expected)
}

#[test]
fn unparented_gaps_found_on_continent_scale_coverage() {
    let (grids, lakes) = continent();
    let d = District::new(vec![], grids, vec![], vec![]).expect("district");
    let r = validate(&d, &Scope::All, None, &Config::default());
    assert_eq!(r.count(ProblemKind::CheckFailed), 0, "{}", dump(&r));
    let mut gaps: Vec<f64> = r
        .of_kind(ProblemKind::Gap)
        .map(|p| p.measure.value)
        .collect();
    gaps.sort_by(f64::total_cmp);
    // The lake around the island: the eight cells of 3 × 3 other than the island.
    let ring_lake: f64 = (0..3)
        .flat_map(|i| (0..3).map(move |j| (i, j)))
        .filter(|&ij| ij != (1, 1))
        .map(|(i, j)| {
            let (x, y) = (56.0 + 2.0 * i as f64, 20.0 + 2.0 * j as f64);
            area_m2(&rect(x, y, x + 2.0, y + 2.0))
        })
        .sum();
    let mut want: Vec<f64> = lakes.iter().map(area_m2).collect();
    want.push(ring_lake);
    want.sort_by(f64::total_cmp);
    assert_eq!(gaps.len(), want.len(), "{}", dump(&r));
    for (g, w) in gaps.iter().zip(&want) {
        assert!((g - w).abs() <= 1e-6 * w, "gap {g} m², want {w} m²");
    }
    // The lagoon's gap names the eight island cells around it.
    let lagoon = r
        .of_kind(ProblemKind::Gap)
        .find(|p| p.grids.iter().any(|g| g.0.starts_with('e')))
        .expect("lagoon gap");
    assert_eq!(lagoon.grids.len(), 8, "{lagoon}");
    assert_eq!(errors(&r).len(), 4, "{}", dump(&r));
    // An incremental run next to the lagoon finds the same gap.
    let around = validate_around(&d, &[GridId::from("e00")], None, &Config::default());
    let q = only(&around, ProblemKind::Gap);
    assert_eq!(q.key(), lagoon.key());
}

#[test]
fn antimeridian_multipolygon_grids_are_checked_part_by_part() {
    // Two unparented grids, each with a part on each side of ±180°, overlapping in both.
    let east_west = |x: f64, w: f64| {
        MultiPolygon(vec![
            Rect::new(coord! {x: x, y: -17.0}, coord! {x: x + w, y: -16.0}).to_polygon(),
            Rect::new(coord! {x: -x - w, y: -17.0}, coord! {x: -x, y: -16.0}).to_polygon(),
        ])
    };
    let grids = vec![
        grid("a", Layer::Base, None, east_west(179.0, 0.5)),
        grid("b", Layer::Base, None, east_west(179.4, 0.6)),
    ];
    let d = District::new(vec![], grids, vec![], vec![]).expect("district");
    let r = validate(&d, &Scope::All, None, &Config::default());
    assert_eq!(r.count(ProblemKind::CheckFailed), 0, "{}", dump(&r));
    let overlaps: Vec<&Problem> = r.of_kind(ProblemKind::Overlap).collect();
    assert_eq!(overlaps.len(), 2, "{}", dump(&r));
    let strip = area_m2(&rect(179.4, -17.0, 179.5, -16.0));
    for p in overlaps {
        assert_eq!(p.grids, grid_ids(&["a", "b"]));
        assert!((p.measure.value - strip).abs() < 1.0, "{p}");
    }
    assert_eq!(r.count(ProblemKind::Gap), 0, "{}", dump(&r));
}

#[test]
fn community_without_outline_is_check_failed_not_silence() {
    // A community loaded without its outline: gaps between its grids and grids crossing it
    // cannot be found, so the report says the check could not run instead of staying clean.
    let mut f = tiled();
    let area = f
        .areas
        .iter_mut()
        .find(|a| a.code == C1)
        .expect("community C1");
    area.geometry = None;
    let d = f.district();
    let r = validate(&d, &Scope::All, None, &Config::default());
    let failed: Vec<&Problem> = r.of_kind(ProblemKind::CheckFailed).collect();
    assert_eq!(failed.len(), 1, "{}", dump(&r));
    let p = failed[0];
    assert_eq!(p.severity, Severity::Error);
    assert_eq!(p.area.as_deref(), Some(C1));
    assert!(p.grids.contains(&GridId::from("g1")), "{p}");
    assert!(p.message.contains("no outline"), "{p}");
    assert!(!r.is_clean());
}
