//! Text forms of the model's enums, the JSON of the change log, and the rows read back
//! ([`AreaRow`], [`GridRow`], [`BuildingRow`], [`HouseholdRow`]), shared by the SQL backends so
//! that both store and read exactly the same values. A backend selects the columns under the
//! field names, with the geometry as a blob it decodes itself (WKB or GeoPackage).

use super::geom::{self, Shape};
use super::{StoreError, StoreResult};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use wangge_engine::edit::{ChangeSet, GridChange};
use wangge_engine::{AdminArea, AdminLevel, AreaKind, Building, Footprint, Grid, GridId};
use wangge_engine::{GridStatus, Household, HouseholdLocation, Layer, SpecialCategory};

/// Decodes a stored geometry blob.
pub(super) type Decode = fn(&[u8]) -> StoreResult<Shape>;

#[derive(sqlx::FromRow)]
pub(super) struct AreaRow {
    code: String,
    name: String,
    level: String,
    parent: Option<String>,
    kind: String,
    geometry: Option<Vec<u8>>,
}

impl AreaRow {
    pub(super) fn decode(self, shape: Decode) -> StoreResult<AdminArea> {
        Ok(AdminArea {
            level: level(&self.level)?,
            kind: kind(&self.kind)?,
            geometry: self
                .geometry
                .map(|g| shape(&g).and_then(geom::multipolygon))
                .transpose()?,
            code: self.code,
            name: self.name,
            parent: self.parent,
        })
    }
}

/// Members of each grid version, in order, by (id, version).
pub(super) type Members = HashMap<(String, i64), Vec<GridId>>;

#[derive(sqlx::FromRow)]
pub(super) struct GridRow {
    id: String,
    version: i64,
    code: String,
    name: String,
    layer: String,
    parent: Option<String>,
    kind: String,
    status: String,
    category: Option<String>,
    network: Option<String>,
    properties: String,
    geometry: Vec<u8>,
    valid_from: NaiveDate,
    valid_to: Option<NaiveDate>,
}

impl GridRow {
    pub(super) fn decode(self, shape: Decode, members: &mut Members) -> StoreResult<Grid> {
        let version = u32::try_from(self.version)
            .map_err(|_| unknown("grid version", &self.version.to_string()))?;
        Ok(Grid {
            members: members
                .remove(&(self.id.clone(), self.version))
                .unwrap_or_default(),
            id: GridId(self.id),
            version,
            code: self.code,
            name: self.name,
            layer: layer(&self.layer)?,
            parent: self.parent,
            kind: kind(&self.kind)?,
            status: status(&self.status)?,
            category: category(self.category.as_deref())?,
            network: self.network,
            properties: from_json_text(&self.properties, "grid properties")?,
            geometry: geom::multipolygon(shape(&self.geometry)?)?,
            valid_from: self.valid_from,
            valid_to: self.valid_to,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct BuildingRow {
    id: String,
    geometry: Vec<u8>,
    households: i64,
    residents: i64,
    usage: Option<String>,
}

/// A stored count as the model's `u32` (out-of-range values were never written; clamped).
fn count(n: i64) -> u32 {
    n.clamp(0, i64::from(u32::MAX)) as u32
}

impl BuildingRow {
    pub(super) fn decode(self, shape: Decode) -> StoreResult<Building> {
        let footprint = match shape(&self.geometry)? {
            Shape::Point(p) => Footprint::Point(p),
            Shape::Polygon(p) => Footprint::Polygon(p),
            Shape::MultiPolygon(_) => return Err(unknown("building geometry", "MultiPolygon")),
        };
        Ok(Building {
            id: self.id,
            footprint,
            households: count(self.households),
            residents: count(self.residents),
            usage: self.usage,
        })
    }
}

pub(super) type HouseholdRow = (String, Option<String>, Option<f64>, Option<f64>, i32);

pub(super) fn household(
    (id, building, lon, lat, residents): HouseholdRow,
) -> StoreResult<Household> {
    let location = match (building, lon, lat) {
        (Some(b), _, _) => HouseholdLocation::Building(b),
        (None, Some(x), Some(y)) => HouseholdLocation::Point(geo::Point::new(x, y)),
        _ => return Err(unknown("household location", &id)),
    };
    Ok(Household {
        id,
        location,
        residents: count(i64::from(residents)),
    })
}

/// A stored value the model does not know: the database was edited by hand or by a newer
/// version. Named so the log says which column is wrong.
pub(super) fn unknown(column: &'static str, value: &str) -> StoreError {
    StoreError::Corrupt {
        column,
        value: value.to_string(),
    }
}

pub(super) fn layer(s: &str) -> StoreResult<Layer> {
    Layer::parse(s).ok_or_else(|| unknown("grid layer", s))
}

pub(super) fn kind(s: &str) -> StoreResult<AreaKind> {
    parse_enum("area kind", s)
}

pub(super) fn status(s: &str) -> StoreResult<GridStatus> {
    GridStatus::parse(s).ok_or_else(|| unknown("grid status", s))
}

pub(super) fn category(s: Option<&str>) -> StoreResult<Option<SpecialCategory>> {
    s.map(|s| SpecialCategory::parse(s).ok_or_else(|| unknown("special category", s)))
        .transpose()
}

pub(super) fn level(s: &str) -> StoreResult<AdminLevel> {
    parse_enum("admin level", s)
}

/// Enums serialise as their snake_case serde name; the same string goes into the database.
pub(super) fn enum_text<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        other => format!("{other:?}"),
    }
}

/// The enum whose serde name `s` is ([`enum_text`] read back).
pub(super) fn parse_enum<T: for<'de> Deserialize<'de>>(
    column: &'static str,
    s: &str,
) -> StoreResult<T> {
    serde_json::from_value(serde_json::Value::String(s.into())).map_err(|_| unknown(column, s))
}

/// One entry of the change log's `changes` JSON array: the grid versions as the edit saw them.
#[derive(Serialize, Deserialize)]
struct ChangeJson {
    before: Option<Grid>,
    after: Option<Grid>,
}

pub(super) fn changes_to_json(c: &ChangeSet) -> StoreResult<String> {
    let list: Vec<ChangeJson> = c
        .changes
        .iter()
        .map(|g| ChangeJson {
            before: g.before.clone(),
            after: g.after.clone(),
        })
        .collect();
    json_text(&list, "a change set")
}

/// Parses the log's JSON. serde_json is built with `float_roundtrip`, so coordinates come back
/// bit-identical to what was written.
pub(super) fn changes_from_json(date: chrono::NaiveDate, json: &str) -> StoreResult<ChangeSet> {
    let list: Vec<ChangeJson> = from_json_text(json, "change log entry")?;
    Ok(ChangeSet {
        date,
        changes: list
            .into_iter()
            .map(|c| GridChange {
                before: c.before,
                after: c.after,
            })
            .collect(),
    })
}

pub(super) fn json_text<T: Serialize>(v: &T, what: &'static str) -> StoreResult<String> {
    serde_json::to_string(v).map_err(|source| StoreError::Encode { what, source })
}

pub(super) fn from_json_text<T: for<'de> Deserialize<'de>>(
    s: &str,
    what: &'static str,
) -> StoreResult<T> {
    serde_json::from_str(s).map_err(|source| StoreError::Decode { what, source })
}

/// Maps a database error: constraint violations are the caller's (Invalid, named by the
/// constraint), anything else is the backend's and is logged with `what`.
pub(super) fn db_error(what: &str, e: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(d) = &e {
        if d.is_unique_violation() {
            let c = d.constraint().unwrap_or("a unique key");
            return StoreError::Invalid(format!("{what}: already stored ({c})"));
        }
        if d.is_check_violation() || d.is_foreign_key_violation() {
            return StoreError::Invalid(format!("{what}: {}", d.message()));
        }
    }
    log::error!("{what}: {e}");
    StoreError::Database {
        while_: what.to_string(),
        source: e,
    }
}

/// [`db_error`] as a `map_err` argument.
pub(super) fn be(what: &'static str) -> impl Fn(sqlx::Error) -> StoreError {
    move |e| db_error(what, e)
}
