//! Reloading from the store yields the district the running process has (issue #11).
//!
//! Edits go the way the service sends them: planned on the running district, committed to the
//! store, and replayed from the store's change log into the running district. The store is then
//! read again as a restart (or a second process) would, and the two districts must agree on
//! every grid version, every composite geometry and every `as_of` answer.
//!
//! - Regression tests, on every backend: same-day edit sequences that left the store unloadable
//!   (`composite grid … names unknown base grid …`): a member version opened and closed on one
//!   day is valid on no date, and the loader derived closed composite versions from the members
//!   valid on their start date.
//! - A property test: random edit sequences of every kind (several per day, composites
//!   following their members) and a reload from memory, GeoPackage and PostGIS.

use crate::common::store::{Backend, TestStore};
use chrono::{NaiveDate, TimeZone, Utc};
use geo::{BoundingRect, Coord, CoordsIter, LineString, MultiPolygon, Polygon};
use proptest::prelude::*;
use proptest::test_runner::{Config as PropConfig, RngAlgorithm, TestRng, TestRunner};
use std::collections::{BTreeMap, BTreeSet};
use wangge::engine::edit::{apply, plan, Edit, EditError, EditOptions};
use wangge::engine::{AdminArea, AdminLevel, AreaKind, District, Grid, GridId, GridStatus, Layer};
use wangge::io::dataset::Dataset;
use wangge::store::{ChangeMeta, Store};

// ----- a small district: one community, 3 × 2 base grids, composites in two networks -----

const COMMUNITY: &str = "341002001001";
const WEST: f64 = 118.30;
const SOUTH: f64 = 29.70;
const STEP: f64 = 0.01;

fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> MultiPolygon<f64> {
    let r = |v: f64| (v * 1e7).round() / 1e7;
    let (x0, y0, x1, y1) = (r(x0), r(y0), r(x1), r(y1));
    MultiPolygon(vec![Polygon::new(
        LineString::from(vec![(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]),
        vec![],
    )])
}

fn start_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 1, 1).expect("valid date")
}

fn edit_day(n: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 3, 1).expect("valid date") + chrono::Days::new(n.into())
}

fn base_id(seq: usize) -> String {
    format!("{COMMUNITY}{seq:03}")
}

/// Base grids 001–003 (north row, west to east) and 004–006 (south row); composites CG01/DJ01
/// of the four western grids, CG02/DJ02 of the eastern column; one micro grid in the
/// north-west quarter of 005.
fn dataset() -> Dataset {
    let outline = rect(WEST, SOUTH, WEST + 3.0 * STEP, SOUTH + 2.0 * STEP);
    let area = |code: &str, level, parent: Option<&str>| AdminArea {
        code: code.into(),
        name: code.into(),
        level,
        parent: parent.map(str::to_string),
        kind: AreaKind::Urban,
        geometry: Some(outline.clone()),
    };
    let areas = vec![
        area("341002", AdminLevel::District, None),
        area("341002001", AdminLevel::Town, Some("341002")),
        area(COMMUNITY, AdminLevel::Community, Some("341002001")),
    ];
    let mut grids = Vec::new();
    for row in 0..2 {
        for col in 0..3 {
            let seq = row * 3 + col + 1;
            let x0 = WEST + col as f64 * STEP;
            let y1 = SOUTH + (2 - row) as f64 * STEP;
            grids.push(Grid::new(
                &base_id(seq),
                Layer::Base,
                Some(COMMUNITY),
                rect(x0, y1 - STEP, x0 + STEP, y1),
                start_day(),
            ));
        }
    }
    let mut micro = Grid::new(
        &format!("{}W01", base_id(5)),
        Layer::Micro,
        Some(&base_id(5)),
        rect(118.311, 29.706, 118.314, 29.709),
        start_day(),
    );
    micro.properties.insert("note".into(), "住宅小区".into());
    grids.push(micro);
    for (code, network, members) in [
        ("CG01", "urban_management", [1, 2, 4, 5].as_slice()),
        ("DJ01", "party_building", &[1, 2, 4, 5]),
        ("CG02", "urban_management", &[3, 6]),
        ("DJ02", "party_building", &[3, 6]),
    ] {
        // Members only, as in the demo's dataset files: the loader derives the geometry.
        let mut g = Grid::new(
            &format!("{COMMUNITY}{code}"),
            Layer::Composite,
            Some(COMMUNITY),
            MultiPolygon(vec![]),
            start_day(),
        );
        g.network = Some(network.into());
        g.members = members.iter().map(|&s| GridId(base_id(s))).collect();
        grids.push(g);
    }
    Dataset {
        areas,
        grids,
        ..Dataset::default()
    }
}

fn meta(operation: &str) -> ChangeMeta {
    ChangeMeta {
        actor: "planner-1".into(),
        reason: format!("reload test: {operation}"),
        operation: operation.parse().expect("a known operation"),
        at: Utc
            .with_ymd_and_hms(2025, 3, 1, 9, 0, 0)
            .single()
            .expect("valid time"),
    }
}

fn operation(edit: &Edit) -> &'static str {
    match edit {
        Edit::Create { .. } => "create",
        Edit::Reshape { .. } => "reshape",
        Edit::Split { .. } => "split",
        Edit::Merge { .. } => "merge",
        Edit::MoveBoundary { .. } => "move_boundary",
        Edit::RerouteBoundary { .. } => "reroute_boundary",
        Edit::SetStatus { .. } => "set_status",
        Edit::Retire { .. } => "retire",
    }
}

// ----- the service's path: plan, commit, replay the log -----

/// The running process: its district and the stores it commits to. The first store is the one
/// whose change log is replayed; every other store gets the same change sets.
struct Running {
    district: District,
    stores: Vec<TestStore>,
    last: i64,
    days: BTreeSet<NaiveDate>,
}

impl Running {
    async fn start(backends: &[Backend]) -> Running {
        let ds = dataset();
        let mut stores = Vec::new();
        for &b in backends {
            let t = TestStore::new(b).await;
            t.store
                .import(&ds, &meta("import"))
                .await
                .expect("importing the test district");
            stores.push(t);
        }
        let first = &stores[0].store;
        let last = first.latest_change().await.expect("latest change");
        let district = load(first).await.expect("loading the imported district");
        Running {
            district,
            stores,
            last,
            days: BTreeSet::from([start_day()]),
        }
    }

    /// Plans `edit` on the running district and, when the plan is accepted, commits it to every
    /// store and replays the first store's log. Returns the planning error otherwise (nothing
    /// is stored then).
    async fn edit(
        &mut self,
        edit: &Edit,
        date: NaiveDate,
        force_draft: bool,
    ) -> Result<wangge::engine::edit::ChangeSet, EditError> {
        let mut opts = EditOptions::on(date);
        opts.force_draft = force_draft;
        let planned = plan(&mut self.district, edit, &opts)?;
        let m = meta(operation(edit));
        for (i, t) in self.stores.iter().enumerate() {
            let r = if i == 0 {
                t.store
                    .commit_based_on(&planned.changes, &m, self.last)
                    .await
            } else {
                t.store.commit(&planned.changes, &m).await
            };
            if let Err(e) = r {
                panic!("{:?} refused a planned {edit:?}: {e}", t.backend);
            }
        }
        let log = self.stores[0]
            .store
            .changes_after(self.last)
            .await
            .expect("reading the change log");
        assert_eq!(log.len(), 1, "one committed change to replay");
        for c in log {
            apply(&mut self.district, &c.changes)
                .unwrap_or_else(|e| panic!("replaying change {}: {e}", c.id));
            self.last = c.id;
        }
        self.days.insert(date);
        Ok(planned.changes)
    }

    /// Reloads every store through a fresh handle (as a restart would) and compares.
    async fn check_reload(&self) {
        for t in &self.stores {
            let reopened = t.reopen().await;
            let reloaded = load(&reopened).await.unwrap_or_else(|e| {
                panic!("{:?}: the store cannot be loaded again: {e}", t.backend)
            });
            assert_same_district(
                &self.district,
                &reloaded,
                &format!("{:?}", t.backend),
                &self.days,
            );
            if t.backend != Backend::Memory {
                reopened.close().await;
            }
        }
    }
}

async fn load(store: &Store) -> Result<District, String> {
    let ds = store.load().await.map_err(|e| e.to_string())?;
    ds.into_district()
        .map(|(d, _)| d)
        .map_err(|e| e.to_string())
}

fn bits(m: &MultiPolygon<f64>) -> Vec<(u64, u64)> {
    m.coords_iter()
        .map(|c| (c.x.to_bits(), c.y.to_bits()))
        .collect()
}

fn key(g: &Grid) -> (GridId, u32) {
    (g.id.clone(), g.version)
}

/// Every version (geometry bit for bit, composites included), and every answer as of each
/// edit day, the day before and after each, and now.
fn assert_same_district(
    running: &District,
    reloaded: &District,
    what: &str,
    days: &BTreeSet<NaiveDate>,
) {
    let versions = |d: &District| -> BTreeMap<(GridId, u32), Grid> {
        d.all_versions()
            .iter()
            .map(|g| (key(g), Grid::clone(g)))
            .collect()
    };
    let (want, got) = (versions(running), versions(reloaded));
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>(),
        "{what}: grid versions"
    );
    for (k, w) in &want {
        let g = &got[k];
        assert_eq!(g, w, "{what}: grid {} version {}", k.0, k.1);
        assert_eq!(
            bits(&g.geometry),
            bits(&w.geometry),
            "{what}: grid {} version {} coordinates",
            k.0,
            k.1
        );
    }
    let ids: BTreeSet<&GridId> = want.keys().map(|(id, _)| id).collect();
    let mut dates: Vec<Option<NaiveDate>> = vec![None];
    for d in days {
        dates.extend([d.pred_opt(), Some(*d), d.succ_opt()]);
    }
    for as_of in dates {
        for id in &ids {
            assert_eq!(
                reloaded.grid(id, as_of).map(key),
                running.grid(id, as_of).map(key),
                "{what}: grid {id} as of {as_of:?}"
            );
            assert_eq!(
                reloaded
                    .history(id)
                    .into_iter()
                    .map(key)
                    .collect::<Vec<_>>(),
                running.history(id).into_iter().map(key).collect::<Vec<_>>(),
                "{what}: history of {id}"
            );
            assert_eq!(
                reloaded
                    .composites_of(id, as_of)
                    .into_iter()
                    .map(key)
                    .collect::<Vec<_>>(),
                running
                    .composites_of(id, as_of)
                    .into_iter()
                    .map(key)
                    .collect::<Vec<_>>(),
                "{what}: composites of {id} as of {as_of:?}"
            );
        }
        for layer in [Layer::Base, Layer::Micro, Layer::Special, Layer::Composite] {
            let slots = |d: &District| -> Vec<(GridId, u32)> {
                d.layer_slots(&layer, as_of)
                    .into_iter()
                    .map(|s| key(d.slot(s)))
                    .collect()
            };
            assert_eq!(
                slots(reloaded),
                slots(running),
                "{what}: {layer:?} grids as of {as_of:?}"
            );
        }
    }
}

// ----- edits built from the running district -----

fn snap(v: f64) -> f64 {
    (v * 1e7).round() / 1e7
}

/// A straight line across the whole bounding box of `g`, through its centre: vertical, or
/// horizontal.
fn line_across(g: &Grid, vertical: bool) -> Option<LineString<f64>> {
    let r = g.geometry.bounding_rect()?;
    let c = r.center();
    let pad = 1e-4;
    let line = if vertical {
        vec![
            (snap(c.x), snap(r.min().y - pad)),
            (snap(c.x), snap(r.max().y + pad)),
        ]
    } else {
        vec![
            (snap(r.min().x - pad), snap(c.y)),
            (snap(r.max().x + pad), snap(c.y)),
        ]
    };
    Some(LineString::from(line))
}

/// The new base grids of a change set (the pieces of a split).
fn created(cs: &wangge::engine::edit::ChangeSet) -> Vec<GridId> {
    cs.changes
        .iter()
        .filter(|c| c.before.is_none())
        .filter_map(|c| c.after.as_ref())
        .filter(|g| g.layer == Layer::Base)
        .map(|g| g.id.clone())
        .collect()
}

// ----- regression tests (issue #11), on every backend -----

macro_rules! every_backend {
    ($($name:ident),* $(,)?) => {
        mod memory { $( #[tokio::test] async fn $name() { super::$name(super::Backend::Memory).await } )* }
        mod gpkg { $( #[tokio::test] async fn $name() { super::$name(super::Backend::Gpkg).await } )* }
        mod postgres { $( #[tokio::test] async fn $name() { super::$name(super::Backend::Postgres).await } )* }
    };
}

every_backend!(
    reload_after_status_change_then_split_same_day,
    reload_after_split_then_split_of_one_half_same_day,
    reload_after_vertex_move_then_split_same_day,
);

fn split(d: &District, seq_or_id: &GridId, vertical: bool) -> Edit {
    let g = d
        .grid(seq_or_id, None)
        .expect("the grid to split is current");
    Edit::Split {
        id: seq_or_id.clone(),
        line: line_across(g, vertical).expect("a grid with a geometry"),
        new_ids: None,
    }
}

/// The reproduction: status of 005 to reserved, then a split of 005, the same day.
async fn reload_after_status_change_then_split_same_day(b: Backend) {
    let mut r = Running::start(&[b]).await;
    let id = GridId(base_id(5));
    let day = edit_day(0);
    r.edit(
        &Edit::SetStatus {
            id: id.clone(),
            status: GridStatus::Reserved,
        },
        day,
        false,
    )
    .await
    .expect("status change");
    let e = split(&r.district, &id, true);
    r.edit(&e, day, false).await.expect("split");
    // The version the status change opened lasted no day: history keeps it, no date shows it.
    let history = r.district.history(&id);
    assert_eq!(history.len(), 2);
    assert_eq!(
        (history[1].valid_from, history[1].valid_to),
        (day, Some(day))
    );
    assert_eq!(r.district.grid(&id, Some(day)), None);
    assert_eq!(
        r.district.grid(&id, day.pred_opt()).map(|g| g.version),
        Some(1)
    );
    r.check_reload().await;
}

/// A split of 005 and a split of one of its pieces, the same day.
async fn reload_after_split_then_split_of_one_half_same_day(b: Backend) {
    let mut r = Running::start(&[b]).await;
    let day = edit_day(0);
    let e = split(&r.district, &GridId(base_id(5)), true);
    let first = r.edit(&e, day, false).await.expect("split");
    let pieces = created(&first);
    assert_eq!(pieces.len(), 2, "two pieces: {pieces:?}");
    // The eastern piece (the western one holds the micro grid, which a cut would cross).
    let east = pieces
        .iter()
        .max_by(|a, b| {
            let x = |id: &GridId| {
                r.district
                    .grid(id, None)
                    .and_then(|g| g.geometry.bounding_rect())
                    .map(|r| r.center().x)
            };
            x(a).partial_cmp(&x(b)).expect("comparable centres")
        })
        .expect("a piece")
        .clone();
    let e = split(&r.district, &east, false);
    r.edit(&e, day, false).await.expect("split of one half");
    let h = r.district.history(&east);
    assert_eq!((h[0].valid_from, h[0].valid_to), (day, Some(day)));
    r.check_reload().await;
}

/// A shared vertex of 005 moved, then 005 split, the same day.
async fn reload_after_vertex_move_then_split_same_day(b: Backend) {
    let mut r = Running::start(&[b]).await;
    let day = edit_day(0);
    // The corner 005 shares with 002, 004 and 001 (north-west of 005).
    let from = Coord {
        x: snap(WEST + STEP),
        y: snap(SOUTH + STEP),
    };
    let to = Coord {
        x: snap(WEST + STEP + 0.0007),
        y: snap(SOUTH + STEP - 0.0004),
    };
    r.edit(&Edit::MoveBoundary { from, to }, day, false)
        .await
        .expect("vertex move");
    let e = split(&r.district, &GridId(base_id(5)), true);
    r.edit(&e, day, false).await.expect("split");
    r.check_reload().await;
}

// ----- property test: random edit sequences, reload from every backend -----

#[derive(Debug, Clone)]
struct Step {
    kind: u8,
    pick: usize,
    other: usize,
    dx: i32,
    dy: i32,
    next_day: bool,
    force_draft: bool,
}

fn step() -> impl Strategy<Value = Step> {
    (
        0u8..8,
        any::<usize>(),
        any::<usize>(),
        -40i32..=40,
        -40i32..=40,
        prop::bool::weighted(0.3),
        any::<bool>(),
    )
        .prop_map(|(kind, pick, other, dx, dy, next_day, force_draft)| Step {
            kind,
            pick,
            other,
            dx,
            dy,
            next_day,
            force_draft,
        })
}

const KINDS: [&str; 8] = [
    "create",
    "reshape",
    "split",
    "merge",
    "move_boundary",
    "reroute_boundary",
    "set_status",
    "retire",
];

fn current_of(d: &District, layers: &[Layer]) -> Vec<Grid> {
    layers
        .iter()
        .flat_map(|l| d.layer_slots(l, None))
        .map(|s| d.slot(s).clone())
        .collect()
}

fn ring(g: &Grid) -> Vec<Coord<f64>> {
    g.geometry
        .0
        .first()
        .map(|p| {
            let mut v: Vec<Coord<f64>> = p.exterior().0.clone();
            v.pop();
            v
        })
        .unwrap_or_default()
}

/// Whether two consecutive vertices of `a`'s ring are vertices of `b`.
fn shares_edge(a: &Grid, b: &Grid) -> bool {
    let (r, theirs) = (ring(a), ring(b));
    (0..r.len()).any(|i| theirs.contains(&r[i]) && theirs.contains(&r[(i + 1) % r.len()]))
}

/// The edit a step stands for on the district as it is now (none when nothing fits).
fn edit_for(d: &District, s: &Step, created: &mut usize) -> Option<Edit> {
    let bases = current_of(d, &[Layer::Base]);
    let base = bases.get(s.pick % bases.len().max(1)).cloned();
    let off = |v: i32| v as f64 * 1e-5;
    match s.kind {
        0 => {
            let b = base?;
            let c = b.geometry.bounding_rect()?.center();
            *created += 1;
            let id = format!("{}W9{:02}", b.id, *created);
            let half = 5e-4 + off(s.dx.abs()) / 4.0;
            let mut g = Grid::new(
                &id,
                if s.other.is_multiple_of(2) {
                    Layer::Micro
                } else {
                    Layer::Special
                },
                Some(&b.id.0),
                rect(c.x - half, c.y - half, c.x + half, c.y + half),
                start_day(),
            );
            if g.layer == Layer::Special {
                g.category = Some(wangge::engine::SpecialCategory::School);
            }
            Some(Edit::Create { grid: g })
        }
        1 => {
            let all = current_of(d, &[Layer::Base, Layer::Micro, Layer::Special]);
            let g = all.get(s.pick % all.len().max(1))?;
            // Shrink or grow towards the box's centre by a few per cent.
            let c = g.geometry.bounding_rect()?.center();
            let k = 1.0 + s.dx as f64 / 1000.0;
            let geometry = geo::MapCoords::map_coords(&g.geometry, |p| Coord {
                x: snap(c.x + (p.x - c.x) * k),
                y: snap(c.y + (p.y - c.y) * k),
            });
            Some(Edit::Reshape {
                id: g.id.clone(),
                geometry,
            })
        }
        2 => {
            let b = base?;
            Some(Edit::Split {
                line: line_across(&b, s.other.is_multiple_of(2))?,
                id: b.id,
                new_ids: None,
            })
        }
        3 => {
            let b = base?;
            // Neighbours across an edge first (a merge needs one), any other grid otherwise.
            let mut others: Vec<&Grid> = bases
                .iter()
                .filter(|g| g.id != b.id && shares_edge(&b, g))
                .collect();
            if others.is_empty() || s.dy == 0 {
                others = bases.iter().filter(|g| g.id != b.id).collect();
            }
            let o = others.get(s.other % others.len().max(1))?;
            Some(Edit::Merge {
                ids: [b.id.clone(), o.id.clone()],
                keep: if s.dx >= 0 {
                    b.id.clone()
                } else {
                    o.id.clone()
                },
            })
        }
        4 => {
            let b = base?;
            let r = ring(&b);
            let from = *r.get(s.other % r.len().max(1))?;
            Some(Edit::MoveBoundary {
                from,
                to: Coord {
                    x: snap(from.x + off(s.dx)),
                    y: snap(from.y + off(s.dy)),
                },
            })
        }
        5 => {
            let b = base?;
            let r = ring(&b);
            // A neighbour sharing two consecutive vertices of b's ring.
            for o in bases.iter().filter(|g| g.id != b.id) {
                let theirs = ring(o);
                for i in 0..r.len() {
                    let (p, q) = (r[i], r[(i + 1) % r.len()]);
                    if theirs.contains(&p) && theirs.contains(&q) {
                        let mid = Coord {
                            x: snap((p.x + q.x) / 2.0 + off(s.dx) / 4.0),
                            y: snap((p.y + q.y) / 2.0 + off(s.dy) / 4.0),
                        };
                        return Some(Edit::RerouteBoundary {
                            a: b.id.clone(),
                            b: o.id.clone(),
                            path: LineString::from(vec![p, mid, q]),
                        });
                    }
                }
            }
            None
        }
        6 => {
            let all = current_of(
                d,
                &[Layer::Base, Layer::Micro, Layer::Special, Layer::Composite],
            );
            let g = all.get(s.pick % all.len().max(1))?;
            let status = [
                GridStatus::Active,
                GridStatus::Reserved,
                GridStatus::Suspended,
            ][s.other % 3];
            Some(Edit::SetStatus {
                id: g.id.clone(),
                status,
            })
        }
        _ => {
            let all = current_of(d, &[Layer::Base, Layer::Micro, Layer::Special]);
            let g = all.get(s.pick % all.len().max(1))?;
            Some(Edit::Retire { id: g.id.clone() })
        }
    }
}

#[derive(Default)]
struct Tally {
    done: [usize; 8],
    zero_length: usize,
    closed_composites: usize,
}

#[test]
fn reload_after_random_same_day_edits_matches_running_district() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let config = PropConfig {
        cases: 12,
        failure_persistence: None,
        max_shrink_iters: 32,
        ..PropConfig::default()
    };
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &[11; 32]));
    let tally = std::cell::RefCell::new(Tally::default());
    let result = runner.run(&prop::collection::vec(step(), 4..14), |steps| {
        rt.block_on(async {
            let mut r = Running::start(&[Backend::Memory, Backend::Gpkg, Backend::Postgres]).await;
            let mut day = 0;
            let mut made = 0;
            for s in &steps {
                if s.next_day {
                    day += 1;
                }
                let Some(e) = edit_for(&r.district, s, &mut made) else {
                    continue;
                };
                if r.edit(&e, edit_day(day), s.force_draft).await.is_ok() {
                    tally.borrow_mut().done[s.kind as usize] += 1;
                }
            }
            r.check_reload().await;
            let mut t = tally.borrow_mut();
            for g in r.district.all_versions() {
                if g.valid_to == Some(g.valid_from) {
                    t.zero_length += 1;
                }
                if g.layer == Layer::Composite && g.valid_to.is_some() {
                    t.closed_composites += 1;
                }
            }
        });
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    // The sequences must have exercised what they are for.
    let t = tally.into_inner();
    eprintln!(
        "accepted edits by kind {:?}; versions replaced the day they opened: {}; closed composite versions: {}",
        KINDS.iter().zip(t.done).collect::<Vec<_>>(),
        t.zero_length,
        t.closed_composites
    );
    for (kind, n) in KINDS.iter().zip(t.done) {
        assert!(n > 0, "no {kind} edit was accepted in any sequence");
    }
    assert!(
        t.zero_length > 0,
        "no version was replaced the day it was opened"
    );
    assert!(t.closed_composites > 0, "no composite version was closed");
}
