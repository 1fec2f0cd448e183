//! OGC API – Features, Part 1 (Core + GeoJSON) under `/ogc`: one collection per grid layer, so
//! that desktop GIS (QGIS, GDAL's OAPIF driver) can open the grids without a custom client.
//! `datetime` selects history (an instant: the versions valid that day).

use super::auth::Caller;
use super::error::{ApiError, ApiResult};
use super::extract::Params;
use super::routes::grids::{bbox_of, Filter};
use super::routes::layers::LAYERS;
use super::routes::{blocking, Typed, GEO_JSON};
use super::state::SharedState;
use crate::io::features::grid_to_feature;
use axum::extract::{Path, State};

use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};
use wangge_engine::{GridId, Layer};

const CRS84: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";
const DEFAULT_LIMIT: usize = 10;
const MAX_LIMIT: usize = 10_000;

pub fn router() -> Router<SharedState> {
    Router::new()
        .route("/", get(landing))
        .route("/conformance", get(conformance))
        .route("/collections", get(collections))
        .route("/collections/{layer}", get(collection))
        .route("/collections/{layer}/items", get(items))
        .route("/collections/{layer}/items/{id}", get(item))
}

/// The service's own address for absolute links: the configured `--public-url` (default the
/// bind address), never the request's `Host` header, which any client can set.
fn base(state: &SharedState) -> String {
    format!("{}/ogc", state.public_url())
}

fn link(href: String, rel: &str, ty: &str, title: &str) -> Value {
    json!({"href": href, "rel": rel, "type": ty, "title": title})
}

#[utoipa::path(get, path = "/ogc", tag = "ogc",
    responses((status = 200, description = "The landing page", body = super::schemas::JsonDocument)))]
pub async fn landing(State(state): State<SharedState>, caller: Caller) -> ApiResult<Typed> {
    caller.require_read(&state)?;
    let b = base(&state);
    Typed::json(
        "application/json",
        &json!({
            "title": "wangge governance grids",
            "description": "Base, micro, special and composite grids (网格化服务管理) as OGC API – Features",
            "links": [
                link(b.clone(), "self", "application/json", "this document"),
                link(format!("{}/api/openapi.json", state.public_url()), "service-desc", "application/vnd.oai.openapi+json;version=3.1", "the API definition"),
                link(format!("{b}/conformance"), "conformance", "application/json", "conformance classes"),
                link(format!("{b}/collections"), "data", "application/json", "the grid layers"),
            ]
        }),
    )
}

#[utoipa::path(get, path = "/ogc/conformance", tag = "ogc",
    responses((status = 200, description = "The conformance classes", body = super::schemas::JsonDocument)))]
pub async fn conformance(State(state): State<SharedState>, caller: Caller) -> ApiResult<Typed> {
    caller.require_read(&state)?;
    Typed::json(
        "application/json",
        &json!({"conformsTo": [
            "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
            "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
            "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
        ]}),
    )
}

fn layer_of(s: &str) -> ApiResult<Layer> {
    Layer::parse(s).ok_or_else(|| {
        ApiError::not_found(format!(
            "collection {s} does not exist (base, micro, special, composite)"
        ))
    })
}

fn describe(state: &SharedState, b: &str, layer: &Layer, title: &str) -> Value {
    let d = state.district();
    let grids = d.grids_of_layer(layer, None);
    let bbox = bbox_of(&grids).unwrap_or([-180.0, -90.0, 180.0, 90.0]);
    let first = d
        .all_versions()
        .iter()
        .filter(|g| g.layer == *layer)
        .map(|g| g.valid_from)
        .min();
    let id = layer.as_str();
    json!({
        "id": id,
        "title": title,
        "itemType": "feature",
        "crs": [CRS84],
        "extent": {
            "spatial": {"bbox": [bbox], "crs": CRS84},
            "temporal": {"interval": [[first.map(|f| format!("{f}T00:00:00Z")), null]]},
        },
        "links": [
            link(format!("{b}/collections/{id}"), "self", "application/json", title),
            link(format!("{b}/collections/{id}/items"), "items", GEO_JSON, "the grids"),
        ]
    })
}

#[utoipa::path(get, path = "/ogc/collections", tag = "ogc",
    responses((status = 200, description = "The grid layers as collections", body = super::schemas::JsonDocument)))]
pub async fn collections(State(state): State<SharedState>, caller: Caller) -> ApiResult<Typed> {
    caller.require_read(&state)?;
    state.ensure_ready()?;
    let b = base(&state);
    let list: Vec<Value> = LAYERS
        .iter()
        .map(|(l, t)| describe(&state, &b, l, t))
        .collect();
    Typed::json(
        "application/json",
        &json!({
            "links": [link(format!("{b}/collections"), "self", "application/json", "the grid layers")],
            "collections": list,
        }),
    )
}

#[utoipa::path(get, path = "/ogc/collections/{layer}", tag = "ogc", params(("layer" = super::schemas::LayerName, Path, description = "the collection: a grid layer")),
    responses((status = 200, description = "One collection", body = super::schemas::JsonDocument)))]
pub async fn collection(
    State(state): State<SharedState>,
    caller: Caller,
    Path(layer): Path<String>,
) -> ApiResult<Typed> {
    caller.require_read(&state)?;
    state.ensure_ready()?;
    let l = layer_of(&layer)?;
    let title = LAYERS.iter().find(|(x, _)| *x == l).map_or("", |(_, t)| *t);
    Typed::json(
        "application/json",
        &describe(&state, &base(&state), &l, title),
    )
}

/// `datetime`: an instant (a date, or an RFC 3339 date-time whose UTC date is used). Intervals
/// are refused: grid history is read one day at a time.
fn datetime(p: &Params) -> ApiResult<Option<chrono::NaiveDate>> {
    let Some(s) = p.str("datetime") else {
        return Ok(None);
    };
    if s.contains('/') {
        return Err(ApiError::field(
            "datetime",
            "intervals are not supported; give one date (YYYY-MM-DD) or date-time",
        ));
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(Some(d));
    }
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|t| Some(t.with_timezone(&chrono::Utc).date_naive()))
        .map_err(|_| {
            ApiError::field(
                "datetime",
                format!("\"{s}\" is not a date or RFC 3339 date-time"),
            )
        })
}

#[utoipa::path(get, path = "/ogc/collections/{layer}/items", tag = "ogc",
    params(("layer" = super::schemas::LayerName, Path, description = "the collection: a grid layer"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 10000, description = "page size (default 10)"),
        ("offset" = Option<u64>, Query, description = "features to skip"),
        ("bbox" = Option<Vec<f64>>, Query, style = Form, explode = false, min_items = 4, max_items = 4, description = "minLon,minLat,maxLon,maxLat (CRS84)"),
        ("datetime" = Option<String>, Query, description = "an instant: a date YYYY-MM-DD or an RFC 3339 date-time (intervals are refused)")),
    responses((status = 200, description = "A page of grids with numberMatched, numberReturned and links", body = super::schemas::FeatureCollection, content_type = "application/geo+json")))]
pub async fn items(
    State(state): State<SharedState>,
    caller: Caller,
    Path(layer): Path<String>,
    params: Params,
) -> ApiResult<Typed> {
    caller.require_read(&state)?;
    state.ensure_ready()?;
    let l = layer_of(&layer)?;
    let limit: usize = params
        .parse("limit", "a whole number")?
        .unwrap_or(DEFAULT_LIMIT);
    if limit == 0 || limit > MAX_LIMIT {
        return Err(ApiError::field("limit", format!("must be 1..{MAX_LIMIT}")));
    }
    let offset: usize = params.parse("offset", "a whole number")?.unwrap_or(0);
    let filter = Filter {
        layer: Some(l),
        bbox: params.bbox("bbox")?,
        as_of: datetime(&params)?,
        ..Filter::default()
    };
    let b = base(&state);
    blocking(&state, move |s| {
        let d = s.district();
        let all = filter.select(&d);
        let matched = all.len();
        let page: Vec<_> = all
            .into_iter()
            .skip(offset)
            .take(limit)
            .map(grid_to_feature)
            .collect();
        let returned = page.len();
        // Links repeat the caller's filters so that following them pages the same selection.
        let mut keep: Vec<String> = ["bbox", "datetime"]
            .iter()
            .filter_map(|k| params.str(k).map(|v| format!("{k}={}", encode(v))))
            .collect();
        keep.push(format!("limit={limit}"));
        let href = |off: usize| {
            format!(
                "{b}/collections/{layer}/items?{}&offset={off}",
                keep.join("&")
            )
        };
        let mut links = vec![
            link(href(offset), "self", GEO_JSON, "this page"),
            link(
                format!("{b}/collections/{layer}"),
                "collection",
                "application/json",
                "the layer",
            ),
        ];
        if offset + returned < matched {
            links.push(link(href(offset + returned), "next", GEO_JSON, "next page"));
        }
        if offset > 0 {
            links.push(link(
                href(offset.saturating_sub(limit)),
                "prev",
                GEO_JSON,
                "previous page",
            ));
        }
        Typed::json(
            GEO_JSON,
            &json!({
                "type": "FeatureCollection",
                "features": page,
                "numberMatched": matched,
                "numberReturned": returned,
                "timeStamp": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                "links": links,
            }),
        )
    })
    .await
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b',' | b':' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[utoipa::path(get, path = "/ogc/collections/{layer}/items/{id}", tag = "ogc",
    params(("layer" = super::schemas::LayerName, Path, description = "the collection: a grid layer"), ("id" = String, Path, description = "the grid id", example = "341002001001001"), ("datetime" = Option<String>, Query, description = "an instant: a date YYYY-MM-DD or an RFC 3339 date-time (intervals are refused)")),
    responses((status = 200, description = "One grid with its links", body = super::schemas::Feature, content_type = "application/geo+json")))]
pub async fn item(
    State(state): State<SharedState>,
    caller: Caller,
    Path((layer, id)): Path<(String, String)>,
    params: Params,
) -> ApiResult<Typed> {
    caller.require_read(&state)?;
    state.ensure_ready()?;
    let l = layer_of(&layer)?;
    let as_of = datetime(&params)?;
    let d = state.district();
    let g = d
        .grid(&GridId(id.clone()), as_of)
        .filter(|g| g.layer == l)
        .ok_or_else(|| ApiError::not_found(format!("grid {id} is not in collection {layer}")))?;
    let b = base(&state);
    let mut v = serde_json::to_value(grid_to_feature(g))
        .map_err(|e| ApiError::internal(format!("cannot encode grid: {e}")))?;
    v["links"] = json!([
        link(
            format!("{b}/collections/{layer}/items/{id}"),
            "self",
            GEO_JSON,
            "this grid"
        ),
        link(
            format!("{b}/collections/{layer}"),
            "collection",
            "application/json",
            "the layer"
        ),
    ]);
    Typed::json(GEO_JSON, &v)
}
