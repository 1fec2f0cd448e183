//! Reference layers (`wangge serve --reference roads=FILE`): roads, rivers, railways a district
//! loads from any format the GIS import reads, drawn thin and grey under the grids. Each file is
//! read once at start ([`ReferenceLayer::read`]) and served as GeoJSON in lon/lat.

use super::error::{ApiError, ApiResult};
use super::state::SharedState;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use bytes::Bytes;
use std::path::Path as FsPath;
use std::sync::Arc;

/// One loaded reference layer: its name and its GeoJSON FeatureCollection, encoded once.
#[derive(Clone)]
pub struct ReferenceLayer {
    pub name: String,
    pub features: usize,
    geojson: Bytes,
}

impl std::fmt::Debug for ReferenceLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReferenceLayer")
            .field("name", &self.name)
            .field("features", &self.features)
            .finish()
    }
}

/// Why `--reference NAME=FILE` was refused.
#[derive(Debug, thiserror::Error)]
pub enum ReferenceError {
    #[error("reference layer name {0:?}: use letters, digits, '-' or '_'")]
    Name(String),
    #[error("reference layer {name}: {source}")]
    Read {
        name: String,
        #[source]
        source: Box<crate::gis::GisError>,
    },
    #[error("reference layer {name}: cannot encode GeoJSON: {source}")]
    Encode {
        name: String,
        #[source]
        source: serde_json::Error,
    },
}

impl ReferenceLayer {
    /// Reads `file` (its only layer, in its own CRS) into lon/lat GeoJSON.
    pub fn read(name: &str, file: &FsPath) -> Result<Self, ReferenceError> {
        let valid = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !valid {
            return Err(ReferenceError::Name(name.into()));
        }
        let geometries = crate::gis::read_reference(file, None, None).map_err(|source| {
            ReferenceError::Read {
                name: name.into(),
                source: Box::new(source),
            }
        })?;
        let features: Vec<geojson::Feature> = geometries
            .iter()
            .map(|g| geojson::Feature {
                geometry: Some(geojson::Geometry::from(g)),
                ..Default::default()
            })
            .collect();
        let count = features.len();
        let fc = geojson::FeatureCollection {
            bbox: None,
            features,
            foreign_members: None,
        };
        let geojson = serde_json::to_vec(&fc).map_err(|source| ReferenceError::Encode {
            name: name.into(),
            source,
        })?;
        Ok(ReferenceLayer {
            name: name.into(),
            features: count,
            geojson: Bytes::from(geojson),
        })
    }
}

pub fn router(layers: Arc<Vec<ReferenceLayer>>) -> Router<SharedState> {
    Router::new()
        .route("/reference", get(list))
        .route("/reference/{name}", get(one))
        .with_state(layers)
}

#[utoipa::path(get, path = "/reference", tag = "tiles",
    responses((status = 200, description = "The reference layers loaded with --reference: {\"layers\": [{\"name\", \"features\", \"href\"}]}", body = super::schemas::JsonDocument)))]
async fn list(State(layers): State<Arc<Vec<ReferenceLayer>>>) -> Json<serde_json::Value> {
    let list: Vec<serde_json::Value> = layers
        .iter()
        .map(|l| {
            serde_json::json!({"name": l.name, "features": l.features, "href": format!("/reference/{}", l.name)})
        })
        .collect();
    Json(serde_json::json!({ "layers": list }))
}

#[utoipa::path(get, path = "/reference/{name}", tag = "tiles",
    params(("name" = String, Path, description = "a layer name from /reference")),
    responses((status = 200, description = "The layer as a GeoJSON FeatureCollection in lon/lat", body = super::schemas::JsonDocument, content_type = "application/geo+json")))]
async fn one(
    State(layers): State<Arc<Vec<ReferenceLayer>>>,
    Path(name): Path<String>,
) -> ApiResult<Response> {
    let layer = layers
        .iter()
        .find(|l| l.name == name)
        .ok_or_else(|| ApiError::not_found(format!("no reference layer named {name:?}")))?;
    Ok((
        [(header::CONTENT_TYPE, "application/geo+json")],
        layer.geojson.clone(),
    )
        .into_response())
}
