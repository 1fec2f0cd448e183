//! Engine benchmarks: lookup (batch and single), assignment, and (with the demo) validation.
//!
//! Run: `cargo bench --bench engine`. Figures go in the issue notes; none is asserted here.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use geo::{Coord, LineString, MultiPolygon, Polygon};
use std::hint::black_box;
use wangge::engine::lookup::{base_batch, lookup};
use wangge::engine::{AdminArea, AdminLevel, AreaKind, District, Grid, GridId, GridStatus, Layer};

/// A city of `nx` × `ny` base grids (about 100 m) whose shared vertices are jittered, so edges
/// are slanted and shared exactly: a stand-in for a large city.
fn mesh_city(nx: usize, ny: usize) -> District {
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let (x0, y0, step) = (118.0_f64, 29.5_f64, 0.001_f64);
    let mut v = vec![vec![Coord { x: 0.0, y: 0.0 }; ny + 1]; nx + 1];
    for (i, col) in v.iter_mut().enumerate() {
        for (j, c) in col.iter_mut().enumerate() {
            let interior = i > 0 && i < nx && j > 0 && j < ny;
            let (dx, dy) = if interior {
                ((next() - 0.5) * 0.5, (next() - 0.5) * 0.5)
            } else {
                (0.0, 0.0)
            };
            let x = ((x0 + (i as f64 + dx) * step) * 1e7).round() / 1e7;
            let y = ((y0 + (j as f64 + dy) * step) * 1e7).round() / 1e7;
            *c = Coord { x, y };
        }
    }
    let mut grids = Vec::with_capacity(nx * ny);
    for i in 0..nx {
        for j in 0..ny {
            // Extra vertices along each edge make the polygons realistic (≈ 20 vertices).
            let corners = [v[i][j], v[i + 1][j], v[i + 1][j + 1], v[i][j + 1]];
            let mut ring = Vec::new();
            for k in 0..4 {
                let (a, b) = (corners[k], corners[(k + 1) % 4]);
                for t in 0..5 {
                    let f = t as f64 / 5.0;
                    ring.push(Coord {
                        x: a.x + (b.x - a.x) * f,
                        y: a.y + (b.y - a.y) * f,
                    });
                }
            }
            ring.push(ring[0]);
            let id = format!("G{i:04}{j:04}");
            grids.push(Grid {
                id: GridId(id.clone()),
                code: id.clone(),
                name: id,
                layer: Layer::Base,
                parent: Some("C".into()),
                kind: AreaKind::Urban,
                status: GridStatus::Active,
                category: None,
                network: None,
                members: vec![],
                properties: Default::default(),
                geometry: MultiPolygon(vec![Polygon::new(LineString(ring), vec![])]),
                valid_from: chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap_or_default(),
                valid_to: None,
                version: 1,
            });
        }
    }
    let community = AdminArea {
        code: "C".into(),
        name: "city".into(),
        level: AdminLevel::Community,
        parent: None,
        kind: AreaKind::Urban,
        geometry: None,
    };
    District::new(vec![community], grids, vec![], vec![]).unwrap_or_default()
}

fn random_points(n: usize, extent: (f64, f64, f64, f64)) -> Vec<Coord<f64>> {
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let (x0, y0, w, h) = extent;
    (0..n)
        .map(|_| Coord {
            x: x0 + next() * w,
            y: y0 + next() * h,
        })
        .collect()
}

fn lookups(c: &mut Criterion) {
    // 250 × 200 = 50,000 base grids.
    let city = mesh_city(250, 200);
    let points = random_points(1_000_000, (118.0, 29.5, 0.25, 0.2));
    let mut group = c.benchmark_group("lookup");
    group.sample_size(10);
    group.throughput(Throughput::Elements(points.len() as u64));
    group.bench_function(
        BenchmarkId::new("batch_base_50k_grids", points.len()),
        |b| b.iter(|| black_box(base_batch(&city, &points, None))),
    );
    group.finish();
    let mut group = c.benchmark_group("lookup");
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

criterion_group!(benches, lookups);
criterion_main!(benches);
