//! `POST /api/v1/import`: a GIS file uploaded as the request body, read through GDAL
//! ([`crate::gis::read_file`], as `wangge import` does), stored in one transaction or validated
//! as a dry run. Admins only: an import may add grids anywhere in the district.
//!
//! The body is the file itself; `filename` names it so GDAL can tell the format (a zipped
//! shapefile is `name.zip`: its parts are unpacked beside it first).

use super::super::auth::Caller;
use super::super::error::{ApiError, ApiResult};
use super::super::extract::{Params, RawBody};
use super::super::state::SharedState;
use super::Typed;
use crate::gis::stage::{store_outcome, StageError, Stored};
use crate::gis::{read_file, CrsOverride, FieldMap, ImportOptions, Target};
use crate::store::ChangeMeta;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// Extensions GDAL opens as vector data here (the same as `wangge import`).
const EXTENSIONS: [&str; 10] = [
    "shp", "zip", "gpkg", "geojson", "json", "kml", "dxf", "fgb", "csv", "gml",
];

#[utoipa::path(post, path = "/api/v1/import", tag = "import",
    params(("layer" = super::super::schemas::ImportLayer, Query, description = "base, micro, special, composite, buildings or households"),
        ("filename" = String, Query, description = "the file's name; its extension names the format (.zip: a zipped shapefile)"),
        ("crs" = Option<String>, Query, description = "EPSG:xxxx, gcj02 or bd09 when the file has no CRS or a wrong one"),
        ("map" = Option<String>, Query, description = "field=COLUMN,…"),
        ("dry_run" = Option<bool>, Query), ("reason" = Option<String>, Query, description = "required to save unless dry_run")),
    request_body(description = "the file's bytes", content = super::super::schemas::Binary, content_type = "application/octet-stream"),
    responses((status = 200, description = "Stored (change id) or the dry run's validation report", body = super::super::schemas::ImportResult),
        (status = 409, description = "The store refused the change", body = super::super::error::Problem),
        (status = 400, description = "Bad file or parameter", body = super::super::error::Problem),
        (status = 403, description = "Not an admin", body = super::super::error::Problem)))]
pub async fn import(
    State(state): State<SharedState>,
    caller: Caller,
    params: Params,
    RawBody(body): RawBody,
) -> ApiResult<Response> {
    caller.require_admin()?;
    state.ensure_ready()?;
    let target = Target::parse(params.str("layer").unwrap_or_default())
        .map_err(|e| ApiError::field("layer", e.to_string()))?;
    let name = params
        .str("filename")
        .ok_or_else(|| ApiError::field("filename", "name the file so its format is known"))?;
    // Only the last path component: the name must not steer where the upload is written.
    let name = std::path::Path::new(name)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_string();
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    if !EXTENSIONS.contains(&ext.as_str()) {
        return Err(ApiError::field(
            "filename",
            format!(
                "\"{name}\": the extension must be one of {}",
                EXTENSIONS.join(", ")
            ),
        ));
    }
    let mut opts = ImportOptions::new(target);
    opts.crs = params
        .str("crs")
        .map(CrsOverride::parse)
        .transpose()
        .map_err(|e| ApiError::field("crs", e.to_string()))?;
    if let Some(m) = params.str("map") {
        opts.map = FieldMap::parse(m).map_err(|e| ApiError::field("map", e.to_string()))?;
    }
    let dry_run = params.bool("dry_run")?;
    let reason = params.str("reason").map(str::to_string);
    if !dry_run && reason.is_none() {
        return Err(ApiError::field(
            "reason",
            "say why the import is made (required to save)",
        ));
    }
    if body.is_empty() {
        return Err(ApiError::field(
            "file",
            "the request body (the file) is empty",
        ));
    }

    let outcome = tokio::task::spawn_blocking(move || -> ApiResult<_> {
        let dir = tempfile::tempdir().map_err(|e| ApiError::internal(format!("temp dir: {e}")))?;
        let path = dir.path().join(&name);
        std::fs::write(&path, &body)
            .map_err(|e| ApiError::internal(format!("writing the upload: {e}")))?;
        let gdal_path = if ext == "zip" {
            unzip_one_dataset(&path, dir.path())?
        } else {
            path
        };
        crate::gis::quiet_gdal();
        let outcome =
            read_file(&gdal_path, &opts).map_err(|e| ApiError::field("file", e.to_string()))?;
        drop(dir);
        Ok(outcome)
    })
    .await??;

    let meta = ChangeMeta {
        actor: caller.actor(),
        reason: reason.unwrap_or_default(),
        operation: "import".into(),
        at: chrono::Utc::now(),
    };
    let _guard = state.sync.lock().await;
    let stored = store_outcome(&state.store, &outcome, &meta, dry_run)
        .await
        .map_err(|e| match e {
            StageError::Rejected(m) => ApiError::field("file", m),
            StageError::Store(e) => e.into(),
        })?;
    let summary = outcome.summary_lines();
    let body = match stored {
        Stored::DryRun(report) => json!({
            "dry_run": true,
            "read": outcome.read,
            "imported": outcome.imported(),
            "summary": summary,
            "problems": report.to_feature_collection(),
        }),
        Stored::Change(id) => {
            state.catch_up_locked().await?;
            json!({
                "dry_run": false,
                "read": outcome.read,
                "imported": outcome.imported(),
                "summary": summary,
                "change_id": id,
            })
        }
    };
    Ok(Typed::json("application/json", &body)?.into_response())
}

/// Unpacks a zip (a shapefile's parts, typically) into `dir` and returns the one dataset in it.
/// Entry names are reduced to their file name, so a crafted path cannot write outside `dir`.
fn unzip_one_dataset(
    zip_path: &std::path::Path,
    dir: &std::path::Path,
) -> ApiResult<std::path::PathBuf> {
    let bad = |reason: String| ApiError::field("file", reason);
    let file = std::fs::File::open(zip_path)
        .map_err(|e| ApiError::internal(format!("reopening the upload: {e}")))?;
    let mut archive =
        zip::ZipArchive::new(file).map_err(|e| bad(format!("not a readable zip: {e}")))?;
    let mut datasets = Vec::new();
    for i in 0..archive.len() {
        let mut entry = archive
            .by_index(i)
            .map_err(|e| bad(format!("zip entry {i}: {e}")))?;
        if entry.is_dir() {
            continue;
        }
        // enclosed_name refuses absolute paths and `..`; only the file name is kept anyway.
        let Some(name) = entry
            .enclosed_name()
            .and_then(|p| p.file_name().map(|n| n.to_owned()))
        else {
            continue;
        };
        let target = dir.join(&name);
        let mut out = std::fs::File::create(&target)
            .map_err(|e| ApiError::internal(format!("unpacking: {e}")))?;
        std::io::copy(&mut entry, &mut out).map_err(|e| bad(format!("zip entry {i}: {e}")))?;
        let ext = target
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .unwrap_or_default();
        if EXTENSIONS.contains(&ext.as_str()) && ext != "zip" {
            datasets.push(target);
        }
    }
    match datasets.len() {
        1 => Ok(datasets.remove(0)),
        0 => Err(bad(
            "the zip holds no vector file (.shp, .gpkg, .geojson…)".into()
        )),
        n => Err(bad(format!(
            "the zip holds {n} vector files; upload one at a time"
        ))),
    }
}
