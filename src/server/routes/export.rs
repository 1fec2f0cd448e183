//! `GET /export`: the grids as one GeoJSON FeatureCollection (RFC 7946: lon/lat WGS84, exterior
//! rings counter-clockwise, at most 7 decimals, no `crs` member), streamed; with `format=gpkg`,
//! `kml`, `fgb` or `csv` the same grids written by GDAL ([`crate::gis::write_file`]); with
//! `what=assignments` the building/household → grid table as CSV. A shapefile is several files:
//! they come as one zip (`grids.zip`), which `POST /import` and GIS tools read back.
//!
//! The selected versions are copied out under a short read lock and serialised in chunks while
//! the client reads: holding the lock for a slow client would block every edit (and, with a
//! writer waiting, every read).

use super::super::auth::Caller;
use super::super::error::{ApiError, ApiResult};
use super::super::extract::Params;
use super::super::state::SharedState;
use super::grids::Filter;
use super::GEO_JSON;
use crate::gis::write::{write_assignments_csv, write_file, Format};
use crate::io::features::grid_to_feature;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use geo::orient::{Direction, Orient};
use wangge_engine::Grid;

const FEATURES_PER_CHUNK: usize = 256;

#[utoipa::path(get, path = "/api/v1/export", tag = "grids",
    params(("layer" = Option<super::super::schemas::LayerName>, Query), ("area" = Option<String>, Query, description = "admin area code"), ("as_of" = Option<chrono::NaiveDate>, Query, description = "YYYY-MM-DD: the grids valid that day"),
        ("format" = Option<super::super::schemas::ExportFormat>, Query, description = "geojson (default, streamed), gpkg, shp (zipped), kml, fgb or csv"),
        ("what" = Option<super::super::schemas::ExportWhat>, Query, description = "grids (default) or assignments (CSV of buildings/households → grid)")),
    responses((status = 200, description = "The grids: a streamed RFC 7946 FeatureCollection, or the file GDAL wrote (a shapefile as a zip)",
            content((super::super::schemas::FeatureCollection = "application/geo+json"), (super::super::schemas::Binary = "application/geopackage+sqlite3"), (super::super::schemas::Binary = "application/zip"),
                (super::super::schemas::Binary = "application/vnd.google-earth.kml+xml"), (super::super::schemas::Binary = "application/flatgeobuf"), (String = "text/csv")),
            headers(("Content-Disposition" = String, description = "attachment; filename=…"))),
        (status = 400, description = "Bad parameter", body = super::super::error::Problem)))]
pub async fn export(
    State(state): State<SharedState>,
    caller: Caller,
    params: Params,
) -> ApiResult<Response> {
    caller.require_read(&state)?;
    state.ensure_ready()?;
    let format = params.str("format").unwrap_or("geojson").to_string();
    let assignments = match params.str("what").unwrap_or("grids") {
        "grids" => false,
        "assignments" => true,
        other => {
            return Err(ApiError::field(
                "what",
                format!("\"{other}\" is not grids or assignments"),
            ))
        }
    };
    if assignments || !matches!(format.as_str(), "geojson" | "json") {
        return export_file(state, params, format, assignments).await;
    }
    let grids: Vec<Grid> = {
        let d = state.district();
        let mut filter = Filter::from_params(&params, &d)?;
        if params.str("bbox").is_some() {
            return Err(ApiError::field(
                "bbox",
                "export takes layer, area and as_of; use /grids for a bbox",
            ));
        }
        filter.bbox = None;
        filter.select(&d).into_iter().cloned().collect()
    };
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    tokio::task::spawn_blocking(move || {
        let mut buf = br#"{"type":"FeatureCollection","features":["#.to_vec();
        for (i, g) in grids.iter().enumerate() {
            if i > 0 {
                buf.push(b',');
            }
            let mut g2 = g.clone();
            // RFC 7946 §3.1.6: exterior rings counter-clockwise, holes clockwise.
            g2.geometry = g.geometry.orient(Direction::Default);
            if serde_json::to_writer(&mut buf, &grid_to_feature(&g2)).is_err() {
                let _ = tx.blocking_send(Err(std::io::Error::other("cannot encode a grid")));
                return;
            }
            if (i + 1) % FEATURES_PER_CHUNK == 0 {
                let chunk = std::mem::take(&mut buf);
                if tx.blocking_send(Ok(Bytes::from(chunk))).is_err() {
                    return; // the client went away
                }
            }
        }
        buf.extend_from_slice(b"]}\n");
        let _ = tx.blocking_send(Ok(Bytes::from(buf)));
    });
    let mut resp =
        Body::from_stream(tokio_stream::wrappers::ReceiverStream::new(rx)).into_response();
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(GEO_JSON));
    resp.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"grids.geojson\""),
    );
    Ok(resp)
}

/// A non-streamed export written by GDAL (or the assignment CSV) into memory.
async fn export_file(
    state: SharedState,
    params: Params,
    format: String,
    assignments: bool,
) -> ApiResult<Response> {
    let fmt = if assignments {
        Format::Csv
    } else {
        Format::parse(&format).map_err(|e| ApiError::field("format", e.to_string()))?
    };
    if params.str("bbox").is_some() {
        return Err(ApiError::field(
            "bbox",
            "export takes layer, area and as_of; use /grids for a bbox",
        ));
    }
    let (bytes, name, media) = super::blocking(&state, move |s| {
        let d = s.district();
        let mut filter = Filter::from_params(&params, &d)?;
        filter.bbox = None;
        if assignments {
            let layer = filter.layer.clone().unwrap_or(wangge_engine::Layer::Base);
            let keep: Vec<String> = filter.select(&d).iter().map(|g| g.id.0.clone()).collect();
            let mut out = Vec::new();
            write_assignments_csv(&mut out, &d, &layer, filter.as_of, &|g: &Grid| {
                keep.contains(&g.id.0)
            })?;
            return Ok((out, "assignments.csv".to_string(), "text/csv"));
        }
        let grids = filter.select(&d);
        let (ext, media) = match fmt {
            Format::Shp => ("shp", "application/zip"),
            Format::Gpkg => ("gpkg", "application/geopackage+sqlite3"),
            Format::Kml => ("kml", "application/vnd.google-earth.kml+xml"),
            Format::Fgb => ("fgb", "application/flatgeobuf"),
            _ => ("csv", "text/csv"),
        };
        let dir = tempfile::tempdir().map_err(|e| ApiError::internal(format!("temp dir: {e}")))?;
        let path = dir.path().join(format!("grids.{ext}"));
        crate::gis::quiet_gdal();
        write_file(&path, fmt, &grids)?;
        if fmt == Format::Shp {
            return Ok((zip_folder(dir.path())?, "grids.zip".to_string(), media));
        }
        let bytes = std::fs::read(&path)
            .map_err(|e| ApiError::internal(format!("reading the export: {e}")))?;
        Ok((bytes, format!("grids.{ext}"), media))
    })
    .await?;
    let mut resp = bytes.into_response();
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(media));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        resp.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(resp)
}

/// Every file of `dir` (a shapefile's .shp, .shx, .dbf, .prj, .cpg) in one zip, in name order.
fn zip_folder(dir: &std::path::Path) -> ApiResult<Vec<u8>> {
    let fail =
        |e: &dyn std::fmt::Display| ApiError::internal(format!("zipping the shapefile: {e}"));
    let mut names: Vec<std::path::PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| fail(&e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    names.sort();
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for path in names {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        zip.start_file(name, options).map_err(|e| fail(&e))?;
        let bytes = std::fs::read(&path).map_err(|e| fail(&e))?;
        std::io::Write::write_all(&mut zip, &bytes).map_err(|e| fail(&e))?;
    }
    Ok(zip.finish().map_err(|e| fail(&e))?.into_inner())
}
