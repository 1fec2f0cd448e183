//! People attached to grids (`/people`) and the staffing ratios the district is assessed on
//! (`/staffing`).

use super::super::auth::Caller;
use super::super::error::{ApiError, ApiResult};
use super::super::extract::{Errors, JsonBody, Params};
use super::super::state::SharedState;
use super::areas::check_area;
use super::blocking;
use super::grids::in_area;
use crate::store::{Person, PersonRole};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use wangge_engine::assign::assign;
use wangge_engine::{District, GridId, GridStatus, Layer};

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(examples(json!({"name": "张三", "role": "grid_worker", "grids": ["341002001001001"], "phone": "13800000000"})))]
pub struct PersonInput {
    /// Omitted on create: one is made.
    pub id: Option<String>,
    pub name: String,
    /// grid_head, grid_worker, business_team, community_contact, district_contact, volunteer,
    /// micro_force
    #[schema(value_type = super::super::schemas::PersonRoleName)]
    pub role: PersonRole,
    pub grids: Vec<String>,
    pub phone: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PersonOut {
    pub id: String,
    pub name: String,
    #[schema(value_type = super::super::schemas::PersonRoleName)]
    pub role: PersonRole,
    pub grids: Vec<String>,
    /// Only shown to callers with a token (viewer or above); null for anonymous readers.
    pub phone: Option<String>,
}

impl From<Person> for PersonOut {
    fn from(p: Person) -> Self {
        PersonOut {
            id: p.id,
            name: p.name,
            role: p.role,
            grids: p.grids.into_iter().map(|g| g.0).collect(),
            phone: p.phone,
        }
    }
}

impl PersonOut {
    /// Phone numbers are personal data: only token holders (viewer and above) see them;
    /// anonymous readers get `phone: null`.
    fn for_caller(p: Person, caller: &Caller) -> Self {
        let mut out = PersonOut::from(p);
        if matches!(caller, Caller::Anonymous) {
            out.phone = None;
        }
        out
    }
}

/// Checks the input against the district and the caller's areas; returns the person.
fn checked(
    d: &District,
    caller: &Caller,
    id: String,
    input: PersonInput,
    old: Option<&Person>,
) -> ApiResult<Person> {
    let mut errs = Errors::default();
    if input.name.trim().is_empty() {
        errs.push("name", "must not be empty");
    }
    if input.grids.is_empty() {
        errs.push("grids", "a person serves at least one grid");
    }
    for (i, g) in input.grids.iter().enumerate() {
        if d.grid(&GridId(g.clone()), None).is_none() {
            errs.push(&format!("grids[{i}]"), format!("unknown grid {g}"));
        }
    }
    errs.finish()?;
    // Planners manage people of grids in their areas, before and after the change.
    let mut touched: Vec<GridId> = input.grids.iter().map(|g| GridId(g.clone())).collect();
    if let Some(o) = old {
        touched.extend(o.grids.iter().cloned());
    }
    for g in touched.iter().filter_map(|id| d.grid(id, None)) {
        caller.may_touch_grid(d, g)?;
    }
    Ok(Person {
        id,
        name: input.name.trim().to_string(),
        role: input.role,
        grids: input.grids.into_iter().map(GridId).collect(),
        phone: input.phone,
    })
}

#[utoipa::path(get, path = "/api/v1/people", tag = "people",
    params(("grid" = Option<String>, Query, description = "only people serving this grid"), ("role" = Option<super::super::schemas::PersonRoleName>, Query)),
    responses((status = 200, description = "People", body = [PersonOut])))]
pub async fn list(
    State(state): State<SharedState>,
    caller: Caller,
    params: Params,
) -> ApiResult<Json<Vec<PersonOut>>> {
    caller.require_read(&state)?;
    let role = params
        .str("role")
        .map(|r| {
            serde_json::from_value::<PersonRole>(r.into())
                .map_err(|_| ApiError::field("role", format!("unknown role \"{r}\"")))
        })
        .transpose()?;
    let grid = params.str("grid").map(|g| GridId(g.to_string()));
    let mut people = state.store.people().await?;
    people.retain(|p| {
        role.is_none_or(|r| p.role == r) && grid.as_ref().is_none_or(|g| p.grids.contains(g))
    });
    people.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(Json(
        people
            .into_iter()
            .map(|p| PersonOut::for_caller(p, &caller))
            .collect(),
    ))
}

#[utoipa::path(get, path = "/api/v1/people/{id}", tag = "people", params(("id" = String, Path)),
    responses((status = 200, description = "A person", body = PersonOut), (status = 404, description = "Unknown person", body = super::super::error::Problem)))]
pub async fn one(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<PersonOut>> {
    caller.require_read(&state)?;
    find(&state, &id)
        .await
        .map(|p| Json(PersonOut::for_caller(p, &caller)))
}

async fn find(state: &SharedState, id: &str) -> ApiResult<Person> {
    state
        .store
        .people()
        .await?
        .into_iter()
        .find(|p| p.id == id)
        .ok_or_else(|| ApiError::not_found(format!("person {id} does not exist")))
}

#[utoipa::path(post, path = "/api/v1/people", tag = "people", request_body = PersonInput,
    responses((status = 201, description = "Created", body = PersonOut), (status = 409, description = "The id is in use", body = super::super::error::Problem)))]
pub async fn create(
    State(state): State<SharedState>,
    caller: Caller,
    JsonBody(input): JsonBody<PersonInput>,
) -> ApiResult<(StatusCode, Json<PersonOut>)> {
    caller.require_editor()?;
    state.ensure_ready()?;
    let id = match &input.id {
        Some(id) if id.trim().is_empty() => return Err(ApiError::field("id", "must not be empty")),
        Some(id) => id.trim().to_string(),
        None => format!("p{}", super::super::auth::new_secret()?.1),
    };
    if state.store.people().await?.iter().any(|p| p.id == id) {
        return Err(ApiError::conflict(
            None,
            format!("person {id} already exists; use PUT /people/{id}"),
        ));
    }
    let person = checked(&state.district(), &caller, id, input, None)?;
    state.store.put_person(&person).await?;
    Ok((StatusCode::CREATED, Json(person.into())))
}

#[utoipa::path(put, path = "/api/v1/people/{id}", tag = "people", params(("id" = String, Path)), request_body = PersonInput,
    responses((status = 200, description = "Updated", body = PersonOut), (status = 404, description = "Unknown person", body = super::super::error::Problem)))]
pub async fn update(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<PersonInput>,
) -> ApiResult<Json<PersonOut>> {
    caller.require_editor()?;
    state.ensure_ready()?;
    if input.id.as_ref().is_some_and(|x| *x != id) {
        return Err(ApiError::field("id", "differs from the id in the path"));
    }
    let old = find(&state, &id).await?;
    let person = checked(&state.district(), &caller, id, input, Some(&old))?;
    state.store.put_person(&person).await?;
    Ok(Json(person.into()))
}

#[utoipa::path(delete, path = "/api/v1/people/{id}", tag = "people", params(("id" = String, Path)),
    responses((status = 204, description = "Removed"), (status = 404, description = "Unknown person", body = super::super::error::Problem)))]
pub async fn remove(
    State(state): State<SharedState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    caller.require_editor()?;
    let old = find(&state, &id).await?;
    {
        let d = state.district();
        for g in old.grids.iter().filter_map(|g| d.grid(g, None)) {
            caller.may_touch_grid(&d, g)?;
        }
    }
    state.store.remove_person(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct GridWorkers {
    pub grid: String,
    pub status: &'static str,
    pub residents: u32,
    pub workers: u32,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Staffing {
    pub area: Option<String>,
    /// Current base grids.
    pub grids: usize,
    /// Distinct full-time grid workers (综治网格员) serving them.
    pub workers: usize,
    pub residents: u64,
    /// 网格员配备比: workers / grids.
    pub workers_per_grid: f64,
    /// 专兼职网格员配备率: workers / residents (null without residents).
    pub workers_per_resident: Option<f64>,
    pub grids_without_worker: Vec<String>,
    pub suspended: Vec<String>,
    pub reserved: Vec<String>,
    pub per_grid: Vec<GridWorkers>,
}

#[utoipa::path(get, path = "/api/v1/staffing", tag = "people", params(("area" = Option<String>, Query, description = "admin area code")),
    responses((status = 200, description = "Staffing ratios of the base grids", body = Staffing)))]
pub async fn staffing(
    State(state): State<SharedState>,
    caller: Caller,
    params: Params,
) -> ApiResult<Json<Staffing>> {
    caller.require_read(&state)?;
    state.ensure_ready()?;
    let area = params.str("area").map(str::to_string);
    let people = state.store.people().await?;
    blocking(&state, move |s| {
        let d = s.district();
        check_area(&d, "area", area.as_deref())?;
        let a = assign(&d, None);
        let mut per_grid = Vec::new();
        let mut workers: HashSet<&str> = HashSet::new();
        let mut residents = 0u64;
        for slot in d.layer_slots(&Layer::Base, None) {
            let g = d.slot(slot);
            if area.as_deref().is_some_and(|c| !in_area(&d, g, c)) {
                continue;
            }
            let serving: Vec<&Person> = people
                .iter()
                .filter(|p| p.role == PersonRole::GridWorker && p.grids.contains(&g.id))
                .collect();
            workers.extend(serving.iter().map(|p| p.id.as_str()));
            let c = a.counts(slot);
            residents += u64::from(c.residents);
            per_grid.push(GridWorkers {
                grid: g.id.0.clone(),
                status: g.status.as_str(),
                residents: c.residents,
                workers: serving.len() as u32,
            });
        }
        let n = per_grid.len();
        let of = |st: GridStatus| {
            per_grid
                .iter()
                .filter(|x| x.status == st.as_str())
                .map(|x| x.grid.clone())
                .collect::<Vec<_>>()
        };
        Ok(Json(Staffing {
            area: area.clone(),
            grids: n,
            workers: workers.len(),
            residents,
            workers_per_grid: if n == 0 {
                0.0
            } else {
                workers.len() as f64 / n as f64
            },
            workers_per_resident: (residents > 0).then(|| workers.len() as f64 / residents as f64),
            grids_without_worker: per_grid
                .iter()
                .filter(|x| x.workers == 0)
                .map(|x| x.grid.clone())
                .collect(),
            suspended: of(GridStatus::Suspended),
            reserved: of(GridStatus::Reserved),
            per_grid,
        }))
    })
    .await
}
