//! `GET /changes?after=`: the audit trail (who, when, why, what).

use super::super::auth::Caller;
use super::super::error::ApiResult;
use super::super::extract::Params;
use super::super::state::SharedState;
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

#[utoipa::path(get, path = "/api/v1/changes", tag = "audit",
    params(("after" = Option<i64>, Query, description = "only changes with a larger id"),
        ("limit" = Option<u64>, Query, description = "at most this many (default 1000)")),
    responses((status = 200, description = "Changes, oldest first", body = [ChangeEntry])))]
pub async fn list(
    State(state): State<SharedState>,
    caller: Caller,
    params: Params,
) -> ApiResult<Json<Vec<ChangeEntry>>> {
    caller.require_read(&state)?;
    let after: i64 = params.parse("after", "a whole number")?.unwrap_or(0);
    let limit: usize = params.parse("limit", "a whole number")?.unwrap_or(1000);
    let changes = state.store.changes_after(after).await?;
    Ok(Json(
        changes
            .into_iter()
            .take(limit)
            .map(|c| ChangeEntry {
                id: c.id,
                actor: c.meta.actor,
                reason: c.meta.reason,
                operation: c.meta.operation,
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
