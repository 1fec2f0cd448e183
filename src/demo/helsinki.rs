//! A base-grid layer for the real Helsinki buildings: square grids of a given size (metres) over
//! the buildings' extent, on the lattice, so real footprints can be assigned by area.

use geo::{BoundingRect, LineString, MultiPolygon, Polygon, Rect};
use wangge_engine::{AdminArea, AdminLevel, AreaKind, Building, Footprint, Grid, Layer};

/// The community code the Helsinki grids belong to.
pub const COMMUNITY: &str = "HEL";

fn extent(buildings: &[Building]) -> Option<Rect<f64>> {
    buildings
        .iter()
        .filter_map(|b| match &b.footprint {
            Footprint::Polygon(p) => p.bounding_rect(),
            Footprint::Point(p) => Some(Rect::new(p.0, p.0)),
        })
        .reduce(wangge_engine::index::union_rect)
}

/// Square base grids of about `size_m` metres covering every building, and their community
/// (the union of the grids, so the layer tiles it exactly).
pub fn grids_over(buildings: &[Building], size_m: f64) -> (AdminArea, Vec<Grid>) {
    let lattice = |v: f64| (v * 1e7).round() / 1e7;
    let Some(ext) = extent(buildings) else {
        return (community(None), vec![]);
    };
    let dy = size_m / 111_320.0;
    let dx = dy / ext.center().y.to_radians().cos();
    let nx = ((ext.width() / dx).ceil() as usize).max(1);
    let ny = ((ext.height() / dy).ceil() as usize).max(1);
    let x = |i: usize| lattice(ext.min().x + i as f64 * dx);
    let y = |j: usize| lattice(ext.min().y + j as f64 * dy);
    let mut grids = Vec::with_capacity(nx * ny);
    for i in 0..nx {
        for j in 0..ny {
            let id = format!("{COMMUNITY}{:03}", i * ny + j + 1);
            let ring = LineString::from(vec![
                (x(i), y(j)),
                (x(i + 1), y(j)),
                (x(i + 1), y(j + 1)),
                (x(i), y(j + 1)),
                (x(i), y(j)),
            ]);
            grids.push(Grid::new(
                &id,
                Layer::Base,
                Some(COMMUNITY),
                MultiPolygon(vec![Polygon::new(ring, vec![])]),
                chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap_or_default(),
            ));
        }
    }
    let outline = LineString::from(vec![
        (x(0), y(0)),
        (x(nx), y(0)),
        (x(nx), y(ny)),
        (x(0), y(ny)),
        (x(0), y(0)),
    ]);
    (
        community(Some(MultiPolygon(vec![Polygon::new(outline, vec![])]))),
        grids,
    )
}

fn community(geometry: Option<MultiPolygon<f64>>) -> AdminArea {
    AdminArea {
        code: COMMUNITY.into(),
        name: "Helsinki centre (OSM)".into(),
        level: AdminLevel::Community,
        parent: None,
        kind: AreaKind::Urban,
        geometry,
    }
}
