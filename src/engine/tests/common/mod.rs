//! Shared fixtures for the engine's integration tests: exact random partitions.
#![allow(dead_code)]

use chrono::NaiveDate;
use geo::{Coord, LineString, MultiPolygon, Polygon};
use wangge_engine::{AdminArea, AdminLevel, AreaKind, District, Grid, Layer};

pub(crate) const X0: f64 = 118.30;
pub(crate) const Y0: f64 = 29.70;
pub(crate) const STEP: f64 = 0.001; // about 100 m

/// An `nx` × `ny` mesh whose interior vertices are jittered: quads with slanted shared edges that
/// tile the rectangle exactly (neighbours use the very same vertex values).
pub(crate) fn mesh(nx: usize, ny: usize, jitter: &[(i32, i32)]) -> Vec<Vec<Coord<f64>>> {
    let mut v = vec![vec![Coord { x: 0.0, y: 0.0 }; ny + 1]; nx + 1];
    for (i, col) in v.iter_mut().enumerate() {
        for (j, c) in col.iter_mut().enumerate() {
            let interior = i > 0 && i < nx && j > 0 && j < ny;
            let (dx, dy) = if interior {
                jitter[(i * 31 + j * 17) % jitter.len()]
            } else {
                (0, 0)
            };
            // Jitter is a whole number of lattice units (1e-7°), up to ±30 % of a cell.
            let ux = ((X0 + i as f64 * STEP) * 1e7).round() as i64 + dx as i64;
            let uy = ((Y0 + j as f64 * STEP) * 1e7).round() as i64 + dy as i64;
            *c = Coord {
                x: ux as f64 / 1e7,
                y: uy as f64 / 1e7,
            };
        }
    }
    v
}

pub(crate) fn quads(v: &[Vec<Coord<f64>>]) -> Vec<MultiPolygon<f64>> {
    let (nx, ny) = (v.len() - 1, v[0].len() - 1);
    let mut out = Vec::new();
    for i in 0..nx {
        for j in 0..ny {
            let ring = vec![v[i][j], v[i + 1][j], v[i + 1][j + 1], v[i][j + 1], v[i][j]];
            out.push(MultiPolygon(vec![Polygon::new(LineString(ring), vec![])]));
        }
    }
    out
}

pub(crate) fn grid(id: &str, geometry: MultiPolygon<f64>) -> Grid {
    let from = NaiveDate::from_ymd_opt(2024, 1, 1).expect("date");
    Grid::new(id, Layer::Base, Some("C1"), geometry, from)
}

pub(crate) fn district_of(polys: &[MultiPolygon<f64>], outline: MultiPolygon<f64>) -> District {
    let community = AdminArea {
        code: "C1".into(),
        name: "community".into(),
        level: AdminLevel::Community,
        parent: None,
        kind: AreaKind::Urban,
        geometry: Some(outline),
    };
    let grids = polys
        .iter()
        .enumerate()
        .map(|(i, p)| grid(&format!("G{i:03}"), p.clone()))
        .collect();
    District::new(vec![community], grids, vec![], vec![]).expect("district")
}

pub(crate) fn outline(nx: usize, ny: usize) -> MultiPolygon<f64> {
    let (x1, y1) = (X0 + nx as f64 * STEP, Y0 + ny as f64 * STEP);
    MultiPolygon(vec![Polygon::new(
        LineString::from(vec![(X0, Y0), (x1, Y0), (x1, y1), (X0, y1), (X0, Y0)]),
        vec![],
    )])
}
