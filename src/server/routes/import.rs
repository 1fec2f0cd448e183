//! `POST /api/v1/import`: a GIS file uploaded as the request body, read through GDAL
//! ([`crate::gis::read_file`], as `wangge import` does), stored in one transaction or validated
//! as a dry run. Admins only: an import may add grids anywhere in the district.
//!
//! The body is the file itself; `filename` names it so GDAL can tell the format (a zipped
//! shapefile is `name.zip`: its parts are unpacked first, within caps on entries and size). The
//! file is opened only with the drivers its extension names and nothing is fetched (see
//! [`crate::gis::open`]). Messages name the upload, never the server's temporary folder.

use super::super::auth::Caller;
use super::super::error::{ApiError, ApiResult};
use super::super::extract::Params;
use super::super::state::SharedState;
use super::Typed;
use crate::gis::open::import_extensions;
use crate::gis::stage::{store_outcome, Stored};
use crate::gis::{read_file, CrsOverride, FieldMap, ImportOptions, Target};
use crate::store::{ChangeMeta, Operation};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// The longest file name most file systems accept, in bytes.
const MAX_FILENAME_BYTES: usize = 255;

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
        (status = 403, description = "Not an admin", body = super::super::error::Problem),
        (status = 413, description = "The file is larger than the body limit", body = super::super::error::Problem),
        (status = 422, description = "The import would bring validation errors (as an edit would be refused)", body = super::super::error::Problem)))]
pub async fn import(
    State(state): State<SharedState>,
    caller: Caller,
    params: Params,
    // Taken as a Result so that a body over the limit is this route's problem+json 413, not
    // axum's plain-text rejection.
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    caller.require_admin()?;
    state.ensure_ready()?;
    let target = Target::parse(params.str("layer").unwrap_or_default())
        .map_err(|e| ApiError::field("layer", e.to_string()))?;
    let name = params
        .str("filename")
        .ok_or_else(|| ApiError::field("filename", "name the file so its format is known"))?;
    let name = upload_name(name)?;
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
    let body = body?;
    if body.is_empty() {
        return Err(ApiError::field(
            "file",
            "the request body (the file) is empty",
        ));
    }

    opts.display_name = Some(name.clone());
    let outcome = tokio::task::spawn_blocking(move || -> ApiResult<_> {
        // io errors carry no path in their kind; the temporary folder's name is never shown.
        let dir = tempfile::tempdir()
            .map_err(|e| ApiError::internal(format!("temp dir: {}", e.kind())))?;
        let path = dir.path().join(&name);
        std::fs::write(&path, &body)
            .map_err(|e| ApiError::internal(format!("writing the upload: {}", e.kind())))?;
        crate::gis::quiet_gdal();
        let outcome = read_file(&path, &opts)?;
        drop(dir);
        Ok(outcome)
    })
    .await??;

    let meta = ChangeMeta {
        actor: caller.actor(),
        reason: reason.unwrap_or_default(),
        operation: Operation::Import,
        at: chrono::Utc::now(),
    };
    let _guard = state.sync.lock().await;
    let stored = store_outcome(&state.store, &outcome, &meta, dry_run).await?;
    let summary = outcome.summary_lines();
    let body = match stored {
        // `would_store` is what the real run will do; `refused` says why it would not.
        Stored::DryRun(d) => json!({
            "dry_run": true,
            "read": outcome.read,
            "imported": outcome.imported(),
            "would_store": d.refusal.is_none(),
            "refused": d.refusal.as_ref().map(|b| b.message.clone()),
            "summary": summary,
            "notes": d.notes,
            "problems": d.report.to_feature_collection(),
        }),
        Stored::Change { id, notes } => {
            state.catch_up_locked().await?;
            json!({
                "dry_run": false,
                "read": outcome.read,
                "imported": outcome.imported(),
                "summary": summary,
                "notes": notes,
                "change_id": id,
            })
        }
    };
    Ok(Typed::json("application/json", &body)?.into_response())
}

/// The upload's file name as given in `filename`: only its last path component (the name must not
/// steer where the upload is written), at most 255 bytes, no NUL or other control characters,
/// and an importable extension.
fn upload_name(given: &str) -> ApiResult<String> {
    if given.chars().any(char::is_control) {
        return Err(ApiError::field(
            "filename",
            "the name contains a NUL or another control character",
        ));
    }
    let name = std::path::Path::new(given)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_string();
    if name.len() > MAX_FILENAME_BYTES {
        return Err(ApiError::field(
            "filename",
            format!(
                "the name is {} bytes long; at most {MAX_FILENAME_BYTES} are accepted",
                name.len()
            ),
        ));
    }
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    let extensions = import_extensions();
    if !extensions.contains(&ext.as_str()) {
        return Err(ApiError::field(
            "filename",
            format!(
                "\"{name}\": the extension must be one of {}",
                extensions.join(", ")
            ),
        ));
    }
    Ok(name)
}
