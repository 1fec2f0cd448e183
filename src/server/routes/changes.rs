//! `GET /changes?after=`: the audit trail (who, when, why, what).

use super::super::auth::Caller;
use super::super::error::ApiResult;
use super::super::extract::Params;
use super::super::state::SharedState;
use crate::store::Role;
use axum::extract::State;
use axum::Json;
use serde::Serialize;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct GridChangeEntry {
    pub grid: String,
    /// Version before the change (none: created).
    pub from_version: Option<u32>,
    /// Version after the change (none: retired).
    pub to_version: Option<u32>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ChangeEntry {
    pub id: i64,
    pub actor: String,
    pub reason: String,
    pub operation: String,
    pub at: String,
    /// The change's effective date.
    pub date: String,
    pub grids: Vec<GridChangeEntry>,
}

/// The actor as shown to anonymous readers: a token's id identifies it, so
/// `"<name> (token <id>)"` (how [`Caller::actor`] records it) becomes `"<name> (<role>)"`, the
/// role read from the token (`"revoked token"` when it no longer exists). Other actors (the
/// service itself, a command-line import) name no token and are shown as recorded.
fn public_actor(state: &SharedState, actor: &str) -> String {
    match actor
        .strip_suffix(')')
        .and_then(|a| a.rsplit_once(" (token "))
    {
        Some((name, id)) => {
            let role = state
                .token_by_id(id)
                .map_or("revoked token", |t| match t.role {
                    Role::Viewer => "viewer",
                    Role::Planner => "planner",
                    Role::Admin => "admin",
                });
            format!("{name} ({role})")
        }
        None => actor.to_string(),
    }
}

#[utoipa::path(get, path = "/api/v1/changes", tag = "audit",
    params(("after" = Option<i64>, Query, description = "only changes with a larger id"),
        ("limit" = Option<u64>, Query, description = "at most this many (default 1000)")),
    responses((status = 200, description = "Changes, oldest first; anonymous readers see the actor's role instead of its token id", body = [ChangeEntry])))]
pub async fn list(
    State(state): State<SharedState>,
    caller: Caller,
    params: Params,
) -> ApiResult<Json<Vec<ChangeEntry>>> {
    caller.require_read(&state)?;
    let anonymous = matches!(caller, Caller::Anonymous);
    let after: i64 = params.parse("after", "a whole number")?.unwrap_or(0);
    let limit: usize = params.parse("limit", "a whole number")?.unwrap_or(1000);
    let changes = state.store.changes_after(after).await?;
    Ok(Json(
        changes
            .into_iter()
            .take(limit)
            .map(|c| ChangeEntry {
                id: c.id,
                actor: if anonymous {
                    public_actor(&state, &c.meta.actor)
                } else {
                    c.meta.actor
                },
                reason: c.meta.reason,
                operation: c.meta.operation.to_string(),
                at: c.meta.at.to_rfc3339(),
                date: c.changes.date.to_string(),
                grids: c
                    .changes
                    .changes
                    .iter()
                    .filter_map(|g| {
                        Some(GridChangeEntry {
                            grid: g.id()?.0.clone(),
                            from_version: g.before.as_ref().map(|b| b.version),
                            to_version: g.after.as_ref().map(|a| a.version),
                        })
                    })
                    .collect(),
            })
            .collect(),
    ))
}
