//! Token management (admin only). The secret is returned once, by `POST /tokens`; only its hash
//! is stored (see [`super::super::auth`]).

use super::super::auth::{hash_secret, new_secret, Caller};
use super::super::error::{ApiError, ApiResult};
use super::super::extract::JsonBody;
use super::super::i18n::{area_name, Text};
use super::super::state::SharedState;
use crate::store::{Role, TokenRecord};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(examples(json!({"name": "planner of 341002001001", "role": "planner", "areas": ["341002001001"]})))]
pub struct TokenInput {
    pub name: String,
    /// viewer, planner or admin
    #[schema(value_type = super::super::schemas::TokenRoleName)]
    pub role: Role,
    /// Admin area codes a planner may edit in.
    #[serde(default)]
    pub areas: Vec<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TokenOut {
    pub id: String,
    pub name: String,
    #[schema(value_type = super::super::schemas::TokenRoleName)]
    pub role: Role,
    pub areas: Vec<String>,
    pub created_at: String,
    /// Only in the answer to POST: store it now, it cannot be shown again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

impl From<&TokenRecord> for TokenOut {
    fn from(t: &TokenRecord) -> Self {
        TokenOut {
            id: t.id.clone(),
            name: t.name.clone(),
            role: t.role,
            areas: t.areas.clone(),
            created_at: t.created_at.to_rfc3339(),
            secret: None,
        }
    }
}

#[utoipa::path(get, path = "/api/v1/tokens", tag = "tokens",
    responses((status = 200, description = "Tokens (without secrets)", body = [TokenOut]), (status = 403, description = "Not an admin", body = super::super::error::Problem)))]
pub async fn list(
    State(state): State<SharedState>,
    caller: Caller,
) -> ApiResult<Json<Vec<TokenOut>>> {
    caller.require_admin()?;
    let mut list: Vec<TokenOut> = state
        .store
        .tokens()
        .await?
        .iter()
        .map(TokenOut::from)
        .collect();
    list.sort_by(|a, b| a.created_at.cmp(&b.created_at));
    Ok(Json(list))
}

#[utoipa::path(post, path = "/api/v1/tokens", tag = "tokens", request_body = TokenInput,
    responses((status = 201, description = "Created; the secret is shown this once", body = TokenOut), (status = 403, description = "Not an admin", body = super::super::error::Problem)))]
pub async fn create(
    State(state): State<SharedState>,
    caller: Caller,
    JsonBody(input): JsonBody<TokenInput>,
) -> ApiResult<(StatusCode, Json<TokenOut>)> {
    caller.require_admin()?;
    state.ensure_ready()?;
    if input.name.trim().is_empty() {
        return Err(ApiError::field("name", "must not be empty"));
    }
    {
        let d = state.district();
        for (i, a) in input.areas.iter().enumerate() {
            if d.area(a).is_none() {
                return Err(ApiError::field(
                    format!("areas[{i}]"),
                    format!("unknown area {a}"),
                ));
            }
        }
    }
    let (secret, id) = new_secret()?;
    let rec = TokenRecord {
        id,
        name: input.name.trim().to_string(),
        role: input.role,
        areas: input.areas,
        secret_hash: hash_secret(&secret),
        created_at: chrono::Utc::now(),
    };
    state.store.put_token(&rec).await?;
    state.refresh_tokens().await?;
    let mut out = TokenOut::from(&rec);
    out.secret = Some(secret);
    Ok((StatusCode::CREATED, Json(out)))
}

#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "tokens", params(("id" = String, Path)),
    responses((status = 204, description = "Revoked"), (status = 404, description = "Unknown token", body = super::super::error::Problem),
        (status = 409, description = "The last admin token cannot be revoked", body = super::super::error::Problem)))]
pub async fn remove(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    caller.require_admin()?;
    // Held across the check and the removal so that two admins of this process revoking each
    // other cannot both pass the check.
    let _guard = state.sync.lock().await;
    let tokens = state.store.tokens().await?;
    let Some(target) = tokens.iter().find(|t| t.id == id) else {
        return Err(ApiError::not_found(format!("token {id} does not exist")));
    };
    if target.role == Role::Admin && tokens.iter().filter(|t| t.role == Role::Admin).count() == 1 {
        return Err(ApiError::conflict(
            None,
            format!(
                "token {id} is the last admin token; create another admin token before revoking it"
            ),
        ));
    }
    if !state.store.remove_token(&id).await? {
        return Err(ApiError::not_found(format!("token {id} does not exist")));
    }
    state.refresh_tokens().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// One admin area of the caller's token, named, with its outline (WGS84) for the map.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MyArea {
    pub code: String,
    /// Its name in the district's data (Chinese: 荷花池社区).
    pub name: String,
    /// province, city, district, street or community
    pub level: &'static str,
    /// GeoJSON geometry of the area (absent when the district has none for it).
    #[schema(value_type = Option<Object>)]
    pub geometry: Option<geojson::Geometry>,
}

/// The caller's own token: what the web map needs to show a planner where they may edit before
/// they try (an admin may edit everywhere: `areas` is empty and `everywhere` true).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Me {
    pub id: String,
    pub name: String,
    #[schema(value_type = super::super::schemas::TokenRoleName)]
    pub role: Role,
    /// Whether edits are allowed everywhere (admins).
    pub everywhere: bool,
    /// The areas a planner may edit in; a viewer's token areas are listed too, but it may not edit.
    pub areas: Vec<MyArea>,
}

#[utoipa::path(get, path = "/api/v1/tokens/me", tag = "tokens",
    responses((status = 200, description = "The calling token: role and the areas it may edit, with names and outlines", body = Me),
        (status = 401, description = "No token, or an unknown one", body = super::super::error::Problem)))]
pub async fn me(State(state): State<SharedState>, caller: Caller) -> ApiResult<Json<Me>> {
    let Caller::Token(t) = caller else {
        return Err(ApiError::unauthorized_text(Text::TokenNeededToEdit));
    };
    let d = state.district();
    let areas = t
        .areas
        .iter()
        .map(|code| {
            let a = d.area(code);
            MyArea {
                code: code.clone(),
                name: area_name(&d, code),
                level: a.map_or("", |a| a.level.as_str()),
                geometry: a
                    .and_then(|a| a.geometry.as_ref())
                    .map(geojson::Geometry::from),
            }
        })
        .collect();
    Ok(Json(Me {
        id: t.id.clone(),
        name: t.name.clone(),
        role: t.role,
        everywhere: t.role == Role::Admin,
        areas,
    }))
}
