//! Engine benchmarks: lookup (batch and single), validation (full and incremental after one
//! edit), assignment, on the demo district, the real Helsinki buildings and a synthetic city of
//! 50,000 base grids; the validity check of one large polygon (`validity`); planning each kind of
//! edit on a 30 × 30 partition with 9,000 buildings (`edit`, formerly the ignored `timings` test in
//! `src/engine/tests/edit.rs`).
//!
//! Run: `cargo bench --bench engine` (one group: `cargo bench --bench engine -- validity`). Figures go in the issue notes; none is asserted here.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use geo::{polygon, BoundingRect, Coord, LineString, MultiPolygon};
use std::hint::black_box;
use std::path::PathBuf;
use wangge::demo::city::city;
use wangge::engine::assign::assign;
use wangge::engine::edit::{apply, plan, Edit, EditOptions};
use wangge::engine::lookup::{base_batch, lookup, rtree_batch};
use wangge::engine::validate::{validate, validate_around, Config, Scope};
use wangge::engine::District;
use wangge::engine::{
    AdminArea, AdminLevel, AreaKind, Building, Footprint, Grid, GridId, GridStatus, Layer,
};
use wangge::io::dataset::{load_dir, read_buildings};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn large_city() -> District {
    let c = city(250, 200, 10, 0);
    District::new(c.areas, c.grids, c.buildings, vec![]).expect("city")
}

fn demo() -> District {
    load_dir(&root().join("geodata/tunxi"))
        .and_then(|ds| ds.into_district())
        .expect("demo")
        .0
}

/// Deterministic random points in a box.
fn random_points(n: usize, (x0, y0, w, h): (f64, f64, f64, f64)) -> Vec<Coord<f64>> {
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    (0..n)
        .map(|_| Coord {
            x: x0 + next() * w,
            y: y0 + next() * h,
        })
        .collect()
}

fn lookups(c: &mut Criterion) {
    let city = large_city();
    let points = random_points(1_000_000, (118.0, 29.5, 0.25, 0.2));
    let mut group = c.benchmark_group("lookup");
    group.sample_size(10);
    group.throughput(Throughput::Elements(points.len() as u64));
    group.bench_function("batch_1M_points_50k_grids", |b| {
        b.iter(|| black_box(base_batch(&city, &points, None)))
    });
    // The R-tree path (dated lookups; all batches before the cell index), for comparison.
    group.bench_function("batch_1M_points_50k_grids_rtree", |b| {
        b.iter(|| black_box(rtree_batch(&city, &points, None)))
    });
    group.throughput(Throughput::Elements(1));
    let mut i = 0usize;
    group.bench_function("single_full_chain_50k_grids", |b| {
        b.iter(|| {
            i = (i + 1) % points.len();
            black_box(lookup(&city, points[i], None))
        })
    });
    group.finish();
}

fn validation(c: &mut Criterion) {
    let demo = demo();
    let config = Config::default();
    let mut group = c.benchmark_group("validate");
    group.sample_size(10);
    group.bench_function("full_demo_district", |b| {
        b.iter(|| black_box(validate(&demo, &Scope::All, None, &config)))
    });
    let mut city = large_city();
    group.bench_function("full_50k_grids", |b| {
        b.iter(|| black_box(validate(&city, &Scope::All, None, &config)))
    });
    // One interior vertex shared by four grids in the middle of the city.
    let target = city
        .grid(&GridId("990001003046055".into()), None)
        .expect("grid")
        .clone();
    let from = target.geometry.0[0].exterior().0[10];
    let to = Coord {
        x: from.x + 2e-5,
        y: from.y + 1e-5,
    };
    group.sample_size(50);
    group.bench_function("around_one_grid_50k_grids", |b| {
        b.iter(|| {
            black_box(validate_around(
                &city,
                std::slice::from_ref(&target.id),
                None,
                &config,
            ))
        })
    });
    let opts = EditOptions::on(chrono::NaiveDate::from_ymd_opt(2025, 6, 1).expect("date"));
    let edit = Edit::MoveBoundary { from, to };
    group.bench_function("edit_plan_with_impact_50k_grids", |b| {
        b.iter(|| black_box(plan(&mut city, &edit, &opts).expect("plan")))
    });
    group.finish();
}

/// Base grids of about 100 m over the Helsinki extract, so the real buildings are assigned by area.
fn helsinki() -> District {
    let buildings =
        read_buildings(&root().join("geodata/helsinki/buildings.geojson")).expect("buildings");
    let (area, grids) = wangge::demo::helsinki::grids_over(&buildings, 100.0);
    District::new(vec![area], grids, buildings, vec![]).expect("helsinki")
}

fn assignment(c: &mut Criterion) {
    let hel = helsinki();
    let demo = demo();
    let mut group = c.benchmark_group("assign");
    group.throughput(Throughput::Elements(hel.buildings().len() as u64));
    group.bench_function("helsinki_444_buildings", |b| {
        b.iter(|| black_box(assign(&hel, None)))
    });
    group.sample_size(20);
    group.throughput(Throughput::Elements(demo.buildings().len() as u64));
    group.bench_function("demo_12k_buildings", |b| {
        b.iter(|| black_box(assign(&demo, None)))
    });
    group.finish();
}

/// A star ring of `n` vertices: every segment's x-range overlaps many others (the worst case of
/// a sort-by-x check), valid.
fn star(n: usize) -> geo::MultiPolygon<f64> {
    let ring: Vec<Coord<f64>> = (0..=n)
        .map(|k| {
            let a = (k % n) as f64 / n as f64 * std::f64::consts::TAU;
            let r = if k % 2 == 0 { 1000.0 } else { 10.0 };
            Coord {
                x: r * a.cos(),
                y: r * a.sin(),
            }
        })
        .collect();
    geo::MultiPolygon(vec![geo::Polygon::new(geo::LineString(ring), vec![])])
}

/// The geometry check of every edit and request (issue #11, High 5): O(n log n) here, where
/// geo's `Validation` is pairwise (its 2,000-vertex figure is given for comparison; 100,000
/// vertices took it minutes).
fn validity(c: &mut Criterion) {
    let mut group = c.benchmark_group("validity");
    group.sample_size(10);
    for n in [2_000, 20_000, 100_000] {
        let mp = star(n);
        group.bench_function(format!("star_{n}_vertices"), |b| {
            b.iter(|| black_box(wangge::engine::validity::is_valid(&mp)))
        });
    }
    let mp = star(2_000);
    group.bench_function("star_2000_vertices_geo_pairwise", |b| {
        b.iter(|| black_box(geo::Validation::is_valid(&mp)))
    });
    group.finish();
}

const COMMUNITY: &str = "341002001001";
const X0: f64 = 118.30;
const Y0: f64 = 29.70;
/// The community is a 0.02° square.
const SIDE: f64 = 0.02;

fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> MultiPolygon<f64> {
    MultiPolygon(vec![polygon![
        (x: x0, y: y0), (x: x1, y: y0), (x: x1, y: y1), (x: x0, y: y1)
    ]])
}

fn base_id(n: usize) -> GridId {
    GridId(format!("{COMMUNITY}{n:03}"))
}

/// A community square tiled by `n × n` equal base grids (numbered column by column from 1), each
/// with 10 buildings of 30 households on its diagonal.
fn square_partition(n: usize) -> District {
    let cell = SIDE / n as f64;
    let at = |k: usize| ((k as f64 * cell) * 1e7).round() / 1e7;
    let mut grids = Vec::new();
    let mut buildings = Vec::new();
    for i in 0..n {
        for j in 0..n {
            let number = grids.len() + 1;
            let (x0, y0, x1, y1) = (X0 + at(i), Y0 + at(j), X0 + at(i + 1), Y0 + at(j + 1));
            grids.push(Grid {
                id: base_id(number),
                code: base_id(number).0,
                name: base_id(number).0,
                layer: Layer::Base,
                parent: Some(COMMUNITY.to_string()),
                kind: AreaKind::Urban,
                status: GridStatus::Active,
                category: None,
                network: None,
                members: vec![],
                properties: Default::default(),
                geometry: rect(x0, y0, x1, y1),
                valid_from: chrono::NaiveDate::from_ymd_opt(2025, 3, 1).expect("date"),
                valid_to: None,
                version: 1,
            });
            for b in 0..10 {
                let t = (b as f64 + 0.5) / 10.0;
                let (cx, cy, h) = (x0 + (x1 - x0) * t, y0 + (y1 - y0) * t, 0.0001);
                buildings.push(Building {
                    id: format!("b{number}-{b}"),
                    footprint: Footprint::Polygon(polygon![
                        (x: cx - h, y: cy - h), (x: cx + h, y: cy - h),
                        (x: cx + h, y: cy + h), (x: cx - h, y: cy + h)
                    ]),
                    households: 30,
                    residents: 90,
                    usage: Some("residential".into()),
                });
            }
        }
    }
    let area = AdminArea {
        code: COMMUNITY.into(),
        name: "c".into(),
        level: AdminLevel::Community,
        parent: None,
        kind: AreaKind::Urban,
        geometry: Some(rect(X0, Y0, X0 + SIDE, Y0 + SIDE)),
    };
    District::new(vec![area], grids, buildings, vec![]).expect("partition")
}

/// Planning each kind of edit (dry run with impact) around the middle grid of a 30 × 30
/// partition with 9,000 buildings, and one plan + apply.
fn edits(c: &mut Criterion) {
    let n = 30;
    let mut d = square_partition(n);
    let cell = SIDE / n as f64;
    let centre = Coord {
        x: X0 + cell * 15.0,
        y: Y0 + cell * 15.0,
    };
    let g = d.grid(&base_id(15 * n + 15), None).expect("grid").clone();
    let r = g.geometry.bounding_rect().expect("non-empty");
    let opts = EditOptions::on(chrono::NaiveDate::from_ymd_opt(2025, 3, 10).expect("date"));
    let move_vertex = Edit::MoveBoundary {
        from: centre,
        to: Coord {
            x: centre.x + cell * 0.2,
            y: centre.y + cell * 0.1,
        },
    };
    let cases = [
        ("plan_move_vertex", move_vertex.clone(), true),
        (
            "plan_split",
            Edit::Split {
                id: g.id.clone(),
                line: LineString::from(vec![
                    (r.min().x - 1e-4, r.min().y + r.height() * 0.3),
                    (r.max().x + 1e-4, r.min().y + r.height() * 0.6),
                ]),
                new_ids: None,
            },
            true,
        ),
        (
            "plan_merge",
            Edit::Merge {
                ids: [g.id.clone(), base_id(15 * n + 16)],
                keep: g.id.clone(),
            },
            true,
        ),
        // Widening one grid over its neighbour: an overlap, so the plan is refused.
        (
            "plan_reshape_refused",
            Edit::Reshape {
                id: g.id.clone(),
                geometry: rect(r.min().x, r.min().y, r.max().x + cell * 0.5, r.max().y),
            },
            false,
        ),
    ];
    let mut group = c.benchmark_group("edit");
    group.sample_size(20);
    for (name, edit, accepted) in &cases {
        assert_eq!(plan(&mut d, edit, &opts).is_ok(), *accepted, "{name}");
        group.bench_function(format!("{name}_900_grids_9k_buildings"), |b| {
            b.iter(|| black_box(plan(&mut d, edit, &opts).is_ok()))
        });
    }
    group.bench_function("plan_apply_move_vertex_900_grids_9k_buildings", |b| {
        b.iter_batched(
            || d.clone(),
            |mut d| {
                let p = plan(&mut d, &move_vertex, &opts).expect("plan");
                apply(&mut d, &p.changes).expect("apply");
                d
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(benches, validity, lookups, validation, assignment, edits);
criterion_main!(benches);
