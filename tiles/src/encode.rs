//! Layers of features → one MVT 2.1 tile.
//!
//! Per feature: project to tile pixels, clip to the buffered tile square ([`crate::clip`]),
//! round to integers, drop rings that became degenerate (zero area), orient rings as the spec
//! requires, then write commands (MoveTo/LineTo/ClosePath, zigzag + delta) and tags straight
//! into protobuf ([`crate::pbf`]).
//!
//! Two entry points share that pipeline: [`encode_tile`] takes lon/lat features and projects
//! every vertex with Mercator trigonometry; [`encode_prepared`] takes [`PreparedFeature`]s,
//! projected to Web-Mercator world fractions once when the source is built, and borrows them,
//! so a tile costs one multiply-add per vertex instead of a `tan` and a `ln` (the same idea as
//! PostGIS keeping a stored EPSG:3857 column). Both give identical bytes.
//!
//! Winding (spec 4.3.4.4): in tile coordinates (y pointing down) an exterior ring has a
//! positive surveyor's-formula area (it looks clockwise on screen) and an interior ring a
//! negative one. We re-orient every ring after rounding, whatever the input winding was.

use crate::clip::{clip_line, clip_open_ring_in_place, ClipRect};
use crate::math::{lonlat_to_world, TileId, DEFAULT_BUFFER, DEFAULT_EXTENT};
use crate::pbf::{GeomType, GeomWriter, LayerWriter, ValueKey};
use geo::{BoundingRect, Coord, Geometry, LineString, MapCoords, Polygon, Rect};
use std::fmt;

/// A property value. Integers are written as uint (≥ 0) or sint (< 0), the compact encodings.
#[derive(Debug, Clone, PartialEq)]
pub enum PropValue {
    String(String),
    Int(i64),
    Float(f64),
    Bool(bool),
}

/// One feature: caller-chosen id (grid codes map to ids; put the code in a `code` property too),
/// a lon/lat geometry and its properties in the order they should be written.
#[derive(Debug, Clone, PartialEq)]
pub struct Feature {
    pub id: u64,
    pub geometry: Geometry<f64>,
    pub properties: Vec<(String, PropValue)>,
}

/// A named layer. Keeps each feature's lon/lat bbox so a tile skips far features cheaply.
#[derive(Debug, Clone, Default)]
pub struct Layer {
    name: String,
    features: Vec<Feature>,
    bboxes: Vec<Option<Rect<f64>>>,
}

impl Layer {
    pub fn new(name: impl Into<String>) -> Layer {
        Layer {
            name: name.into(),
            ..Layer::default()
        }
    }

    pub fn push(&mut self, feature: Feature) {
        self.bboxes.push(feature.geometry.bounding_rect());
        self.features.push(feature);
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn features(&self) -> &[Feature] {
        &self.features
    }
}

impl FromIterator<Feature> for Layer {
    /// An unnamed layer; set the name with [`Layer::with_name`].
    fn from_iter<I: IntoIterator<Item = Feature>>(iter: I) -> Layer {
        let mut l = Layer::default();
        for f in iter {
            l.push(f);
        }
        l
    }
}

impl Layer {
    pub fn with_name(mut self, name: impl Into<String>) -> Layer {
        self.name = name.into();
        self
    }
}

/// Tile extent and buffer, both in tile units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncodeOptions {
    pub extent: u32,
    pub buffer: u32,
}

impl Default for EncodeOptions {
    fn default() -> Self {
        EncodeOptions {
            extent: DEFAULT_EXTENT,
            buffer: DEFAULT_BUFFER,
        }
    }
}

#[derive(Debug)]
pub enum EncodeError {
    /// Two layers of one tile carry the same name (MVT forbids it).
    DuplicateLayer { name: String },
    /// A geometry kind MVT cannot hold as one feature (GeometryCollection).
    Unsupported {
        layer: String,
        id: u64,
        kind: &'static str,
    },
    /// The same property key twice in one feature: MVT 2.1 (4.4) allows a key once per
    /// feature, and picking one of the values silently would hide the caller's mistake.
    DuplicateProperty { layer: String, id: u64, key: String },
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodeError::DuplicateLayer { name } => {
                write!(f, "MVT encoding failed: two layers are named {name:?}")
            }
            EncodeError::Unsupported { layer, id, kind } => {
                write!(
                    f,
                    "feature {id} of layer {layer}: {kind} cannot be encoded in MVT"
                )
            }
            EncodeError::DuplicateProperty { layer, id, key } => write!(
                f,
                "feature {id} of layer {layer}: property {key:?} given more than once"
            ),
        }
    }
}

impl std::error::Error for EncodeError {}

/// A feature projected once to Web-Mercator world fractions (x 0..1 west→east, y 0..1
/// north→south, see [`crate::math::lonlat_to_world`]) for encoding into many tiles.
#[derive(Debug, Clone, PartialEq)]
pub struct PreparedFeature {
    pub id: u64,
    pub properties: Vec<(String, PropValue)>,
    world: Geometry<f64>,
    world_bbox: Option<Rect<f64>>,
    lonlat_bbox: Option<Rect<f64>>,
}

impl PreparedFeature {
    pub fn new(f: Feature) -> PreparedFeature {
        let lonlat_bbox = f.geometry.bounding_rect();
        let world = f.geometry.map_coords(lonlat_to_world);
        PreparedFeature {
            id: f.id,
            properties: f.properties,
            world_bbox: world.bounding_rect(),
            world,
            lonlat_bbox,
        }
    }

    /// The lon/lat bounding box of the original geometry (for the caller's spatial index).
    pub fn lonlat_bbox(&self) -> Option<Rect<f64>> {
        self.lonlat_bbox
    }

    /// The geometry in world fractions.
    pub fn world_geometry(&self) -> &Geometry<f64> {
        &self.world
    }
}

impl From<Feature> for PreparedFeature {
    fn from(f: Feature) -> Self {
        PreparedFeature::new(f)
    }
}

/// A named layer of borrowed prepared features, in the order they should be written.
#[derive(Debug, Clone)]
pub struct PreparedLayer<'a> {
    pub name: &'a str,
    pub features: Vec<&'a PreparedFeature>,
}

/// Encodes `layers` into the tile `tile`. Layers left without features are omitted; a tile with
/// nothing in it encodes to zero bytes (a valid, empty MVT).
pub fn encode_tile(
    tile: TileId,
    layers: &[Layer],
    opts: &EncodeOptions,
) -> Result<Vec<u8>, EncodeError> {
    let extent = opts.extent;
    encode_with(
        opts,
        layers.iter().map(|l| {
            let views = l.features.iter().zip(&l.bboxes).map(|(f, b)| View {
                id: f.id,
                geometry: &f.geometry,
                bbox: *b,
                properties: &f.properties,
            });
            (l.name.as_str(), views)
        }),
        |c| tile.lonlat_to_tile(c, extent),
    )
}

/// [`encode_tile`] for prepared features: same output, no per-vertex trigonometry, no copies.
pub fn encode_prepared(
    tile: TileId,
    layers: &[PreparedLayer<'_>],
    opts: &EncodeOptions,
) -> Result<Vec<u8>, EncodeError> {
    let extent = opts.extent;
    encode_with(
        opts,
        layers.iter().map(|l| {
            let views = l.features.iter().map(|f| View {
                id: f.id,
                geometry: &f.world,
                bbox: f.world_bbox,
                properties: &f.properties,
            });
            (l.name, views)
        }),
        |w| tile.world_to_tile(w, extent),
    )
}

/// What the encoder needs of a feature, whichever way it is stored.
struct View<'a> {
    id: u64,
    geometry: &'a Geometry<f64>,
    /// In the same coordinates as `geometry`.
    bbox: Option<Rect<f64>>,
    properties: &'a [(String, PropValue)],
}

/// Buffers reused for every ring and feature of a tile.
#[derive(Default)]
struct Scratch {
    proj: Vec<Coord<f64>>,
    tmp: Vec<Coord<f64>>,
    ring: Vec<(i32, i32)>,
    geom: Vec<u32>,
}

fn encode_with<'a, L, F, P>(
    opts: &EncodeOptions,
    layers: L,
    project: P,
) -> Result<Vec<u8>, EncodeError>
where
    L: IntoIterator<Item = (&'a str, F)>,
    F: IntoIterator<Item = View<'a>>,
    P: Fn(Coord<f64>) -> Coord<f64>,
{
    let clip = ClipRect::buffered(opts.extent, opts.buffer);
    let mut scratch = Scratch::default();
    let mut out = Vec::new();
    let mut written: Vec<&str> = Vec::new();
    for (name, features) in layers {
        let mut lw = LayerWriter::new(name);
        for f in features {
            let Some(bbox) = f.bbox else { continue };
            // Mercator is monotonic in lon and lat, so the projected corners bound the feature.
            let (a, b) = (project(bbox.min()), project(bbox.max()));
            let min = Coord {
                x: a.x.min(b.x),
                y: a.y.min(b.y),
            };
            let max = Coord {
                x: a.x.max(b.x),
                y: a.y.max(b.y),
            };
            if !clip.intersects_box(min, max) {
                continue;
            }
            if let Some(key) = repeated_key(f.properties) {
                return Err(EncodeError::DuplicateProperty {
                    layer: name.to_string(),
                    id: f.id,
                    key: key.to_string(),
                });
            }
            let ty =
                encode_geometry(f.geometry, &project, &clip, &mut scratch).map_err(|kind| {
                    EncodeError::Unsupported {
                        layer: name.to_string(),
                        id: f.id,
                        kind,
                    }
                })?;
            let Some(ty) = ty else { continue };
            lw.begin_tags();
            for (k, v) in f.properties {
                let v = match v {
                    PropValue::String(s) => ValueKey::String(s),
                    PropValue::Int(i) if *i >= 0 => ValueKey::Uint(i.unsigned_abs()),
                    PropValue::Int(i) => ValueKey::Sint(*i),
                    PropValue::Float(x) => ValueKey::Double(x.to_bits()),
                    PropValue::Bool(b) => ValueKey::Bool(*b),
                };
                lw.tag(k, v);
            }
            lw.feature(f.id, ty, &scratch.geom);
        }
        if lw.num_features() > 0 {
            if written.contains(&name) {
                return Err(EncodeError::DuplicateLayer {
                    name: name.to_string(),
                });
            }
            written.push(name);
            lw.finish(opts.extent, &mut out);
        }
    }
    Ok(out)
}

/// The first key that appears a second time, if any. Features carry a handful of properties,
/// so the quadratic scan beats hashing.
fn repeated_key(props: &[(String, PropValue)]) -> Option<&str> {
    props
        .iter()
        .enumerate()
        .find(|(i, (k, _))| props[..*i].iter().any(|(p, _)| p == k))
        .map(|(_, (k, _))| k.as_str())
}

/// Writes the geometry's commands into `s.geom`. Ok(None) when nothing of it is left in the
/// tile; Err(kind) when unsupported.
fn encode_geometry<P: Fn(Coord<f64>) -> Coord<f64>>(
    g: &Geometry<f64>,
    project: &P,
    clip: &ClipRect,
    s: &mut Scratch,
) -> Result<Option<GeomType>, &'static str> {
    let ok = |any: bool, ty: GeomType| Ok(any.then_some(ty));
    match g {
        Geometry::Point(p) => ok(points(&[p.0], project, clip, s), GeomType::Point),
        Geometry::MultiPoint(mp) => {
            let pts: Vec<_> = mp.0.iter().map(|p| p.0).collect();
            ok(points(&pts, project, clip, s), GeomType::Point)
        }
        Geometry::Line(l) => {
            let l = LineString::from(vec![l.start, l.end]);
            ok(linestrings(&[l], project, clip, s), GeomType::Linestring)
        }
        Geometry::LineString(l) => ok(
            linestrings(std::slice::from_ref(l), project, clip, s),
            GeomType::Linestring,
        ),
        Geometry::MultiLineString(ml) => {
            ok(linestrings(&ml.0, project, clip, s), GeomType::Linestring)
        }
        Geometry::Polygon(p) => ok(
            polygons(std::slice::from_ref(p), project, clip, s),
            GeomType::Polygon,
        ),
        Geometry::MultiPolygon(mp) => ok(polygons(&mp.0, project, clip, s), GeomType::Polygon),
        Geometry::Rect(r) => ok(
            polygons(&[r.to_polygon()], project, clip, s),
            GeomType::Polygon,
        ),
        Geometry::Triangle(t) => ok(
            polygons(&[t.to_polygon()], project, clip, s),
            GeomType::Polygon,
        ),
        Geometry::GeometryCollection(_) => Err("GeometryCollection"),
    }
}

fn round(c: Coord<f64>) -> (i32, i32) {
    // Clipped coordinates lie within extent ± buffer, far inside i32.
    (c.x.round() as i32, c.y.round() as i32)
}

fn points<P: Fn(Coord<f64>) -> Coord<f64>>(
    pts: &[Coord<f64>],
    project: &P,
    clip: &ClipRect,
    s: &mut Scratch,
) -> bool {
    let mut enc = GeomWriter::new(GeomType::Point, &mut s.geom);
    let mut any = false;
    for &p in pts {
        let t = project(p);
        if clip.contains(t) {
            let (x, y) = round(t);
            enc.add_point(x, y);
            any = true;
        }
    }
    if any {
        enc.complete();
    }
    any
}

fn linestrings<P: Fn(Coord<f64>) -> Coord<f64>>(
    lines: &[LineString<f64>],
    project: &P,
    clip: &ClipRect,
    s: &mut Scratch,
) -> bool {
    // Whole pieces are collected first: a piece starting where the previous one ended must
    // continue it (see below), which is only known once the next piece is clipped.
    let mut paths: Vec<Vec<(i32, i32)>> = Vec::new();
    for l in lines {
        s.proj.clear();
        s.proj.extend(l.0.iter().map(|&c| project(c)));
        for piece in clip_line(&s.proj, clip) {
            s.ring.clear();
            for c in piece {
                let p = round(c);
                if s.ring.last() != Some(&p) {
                    s.ring.push(p);
                }
            }
            if s.ring.len() < 2 {
                continue;
            }
            // A line starting where the previous one ended (touching lines of a multiline, or
            // clip pieces whose cut points round together) continues it. The writer (like the
            // mvt crate it replaced) would drop that MoveTo and write LineTo after LineTo,
            // which spec 4.3.4.3 forbids; as one line it draws the same and keeps every vertex.
            match paths.last_mut() {
                Some(prev) if prev.last() == s.ring.first() => prev.extend_from_slice(&s.ring[1..]),
                _ => paths.push(s.ring.clone()),
            }
        }
    }
    if paths.is_empty() {
        return false;
    }
    let mut enc = GeomWriter::new(GeomType::Linestring, &mut s.geom);
    for path in &paths {
        for &(x, y) in path {
            enc.add_point(x, y);
        }
        enc.complete();
    }
    true
}

/// Twice the surveyor's-formula area of an open ring, in integer tile units (exact in i64).
fn twice_area(r: &[(i32, i32)]) -> i64 {
    let Some(&last) = r.last() else { return 0 };
    let mut prev = last;
    let mut sum = 0i64;
    for &c in r {
        sum += i64::from(prev.0) * i64::from(c.1) - i64::from(c.0) * i64::from(prev.1);
        prev = c;
    }
    sum
}

/// Projects, clips and rounds one ring into `ring`; false when it is degenerate in this tile.
fn tile_ring<P: Fn(Coord<f64>) -> Coord<f64>>(
    ring: &LineString<f64>,
    project: &P,
    clip: &ClipRect,
    exterior: bool,
    proj: &mut Vec<Coord<f64>>,
    tmp: &mut Vec<Coord<f64>>,
    out: &mut Vec<(i32, i32)>,
) -> bool {
    proj.clear();
    proj.extend(ring.0.iter().map(|&c| project(c)));
    if proj.len() > 1 && proj.first() == proj.last() {
        proj.pop();
    }
    clip_open_ring_in_place(proj, tmp, clip);
    out.clear();
    for &c in proj.iter() {
        let p = round(c);
        if out.last() != Some(&p) {
            out.push(p);
        }
    }
    while out.len() > 1 && out.first() == out.last() {
        out.pop();
    }
    // A non-zero area needs at least three distinct, non-collinear points, so this one test
    // also drops rings that collapsed to a point or a segment.
    let area = twice_area(out);
    if area == 0 {
        return false;
    }
    // Exterior: positive area in y-down tile space; interior: negative.
    if (area > 0) != exterior {
        out.reverse();
    }
    true
}

fn polygons<P: Fn(Coord<f64>) -> Coord<f64>>(
    polys: &[Polygon<f64>],
    project: &P,
    clip: &ClipRect,
    s: &mut Scratch,
) -> bool {
    let Scratch {
        proj,
        tmp,
        ring,
        geom,
    } = s;
    let mut enc = GeomWriter::new(GeomType::Polygon, geom);
    let mut any = false;
    let mut last: Option<(i32, i32)> = None;
    for p in polys {
        // A polygon whose exterior vanished in this tile takes its holes with it.
        if !tile_ring(p.exterior(), project, clip, true, proj, tmp, ring) {
            continue;
        }
        emit_ring(&mut enc, ring, &mut last);
        any = true;
        for h in p.interiors() {
            if tile_ring(h, project, clip, false, proj, tmp, ring) {
                emit_ring(&mut enc, ring, &mut last);
            }
        }
    }
    any
}

fn emit_ring(enc: &mut GeomWriter<'_>, ring: &[(i32, i32)], last: &mut Option<(i32, i32)>) {
    // The command writer (like the mvt crate before it) folds a ring starting where the
    // previous one ended into it (it drops the MoveTo), which would corrupt a polygon: start
    // one point later instead. Rings have ≥ 3 distinct points with no consecutive repeats, so
    // ring[1] differs.
    let start = usize::from(*last == ring.first().copied());
    for &(x, y) in ring[start..].iter().chain(&ring[..start]) {
        enc.add_point(x, y);
    }
    *last = if start == 1 {
        ring.first().copied()
    } else {
        ring.last().copied()
    };
    enc.complete();
}

#[cfg(test)]
// Tests: an unwrap that panics is the failure report.
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use geo::polygon;

    #[test]
    fn area_sign_is_y_down() {
        // (0,0) → (10,0) → (10,10): clockwise on screen (y down), positive area.
        assert!(twice_area(&[(0, 0), (10, 0), (10, 10), (0, 10)]) > 0);
    }

    #[test]
    fn empty_tile_is_empty_bytes() {
        let t = TileId::new(10, 0, 0).unwrap();
        let mut l = Layer::new("grids");
        l.push(Feature {
            id: 1,
            geometry: Geometry::Polygon(
                polygon![(x: 116.0, y: 39.0), (x: 116.1, y: 39.0), (x: 116.1, y: 39.1)],
            ),
            properties: vec![],
        });
        assert!(encode_tile(t, &[l], &EncodeOptions::default())
            .unwrap()
            .is_empty());
    }

    #[test]
    fn collection_is_refused() {
        let t = TileId::new(0, 0, 0).unwrap();
        let mut l = Layer::new("x");
        l.push(Feature {
            id: 7,
            geometry: Geometry::GeometryCollection(geo::GeometryCollection(vec![Geometry::Point(
                geo::Point::new(1.0, 1.0),
            )])),
            properties: vec![],
        });
        let e = encode_tile(t, &[l], &EncodeOptions::default()).unwrap_err();
        assert!(e.to_string().contains("GeometryCollection"));
    }
}
