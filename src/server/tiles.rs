//! Vector tiles of the grids: `/tiles/grids.json` (TileJSON 3.0) and
//! `/tiles/grids/{z}/{x}/{y}.mvt` (MVT 2.1, extent 4096, 64 px buffer), with `?as_of=` for history.
//!
//! Layers: `districts`, `towns`, `communities`, `base`, `micro`, `special`, `composite`,
//! `buildings`, `problems`. Each polygon layer is simplified per zoom through a shared-arc
//! topology (wangge-tiles), so neighbouring grids stay exactly adjacent at every zoom; from
//! [`EXACT_FROM_ZOOM`] on, geometry is sent unsimplified.
//!
//! Caching: rendered tiles live in a bounded [`TileCache`]; the per-layer simplified geometry and
//! the per-grid counts are derived once per (layer, date, zoom) and dropped on every change.
//! A committed change evicts exactly the cached tiles its old and new shapes touch, at every zoom,
//! and bumps the source generation, which is part of every ETag; responses say
//! `Cache-Control: no-cache`, so a client revalidates and never keeps a tile older than a save.

use super::auth::Caller;
use super::error::{ApiError, ApiResult};
use super::extract::Params;
use super::state::SharedState;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::NaiveDate;
use geo::{BoundingRect, Geometry, MultiPolygon, Rect};
use parking_lot::{Mutex, RwLock};
use std::collections::HashMap;
use std::sync::Arc;
use wangge_engine::assign::{assign, Counts};
use wangge_engine::edit::ChangeSet;
use wangge_engine::index::{envelope_of, Entry, SlotIndex};
use wangge_engine::validate::{validate, Config, Scope, Standards};
use wangge_engine::{AdminLevel, District, Footprint, Grid, Layer};
use wangge_tiles::{
    encode_prepared, tolerance_for_zoom, EncodeOptions, Feature, PreparedFeature, PreparedLayer,
    PropValue, TileCache, TileId, TileKey, Topology,
};

/// The only tile source.
pub const SOURCE: &str = "grids";
/// Zooms at and above this one carry exact geometry (half a pixel is then about 1 m or less).
pub const EXACT_FROM_ZOOM: u8 = 15;
pub const MAX_ZOOM: u8 = 20;
const CACHE_BYTES: usize = 256 * 1024 * 1024;
const MEDIA: &str = "application/vnd.mapbox-vector-tile";

/// The layers of the tiles. Each names its properties ([`TileLayer::fields`]): the features'
/// properties are set only through them ([`Props`]) and the TileJSON `vector_layers` list them,
/// so the two cannot drift apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TileLayer {
    Districts,
    Towns,
    Communities,
    Base,
    Composite,
    Micro,
    Special,
    Buildings,
    Problems,
}

/// The properties features of the tile layers carry. A feature leaves out those that do not
/// apply to it (a grid without a parent, category, network or household standard).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Id,
    Code,
    Name,
    Level,
    Kind,
    Layer,
    Status,
    Version,
    Parent,
    Category,
    Network,
    Households,
    Residents,
    Buildings,
    BandMin,
    BandMax,
    Standard,
    Usage,
    Severity,
    Grids,
    Measure,
    Message,
}

impl Field {
    pub fn name(self) -> &'static str {
        match self {
            Field::Id => "id",
            Field::Code => "code",
            Field::Name => "name",
            Field::Level => "level",
            Field::Kind => "kind",
            Field::Layer => "layer",
            Field::Status => "status",
            Field::Version => "version",
            Field::Parent => "parent",
            Field::Category => "category",
            Field::Network => "network",
            Field::Households => "households",
            Field::Residents => "residents",
            Field::Buildings => "buildings",
            Field::BandMin => "band_min",
            Field::BandMax => "band_max",
            Field::Standard => "standard",
            Field::Usage => "usage",
            Field::Severity => "severity",
            Field::Grids => "grids",
            Field::Measure => "measure",
            Field::Message => "message",
        }
    }
}

const AREA_FIELDS: &[Field] = &[Field::Code, Field::Name, Field::Level, Field::Kind];
/// Composite grids: what every grid carries and their business network (no households of
/// their own).
const COMPOSITE_FIELDS: &[Field] = &[
    Field::Id,
    Field::Code,
    Field::Name,
    Field::Layer,
    Field::Status,
    Field::Kind,
    Field::Version,
    Field::Parent,
    Field::Network,
];
/// Base and micro grids: what every grid carries, their counts and their household standard.
const GRID_FIELDS: &[Field] = &[
    Field::Id,
    Field::Code,
    Field::Name,
    Field::Layer,
    Field::Status,
    Field::Kind,
    Field::Version,
    Field::Parent,
    Field::Households,
    Field::Residents,
    Field::Buildings,
    Field::BandMin,
    Field::BandMax,
    Field::Standard,
];
/// Special grids: the base and micro fields and their category.
const SPECIAL_FIELDS: &[Field] = &[
    Field::Id,
    Field::Code,
    Field::Name,
    Field::Layer,
    Field::Status,
    Field::Kind,
    Field::Version,
    Field::Parent,
    Field::Category,
    Field::Households,
    Field::Residents,
    Field::Buildings,
    Field::BandMin,
    Field::BandMax,
    Field::Standard,
];
const BUILDING_FIELDS: &[Field] = &[Field::Id, Field::Households, Field::Residents, Field::Usage];
const PROBLEM_FIELDS: &[Field] = &[
    Field::Kind,
    Field::Severity,
    Field::Grids,
    Field::Measure,
    Field::Message,
];

impl TileLayer {
    /// Every layer, in the order a tile holds them.
    pub const ALL: [TileLayer; 9] = [
        TileLayer::Districts,
        TileLayer::Towns,
        TileLayer::Communities,
        TileLayer::Base,
        TileLayer::Composite,
        TileLayer::Micro,
        TileLayer::Special,
        TileLayer::Buildings,
        TileLayer::Problems,
    ];

    /// The layer's name in tiles and TileJSON.
    pub fn name(self) -> &'static str {
        match self {
            TileLayer::Districts => "districts",
            TileLayer::Towns => "towns",
            TileLayer::Communities => "communities",
            TileLayer::Base => "base",
            TileLayer::Composite => "composite",
            TileLayer::Micro => "micro",
            TileLayer::Special => "special",
            TileLayer::Buildings => "buildings",
            TileLayer::Problems => "problems",
        }
    }

    /// The lowest zoom the layer appears at (keeps low-zoom tiles small).
    pub fn min_zoom(self) -> u8 {
        match self {
            TileLayer::Districts => 0,
            TileLayer::Towns => 6,
            TileLayer::Communities => 9,
            TileLayer::Base | TileLayer::Composite | TileLayer::Problems => 10,
            TileLayer::Micro | TileLayer::Special => 13,
            TileLayer::Buildings => 14,
        }
    }

    /// The properties the layer's features may carry.
    pub fn fields(self) -> &'static [Field] {
        match self {
            TileLayer::Districts | TileLayer::Towns | TileLayer::Communities => AREA_FIELDS,
            TileLayer::Composite => COMPOSITE_FIELDS,
            TileLayer::Base | TileLayer::Micro => GRID_FIELDS,
            TileLayer::Special => SPECIAL_FIELDS,
            TileLayer::Buildings => BUILDING_FIELDS,
            TileLayer::Problems => PROBLEM_FIELDS,
        }
    }
}

/// The properties of one feature, named by [`Field`]s. The layer's field list says
/// which it may carry (the grid model keeps a category only on special grids and a network
/// only on composite ones); `each_layers_tile_properties_are_its_tilejson_fields`
/// (tests/it/http_tiles.rs) checks the two agree.
#[derive(Default)]
struct Props {
    list: Vec<(String, PropValue)>,
}

impl Props {
    fn set(&mut self, field: Field, value: PropValue) -> &mut Self {
        self.list.push((field.name().to_string(), value));
        self
    }

    fn string(&mut self, field: Field, value: &str) -> &mut Self {
        self.set(field, PropValue::String(value.to_string()))
    }
}

pub fn router() -> Router<SharedState> {
    Router::new()
        .route("/grids.json", get(tilejson))
        .route("/grids/{z}/{x}/{y}", get(tile))
}

/// An R-tree over prepared features by their lon/lat boxes (entry slot = position in the
/// slice): how an uncached tile finds its candidates. Public for the side-by-side benchmark,
/// which times this same path.
pub fn index_features(features: &[PreparedFeature]) -> SlotIndex {
    SlotIndex::bulk(
        features
            .iter()
            .enumerate()
            .filter_map(|(i, f)| {
                Some(Entry {
                    envelope: envelope_of(f.lonlat_bbox()?),
                    slot: i as u32,
                })
            })
            .collect(),
    )
}

/// Derived data for one layer, date and zoom: features with simplified geometry, projected to
/// Web-Mercator once here (not per tile and vertex), and an index.
struct LayerData {
    features: Vec<PreparedFeature>,
    index: SlotIndex,
}

/// (layer, date, zoom bucket)
type DerivedKey = (TileLayer, Option<NaiveDate>, u8);
/// Per-grid counts by slot, for one date.
type GridCounts = Arc<HashMap<u32, Counts>>;
/// Shared-arc topologies by (layer, date).
type Topologies = HashMap<(TileLayer, Option<NaiveDate>), Arc<Topology>>;

pub struct TileService {
    /// A read lock serves hits (TileCache::get takes &self), so hits on all cores never wait
    /// for each other; only inserts and evictions write.
    cache: RwLock<TileCache>,
    derived: Mutex<HashMap<DerivedKey, Arc<LayerData>>>,
    topologies: Mutex<Topologies>,
    counts: Mutex<HashMap<Option<NaiveDate>, GridCounts>>,
    /// The service's validation settings: the problems layer and the household-standard
    /// attributes must say what `/validation` and `/stats` say.
    config: Config,
}

impl TileService {
    pub fn new(config: Config) -> Self {
        TileService {
            cache: RwLock::new(TileCache::new(CACHE_BYTES)),
            derived: Mutex::new(HashMap::new()),
            topologies: Mutex::new(HashMap::new()),
            counts: Mutex::new(HashMap::new()),
            config,
        }
    }

    /// Called after a change is applied to the district: evicts the tiles the change touches and
    /// drops derived data.
    pub fn changed(&self, changes: &ChangeSet) {
        let bbox = changes
            .changes
            .iter()
            .flat_map(|c| c.before.iter().chain(c.after.iter()))
            .filter_map(|g| g.geometry.bounding_rect())
            .reduce(wangge_engine::index::union_rect);
        if let Some(b) = bbox {
            self.cache.write().evict_bbox(SOURCE, b, 0..=MAX_ZOOM);
        }
        self.forget_derived();
    }

    /// Everything changed (a reload).
    pub fn reset(&self) {
        *self.cache.write() = TileCache::new(CACHE_BYTES);
        self.forget_derived();
    }

    fn forget_derived(&self) {
        self.derived.lock().clear();
        self.topologies.lock().clear();
        self.counts.lock().clear();
    }

    pub fn generation(&self) -> u64 {
        self.cache.read().generation(SOURCE)
    }

    fn counts(&self, d: &District, as_of: Option<NaiveDate>) -> GridCounts {
        if let Some(c) = self.counts.lock().get(&as_of) {
            return c.clone();
        }
        let c = Arc::new(assign(d, as_of).per_grid);
        self.counts.lock().insert(as_of, c.clone());
        c
    }

    fn layer(
        &self,
        d: &District,
        name: TileLayer,
        as_of: Option<NaiveDate>,
        z: u8,
    ) -> Arc<LayerData> {
        let bucket = z.min(EXACT_FROM_ZOOM);
        let key = (name, as_of, bucket);
        if let Some(l) = self.derived.lock().get(&key) {
            return l.clone();
        }
        let data = Arc::new(self.build_layer(d, name, as_of, bucket));
        self.derived.lock().insert(key, data.clone());
        data
    }

    fn build_layer(
        &self,
        d: &District,
        name: TileLayer,
        as_of: Option<NaiveDate>,
        z: u8,
    ) -> LayerData {
        let features: Vec<Feature> = match name {
            TileLayer::Districts | TileLayer::Towns | TileLayer::Communities => {
                self.area_features(d, name, as_of, z)
            }
            TileLayer::Base | TileLayer::Micro | TileLayer::Special | TileLayer::Composite => {
                self.grid_features(d, name, as_of, z)
            }
            TileLayer::Buildings => building_features(d),
            TileLayer::Problems => problem_features(d, as_of, &self.config),
        };
        let features: Vec<PreparedFeature> =
            features.into_iter().map(PreparedFeature::new).collect();
        let index = index_features(&features);
        LayerData { features, index }
    }

    /// Shapes simplified at zoom `z` through the layer's shared-arc topology.
    fn simplified(
        &self,
        name: TileLayer,
        as_of: Option<NaiveDate>,
        z: u8,
        shapes: impl FnOnce() -> Vec<MultiPolygon<f64>>,
    ) -> Vec<MultiPolygon<f64>> {
        let shapes = shapes();
        if z >= EXACT_FROM_ZOOM {
            return shapes;
        }
        let topo = {
            let cached = self.topologies.lock().get(&(name, as_of)).cloned();
            match cached {
                Some(t) => t,
                None => {
                    let t = Arc::new(Topology::build(&shapes));
                    self.topologies.lock().insert((name, as_of), t.clone());
                    t
                }
            }
        };
        let latitude = shapes
            .iter()
            .filter_map(|s| s.bounding_rect())
            .reduce(wangge_engine::index::union_rect)
            .map_or(0.0, |r| r.center().y);
        topo.simplify(tolerance_for_zoom(z, 0.5, latitude))
    }

    fn area_features(
        &self,
        d: &District,
        name: TileLayer,
        as_of: Option<NaiveDate>,
        z: u8,
    ) -> Vec<Feature> {
        let level = match name {
            TileLayer::Districts => AdminLevel::District,
            TileLayer::Towns => AdminLevel::Town,
            _ => AdminLevel::Community,
        };
        let areas: Vec<_> = d
            .areas_of_level(level)
            .into_iter()
            .filter(|a| a.geometry.is_some())
            .collect();
        let shapes = self.simplified(name, as_of, z, || {
            areas.iter().filter_map(|a| a.geometry.clone()).collect()
        });
        areas
            .iter()
            .zip(shapes)
            .filter(|(_, s)| !s.0.is_empty())
            .map(|(a, s)| Feature {
                id: numeric_id(&a.code),
                geometry: Geometry::MultiPolygon(s),
                properties: {
                    let mut p = Props::default();
                    p.string(Field::Code, &a.code)
                        .string(Field::Name, &a.name)
                        .string(Field::Level, a.level.as_str())
                        .string(Field::Kind, a.kind.as_str());
                    p.list
                },
            })
            .collect()
    }

    fn grid_features(
        &self,
        d: &District,
        name: TileLayer,
        as_of: Option<NaiveDate>,
        z: u8,
    ) -> Vec<Feature> {
        let layer = match name {
            TileLayer::Micro => Layer::Micro,
            TileLayer::Special => Layer::Special,
            TileLayer::Composite => Layer::Composite,
            _ => Layer::Base,
        };
        let slots = d.layer_slots(&layer, as_of);
        let shapes = self.simplified(name, as_of, z, || {
            slots.iter().map(|s| d.slot(*s).geometry.clone()).collect()
        });
        let counts = (layer != Layer::Composite).then(|| self.counts(d, as_of));
        slots
            .iter()
            .zip(shapes)
            .filter(|(_, s)| !s.0.is_empty())
            .map(|(slot, s)| {
                let g = d.slot(*slot);
                let c = counts
                    .as_ref()
                    .and_then(|c| c.get(slot).copied())
                    .unwrap_or_default();
                Feature {
                    id: numeric_id(&g.code),
                    geometry: Geometry::MultiPolygon(s),
                    properties: grid_properties(d, &self.config.standards, g, c),
                }
            })
            .collect()
    }
}

fn grid_properties(
    d: &District,
    standards: &Standards,
    g: &Grid,
    c: Counts,
) -> Vec<(String, PropValue)> {
    let mut p = Props::default();
    p.string(Field::Id, &g.id.0)
        .string(Field::Code, &g.code)
        .string(Field::Name, &g.name)
        .string(Field::Layer, g.layer.as_str())
        .string(Field::Status, g.status.as_str())
        .string(Field::Kind, g.kind.as_str())
        .set(Field::Version, PropValue::Int(g.version.into()));
    if let Some(parent) = &g.parent {
        p.string(Field::Parent, parent);
    }
    if let Some(cat) = g.category {
        p.string(Field::Category, cat.as_str());
    }
    if let Some(n) = &g.network {
        p.string(Field::Network, n);
    }
    if g.layer != Layer::Composite {
        p.set(Field::Households, PropValue::Int(c.households.into()))
            .set(Field::Residents, PropValue::Int(c.residents.into()))
            .set(Field::Buildings, PropValue::Int(c.buildings.into()));
        let chain: Vec<String> = g
            .parent
            .as_deref()
            .map(|code| {
                d.area_chain(code)
                    .into_iter()
                    .map(|a| a.code.clone())
                    .collect()
            })
            .unwrap_or_default();
        let chain: Vec<&str> = chain.iter().map(String::as_str).collect();
        let band = standards.band_for(&g.layer, g.kind, &chain);
        if let Some(b) = band {
            p.set(Field::BandMin, PropValue::Int(b.min.into()))
                .set(Field::BandMax, PropValue::Int(b.max.into()));
            let fit = if c.households < b.min {
                "below"
            } else if c.households > b.max {
                "above"
            } else {
                "within"
            };
            p.string(Field::Standard, fit);
        }
    }
    p.list
}

fn building_features(d: &District) -> Vec<Feature> {
    d.buildings()
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let geometry = match &b.footprint {
                Footprint::Polygon(p) => Geometry::Polygon(p.clone()),
                Footprint::Point(p) => Geometry::Point(*p),
            };
            let mut p = Props::default();
            p.string(Field::Id, &b.id)
                .set(Field::Households, PropValue::Int(b.households.into()))
                .set(Field::Residents, PropValue::Int(b.residents.into()));
            if let Some(u) = &b.usage {
                p.string(Field::Usage, u);
            }
            Feature {
                id: i as u64 + 1,
                geometry,
                properties: p.list,
            }
        })
        .collect()
}

fn problem_features(d: &District, as_of: Option<NaiveDate>, config: &Config) -> Vec<Feature> {
    let report = validate(d, &Scope::All, as_of, config);
    report
        .problems
        .iter()
        .enumerate()
        .filter_map(|(i, p)| {
            Some(Feature {
                id: i as u64 + 1,
                geometry: p.geometry.clone()?,
                properties: {
                    let mut props = Props::default();
                    props
                        .string(Field::Kind, p.kind.as_str())
                        .string(Field::Severity, p.severity.as_str())
                        .string(Field::Grids, &p.grids_joined(","))
                        .set(Field::Measure, PropValue::Float(p.measure.value))
                        .string(Field::Message, &p.message);
                    props.list
                },
            })
        })
        .collect()
}

/// MVT feature ids are integers: an all-digit code (every base grid and area code) is its own
/// id; other codes (micro `…W001`, special `…Z001`) get a stable 53-bit hash, small enough for
/// JavaScript numbers. The code itself is always in the `code` property.
pub fn numeric_id(code: &str) -> u64 {
    if !code.is_empty() && code.len() <= 15 && code.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(v) = code.parse::<u64>() {
            return v;
        }
    }
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in code.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    (h & ((1 << 53) - 1)) | (1 << 52)
}

fn render(state: &SharedState, tile: TileId, as_of: Option<NaiveDate>) -> ApiResult<Vec<u8>> {
    let picked = {
        let d = state.district.read();
        pick(&state.tiles, &d, tile, as_of)
    };
    // Encoding works on the derived layers (Arcs), so it runs without the district lock.
    let layers: Vec<PreparedLayer<'_>> = picked
        .iter()
        .map(|(name, data, slots)| PreparedLayer {
            name: name.name(),
            features: slots.iter().map(|&s| &data.features[s as usize]).collect(),
        })
        .collect();
    encode_prepared(tile, &layers, &EncodeOptions::default()).map_err(|e| {
        ApiError::internal(format!("tile {}/{}/{}: {e}", tile.z(), tile.x(), tile.y()))
    })
}

/// The layers a tile shows and, for each, the slots of its derived features near the tile.
type Picked = Vec<(TileLayer, Arc<LayerData>, Vec<u32>)>;

fn pick(tiles: &TileService, d: &District, tile: TileId, as_of: Option<NaiveDate>) -> Picked {
    let bounds = tile.bounds_lonlat();
    // The buffer (64 of 4096 px) on each side, in degrees, for the candidate search.
    let pad_x = bounds.width() * 64.0 / 4096.0;
    let pad_y = bounds.height() * 64.0 / 4096.0;
    let search = Rect::new(
        (bounds.min().x - pad_x, bounds.min().y - pad_y),
        (bounds.max().x + pad_x, bounds.max().y + pad_y),
    );
    let mut picked = Vec::new();
    for name in TileLayer::ALL {
        if tile.z() < name.min_zoom() {
            continue;
        }
        let data = tiles.layer(d, name, as_of, tile.z());
        let mut slots: Vec<u32> = data.index.in_rect(search).collect();
        slots.sort_unstable();
        picked.push((name, data, slots));
    }
    picked
}

#[utoipa::path(get, path = "/tiles/grids/{z}/{x}/{y}.mvt", tag = "tiles",
    params(("z" = u8, Path, maximum = 20, description = "zoom 0–20"), ("x" = u32, Path, description = "column, below 2^z"),
        ("y" = u32, Path, description = "row, below 2^z (the path may also end in .pbf)"),
        ("as_of" = Option<chrono::NaiveDate>, Query, description = "YYYY-MM-DD: the grids valid that day"),
        ("If-None-Match" = Option<String>, Header, description = "an ETag from an earlier answer")),
    responses((status = 200, description = "A Mapbox Vector Tile 2.1 (extent 4096)", body = super::schemas::Binary, content_type = "application/vnd.mapbox-vector-tile",
            headers(("ETag" = String), ("Cache-Control" = String, description = "no-cache"))),
        (status = 304, description = "Not modified since the ETag in If-None-Match")))]
async fn tile(
    State(state): State<SharedState>,
    caller: Caller,
    Path((z, x, y)): Path<(String, String, String)>,
    params: Params,
    headers: HeaderMap,
) -> ApiResult<Response> {
    caller.require_read(&state)?;
    state.ensure_ready()?;
    let y = y
        .strip_suffix(".mvt")
        .or_else(|| y.strip_suffix(".pbf"))
        .ok_or_else(|| ApiError::field("y", "the tile path ends in {y}.mvt"))?;
    let number = |field: &str, v: &str| -> ApiResult<u32> {
        v.parse::<u32>()
            .map_err(|_| ApiError::field(field, format!("\"{v}\" is not a whole number ≥ 0")))
    };
    let (z, x, y) = (number("z", &z)?, number("x", &x)?, number("y", y)?);
    let z = u8::try_from(z)
        .ok()
        .filter(|z| *z <= MAX_ZOOM)
        .ok_or_else(|| ApiError::field("z", format!("zoom {z} is above the maximum {MAX_ZOOM}")))?;
    let tile = TileId::new(z, x, y).map_err(|e| ApiError::field("x", e.to_string()))?;
    let as_of = params.date("as_of")?;
    let key = TileKey {
        source: SOURCE.into(),
        tile,
        variant: as_of.map(|d| d.to_string()).unwrap_or_default(),
    };
    let cached = state.tiles.cache.read().get(&key);
    let cached = match cached {
        Some(c) => c,
        None => {
            let generation = state.tiles.generation();
            let s = state.clone();
            let bytes = tokio::task::spawn_blocking(move || render(&s, tile, as_of)).await??;
            state.tiles.cache.write().insert(key, bytes, generation)
        }
    };
    // The cache's ETag is already quoted; If-None-Match compares weakly (RFC 9110 13.1.2).
    let etag = cached.etag.as_str();
    let mut response = if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|t| t.trim().trim_start_matches("W/") == etag)
        }) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        // The body shares the cached bytes (no copy per hit).
        let body = axum::body::Body::from(bytes::Bytes::from_owner(cached.bytes.clone()));
        (StatusCode::OK, body).into_response()
    };
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(MEDIA));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(v) = HeaderValue::from_str(etag) {
        h.insert(header::ETAG, v);
    }
    Ok(response)
}

#[utoipa::path(get, path = "/tiles/grids.json", tag = "tiles",
    responses((status = 200, description = "TileJSON 3.0 of the grid tiles", body = super::schemas::JsonDocument)))]
async fn tilejson(State(state): State<SharedState>, caller: Caller) -> ApiResult<Response> {
    caller.require_read(&state)?;
    state.ensure_ready()?;
    // The configured public URL, not the request's Host header (which any client can set).
    let base = state.public_url();
    let bounds = state.district.read().extent();
    let (b, center) = match bounds {
        Some(r) => (
            vec![r.min().x, r.min().y, r.max().x, r.max().y],
            vec![r.center().x, r.center().y, 11.0],
        ),
        None => (vec![-180.0, -85.0, 180.0, 85.0], vec![0.0, 0.0, 1.0]),
    };
    let vector_layers: Vec<serde_json::Value> = TileLayer::ALL
        .iter()
        .map(|l| {
            let f: serde_json::Map<_, _> = l
                .fields()
                .iter()
                .map(|f| (f.name().to_string(), "String".into()))
                .collect();
            serde_json::json!({"id": l.name(), "fields": f, "minzoom": l.min_zoom(), "maxzoom": MAX_ZOOM})
        })
        .collect();
    let body = serde_json::json!({
        "tilejson": "3.0.0",
        "name": "wangge grids",
        "tiles": [format!("{base}/tiles/{SOURCE}/{{z}}/{{x}}/{{y}}.mvt")],
        "minzoom": 0,
        "maxzoom": MAX_ZOOM,
        "bounds": b,
        "center": center,
        "vector_layers": vector_layers,
    });
    Ok((
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response())
}
