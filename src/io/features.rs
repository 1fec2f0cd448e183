//! GeoJSON features ↔ engine model (grids, admin areas, buildings).
//!
//! Polygons are read by hand rather than through geojson's `TryFrom` so that problems GIS staff
//! need to hear about — unclosed or degenerate rings, coordinates out of range — are caught with
//! the feature and ring named, instead of being silently closed by geo's constructors.

use super::{InputError, InputErrorKind, Result};
use chrono::NaiveDate;
use geo::{Coord, LineString, MultiPolygon, Point, Polygon};
use geojson::{Feature, FeatureCollection, GeometryValue, JsonObject, PolygonType, Position};
use serde_json::Value;
use wangge_engine::validate::{Measure, Problem, ProblemKind, Severity};
use wangge_engine::{
    AdminArea, AdminLevel, AreaKind, Building, Footprint, Grid, GridId, GridStatus, Layer,
    SpecialCategory,
};

/// The date a grid read without `valid_from` is valid from.
pub fn epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default()
}

pub fn parse_feature_collection(text: &str, source: &str) -> Result<FeatureCollection> {
    let value: Value = serde_json::from_str(text)
        .map_err(|e| InputError::from(InputErrorKind::Json { source: e }).at(source))?;
    match value.get("type").and_then(Value::as_str) {
        Some("FeatureCollection") => {}
        Some(other) => {
            return Err(InputError::new(format!(
                "{source}: expected a GeoJSON FeatureCollection, found type \"{other}\""
            )))
        }
        None => {
            return Err(InputError::new(format!(
                "{source}: expected a GeoJSON FeatureCollection (no \"type\" member)"
            )))
        }
    }
    serde_json::from_value(value)
        .map_err(|e| InputError::from(InputErrorKind::GeoJson { source: e }).at(source))
}

/// The grid fields a feature's properties carry; every other property is kept as a free one.
pub const GRID_FIELDS: &[&str] = &[
    "id",
    "code",
    "name",
    "layer",
    "parent",
    "kind",
    "status",
    "category",
    "network",
    "members",
    "valid_from",
    "valid_to",
    "version",
];

/// How to read a feature as a grid.
#[derive(Debug, Clone)]
pub struct GridReading {
    /// Property holding the grid id; `None`: the feature id, then the `id` property.
    pub id_field: Option<String>,
    /// Layer for features without a `layer` property.
    pub default_layer: Layer,
}

impl Default for GridReading {
    fn default() -> Self {
        GridReading {
            id_field: None,
            default_layer: Layer::Base,
        }
    }
}

/// A feature's label in messages: its position and id.
fn label(index: usize, f: &Feature) -> String {
    match feature_id(f) {
        Some(id) => format!("feature {index} (id {id})"),
        None => format!("feature {index}"),
    }
}

fn feature_id(f: &Feature) -> Option<String> {
    match &f.id {
        Some(geojson::feature::Id::String(s)) => Some(s.clone()),
        Some(geojson::feature::Id::Number(n)) => Some(n.to_string()),
        None => None,
    }
}

fn prop<'a>(f: &'a Feature, key: &str) -> Option<&'a Value> {
    f.properties.as_ref()?.get(key).filter(|v| !v.is_null())
}

fn prop_string(f: &Feature, key: &str) -> Result<Option<String>> {
    match prop(f, key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(other) => Err(InputError::new(format!(
            "property \"{key}\" must be a string, found {other}"
        ))),
    }
}

fn prop_u32(f: &Feature, key: &str) -> Result<Option<u32>> {
    match prop(f, key) {
        None => Ok(None),
        Some(v) => v
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| {
                InputError::new(format!(
                    "property \"{key}\" must be a whole number ≥ 0, found {v}"
                ))
            }),
    }
}

fn prop_date(f: &Feature, key: &str) -> Result<Option<NaiveDate>> {
    match prop_string(f, key)? {
        None => Ok(None),
        Some(s) => NaiveDate::parse_from_str(&s, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| {
                InputError::new(format!(
                    "property \"{key}\" must be a date YYYY-MM-DD, found \"{s}\""
                ))
            }),
    }
}

/// Reads polygonal geometry. Rings that are not closed are closed (so the grid can still be
/// checked) and reported through `problems`.
pub fn read_polygonal(f: &Feature, problems: &mut Vec<String>) -> Result<MultiPolygon<f64>> {
    let geometry = f
        .geometry
        .as_ref()
        .ok_or_else(|| InputError::geometry("geometry is missing (null)"))?;
    let polygons: Vec<&PolygonType> = match &geometry.value {
        GeometryValue::Polygon { coordinates } => vec![coordinates],
        GeometryValue::MultiPolygon { coordinates } => coordinates.iter().collect(),
        other => {
            return Err(InputError::geometry(format!(
                "geometry type {} is not a Polygon or MultiPolygon",
                other.type_name()
            )))
        }
    };
    let mut out = Vec::with_capacity(polygons.len());
    for (pi, rings) in polygons.into_iter().enumerate() {
        let mut converted = Vec::with_capacity(rings.len());
        for (ri, ring) in rings.iter().enumerate() {
            let where_ = format!("polygon {pi} ring {ri}");
            let coords = ring
                .iter()
                .enumerate()
                .map(|(ci, p)| position(p).map_err(|e| e.at(format!("{where_} coordinate {ci}"))))
                .collect::<Result<Vec<Coord<f64>>>>()?;
            if coords.is_empty() {
                return Err(InputError::geometry(format!("{where_} has no coordinates")));
            }
            refuse_antimeridian_crossing(&coords).map_err(|e| e.at(&where_))?;
            if coords.first() != coords.last() {
                problems.push(format!(
                    "{where_} is not closed (first and last positions differ)"
                ));
            }
            converted.push(LineString(coords));
        }
        let mut iter = converted.into_iter();
        let Some(exterior) = iter.next() else {
            return Err(InputError::geometry(format!("polygon {pi} has no rings")));
        };
        out.push(Polygon::new(exterior, iter.collect()));
    }
    Ok(MultiPolygon(out))
}

/// Refuses a ring that crosses the antimeridian: an edge jumping more than 180° of longitude
/// (179.9 → -179.9) is the short way across ±180° in the drawing but runs the long way round
/// the world in lon/lat, which would turn a small island into a near-world polygon. RFC 7946
/// (§3.1.9) asks for such a polygon to be split at ±180° into a MultiPolygon; parts on both
/// sides are fine, and every check handles them part by part.
fn refuse_antimeridian_crossing(coords: &[Coord<f64>]) -> Result<()> {
    for (i, w) in coords.windows(2).enumerate() {
        if (w[1].x - w[0].x).abs() > 180.0 {
            return Err(InputError::geometry(format!(
                "crosses the antimeridian between coordinates {i} and {} (longitude {} to {}): \
                 split it at ±180° into a MultiPolygon with one part on each side (RFC 7946 \
                 §3.1.9)",
                i + 1,
                w[0].x,
                w[1].x
            )));
        }
    }
    Ok(())
}

/// A GeoJSON position as lon/lat, checked for range.
pub fn position(p: &Position) -> Result<Coord<f64>> {
    let s = p.as_slice();
    if s.len() < 2 {
        return Err(InputError::geometry(
            "a position needs longitude and latitude",
        ));
    }
    let (x, y) = (s[0], s[1]);
    if !x.is_finite() || !(-180.0..=180.0).contains(&x) {
        return Err(InputError::geometry(format!(
            "longitude {x} is out of range -180..180"
        )));
    }
    if !y.is_finite() || !(-90.0..=90.0).contains(&y) {
        return Err(InputError::geometry(format!(
            "latitude {y} is out of range -90..90"
        )));
    }
    Ok(Coord { x, y })
}

/// Reads a grid. Returns the grid and problems found while reading (unclosed rings), as
/// validation problems.
pub fn grid_from_feature(
    index: usize,
    f: &Feature,
    reading: &GridReading,
) -> Result<(Grid, Vec<Problem>)> {
    let at = |e: InputError| e.at(label(index, f));
    let id = match &reading.id_field {
        Some(field) => prop_string(f, field)
            .map_err(at)?
            .ok_or_else(|| at(InputError::new(format!("id field \"{field}\" is missing"))))?,
        None => match feature_id(f) {
            Some(id) => id,
            None => prop_string(f, "id")
                .map_err(at)?
                .unwrap_or_else(|| format!("f{index}")),
        },
    };
    let layer = match prop_string(f, "layer").map_err(at)? {
        None => reading.default_layer.clone(),
        Some(s) => Layer::parse(&s).ok_or_else(|| {
            at(InputError::new(format!(
                "property \"layer\" must be base, micro, special or composite, found \"{s}\""
            )))
        })?,
    };
    let status = match prop_string(f, "status").map_err(at)? {
        None => GridStatus::Active,
        Some(s) => GridStatus::parse(&s).ok_or_else(|| {
            at(InputError::new(format!(
                "property \"status\" must be active, reserved or suspended, found \"{s}\""
            )))
        })?,
    };
    let kind = match prop_string(f, "kind").map_err(at)?.as_deref() {
        None | Some("urban") => AreaKind::Urban,
        Some("rural") => AreaKind::Rural,
        Some(s) => {
            return Err(at(InputError::new(format!(
                "property \"kind\" must be urban or rural, found \"{s}\""
            ))))
        }
    };
    let category = match prop_string(f, "category").map_err(at)? {
        None => None,
        Some(s) => Some(SpecialCategory::parse(&s).ok_or_else(|| {
            at(InputError::new(format!(
                "property \"category\": unknown special-grid category \"{s}\""
            )))
        })?),
    };
    let members = match prop(f, "members") {
        None => vec![],
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().map(GridId::from))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| {
                at(InputError::new(
                    "property \"members\" must be an array of grid ids",
                ))
            })?,
        Some(_) => {
            return Err(at(InputError::new(
                "property \"members\" must be an array of grid ids",
            )))
        }
    };
    let mut ring_problems = Vec::new();
    let geometry = if layer == Layer::Composite && f.geometry.is_none() {
        MultiPolygon(vec![])
    } else {
        read_polygonal(f, &mut ring_problems).map_err(at)?
    };
    let code = prop_string(f, "code")
        .map_err(at)?
        .unwrap_or_else(|| id.clone());
    let mut properties = f.properties.clone().unwrap_or_default();
    for known in GRID_FIELDS {
        properties.remove(*known);
    }
    if let Some(field) = &reading.id_field {
        properties.remove(field);
    }
    let grid = Grid {
        id: GridId(id.clone()),
        name: prop_string(f, "name")
            .map_err(at)?
            .unwrap_or_else(|| code.clone()),
        code,
        layer,
        parent: prop_string(f, "parent").map_err(at)?,
        kind,
        status,
        category,
        network: prop_string(f, "network").map_err(at)?,
        members,
        properties,
        geometry,
        valid_from: prop_date(f, "valid_from")
            .map_err(at)?
            .unwrap_or_else(epoch),
        valid_to: prop_date(f, "valid_to").map_err(at)?,
        version: prop_u32(f, "version").map_err(at)?.unwrap_or(1),
    };
    let problems = ring_problems
        .into_iter()
        .map(|msg| Problem {
            kind: ProblemKind::InvalidGeometry,
            severity: Severity::Error,
            grids: vec![GridId(id.clone())],
            buildings: vec![],
            area: grid.parent.clone(),
            measure: Measure::count(1.0),
            details: serde_json::Map::new(),
            geometry: None,
            message: format!("grid {id}: {msg}"),
        })
        .collect();
    Ok((grid, problems))
}

pub fn grid_to_feature(g: &Grid) -> Feature {
    let mut props: JsonObject = JsonObject::new();
    props.insert("code".into(), g.code.clone().into());
    props.insert("name".into(), g.name.clone().into());
    props.insert("layer".into(), g.layer.as_str().into());
    if let Some(p) = &g.parent {
        props.insert("parent".into(), p.clone().into());
    }
    props.insert("kind".into(), g.kind.as_str().into());
    props.insert("status".into(), g.status.as_str().into());
    if let Some(c) = g.category {
        props.insert("category".into(), c.as_str().into());
    }
    if let Some(n) = &g.network {
        props.insert("network".into(), n.clone().into());
    }
    if !g.members.is_empty() {
        props.insert(
            "members".into(),
            g.members
                .iter()
                .map(|m| Value::from(m.0.clone()))
                .collect::<Vec<_>>()
                .into(),
        );
    }
    props.insert("valid_from".into(), g.valid_from.to_string().into());
    if let Some(t) = g.valid_to {
        props.insert("valid_to".into(), t.to_string().into());
    }
    props.insert("version".into(), g.version.into());
    for (k, v) in &g.properties {
        props.entry(k.clone()).or_insert_with(|| v.clone());
    }
    Feature {
        bbox: None,
        geometry: Some(polygonal_geometry(&g.geometry)),
        id: Some(geojson::feature::Id::String(g.id.0.clone())),
        properties: Some(props),
        foreign_members: None,
    }
}

/// RFC 7946 output: lon/lat rounded to 7 decimals (the engine's lattice), a Polygon when there
/// is one part.
pub fn polygonal_geometry(mp: &MultiPolygon<f64>) -> geojson::Geometry {
    let ring = |ls: &LineString<f64>| -> Vec<Position> {
        ls.0.iter()
            .map(|c| Position::from(vec![round7(c.x), round7(c.y)]))
            .collect()
    };
    let poly = |p: &Polygon<f64>| -> PolygonType {
        std::iter::once(p.exterior())
            .chain(p.interiors())
            .map(ring)
            .collect()
    };
    let value = if mp.0.len() == 1 {
        GeometryValue::Polygon {
            coordinates: poly(&mp.0[0]),
        }
    } else {
        GeometryValue::MultiPolygon {
            coordinates: mp.0.iter().map(poly).collect(),
        }
    };
    geojson::Geometry::new(value)
}

pub fn round7(v: f64) -> f64 {
    (v * 1e7).round() / 1e7
}

pub fn area_from_feature(index: usize, f: &Feature) -> Result<AdminArea> {
    let at = |e: InputError| e.at(label(index, f));
    let code = prop_string(f, "code")
        .map_err(at)?
        .or_else(|| feature_id(f))
        .ok_or_else(|| at(InputError::new("property \"code\" is missing")))?;
    let level = match prop_string(f, "level").map_err(at)?.as_deref() {
        Some("district") => AdminLevel::District,
        Some("town") => AdminLevel::Town,
        Some("community") => AdminLevel::Community,
        other => {
            return Err(at(InputError::new(format!(
                "property \"level\" must be district, town or community, found {other:?}"
            ))))
        }
    };
    let kind = match prop_string(f, "kind").map_err(at)?.as_deref() {
        Some("rural") => AreaKind::Rural,
        _ => AreaKind::Urban,
    };
    let geometry = match &f.geometry {
        None => None,
        Some(_) => Some(read_polygonal(f, &mut Vec::new()).map_err(at)?),
    };
    Ok(AdminArea {
        name: prop_string(f, "name")
            .map_err(at)?
            .unwrap_or_else(|| code.clone()),
        code,
        level,
        parent: prop_string(f, "parent").map_err(at)?,
        kind,
        geometry,
    })
}

pub fn area_to_feature(a: &AdminArea) -> Feature {
    let mut props = JsonObject::new();
    props.insert("code".into(), a.code.clone().into());
    props.insert("name".into(), a.name.clone().into());
    props.insert("level".into(), a.level.as_str().into());
    if let Some(p) = &a.parent {
        props.insert("parent".into(), p.clone().into());
    }
    props.insert("kind".into(), a.kind.as_str().into());
    Feature {
        bbox: None,
        geometry: a.geometry.as_ref().map(polygonal_geometry),
        id: Some(geojson::feature::Id::String(a.code.clone())),
        properties: Some(props),
        foreign_members: None,
    }
}

pub fn building_from_feature(index: usize, f: &Feature) -> Result<Building> {
    let at = |e: InputError| e.at(label(index, f));
    let id = feature_id(f)
        .or(prop_string(f, "id").map_err(at)?)
        .unwrap_or_else(|| format!("b{index}"));
    let geometry = f
        .geometry
        .as_ref()
        .ok_or_else(|| at(InputError::geometry("geometry is missing (null)")))?;
    let footprint = match &geometry.value {
        GeometryValue::Point { coordinates } => {
            Footprint::Point(Point(position(coordinates).map_err(at)?))
        }
        GeometryValue::Polygon { .. } | GeometryValue::MultiPolygon { .. } => {
            let mp = read_polygonal(f, &mut Vec::new()).map_err(at)?;
            // A multipart building is kept as its largest part: buildings are assigned by area.
            let largest =
                mp.0.into_iter()
                    .max_by(|a, b| {
                        use geo::Area;
                        a.unsigned_area().total_cmp(&b.unsigned_area())
                    })
                    .ok_or_else(|| at(InputError::geometry("geometry has no polygon")))?;
            Footprint::Polygon(largest)
        }
        other => {
            return Err(at(InputError::geometry(format!(
                "geometry type {} is not a Point, Polygon or MultiPolygon",
                other.type_name()
            ))))
        }
    };
    // OSM's `building` tag ("residential", "yes"…) stands in for a missing `usage`. Read only
    // then, and a value that is not text is an error like any other property (it used to be
    // dropped silently through `.ok()`).
    let usage = match prop_string(f, "usage").map_err(at)? {
        Some(u) => Some(u),
        None => prop_string(f, "building").map_err(at)?,
    };
    Ok(Building {
        id,
        footprint,
        households: prop_u32(f, "households").map_err(at)?.unwrap_or(0),
        residents: prop_u32(f, "residents").map_err(at)?.unwrap_or(0),
        usage,
    })
}

pub fn building_to_feature(b: &Building) -> Feature {
    let mut props = JsonObject::new();
    props.insert("households".into(), b.households.into());
    props.insert("residents".into(), b.residents.into());
    if let Some(u) = &b.usage {
        props.insert("usage".into(), u.clone().into());
    }
    let geometry = match &b.footprint {
        Footprint::Polygon(p) => polygonal_geometry(&MultiPolygon(vec![p.clone()])),
        Footprint::Point(p) => geojson::Geometry::new(GeometryValue::Point {
            coordinates: Position::from(vec![round7(p.x()), round7(p.y())]),
        }),
    };
    Feature {
        bbox: None,
        geometry: Some(geometry),
        id: Some(geojson::feature::Id::String(b.id.clone())),
        properties: Some(props),
        foreign_members: None,
    }
}

pub fn collection(features: Vec<Feature>) -> FeatureCollection {
    FeatureCollection {
        bbox: None,
        features,
        foreign_members: None,
    }
}
