//! Where a command's grids come from: a dataset folder (the demo by default) or a plain GeoJSON
//! file of polygons treated as one base-grid layer with no admin hierarchy.

use crate::io::dataset::{load_dir, read_buildings, read_grids, Dataset};
use crate::io::features::GridReading;
use crate::io::Result;
use clap::Args;
use std::path::PathBuf;
use wangge_engine::validate::Problem;
use wangge_engine::District;

#[derive(Debug, Clone, Args)]
pub struct Source {
    /// Dataset folder (areas.geojson, grids.geojson, buildings.geojson); default: the demo
    #[arg(long, value_name = "DIR", conflicts_with = "grids")]
    pub data: Option<PathBuf>,
    /// A GeoJSON FeatureCollection of polygons, checked as one base-grid layer
    #[arg(long, value_name = "FILE")]
    pub grids: Option<PathBuf>,
    /// Property holding the grid id in --grids (default: the feature id)
    #[arg(long, value_name = "NAME", requires = "grids")]
    pub id_field: Option<String>,
    /// Buildings (GeoJSON polygons or points) to use with --grids
    #[arg(long, value_name = "FILE", requires = "grids")]
    pub buildings: Option<PathBuf>,
}

/// The demo dataset: `geodata/tunxi` under the working directory, else under the source tree.
pub(super) fn demo_dir() -> PathBuf {
    let local = PathBuf::from("geodata/tunxi");
    if local.join(crate::io::dataset::GRIDS).exists() {
        return local;
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("geodata/tunxi")
}

impl Source {
    pub fn load(&self) -> Result<(District, Vec<Problem>)> {
        let ds = match &self.grids {
            Some(path) => {
                let reading = GridReading {
                    id_field: self.id_field.clone(),
                    ..GridReading::default()
                };
                let (grids, reading_problems) = read_grids(path, &reading)?;
                let buildings = match &self.buildings {
                    Some(b) => read_buildings(b)?,
                    None => vec![],
                };
                Dataset {
                    grids,
                    buildings,
                    reading_problems,
                    ..Dataset::default()
                }
            }
            None => load_dir(&self.data.clone().unwrap_or_else(demo_dir))?,
        };
        ds.into_district()
    }
}
