//! Reading grids: `GET /grids` (filtered FeatureCollection), `GET /grids/{id}` (one version,
//! its version as the ETag) and `GET /grids/{id}/history`.

use super::super::auth::{area_chain_of, Caller};
use super::super::error::{ApiError, ApiResult};
use super::super::extract::Params;
use super::super::state::SharedState;
use super::areas::check_area;
use super::{blocking, Typed, GEO_JSON};
use crate::io::features::{collection, grid_to_feature};
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use geo::{BoundingRect, Intersects, Rect};
use wangge_engine::{District, Grid, GridId, GridStatus, Layer};

/// What `/grids`, `/export` and the OGC items select.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub layer: Option<Layer>,
    pub area: Option<String>,
    pub status: Option<GridStatus>,
    pub bbox: Option<Rect<f64>>,
    pub as_of: Option<NaiveDate>,
}

impl Filter {
    pub fn from_params(p: &Params, d: &District) -> ApiResult<Self> {
        let layer = p
            .str("layer")
            .map(|s| {
                Layer::parse(s).ok_or_else(|| {
                    ApiError::field(
                        "layer",
                        format!("unknown layer \"{s}\" (base, micro, special or composite)"),
                    )
                })
            })
            .transpose()?;
        let status = p
            .str("status")
            .map(|s| {
                GridStatus::parse(s).ok_or_else(|| {
                    ApiError::field(
                        "status",
                        format!("unknown status \"{s}\" (active, reserved or suspended)"),
                    )
                })
            })
            .transpose()?;
        let area = p.str("area").map(str::to_string);
        check_area(d, "area", area.as_deref())?;
        Ok(Filter {
            layer,
            area,
            status,
            bbox: p.bbox("bbox")?,
            as_of: p.date("as_of")?,
        })
    }

    /// The selected grid versions, by layer then code.
    pub fn select<'a>(&self, d: &'a District) -> Vec<&'a Grid> {
        let layers: Vec<Layer> = match &self.layer {
            Some(l) => vec![l.clone()],
            None => vec![Layer::Base, Layer::Micro, Layer::Special, Layer::Composite],
        };
        let mut out = Vec::new();
        for layer in layers {
            let slots = match self.bbox {
                Some(r) => {
                    let mut s = d.slots_in_rect(&layer, r, self.as_of);
                    s.retain(|&x| d.slot(x).layer == layer);
                    s.sort_by(|a, b| d.slot(*a).code.cmp(&d.slot(*b).code));
                    s
                }
                None => d.layer_slots(&layer, self.as_of),
            };
            for s in slots {
                let g = d.slot(s);
                if self.status.is_some_and(|st| st != g.status) {
                    continue;
                }
                if let Some(r) = self.bbox {
                    // The index answers by bounding box; keep only grids that really meet it.
                    if !g.geometry.intersects(&r.to_polygon()) {
                        continue;
                    }
                }
                if let Some(a) = &self.area {
                    if !in_area(d, g, a) {
                        continue;
                    }
                }
                out.push(g);
            }
        }
        out
    }
}

/// Whether a grid lies in an admin area (a composite grid: any of its members).
pub fn in_area(d: &District, g: &Grid, area: &str) -> bool {
    if g.layer == Layer::Composite {
        return g
            .members
            .iter()
            .filter_map(|m| d.history(m).last().copied())
            .any(|m| area_chain_of(d, m).iter().any(|c| c == area));
    }
    area_chain_of(d, g).iter().any(|c| c == area)
}

pub fn bbox_of(grids: &[&Grid]) -> Option<[f64; 4]> {
    grids
        .iter()
        .filter_map(|g| g.geometry.bounding_rect())
        .map(|r| [r.min().x, r.min().y, r.max().x, r.max().y])
        .reduce(|a, b| {
            [
                a[0].min(b[0]),
                a[1].min(b[1]),
                a[2].max(b[2]),
                a[3].max(b[3]),
            ]
        })
}

#[utoipa::path(get, path = "/api/v1/grids", tag = "grids",
    params(
        ("bbox" = Option<Vec<f64>>, Query, style = Form, explode = false, min_items = 4, max_items = 4, description = "minLon,minLat,maxLon,maxLat (WGS84)"),
        ("layer" = Option<super::super::schemas::LayerName>, Query),
        ("area" = Option<String>, Query, description = "admin area code"),
        ("status" = Option<super::super::schemas::StatusName>, Query),
        ("as_of" = Option<chrono::NaiveDate>, Query, description = "YYYY-MM-DD: the grids valid that day"),
    ),
    responses((status = 200, description = "GeoJSON FeatureCollection of grids", body = super::super::schemas::FeatureCollection, content_type = "application/geo+json"),
        (status = 400, description = "Bad parameter", body = super::super::error::Problem)))]
pub async fn list(
    State(state): State<SharedState>,
    caller: Caller,
    params: Params,
) -> ApiResult<Typed> {
    caller.require_read(&state)?;
    state.ensure_ready()?;
    blocking(&state, move |s| {
        let d = s.district();
        let filter = Filter::from_params(&params, &d)?;
        let features = filter.select(&d).into_iter().map(grid_to_feature).collect();
        Typed::json(GEO_JSON, &collection(features))
    })
    .await
}

fn with_etag(t: Typed, version: u32) -> Response {
    let mut r = t.into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("\"{version}\"")) {
        r.headers_mut().insert(header::ETAG, v);
    }
    r
}

#[utoipa::path(get, path = "/api/v1/grids/{id}", tag = "grids",
    params(("id" = String, Path, description = "grid id", example = "341002001001001"), ("as_of" = Option<chrono::NaiveDate>, Query, description = "YYYY-MM-DD: the grids valid that day")),
    responses((status = 200, description = "The grid version as a GeoJSON Feature; ETag is its version", body = super::super::schemas::Feature, content_type = "application/geo+json",
            headers(("ETag" = String, description = "\"<version>\": send it back in If-Match when editing"))),
        (status = 404, description = "Unknown grid", body = super::super::error::Problem)))]
pub async fn one(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<String>,
    params: Params,
) -> ApiResult<Response> {
    caller.require_read(&state)?;
    state.ensure_ready()?;
    let as_of = params.date("as_of")?;
    let d = state.district();
    let g = d
        .grid(&GridId(id.clone()), as_of)
        .ok_or_else(|| match as_of {
            Some(day) => ApiError::not_found(format!("grid {id} did not exist on {day}")),
            None => ApiError::not_found(format!("grid {id} does not exist (or is retired)")),
        })?;
    let version = g.version;
    Ok(with_etag(
        Typed::json(GEO_JSON, &grid_to_feature(g))?,
        version,
    ))
}

#[utoipa::path(get, path = "/api/v1/grids/{id}/history", tag = "grids",
    params(("id" = String, Path, description = "grid id", example = "341002001001001")),
    responses((status = 200, description = "Every version, oldest first (FeatureCollection)", body = super::super::schemas::FeatureCollection, content_type = "application/geo+json"),
        (status = 404, description = "Unknown grid", body = super::super::error::Problem)))]
pub async fn history(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Typed> {
    caller.require_read(&state)?;
    state.ensure_ready()?;
    let d = state.district();
    let versions = d.history(&GridId(id.clone()));
    if versions.is_empty() {
        return Err(ApiError::not_found(format!("grid {id} has never existed")));
    }
    Typed::json(
        GEO_JSON,
        &collection(versions.into_iter().map(grid_to_feature).collect()),
    )
}
