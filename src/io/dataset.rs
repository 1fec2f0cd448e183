//! A dataset folder: `areas.geojson`, `grids.geojson` (every layer and version),
//! `buildings.geojson` and an optional `households.csv` (id, building or lon/lat, residents).

use super::features::{
    area_from_feature, area_to_feature, building_from_feature, building_to_feature, collection,
    grid_from_feature, grid_to_feature, parse_feature_collection, GridReading,
};
use super::{read_text, InputError, InputErrorKind, Result};
use std::path::Path;
use wangge_engine::validate::Problem;
use wangge_engine::{AdminArea, Building, District, Grid, Household, HouseholdLocation};

pub const AREAS: &str = "areas.geojson";
pub const GRIDS: &str = "grids.geojson";
pub const BUILDINGS: &str = "buildings.geojson";
pub const HOUSEHOLDS: &str = "households.csv";

/// What a dataset holds before it becomes a [`District`].
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    pub areas: Vec<AdminArea>,
    pub grids: Vec<Grid>,
    pub buildings: Vec<Building>,
    pub households: Vec<Household>,
    /// Problems found while reading (unclosed rings), to be merged into validation reports.
    pub reading_problems: Vec<Problem>,
}

impl Dataset {
    pub fn into_district(self) -> Result<(District, Vec<Problem>)> {
        let district = District::new(self.areas, self.grids, self.buildings, self.households)
            .map_err(|source| InputError::from(InputErrorKind::Dataset { source }))?;
        Ok((district, self.reading_problems))
    }
}

pub fn load_dir(dir: &Path) -> Result<Dataset> {
    if !dir.is_dir() {
        return Err(InputError::new(format!(
            "{} is not a dataset folder",
            dir.display()
        )));
    }
    let mut ds = Dataset::default();
    let areas_path = dir.join(AREAS);
    if areas_path.exists() {
        ds.areas = read_areas(&areas_path)?;
    }
    let (grids, problems) = read_grids(&dir.join(GRIDS), &GridReading::default())?;
    ds.grids = grids;
    ds.reading_problems = problems;
    let buildings_path = dir.join(BUILDINGS);
    if buildings_path.exists() {
        ds.buildings = read_buildings(&buildings_path)?;
    }
    let households_path = dir.join(HOUSEHOLDS);
    if households_path.exists() {
        ds.households = read_households(&households_path)?;
    }
    Ok(ds)
}

pub fn read_areas(path: &Path) -> Result<Vec<AdminArea>> {
    let source = path.display().to_string();
    let fc = parse_feature_collection(&read_text(path)?, &source)?;
    fc.features
        .iter()
        .enumerate()
        .map(|(i, f)| area_from_feature(i, f).map_err(|e| e.at(&source)))
        .collect()
}

pub fn read_grids(path: &Path, reading: &GridReading) -> Result<(Vec<Grid>, Vec<Problem>)> {
    let source = path.display().to_string();
    let fc = parse_feature_collection(&read_text(path)?, &source)?;
    let mut grids = Vec::with_capacity(fc.features.len());
    let mut problems = Vec::new();
    for (i, f) in fc.features.iter().enumerate() {
        let (g, p) = grid_from_feature(i, f, reading).map_err(|e| e.at(&source))?;
        grids.push(g);
        problems.extend(p);
    }
    Ok((grids, problems))
}

pub fn read_buildings(path: &Path) -> Result<Vec<Building>> {
    let source = path.display().to_string();
    let fc = parse_feature_collection(&read_text(path)?, &source)?;
    fc.features
        .iter()
        .enumerate()
        .map(|(i, f)| building_from_feature(i, f).map_err(|e| e.at(&source)))
        .collect()
}

/// `households.csv`: columns `id`, `residents`, and either `building` or `lon` and `lat`.
pub fn read_households(path: &Path) -> Result<Vec<Household>> {
    let source = path.display().to_string();
    let mut reader = csv::Reader::from_path(path).map_err(|e| {
        InputError::from(InputErrorKind::CsvOpen {
            path: source.clone(),
            source: e,
        })
    })?;
    let headers = reader
        .headers()
        .map_err(|e| InputError::from(InputErrorKind::Csv { source: e }).at(&source))?
        .clone();
    let col = |name: &str| headers.iter().position(|h| h == name);
    let (id_col, res_col) = (col("id"), col("residents"));
    let (b_col, lon_col, lat_col) = (col("building"), col("lon"), col("lat"));
    let Some(id_col) = id_col else {
        return Err(InputError::new(format!(
            "{source}: column \"id\" is missing"
        )));
    };
    let mut out = Vec::new();
    for (row, record) in reader.records().enumerate() {
        let place = || format!("{source}: row {}", row + 2);
        let at = |msg: String| InputError::new(msg).at(place());
        let record =
            record.map_err(|e| InputError::from(InputErrorKind::Csv { source: e }).at(place()))?;
        let get = |c: Option<usize>| c.and_then(|c| record.get(c)).filter(|s| !s.is_empty());
        let residents = match get(res_col) {
            None => 0,
            Some(s) => s
                .parse()
                .map_err(|_| at(format!("residents \"{s}\" is not a whole number")))?,
        };
        let location = match (get(b_col), get(lon_col), get(lat_col)) {
            (Some(b), _, _) => HouseholdLocation::Building(b.to_string()),
            (None, Some(lon), Some(lat)) => {
                let x: f64 = lon
                    .parse()
                    .map_err(|_| at(format!("lon \"{lon}\" is not a number")))?;
                let y: f64 = lat
                    .parse()
                    .map_err(|_| at(format!("lat \"{lat}\" is not a number")))?;
                HouseholdLocation::Point(geo::Point::new(x, y))
            }
            _ => return Err(at("needs a building or lon and lat".into())),
        };
        out.push(Household {
            id: get(Some(id_col)).unwrap_or_default().to_string(),
            location,
            residents,
        });
    }
    Ok(out)
}

fn write_json(path: &Path, value: &impl serde::Serialize) -> Result<()> {
    let text = serde_json::to_string(value).map_err(|source| {
        InputError::from(InputErrorKind::Encode {
            path: path.display().to_string(),
            source,
        })
    })?;
    // One feature per line keeps diffs of the committed demo readable.
    let text = text.replace("},{\"type\":\"Feature\"", "},\n{\"type\":\"Feature\"");
    std::fs::write(path, text + "\n").map_err(|source| {
        InputErrorKind::Write {
            path: path.display().to_string(),
            source,
        }
        .into()
    })
}

pub fn write_dir(dir: &Path, ds: &Dataset) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|source| {
        InputError::from(InputErrorKind::CreateDir {
            path: dir.display().to_string(),
            source,
        })
    })?;
    write_json(
        &dir.join(AREAS),
        &collection(ds.areas.iter().map(area_to_feature).collect()),
    )?;
    write_json(
        &dir.join(GRIDS),
        &collection(ds.grids.iter().map(grid_to_feature).collect()),
    )?;
    write_json(
        &dir.join(BUILDINGS),
        &collection(ds.buildings.iter().map(building_to_feature).collect()),
    )?;
    if !ds.households.is_empty() {
        let path = dir.join(HOUSEHOLDS);
        let fail = |source: csv::Error| {
            InputError::from(InputErrorKind::CsvWrite {
                path: path.display().to_string(),
                source,
            })
        };
        let mut w = csv::Writer::from_path(&path).map_err(fail)?;
        w.write_record(["id", "building", "lon", "lat", "residents"])
            .map_err(fail)?;
        for h in &ds.households {
            let (b, lon, lat) = match &h.location {
                HouseholdLocation::Building(b) => (b.clone(), String::new(), String::new()),
                HouseholdLocation::Point(p) => {
                    (String::new(), p.x().to_string(), p.y().to_string())
                }
            };
            w.write_record([h.id.clone(), b, lon, lat, h.residents.to_string()])
                .map_err(fail)?;
        }
        w.flush().map_err(|source| {
            InputError::from(InputErrorKind::Write {
                path: path.display().to_string(),
                source,
            })
        })?;
    }
    Ok(())
}
