//! `GET /export`: the grids as one GeoJSON FeatureCollection (RFC 7946: lon/lat WGS84, exterior
//! rings counter-clockwise, at most 7 decimals, no `crs` member), streamed.
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
use crate::io::features::grid_to_feature;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use geo::orient::{Direction, Orient};
use wangge_engine::Grid;

const FEATURES_PER_CHUNK: usize = 256;

#[utoipa::path(get, path = "/api/v1/export", tag = "grids",
    params(("layer" = Option<String>, Query), ("area" = Option<String>, Query), ("as_of" = Option<String>, Query)),
    responses((status = 200, description = "Streamed RFC 7946 FeatureCollection", content_type = "application/geo+json"),
        (status = 400, description = "Bad parameter", body = super::super::error::Problem)))]
pub async fn export(
    State(state): State<SharedState>,
    caller: Caller,
    params: Params,
) -> ApiResult<Response> {
    caller.require_read(&state)?;
    state.ensure_ready()?;
    let grids: Vec<Grid> = {
        let d = state.district.read();
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
