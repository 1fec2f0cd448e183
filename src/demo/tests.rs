use super::*;
use std::sync::OnceLock;

const OUTLINE: &str = include_str!("../../geodata/tunxi/source/district.geojson");
const DIVISIONS: &str = include_str!("../../geodata/tunxi/source/divisions.json");

/// Generated once per test binary (generation is the slow part).
fn demo() -> &'static Demo {
    static DEMO: OnceLock<Demo> = OnceLock::new();
    DEMO.get_or_init(|| {
        let t = std::time::Instant::now();
        let d = generate(OUTLINE, DIVISIONS).expect("generate");
        eprintln!("generated in {:?}", t.elapsed());
        d
    })
}

/// The demo's figures follow the generator's rules: one area per division of the source, the 2023
/// layout kept only for the redrawn rural grids, special grids only in urban communities (one or
/// two sites each) and micro grids only in urban ones, each network's composites dividing every
/// community's current base grids among them, and rural grids holding the households
/// `buildings::RURAL_HOUSEHOLDS` allows.
#[test]
fn figures_follow_the_generator_rules() {
    let d = demo();
    let source = source::parse_divisions(DIVISIONS).expect("divisions");
    let count = |l: AdminLevel| d.areas.iter().filter(|a| a.level == l).count();
    assert_eq!(count(AdminLevel::Town), source.children.len());
    assert_eq!(
        count(AdminLevel::Community),
        source
            .children
            .iter()
            .map(|t| t.children.len())
            .sum::<usize>()
    );

    // Old versions: the redraw of one rural community, each followed by its current version.
    let retired: Vec<&Grid> = d.grids.iter().filter(|g| !g.is_current()).collect();
    assert!(
        (1..=grids::HISTORY_GRIDS).contains(&retired.len()),
        "{} retired versions",
        retired.len()
    );
    let redrawn: BTreeSet<_> = retired.iter().map(|g| g.parent.clone()).collect();
    assert_eq!(redrawn.len(), 1, "redrawn communities {redrawn:?}");
    for old in &retired {
        assert_eq!(old.layer, Layer::Base, "{}", old.id);
        assert_eq!(old.kind, AreaKind::Rural, "{}", old.id);
        assert!(
            d.grids
                .iter()
                .any(|g| g.is_current() && g.id == old.id && g.version == old.version + 1),
            "{} has no current version",
            old.id
        );
    }

    let current: Vec<&Grid> = d.grids.iter().filter(|g| g.is_current()).collect();
    let base_kind: BTreeMap<&str, AreaKind> = current
        .iter()
        .filter(|g| g.layer == Layer::Base)
        .map(|g| (g.code.as_str(), g.kind))
        .collect();
    let mut specials: BTreeMap<&str, usize> = BTreeMap::new();
    for g in current.iter().filter(|g| g.layer.is_child()) {
        let parent = g.parent.as_deref().expect("parent");
        assert_eq!(
            base_kind.get(parent),
            Some(&AreaKind::Urban),
            "{} {:?} outside an urban base grid",
            g.code,
            g.layer
        );
        if g.layer == Layer::Special {
            *specials.entry(&parent[..12]).or_default() += 1;
        }
    }
    assert!(!specials.is_empty());
    for (community, n) in &specials {
        assert!((1..=2).contains(n), "{community} has {n} special grids");
    }

    for c in d.areas.iter().filter(|a| a.level == AdminLevel::Community) {
        let mut bases: Vec<&GridId> = current
            .iter()
            .filter(|g| g.layer == Layer::Base && g.parent.as_deref() == Some(&c.code))
            .map(|g| &g.id)
            .collect();
        bases.sort();
        let mut counts = Vec::new();
        for network in ["party_building", "urban_management"] {
            let groups: Vec<&Grid> = current
                .iter()
                .copied()
                .filter(|g| {
                    g.layer == Layer::Composite
                        && g.parent.as_deref() == Some(&c.code)
                        && g.network.as_deref() == Some(network)
                })
                .collect();
            let mut members: Vec<&GridId> = groups.iter().flat_map(|g| &g.members).collect();
            members.sort();
            assert_eq!(members, bases, "{} {network}", c.code);
            counts.push(groups.len());
        }
        assert_eq!(counts[0], counts[1], "{}", c.code);
    }

    let households = |g: &Grid| g.properties.get("households").and_then(|v| v.as_u64());
    for g in current
        .iter()
        .filter(|g| g.layer == Layer::Base && g.kind == AreaKind::Rural)
    {
        let n = households(g).expect("households");
        match g.status {
            GridStatus::Reserved => assert_eq!(n, 0, "{}", g.code),
            _ => assert!(
                buildings::RURAL_HOUSEHOLDS.contains(&u32::try_from(n).expect("u32")),
                "{} has {n} households",
                g.code
            ),
        }
    }
    let total: u64 = d.buildings.iter().map(|b| u64::from(b.households)).sum();
    let by_grid: u64 = current
        .iter()
        .filter(|g| g.layer == Layer::Base)
        .map(|g| households(g).unwrap_or(0))
        .sum();
    assert_eq!(total, by_grid);
}

use chrono::NaiveDate;
use geo::{Area, BoundingRect, Centroid, Intersects, Polygon};
use std::collections::{BTreeMap, BTreeSet};
use wangge_engine::district::normalise;
use wangge_engine::lookup::{base_at, lookup};
use wangge_engine::measure::area_m2;
use wangge_engine::{District, Footprint, GridId, GridStatus, Layer};

fn district() -> &'static District {
    static D: OnceLock<District> = OnceLock::new();
    D.get_or_init(|| {
        let d = demo().clone();
        District::new(d.areas, d.grids, d.buildings, d.households).expect("District::new")
    })
}

fn geometry(a: &AdminArea) -> &MultiPolygon<f64> {
    a.geometry.as_ref().expect("area geometry")
}

/// `parts` tile `whole`: same point set (both differences empty), areas add up to within 1 m²,
/// and no two parts overlap.
fn assert_tiles(what: &str, whole: &MultiPolygon<f64>, parts: &[&MultiPolygon<f64>]) {
    // Oriented: the overlay returns holes with the exterior's winding, which it would read back
    // as filled.
    let union = normalise(&lattice::union_all(parts.iter().copied()).expect("union"));
    let gap = lattice::difference(whole, &union).expect("difference");
    let spill = lattice::difference(&union, whole).expect("difference");
    assert!(
        gap.0.is_empty() && spill.0.is_empty(),
        "{what}: gap {} m², spill {} m²",
        area_m2(&gap),
        area_m2(&spill)
    );
    let sum: f64 = parts.iter().map(|p| area_m2(p)).sum();
    assert!(
        (sum - area_m2(whole)).abs() < 1.0,
        "{what}: parts {sum} m² vs whole {} m²",
        area_m2(whole)
    );
    assert_disjoint(what, parts);
}

fn assert_disjoint(what: &str, parts: &[&MultiPolygon<f64>]) {
    for (i, a) in parts.iter().enumerate() {
        for b in &parts[i + 1..] {
            let (Some(ra), Some(rb)) = (a.bounding_rect(), b.bounding_rect()) else {
                continue;
            };
            if !ra.intersects(&rb) {
                continue;
            }
            let x = lattice::intersection(a, b).expect("intersection");
            assert!(
                x.unsigned_area() == 0.0,
                "{what}: parts overlap by {} m²",
                area_m2(&x)
            );
        }
    }
}

fn areas_of(level: AdminLevel) -> Vec<&'static AdminArea> {
    demo().areas.iter().filter(|a| a.level == level).collect()
}

fn children_of<'a>(parent: &str, level: AdminLevel) -> Vec<&'a MultiPolygon<f64>> {
    demo()
        .areas
        .iter()
        .filter(|a| a.level == level && a.parent.as_deref() == Some(parent))
        .map(geometry)
        .collect()
}

fn base_grids_on(community: &str, date: Option<NaiveDate>) -> Vec<&'static Grid> {
    demo()
        .grids
        .iter()
        .filter(|g| g.layer == Layer::Base && g.parent.as_deref() == Some(community))
        .filter(|g| date.map_or(g.is_current(), |d| g.is_valid_on(d)))
        .collect()
}

#[test]
fn generation_is_deterministic() {
    let again = generate(OUTLINE, DIVISIONS).expect("generate");
    assert!(demo() == &again, "two runs differ");
}

#[test]
fn the_district_loads_and_has_the_real_hierarchy() {
    let d = district();
    assert_eq!(areas_of(AdminLevel::District).len(), 1);
    assert_eq!(areas_of(AdminLevel::Town).len(), 9);
    assert_eq!(areas_of(AdminLevel::Community).len(), 76);
    let root = d.area("341002").expect("district");
    assert_eq!((root.name.as_str(), root.parent.as_ref()), ("屯溪区", None));
    assert_eq!(
        d.area("341002001").map(|a| a.name.as_str()),
        Some("昱东街道")
    );
    assert_eq!(d.area("341002001").map(|a| a.kind), Some(AreaKind::Urban));
    assert_eq!(d.area("341002104").map(|a| a.kind), Some(AreaKind::Rural));
    // The WGS84 outline keeps ~194 km² (the GCJ-02 source measures 194.2 km²).
    let km2 = area_m2(geometry(root)) / 1e6;
    assert!((km2 - 194.0).abs() < 2.0, "district {km2} km²");
}

#[test]
fn towns_tile_the_district_and_communities_tile_their_town() {
    let root = areas_of(AdminLevel::District)[0];
    assert_tiles(
        "towns",
        geometry(root),
        &children_of(&root.code, AdminLevel::Town),
    );
    for town in areas_of(AdminLevel::Town) {
        assert_tiles(
            &town.code,
            geometry(town),
            &children_of(&town.code, AdminLevel::Community),
        );
    }
}

#[test]
fn base_grids_tile_their_community_now_and_before_the_redraw() {
    let history = NaiveDate::from_ymd_opt(2023, 6, 1).expect("date");
    let mut redrawn = 0;
    for c in areas_of(AdminLevel::Community) {
        let now = base_grids_on(&c.code, None);
        assert!(!now.is_empty(), "{} has no base grid", c.code);
        let parts: Vec<&MultiPolygon<f64>> = now.iter().map(|g| &g.geometry).collect();
        assert_tiles(&c.code, geometry(c), &parts);
        let before = base_grids_on(&c.code, Some(history));
        if !before.is_empty() {
            redrawn += before.len();
            let parts: Vec<&MultiPolygon<f64>> = before.iter().map(|g| &g.geometry).collect();
            assert_tiles(&format!("{} in 2023", c.code), geometry(c), &parts);
            for (old, new) in before.iter().zip(&now) {
                assert_eq!(
                    (old.id.clone(), old.version, new.version),
                    (new.id.clone(), 1, 2)
                );
                assert_ne!(
                    old.geometry, new.geometry,
                    "{} unchanged by the redraw",
                    old.id
                );
            }
        }
    }
    assert!((3..=5).contains(&redrawn), "{redrawn} grids with history");
}

#[test]
fn micro_and_special_grids_lie_inside_their_base_grid_without_overlapping() {
    let mut by_parent: BTreeMap<&str, Vec<&Grid>> = BTreeMap::new();
    for g in demo().grids.iter().filter(|g| g.layer.is_child()) {
        by_parent
            .entry(g.parent.as_deref().expect("parent"))
            .or_default()
            .push(g);
    }
    assert!(by_parent
        .values()
        .flatten()
        .any(|g| g.layer == Layer::Special));
    for (parent, kids) in by_parent {
        let base = district()
            .grid(&parent.into(), None)
            .expect("parent base grid");
        assert_eq!(base.layer, Layer::Base);
        for k in &kids {
            let outside = lattice::difference(&k.geometry, &base.geometry).expect("difference");
            assert!(outside.0.is_empty(), "{} leaves {parent}", k.code);
            assert_eq!(k.category.is_some(), k.layer == Layer::Special);
        }
        let parts: Vec<&MultiPolygon<f64>> = kids.iter().map(|g| &g.geometry).collect();
        assert_disjoint(parent, &parts);
    }
}

fn corners(f: &Footprint) -> Vec<Coord<f64>> {
    match f {
        Footprint::Polygon(p) => p.exterior().0.clone(),
        Footprint::Point(p) => vec![p.0],
    }
}

fn point_of(f: &Footprint) -> Coord<f64> {
    match f {
        Footprint::Polygon(p) => p.centroid().expect("centroid").0,
        Footprint::Point(p) => p.0,
    }
}

/// Every building lies strictly inside one base grid; lookup of its point finds that grid.
fn households_by_grid() -> BTreeMap<String, u32> {
    let d = district();
    let mut out = BTreeMap::new();
    for b in &demo().buildings {
        let owners: BTreeSet<u32> = corners(&b.footprint)
            .into_iter()
            .map(|c| {
                let (hit, all) = base_at(d, c, None);
                assert!(
                    !hit.on_boundary && all.len() == 1,
                    "building {} touches a base-grid boundary",
                    b.id
                );
                hit.slot.expect("inside a base grid")
            })
            .collect();
        assert_eq!(owners.len(), 1, "building {} straddles base grids", b.id);
        let grid = d.slot(*owners.iter().next().expect("owner"));
        let found = lookup(d, point_of(&b.footprint), None);
        assert_eq!(
            found.base.as_ref().map(|g| g.id.as_str()),
            Some(grid.id.0.as_str()),
            "lookup of {}",
            b.id
        );
        *out.entry(grid.code.clone()).or_insert(0) += b.households;
    }
    out
}

#[test]
fn buildings_sit_inside_one_base_grid_and_urban_grids_hold_300_to_500_households() {
    let counts = households_by_grid();
    let (mut reserved, mut suspended) = (0, 0);
    for g in demo()
        .grids
        .iter()
        .filter(|g| g.layer == Layer::Base && g.is_current())
    {
        let n = counts.get(&g.code).copied().unwrap_or(0);
        assert_eq!(
            g.properties.get("households").and_then(|v| v.as_u64()),
            Some(u64::from(n)),
            "{}",
            g.code
        );
        match (g.kind, g.status) {
            (AreaKind::Urban, GridStatus::Active) => {
                assert!((300..=500).contains(&n), "{} has {n} households", g.code)
            }
            (_, GridStatus::Reserved) => {
                reserved += 1;
                assert_eq!(n, 0);
                assert!(g.properties.contains_key("note"));
            }
            (_, GridStatus::Suspended) => suspended += 1,
            _ => {}
        }
    }
    assert!(
        reserved >= 2 && suspended >= 2,
        "reserved {reserved}, suspended {suspended}"
    );
}

#[test]
fn codes_are_unique_well_formed_and_nested() {
    let mut seen = BTreeSet::new();
    for g in &demo().grids {
        assert!(
            seen.insert((g.code.clone(), g.version)),
            "duplicate {} v{}",
            g.code,
            g.version
        );
        assert_eq!(g.id.0, g.code);
        let parent = g.parent.as_deref().expect("parent");
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        match g.layer {
            Layer::Base => {
                assert!(
                    g.code.len() == 15
                        && digits(&g.code)
                        && g.code.starts_with(parent)
                        && parent.len() == 12,
                    "{}",
                    g.code
                );
                assert_ne!(&g.code[12..], "000");
            }
            Layer::Micro | Layer::Special => {
                let tag = if g.layer == Layer::Micro { "W" } else { "Z" };
                assert!(
                    g.code.len() == 19
                        && g.code.starts_with(parent)
                        && &g.code[15..16] == tag
                        && digits(&g.code[16..]),
                    "{}",
                    g.code
                );
            }
            Layer::Composite => {
                let tag = if g.network.as_deref() == Some("party_building") {
                    "DJ"
                } else {
                    "CG"
                };
                assert!(
                    g.code.len() == 16 && g.code.starts_with(parent) && &g.code[12..14] == tag,
                    "{}",
                    g.code
                );
                assert!((1..=4).contains(&g.members.len()));
                assert!(g.members.iter().all(|m| m.0.starts_with(parent)));
            }
        }
    }
    for a in &demo().areas {
        let len = match a.level {
            AdminLevel::District => 6,
            AdminLevel::Town => 9,
            AdminLevel::Community => 12,
        };
        assert_eq!(a.code.len(), len);
        if let Some(p) = &a.parent {
            assert!(a.code.starts_with(p.as_str()));
        }
    }
    let ids: BTreeSet<&str> = demo().buildings.iter().map(|b| b.id.as_str()).collect();
    assert_eq!(ids.len(), demo().buildings.len());
}

#[test]
fn base_grids_are_numbered_in_reading_order_from_the_north_west() {
    let c = base_grids_on("341002001001", None);
    assert!(c.len() >= 3);
    assert!(c
        .iter()
        .enumerate()
        .all(|(i, g)| g.code.ends_with(&format!("{:03}", i + 1))));
    // The first grid's representative point is no further south than the last one's row.
    let y = |g: &Grid| g.geometry.centroid().expect("centroid").y();
    assert!(y(c[0]) >= y(c[c.len() - 1]) - 0.004);
}

#[test]
fn bad_inputs_are_errors_not_panics() {
    assert!(matches!(
        generate("{", DIVISIONS),
        Err(DemoError::Outline(_))
    ));
    assert!(matches!(
        generate(r#"{"type":"Point","coordinates":[1,2]}"#, DIVISIONS),
        Err(DemoError::Outline(_))
    ));
    assert!(matches!(
        generate(OUTLINE, "[]"),
        Err(DemoError::Divisions(_))
    ));
    assert!(matches!(
        generate(
            OUTLINE,
            r#"{"code":"341002","name":"x","children":[{"code":"12","name":"y"}]}"#
        ),
        Err(DemoError::Divisions(_))
    ));
}

/// Each town's name, kind, area and number of communities. The test used to only print them;
/// asserted, a change to the division sources or to the clipping shows here, town by town.
#[test]
fn figures_per_town() {
    // (code, name, kind, km² to 0.1, communities)
    let want = [
        ("341002001", "昱东街道", AreaKind::Urban, 1.9, 4),
        ("341002002", "昱中街道", AreaKind::Urban, 3.6, 5),
        ("341002003", "昱西街道", AreaKind::Urban, 1.1, 2),
        ("341002004", "老街街道", AreaKind::Urban, 1.9, 3),
        ("341002100", "屯光镇", AreaKind::Rural, 46.7, 11),
        ("341002101", "阳湖镇", AreaKind::Rural, 31.6, 10),
        ("341002102", "黎阳镇", AreaKind::Rural, 23.2, 12),
        ("341002103", "新潭镇", AreaKind::Rural, 45.2, 19),
        ("341002104", "奕棋镇", AreaKind::Rural, 38.7, 10),
    ];
    let towns = areas_of(AdminLevel::Town);
    assert_eq!(towns.len(), want.len());
    for (t, (code, name, kind, km2, communities)) in towns.iter().zip(want) {
        assert_eq!(
            (t.code.as_str(), t.name.as_str(), t.kind),
            (code, name, kind)
        );
        let got = area_m2(geometry(t)) / 1e6;
        assert!((got - km2).abs() < 0.05, "{code} {name}: {got} km²");
        assert_eq!(
            children_of(&t.code, AdminLevel::Community).len(),
            communities,
            "{code} {name}"
        );
    }
}

#[test]
fn the_clipped_cells_reproduce_the_converted_outline() {
    let outline =
        outline_wgs84(&source::parse_outline(OUTLINE).expect("outline")).expect("convert");
    let district = geometry(areas_of(AdminLevel::District)[0]);
    let gap = lattice::difference(&outline, district).expect("difference");
    let spill = lattice::difference(district, &outline).expect("difference");
    // Clipping re-rounds the outline where it crosses a cell edge, so the union of the cells may
    // leave the converted outline by up to a lattice unit (≈1 cm) along an edge. Check that every
    // difference is such a hairline: area ≤ length × 2 cm. Measured in a local planar frame: the
    // geodesic area of a sliver whose winding rounding has flipped is the whole Earth's.
    let (kx, ky) = (111_320.0 * 29.75_f64.to_radians().cos(), 110_860.0);
    let m2 = |p: &Polygon<f64>| p.unsigned_area() * kx * ky;
    let mut total = 0.0;
    for p in gap.0.iter().chain(&spill.0) {
        let r = p.bounding_rect().expect("bbox");
        let length = (r.width() * kx).hypot(r.height() * ky);
        assert!(
            m2(p) <= length * 0.02,
            "a {} m² difference over {length} m is not a hairline",
            m2(p)
        );
        total += m2(p);
    }
    assert!(total < 500.0, "outline and cells differ by {total} m²");
    let (a, b) = (area_m2(&outline), area_m2(district));
    assert!((a - b).abs() < 100.0, "outline {a} m², cells {b} m²");
    // Every part of the source (the main part and the small triangles) is kept.
    assert_eq!(
        outline.0.len(),
        source::parse_outline(OUTLINE).expect("outline").0.len()
    );
}

#[test]
fn the_city_centre_lies_in_a_street() {
    let found = lookup(district(), CITY_CENTRE, None);
    let town = found.town.expect("town");
    assert_eq!(
        codes::town_kind(&town.code),
        AreaKind::Urban,
        "centre in {}",
        town.name
    );
}
