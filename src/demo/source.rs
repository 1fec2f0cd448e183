//! Parsing the two inputs: the district outline (GeoJSON) and the division-code tree (JSON).
//!
//! The outline is read with serde_json rather than a GeoJSON object model: only the polygonal
//! coordinates are needed, and reading them directly gives precise errors for malformed input.

use super::DemoError;
use geo::{Coord, LineString, MultiPolygon, Polygon};
use serde::Deserialize;
use serde_json::Value;

/// One node of the division tree (district, town or community).
#[derive(Debug, Clone, Deserialize)]
pub struct Division {
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub short_name: Option<String>,
    #[serde(default)]
    pub children: Vec<Division>,
}

impl Division {
    /// The name without the 居委会/村委会 suffix (the source supplies it for communities).
    pub fn short(&self) -> &str {
        self.short_name.as_deref().unwrap_or(&self.name)
    }
}

/// Reads the division tree and checks the code shapes the generator relies on.
pub fn parse_divisions(json: &str) -> Result<Division, DemoError> {
    let root: Division =
        serde_json::from_str(json).map_err(|e| DemoError::Divisions(e.to_string()))?;
    check_code(&root.code, 6, None)?;
    if root.children.is_empty() {
        return Err(DemoError::Divisions(format!("{} has no towns", root.code)));
    }
    for town in &root.children {
        check_code(&town.code, 9, Some(&root.code))?;
        if town.children.is_empty() {
            return Err(DemoError::Divisions(format!(
                "town {} has no communities",
                town.code
            )));
        }
        for c in &town.children {
            check_code(&c.code, 12, Some(&town.code))?;
        }
    }
    Ok(root)
}

fn check_code(code: &str, len: usize, parent: Option<&str>) -> Result<(), DemoError> {
    let digits = code.len() == len && code.bytes().all(|b| b.is_ascii_digit());
    let nested = parent.is_none_or(|p| code.starts_with(p));
    if digits && nested {
        Ok(())
    } else {
        Err(DemoError::Divisions(format!(
            "code {code:?} is not {len} digits under {parent:?}"
        )))
    }
}

/// Every polygonal part of every feature (or bare geometry) in a GeoJSON document.
pub fn parse_outline(geojson: &str) -> Result<MultiPolygon<f64>, DemoError> {
    let doc: Value =
        serde_json::from_str(geojson).map_err(|e| DemoError::Outline(e.to_string()))?;
    let mut polygons = Vec::new();
    match doc.get("type").and_then(Value::as_str) {
        Some("FeatureCollection") => {
            let features = doc
                .get("features")
                .and_then(Value::as_array)
                .ok_or_else(|| DemoError::Outline("FeatureCollection without features".into()))?;
            for f in features {
                collect_geometry(f.get("geometry").unwrap_or(&Value::Null), &mut polygons)?;
            }
        }
        Some("Feature") => {
            collect_geometry(doc.get("geometry").unwrap_or(&Value::Null), &mut polygons)?
        }
        _ => collect_geometry(&doc, &mut polygons)?,
    }
    if polygons.is_empty() {
        return Err(DemoError::Outline("no polygon in the outline".into()));
    }
    Ok(MultiPolygon(polygons))
}

fn collect_geometry(g: &Value, out: &mut Vec<Polygon<f64>>) -> Result<(), DemoError> {
    let coords = g.get("coordinates");
    match (g.get("type").and_then(Value::as_str), coords) {
        (Some("Polygon"), Some(c)) => out.push(polygon(c)?),
        (Some("MultiPolygon"), Some(Value::Array(parts))) => {
            for p in parts {
                out.push(polygon(p)?);
            }
        }
        (t, _) => {
            return Err(DemoError::Outline(format!(
                "expected a Polygon or MultiPolygon geometry, found {t:?}"
            )))
        }
    }
    Ok(())
}

fn polygon(v: &Value) -> Result<Polygon<f64>, DemoError> {
    let rings = v
        .as_array()
        .ok_or_else(|| DemoError::Outline("polygon is not an array of rings".into()))?;
    let mut rings = rings.iter().map(ring);
    let exterior = rings
        .next()
        .ok_or_else(|| DemoError::Outline("polygon without rings".into()))??;
    Ok(Polygon::new(exterior, rings.collect::<Result<_, _>>()?))
}

fn ring(v: &Value) -> Result<LineString<f64>, DemoError> {
    let points = v
        .as_array()
        .ok_or_else(|| DemoError::Outline("ring is not an array".into()))?;
    let coords = points
        .iter()
        .map(|p| {
            let xy = p.as_array().filter(|a| a.len() >= 2);
            let x = xy.and_then(|a| a[0].as_f64());
            let y = xy.and_then(|a| a[1].as_f64());
            match (x, y) {
                (Some(x), Some(y)) if x.is_finite() && y.is_finite() => Ok(Coord { x, y }),
                _ => Err(DemoError::Outline(format!("bad position {p}"))),
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    if coords.len() < 4 {
        return Err(DemoError::Outline(format!(
            "ring with {} positions",
            coords.len()
        )));
    }
    Ok(LineString(coords))
}
