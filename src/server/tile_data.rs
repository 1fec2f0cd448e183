//! The tile source's derived data: per layer, date and zoom, the features with simplified
//! geometry and their index, the shared-arc topologies and the per-grid counts.
//!
//! Derived data belongs to one snapshot of the district ([`TileData`] lives in
//! `state::Snapshot`): computed lazily the first time a tile needs it, and dropped with the
//! snapshot when a change publishes the next one, so it can never describe another state of the
//! district than the one it was computed from. Nothing here knows the service state: the
//! dependency goes `state → tile_data` and `tiles → {state, tile_data}`.
//!
//! The service-wide tile cache ([`TileService`], bytes per tile with generation numbers) is
//! here too, for the same reason: the state holds it, the handlers in `tiles` use it.

use chrono::NaiveDate;
use geo::{BoundingRect, Geometry, MultiPolygon};
use parking_lot::{Mutex, RwLock};
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, OnceLock};
use wangge_engine::assign::{assign, Counts};
use wangge_engine::edit::ChangeSet;
use wangge_engine::index::{envelope_of, Entry, SlotIndex};
use wangge_engine::validate::{validate, Config, Scope, Standards};
use wangge_engine::{AdminLevel, District, Footprint, Grid, Layer};
use wangge_tiles::{tolerance_for_zoom, Feature, PreparedFeature, PropValue, TileCache, Topology};

/// The only tile source.
pub const SOURCE: &str = "grids";
pub const MAX_ZOOM: u8 = 20;
const CACHE_BYTES: usize = 256 * 1024 * 1024;

/// Zooms at and above this one carry exact geometry (half a pixel is then about 1 m or less).
pub const EXACT_FROM_ZOOM: u8 = 15;

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
pub(crate) struct LayerData {
    pub(crate) features: Vec<PreparedFeature>,
    pub(crate) index: SlotIndex,
}

/// (layer, date, zoom bucket)
type DerivedKey = (TileLayer, Option<NaiveDate>, u8);
/// Per-grid counts by slot, for one date.
type GridCounts = Arc<HashMap<u32, Counts>>;

/// Values computed once per key: the map's lock is held only to find the key's cell, and the
/// value is computed outside it (two renders needing the same layer compute it once, and
/// renders needing different layers do not wait for each other).
struct Lazy<K, V> {
    cells: Mutex<HashMap<K, Arc<OnceLock<V>>>>,
}

impl<K, V> Default for Lazy<K, V> {
    fn default() -> Self {
        Lazy {
            cells: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: Eq + Hash, V: Clone> Lazy<K, V> {
    fn get_or_init(&self, key: K, init: impl FnOnce() -> V) -> V {
        let cell = self.cells.lock().entry(key).or_default().clone();
        cell.get_or_init(init).clone()
    }
}

/// The derived data of one snapshot of the district.
#[derive(Default)]
pub struct TileData {
    derived: Lazy<DerivedKey, Arc<LayerData>>,
    topologies: Lazy<(TileLayer, Option<NaiveDate>), Arc<Topology>>,
    counts: Lazy<Option<NaiveDate>, GridCounts>,
}

impl std::fmt::Debug for TileData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TileData")
            .field("layers", &self.derived.cells.lock().len())
            .finish()
    }
}

impl TileData {
    fn counts(&self, d: &District, as_of: Option<NaiveDate>) -> GridCounts {
        self.counts
            .get_or_init(as_of, || Arc::new(assign(d, as_of).per_grid))
    }

    /// The derived data of a layer at zoom `z` on a date. `d` must be the district of the
    /// snapshot this belongs to, `config` the service's validation settings.
    pub(crate) fn layer(
        &self,
        d: &District,
        config: &Config,
        name: TileLayer,
        as_of: Option<NaiveDate>,
        z: u8,
    ) -> Arc<LayerData> {
        let bucket = z.min(EXACT_FROM_ZOOM);
        self.derived.get_or_init((name, as_of, bucket), || {
            Arc::new(self.build_layer(d, config, name, as_of, bucket))
        })
    }

    fn build_layer(
        &self,
        d: &District,
        config: &Config,
        name: TileLayer,
        as_of: Option<NaiveDate>,
        z: u8,
    ) -> LayerData {
        let features: Vec<Feature> = match name {
            TileLayer::Districts | TileLayer::Towns | TileLayer::Communities => {
                self.area_features(d, name, as_of, z)
            }
            TileLayer::Base | TileLayer::Micro | TileLayer::Special | TileLayer::Composite => {
                self.grid_features(d, &config.standards, name, as_of, z)
            }
            TileLayer::Buildings => building_features(d),
            TileLayer::Problems => problem_features(d, as_of, config),
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
        let topo = self
            .topologies
            .get_or_init((name, as_of), || Arc::new(Topology::build(&shapes)));
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
        standards: &Standards,
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
                    properties: grid_properties(d, standards, g, c),
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

/// The service-wide part of the tile source: the rendered tiles (bytes per tile) with their
/// generation numbers. What tiles are made from hangs off each snapshot (`tile_data`).
pub struct TileService {
    /// A read lock serves hits (TileCache::get takes &self), so hits on all cores never wait
    /// for each other; only inserts and evictions write.
    pub(crate) cache: RwLock<TileCache>,
    /// The service's validation settings: the problems layer and the household-standard
    /// attributes must say what `/validation` and `/stats` say.
    pub(crate) config: Config,
}

impl TileService {
    pub fn new(config: Config) -> Self {
        TileService {
            cache: RwLock::new(TileCache::new(CACHE_BYTES)),
            config,
        }
    }

    /// Called after a snapshot with the change was published: evicts the tiles the change
    /// touches and bumps the generation. Derived data needs no dropping: it belongs to the
    /// snapshot it was computed from (`tile_data`).
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
    }

    /// Everything changed (a reload).
    pub fn reset(&self) {
        *self.cache.write() = TileCache::new(CACHE_BYTES);
    }

    pub fn generation(&self) -> u64 {
        self.cache.read().generation(SOURCE)
    }
}
