//! Schemas of the OpenAPI document that the handlers do not derive themselves: the enumerated
//! query parameters, the edit request bodies (the handlers read them as raw JSON so that a bad
//! geometry names its field; these types describe the same shapes), and the GeoJSON answers.
//!
//! They are documentation only: nothing deserialises into them. `tests/it/openapi_document.rs`
//! checks that the names listed here are the ones the parsers accept.

use std::collections::BTreeMap;
use utoipa::openapi::schema::{ArrayBuilder, KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::{RefOr, Schema};
use utoipa::ToSchema;

/// A grid layer (`layer=`).
#[derive(ToSchema)]
#[allow(dead_code)]
pub enum LayerName {
    #[serde(rename = "base")]
    Base,
    #[serde(rename = "micro")]
    Micro,
    #[serde(rename = "special")]
    Special,
    #[serde(rename = "composite")]
    Composite,
}

/// A grid status (`status=`).
#[derive(ToSchema)]
#[allow(dead_code)]
pub enum StatusName {
    #[serde(rename = "active")]
    Active,
    #[serde(rename = "reserved")]
    Reserved,
    #[serde(rename = "suspended")]
    Suspended,
}

/// The datum of input positions (`crs=`): WGS84 (default), CGCS2000, or the GCJ-02 / BD-09
/// coordinates of Chinese phone map SDKs. Case does not matter.
#[derive(ToSchema)]
#[allow(dead_code)]
pub enum CrsName {
    #[serde(rename = "wgs84")]
    Wgs84,
    #[serde(rename = "epsg:4326")]
    Epsg4326,
    #[serde(rename = "cgcs2000")]
    Cgcs2000,
    #[serde(rename = "epsg:4490")]
    Epsg4490,
    #[serde(rename = "gcj02")]
    Gcj02,
    #[serde(rename = "gcj-02")]
    Gcj02Dash,
    #[serde(rename = "bd09")]
    Bd09,
    #[serde(rename = "bd-09")]
    Bd09Dash,
}

/// The export file format (`format=`); case does not matter.
#[derive(ToSchema)]
#[allow(dead_code)]
pub enum ExportFormat {
    #[serde(rename = "geojson")]
    Geojson,
    #[serde(rename = "json")]
    Json,
    #[serde(rename = "gpkg")]
    Gpkg,
    #[serde(rename = "geopackage")]
    Geopackage,
    #[serde(rename = "shp")]
    Shp,
    #[serde(rename = "shapefile")]
    Shapefile,
    #[serde(rename = "kml")]
    Kml,
    #[serde(rename = "fgb")]
    Fgb,
    #[serde(rename = "flatgeobuf")]
    Flatgeobuf,
    #[serde(rename = "csv")]
    Csv,
}

/// What to export (`what=`): the grids, or the building/household → grid table as CSV.
#[derive(ToSchema)]
#[allow(dead_code)]
pub enum ExportWhat {
    #[serde(rename = "grids")]
    Grids,
    #[serde(rename = "assignments")]
    Assignments,
}

/// What an uploaded file holds (`layer=` of `POST /import`).
#[derive(ToSchema)]
#[allow(dead_code)]
pub enum ImportLayer {
    #[serde(rename = "base")]
    Base,
    #[serde(rename = "micro")]
    Micro,
    #[serde(rename = "special")]
    Special,
    #[serde(rename = "composite")]
    Composite,
    #[serde(rename = "buildings")]
    Buildings,
    #[serde(rename = "households")]
    Households,
}

/// The role of a person attached to grids.
#[derive(ToSchema)]
#[allow(dead_code)]
pub enum PersonRoleName {
    /// 网格长
    #[serde(rename = "grid_head")]
    GridHead,
    /// 综治网格员 (full-time grid worker)
    #[serde(rename = "grid_worker")]
    GridWorker,
    /// 业务团队
    #[serde(rename = "business_team")]
    BusinessTeam,
    /// 村/社区责任人
    #[serde(rename = "community_contact")]
    CommunityContact,
    /// 区直单位责任人
    #[serde(rename = "district_contact")]
    DistrictContact,
    /// 志愿者
    #[serde(rename = "volunteer")]
    Volunteer,
    /// 楼栋长 / 村民小组长
    #[serde(rename = "micro_force")]
    MicroForce,
}

/// The role of an API token.
#[derive(ToSchema)]
#[allow(dead_code)]
pub enum TokenRoleName {
    #[serde(rename = "viewer")]
    Viewer,
    #[serde(rename = "planner")]
    Planner,
    #[serde(rename = "admin")]
    Admin,
}

// ----- GeoJSON -----

/// `[lon, lat]` in WGS84/CGCS2000 degrees (a third number, a height, is ignored). Written by
/// hand: the derive cannot bound the length of a newtype's array.
pub struct Position;

impl utoipa::PartialSchema for Position {
    fn schema() -> RefOr<Schema> {
        ArrayBuilder::new()
            .items(
                ObjectBuilder::new()
                    .schema_type(Type::Number)
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::Double))),
            )
            .min_items(Some(2))
            .max_items(Some(3))
            .description(Some(
                "[lon, lat] in WGS84/CGCS2000 degrees (a third number, a height, is ignored)",
            ))
            .into()
    }
}

impl ToSchema for Position {}

#[derive(ToSchema)]
#[allow(dead_code)]
pub enum PolygonType {
    Polygon,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub enum MultiPolygonType {
    MultiPolygon,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub enum LineStringType {
    LineString,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub enum FeatureType {
    Feature,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub enum FeatureCollectionType {
    FeatureCollection,
}

/// A GeoJSON Polygon: closed rings of at least four positions, the first the exterior.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct PolygonGeometry {
    #[serde(rename = "type")]
    pub type_: PolygonType,
    #[schema(min_items = 1)]
    pub coordinates: Vec<Vec<Position>>,
}

/// A GeoJSON MultiPolygon.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct MultiPolygonGeometry {
    #[serde(rename = "type")]
    pub type_: MultiPolygonType,
    #[schema(min_items = 1)]
    pub coordinates: Vec<Vec<Vec<Position>>>,
}

/// A GeoJSON Polygon or MultiPolygon.
#[derive(ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum Polygonal {
    Polygon(PolygonGeometry),
    MultiPolygon(MultiPolygonGeometry),
}

/// A GeoJSON LineString.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct LineStringGeometry {
    #[serde(rename = "type")]
    pub type_: LineStringType,
    #[schema(min_items = 2)]
    pub coordinates: Vec<Position>,
}

/// A line: a GeoJSON LineString or its bare coordinate array.
#[derive(ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum Line {
    LineString(LineStringGeometry),
    Positions(Vec<Position>),
}

/// A GeoJSON Feature. Grids carry `code`, `name`, `layer`, `parent`, `kind`, `status`,
/// `valid_from`, `valid_to`, `version` and more in `properties`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Feature {
    #[serde(rename = "type")]
    pub type_: FeatureType,
    #[schema(value_type = Option<Object>)]
    pub geometry: Option<serde_json::Value>,
    #[schema(value_type = Option<Object>)]
    pub properties: Option<serde_json::Value>,
    /// The grid id.
    #[schema(value_type = Option<String>, nullable = false)]
    pub id: Option<String>,
}

/// A GeoJSON FeatureCollection.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct FeatureCollection {
    #[serde(rename = "type")]
    pub type_: FeatureCollectionType,
    pub features: Vec<Feature>,
}

// ----- edit bodies -----

/// Properties of a new grid.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct NewGridProperties {
    pub layer: LayerName,
    /// The community code (base grid) or the base grid id (micro or special grid).
    pub parent: String,
    pub name: Option<String>,
    /// Optional: the next free code of the parent is used when omitted.
    pub code: Option<String>,
    pub kind: Option<String>,
    pub status: Option<StatusName>,
    pub category: Option<String>,
}

/// `POST /grids`: the new grid as a GeoJSON Feature.
#[derive(ToSchema)]
#[schema(examples(json!({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[[118.3192065, 29.7091205], [118.3194065, 29.7091205], [118.3194065, 29.7092205], [118.3192065, 29.7092205], [118.3192065, 29.7091205]]]}, "properties": {"layer": "special", "parent": "341002001001001", "name": "school", "category": "school"}})))]
#[allow(dead_code)]
pub struct CreateGridBody {
    #[serde(rename = "type")]
    pub type_: FeatureType,
    pub geometry: Polygonal,
    pub properties: NewGridProperties,
    /// Optional: the code is used when omitted.
    #[schema(nullable = false)]
    pub id: Option<String>,
}

/// A GeoJSON Feature holding a Polygon or MultiPolygon.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct PolygonalFeature {
    #[serde(rename = "type")]
    pub type_: FeatureType,
    pub geometry: Polygonal,
    #[schema(value_type = Option<Object>)]
    pub properties: Option<serde_json::Value>,
}

/// `PUT /grids/{id}/geometry`: the new shape.
#[derive(ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum ReshapeBody {
    Polygon(PolygonGeometry),
    MultiPolygon(MultiPolygonGeometry),
    Feature(PolygonalFeature),
}

/// `POST /grids/{id}/split`.
#[derive(ToSchema)]
#[schema(examples(json!({"line": [[118.3165, 29.7080], [118.3165, 29.7120]]})))]
#[allow(dead_code)]
pub struct SplitBody {
    /// The cut, across the grid from boundary to boundary.
    pub line: Line,
    /// Ids for the two parts (default: the next free codes).
    #[schema(min_items = 2, max_items = 2, nullable = false)]
    pub new_ids: Option<Vec<String>>,
}

/// `POST /grids/merge`.
#[derive(ToSchema)]
#[schema(examples(json!({"ids": ["341002001001001", "341002001001002"], "keep": "341002001001001"})))]
#[allow(dead_code)]
pub struct MergeBody {
    /// The two adjacent grids.
    #[schema(min_items = 2, max_items = 2)]
    pub ids: Vec<String>,
    /// Which of the two keeps its id and code.
    pub keep: String,
}

/// `POST /boundaries/move`: every grid with a vertex at `from` moves it to `to`.
#[derive(ToSchema)]
#[schema(examples(json!({"from": [118.3154679, 29.7090705], "to": [118.3154679, 29.7091705]})))]
#[allow(dead_code)]
pub struct MoveBody {
    pub from: Position,
    pub to: Position,
}

/// `POST /boundaries/reroute`: the shared boundary of `a` and `b` follows `path`, from one end
/// of it to the other.
#[derive(ToSchema)]
#[schema(examples(json!({"a": "341002001001001", "b": "341002001001002", "path": [[118.3133985, 29.7108671], [118.3196065, 29.7108671]]})))]
#[allow(dead_code)]
pub struct RerouteBody {
    pub a: String,
    pub b: String,
    pub path: Line,
}

/// `PUT /grids/{id}/status`.
#[derive(ToSchema)]
#[schema(examples(json!({"status": "reserved"})))]
#[allow(dead_code)]
pub struct StatusBody {
    pub status: StatusName,
}

// ----- edit answers -----

/// A building or household that changes grid.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct MovedItem {
    pub id: String,
    pub from: Option<String>,
    pub to: Option<String>,
}

/// A micro or special grid that changes base grid.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Reparented {
    pub child: String,
    pub from: Option<String>,
    pub to: String,
}

/// What an edit changes beyond the grids themselves.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Impact {
    pub buildings_changing_grid: u64,
    pub households_changing_grid: u64,
    pub buildings_moved: Vec<MovedItem>,
    pub households_moved: Vec<MovedItem>,
    pub reparented: Vec<Reparented>,
    /// Validation problems the edit creates (GeoJSON FeatureCollection).
    pub problems_created: FeatureCollection,
    /// Validation problems the edit solves.
    pub problems_solved: FeatureCollection,
}

/// The answer to an edit: the changed grids (each with `properties.change` = created, updated
/// or retired) and the impact; `change_id` when saved.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct EditResult {
    pub dry_run: bool,
    /// Saved as a draft (`force_draft=true`) because it breaks the hierarchy.
    pub draft: bool,
    /// The effective date.
    #[schema(format = Date)]
    pub date: String,
    pub changed: FeatureCollection,
    pub impact: Impact,
    #[schema(nullable = false)]
    pub change_id: Option<i64>,
}

/// The answer to `POST /import`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ImportResult {
    pub dry_run: bool,
    /// Features read from the file.
    pub read: u64,
    /// Records imported (or that a save would import), per kind.
    #[schema(value_type = Object)]
    pub imported: serde_json::Value,
    pub summary: Vec<String>,
    /// The dry run's validation problems.
    #[schema(nullable = false)]
    pub problems: Option<FeatureCollection>,
    #[schema(nullable = false)]
    pub change_id: Option<i64>,
}

// ----- lookup -----

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct GridRef {
    pub id: String,
    pub code: String,
    pub name: String,
    pub layer: LayerName,
    pub status: StatusName,
    pub version: u32,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct AreaRef {
    pub code: String,
    pub name: String,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct CompositeRef {
    pub network: Option<String>,
    pub grid: GridRef,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct NearestGrid {
    pub grid: GridRef,
    /// Geodesic metres.
    pub distance_m: f64,
}

/// The grids and admin areas of one point.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct LookupAnswer {
    pub assigned: bool,
    /// The point lies on a grid edge (it belongs to the grid east / north of it).
    pub on_boundary: bool,
    pub base: Option<GridRef>,
    pub micro: Option<GridRef>,
    pub special: Option<GridRef>,
    pub composites: Vec<CompositeRef>,
    pub community: Option<AreaRef>,
    pub town: Option<AreaRef>,
    pub district: Option<AreaRef>,
    /// Other base grids that also hold the point (only when base grids overlap).
    pub overlapping: Vec<String>,
    /// For an unassigned point: the nearest base grid.
    pub nearest: Option<NearestGrid>,
    /// The position looked up, in WGS84/CGCS2000 (after datum conversion).
    #[schema(min_items = 2, max_items = 2)]
    pub position: Vec<f64>,
    /// The datum the input was read in.
    pub crs: String,
    /// Metres from the position to its base grid's boundary (or the nearest grid).
    pub boundary_distance_m: Option<f64>,
    pub uncertainty_m: f64,
    /// Within the datum conversion's error of a boundary.
    pub uncertain: bool,
}

/// One point of a JSON batch lookup.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct LookupPoint {
    #[schema(value_type = Option<String>, nullable = false)]
    pub id: Option<serde_json::Value>,
    pub lon: f64,
    pub lat: f64,
}

/// The JSON forms of a batch: an array of points or a FeatureCollection of Point features.
#[derive(ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum LookupBatchJson {
    Points(Vec<LookupPoint>),
    FeatureCollection(FeatureCollection),
}

// ----- misc -----

/// `GET /health`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Health {
    pub status: String,
    /// The id of the last change applied.
    pub last_change: i64,
}

/// An OGC API or TileJSON document (links and metadata).
#[derive(ToSchema)]
#[schema(value_type = Object)]
#[allow(dead_code)]
pub struct JsonDocument(BTreeMap<String, serde_json::Value>);

/// A file's bytes.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
#[allow(dead_code)]
pub struct Binary(String);
