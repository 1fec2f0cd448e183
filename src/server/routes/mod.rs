//! The `/api/v1` resources, one file each.

pub mod areas;
pub mod changes;
pub mod edits;
pub mod export;
pub mod grids;
pub mod import;
pub mod layers;
pub mod lookup;
pub mod people;
pub mod tokens;
pub mod validation;

use super::error::{ApiError, ApiResult};
use super::state::{AppState, SharedState};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::Router;
use serde::Serialize;

pub fn router() -> Router<SharedState> {
    Router::new()
        .route("/layers", get(layers::list))
        .route("/areas", get(areas::tree))
        .route("/areas/{code}", get(areas::one))
        .route("/grids", get(grids::list).post(edits::create))
        .route("/grids/merge", post(edits::merge))
        .route("/grids/{id}", get(grids::one).delete(edits::retire))
        .route("/grids/{id}/history", get(grids::history))
        .route("/grids/{id}/geometry", put(edits::reshape))
        .route("/grids/{id}/split", post(edits::split))
        .route("/grids/{id}/status", put(edits::set_status))
        .route("/boundaries/move", post(edits::move_boundary))
        .route("/boundaries/reroute", post(edits::reroute))
        .route("/lookup", get(lookup::one).post(lookup::batch))
        .route("/validation", get(validation::validation))
        .route("/stats", get(validation::stats))
        .route("/export", get(export::export))
        .route("/import", post(import::import))
        .route("/people", get(people::list).post(people::create))
        .route(
            "/people/{id}",
            get(people::one).put(people::update).delete(people::remove),
        )
        .route("/staffing", get(people::staffing))
        .route("/changes", get(changes::list))
        .route("/tokens", get(tokens::list).post(tokens::create))
        .route("/tokens/me", get(tokens::me))
        .route("/tokens/{id}", axum::routing::delete(tokens::remove))
}

/// Runs CPU-heavy work (validation, assignment, planning, serialising thousands of features) on
/// the blocking pool so that it does not stall the async workers serving other requests.
pub async fn blocking<T, F>(state: &SharedState, f: F) -> ApiResult<T>
where
    T: Send + 'static,
    F: FnOnce(&AppState) -> ApiResult<T> + Send + 'static,
{
    let s = state.clone();
    tokio::task::spawn_blocking(move || f(&s)).await?
}

/// A JSON body with an explicit media type (`application/geo+json` for GeoJSON).
pub struct Typed {
    pub media: &'static str,
    pub body: Vec<u8>,
}

pub const GEO_JSON: &str = "application/geo+json";

impl Typed {
    pub fn json(media: &'static str, v: &impl Serialize) -> ApiResult<Self> {
        serde_json::to_vec(v)
            .map(|body| Typed { media, body })
            .map_err(|e| ApiError::internal(format!("cannot encode the response: {e}")))
    }
}

impl IntoResponse for Typed {
    fn into_response(self) -> Response {
        let mut r = self.body.into_response();
        r.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(self.media));
        r
    }
}
