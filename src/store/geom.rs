//! Geometry encodings the backends store: ISO WKB (PostGIS input/output through
//! `ST_GeomFromWKB`/`ST_AsBinary`), hex EWKB (PostGIS text input for COPY) and GeoPackage
//! geometry blobs (a small header + WKB).
//!
//! Written here rather than through geozero because the format needs only a few dozen lines and
//! because the round trip must be exact: WKB carries each coordinate as its IEEE-754 bytes, so a
//! grid read back is bit-identical to the one stored (coordinates are on a 1e-7° lattice, but no
//! decimal text ever sits in between).

use super::{StoreError, StoreResult};
use geo::{Coord, LineString, MultiPolygon, Point, Polygon};

/// EPSG code of every geometry the store holds (lon/lat; CGCS2000 is treated as the same datum).
pub const SRID: i32 = 4326;

const WKB_POINT: u32 = 1;
const WKB_POLYGON: u32 = 3;
const WKB_MULTIPOLYGON: u32 = 6;
/// EWKB flag: an SRID follows the type.
const EWKB_SRID: u32 = 0x2000_0000;

/// The geometries the model uses.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    Point(Point<f64>),
    Polygon(Polygon<f64>),
    MultiPolygon(MultiPolygon<f64>),
}

fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put_coord(out: &mut Vec<u8>, c: Coord<f64>) {
    out.extend_from_slice(&c.x.to_le_bytes());
    out.extend_from_slice(&c.y.to_le_bytes());
}

fn put_rings(out: &mut Vec<u8>, p: &Polygon<f64>) {
    put_u32(out, 1 + p.interiors().len() as u32);
    for ring in std::iter::once(p.exterior()).chain(p.interiors()) {
        put_u32(out, ring.0.len() as u32);
        for c in &ring.0 {
            put_coord(out, *c);
        }
    }
}

/// Little-endian WKB; with `srid`, EWKB (the SRID after the type).
fn encode(shape: &Shape, srid: Option<i32>, out: &mut Vec<u8>) {
    let header = |out: &mut Vec<u8>, ty: u32| {
        out.push(1);
        match srid {
            Some(s) => {
                put_u32(out, ty | EWKB_SRID);
                out.extend_from_slice(&s.to_le_bytes());
            }
            None => put_u32(out, ty),
        }
    };
    match shape {
        Shape::Point(p) => {
            header(out, WKB_POINT);
            put_coord(out, p.0);
        }
        Shape::Polygon(p) => {
            header(out, WKB_POLYGON);
            put_rings(out, p);
        }
        Shape::MultiPolygon(mp) => {
            header(out, WKB_MULTIPOLYGON);
            put_u32(out, mp.0.len() as u32);
            for p in &mp.0 {
                // Members of a multi-geometry carry no SRID.
                out.push(1);
                put_u32(out, WKB_POLYGON);
                put_rings(out, p);
            }
        }
    }
}

pub fn to_wkb(shape: &Shape) -> Vec<u8> {
    let mut out = Vec::new();
    encode(shape, None, &mut out);
    out
}

/// Hex EWKB with SRID 4326: what PostGIS accepts as the text form of a geometry in COPY.
pub fn to_hex_ewkb(shape: &Shape, out: &mut String) {
    let mut bytes = Vec::new();
    encode(shape, Some(SRID), &mut bytes);
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.reserve(bytes.len() * 2);
    for b in bytes {
        out.push(HEX[(b >> 4) as usize] as char);
        out.push(HEX[(b & 15) as usize] as char);
    }
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    little: bool,
}

fn bad(what: &str) -> StoreError {
    StoreError::Backend(format!("stored geometry is not valid WKB: {what}"))
}

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> StoreResult<[u8; N]> {
        let end = self.pos + N;
        let s = self
            .buf
            .get(self.pos..end)
            .ok_or_else(|| bad("truncated"))?;
        self.pos = end;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }
    fn u32(&mut self) -> StoreResult<u32> {
        let b = self.take::<4>()?;
        Ok(if self.little {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        })
    }
    fn f64(&mut self) -> StoreResult<f64> {
        let b = self.take::<8>()?;
        Ok(if self.little {
            f64::from_le_bytes(b)
        } else {
            f64::from_be_bytes(b)
        })
    }
    fn coord(&mut self) -> StoreResult<Coord<f64>> {
        Ok(Coord {
            x: self.f64()?,
            y: self.f64()?,
        })
    }
    /// Byte order and type (EWKB SRID skipped); returns the base type code.
    fn header(&mut self) -> StoreResult<u32> {
        let [order] = self.take::<1>()?;
        self.little = match order {
            0 => false,
            1 => true,
            _ => return Err(bad("unknown byte order")),
        };
        let ty = self.u32()?;
        if ty & EWKB_SRID != 0 {
            self.u32()?;
        }
        if ty & 0xC000_0000 != 0 || (ty & 0xFFFF) >= 1000 {
            return Err(bad("Z or M coordinates"));
        }
        Ok(ty & 0xFFFF)
    }
    fn count(&mut self) -> StoreResult<usize> {
        let n = self.u32()? as usize;
        // A count larger than the remaining bytes could hold is corrupt, not an allocation to try.
        if n > self.buf.len().saturating_sub(self.pos) {
            return Err(bad("count beyond the end"));
        }
        Ok(n)
    }
    fn polygon_body(&mut self) -> StoreResult<Polygon<f64>> {
        let rings = self.count()?;
        let mut out: Vec<LineString<f64>> = Vec::with_capacity(rings);
        for _ in 0..rings {
            let n = self.count()?;
            let mut cs = Vec::with_capacity(n);
            for _ in 0..n {
                cs.push(self.coord()?);
            }
            out.push(LineString(cs));
        }
        let mut it = out.into_iter();
        let ext = it.next().unwrap_or_else(|| LineString(vec![]));
        Ok(Polygon::new(ext, it.collect()))
    }
    fn shape(&mut self) -> StoreResult<Shape> {
        match self.header()? {
            WKB_POINT => Ok(Shape::Point(Point(self.coord()?))),
            WKB_POLYGON => Ok(Shape::Polygon(self.polygon_body()?)),
            WKB_MULTIPOLYGON => {
                let n = self.count()?;
                let mut ps = Vec::with_capacity(n);
                for _ in 0..n {
                    if self.header()? != WKB_POLYGON {
                        return Err(bad("multipolygon member is not a polygon"));
                    }
                    ps.push(self.polygon_body()?);
                }
                Ok(Shape::MultiPolygon(MultiPolygon(ps)))
            }
            t => Err(bad(&format!("geometry type {t} is not stored by wangge"))),
        }
    }
}

/// Reads WKB or EWKB.
pub fn from_wkb(buf: &[u8]) -> StoreResult<Shape> {
    Reader {
        buf,
        pos: 0,
        little: true,
    }
    .shape()
}

pub fn multipolygon(shape: Shape) -> StoreResult<MultiPolygon<f64>> {
    match shape {
        Shape::MultiPolygon(mp) => Ok(mp),
        Shape::Polygon(p) => Ok(MultiPolygon(vec![p])),
        Shape::Point(_) => Err(bad("a point where a (multi)polygon is stored")),
    }
}

fn envelope(shape: &Shape) -> Option<[f64; 4]> {
    let mut env: Option<[f64; 4]> = None;
    let mut add = |c: &Coord<f64>| {
        let e = env.get_or_insert([c.x, c.x, c.y, c.y]);
        e[0] = e[0].min(c.x);
        e[1] = e[1].max(c.x);
        e[2] = e[2].min(c.y);
        e[3] = e[3].max(c.y);
    };
    let mut polygon = |p: &Polygon<f64>| {
        for r in std::iter::once(p.exterior()).chain(p.interiors()) {
            r.0.iter().for_each(&mut add);
        }
    };
    match shape {
        Shape::Point(p) => {
            // A point's envelope is optional in GeoPackage and adds nothing; leave it out.
            let _ = p;
            return None;
        }
        Shape::Polygon(p) => polygon(p),
        Shape::MultiPolygon(mp) => mp.0.iter().for_each(polygon),
    }
    env
}

/// A GeoPackage geometry blob (GeoPackage 1.3, clause 2.1.3): "GP", version 0, flags
/// (little-endian, xy envelope when there are coordinates, the empty flag otherwise), the SRS id,
/// the envelope, then standard WKB.
pub fn to_gpkg(shape: &Shape) -> Vec<u8> {
    let env = envelope(shape);
    let empty = match shape {
        Shape::Point(_) => false,
        _ => env.is_none(),
    };
    let mut out = Vec::with_capacity(64);
    out.extend_from_slice(b"GP");
    out.push(0);
    let flags: u8 = 1 | if env.is_some() { 1 << 1 } else { 0 } | if empty { 1 << 4 } else { 0 };
    out.push(flags);
    out.extend_from_slice(&SRID.to_le_bytes());
    if let Some(e) = env {
        for v in e {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
    encode(shape, None, &mut out);
    out
}

pub fn from_gpkg(buf: &[u8]) -> StoreResult<Shape> {
    let (_, env_len) = gpkg_header(buf)?;
    let start = 8 + env_len;
    from_wkb(
        buf.get(start..)
            .ok_or_else(|| bad("truncated GeoPackage blob"))?,
    )
}

/// Whether a GeoPackage blob holds an empty geometry: the header's empty flag (clause 2.1.3),
/// or a point whose coordinates are NaN (how WKB writes an empty point).
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
        let mut e = [0f64; 4];
        let little = flags & 1 == 1;
        for (i, v) in e.iter_mut().enumerate() {
            let at = 8 + 8 * i;
            let b: [u8; 8] = buf
                .get(at..at + 8)
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
    let shape = from_wkb(
        buf.get(8 + env_len..)
            .ok_or_else(|| bad("truncated GeoPackage blob"))?,
    )?;
    Ok(match &shape {
        Shape::Point(p) if p.x().is_nan() || p.y().is_nan() => None,
        Shape::Point(p) => Some([p.x(), p.x(), p.y(), p.y()]),
        _ => envelope(&shape),
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
        assert_eq!(from_wkb(&to_wkb(&s)).ok(), Some(s.clone()));
        assert_eq!(from_gpkg(&to_gpkg(&s)).ok(), Some(s.clone()));
        let p = Shape::Point(Point::new(118.0000001, 29.9999999));
        assert_eq!(from_gpkg(&to_gpkg(&p)).ok(), Some(p));
    }

    #[test]
    fn hex_ewkb_carries_the_srid() {
        let mut h = String::new();
        to_hex_ewkb(&Shape::Point(Point::new(1.0, 2.0)), &mut h);
        // byte order 01, type 1 | 0x20000000 little-endian, SRID 4326 = 0x10E6.
        assert!(h.starts_with("0101000020E6100000"), "{h}");
    }

    #[test]
    fn gpkg_envelope_reads_header_or_point() {
        let s = Shape::MultiPolygon(sample());
        assert_eq!(
            gpkg_envelope(&to_gpkg(&s)).ok(),
            Some(Some([118.1234567, 118.2, 29.7, 29.8]))
        );
        let p = Shape::Point(Point::new(118.5, 29.25));
        assert_eq!(
            gpkg_envelope(&to_gpkg(&p)).ok(),
            Some(Some([118.5, 118.5, 29.25, 29.25]))
        );
        assert_eq!(gpkg_is_empty(&to_gpkg(&p)).ok(), Some(false));
        let empty = Shape::MultiPolygon(MultiPolygon(vec![]));
        assert_eq!(gpkg_is_empty(&to_gpkg(&empty)).ok(), Some(true));
        assert!(gpkg_envelope(b"XXXXXXXXXX").is_err());
    }

    #[test]
    fn corrupt_blobs_are_errors() {
        assert!(from_wkb(&[1, 6, 0, 0, 0, 255, 255, 255, 255]).is_err());
        assert!(from_gpkg(b"XX").is_err());
    }
}
