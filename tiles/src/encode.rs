//! Layers of features → one MVT 2.1 tile.
//!
//! Per feature: project lon/lat to tile pixels, clip to the buffered tile square
//! ([`crate::clip`]), round to integers, drop rings that became degenerate (fewer than 3
//! distinct points or zero area), orient rings as the spec requires, then let the `mvt` crate
//! write commands (MoveTo/LineTo/ClosePath, zigzag + delta) and tags.
//!
//! Winding (spec 4.3.4.4): in tile coordinates (y pointing down) an exterior ring has a
//! positive surveyor's-formula area (it looks clockwise on screen) and an interior ring a
//! negative one. We re-orient every ring after rounding, whatever the input winding was.

use crate::clip::{clip_line, clip_ring, ClipRect};
use crate::math::{TileId, DEFAULT_BUFFER, DEFAULT_EXTENT};
use geo::{BoundingRect, Coord, Geometry, LineString, Polygon, Rect};
use mvt::{GeomEncoder, GeomType, Tile};
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
    /// The `mvt` crate refused the data (for example two layers with the same name).
    Mvt(mvt::Error),
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
            EncodeError::Mvt(e) => write!(f, "MVT encoding failed: {e}"),
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

impl From<mvt::Error> for EncodeError {
    fn from(e: mvt::Error) -> Self {
        EncodeError::Mvt(e)
    }
}

/// Encodes `layers` into the tile `tile`. Layers left without features are omitted; a tile with
/// nothing in it encodes to zero bytes (a valid, empty MVT).
pub fn encode_tile(
    tile: TileId,
    layers: &[Layer],
    opts: &EncodeOptions,
) -> Result<Vec<u8>, EncodeError> {
    let clip = ClipRect::buffered(opts.extent, opts.buffer);
    let project = |c: Coord<f64>| tile.lonlat_to_tile(c, opts.extent);
    let mut out = Tile::new(opts.extent);
    for layer in layers {
        let mut mvt_layer = out.create_layer(&layer.name);
        for (feature, bbox) in layer.features.iter().zip(&layer.bboxes) {
            let Some(bbox) = bbox else { continue };
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
            if let Some(key) = repeated_key(&feature.properties) {
                return Err(EncodeError::DuplicateProperty {
                    layer: layer.name.clone(),
                    id: feature.id,
                    key: key.to_string(),
                });
            }
            let Some(geom) =
                encode_geometry(&feature.geometry, &project, &clip).map_err(|kind| {
                    EncodeError::Unsupported {
                        layer: layer.name.clone(),
                        id: feature.id,
                        kind,
                    }
                })?
            else {
                continue;
            };
            let mut f = mvt_layer.into_feature(geom.encode()?);
            f.set_id(feature.id);
            for (k, v) in &feature.properties {
                match v {
                    PropValue::String(s) => f.add_tag_string(k, s),
                    PropValue::Int(i) if *i >= 0 => f.add_tag_uint(k, i.unsigned_abs()),
                    PropValue::Int(i) => f.add_tag_sint(k, *i),
                    PropValue::Float(x) => f.add_tag_double(k, *x),
                    PropValue::Bool(b) => f.add_tag_bool(k, *b),
                }
            }
            mvt_layer = f.into_layer();
        }
        if mvt_layer.num_features() > 0 {
            out.add_layer(mvt_layer)?;
        }
    }
    if out.num_layers() == 0 {
        return Ok(Vec::new());
    }
    Ok(out.to_bytes()?)
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

type Enc = GeomEncoder<i32>;

/// Ok(None) when nothing of the geometry is left in the tile; Err(kind) when unsupported.
fn encode_geometry(
    g: &Geometry<f64>,
    project: &dyn Fn(Coord<f64>) -> Coord<f64>,
    clip: &ClipRect,
) -> Result<Option<Enc>, &'static str> {
    let polys = |ps: &[Polygon<f64>]| Ok(polygons(ps, project, clip));
    let lines = |ls: &[LineString<f64>]| Ok(linestrings(ls, project, clip));
    match g {
        Geometry::Point(p) => Ok(points(&[p.0], project, clip)),
        Geometry::MultiPoint(mp) => Ok(points(
            &mp.0.iter().map(|p| p.0).collect::<Vec<_>>(),
            project,
            clip,
        )),
        Geometry::Line(l) => lines(&[LineString::from(vec![l.start, l.end])]),
        Geometry::LineString(l) => lines(std::slice::from_ref(l)),
        Geometry::MultiLineString(ml) => lines(&ml.0),
        Geometry::Polygon(p) => polys(std::slice::from_ref(p)),
        Geometry::MultiPolygon(mp) => polys(&mp.0),
        Geometry::Rect(r) => polys(&[r.to_polygon()]),
        Geometry::Triangle(t) => polys(&[t.to_polygon()]),
        Geometry::GeometryCollection(_) => Err("GeometryCollection"),
    }
}

fn round(c: Coord<f64>) -> (i32, i32) {
    // Clipped coordinates lie within extent ± buffer, far inside i32.
    (c.x.round() as i32, c.y.round() as i32)
}

fn points(
    pts: &[Coord<f64>],
    project: &dyn Fn(Coord<f64>) -> Coord<f64>,
    clip: &ClipRect,
) -> Option<Enc> {
    let mut enc = Enc::new(GeomType::Point);
    let mut any = false;
    for &p in pts {
        let t = project(p);
        if clip.contains(t) {
            let (x, y) = round(t);
            enc.add_point(x, y).ok()?;
            any = true;
        }
    }
    any.then_some(enc)
}

fn linestrings(
    lines: &[LineString<f64>],
    project: &dyn Fn(Coord<f64>) -> Coord<f64>,
    clip: &ClipRect,
) -> Option<Enc> {
    let mut paths: Vec<Vec<(i32, i32)>> = Vec::new();
    for l in lines {
        let projected: Vec<Coord<f64>> = l.0.iter().map(|&c| project(c)).collect();
        for piece in clip_line(&projected, clip) {
            let mut pts: Vec<(i32, i32)> = piece.into_iter().map(round).collect();
            pts.dedup();
            if pts.len() < 2 {
                continue;
            }
            // A line starting where the previous one ended (touching lines of a multiline, or
            // clip pieces whose cut points round together) continues it. The mvt encoder would
            // drop that MoveTo and write LineTo after LineTo, which spec 4.3.4.3 forbids; as
            // one line it draws the same and keeps every vertex.
            match paths.last_mut() {
                Some(prev) if prev.last() == pts.first() => prev.extend_from_slice(&pts[1..]),
                _ => paths.push(pts),
            }
        }
    }
    if paths.is_empty() {
        return None;
    }
    let mut enc = Enc::new(GeomType::Linestring);
    for path in paths {
        for (x, y) in path {
            enc.add_point(x, y).ok()?;
        }
        enc.complete_geom().ok()?;
    }
    Some(enc)
}

/// Twice the surveyor's-formula area of an open ring, in integer tile units (exact in i64).
fn twice_area(r: &[(i32, i32)]) -> i64 {
    let n = r.len();
    (0..n)
        .map(|i| {
            let (a, b) = (r[i], r[(i + 1) % n]);
            i64::from(a.0) * i64::from(b.1) - i64::from(b.0) * i64::from(a.1)
        })
        .sum()
}

/// Projects, clips and rounds one ring; None when it is degenerate in this tile.
fn tile_ring(
    ring: &LineString<f64>,
    project: &dyn Fn(Coord<f64>) -> Coord<f64>,
    clip: &ClipRect,
    exterior: bool,
) -> Option<Vec<(i32, i32)>> {
    let projected: Vec<Coord<f64>> = ring.0.iter().map(|&c| project(c)).collect();
    let mut pts: Vec<(i32, i32)> = clip_ring(&projected, clip).into_iter().map(round).collect();
    pts.dedup();
    while pts.len() > 1 && pts.first() == pts.last() {
        pts.pop();
    }
    let mut distinct = pts.clone();
    distinct.sort_unstable();
    distinct.dedup();
    let area = twice_area(&pts);
    if distinct.len() < 3 || area == 0 {
        return None;
    }
    // Exterior: positive area in y-down tile space; interior: negative.
    if (area > 0) != exterior {
        pts.reverse();
    }
    Some(pts)
}

fn polygons(
    polys: &[Polygon<f64>],
    project: &dyn Fn(Coord<f64>) -> Coord<f64>,
    clip: &ClipRect,
) -> Option<Enc> {
    let mut enc = Enc::new(GeomType::Polygon);
    let mut any = false;
    let mut last: Option<(i32, i32)> = None;
    for p in polys {
        // A polygon whose exterior vanished in this tile takes its holes with it.
        let Some(ext) = tile_ring(p.exterior(), project, clip, true) else {
            continue;
        };
        let holes = p
            .interiors()
            .iter()
            .filter_map(|h| tile_ring(h, project, clip, false));
        for mut ring in std::iter::once(ext).chain(holes) {
            // The mvt encoder folds a ring starting where the previous one ended into it
            // (it drops the MoveTo), which would corrupt a polygon: start elsewhere instead.
            // Rings have ≥ 3 distinct points with no consecutive repeats, so ring[1] differs.
            if last == ring.first().copied() {
                ring.rotate_left(1);
            }
            for &(x, y) in &ring {
                enc.add_point(x, y).ok()?;
            }
            last = ring.last().copied();
            enc.complete_geom().ok()?;
            any = true;
        }
    }
    any.then_some(enc)
}

#[cfg(test)]
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
