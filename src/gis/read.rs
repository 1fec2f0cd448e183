//! Import: any GDAL vector file → reprojected, mapped grids, buildings or households.
//!
//! Pure: reads the file and builds model objects; storing them is the caller's business (the CLI
//! and the HTTP upload share this). A file-level problem (cannot open, no CRS, wrong geometry
//! type, bad encoding, damaged file) is an error; a feature-level problem is a [`Refusal`] and
//! the caller refuses the whole import (all or nothing) — see [`ImportOutcome::require_all`].

use super::archive::{unzip_one_dataset, ZipLimits};
use super::crs::{CrsOverride, ReprojectError, ToLonLat};
use super::error::{GisError, GisResult};
use super::mapping::{Cell, FieldError, FieldMap, Record, Resolved, Target, KML_BOILERPLATE};
use super::open::{check_local_path, drivers_for, extension_of, import_extensions, NoNetwork};
use crate::io::dataset::Dataset;
use crate::io::features::epoch;
use encoding_rs::Encoding;
use gdal::vector::{Feature, LayerAccess};
use gdal::{Dataset as GdalDataset, DatasetOptions, GdalOpenFlags, Metadata};
use gdal_sys::{OGRFieldType, OGRwkbGeometryType};
use geo::orient::{Direction, Orient};
use geo::{Area, Coord, LineString, MultiPolygon, Point, Polygon};
use std::ffi::CStr;
use std::path::Path;
use wangge_engine::lattice::snap;
use wangge_engine::{Building, Footprint, Grid, GridId, Household, HouseholdLocation, Layer};

/// How to read a file.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub target: Target,
    /// `--crs`: overrides the file's CRS; required when the file has none.
    pub crs: Option<CrsOverride>,
    pub map: FieldMap,
    /// Which layer of a multi-layer file (GeoPackage, KML folders); default: the only one.
    pub source_layer: Option<String>,
    /// How messages name the file (an upload's own name); default: the path. Messages never
    /// show the path when this is set.
    pub display_name: Option<String>,
    /// Caps for unpacking a `.zip`.
    pub zip_limits: ZipLimits,
}

impl ImportOptions {
    pub fn new(target: Target) -> Self {
        ImportOptions {
            target,
            crs: None,
            map: FieldMap::default(),
            source_layer: None,
            display_name: None,
            zip_limits: ZipLimits::default(),
        }
    }
}

/// A feature that could not become a model object, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    /// 0-based position in the file.
    pub feature: usize,
    pub reason: String,
}

/// Why one feature could not become a model object (its [`Refusal`] carries the message).
#[derive(Debug, thiserror::Error)]
pub enum FeatureError {
    #[error("unsupported geometry {name}: {source}")]
    UnsupportedGeometry {
        name: String,
        #[source]
        source: gdal::errors::GdalError,
    },
    #[error("no grid code (name its column with --map code=COLUMN)")]
    NoCode,
    #[error("its layer column says \"{found}\" but the import is for layer {expected}")]
    OtherLayer { found: String, expected: String },
    #[error("grid {code}: {source}")]
    GridGeometry {
        code: String,
        #[source]
        source: GeometryError,
    },
    #[error("grid {code} has no geometry")]
    NoGeometry { code: String },
    #[error("a building needs a footprint or a point")]
    BuildingWithoutGeometry,
    #[error("the footprint has no polygon")]
    NoPolygon,
    #[error("a household's position must be a point")]
    HouseholdNotAPoint,
    #[error("a household needs a building or a point")]
    HouseholdWithoutLocation,
    #[error(transparent)]
    Geometry(#[from] GeometryError),
    #[error(transparent)]
    Field(#[from] FieldError),
}

/// A feature geometry that cannot be brought to the engine's lon/lat polygons or points.
#[derive(Debug, thiserror::Error)]
pub enum GeometryError {
    #[error(transparent)]
    Reproject(#[from] ReprojectError),
    #[error("a vertex ({x}, {y}) lies outside longitude −180…180 / latitude −90…90 after conversion to lon/lat")]
    OutsideLonLat { x: f64, y: f64 },
    #[error("its parts lie on both sides of the antimeridian (longitudes {min} to {max}); split it at 180° before importing")]
    AcrossAntimeridian { min: f64, max: f64 },
    #[error("geometry {0} is not a Polygon or MultiPolygon")]
    NotPolygonal(&'static str),
}

/// Why an attribute value could not be read or decoded.
#[derive(Debug, thiserror::Error)]
enum CellError {
    #[error("cannot read the value: {0}")]
    Unreadable(#[source] gdal::errors::GdalError),
    #[error("column index {0} is beyond GDAL's range")]
    IndexOutOfRange(usize),
    #[error("expected {expected}, GDAL gave {got}")]
    Unexpected { expected: &'static str, got: String },
    #[error("text is not valid UTF-8")]
    ListNotUtf8,
    #[error("GDAL returned no text for a set field")]
    NoText,
    #[error("text is not UTF-8 and the shapefile declares no encoding; add a .cpg file naming it (e.g. GBK)")]
    Undeclared,
    #[error("text is not valid {encoding} (the encoding declared by {declared_by}): the file has mixed or wrong encodings")]
    Invalid {
        encoding: &'static str,
        declared_by: &'static str,
    },
}

/// What a file held, converted.
#[derive(Debug, Clone)]
pub struct ImportOutcome {
    pub source: String,
    /// GDAL driver short name ("ESRI Shapefile", "GPKG", …).
    pub driver: String,
    pub layer: String,
    /// The CRS converted from, as PROJ names it.
    pub crs: String,
    /// The attribute encoding the text was decoded from.
    pub encoding: String,
    /// Features read from the file.
    pub read: usize,
    /// The converted objects (grids, buildings or households, per the target).
    pub data: Dataset,
    /// The 0-based file position of each converted object, in the order of `data`'s grids,
    /// buildings or households (an import holds one kind).
    pub features: Vec<usize>,
    pub refused: Vec<Refusal>,
    /// Accuracy caveats, e.g. an old datum.
    pub warnings: Vec<String>,
}

impl ImportOutcome {
    pub fn imported(&self) -> usize {
        self.data.grids.len() + self.data.buildings.len() + self.data.households.len()
    }

    /// All or nothing: an error naming the first refusals when any feature was refused.
    pub fn require_all(&self) -> GisResult<()> {
        if self.refused.is_empty() {
            return Ok(());
        }
        let first: Vec<String> = self
            .refused
            .iter()
            .take(3)
            .map(|r| format!("feature {}: {}", r.feature, r.reason))
            .collect();
        Err(GisError::refused(format!(
            "{}: nothing imported, {} of {} features refused ({}{})",
            self.source,
            self.refused.len(),
            self.read,
            first.join("; "),
            if self.refused.len() > 3 { "; …" } else { "" }
        )))
    }

    /// The end-of-import summary, one line each.
    pub fn summary_lines(&self) -> Vec<String> {
        let mut out = vec![
            format!(
                "{}: {} layer \"{}\", {} from {}, text in {}",
                self.source,
                self.driver,
                self.layer,
                self.target_noun(),
                self.crs,
                self.encoding
            ),
            format!(
                "features read {}, imported {}, refused {}",
                self.read,
                self.imported(),
                self.refused.len()
            ),
        ];
        const SHOWN: usize = 20;
        out.extend(
            self.refused
                .iter()
                .take(SHOWN)
                .map(|r| format!("refused feature {}: {}", r.feature, r.reason)),
        );
        if self.refused.len() > SHOWN {
            out.push(format!("… and {} more refused", self.refused.len() - SHOWN));
        }
        out.extend(self.warnings.iter().map(|w| format!("warning: {w}")));
        out
    }

    fn target_noun(&self) -> &'static str {
        if !self.data.households.is_empty() {
            "households"
        } else if !self.data.buildings.is_empty() {
            "buildings"
        } else {
            "grids"
        }
    }
}

/// Reads `path` (any vector format GDAL reads) into model objects in lon/lat.
pub fn read_file(path: &Path, opts: &ImportOptions) -> GisResult<ImportOutcome> {
    read_file_with_progress(path, opts, &mut |_, _| {})
}

/// [`read_file`] calling `progress(features read, total if known)` every 1000 features.
pub fn read_file_with_progress(
    path: &Path,
    opts: &ImportOptions,
    progress: &mut dyn FnMut(usize, Option<u64>),
) -> GisResult<ImportOutcome> {
    let source = opts
        .display_name
        .clone()
        .unwrap_or_else(|| path.display().to_string());
    // GDAL's own messages may quote the path it was given (a server's temporary folder): the
    // caller only ever sees the file's name.
    let hide = |e: GisError| match &opts.display_name {
        Some(shown) => hide_path(e, path, shown),
        None => e,
    };
    check_local_path(path, &source)?;
    if !path.exists() {
        return Err(GisError::open(format!(
            "cannot read {source}: no such file"
        )));
    }
    let ext = extension_of(path);
    if ext == "zip" {
        let dir = tempfile::tempdir().map_err(|e| {
            GisError::open(format!("{source}: cannot unpack: {}", e.kind())).because(e)
        })?;
        let inner = unzip_one_dataset(path, dir.path(), &source, opts.zip_limits).map_err(hide)?;
        let inner_name = inner
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut inner_opts = opts.clone();
        inner_opts.display_name = Some(format!("{source} ({inner_name})"));
        let mut out = read_file_with_progress(&inner, &inner_opts, progress).map_err(hide)?;
        out.source = source;
        return Ok(out);
    }
    let Some(drivers) = drivers_for(&ext) else {
        return Err(GisError::open(format!(
            "{source}: \".{ext}\" files cannot be imported; use one of .{}",
            import_extensions().join(", .")
        )));
    };
    let _no_network = NoNetwork::enter()?;
    read_opened(path, &ext, drivers, opts, &source, progress).map_err(hide)
}

/// Replaces the real path (and its folder) in an error message with the file's shown name.
fn hide_path(e: GisError, path: &Path, source: &str) -> GisError {
    let full = path.display().to_string();
    let folder = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map(|p| p.display().to_string());
    e.map_message(|m| {
        let m = m.replace(&full, source);
        match &folder {
            // A sibling file (".shx", ".dbf") keeps its own name, without the folder.
            Some(dir) => m
                .replace(&format!("{dir}{}", std::path::MAIN_SEPARATOR), "")
                .replace(dir.as_str(), "(the upload's folder)"),
            None => m,
        }
    })
}

fn read_opened(
    path: &Path,
    ext: &str,
    drivers: &[&str],
    opts: &ImportOptions,
    source: &str,
    progress: &mut dyn FnMut(usize, Option<u64>),
) -> GisResult<ImportOutcome> {
    let source = source.to_string();
    let ds = open_vector(path, ext, drivers, &source)?;
    let driver = ds.driver().short_name();
    let mut layer = pick_layer(&ds, opts.source_layer.as_deref(), &source)?;
    let layer_name = layer.name();
    let to_lon_lat = ToLonLat::new(layer.spatial_ref(), opts.crs.as_ref(), &source)?;
    check_layer_geometry(&opts.target, layer.defn().geometry_type(), &source)?;
    let text = TextDecoding::of_layer(&layer, &driver, &source)?;

    // Column names, decoded like the values (a GBK shapefile may have Chinese column names).
    let columns = column_names(&layer, &text, &source)?;
    let column_types = column_types(&layer);
    let resolved = opts.map.resolve(&opts.target, &columns)?;
    let is_kml = driver == "KML" || driver == "LIBKML";

    let total = layer.try_feature_count();
    let mut out = ImportOutcome {
        source: source.clone(),
        driver: driver.clone(),
        layer: layer_name,
        crs: to_lon_lat.description.clone(),
        encoding: text.name(),
        read: 0,
        data: Dataset::default(),
        features: vec![],
        refused: vec![],
        warnings: to_lon_lat.warnings.clone(),
    };
    // GDAL reports a damaged file (truncated .shp…) by ending the feature loop early and
    // leaving an error behind; reset first so only this read's errors count.
    // SAFETY: takes no arguments and only clears GDAL's thread-local error state.
    unsafe { gdal_sys::CPLErrorReset() };
    for (index, feature) in layer.features().enumerate() {
        out.read += 1;
        if out.read.is_multiple_of(1000) {
            progress(out.read, total);
        }
        let cells = read_cells(&feature, &column_types, &text).map_err(|(ci, why)| {
            let e = GisError::encoding(format!(
                "{source}: feature {index}, column {}: {why}",
                columns.get(ci).map(String::as_str).unwrap_or("?")
            ));
            match why {
                CellError::Unreadable(g) => e.because(g),
                _ => e,
            }
        })?;
        // A damaged .shp yields features with null geometry after a read error: stop at once.
        if let Some(msg) = last_gdal_failure() {
            return Err(GisError::open(format!(
                "{source} is damaged: {msg} (at feature {index})"
            )));
        }
        let record = Record {
            cells: &cells,
            columns: &columns,
            resolved: &resolved,
        };
        let geometry = match feature.geometry() {
            // A null geometry comes back as a wrapper around a null pointer (the gdal crate
            // does not check), which GDAL's own calls reject with an error.
            // SAFETY: reading the pointer value only.
            Some(g) if !unsafe { g.c_geometry() }.is_null() && !g.is_empty() => {
                // KML and DXF carry Z; the conversion to geo wants 2D (heights are dropped).
                let mut flat = g.clone();
                flat.flatten_to_2d();
                Some(geo::Geometry::<f64>::try_from(&flat).map_err(|source| {
                    FeatureError::UnsupportedGeometry {
                        name: g.geometry_name(),
                        source,
                    }
                }))
            }
            _ => None,
        };
        let built = match geometry {
            Some(Err(why)) => Err(why),
            Some(Ok(g)) => build(&opts.target, index, &record, Some(g), &to_lon_lat, &driver),
            None => build(&opts.target, index, &record, None, &to_lon_lat, &driver),
        };
        match built {
            Ok(Built::Grid(mut g)) => {
                extra_properties(&mut g, &cells, &columns, &resolved, is_kml);
                out.data.grids.push(*g);
                out.features.push(index);
            }
            Ok(Built::Building(b)) => {
                out.data.buildings.push(b);
                out.features.push(index);
            }
            Ok(Built::Household(h)) => {
                out.data.households.push(h);
                out.features.push(index);
            }
            Err(reason) => out.refused.push(Refusal {
                feature: index,
                reason: reason.to_string(),
            }),
        }
    }
    progress(out.read, total);
    let damaged = last_gdal_failure();
    if let Some(msg) = damaged {
        return Err(GisError::open(format!(
            "{source} is damaged: {msg} (read {} features before the error)",
            out.read
        )));
    }
    if let Some(total) = total {
        if total != out.read as u64 {
            return Err(GisError::open(format!(
                "{source} is damaged: its header promises {total} features, {} could be read",
                out.read
            )));
        }
    }
    Ok(out)
}

/// Driver open options chosen by extension (passing an option a driver does not know makes GDAL
/// print a warning, so only the right driver gets them).
/// Opens `path` as a vector dataset with only the drivers its extension names: a VRT (or
/// anything else) disguised as .kml/.geojson is not opened at all. The caller holds the
/// no-network guard.
fn open_vector(path: &Path, ext: &str, drivers: &[&str], source: &str) -> GisResult<GdalDataset> {
    let open_options = open_options_for(ext);
    GdalDataset::open_ex(
        path,
        DatasetOptions {
            open_flags: GdalOpenFlags::GDAL_OF_VECTOR,
            allowed_drivers: Some(drivers),
            open_options: Some(&open_options),
            ..DatasetOptions::default()
        },
    )
    .map_err(|e| {
        GisError::open(format!(
            "cannot open {source} as {} (the format its extension names): {e}",
            drivers.join(" or ")
        ))
        .because(e)
    })
}

fn open_options_for(ext: &str) -> Vec<&'static str> {
    match ext {
        // Raw bytes: we decode them ourselves, strictly, in the declared encoding (GDAL's own
        // recoding replaces undecodable bytes with '?' and warns only once per process).
        "shp" | "dbf" => vec!["ENCODING="],
        "csv" => vec![
            "GEOM_POSSIBLE_NAMES=WKT,wkt,geometry,geom,the_geom",
            "X_POSSIBLE_NAMES=lon,lng,longitude,x,经度",
            "Y_POSSIBLE_NAMES=lat,latitude,y,纬度",
            "KEEP_GEOM_COLUMNS=NO",
        ],
        _ => vec![],
    }
}

fn pick_layer<'a>(
    ds: &'a GdalDataset,
    wanted: Option<&str>,
    source: &str,
) -> GisResult<gdal::vector::Layer<'a>> {
    let names: Vec<String> = ds.layers().map(|l| l.name()).collect();
    match wanted {
        Some(name) => ds.layer_by_name(name).map_err(|e| {
            GisError::open(format!(
                "{source} has no layer \"{name}\" (layers: {})",
                names.join(", ")
            ))
            .because(e)
        }),
        None => match names.len() {
            0 => Err(GisError::open(format!("{source} holds no vector layer"))),
            1 => ds
                .layer(0)
                .map_err(|e| GisError::open(format!("cannot read {source}: {e}")).because(e)),
            _ => Err(GisError::open(format!(
                "{source} has {} layers ({}); choose one with --source-layer",
                names.len(),
                names.join(", ")
            ))),
        },
    }
}

/// Refuses a layer whose declared geometry type can never fit (e.g. lines as grids). Layers of
/// unknown or mixed type are checked feature by feature.
// GDAL's constants keep their C names.
#[allow(non_upper_case_globals)]
fn check_layer_geometry(
    target: &Target,
    ty: OGRwkbGeometryType::Type,
    source: &str,
) -> GisResult<()> {
    use OGRwkbGeometryType::*;
    // SAFETY: a pure function of an integer (any value is accepted); no pointers involved.
    let flat = unsafe { gdal_sys::OGR_GT_Flatten(ty) };
    let ok = match target {
        Target::Grids(_) => matches!(
            flat,
            wkbUnknown | wkbPolygon | wkbMultiPolygon | wkbGeometryCollection
        ),
        Target::Buildings => matches!(
            flat,
            wkbUnknown | wkbPoint | wkbPolygon | wkbMultiPolygon | wkbGeometryCollection
        ),
        Target::Households => matches!(flat, wkbUnknown | wkbNone | wkbPoint),
    };
    if ok {
        return Ok(());
    }
    let name = gdal::vector::geometry_type_to_name(ty);
    let need = match target {
        Target::Grids(_) => "grids need polygons",
        Target::Buildings => "buildings need polygons or points",
        Target::Households => "households need points (or a building column)",
    };
    Err(GisError::geometry(format!(
        "{source} holds {name} geometries; {need}"
    )))
}

/// How attribute bytes become text.
struct TextDecoding {
    /// `None`: nothing declared (a shapefile without .cpg or code page): UTF-8 is accepted, any
    /// other bytes are refused with advice to add a .cpg.
    encoding: Option<&'static Encoding>,
    declared_by: &'static str,
}

impl TextDecoding {
    fn of_layer(layer: &gdal::vector::Layer<'_>, driver: &str, source: &str) -> GisResult<Self> {
        if driver != "ESRI Shapefile" {
            // Every other driver we read hands out UTF-8 (GDAL recodes DXF/KML itself).
            return Ok(TextDecoding {
                encoding: Some(encoding_rs::UTF_8),
                declared_by: "the format",
            });
        }
        let from = |key: &str| {
            layer
                .metadata_item(key, "SHAPEFILE")
                .filter(|v| !v.trim().is_empty())
        };
        for (key, declared_by) in [
            ("ENCODING_FROM_CPG", "the .cpg file"),
            ("ENCODING_FROM_LDID", "the .dbf code page"),
        ] {
            if let Some(label) = from(key) {
                let encoding = encoding_for(&label).ok_or_else(|| {
                    GisError::encoding(format!(
                        "{source}: {declared_by} declares encoding \"{label}\", which is not supported (use UTF-8, GBK or GB18030)"
                    ))
                })?;
                return Ok(TextDecoding {
                    encoding: Some(encoding),
                    declared_by,
                });
            }
        }
        Ok(TextDecoding {
            encoding: None,
            declared_by: "nothing (no .cpg, no code page)",
        })
    }

    fn name(&self) -> String {
        match self.encoding {
            Some(e) => format!("{} (declared by {})", e.name(), self.declared_by),
            None => format!("UTF-8 (declared by {})", self.declared_by),
        }
    }

    fn decode(&self, bytes: &[u8]) -> Result<String, CellError> {
        let enc = self.encoding.unwrap_or(encoding_rs::UTF_8);
        match enc.decode_without_bom_handling_and_without_replacement(bytes) {
            Some(s) => Ok(s.into_owned()),
            None if self.encoding.is_none() => Err(CellError::Undeclared),
            None => Err(CellError::Invalid {
                encoding: enc.name(),
                declared_by: self.declared_by,
            }),
        }
    }
}

/// encoding_rs for a .cpg / LDID label: "GBK", "UTF-8", "CP936", "936", "ANSI 936", "65001"…
fn encoding_for(label: &str) -> Option<&'static Encoding> {
    let l = label.trim();
    if let Some(e) = Encoding::for_label(l.as_bytes()) {
        return Some(e);
    }
    let digits: String = l.chars().filter(char::is_ascii_digit).collect();
    match digits.as_str() {
        "936" | "20936" => Some(encoding_rs::GBK),
        "54936" => Some(encoding_rs::GB18030),
        "950" => Some(encoding_rs::BIG5),
        "65001" => Some(encoding_rs::UTF_8),
        "" => None,
        d => Encoding::for_label(format!("windows-{d}").as_bytes())
            .or_else(|| Encoding::for_label(format!("iso-8859-{d}").as_bytes())),
    }
}

fn column_names(
    layer: &gdal::vector::Layer<'_>,
    text: &TextDecoding,
    source: &str,
) -> GisResult<Vec<String>> {
    // SAFETY: reads the handle only; the definition is owned by the layer, which `layer`
    // borrows for this whole function, so the handle stays valid while it is used below.
    let defn = unsafe { layer.defn().c_defn() };
    // SAFETY: `defn` is a valid definition handle (above); the call only reads it.
    let n = unsafe { gdal_sys::OGR_FD_GetFieldCount(defn) };
    (0..n)
        .map(|i| {
            // SAFETY: `defn` is valid (above) and `i` is in 0..field count, so GDAL returns a
            // valid field definition; its name pointer (checked for null) points into that
            // definition and is copied at once, before any other GDAL call.
            let bytes = unsafe {
                let fld = gdal_sys::OGR_FD_GetFieldDefn(defn, i);
                let p = gdal_sys::OGR_Fld_GetNameRef(fld);
                if p.is_null() {
                    Vec::new()
                } else {
                    CStr::from_ptr(p).to_bytes().to_vec()
                }
            };
            text.decode(&bytes)
                .map_err(|why| GisError::encoding(format!("{source}: column {i} name: {why}")))
        })
        .collect()
}

fn column_types(layer: &gdal::vector::Layer<'_>) -> Vec<OGRFieldType::Type> {
    layer.defn().fields().map(|f| f.field_type()).collect()
}

/// A feature's cells; an encoding failure names the column index.
#[allow(non_upper_case_globals)]
fn read_cells(
    f: &Feature<'_>,
    types: &[OGRFieldType::Type],
    text: &TextDecoding,
) -> Result<Vec<Cell>, (usize, CellError)> {
    use OGRFieldType::*;
    types
        .iter()
        .enumerate()
        .map(|(i, ty)| {
            // A field GDAL cannot read is an error naming the column, never a silent null.
            let failed = |e: gdal::errors::GdalError| (i, CellError::Unreadable(e));
            if !field_is_set(f, i).map_err(|why| (i, why))? {
                return Ok(Cell::Null);
            }
            let cell = match *ty {
                OFTInteger | OFTInteger64 => f
                    .field_as_integer64(i)
                    .map_err(failed)?
                    .map_or(Cell::Null, Cell::Int),
                OFTReal => f
                    .field_as_double(i)
                    .map_err(failed)?
                    .map_or(Cell::Null, Cell::Real),
                OFTDate | OFTDateTime => match f.field(i).map_err(failed)? {
                    Some(gdal::vector::FieldValue::DateValue(d)) => Cell::Date(d),
                    Some(gdal::vector::FieldValue::DateTimeValue(d)) => Cell::Date(d.date_naive()),
                    None => Cell::Null,
                    Some(other) => {
                        return Err((
                            i,
                            CellError::Unexpected {
                                expected: "a date",
                                got: format!("{other:?}"),
                            },
                        ));
                    }
                },
                OFTStringList => match f.field(i).map_err(failed)? {
                    Some(gdal::vector::FieldValue::StringListValue(l)) => {
                        if l.iter().any(|s| s.contains('\u{FFFD}')) {
                            return Err((i, CellError::ListNotUtf8));
                        }
                        Cell::List(l)
                    }
                    None => Cell::Null,
                    Some(other) => {
                        return Err((
                            i,
                            CellError::Unexpected {
                                expected: "a list of text",
                                got: format!("{other:?}"),
                            },
                        ));
                    }
                },
                _ => match raw_field_bytes(f, i).map_err(|why| (i, why))? {
                    None => Cell::Null,
                    Some(b) => Cell::Text(text.decode(&b).map_err(|why| (i, why))?),
                },
            };
            Ok(cell)
        })
        .collect()
}

/// Whether the field holds a value (not unset, not null).
fn field_is_set(f: &Feature<'_>, i: usize) -> Result<bool, CellError> {
    let i = i32::try_from(i).map_err(|_| CellError::IndexOutOfRange(i))?;
    // SAFETY: the feature handle is valid while `f` lives.
    Ok(unsafe { gdal_sys::OGR_F_IsFieldSetAndNotNull(f.c_feature(), i) } != 0)
}

/// The field's bytes exactly as stored: the gdal crate's string accessors replace invalid UTF-8
/// silently, and we must refuse it instead.
fn raw_field_bytes(f: &Feature<'_>, i: usize) -> Result<Option<Vec<u8>>, CellError> {
    let i = i32::try_from(i).map_err(|_| CellError::IndexOutOfRange(i))?;
    // SAFETY: the feature handle is valid while `f` lives; OGR returns a pointer into the
    // feature's own buffer, copied before any other call on the feature.
    unsafe {
        let h = f.c_feature();
        if gdal_sys::OGR_F_IsFieldSetAndNotNull(h, i) == 0 {
            return Ok(None);
        }
        let p = gdal_sys::OGR_F_GetFieldAsString(h, i);
        if p.is_null() {
            return Err(CellError::NoText);
        }
        Ok(Some(CStr::from_ptr(p).to_bytes().to_vec()))
    }
}

/// The error GDAL left behind since the last reset, if it was a failure.
fn last_gdal_failure() -> Option<String> {
    // SAFETY: plain reads of GDAL's thread-local error state.
    unsafe {
        let class = gdal_sys::CPLGetLastErrorType();
        if class == gdal_sys::CPLErr::CE_Failure || class == gdal_sys::CPLErr::CE_Fatal {
            let p = gdal_sys::CPLGetLastErrorMsg();
            let msg = if p.is_null() {
                String::from("unknown GDAL error")
            } else {
                CStr::from_ptr(p).to_string_lossy().trim().to_string()
            };
            gdal_sys::CPLErrorReset();
            Some(msg)
        } else {
            None
        }
    }
}

enum Built {
    Grid(Box<Grid>),
    Building(Building),
    Household(Household),
}

fn build(
    target: &Target,
    index: usize,
    rec: &Record<'_>,
    geometry: Option<geo::Geometry<f64>>,
    t: &ToLonLat,
    driver: &str,
) -> Result<Built, FeatureError> {
    match target {
        Target::Grids(layer) => build_grid(layer, rec, geometry, t, driver)
            .map(Box::new)
            .map(Built::Grid),
        Target::Buildings => build_building(index, rec, geometry, t, driver).map(Built::Building),
        Target::Households => build_household(index, rec, geometry, t).map(Built::Household),
    }
}

fn build_grid(
    layer: &Layer,
    rec: &Record<'_>,
    geometry: Option<geo::Geometry<f64>>,
    t: &ToLonLat,
    driver: &str,
) -> Result<Grid, FeatureError> {
    let code = rec
        .text("code")
        .or_else(|| rec.text("id"))
        .ok_or(FeatureError::NoCode)?;
    if let Some(l) = rec.text("layer") {
        if l != layer.as_str() {
            return Err(FeatureError::OtherLayer {
                found: l,
                expected: layer.as_str().to_string(),
            });
        }
    }
    let geometry = match geometry {
        Some(g) => lon_lat_polygons(g, t, driver == "DXF").map_err(|source| {
            FeatureError::GridGeometry {
                code: code.clone(),
                source,
            }
        })?,
        None if *layer == Layer::Composite => MultiPolygon(vec![]),
        None => return Err(FeatureError::NoGeometry { code }),
    };
    let id = rec.text("id").unwrap_or_else(|| code.clone());
    Ok(Grid {
        id: GridId(id),
        name: rec.text("name").unwrap_or_else(|| code.clone()),
        layer: layer.clone(),
        parent: rec.text("parent"),
        kind: rec.kind()?,
        status: rec.status()?,
        category: rec.category()?,
        network: rec.text("network"),
        members: rec.members().into_iter().map(GridId).collect(),
        properties: serde_json::Map::new(),
        geometry,
        valid_from: rec.date("valid_from")?.unwrap_or_else(epoch),
        valid_to: rec.date("valid_to")?,
        version: rec.u32("version")?.unwrap_or(1),
        code,
    })
}

/// Unmapped, non-empty columns of a grid stay with it as properties (a `households` count,
/// a department's own remarks…).
fn extra_properties(
    g: &mut Grid,
    cells: &[Cell],
    columns: &[String],
    resolved: &Resolved,
    is_kml: bool,
) {
    for (ci, (cell, name)) in cells.iter().zip(columns).enumerate() {
        // Empty text counts as absent: CSV cannot tell "" from null.
        if resolved.is_mapped(ci) || cell.text().is_none() {
            continue;
        }
        if is_kml && KML_BOILERPLATE.iter().any(|k| k.eq_ignore_ascii_case(name)) {
            continue;
        }
        g.properties.insert(name.clone(), cell.to_json());
    }
}

fn build_building(
    index: usize,
    rec: &Record<'_>,
    geometry: Option<geo::Geometry<f64>>,
    t: &ToLonLat,
    driver: &str,
) -> Result<Building, FeatureError> {
    let footprint = match geometry {
        None => return Err(FeatureError::BuildingWithoutGeometry),
        Some(geo::Geometry::Point(p)) => Footprint::Point(Point(lon_lat_coords(vec![p.0], t)?[0])),
        Some(g) => {
            let mp = lon_lat_polygons(g, t, driver == "DXF")?;
            // A multipart building is kept as its largest part, as the GeoJSON reader does.
            let largest =
                mp.0.into_iter()
                    .max_by(|a, b| a.unsigned_area().total_cmp(&b.unsigned_area()))
                    .ok_or(FeatureError::NoPolygon)?;
            Footprint::Polygon(largest)
        }
    };
    Ok(Building {
        id: rec.text("id").unwrap_or_else(|| format!("b{index}")),
        footprint,
        households: rec.u32("households")?.unwrap_or(0),
        residents: rec.u32("residents")?.unwrap_or(0),
        usage: rec.text("usage"),
    })
}

fn build_household(
    index: usize,
    rec: &Record<'_>,
    geometry: Option<geo::Geometry<f64>>,
    t: &ToLonLat,
) -> Result<Household, FeatureError> {
    let location = match (rec.text("building"), geometry) {
        (Some(b), _) => HouseholdLocation::Building(b),
        (None, Some(geo::Geometry::Point(p))) => {
            HouseholdLocation::Point(Point(lon_lat_coords(vec![p.0], t)?[0]))
        }
        (None, Some(_)) => return Err(FeatureError::HouseholdNotAPoint),
        (None, None) => return Err(FeatureError::HouseholdWithoutLocation),
    };
    Ok(Household {
        id: rec.text("id").unwrap_or_else(|| format!("h{index}")),
        location,
        residents: rec.u32("residents")?.unwrap_or(0),
    })
}

/// Coordinates → lon/lat on the engine's 1e-7° lattice.
fn lon_lat_coords(
    mut coords: Vec<Coord<f64>>,
    t: &ToLonLat,
) -> Result<Vec<Coord<f64>>, GeometryError> {
    t.apply(&mut coords)?;
    Ok(coords.into_iter().map(snap).collect())
}

/// Polygonal geometry → lon/lat multipolygon with counter-clockwise exteriors (shapefiles
/// store them clockwise). DXF has no polygons: closed polylines are taken as rings.
fn lon_lat_polygons(
    g: geo::Geometry<f64>,
    t: &ToLonLat,
    closed_lines_are_rings: bool,
) -> Result<MultiPolygon<f64>, GeometryError> {
    let mut polygons = Vec::new();
    collect_polygons(g, closed_lines_are_rings, &mut polygons)?;
    let ring = |ls: LineString<f64>| lon_lat_coords(ls.0, t).map(LineString);
    let converted = polygons
        .into_iter()
        .map(|p| {
            let (ext, ints) = p.into_inner();
            Ok(Polygon::new(
                ring(ext)?,
                ints.into_iter()
                    .map(ring)
                    .collect::<Result<_, GeometryError>>()?,
            ))
        })
        .collect::<Result<Vec<_>, GeometryError>>()?;
    let mp = MultiPolygon(converted);
    check_longitudes(&mp)?;
    Ok(mp.orient(Direction::Default))
}

/// Refuses geometry whose longitudes span more than half the globe: in lon/lat that is a shape
/// with parts on both sides of the antimeridian (±180°), which every planar operation would
/// read as a band around the earth. Such a shape has to be split at 180° before importing.
fn check_longitudes(mp: &MultiPolygon<f64>) -> Result<(), GeometryError> {
    use geo::CoordsIter;
    let (mut min, mut max) = (f64::INFINITY, f64::NEG_INFINITY);
    for c in mp.coords_iter() {
        if !(-180.0..=180.0).contains(&c.x) || !(-90.0..=90.0).contains(&c.y) {
            return Err(GeometryError::OutsideLonLat { x: c.x, y: c.y });
        }
        min = min.min(c.x);
        max = max.max(c.x);
    }
    if max - min > 180.0 {
        return Err(GeometryError::AcrossAntimeridian { min, max });
    }
    Ok(())
}

fn collect_polygons(
    g: geo::Geometry<f64>,
    closed_lines_are_rings: bool,
    out: &mut Vec<Polygon<f64>>,
) -> Result<(), GeometryError> {
    match g {
        geo::Geometry::Polygon(p) => out.push(p),
        geo::Geometry::MultiPolygon(mp) => out.extend(mp.0),
        geo::Geometry::Rect(r) => out.push(r.to_polygon()),
        geo::Geometry::GeometryCollection(gc) => {
            for g in gc.0 {
                collect_polygons(g, closed_lines_are_rings, out)?;
            }
        }
        geo::Geometry::LineString(ls)
            if closed_lines_are_rings && ls.0.len() >= 4 && ls.is_closed() =>
        {
            out.push(Polygon::new(ls, vec![]))
        }
        other => return Err(GeometryError::NotPolygonal(geometry_name(&other))),
    }
    Ok(())
}

fn geometry_name(g: &geo::Geometry<f64>) -> &'static str {
    match g {
        geo::Geometry::Point(_) => "Point",
        geo::Geometry::Line(_) | geo::Geometry::LineString(_) => "LineString",
        geo::Geometry::Polygon(_) => "Polygon",
        geo::Geometry::MultiPoint(_) => "MultiPoint",
        geo::Geometry::MultiLineString(_) => "MultiLineString",
        geo::Geometry::MultiPolygon(_) => "MultiPolygon",
        geo::Geometry::GeometryCollection(_) => "GeometryCollection",
        geo::Geometry::Rect(_) => "Rect",
        geo::Geometry::Triangle(_) => "Triangle",
    }
}

/// The geometries of a reference layer (roads, rivers, railways drawn under the grids), in
/// lon/lat: any format [`read_file`] opens, one layer (`layer`, or the file's only one), the
/// file's CRS or `crs`. Features without geometry are skipped (they draw nothing); a geometry
/// that cannot be converted or reprojected is an error naming the feature.
pub fn read_reference(
    path: &Path,
    layer: Option<&str>,
    crs: Option<&CrsOverride>,
) -> GisResult<Vec<geo::Geometry<f64>>> {
    use geo::MapCoordsInPlace;
    let source = path.display().to_string();
    check_local_path(path, &source)?;
    if !path.exists() {
        return Err(GisError::open(format!(
            "cannot read {source}: no such file"
        )));
    }
    let ext = extension_of(path);
    let Some(drivers) = drivers_for(&ext) else {
        return Err(GisError::open(format!(
            "{source}: \".{ext}\" files cannot be read; use one of .{}",
            import_extensions().join(", .")
        )));
    };
    let _no_network = NoNetwork::enter()?;
    let ds = open_vector(path, &ext, drivers, &source)?;
    let mut layer = pick_layer(&ds, layer, &source)?;
    let to_lon_lat = ToLonLat::new(layer.spatial_ref(), crs, &source)?;
    let mut out = Vec::new();
    // SAFETY: takes no arguments and only clears GDAL's thread-local error state.
    unsafe { gdal_sys::CPLErrorReset() };
    for (index, feature) in layer.features().enumerate() {
        if let Some(msg) = last_gdal_failure() {
            return Err(GisError::open(format!(
                "{source} is damaged: {msg} (at feature {index})"
            )));
        }
        let Some(g) = feature.geometry() else {
            continue;
        };
        // SAFETY: reading the pointer value only (see read_opened).
        if unsafe { g.c_geometry() }.is_null() || g.is_empty() {
            continue;
        }
        let mut flat = g.clone();
        flat.flatten_to_2d();
        let mut geometry = geo::Geometry::<f64>::try_from(&flat).map_err(|e| {
            GisError::geometry(format!(
                "{source}: feature {index}: {} cannot be drawn: {e}",
                g.geometry_name()
            ))
            .because(e)
        })?;
        // `map_coords_in_place` wants a `Copy` closure (geo's `try_` variant does not compile for
        // `Geometry`: it recurses without bound), so the first failure is kept in a cell.
        let (to, failed) = (&to_lon_lat, &std::cell::RefCell::new(None));
        geometry.map_coords_in_place(|c| {
            let mut one = [c];
            if let Err(e) = to.apply(&mut one) {
                failed.borrow_mut().get_or_insert(e);
            }
            one[0]
        });
        if let Some(e) = failed.take() {
            return Err(GisError::crs(format!(
                "{source}: feature {index} cannot be reprojected: {e}"
            )));
        }
        out.push(geometry);
    }
    Ok(out)
}
