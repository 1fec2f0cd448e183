//! `GET /layers`: the grid systems and, for composite grids, their business networks.

use super::super::auth::Caller;
use super::super::error::ApiResult;
use super::super::state::SharedState;
use axum::extract::State;
use axum::Json;
use serde::Serialize;
use std::collections::BTreeMap;
use wangge_engine::Layer;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LayerInfo {
    pub id: &'static str,
    pub title: &'static str,
    /// Current grids of the layer.
    pub grids: usize,
    /// For the composite layer: grids per business network.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub networks: Option<BTreeMap<String, usize>>,
}

pub const LAYERS: [(Layer, &str); 4] = [
    (Layer::Base, "基础网格 base grids"),
    (Layer::Micro, "微网格 micro grids"),
    (Layer::Special, "专属网格 special grids"),
    (Layer::Composite, "多网融合网格 composite grids"),
];

#[utoipa::path(get, path = "/api/v1/layers", tag = "grids",
    responses((status = 200, description = "The grid layers", body = [LayerInfo])))]
pub async fn list(
    State(state): State<SharedState>,
    caller: Caller,
) -> ApiResult<Json<Vec<LayerInfo>>> {
    caller.require_read(&state)?;
    state.ensure_ready()?;
    let d = state.district();
    let out = LAYERS
        .iter()
        .map(|(layer, title)| {
            let grids = d.grids_of_layer(layer, None);
            let networks = (*layer == Layer::Composite).then(|| {
                let mut m = BTreeMap::new();
                for g in &grids {
                    *m.entry(g.network.clone().unwrap_or_else(|| "-".into()))
                        .or_insert(0) += 1;
                }
                m
            });
            LayerInfo {
                id: layer.as_str(),
                title,
                grids: grids.len(),
                networks,
            }
        })
        .collect();
    Ok(Json(out))
}
