//! The domain model: admin areas, layers, grids, buildings and households.
//!
//! Coordinates are longitude/latitude in degrees. CGCS2000 (EPSG:4490) and WGS84 (EPSG:4326) are
//! treated as the same datum: the two frames differ by a few centimetres, below the 1e-7° (≈1 cm)
//! lattice the engine stores coordinates on (see [`crate::lattice`]).

use chrono::NaiveDate;
use geo::{MultiPolygon, Point, Polygon};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Stable identifier of a grid across its versions (a reshape keeps the id and the code).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct GridId(pub String);

impl fmt::Display for GridId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for GridId {
    fn from(s: &str) -> Self {
        GridId(s.to_string())
    }
}

impl From<String> for GridId {
    fn from(s: String) -> Self {
        GridId(s)
    }
}

/// Level of an administrative area.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdminLevel {
    /// 区/县
    District,
    /// 镇/街道
    Town,
    /// 社区/村
    Community,
}

impl AdminLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            AdminLevel::District => "district",
            AdminLevel::Town => "town",
            AdminLevel::Community => "community",
        }
    }
}

/// Urban or rural: decides which household standard applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum AreaKind {
    #[default]
    Urban,
    Rural,
}

impl AreaKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AreaKind::Urban => "urban",
            AreaKind::Rural => "rural",
        }
    }
}

/// A district, town/street or community/village with its official statistical code
/// (6 digits for a district, 9 for a town, 12 for a community).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdminArea {
    pub code: String,
    pub name: String,
    pub level: AdminLevel,
    pub parent: Option<String>,
    pub kind: AreaKind,
    pub geometry: Option<MultiPolygon<f64>>,
}

/// The special-grid categories named in the district's rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpecialCategory {
    School,
    Hospital,
    Enterprise,
    GovernmentUnit,
    Hotel,
    Market,
    Park,
    CommercialBuilding,
    Other,
}

impl SpecialCategory {
    pub const ALL: [SpecialCategory; 9] = [
        SpecialCategory::School,
        SpecialCategory::Hospital,
        SpecialCategory::Enterprise,
        SpecialCategory::GovernmentUnit,
        SpecialCategory::Hotel,
        SpecialCategory::Market,
        SpecialCategory::Park,
        SpecialCategory::CommercialBuilding,
        SpecialCategory::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SpecialCategory::School => "school",
            SpecialCategory::Hospital => "hospital",
            SpecialCategory::Enterprise => "enterprise",
            SpecialCategory::GovernmentUnit => "government_unit",
            SpecialCategory::Hotel => "hotel",
            SpecialCategory::Market => "market",
            SpecialCategory::Park => "park",
            SpecialCategory::CommercialBuilding => "commercial_building",
            SpecialCategory::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// Which grid system a grid belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Layer {
    /// 基础网格: tiles its community.
    Base,
    /// 微网格: a residential compound or monitoring group inside one base grid.
    Micro,
    /// 专属网格: a school, hospital, enterprise… inside one base grid.
    Special,
    /// A composite (多网融合) grid of a named business network: a set of whole base grids.
    Composite,
}

impl Layer {
    pub fn as_str(&self) -> &'static str {
        match self {
            Layer::Base => "base",
            Layer::Micro => "micro",
            Layer::Special => "special",
            Layer::Composite => "composite",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "base" => Some(Layer::Base),
            "micro" => Some(Layer::Micro),
            "special" => Some(Layer::Special),
            "composite" => Some(Layer::Composite),
            _ => None,
        }
    }

    /// Micro and special grids are children of a base grid and siblings of each other.
    pub fn is_child(&self) -> bool {
        matches!(self, Layer::Micro | Layer::Special)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum GridStatus {
    #[default]
    Active,
    /// 预留: drawn for an area still being built.
    Reserved,
    /// 暂停使用: e.g. no worker could be hired.
    Suspended,
}

impl GridStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            GridStatus::Active => "active",
            GridStatus::Reserved => "reserved",
            GridStatus::Suspended => "suspended",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(GridStatus::Active),
            "reserved" => Some(GridStatus::Reserved),
            "suspended" => Some(GridStatus::Suspended),
            _ => None,
        }
    }
}

/// One version of a grid. A reshape closes a version (sets `valid_to`) and opens the next one
/// under the same id and code with `version + 1`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Grid {
    pub id: GridId,
    pub code: String,
    pub name: String,
    pub layer: Layer,
    /// The community code for a base grid, the base grid id for a micro or special grid,
    /// none for grids read from a plain file.
    pub parent: Option<String>,
    pub kind: AreaKind,
    pub status: GridStatus,
    /// Only for special grids.
    pub category: Option<SpecialCategory>,
    /// The business network of a composite grid (e.g. "party_building").
    pub network: Option<String>,
    /// The base grids a composite grid is made of; its geometry is their union.
    pub members: Vec<GridId>,
    pub properties: serde_json::Map<String, serde_json::Value>,
    pub geometry: MultiPolygon<f64>,
    pub valid_from: NaiveDate,
    /// Exclusive end of validity; `None` while the version is current. A version replaced on
    /// the day it was opened (`valid_to == valid_from`, e.g. a status change and a split of one
    /// grid on one day) stays in the history but is valid on no date: `as_of` a date shows the
    /// last version of that date.
    pub valid_to: Option<NaiveDate>,
    pub version: u32,
}

impl Grid {
    /// Version 1 of an active urban grid whose code and name are its id, valid from `valid_from`
    /// on; callers set whatever else differs.
    pub fn new(
        id: &str,
        layer: Layer,
        parent: Option<&str>,
        geometry: MultiPolygon<f64>,
        valid_from: NaiveDate,
    ) -> Self {
        Grid {
            id: GridId(id.to_string()),
            code: id.to_string(),
            name: id.to_string(),
            layer,
            parent: parent.map(str::to_string),
            kind: AreaKind::Urban,
            status: GridStatus::Active,
            category: None,
            network: None,
            members: vec![],
            properties: serde_json::Map::new(),
            geometry,
            valid_from,
            valid_to: None,
            version: 1,
        }
    }

    /// A grid is valid on `date` when `valid_from <= date < valid_to`.
    pub fn is_valid_on(&self, date: NaiveDate) -> bool {
        self.valid_from <= date && self.valid_to.is_none_or(|end| date < end)
    }

    pub fn is_current(&self) -> bool {
        self.valid_to.is_none()
    }
}

/// Where a building is: its footprint, or a point when only the address is known.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Footprint {
    Polygon(Polygon<f64>),
    Point(Point<f64>),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Building {
    pub id: String,
    pub footprint: Footprint,
    pub households: u32,
    pub residents: u32,
    /// Free text such as "residential", "school", "office".
    pub usage: Option<String>,
}

/// Where a household lives: a building, or a point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum HouseholdLocation {
    Building(String),
    Point(Point<f64>),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Household {
    pub id: String,
    pub location: HouseholdLocation,
    pub residents: u32,
}
