//! Tile math: z/x/y validation, tile bounds, projection to tile pixels, tile ranges over a bbox.
//!
//! Web Mercator (EPSG:3857) with the XYZ scheme: y grows southwards, tile (0,0,0) covers the
//! whole world between ±85.0511° latitude. Everything here is pure arithmetic on f64.

use geo::{Coord, Rect};
use std::fmt;

/// Highest zoom we serve. 2^24 tiles per axis still fits u32 comfortably and is ~2 cm per pixel.
pub const MAX_ZOOM: u8 = 24;
/// The MVT extent we encode at: 4096 units per tile side (the de-facto standard).
pub const DEFAULT_EXTENT: u32 = 4096;
/// Buffer around a tile, in extent units, so strokes at tile edges do not show seams.
pub const DEFAULT_BUFFER: u32 = 64;
/// Web Mercator's latitude limit: the latitude where the square world map ends.
pub const MAX_LAT: f64 = 85.051_128_779_806_59;
/// Earth radius used by EPSG:3857.
const EARTH_RADIUS: f64 = 6_378_137.0;
/// Half the width of the world in EPSG:3857 metres.
pub const MERCATOR_HALF: f64 = std::f64::consts::PI * EARTH_RADIUS;

/// Why a z/x/y triple is not a tile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TileError {
    /// z above [`MAX_ZOOM`].
    ZoomTooHigh { z: u8 },
    /// x or y not below 2^z.
    OutOfRange { z: u8, x: u32, y: u32 },
}

impl fmt::Display for TileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TileError::ZoomTooHigh { z } => write!(f, "zoom {z} is above the maximum {MAX_ZOOM}"),
            TileError::OutOfRange { z, x, y } => {
                write!(
                    f,
                    "tile {z}/{x}/{y} does not exist: x and y must be below 2^{z}"
                )
            }
        }
    }
}

impl std::error::Error for TileError {}

/// A validated XYZ tile address. Construct with [`TileId::new`]; the fields are read-only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TileId {
    z: u8,
    x: u32,
    y: u32,
}

impl TileId {
    /// Validates z in 0..=24 and x, y < 2^z.
    pub fn new(z: u8, x: u32, y: u32) -> Result<TileId, TileError> {
        if z > MAX_ZOOM {
            return Err(TileError::ZoomTooHigh { z });
        }
        let n = 1u64 << z;
        if u64::from(x) >= n || u64::from(y) >= n {
            return Err(TileError::OutOfRange { z, x, y });
        }
        Ok(TileId { z, x, y })
    }

    pub fn z(&self) -> u8 {
        self.z
    }
    pub fn x(&self) -> u32 {
        self.x
    }
    pub fn y(&self) -> u32 {
        self.y
    }

    /// Tile bounds in EPSG:3857 metres (min = south-west, max = north-east).
    pub fn bounds_mercator(&self) -> Rect<f64> {
        let size = 2.0 * MERCATOR_HALF / tiles_per_side(self.z);
        let min_x = -MERCATOR_HALF + f64::from(self.x) * size;
        let max_y = MERCATOR_HALF - f64::from(self.y) * size;
        Rect::new(
            Coord {
                x: min_x,
                y: max_y - size,
            },
            Coord {
                x: min_x + size,
                y: max_y,
            },
        )
    }

    /// Tile bounds in lon/lat degrees (min = south-west, max = north-east).
    pub fn bounds_lonlat(&self) -> Rect<f64> {
        let m = self.bounds_mercator();
        Rect::new(mercator_to_lonlat(m.min()), mercator_to_lonlat(m.max()))
    }

    /// Projects lon/lat to this tile's pixel space at `extent` (x right, y down, origin at the
    /// tile's north-west corner). Points outside the tile get coordinates outside 0..extent.
    pub fn lonlat_to_tile(&self, c: Coord<f64>, extent: u32) -> Coord<f64> {
        // Work in world-fraction space (0..1) so the arithmetic is the same at every zoom.
        self.world_to_tile(lonlat_to_world(c), extent)
    }

    /// As [`TileId::lonlat_to_tile`] for a point already in world fractions
    /// ([`lonlat_to_world`]): no trigonometry, so sources projected once can be encoded into
    /// many tiles cheaply. Gives exactly the same numbers as `lonlat_to_tile`.
    pub fn world_to_tile(&self, w: Coord<f64>, extent: u32) -> Coord<f64> {
        let n = tiles_per_side(self.z);
        let e = f64::from(extent);
        Coord {
            x: (w.x * n - f64::from(self.x)) * e,
            y: (w.y * n - f64::from(self.y)) * e,
        }
    }
}

impl fmt::Display for TileId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.z, self.x, self.y)
    }
}

fn tiles_per_side(z: u8) -> f64 {
    (1u64 << z) as f64
}

/// lon/lat → EPSG:3857 metres. Latitude is clamped to ±[`MAX_LAT`] so poles stay finite.
pub fn lonlat_to_mercator(c: Coord<f64>) -> Coord<f64> {
    let lat = c.y.clamp(-MAX_LAT, MAX_LAT).to_radians();
    Coord {
        x: c.x.to_radians() * EARTH_RADIUS,
        y: (std::f64::consts::FRAC_PI_4 + lat / 2.0).tan().ln() * EARTH_RADIUS,
    }
}

/// EPSG:3857 metres → lon/lat.
pub fn mercator_to_lonlat(c: Coord<f64>) -> Coord<f64> {
    Coord {
        x: (c.x / EARTH_RADIUS).to_degrees(),
        y: (2.0 * (c.y / EARTH_RADIUS).exp().atan() - std::f64::consts::FRAC_PI_2).to_degrees(),
    }
}

/// lon/lat → world fraction: x 0..1 west→east, y 0..1 north→south.
pub fn lonlat_to_world(c: Coord<f64>) -> Coord<f64> {
    let m = lonlat_to_mercator(c);
    Coord {
        x: (m.x + MERCATOR_HALF) / (2.0 * MERCATOR_HALF),
        y: (MERCATOR_HALF - m.y) / (2.0 * MERCATOR_HALF),
    }
}

/// Size of one pixel (1/256 of a tile side) at zoom `z`, in degrees of longitude.
/// At latitude φ a degree of latitude is 1/cos φ times longer on the map than a degree of
/// longitude, so a tolerance for lon/lat data should be multiplied by cos φ (see
/// [`crate::simplify::tolerance_for_zoom`]).
pub fn pixel_degrees(z: u8) -> f64 {
    360.0 / (256.0 * tiles_per_side(z))
}

/// An inclusive rectangle of tiles at one zoom.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TileRange {
    pub z: u8,
    pub x_min: u32,
    pub x_max: u32,
    pub y_min: u32,
    pub y_max: u32,
}

impl TileRange {
    pub fn contains(&self, t: &TileId) -> bool {
        t.z == self.z
            && (self.x_min..=self.x_max).contains(&t.x)
            && (self.y_min..=self.y_max).contains(&t.y)
    }

    /// Number of tiles in the range.
    pub fn len(&self) -> u64 {
        u64::from(self.x_max - self.x_min + 1) * u64::from(self.y_max - self.y_min + 1)
    }

    /// Never true: a range holds at least one tile. Here for clippy's `len_without_is_empty`.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// All tiles of the range, row by row.
    pub fn iter(&self) -> impl Iterator<Item = TileId> + '_ {
        let z = self.z;
        (self.y_min..=self.y_max)
            .flat_map(move |y| (self.x_min..=self.x_max).map(move |x| TileId { z, x, y }))
    }
}

/// Tiles at zoom `z` whose area *including a buffer of `buffer` extent units out of `extent`*
/// touches `bbox` (lon/lat, closed). Pass `buffer = 0` for plain tile intersection.
///
/// The buffer matters for cache eviction: a feature within the buffer of a neighbouring tile is
/// drawn in that tile too, so an edit there changes it. A bbox edge lying exactly on a tile
/// boundary touches the tiles on both sides (closed intervals), which errs towards evicting.
///
/// Returns `None` when z is above [`MAX_ZOOM`] or the bbox is not finite.
pub fn tiles_covering(bbox: Rect<f64>, z: u8, buffer: u32, extent: u32) -> Option<TileRange> {
    if z > MAX_ZOOM || !(bbox.min().x.is_finite() && bbox.min().y.is_finite()) {
        return None;
    }
    if !(bbox.max().x.is_finite() && bbox.max().y.is_finite()) || extent == 0 {
        return None;
    }
    let n = tiles_per_side(z);
    let pad = f64::from(buffer) / f64::from(extent);
    // north-west and south-east corners in tile units at this zoom.
    let nw = lonlat_to_world(Coord {
        x: bbox.min().x,
        y: bbox.max().y,
    });
    let se = lonlat_to_world(Coord {
        x: bbox.max().x,
        y: bbox.min().y,
    });
    let last = (1u64 << z) - 1;
    let to_index = |v: f64| -> u32 {
        // floor, then clamp into the valid tile range; u64 holds 2^24 with room to spare.
        let f = v.floor();
        if f < 0.0 {
            0
        } else {
            (f as u64).min(last) as u32
        }
    };
    // A tile t touches the interval [a, b] with padding p when t - p <= b and t + 1 + p >= a,
    // i.e. t in [ceil(a - 1 - p), floor(b + p)]. For p = 0 and a exactly on a boundary, the
    // tile ending there is included: closed intervals.
    let lo = |a: f64| to_index((a - 1.0 - pad).ceil());
    Some(TileRange {
        z,
        x_min: lo(nw.x * n),
        x_max: to_index(se.x * n + pad),
        y_min: lo(nw.y * n),
        y_max: to_index(se.y * n + pad),
    })
}

/// [`tiles_covering`] for every zoom in `zooms`.
pub fn tiles_covering_zooms(
    bbox: Rect<f64>,
    zooms: std::ops::RangeInclusive<u8>,
    buffer: u32,
    extent: u32,
) -> Vec<TileRange> {
    zooms
        .filter_map(|z| tiles_covering(bbox, z, buffer, extent))
        .collect()
}

#[cfg(test)]
// Tests: an unwrap that panics is the failure report.
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn validation() {
        assert!(TileId::new(0, 0, 0).is_ok());
        assert_eq!(TileId::new(25, 0, 0), Err(TileError::ZoomTooHigh { z: 25 }));
        assert_eq!(
            TileId::new(2, 4, 0),
            Err(TileError::OutOfRange { z: 2, x: 4, y: 0 })
        );
        assert!(TileId::new(24, (1 << 24) - 1, (1 << 24) - 1).is_ok());
        assert!(TileId::new(24, 1 << 24, 0).is_err());
    }

    #[test]
    fn bounds_of_world_and_quadrants() {
        let w = TileId::new(0, 0, 0).unwrap().bounds_lonlat();
        assert!((w.min().x + 180.0).abs() < 1e-9 && (w.max().x - 180.0).abs() < 1e-9);
        assert!((w.max().y - MAX_LAT).abs() < 1e-9 && (w.min().y + MAX_LAT).abs() < 1e-9);
        let ne = TileId::new(1, 1, 0).unwrap().bounds_lonlat();
        assert!(ne.min().x.abs() < 1e-9 && ne.min().y.abs() < 1e-9);
        let m = TileId::new(1, 0, 1).unwrap().bounds_mercator();
        assert!((m.min().x + MERCATOR_HALF).abs() < 1e-6 && m.max().y.abs() < 1e-6);
    }

    #[test]
    fn tile_pixels() {
        let t = TileId::new(1, 1, 0).unwrap();
        let p = t.lonlat_to_tile(Coord { x: 0.0, y: 0.0 }, 4096);
        assert!(p.x.abs() < 1e-6 && (p.y - 4096.0).abs() < 1e-6);
        let p = t.lonlat_to_tile(
            Coord {
                x: 90.0,
                y: MAX_LAT,
            },
            4096,
        );
        assert!((p.x - 2048.0).abs() < 1e-6 && p.y.abs() < 1e-6);
    }

    #[test]
    fn covering() {
        // A small bbox well inside tile 2/3/1 (lon 90..180, lat 0..66.5).
        let b = Rect::new(Coord { x: 120.0, y: 30.0 }, Coord { x: 121.0, y: 31.0 });
        let r = tiles_covering(b, 2, 0, 4096).unwrap();
        assert_eq!((r.x_min, r.x_max, r.y_min, r.y_max), (3, 3, 1, 1));
        // lon 90 lies exactly on the boundary of x = 2 and x = 3: both touched.
        let b = Rect::new(Coord { x: 90.0, y: 30.0 }, Coord { x: 91.0, y: 31.0 });
        let r = tiles_covering(b, 2, 0, 4096).unwrap();
        assert_eq!((r.x_min, r.x_max), (2, 3));
        // Close to a boundary, the buffer reaches into the neighbour.
        let b = Rect::new(Coord { x: 90.5, y: 30.0 }, Coord { x: 91.0, y: 31.0 });
        assert_eq!(tiles_covering(b, 2, 0, 4096).unwrap().x_min, 3);
        assert_eq!(tiles_covering(b, 2, 64, 4096).unwrap().x_min, 2);
        let all = tiles_covering_zooms(b, 0..=5, 0, 4096);
        assert_eq!(all.len(), 6);
        assert_eq!(all[0].len(), 1);
        assert!(tiles_covering(b, 25, 0, 4096).is_none());
    }
}
