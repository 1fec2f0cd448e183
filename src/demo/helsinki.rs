//! A base-grid layer for the real Helsinki buildings: square grids of a given size (metres) over
//! the buildings' extent, on the lattice, so real footprints can be assigned by area.

use geo::{BoundingRect, Coord, LineString, MultiPolygon, Polygon, Rect};
use wangge_engine::{
    AdminArea, AdminLevel, AreaKind, Building, Footprint, Grid, GridId, GridStatus, Layer,
};

/// The community code the Helsinki grids belong to.
pub const COMMUNITY: &str = "HEL";

fn extent(buildings: &[Building]) -> Option<Rect<f64>> {
    buildings
        .iter()
        .filter_map(|b| match &b.footprint {
            Footprint::Polygon(p) => p.bounding_rect(),
            Footprint::Point(p) => Some(Rect::new(p.0, p.0)),
        })
        .reduce(|a, b| {
            Rect::new(
                Coord {
                    x: a.min().x.min(b.min().x),
                    y: a.min().y.min(b.min().y),
                },
                Coord {
                    x: a.max().x.max(b.max().x),
                    y: a.max().y.max(b.max().y),
                },
            )
        })
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
            grids.push(Grid {
                id: GridId(id.clone()),
                code: id.clone(),
                name: id,
                layer: Layer::Base,
                parent: Some(COMMUNITY.into()),
                kind: AreaKind::Urban,
                status: GridStatus::Active,
                category: None,
                network: None,
                members: vec![],
                properties: Default::default(),
                geometry: MultiPolygon(vec![Polygon::new(ring, vec![])]),
                valid_from: chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap_or_default(),
                valid_to: None,
                version: 1,
            });
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
