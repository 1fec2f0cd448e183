//! Geometry encodings the backends store: ISO WKB (PostGIS input/output through
//! `ST_GeomFromWKB`/`ST_AsBinary`), hex EWKB (PostGIS text input for COPY) and GeoPackage
//! geometry blobs (a small header + WKB).
//!
//! Through geozero (georust): it reads and writes all three straight to and from our geo-types
//! 0.7 values (no conversion copy), and carries each coordinate as its IEEE-754 bytes, so a grid
//! read back is bit-identical to the one stored. Its reader trusts the counts in a blob and
//! reserves that much memory, so reads go through [`Checked`], which refuses a count the blob
//! cannot hold, and Z/M coordinates, which wangge never stores.

use super::{StoreError, StoreResult};
use geo::{BoundingRect, Geometry, MultiPolygon, Point, Polygon};
use geozero::error::{GeozeroError, Result as GzResult};
use geozero::geo_types::GeoWriter;
use geozero::wkb::{Ewkb, GpkgWkb};
use geozero::{CoordDimensions, GeomProcessor, GeozeroGeometry, ToWkb};

/// EPSG code of every geometry the store holds (lon/lat; CGCS2000 is treated as the same datum).
pub const SRID: i32 = 4326;

/// The geometries the model uses.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    Point(Point<f64>),
    Polygon(Polygon<f64>),
    MultiPolygon(MultiPolygon<f64>),
}

impl From<&Shape> for Geometry<f64> {
    fn from(s: &Shape) -> Self {
        match s {
            Shape::Point(p) => Geometry::Point(*p),
            Shape::Polygon(p) => Geometry::Polygon(p.clone()),
            Shape::MultiPolygon(mp) => Geometry::MultiPolygon(mp.clone()),
        }
    }
}

fn bad(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt {
        column: "geometry",
        value: format!("(not valid WKB: {what})"),
    }
}

/// Writing to a `Vec` cannot fail, and our shapes are all xy, so an error here is a bug in the
/// encoder: reported as corrupt rather than panicking.
fn written(r: GzResult<Vec<u8>>) -> StoreResult<Vec<u8>> {
    r.map_err(bad)
}

/// Hex EWKB with SRID 4326: what PostGIS accepts as the text form of a geometry in COPY.
pub fn to_hex_ewkb(shape: &Shape, out: &mut String) -> StoreResult<()> {
    let bytes = written(Geometry::from(shape).to_ewkb(CoordDimensions::xy(), Some(SRID)))?;
    out.push_str(&hex::encode_upper(bytes));
    Ok(())
}

/// A GeoPackage geometry blob (GeoPackage 1.3, clause 2.1.3): little-endian, SRS 4326, the xy
/// envelope `[min x, max x, min y, max y]` (none for a point: optional there and it adds nothing,
/// and none for an empty shape), then standard WKB.
pub fn to_gpkg(shape: &Shape) -> StoreResult<Vec<u8>> {
    let g = Geometry::from(shape);
    let env = match shape {
        Shape::Point(_) => None,
        _ => g.bounding_rect(),
    };
    let env = env.map_or(vec![], |r| vec![r.min().x, r.max().x, r.min().y, r.max().y]);
    written(g.to_gpkg_wkb(CoordDimensions::xy(), Some(SRID), env))
}

/// geozero's geo-types writer behind two checks (see the module comment).
struct Checked {
    geo: GeoWriter,
    /// The blob's length: no count of coordinates, rings or members can be larger.
    room: usize,
}

impl Checked {
    fn fits(&self, size: usize) -> GzResult<()> {
        match size <= self.room {
            true => Ok(()),
            false => Err(GeozeroError::Geometry("count beyond the end".into())),
        }
    }
}

/// Methods passed on to the geo-types writer, a `size` checked first where named.
macro_rules! forward {
    ($($name:ident($($arg:ident: $ty:ty),*) $(checked $size:ident)?,)*) => {$(
        fn $name(&mut self, $($arg: $ty),*) -> GzResult<()> {
            $(self.fits($size)?;)?
            self.geo.$name($($arg),*)
        }
    )*};
}

impl GeomProcessor for Checked {
    fn dimensions(&self) -> CoordDimensions {
        CoordDimensions::xyzm()
    }
    fn coordinate(
        &mut self,
        x: f64,
        y: f64,
        z: Option<f64>,
        m: Option<f64>,
        _: Option<f64>,
        _: Option<u64>,
        idx: usize,
    ) -> GzResult<()> {
        if z.is_some() || m.is_some() {
            return Err(GeozeroError::Geometry("Z or M coordinates".into()));
        }
        self.geo.xy(x, y, idx)
    }
    forward! {
        point_begin(idx: usize), point_end(idx: usize),
        linestring_begin(tagged: bool, size: usize, idx: usize) checked size,
        linestring_end(tagged: bool, idx: usize),
        polygon_begin(tagged: bool, size: usize, idx: usize) checked size,
        polygon_end(tagged: bool, idx: usize),
        multipolygon_begin(size: usize, idx: usize) checked size,
        multipolygon_end(idx: usize),
    }
    // Other geometry types are never stored: refused before anything is reserved for them.
    fn multipoint_begin(&mut self, _: usize, _: usize) -> GzResult<()> {
        Err(GeozeroError::Geometry("a multipoint".into()))
    }
    fn multilinestring_begin(&mut self, _: usize, _: usize) -> GzResult<()> {
        Err(GeozeroError::Geometry("a multilinestring".into()))
    }
    fn geometrycollection_begin(&mut self, _: usize, _: usize) -> GzResult<()> {
        Err(GeozeroError::Geometry("a geometry collection".into()))
    }
}

fn read(g: impl GeozeroGeometry, room: usize) -> StoreResult<Shape> {
    let mut c = Checked {
        geo: GeoWriter::new(),
        room,
    };
    g.process_geom(&mut c).map_err(bad)?;
    match c.geo.take_geometry() {
        Some(Geometry::Point(p)) => Ok(Shape::Point(p)),
        Some(Geometry::Polygon(p)) => Ok(Shape::Polygon(p)),
        Some(Geometry::MultiPolygon(mp)) => Ok(Shape::MultiPolygon(mp)),
        _ => Err(bad("a geometry type wangge does not store")),
    }
}

/// Reads WKB or EWKB (the EWKB reader takes plain xy WKB too, and skips an SRID).
pub fn from_wkb(buf: &[u8]) -> StoreResult<Shape> {
    read(Ewkb(buf), buf.len())
}

pub fn from_gpkg(buf: &[u8]) -> StoreResult<Shape> {
    read(GpkgWkb(buf), buf.len())
}

pub fn multipolygon(shape: Shape) -> StoreResult<MultiPolygon<f64>> {
    match shape {
        Shape::MultiPolygon(mp) => Ok(mp),
        Shape::Polygon(p) => Ok(MultiPolygon(vec![p])),
        Shape::Point(_) => Err(bad("a point where a (multi)polygon is stored")),
    }
}

/// Whether a GeoPackage blob holds an empty geometry: the header's empty flag (clause 2.1.3),
/// or a shape without coordinates (a point whose coordinates are NaN, how WKB writes one).
pub fn gpkg_is_empty(buf: &[u8]) -> StoreResult<bool> {
    Ok(gpkg_envelope(buf)?.is_none())
}

/// The envelope `[min x, max x, min y, max y]` of a GeoPackage blob (the R-tree's columns, in
/// the header's order), `None` for an empty geometry. Read from the header when it carries one;
/// otherwise (points, as [`to_gpkg`] writes them, or other writers' blobs) from the WKB.
pub fn gpkg_envelope(buf: &[u8]) -> StoreResult<Option<[f64; 4]>> {
    let (flags, env_len) = gpkg_header(buf)?;
    if flags & (1 << 4) != 0 {
        return Ok(None);
    }
    if env_len >= 32 {
        let little = flags & 1 == 1;
        let mut e = [0f64; 4];
        for (i, v) in e.iter_mut().enumerate() {
            let b: [u8; 8] = buf
                .get(8 + 8 * i..16 + 8 * i)
                .and_then(|s| s.try_into().ok())
                .ok_or_else(|| bad("truncated GeoPackage envelope"))?;
            *v = if little {
                f64::from_le_bytes(b)
            } else {
                f64::from_be_bytes(b)
            };
        }
        return Ok(Some(e));
    }
    let shape = from_gpkg(buf)?;
    Ok(match &shape {
        Shape::Point(p) if p.x().is_nan() || p.y().is_nan() => None,
        _ => Geometry::from(&shape)
            .bounding_rect()
            .map(|r| [r.min().x, r.max().x, r.min().y, r.max().y]),
    })
}

/// The flags byte and the envelope's length in bytes of a GeoPackage blob's header.
fn gpkg_header(buf: &[u8]) -> StoreResult<(u8, usize)> {
    if buf.len() < 8 || &buf[0..2] != b"GP" {
        return Err(bad("GeoPackage blob without the GP header"));
    }
    let flags = buf[3];
    let env_len = match (flags >> 1) & 7 {
        0 => 0,
        1 => 32,
        2 | 3 => 48,
        4 => 64,
        _ => return Err(bad("unknown GeoPackage envelope")),
    };
    Ok((flags, env_len))
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    fn sample() -> MultiPolygon<f64> {
        let outer = polygon![
            exterior: [(x: 118.1234567, y: 29.7000001), (x: 118.2, y: 29.7), (x: 118.2, y: 29.8), (x: 118.1234567, y: 29.7000001)],
            interiors: [[(x: 118.15, y: 29.72), (x: 118.16, y: 29.72), (x: 118.16, y: 29.73), (x: 118.15, y: 29.72)]],
        ];
        MultiPolygon(vec![outer.clone(), outer])
    }

    #[test]
    fn wkb_round_trip_is_exact() {
        let s = Shape::MultiPolygon(sample());
        let mut h = String::new();
        assert!(to_hex_ewkb(&s, &mut h).is_ok());
        let wkb = hex::decode(&h).ok();
        assert_eq!(
            wkb.as_deref().map(from_wkb).and_then(Result::ok),
            Some(s.clone())
        );
        let gpkg = to_gpkg(&s).ok();
        assert_eq!(
            gpkg.as_deref().map(from_gpkg).and_then(Result::ok),
            Some(s.clone())
        );
        let p = Shape::Point(Point::new(118.0000001, 29.9999999));
        let gpkg = to_gpkg(&p).ok();
        assert_eq!(gpkg.as_deref().map(from_gpkg).and_then(Result::ok), Some(p));
    }

    #[test]
    fn hex_ewkb_carries_the_srid() {
        let mut h = String::new();
        assert!(to_hex_ewkb(&Shape::Point(Point::new(1.0, 2.0)), &mut h).is_ok());
        // byte order 01, type 1 | 0x20000000 little-endian, SRID 4326 = 0x10E6.
        assert!(h.starts_with("0101000020E6100000"), "{h}");
        let bytes = hex::decode(&h).unwrap_or_default();
        assert_eq!(
            from_wkb(&bytes).ok(),
            Some(Shape::Point(Point::new(1.0, 2.0)))
        );
    }

    #[test]
    fn gpkg_envelope_reads_header_or_point() {
        let s = Shape::MultiPolygon(sample());
        assert_eq!(
            gpkg_envelope(&to_gpkg(&s).expect("encode")).ok(),
            Some(Some([118.1234567, 118.2, 29.7, 29.8]))
        );
        let p = Shape::Point(Point::new(118.5, 29.25));
        assert_eq!(
            gpkg_envelope(&to_gpkg(&p).expect("encode")).ok(),
            Some(Some([118.5, 118.5, 29.25, 29.25]))
        );
        assert_eq!(
            gpkg_is_empty(&to_gpkg(&p).expect("encode")).ok(),
            Some(false)
        );
        let empty = Shape::MultiPolygon(MultiPolygon(vec![]));
        assert_eq!(
            gpkg_is_empty(&to_gpkg(&empty).expect("encode")).ok(),
            Some(true)
        );
        assert!(gpkg_envelope(b"XXXXXXXXXX").is_err());
    }

    #[test]
    fn corrupt_blobs_are_errors() {
        // A multipolygon claiming 4,294,967,295 members in 9 bytes: refused, nothing reserved.
        assert!(from_wkb(&[1, 6, 0, 0, 0, 255, 255, 255, 255]).is_err());
        // A polygon whose one ring claims more points than follow.
        assert!(from_wkb(&[1, 3, 0, 0, 0, 1, 0, 0, 0, 255, 255, 255, 0, 0]).is_err());
        assert!(from_gpkg(b"XX").is_err());
        let mut gpkg = to_gpkg(&Shape::MultiPolygon(sample())).unwrap_or_default();
        gpkg.truncate(gpkg.len() - 3);
        assert!(from_gpkg(&gpkg).is_err());
        // A point with Z (type 1001).
        let z = [&[1u8, 0xE9, 3, 0, 0][..], &[0; 24]].concat();
        assert!(from_wkb(&z).is_err());
    }
}
