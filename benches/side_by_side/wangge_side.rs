//! The wangge side of the side-by-side benchmark (issue 7), run by `benches/side_by_side/run.sh`.
//!
//! `cargo bench --bench side_by_side -- OUT_DIR [--quick] [--counties FILE]` builds every dataset
//! deterministically, writes the shared inputs (grids as WKT, points as CSV, tile lists, the
//! defect-injected layer and its truth) into OUT_DIR for PostGIS and shapely to read, measures
//! wangge on the very same coordinates and writes OUT_DIR/wangge.json. Under `cargo test` (no
//! arguments) it does nothing. Figures are measured, never asserted.

use geo::{BoundingRect, Coord, Geometry, MultiPolygon, Rect};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::hint::black_box;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;
use wangge::demo::city::city;
use wangge::engine::edit::{plan, Edit, EditOptions};
use wangge::engine::lookup::{base_batch, lookup};
use wangge::engine::validate::{validate, Config, ProblemKind, Scope};
use wangge::engine::{AdminArea, District, Grid, GridId, Layer};
use wangge::io::dataset::{load_dir, read_buildings, read_grids};
use wangge::io::features::GridReading;
use wangge_tiles::{
    encode_prepared, EncodeOptions, Feature, PreparedFeature, PreparedLayer, PropValue,
};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Deterministic xorshift64 in [0, 1).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn wkt(mp: &MultiPolygon<f64>) -> String {
    let mut s = String::from("MULTIPOLYGON(");
    for (i, p) in mp.0.iter().enumerate() {
        s.push_str(if i > 0 { ",(" } else { "(" });
        for (j, ring) in std::iter::once(p.exterior())
            .chain(p.interiors())
            .enumerate()
        {
            s.push_str(if j > 0 { ",(" } else { "(" });
            for (k, c) in ring.0.iter().enumerate() {
                let _ = write!(s, "{}{} {}", if k > 0 { "," } else { "" }, c.x, c.y);
            }
            s.push(')');
        }
        s.push(')');
    }
    s.push(')');
    s
}

fn write_grids(path: &Path, grids: &[&Grid]) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).expect("grids file"));
    writeln!(f, "idx\tid\twkt").expect("write");
    for (i, g) in grids.iter().enumerate() {
        writeln!(f, "{i}\t{}\t{}", g.id.0, wkt(&g.geometry)).expect("write");
    }
}

fn write_points(path: &Path, pts: &[Coord<f64>]) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).expect("points file"));
    writeln!(f, "id,x,y").expect("write");
    for (i, p) in pts.iter().enumerate() {
        writeln!(f, "{i},{},{}", p.x, p.y).expect("write");
    }
}

fn extent(grids: &[&Grid]) -> Rect<f64> {
    let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for g in grids {
        for c in g.geometry.0.iter().flat_map(|p| p.exterior().0.iter()) {
            x0 = x0.min(c.x);
            y0 = y0.min(c.y);
            x1 = x1.max(c.x);
            y1 = y1.max(c.y);
        }
    }
    Rect::new((x0, y0), (x1, y1))
}

/// A coordinate by its exact bits, and an edge by its two ends.
type CoordKey = (u64, u64);
type EdgeKey = (CoordKey, CoordKey);

/// Points exactly on the layer's shared boundaries: vertices shared by two or more grids, and
/// midpoints of shared axis-parallel edges (exact in floating point, so every engine sees them
/// on the edge).
fn boundary_points(grids: &[&Grid], n: usize) -> (Vec<Coord<f64>>, Vec<Coord<f64>>) {
    let key = |c: Coord<f64>| (c.x.to_bits(), c.y.to_bits());
    let mut vertices: HashMap<CoordKey, u32> = HashMap::new();
    let mut edges: HashMap<EdgeKey, u32> = HashMap::new();
    let mut vorder = Vec::new();
    let mut eorder = Vec::new();
    for g in grids {
        for p in &g.geometry.0 {
            let ring = &p.exterior().0;
            for w in ring.windows(2) {
                let v = vertices.entry(key(w[0])).or_insert(0);
                if *v == 0 {
                    vorder.push(w[0]);
                }
                *v += 1;
                let (a, b) = if key(w[0]) < key(w[1]) {
                    (w[0], w[1])
                } else {
                    (w[1], w[0])
                };
                if a.x == b.x || a.y == b.y {
                    let e = edges.entry((key(a), key(b))).or_insert(0);
                    if *e == 0 {
                        eorder.push((a, b));
                    }
                    *e += 1;
                }
            }
        }
    }
    let shared_v: Vec<Coord<f64>> = vorder
        .into_iter()
        .filter(|c| vertices[&key(*c)] >= 2)
        .collect();
    let shared_e: Vec<Coord<f64>> = eorder
        .into_iter()
        .filter(|(a, b)| edges[&(key(*a), key(*b))] >= 2)
        .map(|(a, b)| Coord {
            x: if a.x == b.x { a.x } else { (a.x + b.x) / 2.0 },
            y: if a.y == b.y { a.y } else { (a.y + b.y) / 2.0 },
        })
        .filter(|m| m.x.is_finite())
        .collect();
    let every = |v: Vec<Coord<f64>>| -> Vec<Coord<f64>> {
        let step = (v.len() / n.max(1)).max(1);
        v.into_iter().step_by(step).take(n).collect()
    };
    (every(shared_v), every(shared_e))
}

fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> (f64, T) {
    let mut best = f64::MAX;
    let mut out = None;
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        let r = f();
        best = best.min(t.elapsed().as_secs_f64());
        out = Some(r);
    }
    (best, out.expect("one run"))
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

struct Set {
    name: &'static str,
    district: District,
}

fn base_of(d: &District) -> Vec<&Grid> {
    d.grids_of_layer(&Layer::Base, None)
}

/// Batch lookup and boundary ownership on one dataset; writes its inputs and wangge's answers.
fn batch(set: &Set, out: &Path, npoints: usize, nboundary: usize) -> Value {
    let grids = base_of(&set.district);
    let slot_to_idx: HashMap<u32, i32> = grids
        .iter()
        .enumerate()
        .filter_map(|(i, g)| set.district.grid_slot(&g.id, None).map(|s| (s, i as i32)))
        .collect();
    let ext = extent(&grids);
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let pts: Vec<Coord<f64>> = (0..npoints)
        .map(|_| Coord {
            x: ext.min().x + rng.next() * ext.width(),
            y: ext.min().y + rng.next() * ext.height(),
        })
        .collect();
    let (verts, mids) = boundary_points(&grids, nboundary);
    write_grids(&out.join(format!("{}.grids.tsv", set.name)), &grids);
    write_points(&out.join(format!("{}.points.csv", set.name)), &pts);
    let mut boundary = verts.clone();
    boundary.extend(&mids);
    write_points(&out.join(format!("{}.boundary.csv", set.name)), &boundary);

    // The cell index is built on first use (the service builds it after loading); its build
    // is reported on its own, as shapely's STRtree build is.
    let (index_secs, _) = time(1, || wangge::engine::cells::CellIndex::build(&set.district));
    let _ = base_batch(&set.district, &pts, None); // warm-up: builds the district's index
    let (secs, hits) = time(3, || base_batch(&set.district, &pts, None));
    let idx: Vec<i32> = hits
        .iter()
        .map(|h| h.slot.map(|s| slot_to_idx[&s]).unwrap_or(-1))
        .collect();
    let bytes: Vec<u8> = idx.iter().flat_map(|i| i.to_le_bytes()).collect();
    std::fs::write(out.join(format!("{}.wangge_hits.bin", set.name)), bytes).expect("hits");
    let assigned = idx.iter().filter(|&&i| i >= 0).count();
    let bhits = base_batch(&set.district, &boundary, None);
    let count = |range: std::ops::Range<usize>| {
        let one = bhits[range.clone()]
            .iter()
            .filter(|h| h.slot.is_some())
            .count();
        json!({"n": range.len(), "zero": range.len() - one, "one": one, "two_plus": 0})
    };
    // One lookup at a time, full chain (grid, micro/special, composites, admin chain).
    let n_single = npoints.min(200_000);
    let mut lat = Vec::with_capacity(n_single);
    for p in &pts[..n_single] {
        let t = Instant::now();
        black_box(lookup(&set.district, *p, None));
        lat.push(t.elapsed().as_secs_f64() * 1e6);
    }
    let mean = lat.iter().sum::<f64>() / lat.len() as f64;
    lat.sort_by(f64::total_cmp);
    eprintln!(
        "{}: {} base grids, batch {} points in {:.3} s",
        set.name,
        grids.len(),
        pts.len(),
        secs
    );
    json!({
        "grids": grids.len(),
        "points": pts.len(),
        "batch_seconds": secs,
        "index_build_seconds": index_secs,
        "points_per_second": pts.len() as f64 / secs,
        "assigned": assigned,
        "outside": pts.len() - assigned,
        "boundary": {"vertices": count(0..verts.len()), "edges": count(verts.len()..boundary.len())},
        "single_us": {"mean": mean, "p50": percentile(&lat, 0.5), "p99": percentile(&lat, 0.99), "n": lat.len()},
    })
}

/// Encodes every tile of the city at z8, z12 and z14 (grid layers, no cache, no simplification).
///
/// The path the server takes for an uncached tile (src/server/tiles.rs): features projected to
/// Web-Mercator once when the source is built (PostGIS reads a stored EPSG:3857 column), an
/// R-tree over them for the candidates, then `encode_prepared`, which borrows the features.
fn tiles(d: &District, out: &Path, quick: bool) -> Value {
    let layers = [Layer::Base, Layer::Micro, Layer::Special];
    let mut features: HashMap<u32, Feature> = HashMap::new();
    for l in &layers {
        for s in d.layer_slots(l, None) {
            let g = d.slot(s);
            features.insert(
                s,
                Feature {
                    id: u64::from(s),
                    geometry: Geometry::MultiPolygon(g.geometry.clone()),
                    properties: vec![
                        ("code".into(), PropValue::String(g.code.clone())),
                        ("layer".into(), PropValue::String(g.layer.as_str().into())),
                    ],
                },
            );
        }
    }
    let mut all = std::io::BufWriter::new(
        std::fs::File::create(out.join("city.layers.tsv")).expect("layers file"),
    );
    writeln!(all, "fid\tcode\tlayer\twkt").expect("write");
    let mut slots: Vec<&u32> = features.keys().collect();
    slots.sort_unstable();
    for s in slots {
        let g = d.slot(*s);
        writeln!(
            all,
            "{s}\t{}\t{}\t{}",
            g.code,
            g.layer.as_str(),
            wkt(&g.geometry)
        )
        .expect("write");
    }
    drop(all);
    // In layer order, slots ascending within a layer, as the tiles list them.
    let mut prepared = Vec::new();
    for l in &layers {
        let mut slots = d.layer_slots(l, None);
        slots.sort_unstable();
        prepared.extend(
            slots
                .iter()
                .map(|s| PreparedFeature::new(features[s].clone())),
        );
    }
    let index = wangge::server::tiles::index_features(&prepared);
    let ext = d.extent().expect("extent");
    let mut list = String::from("z,x,y\n");
    let mut result = serde_json::Map::new();
    for z in [8u8, 12, 14] {
        let range = wangge_tiles::math::tiles_covering(ext, z, 0, 4096).expect("tiles");
        let mut ids: Vec<_> = range.iter().collect();
        if quick && ids.len() > 60 {
            ids.truncate(60);
        }
        for t in &ids {
            let _ = writeln!(list, "{},{},{}", t.z(), t.x(), t.y());
        }
        let render = |t: &wangge_tiles::TileId| {
            let b = t.bounds_lonlat();
            let (px, py) = (b.width() * 64.0 / 4096.0, b.height() * 64.0 / 4096.0);
            let r = Rect::new(
                (b.min().x - px, b.min().y - py),
                (b.max().x + px, b.max().y + py),
            );
            let mut hits: Vec<u32> = index.in_rect(r).collect();
            hits.sort_unstable();
            let layer = PreparedLayer {
                name: "grids",
                features: hits.iter().map(|&i| &prepared[i as usize]).collect(),
            };
            encode_prepared(*t, &[layer], &EncodeOptions::default()).expect("tile")
        };
        let runs = if z == 8 { 2 } else { 3 };
        let (secs, bytes) = time(runs, || {
            ids.iter().map(render).map(|v| v.len()).sum::<usize>()
        });
        eprintln!("tiles z{z}: {} tiles in {secs:.3} s", ids.len());
        result.insert(
            format!("z{z}"),
            json!({"tiles": ids.len(), "seconds": secs, "tiles_per_second": ids.len() as f64 / secs, "bytes": bytes}),
        );
    }
    std::fs::write(out.join("city.tiles.csv"), list).expect("tile list");
    Value::Object(result)
}

/// Injected defects: kind and the two grids (sorted ids).
type Truth = Vec<(String, Vec<String>)>;
/// A coordinate by its bits, for exact vertex matching.
type VertexKey = (u64, u64);

/// Moves one vertex shared by exactly two grids on one of them only: towards the grid's centre
/// (a gap) or away from it (an overlap), by `metres`.
fn inject(
    grids: &mut [Grid],
    picks: &[(usize, f64)],
    shared: &HashMap<(u64, u64), u32>,
    outer: &std::collections::HashSet<(u64, u64)>,
) -> (Truth, Vec<bool>, Vec<Coord<f64>>) {
    let key = |c: Coord<f64>| (c.x.to_bits(), c.y.to_bits());
    let mut truth = Vec::new();
    let mut vertices = Vec::new();
    let mut on_outer_edge = Vec::new();
    for &(gi, metres) in picks {
        let g = &grids[gi];
        let ring = g.geometry.0[0].exterior().0.clone();
        let n = ring.len() - 1;
        let (cx, cy) = (
            ring[..n].iter().map(|c| c.x).sum::<f64>() / n as f64,
            ring[..n].iter().map(|c| c.y).sum::<f64>() / n as f64,
        );
        let Some(k) = (0..n).find(|&k| shared.get(&key(ring[k])) == Some(&2)) else {
            continue;
        };
        let v = ring[k];
        let (dx, dy) = (cx - v.x, cy - v.y);
        let len_m =
            ((dx * 111_320.0 * cy.to_radians().cos()).powi(2) + (dy * 110_574.0).powi(2)).sqrt();
        let f = metres / len_m; // positive: inward (gap), negative: outward (overlap)
        let moved = Coord {
            x: ((v.x + dx * f) * 1e7).round() / 1e7,
            y: ((v.y + dy * f) * 1e7).round() / 1e7,
        };
        let neighbour = grids
            .iter()
            .enumerate()
            .find(|(j, h)| *j != gi && h.geometry.0.iter().any(|p| p.exterior().0.contains(&v)))
            .map(|(_, h)| h.id.0.clone())
            .unwrap_or_default();
        let g = &mut grids[gi];
        let mut new_ring = ring;
        new_ring[k] = moved;
        if k == 0 {
            new_ring[n] = moved;
        }
        g.geometry.0[0] = geo::Polygon::new(geo::LineString(new_ring), vec![]);
        let kind = if metres.abs() < 1.0 {
            if metres > 0.0 {
                "sliver_gap"
            } else {
                "sliver_overlap"
            }
        } else if metres > 0.0 {
            "gap"
        } else {
            "overlap"
        };
        let mut ids = vec![g.id.0.clone(), neighbour];
        ids.sort();
        truth.push((kind.to_string(), ids));
        on_outer_edge.push(outer.contains(&key(v)));
        vertices.push(v);
    }
    (truth, on_outer_edge, vertices)
}

/// Scores a validation report against the injected defects. A problem finds a defect when it
/// names both grids of the defect, or names one of them and lies at the moved vertex (a defect on
/// a community border shows up as a gap in one community, named by that community's grids, and
/// as a grid crossing into the other).
fn score(
    problems: &[&wangge::engine::validate::Problem],
    truth: &[(String, Vec<String>)],
    vertices: &[Coord<f64>],
) -> Value {
    let mut hit = vec![false; truth.len()];
    let mut false_pos = 0;
    let mut kind_right = 0;
    let near = |p: &wangge::engine::validate::Problem, v: Coord<f64>| {
        p.geometry
            .as_ref()
            .and_then(|g| g.bounding_rect())
            .is_some_and(|r| {
                let m = 1e-5; // about a metre
                v.x >= r.min().x - m
                    && v.x <= r.max().x + m
                    && v.y >= r.min().y - m
                    && v.y <= r.max().y + m
            })
    };
    for p in problems {
        let m = truth.iter().zip(vertices).position(|((_, ids), v)| {
            let has = |i: &String| p.grids.iter().any(|g| g.0 == *i);
            ids.iter().all(has) || (ids.iter().any(has) && (p.grids.len() < 2 || near(p, *v)))
        });
        match m {
            Some(i) => {
                if !hit[i] && truth[i].0 == p.kind.as_str() {
                    kind_right += 1;
                }
                hit[i] = true;
            }
            None => false_pos += 1,
        }
    }
    json!({
        "problems": problems.len(),
        "found": hit.iter().filter(|h| **h).count(),
        "missed": hit.iter().filter(|h| !**h).count(),
        "false_positives": false_pos,
        "kind_right": kind_right,
        "missed_defects": truth.iter().zip(&hit).filter(|(_, h)| !**h).map(|(t, _)| json!(t)).collect::<Vec<_>>(),
    })
}

/// Whole-layer validation of the city's base layer, clean and with 20 injected gaps, 20 overlaps
/// and 20 slivers (10 sliver gaps + 10 sliver overlaps), run two ways: as a plain coverage (no
/// admin areas: the same information shapely gets) and as the product runs it, with each grid in
/// its community and the community outlines. A defect at a vertex on the coverage's outer edge is
/// a notch in that edge, not a hole between grids: only an outline can tell it from the intended
/// shape, so the plain run cannot see it, while GEOS flags any notch narrower than its gap width.
fn validation(d: &District, out: &Path) -> Value {
    let outlined_base: Vec<Grid> = base_of(d).into_iter().cloned().collect();
    let areas: Vec<AdminArea> = d.areas().to_vec();
    let plain = |grids: &[Grid]| -> Vec<Grid> {
        grids
            .iter()
            .cloned()
            .map(|mut g| {
                g.parent = None;
                g
            })
            .collect()
    };
    let config = Config::default();
    let coverage_kinds = [
        ProblemKind::Gap,
        ProblemKind::Overlap,
        ProblemKind::SliverGap,
        ProblemKind::SliverOverlap,
        ProblemKind::InvalidGeometry,
        ProblemKind::CrossesCommunity,
    ];
    let coverage_problems = |r: &wangge::engine::validate::Report| -> usize {
        r.problems
            .iter()
            .filter(|p| coverage_kinds.contains(&p.kind))
            .count()
    };
    let clean = District::new(vec![], plain(&outlined_base), vec![], vec![]).expect("clean layer");
    let (clean_secs, report) = time(2, || validate(&clean, &Scope::All, None, &config));
    let clean_problems = coverage_problems(&report);
    drop(clean);
    let clean = District::new(areas.clone(), outlined_base.clone(), vec![], vec![])
        .expect("clean outlined layer");
    let (clean_outlined_secs, report) = time(2, || validate(&clean, &Scope::All, None, &config));
    let clean_outlined_problems = coverage_problems(&report);
    drop(clean);

    let key = |c: Coord<f64>| (c.x.to_bits(), c.y.to_bits());
    let mut shared: HashMap<(u64, u64), u32> = HashMap::new();
    for g in &outlined_base {
        for c in &g.geometry.0[0].exterior().0[1..] {
            *shared.entry(key(*c)).or_insert(0) += 1;
        }
    }
    // 60 grids spread over the layer, far apart: 20 gaps (5 m), 20 overlaps (5 m),
    // 10 sliver gaps and 10 sliver overlaps (0.4 m, mean width ≈ 0.2 m < 0.5 m).
    let step = outlined_base.len() / 61;
    let picks: Vec<(usize, f64)> = (0..60)
        .map(|i| {
            let m = match i % 6 {
                0 | 3 => 5.0,
                1 | 4 => -5.0,
                2 => 0.4,
                _ => -0.4,
            };
            (step / 2 + i * step, m)
        })
        .collect();
    // An edge that only one grid uses lies on the coverage's outer edge.
    let mut edge_uses: HashMap<(VertexKey, VertexKey), u32> = HashMap::new();
    for g in &outlined_base {
        for w in g.geometry.0[0].exterior().0.windows(2) {
            let (a, b) = (key(w[0]), key(w[1]));
            *edge_uses.entry((a.min(b), a.max(b))).or_insert(0) += 1;
        }
    }
    let mut outer: std::collections::HashSet<(u64, u64)> = std::collections::HashSet::new();
    for ((a, b), n) in &edge_uses {
        if *n == 1 {
            outer.insert(*a);
            outer.insert(*b);
        }
    }
    let grids = outlined_base.len();
    let mut broken_outlined = outlined_base;
    let (truth, on_outer_edge, vertices) = inject(&mut broken_outlined, &picks, &shared, &outer);
    let broken_plain = plain(&broken_outlined);
    let refs: Vec<&Grid> = broken_plain.iter().collect();
    write_grids(&out.join("city_defects.grids.tsv"), &refs);
    std::fs::write(
        out.join("city_defects.truth.json"),
        serde_json::to_string(&truth).expect("json"),
    )
    .expect("truth");
    let broken = District::new(vec![], broken_plain, vec![], vec![]).expect("broken layer");
    let (secs, report) = time(2, || validate(&broken, &Scope::All, None, &config));
    let found: Vec<&wangge::engine::validate::Problem> = report
        .problems
        .iter()
        .filter(|p| coverage_kinds.contains(&p.kind))
        .collect();
    let plain_score = score(&found, &truth, &vertices);
    drop(broken);
    let broken =
        District::new(areas, broken_outlined, vec![], vec![]).expect("broken outlined layer");
    let (outlined_secs, report) = time(2, || validate(&broken, &Scope::All, None, &config));
    let found: Vec<&wangge::engine::validate::Problem> = report
        .problems
        .iter()
        .filter(|p| coverage_kinds.contains(&p.kind))
        .collect();
    let outlined_score = score(&found, &truth, &vertices);
    eprintln!(
        "validation: clean {clean_secs:.3} s, injected {secs:.3} s; with outlines {clean_outlined_secs:.3} s / {outlined_secs:.3} s"
    );
    let mut plain_run = json!({
        "clean_seconds": clean_secs,
        "clean_problems": clean_problems,
        "seconds": secs,
    });
    let mut outlined_run = json!({
        "clean_seconds": clean_outlined_secs,
        "clean_problems": clean_outlined_problems,
        "seconds": outlined_secs,
    });
    for (run, s) in [
        (&mut plain_run, plain_score),
        (&mut outlined_run, outlined_score),
    ] {
        if let (Value::Object(r), Value::Object(s)) = (run, s) {
            r.extend(s);
        }
    }
    json!({
        "grids": grids,
        "injected": truth.len(),
        "plain": plain_run,
        "outlined": outlined_run,
        "outer_edge_defects": on_outer_edge.iter().filter(|o| **o).count(),
    })
}

/// Incremental validation + impact preview of one boundary move in the city (as the engine bench).
fn incremental(d: &mut District) -> Value {
    // A base grid at the centre of the community at the centre of the city, so the moved vertex
    // has neighbours on every side and stays inside its community.
    let Some(centre) = d
        .extent()
        .and_then(|r| d.community_at(r.center()))
        .and_then(|a| a.geometry.as_ref())
        .and_then(|g| g.bounding_rect())
        .map(|r| r.center())
    else {
        return json!(null);
    };
    let Some(target) = lookup(d, centre, None)
        .base
        .and_then(|b| d.grid(&GridId(b.id), None).cloned())
    else {
        return json!(null);
    };
    let from = target.geometry.0[0].exterior().0[10];
    let to = Coord {
        x: from.x + 2e-5,
        y: from.y + 1e-5,
    };
    let opts = EditOptions::on(chrono::NaiveDate::from_ymd_opt(2025, 6, 1).expect("date"));
    let edit = Edit::MoveBoundary { from, to };
    let mut ms = Vec::new();
    for _ in 0..30 {
        let t = Instant::now();
        black_box(plan(d, &edit, &opts).expect("plan"));
        ms.push(t.elapsed().as_secs_f64() * 1e3);
    }
    ms.sort_by(f64::total_cmp);
    json!({"p50_ms": percentile(&ms, 0.5), "max_ms": ms[ms.len() - 1], "runs": ms.len()})
}

/// The city (same generator and size) with `households` households, alternately in a building and
/// at a lattice point, written with the project's dataset writer.
fn write_city(dir: &Path, nx: usize, ny: usize, households: usize) {
    use wangge::engine::{Household, HouseholdLocation};
    let c = city(nx, ny, 10, 4);
    let nb = c.buildings.len().max(1);
    let hs = (0..households)
        .map(|i| Household {
            id: format!("H{i:08}"),
            location: if i % 2 == 0 {
                let x = 118.0 + ((i * 7919) % (nx * 1000)) as f64 * 1e-6;
                let y = 29.5 + ((i * 104_729) % (ny * 1000)) as f64 * 1e-6;
                HouseholdLocation::Point(geo::Point::new(
                    (x * 1e7).round() / 1e7,
                    (y * 1e7).round() / 1e7,
                ))
            } else {
                HouseholdLocation::Building(c.buildings[i % nb].id.clone())
            },
            residents: (i % 5) as u32 + 1,
        })
        .collect();
    let ds = wangge::io::dataset::Dataset {
        areas: c.areas,
        grids: c.grids,
        buildings: c.buildings,
        households: hs,
        reading_problems: vec![],
    };
    wangge::io::dataset::write_dir(dir, &ds).expect("city dataset");
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let Some(out) = args
        .iter()
        .find(|a| !a.starts_with("--"))
        .map(PathBuf::from)
    else {
        return; // `cargo test` runs benches without arguments: nothing to do.
    };
    let quick = args.iter().any(|a| a == "--quick");
    let counties = args
        .iter()
        .position(|a| a == "--counties")
        .and_then(|i| args.get(i + 1))
        .map(PathBuf::from);
    std::fs::create_dir_all(&out).expect("out dir");
    let (npoints, nboundary) = if quick {
        (200_000, 5_000)
    } else {
        (1_000_000, 20_000)
    };
    let (nx, ny) = if quick { (100, 50) } else { (250, 200) };

    let mut sets = Vec::new();
    let t = Instant::now();
    let demo = load_dir(&root().join("geodata/tunxi"))
        .and_then(|ds| ds.into_district())
        .expect("demo")
        .0;
    sets.push(Set {
        name: "tunxi",
        district: demo,
    });
    let buildings =
        read_buildings(&root().join("geodata/helsinki/buildings.geojson")).expect("buildings");
    let (area, grids) = wangge::demo::helsinki::grids_over(&buildings, 100.0);
    let hel = District::new(vec![area], grids, buildings, vec![]).expect("helsinki");
    sets.push(Set {
        name: "helsinki",
        district: hel,
    });
    let c = city(nx, ny, 10, 4);
    let big = District::new(c.areas, c.grids, c.buildings, vec![]).expect("city");
    sets.push(Set {
        name: "city",
        district: big,
    });
    if let Some(path) = counties {
        let reading = GridReading {
            id_field: Some("geoid".into()),
            ..GridReading::default()
        };
        let (grids, _) = read_grids(&path, &reading).expect("counties");
        let d = District::new(vec![], grids, vec![], vec![]).expect("counties");
        sets.push(Set {
            name: "counties",
            district: d,
        });
    }
    let build_secs = t.elapsed().as_secs_f64();
    // The large city with its households as a dataset folder, for `wangge load` into PostGIS.
    let households = if quick { 200_000 } else { 5_000_000 };
    write_city(&out.join("citydata"), nx, ny, households);
    let city_households = households;
    // Tiles of the demo district for the HTTP runs (the service seeds the demo).
    let demo_ext = sets[0].district.extent().expect("extent");
    let mut list = String::new();
    for z in 13..=16u8 {
        let range = wangge_tiles::math::tiles_covering(demo_ext, z, 0, 4096).expect("tiles");
        for t in range.iter() {
            let _ = writeln!(list, "{}/{}/{}", t.z(), t.x(), t.y());
        }
    }
    std::fs::write(out.join("tunxi.tiles.txt"), list).expect("tile list");

    let mut result = serde_json::Map::new();
    result.insert("build_seconds".into(), json!(build_secs));
    result.insert("city_households".into(), json!(city_households));
    result.insert(
        "threads".into(),
        json!(std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)),
    );
    let mut b = serde_json::Map::new();
    for s in &sets {
        b.insert(s.name.into(), batch(s, &out, npoints, nboundary));
    }
    result.insert("batch".into(), Value::Object(b));
    let city_set = sets.iter_mut().find(|s| s.name == "city").expect("city");
    result.insert(
        "city_grids".into(),
        json!(city_set.district.all_versions().len()),
    );
    result.insert("tiles".into(), tiles(&city_set.district, &out, quick));
    result.insert("validation".into(), validation(&city_set.district, &out));
    result.insert("incremental".into(), incremental(&mut city_set.district));
    std::fs::write(
        out.join("wangge.json"),
        serde_json::to_string_pretty(&Value::Object(result)).expect("json"),
    )
    .expect("wangge.json");
}
