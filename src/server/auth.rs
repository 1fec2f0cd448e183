//! Bearer tokens and roles.
//!
//! A secret is 32 random bytes from the OS, shown once as `wg_` + 64 hex digits. Only its SHA-256
//! is stored. A slow password hash (argon2, bcrypt) exists to make guessing *low-entropy* human
//! passwords expensive; a 256-bit random secret cannot be guessed whatever the hash speed, and a
//! fast hash keeps checking a token on every request cheap (one hash + one map lookup, no
//! per-request key stretching on a 2-core box).

use super::error::{ApiError, ApiResult};
use super::state::SharedState;
use crate::store::{Role, TokenRecord};
use axum::extract::FromRequestParts;
use axum::http::{header, request::Parts};
use rand::rngs::OsRng;
use rand::TryRngCore;
use sha2::{Digest, Sha256};
use wangge_engine::{District, Grid, Layer};

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
            Caller::Anonymous if !state.config.anonymous_read => Err(ApiError::unauthorized(
                "this service needs a token to read: send Authorization: Bearer <token>",
            )),
            _ => Ok(()),
        }
    }

    /// Planners and admins may edit grids (planners only inside their areas, see
    /// [`check_areas`]).
    pub fn require_editor(&self) -> ApiResult<()> {
        match self.role() {
            None => Err(ApiError::unauthorized(
                "editing needs a planner or admin token: send Authorization: Bearer <token>",
            )),
            Some(Role::Viewer) => Err(ApiError::forbidden(
                "a viewer token may read but not edit; editing needs a planner or admin token",
            )),
            Some(Role::Planner | Role::Admin) => Ok(()),
        }
    }

    pub fn require_admin(&self) -> ApiResult<()> {
        match self.role() {
            None => Err(ApiError::unauthorized(
                "this needs an admin token: send Authorization: Bearer <token>",
            )),
            Some(Role::Admin) => Ok(()),
            Some(_) => Err(ApiError::forbidden("this needs an admin token")),
        }
    }

    /// A planner may only touch grids inside the admin areas of the token. Admins may touch all.
    pub fn check_areas<'a>(
        &self,
        d: &District,
        grids: impl IntoIterator<Item = &'a Grid>,
    ) -> ApiResult<()> {
        let Caller::Token(t) = self else {
            return Err(ApiError::unauthorized("editing needs a token"));
        };
        if t.role == Role::Admin {
            return Ok(());
        }
        let grids: Vec<&Grid> = grids.into_iter().collect();
        for g in &grids {
            // Composite grids are unions of base grids and follow their members automatically
            // (engine rule); checking the base grids is what decides who may redraw the ground.
            if g.layer == Layer::Composite {
                continue;
            }
            let mut chain = area_chain_of(d, g);
            // A child re-parented onto a base grid created by the same edit (a split): that base
            // grid is not in the district yet, but it is among the edit's grids.
            if chain.is_empty() && g.layer.is_child() {
                if let Some(base) = grids.iter().find(|b| {
                    b.layer == Layer::Base && g.parent.as_deref() == Some(b.id.0.as_str())
                }) {
                    chain = area_chain_of(d, base);
                }
            }
            if !chain.iter().any(|code| t.areas.contains(code)) {
                let where_ = chain.first().cloned().unwrap_or_else(|| "no area".into());
                return Err(ApiError::outside_area(
                    &g.id.0,
                    format!(
                        "grid {} lies in area {where_}, outside the areas of token {} ({})",
                        g.id,
                        t.id,
                        if t.areas.is_empty() {
                            "none".to_string()
                        } else {
                            t.areas.join(", ")
                        }
                    ),
                ));
            }
        }
        Ok(())
    }

    /// People may be attached to a grid by planners of its area only.
    pub fn may_touch_grid(&self, d: &District, g: &Grid) -> ApiResult<()> {
        self.check_areas(d, std::iter::once(g))
    }
}

/// The admin-area codes containing a grid, community first. A micro/special grid is in its
/// base grid's areas.
pub fn area_chain_of(d: &District, g: &Grid) -> Vec<String> {
    let community = match &g.layer {
        Layer::Base => g.parent.clone(),
        Layer::Micro | Layer::Special => g
            .parent
            .as_ref()
            .and_then(|p| {
                d.history(&p.as_str().into())
                    .last()
                    .map(|b| b.parent.clone())
            })
            .flatten(),
        Layer::Composite => None,
    };
    community
        .map(|c| {
            d.area_chain(&c)
                .into_iter()
                .map(|a| a.code.clone())
                .collect()
        })
        .unwrap_or_default()
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
            None => Err(ApiError::unauthorized("unknown or revoked token")),
        }
    }
}
