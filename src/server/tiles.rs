//! Vector tiles of the grids: `/tiles/grids.json` (TileJSON 3.0) and
//! `/tiles/grids/{z}/{x}/{y}.mvt` (MVT 2.1, extent 4096, 64 px buffer), with `?as_of=` for history.
//!
//! Layers: `districts`, `towns`, `communities`, `base`, `micro`, `special`, `composite`,
//! `buildings`, `problems`. Each polygon layer is simplified per zoom through a shared-arc
//! topology (wangge-tiles), so neighbouring grids stay exactly adjacent at every zoom; from
//! [`EXACT_FROM_ZOOM`] on, geometry is sent unsimplified.
//!
//! Caching: rendered tiles live in a bounded [`TileCache`]; the per-layer simplified geometry and
//! the per-grid counts are derived once per (layer, date, zoom) and snapshot of the district
//! ([`super::tile_data`]), and go with it when a change publishes the next snapshot.
//! A committed change evicts exactly the cached tiles its old and new shapes touch, at every zoom,
//! and bumps the source generation, which is part of every ETag; responses say
//! `Cache-Control: no-cache`, so a client revalidates and never keeps a tile older than a save.

use super::auth::Caller;
use super::error::{ApiError, ApiResult};
use super::extract::Params;
use super::state::{SharedState, Snapshot};
use super::tile_data::LayerData;
pub use super::tile_data::{
    index_features, numeric_id, Field, TileLayer, TileService, EXACT_FROM_ZOOM, MAX_ZOOM, SOURCE,
};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::NaiveDate;
use geo::Rect;
use std::sync::Arc;
use wangge_engine::validate::Config;
use wangge_tiles::{encode_prepared, EncodeOptions, PreparedLayer, TileId, TileKey};

const MEDIA: &str = "application/vnd.mapbox-vector-tile";

pub fn router() -> Router<SharedState> {
    Router::new()
        .route("/grids.json", get(tilejson))
        .route("/grids/{z}/{x}/{y}", get(tile))
}

fn render(state: &SharedState, tile: TileId, as_of: Option<NaiveDate>) -> ApiResult<Vec<u8>> {
    // One snapshot for the whole tile: its district and its derived data agree.
    let snapshot = state.snapshot();
    let picked = pick(&state.tiles.config, &snapshot, tile, as_of);
    let layers: Vec<PreparedLayer<'_>> = picked
        .iter()
        .map(|(name, data, slots)| PreparedLayer {
            name: name.name(),
            features: slots.iter().map(|&s| &data.features[s as usize]).collect(),
        })
        .collect();
    encode_prepared(tile, &layers, &EncodeOptions::default()).map_err(|e| {
        ApiError::internal(format!("tile {}/{}/{}: {e}", tile.z(), tile.x(), tile.y()))
    })
}

/// The layers a tile shows and, for each, the slots of its derived features near the tile.
type Picked = Vec<(TileLayer, Arc<LayerData>, Vec<u32>)>;

fn pick(config: &Config, snapshot: &Snapshot, tile: TileId, as_of: Option<NaiveDate>) -> Picked {
    let bounds = tile.bounds_lonlat();
    // The buffer (64 of 4096 px) on each side, in degrees, for the candidate search.
    let pad_x = bounds.width() * 64.0 / 4096.0;
    let pad_y = bounds.height() * 64.0 / 4096.0;
    let search = Rect::new(
        (bounds.min().x - pad_x, bounds.min().y - pad_y),
        (bounds.max().x + pad_x, bounds.max().y + pad_y),
    );
    let mut picked = Vec::new();
    for name in TileLayer::ALL {
        if tile.z() < name.min_zoom() {
            continue;
        }
        let data = snapshot
            .tiles()
            .layer(snapshot.district(), config, name, as_of, tile.z());
        let mut slots: Vec<u32> = data.index.in_rect(search).collect();
        slots.sort_unstable();
        picked.push((name, data, slots));
    }
    picked
}

#[utoipa::path(get, path = "/tiles/grids/{z}/{x}/{y}.mvt", tag = "tiles",
    params(("z" = u8, Path, maximum = 20, description = "zoom 0–20"), ("x" = u32, Path, description = "column, below 2^z"),
        ("y" = u32, Path, description = "row, below 2^z (the path may also end in .pbf)"),
        ("as_of" = Option<chrono::NaiveDate>, Query, description = "YYYY-MM-DD: the grids valid that day"),
        ("If-None-Match" = Option<String>, Header, description = "an ETag from an earlier answer")),
    responses((status = 200, description = "A Mapbox Vector Tile 2.1 (extent 4096)", body = super::schemas::Binary, content_type = "application/vnd.mapbox-vector-tile",
            headers(("ETag" = String), ("Cache-Control" = String, description = "no-cache"))),
        (status = 304, description = "Not modified since the ETag in If-None-Match")))]
async fn tile(
    State(state): State<SharedState>,
    caller: Caller,
    Path((z, x, y)): Path<(String, String, String)>,
    params: Params,
    headers: HeaderMap,
) -> ApiResult<Response> {
    caller.require_read(&state)?;
    state.ensure_ready()?;
    let y = y
        .strip_suffix(".mvt")
        .or_else(|| y.strip_suffix(".pbf"))
        .ok_or_else(|| ApiError::field("y", "the tile path ends in {y}.mvt"))?;
    let number = |field: &str, v: &str| -> ApiResult<u32> {
        v.parse::<u32>()
            .map_err(|_| ApiError::field(field, format!("\"{v}\" is not a whole number ≥ 0")))
    };
    let (z, x, y) = (number("z", &z)?, number("x", &x)?, number("y", y)?);
    let z = u8::try_from(z)
        .ok()
        .filter(|z| *z <= MAX_ZOOM)
        .ok_or_else(|| ApiError::field("z", format!("zoom {z} is above the maximum {MAX_ZOOM}")))?;
    let tile = TileId::new(z, x, y).map_err(|e| ApiError::field("x", e.to_string()))?;
    let as_of = params.date("as_of")?;
    let key = TileKey {
        source: SOURCE.into(),
        tile,
        variant: as_of.map(|d| d.to_string()).unwrap_or_default(),
    };
    let cached = state.tiles.cache.read().get(&key);
    let cached = match cached {
        Some(c) => c,
        None => {
            let generation = state.tiles.generation();
            let s = state.clone();
            let bytes = tokio::task::spawn_blocking(move || render(&s, tile, as_of)).await??;
            state.tiles.cache.write().insert(key, bytes, generation)
        }
    };
    // The cache's ETag is already quoted; If-None-Match compares weakly (RFC 9110 13.1.2).
    let etag = cached.etag.as_str();
    let mut response = if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|t| t.trim().trim_start_matches("W/") == etag)
        }) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        // The body shares the cached bytes (no copy per hit).
        let body = axum::body::Body::from(bytes::Bytes::from_owner(cached.bytes.clone()));
        (StatusCode::OK, body).into_response()
    };
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(MEDIA));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(v) = HeaderValue::from_str(etag) {
        h.insert(header::ETAG, v);
    }
    Ok(response)
}

#[utoipa::path(get, path = "/tiles/grids.json", tag = "tiles",
    responses((status = 200, description = "TileJSON 3.0 of the grid tiles", body = super::schemas::JsonDocument)))]
async fn tilejson(State(state): State<SharedState>, caller: Caller) -> ApiResult<Response> {
    caller.require_read(&state)?;
    state.ensure_ready()?;
    // The configured public URL, not the request's Host header (which any client can set).
    let base = state.public_url();
    let bounds = state.district().extent();
    let (b, center) = match bounds {
        Some(r) => (
            vec![r.min().x, r.min().y, r.max().x, r.max().y],
            vec![r.center().x, r.center().y, 11.0],
        ),
        None => (vec![-180.0, -85.0, 180.0, 85.0], vec![0.0, 0.0, 1.0]),
    };
    let vector_layers: Vec<serde_json::Value> = TileLayer::ALL
        .iter()
        .map(|l| {
            let f: serde_json::Map<_, _> = l
                .fields()
                .iter()
                .map(|f| (f.name().to_string(), "String".into()))
                .collect();
            serde_json::json!({"id": l.name(), "fields": f, "minzoom": l.min_zoom(), "maxzoom": MAX_ZOOM})
        })
        .collect();
    let body = serde_json::json!({
        "tilejson": "3.0.0",
        "name": "wangge grids",
        "tiles": [format!("{base}/tiles/{SOURCE}/{{z}}/{{x}}/{{y}}.mvt")],
        "minzoom": 0,
        "maxzoom": MAX_ZOOM,
        "bounds": b,
        "center": center,
        "vector_layers": vector_layers,
    });
    Ok((
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response())
}
