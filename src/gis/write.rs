//! Export: grids to GeoJSON (our own RFC 7946 writer), GeoPackage, Shapefile, KML, FlatGeobuf
//! or CSV (GDAL), and the building/household → grid assignment table.
//!
//! Every format carries the same columns (id, code, name, layer, parent, kind, status,
//! category, network, members, valid_from, valid_to, version, then the grids' own properties),
//! so `wangge import` reads any of them back without `--map`. Codes are always text columns:
//! a numeric column would turn 341002001001001 into a float and drop leading zeros.

use super::crs::lon_lat;
use super::error::{Cause, GisError, GisResult};
use crate::io::features::{collection, grid_to_feature};
use gdal::vector::{
    FieldDefn, LayerAccess, LayerOptions, OGRFieldType, OGRwkbGeometryType, ToGdal,
};
use gdal::DriverManager;
use std::path::Path;
use wangge_engine::{District, Grid, HouseholdLocation, Layer};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    GeoJson,
    Gpkg,
    Shp,
    Kml,
    Fgb,
    Csv,
}

impl Format {
    pub const NAMES: &'static str = "geojson, gpkg, shp, kml, fgb or csv";

    pub fn parse(s: &str) -> GisResult<Self> {
        match s.to_ascii_lowercase().as_str() {
            "geojson" | "json" => Ok(Format::GeoJson),
            "gpkg" | "geopackage" => Ok(Format::Gpkg),
            "shp" | "shapefile" => Ok(Format::Shp),
            "kml" => Ok(Format::Kml),
            "fgb" | "flatgeobuf" => Ok(Format::Fgb),
            "csv" => Ok(Format::Csv),
            _ => Err(GisError::write(format!(
                "unknown format \"{s}\" (use {})",
                Self::NAMES
            ))),
        }
    }

    /// Formats that cannot go to standard output (binary, or several files).
    pub fn needs_file(self) -> bool {
        matches!(self, Format::Gpkg | Format::Shp | Format::Fgb)
    }

    fn driver(self) -> &'static str {
        match self {
            Format::GeoJson => "GeoJSON",
            Format::Gpkg => "GPKG",
            Format::Shp => "ESRI Shapefile",
            Format::Kml => "LIBKML",
            Format::Fgb => "FlatGeobuf",
            Format::Csv => "CSV",
        }
    }
}

/// How a column's value is taken from a grid.
type ValueOf = Box<dyn Fn(&Grid) -> Option<ColumnValue>>;

/// One output column.
struct Column {
    name: String,
    ty: OGRFieldType::Type,
    value: ValueOf,
}

enum ColumnValue {
    Text(String),
    Int(i64),
    Real(f64),
}

fn text(f: impl Fn(&Grid) -> Option<String> + 'static) -> ValueOf {
    Box::new(move |g| f(g).map(ColumnValue::Text))
}

/// The fixed columns, then one per property key (in order of first appearance), typed Integer64
/// (Integer when 32 bits suffice) when every value is a whole number, Real when every value is a number, else text.
#[allow(non_upper_case_globals)] // GDAL's constants keep their C names.
fn columns(grids: &[&Grid]) -> Vec<Column> {
    use OGRFieldType::*;
    let mut cols = vec![
        Column {
            name: "id".into(),
            ty: OFTString,
            value: text(|g| Some(g.id.0.clone())),
        },
        Column {
            name: "code".into(),
            ty: OFTString,
            value: text(|g| Some(g.code.clone())),
        },
        Column {
            name: "name".into(),
            ty: OFTString,
            value: text(|g| Some(g.name.clone())),
        },
        Column {
            name: "layer".into(),
            ty: OFTString,
            value: text(|g| Some(g.layer.as_str().into())),
        },
        Column {
            name: "parent".into(),
            ty: OFTString,
            value: text(|g| g.parent.clone()),
        },
        Column {
            name: "kind".into(),
            ty: OFTString,
            value: text(|g| Some(g.kind.as_str().into())),
        },
        Column {
            name: "status".into(),
            ty: OFTString,
            value: text(|g| Some(g.status.as_str().into())),
        },
        Column {
            name: "category".into(),
            ty: OFTString,
            value: text(|g| g.category.map(|c| c.as_str().into())),
        },
        Column {
            name: "network".into(),
            ty: OFTString,
            value: text(|g| g.network.clone()),
        },
        Column {
            name: "members".into(),
            ty: OFTString,
            // Comma-separated: lists are not portable across these formats (shapefile has none).
            value: text(|g| {
                (!g.members.is_empty()).then(|| {
                    g.members
                        .iter()
                        .map(|m| m.0.as_str())
                        .collect::<Vec<_>>()
                        .join(",")
                })
            }),
        },
        // Dates as text: shapefile and KML dates are not portable; YYYY-MM-DD sorts and reads back.
        Column {
            name: "valid_from".into(),
            ty: OFTString,
            value: text(|g| Some(g.valid_from.to_string())),
        },
        Column {
            name: "valid_to".into(),
            ty: OFTString,
            value: text(|g| g.valid_to.map(|d| d.to_string())),
        },
        Column {
            name: "version".into(),
            ty: OFTInteger,
            value: Box::new(|g| Some(ColumnValue::Int(i64::from(g.version)))),
        },
    ];
    let mut keys: Vec<String> = Vec::new();
    for g in grids {
        for k in g.properties.keys() {
            if !keys.contains(k) && !cols.iter().any(|c| &c.name == k) {
                keys.push(k.clone());
            }
        }
    }
    for key in keys {
        let values = || {
            grids
                .iter()
                .filter_map(|g| g.properties.get(&key))
                .filter(|v| !v.is_null())
        };
        // 32-bit when it fits: KML and older readers know no 64-bit integers.
        let ty = if values().all(|v| v.as_i64().is_some_and(|i| i32::try_from(i).is_ok())) {
            OFTInteger
        } else if values().all(|v| v.is_i64()) {
            OFTInteger64
        } else if values().all(|v| v.is_number()) {
            OFTReal
        } else {
            OFTString
        };
        let k = key.clone();
        let value: ValueOf = Box::new(move |g| {
            let v = g.properties.get(&k).filter(|v| !v.is_null())?;
            Some(match ty {
                OFTInteger | OFTInteger64 => ColumnValue::Int(v.as_i64()?),
                OFTReal => ColumnValue::Real(v.as_f64()?),
                _ => ColumnValue::Text(match v {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                }),
            })
        });
        cols.push(Column {
            name: key,
            ty,
            value,
        });
    }
    cols
}

/// Writes `grids` to `path` in `format`; returns the number of features written. An existing
/// file (with a shapefile's side files) is replaced.
pub fn write_file(path: &Path, format: Format, grids: &[&Grid]) -> GisResult<usize> {
    let target = path.display().to_string();
    let fail = |e: Cause| GisError::write(format!("cannot write {target}: {e}")).because(e);
    if format == Format::GeoJson {
        let features = grids.iter().map(|g| grid_to_feature(g)).collect();
        let text = serde_json::to_string(&collection(features)).map_err(|e| fail(e.into()))?;
        std::fs::write(path, text + "\n").map_err(|e| fail(e.into()))?;
        return Ok(grids.len());
    }
    let driver = DriverManager::get_driver_by_name(format.driver()).map_err(|e| fail(e.into()))?;
    if path.exists() {
        // The driver's delete removes a shapefile's .shx/.dbf/.prj/.cpg too.
        driver
            .delete(path)
            // A file the driver does not recognise as its own is removed as a plain file; only
            // that failing is an error.
            .or_else(|_| std::fs::remove_file(path))
            .map_err(|e| fail(e.into()))?;
    }
    let cols = columns(grids);
    let widths: Vec<i32> = if format == Format::Shp {
        shapefile_widths(&cols, grids, &target)?
    } else {
        vec![0; cols.len()]
    };
    let srs = lon_lat()?;
    let mut ds = driver
        .create_vector_only(path)
        .map_err(|e| fail(e.into()))?;
    let lco: Vec<&str> = match format {
        // UTF-8 with a .cpg saying so: Chinese names survive any reader that honours .cpg.
        Format::Shp => vec!["ENCODING=UTF-8"],
        Format::Csv => vec![
            "GEOMETRY=AS_WKT",
            "CREATE_CSVT=YES",
            "STRING_QUOTING=ALWAYS",
        ],
        _ => vec![],
    };
    // GeoPackage: one transaction instead of one per feature (seconds → milliseconds).
    if format == Format::Gpkg {
        let mut txn = ds.start_transaction().map_err(|e| fail(e.into()))?;
        fill(&mut txn, &srs, &lco, &cols, &widths, grids).map_err(|e| fail(e.into()))?;
        txn.commit().map_err(|e| fail(e.into()))?;
    } else {
        fill(&mut ds, &srs, &lco, &cols, &widths, grids).map_err(|e| fail(e.into()))?;
    }
    Ok(grids.len())
}

fn fill(
    ds: &mut gdal::Dataset,
    srs: &gdal::spatial_ref::SpatialRef,
    lco: &[&str],
    cols: &[Column],
    widths: &[i32],
    grids: &[&Grid],
) -> gdal::errors::Result<()> {
    let layer = ds.create_layer(LayerOptions {
        name: "grids",
        srs: Some(srs),
        ty: OGRwkbGeometryType::wkbMultiPolygon,
        options: Some(lco),
    })?;
    for (c, w) in cols.iter().zip(widths) {
        let fd = FieldDefn::new(&c.name, c.ty)?;
        if *w > 0 {
            fd.set_width(*w);
        }
        fd.add_to_layer(&layer)?;
    }
    for g in grids {
        let mut f = gdal::vector::Feature::new(layer.defn())?;
        for (i, c) in cols.iter().enumerate() {
            match (c.value)(g) {
                None => f.set_field_null(i),
                Some(ColumnValue::Text(s)) => f.set_field_string(i, &s),
                Some(ColumnValue::Int(v)) => f.set_field_integer64(i, v),
                Some(ColumnValue::Real(v)) => f.set_field_double(i, v),
            }?;
        }
        // Composite grids are defined by their members and may carry no geometry.
        if !g.geometry.0.is_empty() {
            f.set_geometry(g.geometry.to_gdal()?)?;
        }
        f.create(&layer)?;
    }
    Ok(())
}

/// DBF string widths in bytes (UTF-8: a Chinese character is 3), refusing values a shapefile
/// cannot hold rather than letting GDAL truncate them.
fn shapefile_widths(cols: &[Column], grids: &[&Grid], target: &str) -> GisResult<Vec<i32>> {
    const DBF_MAX: usize = 254;
    cols.iter()
        .map(|c| {
            if c.ty != OGRFieldType::OFTString {
                return Ok(0);
            }
            let mut widest = 1;
            for g in grids {
                if let Some(ColumnValue::Text(s)) = (c.value)(g) {
                    if s.len() > DBF_MAX {
                        return Err(GisError::write(format!(
                            "cannot write {target}: {} of grid {} is {} bytes, more than a shapefile column holds ({DBF_MAX}); use --format gpkg",
                            c.name, g.id, s.len()
                        )));
                    }
                    widest = widest.max(s.len());
                }
            }
            Ok(widest as i32)
        })
        .collect()
}

/// The building → grid and household → grid table of `layer` as CSV: one row per assigned
/// object, every field quoted so spreadsheets keep codes as text. Returns the number of rows.
pub fn write_assignments_csv<W: std::io::Write>(
    out: W,
    district: &District,
    layer: &Layer,
    as_of: Option<chrono::NaiveDate>,
    keep: &dyn Fn(&Grid) -> bool,
) -> GisResult<usize> {
    let fail = |e: Cause| GisError::write(format!("cannot write assignments: {e}")).because(e);
    let mut w = csv::WriterBuilder::new()
        .quote_style(csv::QuoteStyle::Always)
        .from_writer(out);
    w.write_record(["object", "id", "layer", "grid_id", "grid_code", "grid_name"])
        .map_err(|e| fail(e.into()))?;
    let a = wangge_engine::assign::assign(district, as_of);
    let slot_of_building = |b: &wangge_engine::assign::BuildingAssignment| match layer {
        Layer::Base => b.base,
        // The child slot is the micro or special grid holding the building, if any.
        Layer::Micro | Layer::Special => b.child.filter(|&s| district.slot(s).layer == *layer),
        Layer::Composite => None,
    };
    // One row for an object in a kept grid; returns how many rows were written (0 or 1).
    let write_row =
        |w: &mut csv::Writer<W>, object: &str, id: &str, slot: u32| -> GisResult<usize> {
            let g = district.slot(slot);
            if !keep(g) {
                return Ok(0);
            }
            w.write_record([object, id, g.layer.as_str(), &g.id.0, &g.code, &g.name])
                .map_err(|e| fail(e.into()))?;
            Ok(1)
        };
    let mut by_building = std::collections::HashMap::new();
    let mut rows = 0;
    for b in &a.buildings {
        let Some(slot) = slot_of_building(b) else {
            continue;
        };
        let building = &district.buildings()[b.building];
        by_building.insert(building.id.as_str(), slot);
        rows += write_row(&mut w, "building", &building.id, slot)?;
    }
    for (hi, base) in &a.households {
        let h = &district.households()[*hi];
        let slot = match (&h.location, layer) {
            (HouseholdLocation::Building(b), _) => by_building.get(b.as_str()).copied(),
            (HouseholdLocation::Point(_), Layer::Base) => *base,
            // Point households are assigned to base grids only by the engine.
            (HouseholdLocation::Point(_), _) => None,
        };
        let Some(slot) = slot else { continue };
        rows += write_row(&mut w, "household", &h.id, slot)?;
    }
    w.flush().map_err(|e| fail(e.into()))?;
    Ok(rows)
}
