//! Engine benchmarks: lookup (batch and single), validation (full and incremental after one
//! edit), assignment, on the demo district, the real Helsinki buildings and a synthetic city of
//! 50,000 base grids; the validity check of one large polygon (`validity`).
//!
//! Run: `cargo bench --bench engine` (one group: `cargo bench --bench engine -- validity`). Figures go in the issue notes; none is asserted here.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use geo::Coord;
use std::hint::black_box;
use std::path::PathBuf;
use wangge::demo::city::city;
use wangge::engine::assign::assign;
use wangge::engine::edit::{plan, Edit, EditOptions};
use wangge::engine::lookup::{base_batch, lookup, rtree_batch};
use wangge::engine::validate::{validate, validate_around, Config, Scope};
use wangge::engine::{District, GridId};
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

criterion_group!(benches, validity, lookups, validation, assignment);
criterion_main!(benches);
