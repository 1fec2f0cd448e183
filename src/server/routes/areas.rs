//! `GET /areas` (the district → town → community tree) and `GET /areas/{code}`.

use super::super::auth::Caller;
use super::super::error::{ApiError, ApiResult};
use super::super::state::SharedState;
use super::{Typed, GEO_JSON};
use crate::io::features::area_to_feature;
use axum::extract::{Path, State};
use axum::Json;
use serde::Serialize;
use std::collections::HashMap;
use wangge_engine::{AdminArea, District};

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AreaNode {
    pub code: String,
    pub name: String,
    pub level: &'static str,
    pub kind: &'static str,
    #[schema(no_recursion)]
    pub children: Vec<AreaNode>,
}

fn node(a: &AdminArea, children: &HashMap<&str, Vec<&AdminArea>>) -> AreaNode {
    let mut kids: Vec<AreaNode> = children
        .get(a.code.as_str())
        .map(|v| v.iter().map(|c| node(c, children)).collect())
        .unwrap_or_default();
    kids.sort_by(|x, y| x.code.cmp(&y.code));
    AreaNode {
        code: a.code.clone(),
        name: a.name.clone(),
        level: a.level.as_str(),
        kind: a.kind.as_str(),
        children: kids,
    }
}

pub fn tree_of(d: &District) -> Vec<AreaNode> {
    let mut children: HashMap<&str, Vec<&AdminArea>> = HashMap::new();
    let mut roots = Vec::new();
    for a in d.areas() {
        match a.parent.as_deref().filter(|p| d.area(p).is_some()) {
            Some(p) => children.entry(p).or_default().push(a),
            None => roots.push(a),
        }
    }
    let mut out: Vec<AreaNode> = roots.into_iter().map(|a| node(a, &children)).collect();
    out.sort_by(|x, y| x.code.cmp(&y.code));
    out
}

#[utoipa::path(get, path = "/api/v1/areas", tag = "areas",
    responses((status = 200, description = "The admin-area tree", body = [AreaNode])))]
pub async fn tree(
    State(state): State<SharedState>,
    caller: Caller,
) -> ApiResult<Json<Vec<AreaNode>>> {
    caller.require_read(&state)?;
    state.ensure_ready()?;
    Ok(Json(tree_of(&state.district())))
}

/// Fails with 400 naming `field` when the area is unknown.
pub fn check_area(d: &District, field: &str, code: Option<&str>) -> ApiResult<()> {
    match code {
        Some(c) if d.area(c).is_none() => Err(ApiError::field(field, format!("unknown area {c}"))),
        _ => Ok(()),
    }
}

#[utoipa::path(get, path = "/api/v1/areas/{code}", tag = "areas",
    params(("code" = String, Path, description = "Statistical code (6, 9 or 12 digits)", example = "341002001001")),
    responses((status = 200, description = "The area as a GeoJSON Feature with its chain and base grids", body = super::super::schemas::Feature, content_type = "application/geo+json"),
        (status = 404, description = "Unknown area", body = super::super::error::Problem)))]
pub async fn one(
    State(state): State<SharedState>,
    caller: Caller,
    Path(code): Path<String>,
) -> ApiResult<Typed> {
    caller.require_read(&state)?;
    state.ensure_ready()?;
    let d = state.district();
    let a = d
        .area(&code)
        .ok_or_else(|| ApiError::not_found(format!("area {code} does not exist")))?;
    let mut f = area_to_feature(a);
    let props = f.properties.get_or_insert_with(Default::default);
    let chain: Vec<serde_json::Value> = d
        .area_chain(&code)
        .iter()
        .map(|x| serde_json::json!({"code": x.code, "name": x.name, "level": x.level.as_str()}))
        .collect();
    props.insert("chain".into(), chain.into());
    let children: Vec<String> = d
        .areas()
        .iter()
        .filter(|x| x.parent.as_deref() == Some(code.as_str()))
        .map(|x| x.code.clone())
        .collect();
    props.insert("children".into(), children.into());
    let grids: Vec<String> = d
        .base_grids_of(&code, None)
        .iter()
        .map(|g| g.id.0.clone())
        .collect();
    props.insert("base_grids".into(), grids.into());
    Typed::json(GEO_JSON, &f)
}
