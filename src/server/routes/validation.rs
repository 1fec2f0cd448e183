//! `GET /validation` (problems as GeoJSON) and `GET /stats` (per-grid counts, workers and
//! household-standard breaches).

use super::super::auth::Caller;
use super::super::error::{ApiError, ApiResult};
use super::super::extract::Params;
use super::super::i18n::{self, Lang, Translated};
use super::super::state::SharedState;
use super::areas::check_area;
use super::grids::in_area;
use super::{blocking, Typed, GEO_JSON};
use crate::store::PersonRole;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use std::collections::HashMap;
use wangge_engine::assign::assign;
use wangge_engine::validate::{validate, Scope};
use wangge_engine::Layer;

#[utoipa::path(get, path = "/api/v1/validation", tag = "validation",
    params(
        ("area" = Option<String>, Query, description = "admin area code (not with bbox)"),
        ("bbox" = Option<Vec<f64>>, Query, style = Form, explode = false, min_items = 4, max_items = 4, description = "minLon,minLat,maxLon,maxLat (WGS84)"),
        ("as_of" = Option<chrono::NaiveDate>, Query, description = "YYYY-MM-DD: the grids valid that day"),
    ),
    responses((status = 200, description = "GeoJSON FeatureCollection of problems (empty when clean)", body = super::super::schemas::FeatureCollection, content_type = "application/geo+json"),
        (status = 400, description = "Bad parameter", body = super::super::error::Problem)))]
pub async fn validation(
    State(state): State<SharedState>,
    caller: Caller,
    lang: Lang,
    params: Params,
) -> ApiResult<Response> {
    caller.require_read(&state)?;
    state.ensure_ready()?;
    let as_of = params.date("as_of")?;
    let bbox = params.bbox("bbox")?;
    let area = params.str("area").map(str::to_string);
    if area.is_some() && bbox.is_some() {
        return Err(ApiError::field("bbox", "give area or bbox, not both"));
    }
    blocking(&state, move |s| {
        let d = s.district();
        check_area(&d, "area", area.as_deref())?;
        let scope = match (area, bbox) {
            (Some(a), _) => Scope::Area(a),
            (None, Some(r)) => Scope::Rect(r),
            (None, None) => Scope::All,
        };
        let mut report = validate(&d, &scope, as_of, &s.validation);
        i18n::localize(&mut report.problems, &d, lang);
        let mut resp = Typed::json(GEO_JSON, &report.to_feature_collection())?.into_response();
        resp.extensions_mut().insert(Translated);
        Ok(resp)
    })
    .await
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct GridStats {
    pub id: String,
    pub code: String,
    pub name: String,
    pub layer: &'static str,
    pub status: &'static str,
    pub buildings: u32,
    pub households: u32,
    pub residents: u32,
    /// Full-time grid workers (综治网格员) attached.
    pub workers: u32,
    /// The household band that applies, if any.
    pub standard: Option<[u32; 2]>,
    /// `too_few_households` / `too_many_households` when outside the band.
    pub breach: Option<&'static str>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Stats {
    pub grids: Vec<GridStats>,
    pub breaches: usize,
}

#[utoipa::path(get, path = "/api/v1/stats", tag = "validation",
    params(("area" = Option<String>, Query, description = "admin area code"), ("as_of" = Option<chrono::NaiveDate>, Query, description = "YYYY-MM-DD: the grids valid that day")),
    responses((status = 200, description = "Per-grid buildings, households, residents, workers and standard breaches", body = Stats),
        (status = 400, description = "Bad parameter", body = super::super::error::Problem)))]
pub async fn stats(
    State(state): State<SharedState>,
    caller: Caller,
    params: Params,
) -> ApiResult<Json<Stats>> {
    caller.require_read(&state)?;
    state.ensure_ready()?;
    let as_of = params.date("as_of")?;
    let area = params.str("area").map(str::to_string);
    let people = state.store.people().await?;
    let mut workers: HashMap<String, u32> = HashMap::new();
    for p in people.iter().filter(|p| p.role == PersonRole::GridWorker) {
        for g in &p.grids {
            *workers.entry(g.0.clone()).or_insert(0) += 1;
        }
    }
    blocking(&state, move |s| {
        let d = s.district();
        check_area(&d, "area", area.as_deref())?;
        let a = assign(&d, as_of);
        let mut grids = Vec::new();
        for layer in [Layer::Base, Layer::Micro, Layer::Special] {
            for slot in d.layer_slots(&layer, as_of) {
                let g = d.slot(slot);
                if area.as_deref().is_some_and(|code| !in_area(&d, g, code)) {
                    continue;
                }
                let c = a.counts(slot);
                let chain = super::super::auth::area_chain_of(&d, g);
                let refs: Vec<&str> = chain.iter().map(String::as_str).collect();
                let band = s.validation.standards.band_for(&g.layer, g.kind, &refs);
                let breach = band.and_then(|b| {
                    if c.households < b.min {
                        Some("too_few_households")
                    } else if c.households > b.max {
                        Some("too_many_households")
                    } else {
                        None
                    }
                });
                grids.push(GridStats {
                    id: g.id.0.clone(),
                    code: g.code.clone(),
                    name: g.name.clone(),
                    layer: g.layer.as_str(),
                    status: g.status.as_str(),
                    buildings: c.buildings,
                    households: c.households,
                    residents: c.residents,
                    workers: workers.get(&g.id.0).copied().unwrap_or(0),
                    standard: band.map(|b| [b.min, b.max]),
                    breach,
                });
            }
        }
        let breaches = grids.iter().filter(|g| g.breach.is_some()).count();
        Ok(Json(Stats { grids, breaches }))
    })
    .await
}
