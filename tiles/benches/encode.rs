//! Encoding the tiles of a 5,000-grid synthetic mesh (100 × 50 jittered cells of ≈ 260 m ×
//! 330 m near Beijing, 24 vertices each) at z8, z12 and z14. Throughput is in tiles, so
//! criterion prints tiles/s; the setup prints tile counts and bytes per tile.
//! `tiles_zN` encodes lon/lat features (`encode_tile`, Mercator trigonometry per vertex);
//! `prepared_zN` encodes the same features projected once (`encode_prepared`, what the server
//! does for an uncached tile); `exact_prepared_zN` does so without simplification (the
//! side-by-side comparison with PostGIS's ST_AsMVT).
//! Run: cargo bench -p wangge-tiles --bench encode

#[path = "../tests/common/mesh.rs"]
mod mesh;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use geo::{Coord, Geometry, Rect};
use std::hint::black_box;
use wangge_tiles::math::tiles_covering;
use wangge_tiles::{
    encode_prepared, encode_tile, tolerance_for_zoom, EncodeOptions, Feature, Layer,
    PreparedFeature, PreparedLayer, PropValue, Topology,
};

const LON0: f64 = 116.25;
const LAT0: f64 = 39.875;
const UNIT: f64 = 1.0 / 4096.0;

fn bench(c: &mut Criterion) {
    let m = mesh::Mesh {
        nx: 100,
        ny: 50,
        s: 12,
        k: 6,
        seed: 5,
    };
    let cells = m.cells_lonlat(LON0, LAT0, UNIT);
    let bbox = Rect::new(
        Coord { x: LON0, y: LAT0 },
        Coord {
            x: LON0 + 1200.0 * UNIT,
            y: LAT0 + 600.0 * UNIT,
        },
    );
    let mut group = c.benchmark_group("encode_5000_grids");
    group.sample_size(10);
    group.bench_function("topology_build", |b| {
        b.iter(|| black_box(Topology::build(&cells)))
    });
    let topo = Topology::build(&cells);
    let opts = EncodeOptions::default();
    for z in [8u8, 12, 14] {
        let tol = tolerance_for_zoom(z, 0.5, LAT0 + 0.07);
        // Simplify throughput is in grids/s; the tile bench below resets it to tiles.
        group.throughput(Throughput::Elements(cells.len() as u64));
        group.bench_function(format!("simplify_z{z}"), |b| {
            b.iter(|| black_box(topo.simplify(tol)))
        });
        let mut layer = Layer::new("grids");
        for (i, mp) in topo.simplify(tol).into_iter().enumerate() {
            layer.push(Feature {
                id: i as u64 + 1,
                geometry: Geometry::MultiPolygon(mp),
                properties: vec![
                    ("code".into(), PropValue::String(format!("110105{i:06}"))),
                    ("level".into(), PropValue::Int(4)),
                ],
            });
        }
        let layers = [layer];
        let tiles: Vec<_> = match tiles_covering(bbox, z, 0, opts.extent) {
            Some(r) => r.iter().collect(),
            None => continue,
        };
        let sizes: Vec<usize> = tiles
            .iter()
            .map(|&t| encode_tile(t, &layers, &opts).map(|b| b.len()).unwrap_or(0))
            .collect();
        let total: usize = sizes.iter().sum();
        println!(
            "z{z}: {} tiles, {} bytes total, {} bytes/tile mean, {} max",
            tiles.len(),
            total,
            total / tiles.len().max(1),
            sizes.iter().max().copied().unwrap_or(0)
        );
        group.throughput(Throughput::Elements(tiles.len() as u64));
        group.bench_function(format!("tiles_z{z}"), |b| {
            b.iter(|| {
                for &t in &tiles {
                    black_box(encode_tile(t, &layers, &opts).ok());
                }
            })
        });
        let bench_prepared =
            |group: &mut criterion::BenchmarkGroup<_>, name: String, fs: &[Feature]| {
                let prepared: Vec<PreparedFeature> =
                    fs.iter().cloned().map(PreparedFeature::new).collect();
                group.bench_function(name, |b| {
                    b.iter(|| {
                        for &t in &tiles {
                            // Every feature is a candidate here; the server narrows them with its
                            // R-tree first.
                            let layer = PreparedLayer {
                                name: "grids",
                                features: prepared.iter().collect(),
                            };
                            black_box(encode_prepared(t, &[layer], &opts).ok());
                        }
                    })
                });
            };
        bench_prepared(&mut group, format!("prepared_z{z}"), layers[0].features());
        let exact: Vec<Feature> = cells
            .iter()
            .enumerate()
            .map(|(i, mp)| Feature {
                id: i as u64 + 1,
                geometry: Geometry::MultiPolygon(mp.clone()),
                properties: vec![
                    ("code".into(), PropValue::String(format!("110105{i:06}"))),
                    ("level".into(), PropValue::Int(4)),
                ],
            })
            .collect();
        bench_prepared(&mut group, format!("exact_prepared_z{z}"), &exact);
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
