//! China's consumer-map datums: GCJ-02 and BD-09, to and from WGS84/CGCS2000.
//!
//! **GCJ-02** (国测局坐标, the "Mars" datum) is the obfuscated coordinate system that Chinese
//! consumer map SDKs (AMap/高德, Tencent/腾讯, Google Maps in China) report and draw in. It is not a
//! PROJ CRS: it is WGS84 plus a deliberately irregular, position-dependent offset of typically
//! 100–700 m. The offset formula has been public for years (reverse-engineered, widely copied); this
//! module implements that public formula:
//!
//! - with `x = lon − 105`, `y = lat − 35` (degrees), two polynomial-plus-sine series
//!   `T_lat(x, y)` and `T_lon(x, y)` give offsets in metres-like units;
//! - they are turned into degrees on the **Krasovsky 1940** ellipsoid (`a = 6378245 m`,
//!   `e² = 0.00669342162296594323`): `Δlat = T_lat·180 / (π·a(1−e²)/W³)` and
//!   `Δlon = T_lon·180 / (π·a/W·cos φ)` with `W = √(1 − e² sin² φ)`;
//! - `gcj = wgs + (Δlon, Δlat)`.
//!
//! Outside China the formula is not applied (GCJ-02 = WGS84 there). "China" is the common
//! bounding-box rule of the public code: lon 72.004–137.8347, lat 0.8293–55.8271 (see
//! [`is_in_china`]); it includes neighbouring countries, exactly as the SDKs' public formula does.
//!
//! **BD-09** (百度坐标) is Baidu's datum: a second, small obfuscation applied on top of GCJ-02
//! (a polar perturbation plus the constant shift 0.0065°, 0.006°).
//!
//! **Accuracy.** The forward transforms are exact implementations of the public formulas. The
//! inverses have no closed form; [`gcj02_to_wgs84`] and [`bd09_to_gcj02`] solve them by fixed-point
//! iteration (the transforms are a near-identity map, so the iteration contracts quickly) until the
//! forward transform of the result reproduces the input to better than [`INVERSE_TOLERANCE_DEG`].
//! The measured round-trip error over China is below [`INVERSE_ERROR_BOUND_M`]. Whether an SDK's
//! own server-side conversion matches the public formula to the centimetre is not documented;
//! independent implementations (e.g. the gcoord library's tests) agree with it to 1e-5°.

use geo::Coord;
use std::f64::consts::PI;

/// Semi-major axis of the Krasovsky 1940 ellipsoid used by the GCJ-02 formula, in metres.
pub const KRASOVSKY_A: f64 = 6_378_245.0;
/// First eccentricity squared of the Krasovsky 1940 ellipsoid.
/// (The formula's literal, 0.00669342162296594323, rounded to what an f64 holds.)
pub const KRASOVSKY_EE: f64 = 0.006_693_421_622_965_943;

/// The inverse iterations stop once the forward transform of the result is within this many
/// degrees of the input (about 0.1 mm).
pub const INVERSE_TOLERANCE_DEG: f64 = 1e-9;

/// Upper bound, in metres, of the round-trip error of the iterative inverses measured by this
/// module's tests over a sample grid covering China (measured maximum: well under 1 mm; the bound
/// is stated with a wide margin).
pub const INVERSE_ERROR_BOUND_M: f64 = 0.01;

const MAX_ITERATIONS: usize = 50;

/// Baidu's constant: π · 3000 / 180.
const X_PI: f64 = PI * 3000.0 / 180.0;

/// Whether the GCJ-02 offset applies at `c` (lon/lat in degrees): the public formula's bounding
/// box, lon 72.004–137.8347, lat 0.8293–55.8271.
pub fn is_in_china(c: Coord<f64>) -> bool {
    (72.004..=137.8347).contains(&c.x) && (0.8293..=55.8271).contains(&c.y)
}

fn transform_lat(x: f64, y: f64) -> f64 {
    let mut r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * x.abs().sqrt();
    r += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    r += (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0;
    r += (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0;
    r
}

fn transform_lon(x: f64, y: f64) -> f64 {
    let mut r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * x.abs().sqrt();
    r += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    r += (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0;
    r += (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0;
    r
}

/// The GCJ-02 offset (Δlon, Δlat) in degrees at a WGS84 position inside China.
fn gcj_offset(c: Coord<f64>) -> Coord<f64> {
    let x = c.x - 105.0;
    let y = c.y - 35.0;
    let rad_lat = c.y / 180.0 * PI;
    let sin_lat = rad_lat.sin();
    let w2 = 1.0 - KRASOVSKY_EE * sin_lat * sin_lat;
    let w = w2.sqrt();
    let d_lat =
        transform_lat(x, y) * 180.0 / ((KRASOVSKY_A * (1.0 - KRASOVSKY_EE)) / (w2 * w) * PI);
    let d_lon = transform_lon(x, y) * 180.0 / (KRASOVSKY_A / w * rad_lat.cos() * PI);
    Coord { x: d_lon, y: d_lat }
}

/// WGS84/CGCS2000 → GCJ-02 (the public formula; identity outside China).
pub fn wgs84_to_gcj02(c: Coord<f64>) -> Coord<f64> {
    if !is_in_china(c) {
        return c;
    }
    let d = gcj_offset(c);
    Coord {
        x: c.x + d.x,
        y: c.y + d.y,
    }
}

/// Solves `forward(w) = target` for `w` by fixed-point iteration `w ← w − (forward(w) − target)`,
/// which converges because `forward` is the identity plus a slowly varying offset.
fn invert(
    target: Coord<f64>,
    start: Coord<f64>,
    forward: impl Fn(Coord<f64>) -> Coord<f64>,
) -> Coord<f64> {
    let mut w = start;
    for _ in 0..MAX_ITERATIONS {
        let f = forward(w);
        let (ex, ey) = (f.x - target.x, f.y - target.y);
        if ex.abs() < INVERSE_TOLERANCE_DEG && ey.abs() < INVERSE_TOLERANCE_DEG {
            break;
        }
        w = Coord {
            x: w.x - ex,
            y: w.y - ey,
        };
    }
    w
}

/// GCJ-02 → WGS84/CGCS2000: the iterative inverse of [`wgs84_to_gcj02`] (identity outside China).
pub fn gcj02_to_wgs84(c: Coord<f64>) -> Coord<f64> {
    if !is_in_china(c) {
        return c;
    }
    invert(c, c, wgs84_to_gcj02)
}

/// GCJ-02 → BD-09 (Baidu's public formula).
pub fn gcj02_to_bd09(c: Coord<f64>) -> Coord<f64> {
    let (x, y) = (c.x, c.y);
    let z = (x * x + y * y).sqrt() + 0.00002 * (y * X_PI).sin();
    let theta = y.atan2(x) + 0.000003 * (x * X_PI).cos();
    Coord {
        x: z * theta.cos() + 0.0065,
        y: z * theta.sin() + 0.006,
    }
}

/// BD-09 → GCJ-02. Starts from Baidu's public approximate inverse (not an exact inverse of the
/// forward formula) and refines it iteratively against [`gcj02_to_bd09`].
pub fn bd09_to_gcj02(c: Coord<f64>) -> Coord<f64> {
    let x = c.x - 0.0065;
    let y = c.y - 0.006;
    let z = (x * x + y * y).sqrt() - 0.00002 * (y * X_PI).sin();
    let theta = y.atan2(x) - 0.000003 * (x * X_PI).cos();
    let approx = Coord {
        x: z * theta.cos(),
        y: z * theta.sin(),
    };
    invert(c, approx, gcj02_to_bd09)
}

/// WGS84/CGCS2000 → BD-09.
pub fn wgs84_to_bd09(c: Coord<f64>) -> Coord<f64> {
    gcj02_to_bd09(wgs84_to_gcj02(c))
}

/// BD-09 → WGS84/CGCS2000.
pub fn bd09_to_wgs84(c: Coord<f64>) -> Coord<f64> {
    gcj02_to_wgs84(bd09_to_gcj02(c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::distance_m;
    use geo::Point;
    use proptest::prelude::*;

    fn d(a: Coord<f64>, b: Coord<f64>) -> f64 {
        distance_m(Point(a), Point(b))
    }

    /// A deterministic 50 × 50 sample grid over China's box, inset by 0.05° so that the GCJ-02
    /// offset (< 0.01°) cannot carry a point across the box edge, where the datum is
    /// discontinuous by definition.
    fn sample() -> Vec<Coord<f64>> {
        let (x0, x1, y0, y1) = (
            72.004 + 0.05,
            137.8347 - 0.05,
            0.8293 + 0.05,
            55.8271 - 0.05,
        );
        let n = 50;
        let mut out = Vec::with_capacity(n * n);
        for i in 0..n {
            for j in 0..n {
                out.push(Coord {
                    x: x0 + (x1 - x0) * i as f64 / (n - 1) as f64,
                    y: y0 + (y1 - y0) * j as f64 / (n - 1) as f64,
                });
            }
        }
        out
    }

    #[test]
    fn gcj_round_trips_stay_within_the_error_bound_over_all_of_china() {
        let mut worst: f64 = 0.0;
        for c in sample() {
            let back = wgs84_to_gcj02(gcj02_to_wgs84(c));
            worst = worst.max(d(c, back));
            let back = gcj02_to_wgs84(wgs84_to_gcj02(c));
            worst = worst.max(d(c, back));
        }
        println!("worst GCJ-02 round trip over China: {worst:e} m");
        assert!(worst < INVERSE_ERROR_BOUND_M, "worst round trip {worst} m");
        assert!(worst < 0.5);
    }

    #[test]
    fn bd_round_trips_stay_within_the_error_bound() {
        let mut worst: f64 = 0.0;
        for c in sample() {
            worst = worst.max(d(c, gcj02_to_bd09(bd09_to_gcj02(c))));
            worst = worst.max(d(c, bd09_to_gcj02(gcj02_to_bd09(c))));
            worst = worst.max(d(c, wgs84_to_bd09(bd09_to_wgs84(c))));
            worst = worst.max(d(c, bd09_to_wgs84(wgs84_to_bd09(c))));
        }
        println!("worst BD-09 round trip over China: {worst:e} m");
        assert!(worst < INVERSE_ERROR_BOUND_M, "worst round trip {worst} m");
    }

    #[test]
    fn gcj_is_the_identity_outside_china() {
        for c in [
            Coord { x: 24.94, y: 60.17 }, // Helsinki
            Coord { x: -74.0, y: 40.7 },  // New York
            Coord { x: 151.2, y: -33.9 }, // Sydney
            Coord { x: 183.0, y: 45.0 },  // beyond the antimeridian
        ] {
            assert!(!is_in_china(c));
            assert_eq!(wgs84_to_gcj02(c), c);
            assert_eq!(gcj02_to_wgs84(c), c);
        }
    }

    /// Reference values from the test suite of the independent `gcoord` JavaScript library
    /// (hujiulong/gcoord, MIT; `test/unit/crs/{WGS84,GCJ02,BD09}.spec.ts`), which checks them to
    /// 5 decimals. Their inverses are computed by a different method than ours, so agreement to
    /// 1e-5° (≈1 m) is what can be expected.
    #[test]
    fn matches_published_reference_pairs() {
        let close = |a: Coord<f64>, x: f64, y: f64| {
            assert!(
                (a.x - x).abs() < 1e-5 && (a.y - y).abs() < 1e-5,
                "got {a:?}, want ({x}, {y})"
            );
        };
        let p = Coord { x: 123.0, y: 45.0 };
        close(wgs84_to_gcj02(p), 123.006_075_41, 45.001_978_15);
        close(gcj02_to_wgs84(p), 122.993_955_97, 44.998_040_71);
        close(gcj02_to_bd09(p), 123.006_364_99, 45.006_368_99);
        close(wgs84_to_bd09(p), 123.012_449_1, 45.008_329_3);
        close(bd09_to_gcj02(p), 122.993_633_04, 44.993_654_30);
        close(bd09_to_wgs84(p), 122.987_622_10, 44.991_715_40);
    }

    /// Known properties: in eastern China the GCJ-02 offset is a few hundred metres, pointing
    /// east and (south of about 36°N) south-east-ish. shared/data/SOURCES.md expects about
    /// (+502 m, −266 m) at Tunxi.
    #[test]
    fn offsets_at_known_cities_are_hundreds_of_metres_in_the_documented_direction() {
        for (name, c) in [
            (
                "Beijing",
                Coord {
                    x: 116.397_128,
                    y: 39.916_527,
                },
            ),
            (
                "Shanghai",
                Coord {
                    x: 121.4737,
                    y: 31.2304,
                },
            ),
            (
                "Tunxi",
                Coord {
                    x: 118.31,
                    y: 29.71,
                },
            ),
        ] {
            let g = wgs84_to_gcj02(c);
            let m = d(c, g);
            assert!((100.0..=700.0).contains(&m), "{name}: offset {m} m");
            assert!(g.x > c.x, "{name}: GCJ-02 lies east of WGS84");
        }
        let t = Coord {
            x: 118.31,
            y: 29.71,
        };
        let g = wgs84_to_gcj02(t);
        let east = d(t, Coord { x: g.x, y: t.y });
        let north = (g.y - t.y).signum() * d(Coord { x: g.x, y: t.y }, g);
        assert!(
            (east - 502.0).abs() < 40.0 && (north + 266.0).abs() < 40.0,
            "Tunxi ({east}, {north})"
        );
    }

    proptest! {
        #[test]
        fn gcj_round_trip_property(lon in 72.1f64..137.7, lat in 0.9f64..55.7) {
            let c = Coord { x: lon, y: lat };
            prop_assert!(d(c, wgs84_to_gcj02(gcj02_to_wgs84(c))) < INVERSE_ERROR_BOUND_M);
            prop_assert!(d(c, gcj02_to_wgs84(wgs84_to_gcj02(c))) < INVERSE_ERROR_BOUND_M);
            prop_assert!(d(c, bd09_to_wgs84(wgs84_to_bd09(c))) < INVERSE_ERROR_BOUND_M);
        }
    }
}

/// The coordinate systems positions arrive in. CGCS2000 is taken as WGS84 (they differ by a few
/// centimetres); GCJ-02 and BD-09 are converted with the functions above.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputCrs {
    Wgs84,
    Cgcs2000,
    Gcj02,
    Bd09,
}

impl InputCrs {
    pub const NAMES: &'static str = "wgs84, cgcs2000, gcj02 or bd09";

    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "wgs84" | "epsg:4326" => Some(InputCrs::Wgs84),
            "cgcs2000" | "epsg:4490" => Some(InputCrs::Cgcs2000),
            "gcj02" | "gcj-02" => Some(InputCrs::Gcj02),
            "bd09" | "bd-09" => Some(InputCrs::Bd09),
            _ => None,
        }
    }

    /// The position in WGS84/CGCS2000.
    pub fn to_wgs84(self, c: Coord<f64>) -> Coord<f64> {
        match self {
            InputCrs::Wgs84 | InputCrs::Cgcs2000 => c,
            InputCrs::Gcj02 => gcj02_to_wgs84(c),
            InputCrs::Bd09 => bd09_to_wgs84(c),
        }
    }
}

#[cfg(test)]
mod input_crs_tests {
    use super::*;

    #[test]
    fn input_crs_converts_gcj02_and_leaves_wgs84_alone() {
        let p = Coord {
            x: 118.3130,
            y: 29.7120,
        };
        assert_eq!(InputCrs::parse("CGCS2000").map(|c| c.to_wgs84(p)), Some(p));
        let gcj = wgs84_to_gcj02(p);
        let back = InputCrs::parse("gcj02")
            .map(|c| c.to_wgs84(gcj))
            .unwrap_or(gcj);
        assert!((back.x - p.x).abs() < 1e-8 && (back.y - p.y).abs() < 1e-8);
        assert_eq!(InputCrs::parse("mars"), None);
    }
}
