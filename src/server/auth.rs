//! Bearer tokens and roles.
//!
//! A secret is 32 random bytes from the OS, shown once as `wg_` + 64 hex digits. Only its SHA-256
//! is stored. A slow password hash (argon2, bcrypt) exists to make guessing *low-entropy* human
//! passwords expensive; a 256-bit random secret cannot be guessed whatever the hash speed, and a
//! fast hash keeps checking a token on every request cheap (one hash + one map lookup, no
//! per-request key stretching on a 2-core box).

use super::error::{ApiError, ApiResult, FieldError};
use super::i18n::{area_name, area_names, Text};
use super::state::SharedState;
use crate::store::{Role, TokenRecord};
use axum::extract::FromRequestParts;
use axum::http::{header, request::Parts};
use rand::rngs::OsRng;
use rand::TryRngCore;
use sha2::{Digest, Sha256};
use wangge_engine::edit::scope::{check_inside_areas, claimed_areas, ScopeError};
use wangge_engine::edit::{ChangeSet, GridChange, Plan};
use wangge_engine::{District, Grid};

pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A fresh secret and token id.
pub fn new_secret() -> ApiResult<(String, String)> {
    let mut bytes = [0u8; 40];
    OsRng
        .try_fill_bytes(&mut bytes)
        .map_err(|e| ApiError::internal(format!("OS random generator failed: {e}")))?;
    Ok((
        format!("wg_{}", hex::encode(&bytes[..32])),
        hex::encode(&bytes[32..]),
    ))
}

/// Who is calling.
#[derive(Debug, Clone)]
pub enum Caller {
    Anonymous,
    Token(TokenRecord),
}

impl Caller {
    /// The name recorded in the change log.
    pub fn actor(&self) -> String {
        match self {
            Caller::Anonymous => "anonymous".into(),
            Caller::Token(t) => format!("{} (token {})", t.name, t.id),
        }
    }

    fn role(&self) -> Option<Role> {
        match self {
            Caller::Anonymous => None,
            Caller::Token(t) => Some(t.role),
        }
    }

    pub fn require_read(&self, state: &SharedState) -> ApiResult<()> {
        match self {
            Caller::Anonymous if !state.config.anonymous_read => {
                Err(ApiError::unauthorized_text(Text::TokenNeededToRead))
            }
            _ => Ok(()),
        }
    }

    /// Planners and admins may edit grids (planners only inside their areas, see
    /// [`check_areas`]).
    pub fn require_editor(&self) -> ApiResult<()> {
        match self.role() {
            None => Err(ApiError::unauthorized_text(Text::TokenNeededToEdit)),
            Some(Role::Viewer) => Err(ApiError::forbidden_text(Text::ViewerMayNotEdit)),
            Some(Role::Planner | Role::Admin) => Ok(()),
        }
    }

    pub fn require_admin(&self) -> ApiResult<()> {
        match self.role() {
            None => Err(ApiError::unauthorized(
                "this needs an admin token: send Authorization: Bearer <token>",
            )),
            Some(Role::Admin) => Ok(()),
            Some(_) => Err(ApiError::forbidden_text(Text::AdminNeeded)),
        }
    }

    /// A planner's token (`None` for an admin, who may edit everywhere).
    fn planner_token(&self) -> ApiResult<Option<&TokenRecord>> {
        let Caller::Token(t) = self else {
            return Err(ApiError::unauthorized("editing needs a token"));
        };
        Ok((t.role != Role::Admin).then_some(t))
    }

    /// A planner may only make an edit that stays inside the admin areas of the token: every
    /// grid it changes claims one of the areas, every geometry it saves lies inside them, and a
    /// composite it changes has all its members inside them (see
    /// [`wangge_engine::edit::scope::check_inside_areas`]). The same check for drafts and saves.
    /// Admins may edit everywhere.
    pub fn check_plan(&self, d: &District, p: &Plan, min_area_m2: f64) -> ApiResult<()> {
        let Some(t) = self.planner_token()? else {
            return Ok(());
        };
        let holder = "your token".to_string();
        check_inside_areas(d, &p.changes, &p.followers, &t.areas, &holder, min_area_m2)
            .map_err(|e| scope_error(e, d, t))
    }

    /// A planner may only touch grids inside the admin areas of the token (a composite only when
    /// all its member base grids are). Admins may touch all.
    pub fn check_areas<'a>(
        &self,
        d: &District,
        grids: impl IntoIterator<Item = &'a Grid>,
    ) -> ApiResult<()> {
        let Some(t) = self.planner_token()? else {
            return Ok(());
        };
        // Unchanged grids: the same check as an edit of them that keeps their geometry.
        let changes = ChangeSet {
            date: chrono::NaiveDate::MIN,
            changes: grids
                .into_iter()
                .map(|g| GridChange {
                    before: Some(g.clone()),
                    after: Some(g.clone()),
                })
                .collect(),
        };
        let holder = "your token".to_string();
        check_inside_areas(d, &changes, &[], &t.areas, &holder, f64::INFINITY)
            .map_err(|e| scope_error(e, d, t))
    }

    /// People may be attached to a grid by planners of its area only.
    pub fn may_touch_grid(&self, d: &District, g: &Grid) -> ApiResult<()> {
        self.check_areas(d, std::iter::once(g))
    }
}

/// Outside the areas: 403 naming the grid, and as the field `geometry` (a new geometry reaching
/// out of the areas) or `grid` (a grid the token may not edit). A check that could not run: 422
/// naming `geometry`, never a pass. The Chinese detail names the areas by their names, not by
/// codes and the token's id ("网格 … 在 上新社区，不在您的可编辑范围（荷花池社区）内").
fn scope_error(e: ScopeError, d: &District, t: &TokenRecord) -> ApiError {
    let msg = e.to_string();
    let editable = match area_names(d, &t.areas) {
        names if names.is_empty() => "无".to_string(),
        names => names,
    };
    let grid_place = |grid: &wangge_engine::GridId| {
        d.grid(grid, None)
            .and_then(|g| area_chain_of(d, g).into_iter().next())
            .map(|c| area_name(d, &c))
    };
    match e {
        ScopeError::Outside {
            grid,
            reason,
            by_geometry,
        } => {
            // The Chinese text names the areas by their names (the district's), never by codes
            // or the token's id; the English one is the engine's, which also names a
            // composite's member outside the areas.
            let zh = match (by_geometry, grid_place(&grid)) {
                (true, _) => format!("网格 {grid} 的新边界超出您的可编辑范围（{editable}）"),
                (false, Some(place)) => {
                    format!("网格 {grid} 在 {place}，不在您的可编辑范围（{editable}）内")
                }
                (false, None) => format!("网格 {grid} 不在您的可编辑范围（{editable}）内"),
            };
            let field = if by_geometry { "geometry" } else { "grid" };
            let mut a = ApiError::outside_area(&grid.0, msg).with_zh(zh.clone());
            a.errors.push(FieldError {
                field: field.into(),
                reason,
            });
            a.with_zh_errors(vec![FieldError {
                field: field.into(),
                reason: zh,
            }])
        }
        ScopeError::Unchecked { grid, reason } => {
            let zh = format!("无法检查网格 {grid} 是否在您的可编辑范围（{editable}）内：{reason}");
            let mut a = ApiError::refused(Some(&grid.0), msg).with_zh(zh);
            a.errors.push(FieldError {
                field: "geometry".into(),
                reason,
            });
            a
        }
    }
}

/// The admin-area codes containing a grid, community first. A micro/special grid is in its
/// base grid's areas.
pub fn area_chain_of(d: &District, g: &Grid) -> Vec<String> {
    claimed_areas(d, g, &[])
}

impl FromRequestParts<SharedState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &SharedState) -> ApiResult<Self> {
        let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
            return Ok(Caller::Anonymous);
        };
        let text = value
            .to_str()
            .map_err(|_| ApiError::unauthorized("the Authorization header is not text"))?;
        let secret = text
            .strip_prefix("Bearer ")
            .or_else(|| text.strip_prefix("bearer "))
            .ok_or_else(|| {
                ApiError::unauthorized("the Authorization header must be \"Bearer <token>\"")
            })?
            .trim();
        match state.token_by_hash(&hash_secret(secret)) {
            Some(t) => Ok(Caller::Token(t)),
            None => Err(ApiError::unauthorized_text(Text::UnknownToken)),
        }
    }
}
