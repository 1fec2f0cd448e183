//! Coordinate systems: from whatever the file (or `--crs`) declares to the engine's lon/lat.
//!
//! Everything PROJ knows goes through GDAL's OSR (see the decision in [`super`]); GCJ-02 and
//! BD-09, which are not PROJ CRSs, go through [`wangge_engine::datum`].

use super::error::{GisError, GisResult};
use gdal::spatial_ref::{AxisMappingStrategy, CoordTransform, SpatialRef};
use geo::Coord;
use wangge_engine::datum::InputCrs;

/// What `--crs` may say: an authority code or any definition OSR accepts (`EPSG:4549`, WKT,
/// PROJ string), or one of China's consumer-map datums.
#[derive(Debug, Clone, PartialEq)]
pub enum CrsOverride {
    Definition(String),
    Gcj02,
    Bd09,
}

impl CrsOverride {
    pub fn parse(s: &str) -> GisResult<Self> {
        let t = s.trim();
        match t.to_ascii_lowercase().as_str() {
            "" => Err(GisError::crs("--crs is empty")),
            "gcj02" | "gcj-02" => Ok(CrsOverride::Gcj02),
            "bd09" | "bd-09" => Ok(CrsOverride::Bd09),
            "wgs84" => Ok(CrsOverride::Definition("EPSG:4326".into())),
            "cgcs2000" => Ok(CrsOverride::Definition("EPSG:4490".into())),
            _ => {
                // Fail now, with the user's spelling, rather than at the first feature.
                spatial_ref(t).map_err(|e| {
                    GisError::crs(format!(
                        "--crs \"{t}\" is not a coordinate system PROJ knows (use e.g. EPSG:4549, gcj02 or bd09)"
                    ))
                    .because_of(e.into_cause())
                })?;
                Ok(CrsOverride::Definition(t.to_string()))
            }
        }
    }
}

/// A spatial reference with lon/lat (x = easting) axis order whatever the authority says: EPSG
/// 4326 is officially lat/lon, but every file format we read stores lon/lat.
pub fn spatial_ref(definition: &str) -> GisResult<SpatialRef> {
    let mut srs = SpatialRef::from_definition(definition).map_err(|e| {
        GisError::crs(format!("unknown coordinate system \"{definition}\": {e}")).because(e)
    })?;
    srs.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    Ok(srs)
}

/// EPSG:4326 in lon/lat order: the engine's coordinates.
pub fn lon_lat() -> GisResult<SpatialRef> {
    spatial_ref("EPSG:4326")
}

/// "CGCS2000 / 3-degree Gauss-Kruger CM 117E (EPSG:4548)", for messages and summaries.
pub fn describe(srs: &SpatialRef) -> String {
    let name = srs.name().unwrap_or_else(|| "unnamed CRS".into());
    match (srs.auth_name(), srs.auth_code()) {
        (Some(a), Ok(c)) => format!("{name} ({a}:{c})"),
        _ => {
            // ESRI .prj files carry no authority; ask PROJ to recognise them.
            let mut probe = srs.clone();
            match (probe.auto_identify_epsg(), probe.auth_code()) {
                (Ok(()), Ok(c)) => format!("{name} (EPSG:{c})"),
                _ => name,
            }
        }
    }
}

/// The EPSG code of the CGCS2000 3-degree Gauss-Krüger projection (the "CM" variant, EPSG:4534
/// CM 75E … EPSG:4554 CM 135E, no zone number in the easting) whose central meridian is nearest
/// to `lon`. The 3° belts are centred on multiples of 3°, so this is also the belt `lon` lies in.
pub fn cgcs2000_gk3_epsg(lon: f64) -> Option<u32> {
    let cm = (lon / 3.0).round() * 3.0;
    (75.0..=135.0)
        .contains(&cm)
        .then(|| 4534 + ((cm - 75.0) / 3.0) as u32)
}

/// The EPSG code of the CGCS2000 6-degree Gauss-Krüger "CM" projection (EPSG:4502 CM 75E …
/// EPSG:4512 CM 135E) of the 6° belt `lon` lies in (belts 72–78°, 78–84°, …).
pub fn cgcs2000_gk6_epsg(lon: f64) -> Option<u32> {
    let cm = (lon / 6.0).floor() * 6.0 + 3.0;
    (75.0..=135.0)
        .contains(&cm)
        .then(|| 4502 + ((cm - 75.0) / 6.0) as u32)
}

/// Why a feature's coordinates could not be brought to lon/lat.
#[derive(Debug, thiserror::Error)]
pub enum ReprojectError {
    #[error("cannot reproject from {from}: {source}")]
    Transform {
        from: String,
        #[source]
        source: gdal::errors::GdalError,
    },
    #[error("position ({x}, {y}) is not a lon/lat after converting from {from} — is that the right coordinate system?")]
    NotLonLat { x: f64, y: f64, from: String },
}

/// Turns a file's coordinates into the engine's lon/lat (WGS84 = CGCS2000).
pub struct ToLonLat {
    /// `None` when the source already is lon/lat on WGS84/CGCS2000: no PROJ call at all, so
    /// lon/lat files keep their exact doubles.
    transform: Option<CoordTransform>,
    /// Applied after `transform`: GCJ-02/BD-09 → WGS84.
    datum: Option<InputCrs>,
    /// What the source was, for the summary.
    pub description: String,
    /// Accuracy caveats (old Chinese datums), for the summary.
    pub warnings: Vec<String>,
}

impl std::fmt::Debug for ToLonLat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ToLonLat")
            .field("description", &self.description)
            .field("datum", &self.datum)
            .finish()
    }
}

/// The datum names (as OSR spells them) that the project treats as WGS84 without any shift.
fn is_wgs84_like(datum: &str) -> bool {
    let d = datum.to_ascii_lowercase();
    d.contains("wgs_1984")
        || d.contains("wgs 84")
        || d.contains("world geodetic system 1984")
        || d.contains("china_2000")
        || d.contains("china 2000")
        || d.contains("cgcs2000")
}

impl ToLonLat {
    /// From the file's own CRS (`file`) or `--crs` (`given`, which wins: files from phone apps
    /// are labelled WGS84 while holding GCJ-02). Neither: refused.
    pub fn new(
        file: Option<SpatialRef>,
        given: Option<&CrsOverride>,
        source: &str,
    ) -> GisResult<Self> {
        match given {
            Some(CrsOverride::Gcj02) => Ok(ToLonLat {
                transform: None,
                datum: Some(InputCrs::Gcj02),
                description: "GCJ-02 (--crs gcj02)".into(),
                warnings: vec![],
            }),
            Some(CrsOverride::Bd09) => Ok(ToLonLat {
                transform: None,
                datum: Some(InputCrs::Bd09),
                description: "BD-09 (--crs bd09)".into(),
                warnings: vec![],
            }),
            Some(CrsOverride::Definition(d)) => Self::from_srs(spatial_ref(d)?, source),
            None => match file {
                Some(mut srs) => {
                    srs.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
                    Self::from_srs(srs, source)
                }
                None => Err(GisError::crs(format!(
                    "{source} declares no coordinate system (no .prj or CRS in the file); say which one with --crs, e.g. --crs EPSG:4490, --crs EPSG:4549 or --crs gcj02"
                ))),
            },
        }
    }

    fn from_srs(srs: SpatialRef, source: &str) -> GisResult<Self> {
        let description = describe(&srs);
        if srs.is_local() {
            return Err(GisError::crs(format!(
                "{source}: {description} is a local (engineering) coordinate system that cannot be placed on the earth; give the real one with --crs"
            )));
        }
        // A CRS whose datum cannot be read is refused: taking it as "no datum" would silently
        // skip the datum warning (or, worse, treat an unknown frame as WGS84).
        let datum = srs
            .get_attr_value("DATUM", 0)
            .map_err(|e| {
                GisError::crs(format!(
                    "{source}: cannot read the datum of {description}: {e}"
                ))
                .because(e)
            })?
            .unwrap_or_default();
        let mut warnings = vec![];
        if !is_wgs84_like(&datum) {
            // Beijing 1954 and Xian 1980 have no country-wide published transformation in
            // PROJ's database: outside the few regions EPSG covers, PROJ falls back to a
            // "ballpark" (no datum shift), which can be off by tens of metres or more.
            warnings.push(format!(
                "datum {datum} of {description} is converted to WGS84 with PROJ's best available transformation; for Beijing 1954 and Xian 1980 that may be a ballpark without datum shift (errors of tens of metres) — ask for CGCS2000 data if positions matter to the metre"
            ));
        }
        let target = lon_lat()?;
        let already_lon_lat = srs.is_geographic() && is_wgs84_like(&datum) && {
            // Degrees, lon/lat: nothing to compute (and nothing to round).
            (srs.angular_units() - std::f64::consts::PI / 180.0).abs() < 1e-15
        };
        let transform = if already_lon_lat {
            None
        } else {
            Some(CoordTransform::new(&srs, &target).map_err(|e| {
                GisError::crs(format!(
                    "{source}: cannot transform {description} to lon/lat: {e}"
                ))
                .because(e)
            })?)
        };
        Ok(ToLonLat {
            transform,
            datum: None,
            description,
            warnings,
        })
    }

    /// Transforms `coords` in place to lon/lat; refuses results outside lon −180…180,
    /// lat −90…90 (the usual sign of a wrong CRS, e.g. metres labelled as degrees).
    pub fn apply(&self, coords: &mut [Coord<f64>]) -> Result<(), ReprojectError> {
        if let Some(t) = &self.transform {
            let mut xs: Vec<f64> = coords.iter().map(|c| c.x).collect();
            let mut ys: Vec<f64> = coords.iter().map(|c| c.y).collect();
            let mut zs = vec![0.0; coords.len()];
            t.transform_coords(&mut xs, &mut ys, &mut zs)
                .map_err(|source| ReprojectError::Transform {
                    from: self.description.clone(),
                    source,
                })?;
            for (c, (x, y)) in coords.iter_mut().zip(xs.into_iter().zip(ys)) {
                *c = Coord { x, y };
            }
        }
        if let Some(d) = self.datum {
            for c in coords.iter_mut() {
                *c = d.to_wgs84(*c);
            }
        }
        let is_lon_lat = |c: &&Coord<f64>| {
            c.x.is_finite()
                && c.y.is_finite()
                && (-180.0..=180.0).contains(&c.x)
                && (-90.0..=90.0).contains(&c.y)
        };
        if let Some(bad) = coords.iter().find(|c| !is_lon_lat(c)) {
            return Err(ReprojectError::NotLonLat {
                x: bad.x,
                y: bad.y,
                from: self.description.clone(),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gauss_kruger_zone_of_tunxi_is_cm_117e() {
        // Tunxi at 118.3°E: 1.3° from CM 117E, 1.7° from CM 120E; the 3° belt of 117E spans
        // 115.5–118.5°E.
        assert_eq!(cgcs2000_gk3_epsg(118.3), Some(4548));
        assert_eq!(cgcs2000_gk3_epsg(118.6), Some(4549));
        assert_eq!(cgcs2000_gk6_epsg(118.3), Some(4509));
        assert_eq!(cgcs2000_gk3_epsg(10.0), None);
    }

    #[test]
    fn crs_override_spellings() {
        assert!(matches!(
            CrsOverride::parse("GCJ02"),
            Ok(CrsOverride::Gcj02)
        ));
        assert!(matches!(CrsOverride::parse("bd-09"), Ok(CrsOverride::Bd09)));
        assert!(CrsOverride::parse("EPSG:4549").is_ok());
        assert!(matches!(
            CrsOverride::parse("EPSG:999999"),
            Err(GisError::Crs(_))
        ));
    }
}
