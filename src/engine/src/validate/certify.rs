//! An edge certificate that a community is tiled exactly, so the overlay-based coverage checks
//! can skip it.
//!
//! Why: computing gaps, sibling overlaps and community crossings runs an exact overlay per
//! community and per neighbouring pair, which was most of a whole-layer validation (perf: about
//! half the samples in i_overlay on the 50,000-grid city). In a correct district almost every
//! community is tiled exactly, and that can be proved without overlay:
//!
//! Let w = Σ 1_g − 1_C over the community C and its base grids g, each a valid polygon whose
//! shells run counter-clockwise and holes clockwise. Crossing a directed boundary segment from
//! its right to its left changes w by the segment's net multiplicity: +1 for each grid using it
//! in that direction, −1 for each grid using it the other way, and the opposite for C's outline.
//! If every segment's net multiplicity is zero, w has no jumps anywhere, so it equals its value
//! far away: 0. Then the grids cover C with no gap and no overlap of positive area, and no grid
//! reaches outside C — exactly what the gap, overlap and crossing checks would find nothing of.
//! Segments are compared bit for bit, which is sound because the district keeps coordinates on
//! the lattice and neighbours share identical vertices; anything else (a T-junction, a moved
//! vertex, a ring touching itself) leaves a segment unmatched and the community is checked the
//! slow way, so the certificate never hides a problem — it can only fail to apply.

use super::common::{rects_meet, Ctx};
use crate::index::union_rect;
use crate::model::{AdminArea, Layer};
use geo::{LineString, MultiPolygon, Rect};

type Point = (u64, u64);

fn key(c: geo::Coord<f64>) -> Point {
    // `+ 0.0` turns −0.0 into 0.0 so equal coordinates have equal bits.
    ((c.x + 0.0).to_bits(), (c.y + 0.0).to_bits())
}

/// Twice the signed area (shoelace); positive when counter-clockwise.
fn signed_area2(ring: &LineString<f64>) -> f64 {
    ring.0
        .windows(2)
        .map(|w| w[0].x * w[1].y - w[1].x * w[0].y)
        .sum()
}

/// Adds `sign` times the ring's segments, each counted in the direction that puts the polygon's
/// inside on the left (counter-clockwise shells, clockwise holes).
fn add_ring(net: &mut Vec<((Point, Point), i32)>, ring: &LineString<f64>, hole: bool, sign: i32) {
    let ccw = signed_area2(ring) > 0.0;
    // Walking a shell counter-clockwise (or a hole clockwise) keeps the inside on the left.
    let forward = ccw != hole;
    for w in ring.0.windows(2) {
        let (a, b) = (key(w[0]), key(w[1]));
        if a == b {
            continue;
        }
        let (a, b) = if forward { (a, b) } else { (b, a) };
        // One entry per undirected segment: the lower point first, the sign carries direction.
        let (k, s) = if a < b {
            ((a, b), sign)
        } else {
            ((b, a), -sign)
        };
        net.push((k, s));
    }
}

fn add_polygons(net: &mut Vec<((Point, Point), i32)>, mp: &MultiPolygon<f64>, sign: i32) {
    for p in &mp.0 {
        add_ring(net, p.exterior(), false, sign);
        for h in p.interiors() {
            add_ring(net, h, true, sign);
        }
    }
}

/// What the certificate says about one community.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Certificate {
    /// Tiled exactly: no gap, sibling overlap or crossing anywhere in it.
    Exact,
    /// Not proved; every gap, sibling overlap and crossing lies inside one of these boxes.
    ///
    /// Why: w (above) only jumps across the unmatched segments U, so w ≠ 0 only in bounded
    /// pieces of the plane that U encloses, and each such piece lies in the box of one
    /// connected part of U. Parts are found by shared endpoints and then merged while their
    /// boxes meet (segments of different parts may cross), which can only make boxes larger.
    Within(Vec<Rect<f64>>),
    /// Not proved and not located (an invalid grid or outline): check everything.
    Unknown,
}

/// The edge certificate of the base grids with `community` as parent (visible on the run's
/// date) against its outline.
pub(super) fn certify(ctx: &Ctx, community: &AdminArea) -> Certificate {
    let Some(outline) = &community.geometry else {
        return Certificate::Unknown;
    };
    if !crate::validity::is_valid(outline) {
        return Certificate::Unknown;
    }
    // A sorted list rather than a hash map: the segments are summed once, and sorting them was
    // faster than SipHash-ing them (perf on the 50,000-grid city).
    let mut net: Vec<((Point, Point), i32)> = Vec::new();
    add_polygons(&mut net, outline, -1);
    for s in ctx.d.slots_with_parent(&community.code) {
        let g = ctx.grid(s);
        if g.layer != Layer::Base || !ctx.d.visible(s, ctx.as_of) {
            continue;
        }
        if !ctx.is_valid(s) {
            return Certificate::Unknown;
        }
        add_polygons(&mut net, &g.geometry, 1);
    }
    net.sort_unstable_by_key(|e| e.0);
    let unmatched: Vec<(Point, Point)> = net
        .chunk_by(|a, b| a.0 == b.0)
        .filter(|run| run.iter().map(|e| e.1).sum::<i32>() != 0)
        .map(|run| run[0].0)
        .collect();
    if unmatched.is_empty() {
        Certificate::Exact
    } else {
        Certificate::Within(part_boxes(&unmatched))
    }
}

/// Boxes of the connected parts of the unmatched segments, merged while they meet.
fn part_boxes(segments: &[(Point, Point)]) -> Vec<Rect<f64>> {
    let coord = |p: Point| geo::Coord {
        x: f64::from_bits(p.0),
        y: f64::from_bits(p.1),
    };
    // Union-find over the segments, joined through shared endpoints.
    let mut parent: Vec<usize> = (0..segments.len()).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let mut by_end: Vec<(Point, usize)> = segments
        .iter()
        .enumerate()
        .flat_map(|(i, (a, b))| [(*a, i), (*b, i)])
        .collect();
    by_end.sort_unstable();
    for run in by_end.chunk_by(|x, y| x.0 == y.0) {
        for w in run.windows(2) {
            let (ra, rb) = (root(&mut parent, w[0].1), root(&mut parent, w[1].1));
            parent[ra] = rb;
        }
    }
    let mut boxes: Vec<(usize, Rect<f64>)> = Vec::new();
    for (i, (a, b)) in segments.iter().enumerate() {
        let r = root(&mut parent, i);
        let seg = Rect::new(coord(*a), coord(*b));
        match boxes.iter_mut().find(|(k, _)| *k == r) {
            Some((_, bx)) => *bx = union_rect(*bx, seg),
            None => boxes.push((r, seg)),
        }
    }
    let mut boxes: Vec<Rect<f64>> = boxes.into_iter().map(|(_, r)| r).collect();
    // Merge boxes that meet until none do (a handful per community).
    loop {
        let mut merged = false;
        'outer: for i in 0..boxes.len() {
            for j in i + 1..boxes.len() {
                if rects_meet(boxes[i], boxes[j]) {
                    let b = boxes.swap_remove(j);
                    boxes[i] = union_rect(boxes[i], b);
                    merged = true;
                    break 'outer;
                }
            }
        }
        if !merged {
            return boxes;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AdminLevel, AreaKind, Grid, GridId, GridStatus};
    use crate::validate::config::Config;
    use crate::validate::{crosses, gaps, overlaps};
    use crate::District;
    use chrono::NaiveDate;
    use geo::{Coord, Polygon};
    use proptest::prelude::*;

    const CODE: &str = "341002001001";

    /// An `n` × `n` mesh of jittered lattice vertices (no T-junctions: neighbours share every
    /// vertex), as grids, and the community outline through every boundary vertex.
    fn mesh(n: usize, jitter: &[(i8, i8)]) -> (Vec<Vec<Coord<f64>>>, AdminArea) {
        let mut v = vec![vec![Coord { x: 0.0, y: 0.0 }; n + 1]; n + 1];
        for (i, col) in v.iter_mut().enumerate() {
            for (j, c) in col.iter_mut().enumerate() {
                let inside = i > 0 && j > 0 && i < n && j < n;
                let (dx, dy) = if inside {
                    jitter[(i * (n + 1) + j) % jitter.len()]
                } else {
                    (0, 0)
                };
                *c = Coord {
                    x: 118.0 + (i as f64 * 1000.0 + f64::from(dx) * 10.0) * 1e-7,
                    y: 29.0 + (j as f64 * 1000.0 + f64::from(dy) * 10.0) * 1e-7,
                };
            }
        }
        let mut cells = Vec::new();
        for i in 0..n {
            for j in 0..n {
                cells.push(vec![
                    v[i][j],
                    v[i + 1][j],
                    v[i + 1][j + 1],
                    v[i][j + 1],
                    v[i][j],
                ]);
            }
        }
        let mut outline: Vec<Coord<f64>> = (0..n).map(|i| v[i][0]).collect();
        outline.extend((0..n).map(|j| v[n][j]));
        outline.extend((0..n).map(|i| v[n - i][n]));
        outline.extend((0..n).map(|j| v[0][n - j]));
        outline.push(v[0][0]);
        let area = AdminArea {
            code: CODE.into(),
            name: CODE.into(),
            level: AdminLevel::Community,
            parent: None,
            kind: AreaKind::Urban,
            geometry: Some(MultiPolygon(vec![Polygon::new(
                LineString(outline),
                vec![],
            )])),
        };
        (cells, area)
    }

    fn grid(k: usize, ring: Vec<Coord<f64>>) -> Grid {
        Grid {
            id: GridId::from(format!("{CODE}{k:03}").as_str()),
            code: format!("{CODE}{k:03}"),
            name: format!("grid {k}"),
            layer: Layer::Base,
            parent: Some(CODE.into()),
            kind: AreaKind::Urban,
            status: GridStatus::Active,
            category: None,
            network: None,
            members: vec![],
            properties: Default::default(),
            geometry: MultiPolygon(vec![Polygon::new(LineString(ring), vec![])]),
            valid_from: NaiveDate::from_ymd_opt(2024, 1, 1).expect("date"),
            valid_to: None,
            version: 1,
        }
    }

    /// What the overlay checks find in the community, run without the certificate: gaps, and
    /// the overlaps and crossings of the given base grids.
    fn findings_of(d: &District, base: &[u32]) -> usize {
        let config = Config::default();
        let ctx = Ctx::new(d, None, &config);
        let community = d.area(CODE).expect("community");
        gaps::community_gaps(&ctx, community).len()
            + overlaps::overlaps(&ctx, base).len()
            + crosses::crossing_community(&ctx, base).len()
    }

    fn overlay_findings(d: &District) -> usize {
        let base: Vec<u32> = d.slots_with_parent(CODE).collect();
        findings_of(d, &base)
    }

    fn certificate(d: &District) -> Certificate {
        let config = Config::default();
        let ctx = Ctx::new(d, None, &config);
        certify(&ctx, d.area(CODE).expect("community"))
    }

    fn certified(d: &District) -> bool {
        certificate(d) == Certificate::Exact
    }

    #[test]
    fn an_exact_mesh_is_certified_and_the_overlay_agrees() {
        let (cells, area) = mesh(6, &[(3, -2), (-4, 1), (0, 4), (2, 2)]);
        let grids = cells
            .into_iter()
            .enumerate()
            .map(|(k, r)| grid(k, r))
            .collect();
        let d = District::new(vec![area], grids, vec![], vec![]).expect("district");
        assert!(certified(&d));
        assert_eq!(overlay_findings(&d), 0);
    }

    #[test]
    fn a_grid_with_a_vertex_on_a_neighbours_edge_is_not_certified() {
        // Splitting one cell in two puts a T-junction on its neighbours' edges: exact, but not
        // provable segment by segment, so the overlay decides.
        let (mut cells, area) = mesh(3, &[(0, 0)]);
        let c = cells.remove(4);
        let mid = |a: Coord<f64>, b: Coord<f64>| Coord {
            x: ((a.x + b.x) * 0.5 * 1e7).round() / 1e7,
            y: ((a.y + b.y) * 0.5 * 1e7).round() / 1e7,
        };
        let (m0, m1) = (mid(c[0], c[1]), mid(c[3], c[2]));
        cells.push(vec![c[0], m0, m1, c[3], c[0]]);
        cells.push(vec![m0, c[1], c[2], m1, m0]);
        let grids = cells
            .into_iter()
            .enumerate()
            .map(|(k, r)| grid(k, r))
            .collect();
        let d = District::new(vec![area], grids, vec![], vec![]).expect("district");
        assert!(!certified(&d));
        assert_eq!(overlay_findings(&d), 0);
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

        /// Soundness: whatever is done to one grid, the certificate only holds where the
        /// overlay checks find nothing; and the undamaged mesh is always certified.
        #[test]
        fn the_certificate_never_hides_what_the_overlay_finds(
            jitter in proptest::collection::vec((-30i8..30, -30i8..30), 1..20),
            victim in 0usize..16,
            corner in 0usize..4,
            shift in (-2000i32..2000, -2000i32..2000),
            damage in 0u8..4,
        ) {
            let (mut cells, area) = mesh(4, &jitter);
            let clean: Vec<Grid> = cells.iter().cloned().enumerate().map(|(k, r)| grid(k, r)).collect();
            let d = District::new(vec![area.clone()], clean, vec![], vec![]).expect("district");
            prop_assert!(certified(&d));
            let ring = &mut cells[victim];
            match damage {
                // Move one vertex of one grid only.
                0 => {
                    ring[corner].x += f64::from(shift.0) * 1e-7;
                    ring[corner].y += f64::from(shift.1) * 1e-7;
                    if corner == 0 {
                        ring[4] = ring[0];
                    }
                }
                // Shift the whole grid.
                1 => {
                    for c in ring.iter_mut() {
                        c.x += f64::from(shift.0) * 1e-7;
                        c.y += f64::from(shift.1) * 1e-7;
                    }
                }
                // Drop the grid.
                2 => ring.clear(),
                // Duplicate the grid under another code.
                _ => {
                    let copy = ring.clone();
                    cells.push(copy);
                }
            }
            let grids: Vec<Grid> = cells
                .into_iter()
                .enumerate()
                .filter(|(_, r)| !r.is_empty())
                .map(|(k, r)| grid(k, r))
                .collect();
            let d = District::new(vec![area], grids, vec![], vec![]).expect("district");
            let findings = overlay_findings(&d);
            match certificate(&d) {
                Certificate::Exact => prop_assert_eq!(findings, 0),
                // Only grids meeting the boxes are checked for overlaps and crossings, and that
                // must find everything checking all of them finds.
                Certificate::Within(boxes) => {
                    let near: Vec<u32> = d
                        .slots_with_parent(CODE)
                        .filter(|&s| {
                            geo::BoundingRect::bounding_rect(&d.slot(s).geometry)
                                .is_some_and(|r| boxes.iter().any(|b| rects_meet(*b, r)))
                        })
                        .collect();
                    prop_assert_eq!(findings_of(&d, &near), findings);
                }
                Certificate::Unknown => {}
            }
            let moved = shift != (0, 0);
            if damage >= 2 || (moved && findings > 0) {
                prop_assert!(!certified(&d));
            }
        }
    }
}
