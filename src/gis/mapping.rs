//! Field mapping: which column of the file feeds which field of the model.
//!
//! `--map code=GRID_CODE,name=MC` names columns explicitly; every model field not named falls
//! back to the column of the same name (case-insensitive, so our own exports and KML's `Name`
//! map without `--map`). Grid columns nobody maps are kept in `Grid::properties`.

use super::error::{GisError, GisResult};
use chrono::NaiveDate;
use wangge_engine::{AreaKind, GridStatus, Layer, SpecialCategory};

/// What an import produces.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    Grids(Layer),
    Buildings,
    Households,
}

impl Target {
    pub fn parse(s: &str) -> GisResult<Self> {
        match s {
            "buildings" => Ok(Target::Buildings),
            "households" => Ok(Target::Households),
            _ => Layer::parse(s).map(Target::Grids).ok_or_else(|| {
                GisError::mapping(format!(
                    "unknown layer \"{s}\" (use base, micro, special, composite, buildings or households)"
                ))
            }),
        }
    }

    /// The model fields a column can be mapped onto.
    pub fn fields(&self) -> &'static [&'static str] {
        match self {
            Target::Grids(_) => GRID_FIELDS,
            Target::Buildings => &["id", "households", "residents", "usage"],
            Target::Households => &["id", "building", "residents"],
        }
    }
}

pub use crate::io::features::GRID_FIELDS;

/// Attribute columns GDAL's KML drivers invent; they are presentation, not data.
pub const KML_BOILERPLATE: &[&str] = &[
    "description",
    "timestamp",
    "begin",
    "end",
    "altitudeMode",
    "tessellate",
    "extrude",
    "visibility",
    "drawOrder",
    "icon",
    "snippet",
];

/// `--map` as given: (model field, column) pairs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FieldMap(pub Vec<(String, String)>);

impl FieldMap {
    pub fn parse(s: &str) -> GisResult<Self> {
        let mut pairs = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let Some((field, column)) = part.split_once('=') else {
                return Err(GisError::mapping(format!(
                    "--map entry \"{part}\" is not field=COLUMN"
                )));
            };
            let (field, column) = (field.trim(), column.trim());
            if field.is_empty() || column.is_empty() {
                return Err(GisError::mapping(format!(
                    "--map entry \"{part}\" is not field=COLUMN"
                )));
            }
            if pairs.iter().any(|(f, _): &(String, String)| f == field) {
                return Err(GisError::mapping(format!(
                    "--map names field \"{field}\" twice"
                )));
            }
            pairs.push((field.to_string(), column.to_string()));
        }
        Ok(FieldMap(pairs))
    }

    /// Column index per model field of `target`, given the file's column names.
    pub fn resolve(&self, target: &Target, columns: &[String]) -> GisResult<Resolved> {
        let fields = target.fields();
        let mut by_field = vec![None; fields.len()];
        for (field, column) in &self.0 {
            let Some(fi) = fields.iter().position(|f| f == field) else {
                return Err(GisError::mapping(format!(
                    "--map: \"{field}\" is not a field of this layer (fields: {})",
                    fields.join(", ")
                )));
            };
            let Some(ci) = columns.iter().position(|c| c == column) else {
                return Err(GisError::mapping(format!(
                    "--map: the file has no column \"{column}\" (columns: {})",
                    columns.join(", ")
                )));
            };
            by_field[fi] = Some(ci);
        }
        for (fi, field) in fields.iter().enumerate() {
            let named_elsewhere = |ci: usize| self.0.iter().any(|(_, c)| *c == columns[ci]);
            if by_field[fi].is_none() {
                by_field[fi] = columns
                    .iter()
                    .position(|c| c.eq_ignore_ascii_case(field))
                    .filter(|&ci| !named_elsewhere(ci));
            }
        }
        Ok(Resolved { fields, by_field })
    }
}

#[derive(Debug, Clone)]
pub struct Resolved {
    fields: &'static [&'static str],
    by_field: Vec<Option<usize>>,
}

impl Resolved {
    pub fn column(&self, field: &str) -> Option<usize> {
        let fi = self.fields.iter().position(|f| *f == field)?;
        self.by_field[fi]
    }

    pub fn is_mapped(&self, column: usize) -> bool {
        self.by_field.contains(&Some(column))
    }
}

/// One attribute value as read, before it meets the model.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Text(String),
    Int(i64),
    Real(f64),
    Date(NaiveDate),
    List(Vec<String>),
}

impl Cell {
    /// Text of the value. Codes stored as numbers come back without a decimal point
    /// (341002001001001.0 → "341002001001001"); leading zeros a numeric column lost are gone.
    pub fn text(&self) -> Option<String> {
        match self {
            Cell::Null => None,
            Cell::Text(s) if s.trim().is_empty() => None,
            Cell::Text(s) => Some(s.trim().to_string()),
            Cell::Int(i) => Some(i.to_string()),
            Cell::Real(r) if r.fract() == 0.0 && r.abs() < 9.0e15 => Some(format!("{r:.0}")),
            Cell::Real(r) => Some(r.to_string()),
            Cell::Date(d) => Some(d.to_string()),
            Cell::List(l) => Some(l.join(",")),
        }
    }

    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Cell::Null => serde_json::Value::Null,
            Cell::Text(s) => s.clone().into(),
            Cell::Int(i) => (*i).into(),
            Cell::Real(r) => serde_json::Number::from_f64(*r)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null),
            Cell::Date(d) => d.to_string().into(),
            Cell::List(l) => l.clone().into(),
        }
    }
}

/// A field value of one feature that does not fit the model; the feature is refused.
#[derive(Debug, thiserror::Error)]
pub enum FieldError {
    #[error("{field} (column {column}) must be a whole number ≥ 0, found \"{found}\"")]
    NotWholeNumber {
        field: String,
        column: String,
        found: String,
        #[source]
        source: std::num::ParseIntError,
    },
    #[error("{field} (column {column}) must be a date YYYY-MM-DD, found \"{found}\"")]
    NotDate {
        field: String,
        column: String,
        found: String,
        #[source]
        source: chrono::ParseError,
    },
    #[error("status must be active, reserved or suspended (or 在用/预留/暂停使用), found \"{0}\"")]
    Status(String),
    #[error("kind must be urban or rural, found \"{0}\"")]
    Kind(String),
    #[error("unknown special-grid category \"{0}\"")]
    Category(String),
}

/// A feature's cells with the mapping, to read model fields by name.
pub struct Record<'a> {
    pub cells: &'a [Cell],
    pub columns: &'a [String],
    pub resolved: &'a Resolved,
}

impl Record<'_> {
    pub fn text(&self, field: &str) -> Option<String> {
        self.resolved
            .column(field)
            .and_then(|ci| self.cells.get(ci))
            .and_then(Cell::text)
    }

    fn column_name(&self, field: &str) -> String {
        self.resolved
            .column(field)
            .and_then(|ci| self.columns.get(ci))
            .cloned()
            .unwrap_or_else(|| field.to_string())
    }

    pub fn u32(&self, field: &str) -> Result<Option<u32>, FieldError> {
        let Some(t) = self.text(field) else {
            return Ok(None);
        };
        t.parse::<u32>()
            .map(Some)
            .map_err(|source| FieldError::NotWholeNumber {
                field: field.to_string(),
                column: self.column_name(field),
                found: t.clone(),
                source,
            })
    }

    pub fn date(&self, field: &str) -> Result<Option<NaiveDate>, FieldError> {
        let Some(t) = self.text(field) else {
            return Ok(None);
        };
        // Shapefile dates come back as YYYY/MM/DD from some writers.
        NaiveDate::parse_from_str(&t, "%Y-%m-%d")
            .or_else(|_| NaiveDate::parse_from_str(&t, "%Y/%m/%d"))
            .map(Some)
            .map_err(|source| FieldError::NotDate {
                field: field.to_string(),
                column: self.column_name(field),
                found: t.clone(),
                source,
            })
    }

    pub fn status(&self) -> Result<GridStatus, FieldError> {
        match self.text("status") {
            None => Ok(GridStatus::Active),
            Some(s) => GridStatus::parse(&s)
                .or(match s.as_str() {
                    // The words Chinese source data uses.
                    "在用" | "正常" | "启用" => Some(GridStatus::Active),
                    "预留" => Some(GridStatus::Reserved),
                    "暂停" | "暂停使用" | "停用" => Some(GridStatus::Suspended),
                    _ => None,
                })
                .ok_or(FieldError::Status(s)),
        }
    }

    pub fn kind(&self) -> Result<AreaKind, FieldError> {
        match self.text("kind").as_deref() {
            None | Some("urban") | Some("城市") | Some("城镇") => Ok(AreaKind::Urban),
            Some("rural") | Some("农村") => Ok(AreaKind::Rural),
            Some(s) => Err(FieldError::Kind(s.to_string())),
        }
    }

    pub fn category(&self) -> Result<Option<SpecialCategory>, FieldError> {
        match self.text("category") {
            None => Ok(None),
            Some(s) => match SpecialCategory::parse(&s) {
                Some(c) => Ok(Some(c)),
                None => Err(FieldError::Category(s)),
            },
        }
    }

    /// Members as a list column (GeoJSON, GPKG JSON) or comma-separated text (shapefile, CSV).
    pub fn members(&self) -> Vec<String> {
        match self
            .resolved
            .column("members")
            .and_then(|ci| self.cells.get(ci))
        {
            Some(Cell::List(l)) => l.clone(),
            Some(other) => other
                .text()
                .map(|t| {
                    t.split(',')
                        .map(|s| s.trim().to_string())
                        .filter(|s| !s.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
            None => vec![],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_parses_and_resolves_with_fallback_by_name() {
        let m = FieldMap::parse("code=GRID_CODE, name=MC").expect("parse");
        let cols: Vec<String> = ["GRID_CODE", "MC", "Status", "code"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let r = m
            .resolve(&Target::Grids(Layer::Base), &cols)
            .expect("resolve");
        assert_eq!(r.column("code"), Some(0));
        assert_eq!(r.column("name"), Some(1));
        assert_eq!(r.column("status"), Some(2));
        assert!(FieldMap::parse("code").is_err());
        assert!(m.resolve(&Target::Buildings, &cols).is_err());
        assert!(FieldMap::parse("code=NOPE")
            .expect("parse")
            .resolve(&Target::Grids(Layer::Base), &cols)
            .is_err());
    }

    #[test]
    fn numeric_codes_become_text_without_decimals() {
        assert_eq!(
            Cell::Real(341002001001001.0).text().as_deref(),
            Some("341002001001001")
        );
        assert_eq!(Cell::Int(42).text().as_deref(), Some("42"));
        assert_eq!(Cell::Text("  ".into()).text(), None);
    }
}
