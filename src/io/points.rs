//! Point files for batch lookup: CSV with longitude/latitude columns, or GeoJSON points.

use super::features::{parse_feature_collection, position};
use super::{read_text, InputError, InputErrorKind, Result};
use geo::Coord;
use geojson::GeometryValue;
use std::path::Path;

/// Input rows: their columns (kept for the output) and the position.
#[derive(Debug, Clone, Default)]
pub struct PointTable {
    pub columns: Vec<String>,
    pub rows: Vec<(Vec<String>, Coord<f64>)>,
}

pub fn read_points(path: &Path, lon_field: &str, lat_field: &str) -> Result<PointTable> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    match ext.as_str() {
        "csv" => read_csv(path, lon_field, lat_field),
        "geojson" | "json" => read_geojson(path),
        _ => Err(InputError::new(format!(
            "{}: unsupported point file (use .csv or .geojson)",
            path.display()
        ))),
    }
}

fn read_csv(path: &Path, lon_field: &str, lat_field: &str) -> Result<PointTable> {
    let source = path.display().to_string();
    let mut reader = csv::Reader::from_path(path).map_err(|e| {
        InputError::from(InputErrorKind::CsvOpen {
            path: source.clone(),
            source: e,
        })
    })?;
    let columns: Vec<String> = reader
        .headers()
        .map_err(|e| InputError::from(InputErrorKind::Csv { source: e }).at(&source))?
        .iter()
        .map(str::to_string)
        .collect();
    let find = |name: &str| {
        columns.iter().position(|c| c == name).ok_or_else(|| {
            InputError::new(format!(
                "{source}: column \"{name}\" not found (columns: {})",
                columns.join(", ")
            ))
        })
    };
    let (lon_i, lat_i) = (find(lon_field)?, find(lat_field)?);
    let mut rows = Vec::new();
    for (n, record) in reader.records().enumerate() {
        let place = || format!("{source}: row {}", n + 2);
        let at = |msg: String| InputError::new(msg).at(place());
        let record =
            record.map_err(|e| InputError::from(InputErrorKind::Csv { source: e }).at(place()))?;
        let num = |i: usize, field: &str| -> Result<f64> {
            let s = record.get(i).unwrap_or_default().trim();
            s.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| at(format!("{field} \"{s}\" is not a number")))
        };
        let (x, y) = (num(lon_i, lon_field)?, num(lat_i, lat_field)?);
        let c = position(&geojson::Position::from(vec![x, y])).map_err(|e| e.at(place()))?;
        rows.push((record.iter().map(str::to_string).collect(), c));
    }
    Ok(PointTable { columns, rows })
}

fn read_geojson(path: &Path) -> Result<PointTable> {
    let source = path.display().to_string();
    let fc = parse_feature_collection(&read_text(path)?, &source)?;
    let mut columns: Vec<String> = vec!["id".into()];
    for f in &fc.features {
        for k in f.properties.iter().flat_map(|p| p.keys()) {
            if !columns.contains(k) {
                columns.push(k.clone());
            }
        }
    }
    columns.extend(["lon".to_string(), "lat".to_string()]);
    let mut rows = Vec::with_capacity(fc.features.len());
    for (i, f) in fc.features.iter().enumerate() {
        let place = || format!("{source}: feature {i}");
        let at = |msg: String| InputError::geometry(msg).at(place());
        let c = match f.geometry.as_ref().map(|g| &g.value) {
            Some(GeometryValue::Point { coordinates }) => {
                position(coordinates).map_err(|e| e.at(place()))?
            }
            Some(other) => {
                return Err(at(format!(
                    "geometry type {} is not a Point",
                    other.type_name()
                )))
            }
            None => return Err(at("geometry is missing (null)".into())),
        };
        let id = match &f.id {
            Some(geojson::feature::Id::String(s)) => s.clone(),
            Some(geojson::feature::Id::Number(n)) => n.to_string(),
            None => String::new(),
        };
        let mut values = vec![id];
        for col in &columns[1..columns.len() - 2] {
            let v = f.properties.as_ref().and_then(|p| p.get(col));
            values.push(match v {
                None | Some(serde_json::Value::Null) => String::new(),
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(other) => other.to_string(),
            });
        }
        values.push(c.x.to_string());
        values.push(c.y.to_string());
        rows.push((values, c));
    }
    Ok(PointTable { columns, rows })
}
