//! Edits on a community square tiled by four base grids:
//!
//! ```text
//!  NW 003 | NE 004
//!  -------+-------   centre vertex at (118.31, 29.71)
//!  SW 001 | SE 002
//! ```

use chrono::NaiveDate;
use geo::{polygon, Area, Coord, LineString, MultiPolygon, Point};
use proptest::prelude::*;
use wangge_engine::edit::topology::{has_vertex, units};
use wangge_engine::edit::{apply, commit, plan, Edit, EditError, EditOptions};
use wangge_engine::lattice;
use wangge_engine::validate::ProblemKind;
use wangge_engine::*;

const COMMUNITY: &str = "341002001001";
const X0: f64 = 118.30;
const Y0: f64 = 29.70;

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 3, d).expect("valid date")
}

fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> MultiPolygon<f64> {
    MultiPolygon(vec![
        polygon![(x: x0, y: y0), (x: x1, y: y0), (x: x1, y: y1), (x: x0, y: y1)],
    ])
}

fn grid(id: &str, layer: Layer, parent: &str, geometry: MultiPolygon<f64>) -> Grid {
    Grid {
        id: GridId::from(id),
        code: id.to_string(),
        name: id.to_string(),
        layer,
        parent: Some(parent.to_string()),
        kind: AreaKind::Urban,
        status: GridStatus::Active,
        category: None,
        network: None,
        members: vec![],
        properties: Default::default(),
        geometry,
        valid_from: day(1),
        valid_to: None,
        version: 1,
    }
}

fn id(n: u32) -> GridId {
    GridId(format!("{COMMUNITY}{n:03}"))
}

fn building(id: &str, cx: f64, cy: f64, households: u32) -> Building {
    let h = 0.0001;
    Building {
        id: id.into(),
        footprint: Footprint::Polygon(polygon![
            (x: cx - h, y: cy - h), (x: cx + h, y: cy - h), (x: cx + h, y: cy + h), (x: cx - h, y: cy + h)
        ]),
        households,
        residents: households * 3,
        usage: Some("residential".into()),
    }
}

fn community_geometry() -> MultiPolygon<f64> {
    rect(X0, Y0, X0 + 0.02, Y0 + 0.02)
}

fn four_grids(extra: Vec<Grid>) -> District {
    let area = AdminArea {
        code: COMMUNITY.into(),
        name: "test community".into(),
        level: AdminLevel::Community,
        parent: None,
        kind: AreaKind::Urban,
        geometry: Some(community_geometry()),
    };
    let s = 0.01;
    let mut grids = vec![
        grid(
            &id(1).0,
            Layer::Base,
            COMMUNITY,
            rect(X0, Y0, X0 + s, Y0 + s),
        ),
        grid(
            &id(2).0,
            Layer::Base,
            COMMUNITY,
            rect(X0 + s, Y0, X0 + 2.0 * s, Y0 + s),
        ),
        grid(
            &id(3).0,
            Layer::Base,
            COMMUNITY,
            rect(X0, Y0 + s, X0 + s, Y0 + 2.0 * s),
        ),
        grid(
            &id(4).0,
            Layer::Base,
            COMMUNITY,
            rect(X0 + s, Y0 + s, X0 + 2.0 * s, Y0 + 2.0 * s),
        ),
    ];
    grids.extend(extra);
    let buildings = vec![
        building("b-sw", X0 + 0.003, Y0 + 0.003, 100),
        building("b-se", X0 + 0.015, Y0 + 0.005, 120),
        building("b-nw", X0 + 0.005, Y0 + 0.015, 90),
        // Just north-east of the centre: changes grid when the centre moves north-east.
        building("b-ne-centre", X0 + 0.0105, Y0 + 0.0105, 40),
        building("b-ne", X0 + 0.017, Y0 + 0.017, 80),
    ];
    let households = vec![
        Household {
            id: "h1".into(),
            location: HouseholdLocation::Building("b-ne-centre".into()),
            residents: 3,
        },
        Household {
            id: "h2".into(),
            location: HouseholdLocation::Building("b-ne-centre".into()),
            residents: 2,
        },
        Household {
            id: "h3".into(),
            location: HouseholdLocation::Point(Point::new(X0 + 0.0104, Y0 + 0.0106)),
            residents: 1,
        },
    ];
    District::new(vec![area], grids, buildings, households).expect("valid fixture")
}

fn opts(d: u32) -> EditOptions {
    EditOptions::on(day(d))
}

fn bases(d: &District) -> Vec<Grid> {
    d.base_grids_of(COMMUNITY, None)
        .into_iter()
        .cloned()
        .collect()
}

/// Exact partition: the lattice union of the base grids is the community, and no two overlap.
fn assert_exact_partition(d: &District) {
    let grids = bases(d);
    let union = lattice::union_all(grids.iter().map(|g| &g.geometry)).expect("overlay");
    let c = community_geometry();
    let missing = lattice::difference(&c, &union).expect("overlay");
    let extra = lattice::difference(&union, &c).expect("overlay");
    assert!(missing.0.is_empty(), "gap: {missing:?}");
    assert!(extra.0.is_empty(), "outside: {extra:?}");
    for (i, a) in grids.iter().enumerate() {
        for b in &grids[i + 1..] {
            let inter = lattice::intersection(&a.geometry, &b.geometry).expect("overlay");
            assert_eq!(inter.unsigned_area(), 0.0, "{} and {} overlap", a.id, b.id);
        }
    }
}

fn area_of(d: &District, id: &GridId) -> f64 {
    d.grid(id, None).expect("current").geometry.unsigned_area()
}

#[test]
fn split_retires_the_grid_and_gives_the_pieces_the_next_codes() {
    let mut d = four_grids(vec![]);
    let before_area = area_of(&d, &id(1));
    let line = LineString::from(vec![(X0 + 0.004, Y0 - 0.001), (X0 + 0.004, Y0 + 0.011)]);
    let edit = Edit::Split {
        id: id(1),
        line,
        new_ids: None,
    };
    let p = commit(&mut d, &edit, &opts(10)).expect("split");
    assert!(d.grid(&id(1), None).is_none(), "original retired");
    // Next sequence after 004; the larger piece (east, 0.006 wide) gets the lower code.
    let (east, west) = (id(5), id(6));
    assert!(area_of(&d, &east) > area_of(&d, &west));
    assert_eq!(d.grid(&east, None).expect("piece").code, east.0);
    assert!((area_of(&d, &east) + area_of(&d, &west) - before_area).abs() < 1e-15);
    assert_exact_partition(&d);
    // T-junction repair: the cut ends on the edge shared with NW 003, which gets the vertex.
    let t = units(Coord {
        x: X0 + 0.004,
        y: Y0 + 0.01,
    });
    let nw = d.grid(&id(3), None).expect("nw");
    assert_eq!(nw.version, 2);
    assert!(has_vertex(&nw.geometry, t));
    // Buildings of the old grid changed grid (its id is gone).
    assert!(p.impact.buildings_moved.iter().any(|m| m.id == "b-sw"));
    // Codes are never reused: a second split continues after 006.
    let line = LineString::from(vec![(X0 + 0.009, Y0 + 0.005), (X0 + 0.021, Y0 + 0.005)]);
    commit(
        &mut d,
        &Edit::Split {
            id: id(2),
            line,
            new_ids: None,
        },
        &opts(11),
    )
    .expect("split");
    assert!(d.grid(&id(7), None).is_some() && d.grid(&id(8), None).is_some());
    assert_exact_partition(&d);
}

#[test]
fn a_line_that_does_not_cross_is_refused() {
    let mut d = four_grids(vec![]);
    let line = LineString::from(vec![(X0 + 0.002, Y0 + 0.002), (X0 + 0.003, Y0 + 0.003)]);
    let err = plan(
        &mut d,
        &Edit::Split {
            id: id(1),
            line,
            new_ids: None,
        },
        &opts(10),
    );
    assert_eq!(err, Err(EditError::LineDoesNotSplit(id(1))));
    assert!(err.expect_err("refused").to_string().contains(&id(1).0));
}

#[test]
fn split_reparents_children_to_the_piece_holding_most_of_them() {
    let child = grid(
        "m1",
        Layer::Micro,
        &id(1).0,
        rect(X0 + 0.001, Y0 + 0.001, X0 + 0.003, Y0 + 0.003),
    );
    let mut d = four_grids(vec![child]);
    let line = LineString::from(vec![(X0 + 0.005, Y0 - 0.001), (X0 + 0.005, Y0 + 0.011)]);
    let new_ids = [GridId::from("west"), GridId::from("east")];
    let p = commit(
        &mut d,
        &Edit::Split {
            id: id(1),
            line,
            new_ids: Some(new_ids),
        },
        &opts(10),
    )
    .expect("split");
    let m1 = d.grid(&GridId::from("m1"), None).expect("child");
    assert_eq!(m1.version, 2);
    // Equal halves: the pieces are ordered by their lowest vertex, so the west one is first.
    let to = m1.parent.clone().expect("parent");
    let west_geom = &d
        .grid(&GridId(to.clone()), None)
        .expect("parent grid")
        .geometry;
    assert!(lattice::difference(&m1.geometry, west_geom)
        .expect("overlay")
        .0
        .is_empty());
    assert_eq!(p.impact.reparented.len(), 1);
    assert_eq!(p.impact.reparented[0].to.0, to);
}

#[test]
fn merge_adjacent_grids_and_refuse_non_adjacent() {
    let mut d = four_grids(vec![]);
    let sum = area_of(&d, &id(1)) + area_of(&d, &id(2));
    let edit = Edit::Merge {
        ids: [id(1), id(2)],
        keep: id(1),
    };
    let p = commit(&mut d, &edit, &opts(10)).expect("merge");
    assert!(d.grid(&id(2), None).is_none());
    let kept = d.grid(&id(1), None).expect("kept");
    assert_eq!((kept.code.as_str(), kept.version), (id(1).0.as_str(), 2));
    assert_eq!(kept.geometry.0.len(), 1);
    assert!((area_of(&d, &id(1)) - sum).abs() < 1e-15);
    assert_exact_partition(&d);
    assert!(p
        .impact
        .buildings_moved
        .iter()
        .any(|m| m.id == "b-se" && m.to == Some(id(1))));

    // NW 003 and NE 004 each touch SW 001 … only NE touches it at a single point.
    let mut d = four_grids(vec![]);
    let err = plan(
        &mut d,
        &Edit::Merge {
            ids: [id(1), id(4)],
            keep: id(1),
        },
        &opts(10),
    );
    assert_eq!(err, Err(EditError::NotAdjacent(id(1), id(4))));
}

#[test]
fn moving_the_centre_vertex_moves_all_four_grids_together() {
    let mut d = four_grids(vec![]);
    let edit = Edit::MoveBoundary {
        from: Coord {
            x: X0 + 0.01,
            y: Y0 + 0.01,
        },
        to: Coord {
            x: X0 + 0.012,
            y: Y0 + 0.012,
        },
    };
    let p = commit(&mut d, &edit, &opts(10)).expect("move");
    assert_eq!(p.changes.changes.len(), 4);
    for n in 1..=4 {
        assert_eq!(d.grid(&id(n), None).expect("grid").version, 2);
    }
    assert_exact_partition(&d);
    let m = p
        .impact
        .buildings_moved
        .iter()
        .find(|m| m.id == "b-ne-centre")
        .expect("building moved");
    assert_eq!((m.from.clone(), m.to.clone()), (Some(id(4)), Some(id(1))));
    assert_eq!(p.impact.buildings_moved.len(), 1);
    // 40 households (more than its 2 records) + the point household h3.
    assert_eq!(p.impact.households_changing_grid, 41);
    let moved: Vec<&str> = p
        .impact
        .households_moved
        .iter()
        .map(|m| m.id.as_str())
        .collect();
    assert_eq!(moved, vec!["h1", "h2", "h3"]);
    // No hierarchy problem appears; the household counts the standard check reports change with
    // the building (40 households) and the point household h3 that moved from 004 to 001.
    let delta = &p.impact.problems;
    assert!(
        delta.created.iter().all(|x| !x.kind.breaks_hierarchy()),
        "{:?}",
        delta.created
    );
    let count = |list: &[wangge_engine::validate::Problem], grid: &GridId| {
        list.iter()
            .find(|x| x.kind == ProblemKind::HouseholdStandard && x.grids == vec![grid.clone()])
            .map(|x| x.measure.value)
    };
    let (before_004, after_004) = (count(&delta.solved, &id(4)), count(&delta.created, &id(4)));
    let (before_001, after_001) = (count(&delta.solved, &id(1)), count(&delta.created, &id(1)));
    assert_eq!(before_004.zip(after_004).map(|(b, a)| b - a), Some(41.0));
    assert_eq!(before_001.zip(after_001).map(|(b, a)| a - b), Some(41.0));
}

#[test]
fn moving_a_vertex_nobody_has_is_refused() {
    let mut d = four_grids(vec![]);
    let edit = Edit::MoveBoundary {
        from: Coord {
            x: X0 + 0.0033,
            y: Y0 + 0.0033,
        },
        to: Coord {
            x: X0 + 0.004,
            y: Y0 + 0.004,
        },
    };
    assert!(matches!(
        plan(&mut d, &edit, &opts(10)),
        Err(EditError::NoVertexAt { .. })
    ));
}

#[test]
fn reroute_replaces_the_shared_chain_in_both_grids() {
    let mut d = four_grids(vec![]);
    let sw = area_of(&d, &id(1));
    let path = LineString::from(vec![
        (X0 + 0.01, Y0),
        (X0 + 0.012, Y0 + 0.005),
        (X0 + 0.01, Y0 + 0.01),
    ]);
    let p = commit(
        &mut d,
        &Edit::RerouteBoundary {
            a: id(1),
            b: id(2),
            path,
        },
        &opts(10),
    )
    .expect("reroute");
    assert_eq!(p.changes.changes.len(), 2);
    assert!(area_of(&d, &id(1)) > sw);
    assert_exact_partition(&d);
    // The path's endpoints must be the chain's.
    let bad = LineString::from(vec![(X0 + 0.01, Y0), (X0 + 0.012, Y0 + 0.008)]);
    let err = plan(
        &mut d,
        &Edit::RerouteBoundary {
            a: id(1),
            b: id(2),
            path: bad,
        },
        &opts(11),
    );
    assert_eq!(err, Err(EditError::PathEndpoints(id(1), id(2))));
}

#[test]
fn a_reshape_creating_an_overlap_is_refused_unless_forced_as_draft() {
    let mut d = four_grids(vec![]);
    let bigger = rect(X0, Y0, X0 + 0.012, Y0 + 0.01);
    let edit = Edit::Reshape {
        id: id(1),
        geometry: bigger,
    };
    match plan(&mut d, &edit, &opts(10)) {
        Err(EditError::BreaksHierarchy(problems)) => {
            let o = problems
                .iter()
                .find(|p| p.kind == ProblemKind::Overlap)
                .expect("overlap listed");
            assert_eq!(o.grids, vec![id(1), id(2)]);
            assert!(o.measure.value > 1000.0);
        }
        other => panic!("expected refusal, got {other:?}"),
    }
    let mut forced = opts(10);
    forced.force_draft = true;
    let p = commit(&mut d, &edit, &forced).expect("forced");
    assert!(p.draft);
    let g = d.grid(&id(1), None).expect("grid");
    assert_eq!(
        g.properties.get("draft"),
        Some(&serde_json::Value::Bool(true))
    );
}

#[test]
fn a_stale_expected_version_is_a_conflict_naming_the_grid() {
    let mut d = four_grids(vec![]);
    let mut o = opts(10);
    o.expected_versions = vec![(id(3), 7)];
    let err = plan(
        &mut d,
        &Edit::SetStatus {
            id: id(3),
            status: GridStatus::Suspended,
        },
        &o,
    )
    .expect_err("stale");
    assert_eq!(
        err,
        EditError::Conflict {
            grid: id(3),
            expected: 7,
            actual: 1
        }
    );
    assert!(err.to_string().contains(&id(3).0));
}

#[test]
fn applying_a_change_set_twice_is_a_conflict_and_changes_nothing() {
    let mut d = four_grids(vec![]);
    let edit = Edit::SetStatus {
        id: id(3),
        status: GridStatus::Suspended,
    };
    let p = plan(&mut d, &edit, &opts(10)).expect("plan");
    apply(&mut d, &p.changes).expect("first");
    let snapshot = d.all_versions().to_vec();
    let err = apply(&mut d, &p.changes).expect_err("second");
    assert!(matches!(err, EditError::Conflict { .. }));
    assert_eq!(d.all_versions(), &snapshot[..]);
}

#[test]
fn history_keeps_the_old_version_before_the_date() {
    let mut d = four_grids(vec![]);
    let old = d.grid(&id(1), None).expect("grid").geometry.clone();
    let edit = Edit::MoveBoundary {
        from: Coord {
            x: X0 + 0.01,
            y: Y0 + 0.01,
        },
        to: Coord {
            x: X0 + 0.011,
            y: Y0 + 0.009,
        },
    };
    commit(&mut d, &edit, &opts(10)).expect("move");
    let h = d.history(&id(1));
    assert_eq!(h.len(), 2);
    assert_eq!(h[0].valid_to, Some(day(10)));
    assert_eq!(
        (h[1].version, h[1].valid_from, h[1].valid_to),
        (2, day(10), None)
    );
    assert_eq!(d.grid(&id(1), Some(day(9))).expect("old").geometry, old);
    assert_ne!(d.grid(&id(1), Some(day(10))).expect("new").geometry, old);
}

#[test]
fn planning_leaves_the_district_unchanged() {
    let child = grid(
        "m1",
        Layer::Micro,
        &id(1).0,
        rect(X0 + 0.001, Y0 + 0.001, X0 + 0.003, Y0 + 0.003),
    );
    let mut d = four_grids(vec![child]);
    let before = d.all_versions().to_vec();
    let centre = Coord {
        x: X0 + 0.01,
        y: Y0 + 0.01,
    };
    let edits = vec![
        Edit::Split {
            id: id(1),
            line: LineString::from(vec![(X0 + 0.004, Y0 - 0.001), (X0 + 0.004, Y0 + 0.011)]),
            new_ids: None,
        },
        Edit::Merge {
            ids: [id(1), id(3)],
            keep: id(3),
        },
        Edit::MoveBoundary {
            from: centre,
            to: Coord {
                x: X0 + 0.012,
                y: Y0 + 0.011,
            },
        },
        Edit::SetStatus {
            id: id(2),
            status: GridStatus::Reserved,
        },
        Edit::Retire { id: id(4) },
    ];
    for e in &edits {
        let _ = plan(&mut d, e, &opts(10));
        assert_eq!(d.all_versions(), &before[..], "after planning {e:?}");
        for n in 1..=4 {
            assert_eq!(d.grid_slot(&id(n), None), Some(n - 1));
        }
        // The indexes hold the same entries: lookups agree.
        let at = d.slots_in_rect(&Layer::Base, geo::Rect::new(centre, centre), None);
        assert_eq!(at, vec![0, 1, 2, 3]);
    }
}

#[test]
fn retiring_leaves_a_gap_and_a_parent_with_children_is_refused() {
    let child = grid(
        "m1",
        Layer::Micro,
        &id(1).0,
        rect(X0 + 0.001, Y0 + 0.001, X0 + 0.003, Y0 + 0.003),
    );
    let mut d = four_grids(vec![child]);
    assert!(matches!(
        plan(&mut d, &Edit::Retire { id: id(1) }, &opts(10)),
        Err(EditError::HasChildren { .. })
    ));
    match plan(&mut d, &Edit::Retire { id: id(2) }, &opts(10)) {
        Err(EditError::BreaksHierarchy(p)) => assert_eq!(p[0].kind, ProblemKind::Gap),
        other => panic!("expected a gap, got {other:?}"),
    }
}

// ----- property: random split/merge/move sequences keep an exact partition -----

#[derive(Debug, Clone)]
enum Op {
    Split {
        grid: usize,
        y0: f64,
        y1: f64,
        vertical: bool,
    },
    Merge {
        grid: usize,
        neighbour: usize,
    },
    Move {
        vertex: usize,
        dx: f64,
        dy: f64,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0usize..64, 0.05f64..0.95, 0.05f64..0.95, any::<bool>()).prop_map(
            |(grid, y0, y1, vertical)| Op::Split {
                grid,
                y0,
                y1,
                vertical
            }
        ),
        (0usize..64, 0usize..64).prop_map(|(grid, neighbour)| Op::Merge { grid, neighbour }),
        (0usize..256, -0.3f64..0.3, -0.3f64..0.3).prop_map(|(vertex, dx, dy)| Op::Move {
            vertex,
            dx,
            dy
        }),
    ]
}

/// A community of `cols × rows` rectangles with jittered breakpoints.
fn partition(cols: Vec<f64>, rows: Vec<f64>) -> District {
    let cut = |v: &[f64]| {
        let mut xs = vec![0.0];
        let total: f64 = v.iter().sum();
        let mut acc = 0.0;
        for w in v {
            acc += w / total;
            xs.push((acc * 0.02 * 1e7).round() / 1e7);
        }
        xs
    };
    let (xs, ys) = (cut(&cols), cut(&rows));
    let mut grids = Vec::new();
    let mut n = 0;
    for i in 0..cols.len() {
        for j in 0..rows.len() {
            n += 1;
            grids.push(grid(
                &id(n).0,
                Layer::Base,
                COMMUNITY,
                rect(X0 + xs[i], Y0 + ys[j], X0 + xs[i + 1], Y0 + ys[j + 1]),
            ));
        }
    }
    let area = AdminArea {
        code: COMMUNITY.into(),
        name: "c".into(),
        level: AdminLevel::Community,
        parent: None,
        kind: AreaKind::Urban,
        geometry: Some(community_geometry()),
    };
    District::new(vec![area], grids, vec![], vec![]).expect("partition")
}

fn bbox(g: &Grid) -> geo::Rect<f64> {
    use geo::BoundingRect;
    g.geometry.bounding_rect().expect("non-empty")
}

fn run(d: &mut District, op: &Op, date: NaiveDate) {
    let grids = bases(d);
    let o = EditOptions::on(date);
    let edit = match op {
        Op::Split {
            grid,
            y0,
            y1,
            vertical,
        } => {
            let g = &grids[grid % grids.len()];
            let r = bbox(g);
            let (w, h) = (r.width(), r.height());
            let line = if *vertical {
                LineString::from(vec![
                    (r.min().x + w * y0, r.min().y - 0.001),
                    (r.min().x + w * y1, r.max().y + 0.001),
                ])
            } else {
                LineString::from(vec![
                    (r.min().x - 0.001, r.min().y + h * y0),
                    (r.max().x + 0.001, r.min().y + h * y1),
                ])
            };
            Edit::Split {
                id: g.id.clone(),
                line,
                new_ids: None,
            }
        }
        Op::Merge { grid, neighbour } => {
            let g = &grids[grid % grids.len()];
            let n = &grids[neighbour % grids.len()];
            Edit::Merge {
                ids: [g.id.clone(), n.id.clone()],
                keep: g.id.clone(),
            }
        }
        Op::Move { vertex, dx, dy } => {
            // Interior vertices only: the community boundary is not the grids' to move.
            let edge = |c: &Coord<f64>| {
                let (x, y) = ((c.x - X0) * 1e7, (c.y - Y0) * 1e7);
                x.round() == 0.0 || y.round() == 0.0 || x.round() == 2e5 || y.round() == 2e5
            };
            let mut vs: Vec<(i64, i64)> = grids
                .iter()
                .flat_map(|g| g.geometry.0[0].exterior().0.clone())
                .filter(|c| !edge(c))
                .map(units)
                .collect();
            vs.sort_unstable();
            vs.dedup();
            if vs.is_empty() {
                return;
            }
            let v = vs[vertex % vs.len()];
            let from = Coord {
                x: v.0 as f64 / 1e7,
                y: v.1 as f64 / 1e7,
            };
            let to = Coord {
                x: from.x + dx * 0.005,
                y: from.y + dy * 0.005,
            };
            Edit::MoveBoundary { from, to }
        }
    };
    let before = d.all_versions().to_vec();
    if commit(d, &edit, &o).is_err() {
        assert_eq!(
            d.all_versions(),
            &before[..],
            "a refused edit changed the district"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn random_edits_keep_an_exact_partition(
        cols in prop::collection::vec(1.0f64..3.0, 2..4),
        rows in prop::collection::vec(1.0f64..3.0, 2..4),
        ops in prop::collection::vec(op(), 1..8),
    ) {
        let mut d = partition(cols, rows);
        for (k, op) in ops.iter().enumerate() {
            run(&mut d, op, day(2 + k as u32));
            assert_exact_partition(&d);
        }
    }
}

// ----- how far an edit reaches (issue #11) -----

use wangge_engine::edit::scope::{check_inside_areas, only_inserts_vertices, ScopeError};
use wangge_engine::edit::{ChangeSet, GridChange};

#[test]
fn reshape_far_outside_district_refused_even_as_draft() {
    let mut d = four_grids(vec![]);
    let before = d.all_versions().to_vec();
    let paris = rect(2.35, 48.85, 2.36, 48.86);
    let world = rect(-179.0, -85.0, 179.0, 85.0);
    // Larger than the district but centred on it: refused for its size or its reach.
    let huge = rect(X0 - 0.5, Y0 - 0.5, X0 + 0.5, Y0 + 0.5);
    for geometry in [paris, world, huge] {
        let mut o = opts(2);
        o.force_draft = true;
        let e = plan(
            &mut d,
            &Edit::Reshape {
                id: id(1),
                geometry,
            },
            &o,
        )
        .expect_err("refused");
        assert!(
            matches!(&e, EditError::OutsideDistrict { grid, .. } if *grid == id(1)),
            "{e}"
        );
    }
    // A reshape a little past the community (within the margin) is validation's business.
    let mut o = opts(2);
    o.force_draft = true;
    let p = plan(
        &mut d,
        &Edit::Reshape {
            id: id(1),
            geometry: rect(X0 - 0.001, Y0, X0 + 0.01, Y0 + 0.01),
        },
        &o,
    )
    .expect("planned as a draft");
    assert!(p.draft);
    assert_eq!(d.all_versions(), &before[..]);
}

#[test]
fn edit_dated_before_current_version_refused() {
    let mut d = four_grids(vec![]);
    let earlier = NaiveDate::from_ymd_opt(2025, 2, 1).expect("date");
    let e = commit(
        &mut d,
        &Edit::SetStatus {
            id: id(1),
            status: GridStatus::Suspended,
        },
        &EditOptions::on(earlier),
    )
    .expect_err("refused");
    assert_eq!(
        e,
        EditError::DateBeforeVersion {
            grid: id(1),
            date: earlier,
            current_from: day(1),
        }
    );
    // A neighbour reached by the edit counts too: move the centre vertex after 002 got a
    // version from day 9, dated day 5.
    commit(
        &mut d,
        &Edit::SetStatus {
            id: id(2),
            status: GridStatus::Suspended,
        },
        &opts(9),
    )
    .expect("status");
    let e = commit(
        &mut d,
        &Edit::MoveBoundary {
            from: Coord {
                x: X0 + 0.01,
                y: Y0 + 0.01,
            },
            to: Coord {
                x: X0 + 0.011,
                y: Y0 + 0.011,
            },
        },
        &opts(5),
    )
    .expect_err("refused");
    assert!(
        matches!(&e, EditError::DateBeforeVersion { grid, .. } if *grid == id(2)),
        "{e}"
    );
}

fn created(g: Grid) -> ChangeSet {
    ChangeSet {
        date: day(2),
        changes: vec![GridChange {
            before: None,
            after: Some(g),
        }],
    }
}

#[test]
fn area_check_that_cannot_run_refuses() {
    let d = four_grids(vec![]);
    let areas = vec![COMMUNITY.to_string()];
    // The exact overlay cannot take a near-world geometry: the check fails, it does not pass.
    let world = grid(
        "341002001001009",
        Layer::Base,
        COMMUNITY,
        rect(-179.0, -85.0, 179.0, 85.0),
    );
    let e =
        check_inside_areas(&d, &created(world), &[], &areas, "token t", 0.01).expect_err("refused");
    assert!(matches!(e, ScopeError::Unchecked { .. }), "{e}");
    // An area without a boundary cannot be checked against.
    let mut no_geometry = four_grids(vec![]).areas().to_vec();
    no_geometry[0].geometry = None;
    let bare = District::new(no_geometry, bases(&d), vec![], vec![]).expect("district");
    let inside = grid(
        "341002001001009",
        Layer::Base,
        COMMUNITY,
        rect(X0 + 0.001, Y0 + 0.001, X0 + 0.002, Y0 + 0.002),
    );
    let e = check_inside_areas(
        &bare,
        &created(inside.clone()),
        &[],
        &areas,
        "token t",
        0.01,
    )
    .expect_err("refused");
    assert!(matches!(e, ScopeError::Unchecked { .. }), "{e}");
    // With the boundary: inside passes, a grid claiming the community but drawn beyond it not.
    assert_eq!(
        check_inside_areas(&d, &created(inside), &[], &areas, "token t", 0.01),
        Ok(())
    );
    let beyond = grid(
        "341002001001009",
        Layer::Base,
        COMMUNITY,
        rect(X0 + 0.019, Y0, X0 + 0.03, Y0 + 0.01),
    );
    let e = check_inside_areas(&d, &created(beyond), &[], &areas, "token t", 0.01)
        .expect_err("refused");
    assert!(matches!(e, ScopeError::Outside { .. }), "{e}");
}

#[test]
fn composite_is_inside_only_when_all_members_are() {
    let mut comp = grid(
        "C1",
        Layer::Composite,
        COMMUNITY,
        rect(X0, Y0, X0 + 0.02, Y0 + 0.01),
    );
    comp.members = vec![id(1), id(2)];
    let d = four_grids(vec![comp]);
    let c = d
        .grid(&GridId::from("C1"), None)
        .expect("composite")
        .clone();
    let mut after = c.clone();
    after.status = GridStatus::Suspended;
    let cs = ChangeSet {
        date: day(2),
        changes: vec![GridChange {
            before: Some(c.clone()),
            after: Some(after),
        }],
    };
    assert!(check_inside_areas(&d, &cs, &[], &[COMMUNITY.into()], "token t", 0.01).is_ok());
    let e = check_inside_areas(&d, &cs, &[], &[], "token t", 0.01).expect_err("no areas");
    assert!(matches!(e, ScopeError::Outside { .. }), "{e}");
    let e = check_inside_areas(&d, &cs, &[], &["341002001002".into()], "token t", 0.01)
        .expect_err("another community");
    assert!(matches!(e, ScopeError::Outside { .. }), "{e}");
    // A composite that only follows its members is judged by their changes.
    assert!(check_inside_areas(&d, &cs, std::slice::from_ref(&c.id), &[], "token t", 0.01).is_ok());
}

/// A rectangle's ring with `extra` lattice points inserted on its south edge, the k-th moved
/// `offset` units off the edge.
fn rect_with_inserted(w: i64, h: i64, extra: &[i64], offset: i64) -> (Grid, Grid) {
    let (x0, y0) = ((X0 * 1e7) as i64, (Y0 * 1e7) as i64);
    let c = |x: i64, y: i64| (((x0 + x) as f64) / 1e7, ((y0 + y) as f64) / 1e7);
    let old = vec![c(0, 0), c(w, 0), c(w, h), c(0, h), c(0, 0)];
    let mut xs: Vec<i64> = extra.iter().map(|e| 1 + e.rem_euclid(w - 1)).collect();
    xs.sort_unstable();
    xs.dedup();
    let mut new = vec![c(0, 0)];
    for (k, x) in xs.iter().enumerate() {
        new.push(c(*x, if k == 0 { -offset } else { 0 }));
    }
    new.extend([c(w, 0), c(w, h), c(0, h), c(0, 0)]);
    let poly =
        |r: Vec<(f64, f64)>| MultiPolygon(vec![geo::Polygon::new(LineString::from(r), vec![])]);
    let before = grid(&id(1).0, Layer::Base, COMMUNITY, poly(old));
    let mut after = before.clone();
    after.geometry = poly(new);
    after.version = 2;
    (before, after)
}

#[test]
fn only_inserting_vertices_matches_an_unchanged_shape() {
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    let mut runner = TestRunner::new_with_rng(
        Config {
            cases: 128,
            ..Config::default()
        },
        TestRng::deterministic_rng(RngAlgorithm::ChaCha),
    );
    let strategy = (
        3i64..5000,
        3i64..5000,
        prop::collection::vec(any::<i64>(), 1..5),
        0i64..4,
    );
    runner
        .run(&strategy, |(w, h, extra, offset)| {
            let (before, after) = rect_with_inserted(w, h, &extra, offset);
            // Oracle: the exact symmetric difference of the two shapes on the lattice.
            let a = lattice::difference(&after.geometry, &before.geometry).expect("overlay");
            let b = lattice::difference(&before.geometry, &after.geometry).expect("overlay");
            let unchanged = a.unsigned_area() + b.unsigned_area() == 0.0;
            let change = GridChange {
                before: Some(before.clone()),
                after: Some(after.clone()),
            };
            prop_assert_eq!(only_inserts_vertices(&change), unchanged);
            // Any other attribute changed: an edit of the grid, whatever its shape.
            let mut renamed = after;
            renamed.name = "renamed".into();
            let edit = GridChange {
                before: Some(before),
                after: Some(renamed),
            };
            prop_assert!(!only_inserts_vertices(&edit));
            Ok(())
        })
        .expect("property holds");
}
