//! The demo district generator: 屯溪区 (341002) with invented but consistent towns, communities,
//! grids and buildings, built on the real outline and the real division codes.
//!
//! [`generate`] is pure and deterministic: it reads two strings and returns data (no I/O, no
//! clock; randomness comes from ChaCha8 streams seeded from fixed numbers and the area codes, and
//! everything is iterated in sorted order). Geometry is built from cells whose corners lie on the
//! engine's 1e-7° lattice and is combined only with the lattice's exact overlay, so every level
//! tiles the one above it with bit-identical shared edges:
//!
//! - [`source`]: parsing the outline and the division tree;
//! - [`partition`]: the cell lattice and region growing;
//! - [`grids`]: the town/community/base-grid layout, base and composite grid records, history;
//! - [`buildings`]: buildings, micro and special grids, households and grid status;
//! - [`codes`]: code rules and numbering;
//! - [`city`]: a synthetic large city for benchmarks (not part of the demo);
//! - [`helsinki`]: square base grids over the real Helsinki buildings.

pub mod buildings;
pub mod city;
pub mod codes;
pub mod grids;
pub mod helsinki;
pub mod partition;
pub mod source;

use chrono::NaiveDate;
use geo::{Coord, MultiPolygon};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::fmt;
use wangge_engine::datum::gcj02_to_wgs84;
use wangge_engine::lattice::{self, OverlayError};
use wangge_engine::prepared::PreparedPolygon;
use wangge_engine::{AdminArea, AdminLevel, AreaKind, Building, Grid, Household};

/// The fixed seed of every random stream.
pub const SEED: u64 = 0x7775_6e78_6932_3032; // arbitrary; changing it redraws the whole demo
/// Current grid versions start here.
pub const VALID_FROM: NaiveDate = match NaiveDate::from_ymd_opt(2024, 1, 1) {
    Some(d) => d,
    None => panic!("valid date"),
};
/// Earlier versions of redrawn grids start here.
pub const HISTORY_FROM: NaiveDate = match NaiveDate::from_ymd_opt(2023, 1, 1) {
    Some(d) => d,
    None => panic!("valid date"),
};
/// The city centre of Tunxi in WGS84; the streets (街道) are grown around it.
pub const CITY_CENTRE: Coord<f64> = Coord {
    x: 118.31,
    y: 29.71,
};

/// The generated district.
#[derive(Debug, Clone, PartialEq)]
pub struct Demo {
    pub areas: Vec<AdminArea>,
    pub grids: Vec<Grid>,
    pub buildings: Vec<Building>,
    /// Empty: buildings carry household counts; individual households are not generated.
    pub households: Vec<Household>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum DemoError {
    /// The outline GeoJSON is unreadable or has no polygon.
    Outline(String),
    /// The division JSON is unreadable or its codes are malformed.
    Divisions(String),
    Overlay(OverlayError),
    /// The outline is too small or oddly shaped for the layout rules.
    Layout(String),
}

impl fmt::Display for DemoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DemoError::Outline(m) => write!(f, "district outline: {m}"),
            DemoError::Divisions(m) => write!(f, "division codes: {m}"),
            DemoError::Overlay(e) => write!(f, "overlay: {e}"),
            DemoError::Layout(m) => write!(f, "layout: {m}"),
        }
    }
}

impl std::error::Error for DemoError {}

impl From<OverlayError> for DemoError {
    fn from(e: OverlayError) -> Self {
        DemoError::Overlay(e)
    }
}

/// A random stream of its own for each area code and purpose, so that changing one area's
/// generation does not reshuffle every other area.
pub(crate) fn rng_for(code: &str, purpose: u64) -> ChaCha8Rng {
    let n: u64 = code
        .bytes()
        .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
    ChaCha8Rng::seed_from_u64(
        SEED ^ n.rotate_left(17) ^ purpose.wrapping_mul(0x9e37_79b9_7f4a_7c15),
    )
}

/// The GCJ-02 outline converted vertex by vertex to WGS84, snapped to the lattice and cleaned by
/// an exact union (which also resolves the pinch points of the quantised source), rings oriented
/// counter-clockwise with clockwise holes.
pub fn outline_wgs84(gcj: &MultiPolygon<f64>) -> Result<MultiPolygon<f64>, DemoError> {
    use geo::MapCoords;
    let wgs = gcj.map_coords(|c| lattice::snap(gcj02_to_wgs84(c)));
    let clean = lattice::union_all([&lattice::snap_multipolygon(&wgs)])?;
    Ok(wangge_engine::district::normalise(&clean))
}

/// Generates the demo district from the outline GeoJSON (GCJ-02) and the division tree.
pub fn generate(outline_geojson: &str, divisions_json: &str) -> Result<Demo, DemoError> {
    let root = source::parse_divisions(divisions_json)?;
    let district = outline_wgs84(&source::parse_outline(outline_geojson)?)?;
    if !PreparedPolygon::new(&district).contains(CITY_CENTRE) {
        return Err(DemoError::Layout(
            "the city centre is outside the outline".into(),
        ));
    }
    let cells = partition::CellGrid::build(&district)?;
    let towns = grids::plan(&cells, &root, CITY_CENTRE)?;

    let communities: Vec<&grids::CommunityPlan> =
        towns.iter().flat_map(|t| &t.communities).collect();
    let populated = buildings::populate(&cells, &communities);

    let all: Vec<usize> = (0..cells.cells.len()).collect();
    let mut areas = vec![AdminArea {
        code: root.code.clone(),
        name: root.name.clone(),
        level: AdminLevel::District,
        parent: None,
        kind: AreaKind::Urban,
        geometry: Some(cells.union(&all)?),
    }];
    let mut out_grids = Vec::new();
    for t in &towns {
        areas.push(AdminArea {
            code: t.division.code.clone(),
            name: t.division.name.clone(),
            level: AdminLevel::Town,
            parent: Some(root.code.clone()),
            kind: t.kind,
            geometry: Some(cells.union(&t.cells)?),
        });
    }
    for (c, info) in communities.iter().zip(&populated.info) {
        areas.push(AdminArea {
            code: c.division.code.clone(),
            name: c.division.name.clone(),
            level: AdminLevel::Community,
            parent: Some(c.division.code[..9].to_string()),
            kind: c.kind,
            geometry: Some(cells.union(&c.cells)?),
        });
        out_grids.extend(grids::base_grids(&cells, c, info)?);
        out_grids.extend(grids::composites(&cells, c));
    }
    out_grids.extend(populated.children);
    out_grids.sort_by(|a, b| a.code.cmp(&b.code).then(a.version.cmp(&b.version)));
    areas.sort_by(|a, b| a.code.cmp(&b.code));
    Ok(Demo {
        areas,
        grids: out_grids,
        buildings: populated.buildings,
        households: vec![],
    })
}

#[cfg(test)]
mod tests;
