//! GIS files in and out: any vector format GDAL reads → grids, buildings, households in the
//! engine's lon/lat; grids → GeoJSON, GeoPackage, Shapefile, KML, FlatGeobuf, CSV.
//!
//! Table of contents:
//! - [`read`]: `read_file(path, &ImportOptions) -> ImportOutcome` (pure: read, reproject, map);
//! - [`open`]: which GDAL drivers an extension may use, and no network while reading;
//! - [`archive`]: unpacking an uploaded zip with caps on entries and unpacked size;
//! - [`write`]: `write_file(path, Format, &[&Grid])` and the assignment CSV;
//! - [`crs`]: the file's CRS (or `--crs`) → lon/lat; GCJ-02/BD-09 through the engine's datum;
//! - [`mapping`]: `--map field=COLUMN` onto grid/building/household fields;
//! - [`stage`]: storing an import in one transaction, or validating it as a dry run;
//! - [`error`]: [`GisError`], one line each, with the library error underneath as its source;
//!   feature-level reasons are typed too ([`read::FeatureError`], [`mapping::FieldError`],
//!   [`crs::ReprojectError`]) and become a [`Refusal`]'s message.
//!
//! # CRS decision: GDAL's OSR, not the `proj` crate
//! Reprojection uses GDAL's OSR (`OGRSpatialReference` + `OGRCoordinateTransformation`), which
//! runs on the system PROJ (Debian: 9.1) and its `proj.db`. We do not add the `proj` crate:
//! - one source of truth for CRS definitions: the `proj.db` that also interprets the files'
//!   `.prj`/WKT is the one that transforms them; a second PROJ would carry its own database
//!   and could disagree (or, as measured, refuse Debian's 9.1 `proj.db` outright);
//! - `proj` 0.31 needs PROJ ≥ 9.6.2, so it builds a bundled PROJ from source (3–5 min, cmake,
//!   the sqlite3 tool) and needs `PROJ_DATA` pointed at its own `proj.db` at run time;
//! - GDAL is needed anyway to read and write the formats, so OSR costs no new dependency.
//!
//! Axis order: every spatial reference is set to `OAMS_TRADITIONAL_GIS_ORDER`, so EPSG:4326 and
//! EPSG:4490 (lat/lon by the authority) are handled as lon/lat, like every file format stores them.
//!
//! Datums: CGCS2000 (EPSG:4490 and its Gauss-Krüger projections EPSG:4491–4554) is taken as
//! WGS84 (the frames differ by centimetres; PROJ agrees: its 4490→4326 operation is a no-op
//! "ballpark"). Beijing 1954 and Xian 1980 go through whatever PROJ offers, which for most of
//! China is a ballpark without datum shift: the import warns. Files without a CRS are refused
//! unless `--crs` says what they are; `--crs gcj02|bd09` undoes the consumer-map offsets with
//! [`wangge_engine::datum`]. Output is snapped to the engine's 1e-7° lattice.

pub mod archive;
pub mod crs;
pub mod error;
pub mod mapping;
pub mod open;
pub mod read;
pub mod stage;
pub mod write;

pub use crs::CrsOverride;
pub use error::{Cause, Failure, GisError, GisResult};
pub use mapping::{FieldMap, Target};
pub use read::{
    read_file, read_file_with_progress, read_reference, ImportOptions, ImportOutcome, Refusal,
};
pub use write::{write_assignments_csv, write_file, Format};

/// Stops GDAL printing its own warnings and errors on stderr (the CLI promises one plain line);
/// GDAL still records the last error, which [`read`] and [`write`] turn into messages.
pub fn quiet_gdal() {
    gdal::config::set_error_handler(|_, _, _| {});
}
