//! Grid edits. Every edit goes through [`run_edit`]:
//!
//! 1. the caller must hold a planner or admin token; a save needs a `reason`; request
//!    geometries are bounded (`--max-vertices`, 413) and checked before anything else;
//! 2. a planner's edit naming a grid outside the token's areas is refused (403) before planning;
//! 3. under the process's sync lock, the district first replays the store's newer changes, then
//!    the engine plans the edit (its change set and impact) on a copy of the district, on the
//!    blocking pool: readers never wait for planning;
//! 4. a planner's edit touching any grid outside the token's areas, or saving a geometry that
//!    reaches out of them, is refused (403) — drafts exactly like saves (see
//!    [`Caller::check_plan`]);
//! 5. `dry_run=true` answers the impact and stops; otherwise the change set is committed to the
//!    store (optimistic: a newer stored version → 409), and only then replayed into the district.
//!
//! `If-Match: "<version>"` (the ETag of `GET /grids/{id}`) names the version the caller edited;
//! for edits of several grids, one version per grid in the order the request names them.
//! A version that is no longer current → 412 naming the grid.

use super::super::auth::Caller;
use super::super::error::{ApiError, ApiResult};
use super::super::extract::RawBody;
use super::super::extract::{linestring, parse_date, point, polygonal, require_json, Params};
use super::super::i18n::{self, Lang, Translated};
use super::super::state::SharedState;
use super::{blocking, Typed};
use crate::io::features::{collection, grid_from_feature, grid_to_feature, GridReading};
use crate::store::{ChangeMeta, Operation, StoreError};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{FixedOffset, NaiveDate};
use serde::Deserialize;
use serde_json::{json, Value};
use wangge_engine::edit::codes::{check_code, next_codes, DEFAULT_SEQUENCE_WIDTH};
use wangge_engine::edit::{plan, Edit, EditOptions, Moved, Plan};
use wangge_engine::{GridId, GridStatus, Layer};

/// Which effective dates an edit may have, and the district's local time zone, which decides
/// what "today" (the default date) is.
///
/// The zone is a fixed UTC offset (Asia/Shanghai by default, +08:00, which has had no daylight
/// saving since 1991): `chrono-tz` is not a dependency, and a district's zone is configured here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EditDates {
    /// How many days before today an edit may be dated (corrections of history).
    pub days_back: u32,
    /// How many days after today an edit may be dated (planned changes).
    pub days_ahead: u32,
    /// The district's offset from UTC.
    pub utc_offset: FixedOffset,
}

/// Asia/Shanghai (China Standard Time, UTC+08:00). A `const` so that a bad offset cannot
/// compile, rather than fail at run time.
pub const SHANGHAI: FixedOffset = match FixedOffset::east_opt(8 * 3600) {
    Some(o) => o,
    None => panic!("UTC+08:00 is a valid offset"),
};

impl Default for EditDates {
    fn default() -> Self {
        EditDates {
            days_back: 10 * 366,
            days_ahead: 366,
            utc_offset: SHANGHAI,
        }
    }
}

impl EditDates {
    /// Today in the district.
    pub fn today(&self) -> NaiveDate {
        chrono::Utc::now()
            .with_timezone(&self.utc_offset)
            .date_naive()
    }

    /// `date`, if inside the window around `today`; otherwise a 400 naming `date`.
    pub fn check(&self, date: NaiveDate, today: NaiveDate) -> ApiResult<NaiveDate> {
        // A window wider than the calendar is clamped to it rather than overflowing.
        let earliest = today
            .checked_sub_days(chrono::Days::new(self.days_back.into()))
            .unwrap_or(NaiveDate::MIN);
        let latest = today
            .checked_add_days(chrono::Days::new(self.days_ahead.into()))
            .unwrap_or(NaiveDate::MAX);
        if date < earliest || date > latest {
            return Err(ApiError::field(
                "date",
                format!(
                    "{date} is outside the dates edits may take: from {earliest} ({} days back) to {latest} ({} days ahead of today, {today} at UTC{})",
                    self.days_back, self.days_ahead, self.utc_offset
                ),
            ));
        }
        Ok(date)
    }
}

/// The query parameters every edit takes.
#[derive(Debug, Clone)]
pub struct EditQuery {
    pub dry_run: bool,
    pub reason: Option<String>,
    pub date: NaiveDate,
    pub force_draft: bool,
}

impl EditQuery {
    fn from(p: &Params, state: &SharedState) -> ApiResult<Self> {
        let dates = &state.config.edit_dates;
        let today = dates.today();
        let q = EditQuery {
            dry_run: p.bool("dry_run")?,
            reason: p
                .str("reason")
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty()),
            date: match p.str("date") {
                Some(s) => dates.check(parse_date("date", s)?, today)?,
                None => today,
            },
            force_draft: p.bool("force_draft")?,
        };
        if !q.dry_run && q.reason.is_none() {
            return Err(ApiError::field(
                "reason",
                "a reason is required to save an edit (or send dry_run=true to preview it)",
            ));
        }
        Ok(q)
    }
}

/// A code or id given by the client for a grid of `layer` under `parent` must follow the code
/// rule (README "Codes"); otherwise a 400 naming `field`.
fn check_given_code(
    d: &wangge_engine::District,
    field: &str,
    layer: &Layer,
    parent: &str,
    code: &str,
) -> ApiResult<()> {
    check_code(d, layer, parent, code).map_err(|reason| ApiError::field(field, reason))
}

/// Versions from `If-Match`, paired with the grids the request names (in order).
fn if_match(headers: &HeaderMap, ids: &[GridId]) -> ApiResult<Vec<(GridId, u32)>> {
    let Some(v) = headers.get(header::IF_MATCH) else {
        return Ok(vec![]);
    };
    let text = v
        .to_str()
        .map_err(|_| ApiError::field("If-Match", "is not text"))?
        .trim();
    if text == "*" {
        return Ok(vec![]);
    }
    let versions = text
        .split(',')
        .map(|t| {
            let t = t.trim().trim_start_matches("W/").trim_matches('"');
            t.parse::<u32>().map_err(|_| {
                ApiError::field(
                    "If-Match",
                    format!("\"{t}\" is not a grid version (the ETag of GET /grids/{{id}})"),
                )
            })
        })
        .collect::<ApiResult<Vec<u32>>>()?;
    if versions.len() != ids.len() {
        return Err(ApiError::field(
            "If-Match",
            format!(
                "names {} version(s) but the edit names {} grid(s): give one per grid, in request order",
                versions.len(),
                ids.len()
            ),
        ));
    }
    Ok(ids.iter().cloned().zip(versions).collect())
}

fn moved_json(m: &[Moved]) -> Value {
    m.iter()
        .map(|x| json!({"id": x.id, "from": x.from.as_ref().map(|g| &g.0), "to": x.to.as_ref().map(|g| &g.0)}))
        .collect::<Vec<_>>()
        .into()
}

/// The changed grids and the impact, as sent for a dry run and a save.
fn render(p: &Plan, d: &wangge_engine::District, lang: Lang) -> Value {
    let changed = p
        .changes
        .changes
        .iter()
        .filter_map(|c| {
            let (g, what) = match (&c.before, &c.after) {
                (_, Some(a)) if c.before.is_none() => (a, "created"),
                (_, Some(a)) => (a, "updated"),
                (Some(b), None) => (b, "retired"),
                (None, None) => return None,
            };
            let mut f = grid_to_feature(g);
            if let Some(props) = f.properties.as_mut() {
                props.insert("change".into(), what.into());
            }
            Some(f)
        })
        .collect();
    let i = &p.impact;
    let (mut created, mut solved) = (i.problems.created.clone(), i.problems.solved.clone());
    i18n::localize(&mut created, d, lang);
    i18n::localize(&mut solved, d, lang);
    json!({
        "draft": p.draft,
        "date": p.changes.date.to_string(),
        "changed": collection(changed),
        "impact": {
            "buildings_changing_grid": i.buildings_moved.len(),
            "households_changing_grid": i.households_changing_grid,
            "buildings_moved": moved_json(&i.buildings_moved),
            "households_moved": moved_json(&i.households_moved),
            "reparented": i.reparented.iter().map(|r| json!({
                "child": r.child.0, "from": r.from.as_ref().map(|g| &g.0), "to": r.to.0
            })).collect::<Vec<_>>(),
            "problems_created": wangge_engine::validate::Report { problems: created }.to_feature_collection(),
            "problems_solved": wangge_engine::validate::Report { problems: solved }.to_feature_collection(),
        }
    })
}

/// Plans, checks, and (unless a dry run) saves an edit. See the module documentation.
async fn run_edit(
    state: SharedState,
    caller: Caller,
    lang: Lang,
    q: EditQuery,
    expected: Vec<(GridId, u32)>,
    operation: Operation,
    edit: Edit,
) -> ApiResult<Response> {
    caller.require_editor()?;
    state.ensure_ready()?;
    // Authorization before any heavy work: what the request itself names is checked now.
    check_named_areas(&state, &caller, &edit)?;
    // One edit at a time per process: the plan must be made on the district the store will
    // check it against. Another process may commit in between: the store then refuses the
    // commit as stale (versions protect the edited grids, the change position protects what the
    // validation read), and the edit is planned again on the newer district.
    let _sync = state.sync.lock().await;
    let mut attempts = 0;
    loop {
        state.catch_up_locked().await?;
        let based_on = state.last_change();
        let who = caller.clone();
        let (edit, expected, date, force_draft) =
            (edit.clone(), expected.clone(), q.date, q.force_draft);
        let (planned, mut body) = blocking(&state, move |s| {
            let mut opts = EditOptions::on(date);
            opts.force_draft = force_draft;
            opts.config = s.validation.clone();
            opts.expected_versions = expected;
            let mut d = planning_copy(s);
            let p = plan(&mut d, &edit, &opts).map_err(|e| i18n::edit_error(e, &d))?;
            #[cfg(test)]
            tests::panic_if_injected(&mut d, &p);
            who.check_plan(&d, &p, s.validation.min_area_m2)?;
            let body = render(&p, &d, lang);
            Ok((p, body))
        })
        .await?;
        if q.dry_run {
            body["dry_run"] = true.into();
            let mut resp = Typed::json("application/json", &body)?.into_response();
            resp.extensions_mut().insert(Translated);
            return Ok(resp);
        }
        let meta = ChangeMeta {
            actor: caller.actor(),
            reason: q.reason.clone().unwrap_or_default(),
            operation,
            at: chrono::Utc::now(),
        };
        let id = match state
            .store
            .commit_based_on(&planned.changes, &meta, based_on)
            .await
        {
            Ok(id) => id,
            Err(StoreError::Stale { .. }) if attempts < MAX_REPLANS => {
                attempts += 1;
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        // The district follows the store: replaying the log applies exactly what was committed.
        state.catch_up_locked().await?;
        body["dry_run"] = false.into();
        body["change_id"] = id.into();
        let status = if operation == Operation::Create {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        };
        let mut resp = (status, Typed::json("application/json", &body)?).into_response();
        resp.extensions_mut().insert(Translated);
        return Ok(resp);
    }
}

/// The district to plan on: a copy-on-write view of the current snapshot. Readers (lookups,
/// tiles, `/health`…) keep reading the snapshot while planning, which on a maximal geometry
/// takes seconds, writes to the view; a dry run never takes a write path, and a plan that
/// fails half-way (or panics) leaves the served snapshot as it was.
///
/// `plan` applies the edit to the district it is given and undoes it, so it needs its own. The
/// view shares every part with the snapshot and copies only what the plan writes: taking it
/// costs microseconds, and taking it and changing one base grid 5 ms for the demo district and
/// 52 ms for the 50,000-grid benchmark city in a debug build on a loaded machine, where the deep
/// copy it replaces cost 42 ms and 0.51 s before any change (`cargo test --test it -- --ignored
/// snapshot_figures::planning_view_cost --nocapture`; `cargo test --test http_heavy -- --ignored
/// district_clone_cost --nocapture` at e253894).
fn planning_copy(s: &super::super::state::AppState) -> wangge_engine::District {
    s.district().planning_view()
}

/// A planner may not edit grids outside the token's areas: refuse what the request names
/// (the grids it edits, the parent of a new grid) before planning. The touched grids the plan
/// adds (neighbours, children) are checked after planning, as before.
fn check_named_areas(state: &SharedState, caller: &Caller, edit: &Edit) -> ApiResult<()> {
    let d = state.district();
    let named: Vec<&GridId> = match edit {
        Edit::Create { grid } => return caller.check_areas(&d, std::iter::once(grid)),
        Edit::Reshape { id, .. }
        | Edit::Split { id, .. }
        | Edit::SetStatus { id, .. }
        | Edit::Retire { id } => vec![id],
        Edit::Merge { ids, .. } => ids.iter().collect(),
        Edit::RerouteBoundary { a, b, .. } => vec![a, b],
        Edit::MoveBoundary { .. } => vec![],
    };
    // An unknown grid is the plan's to report (404).
    caller.check_areas(&d, named.into_iter().filter_map(|id| d.grid(id, None)))
}

/// How often an edit is planned again when other processes keep committing first.
const MAX_REPLANS: u32 = 5;

/// What every edit request with a JSON body starts with: an editor's token, the edit's query
/// parameters, and the parsed body.
fn edit_request<T: serde::de::DeserializeOwned>(
    state: &SharedState,
    caller: &Caller,
    params: &Params,
    headers: &HeaderMap,
    bytes: &Bytes,
) -> ApiResult<(EditQuery, T)> {
    caller.require_editor()?;
    let q = EditQuery::from(params, state)?;
    require_json(headers)?;
    Ok((q, super::super::extract::parse_json(bytes)?))
}

fn body_json(headers: &HeaderMap, bytes: &Bytes) -> ApiResult<Value> {
    require_json(headers)?;
    super::super::extract::parse_json(bytes)
}

#[utoipa::path(post, path = "/api/v1/grids", tag = "edits",
    params(("dry_run" = Option<bool>, Query, description = "true: answer the impact without saving", example = true), ("reason" = Option<String>, Query, description = "why (required to save)"), ("date" = Option<chrono::NaiveDate>, Query, description = "effective date, default today in the district (UTC+08:00); within the edit window and not before the grid's current version"), ("force_draft" = Option<bool>, Query, description = "keep an edit that breaks the hierarchy as a draft")),
    request_body(description = "The new grid as a GeoJSON Feature", content((super::super::schemas::CreateGridBody = "application/geo+json"), (super::super::schemas::CreateGridBody = "application/json"))),
    responses((status = 201, description = "Saved: changed grids, impact, change_id", body = super::super::schemas::EditResult),
        (status = 200, description = "Dry run: changed grids and impact", body = super::super::schemas::EditResult),
        (status = 409, description = "Someone else's change was stored first, or the id or code is in use", body = super::super::error::Problem),
        (status = 422, description = "Refused by the rules (breaks the hierarchy…)", body = super::super::error::Problem)))]
pub async fn create(
    State(state): State<SharedState>,
    caller: Caller,
    lang: Lang,
    params: Params,
    headers: HeaderMap,
    RawBody(bytes): RawBody,
) -> ApiResult<Response> {
    caller.require_editor()?;
    let q = EditQuery::from(&params, &state)?;
    let v = body_json(&headers, &bytes)?;
    if v.get("type").and_then(Value::as_str) != Some("Feature") {
        return Err(ApiError::field("body", "must be a GeoJSON Feature"));
    }
    polygonal(
        "geometry",
        v.get("geometry").unwrap_or(&Value::Null),
        state.config.max_vertices,
    )?;
    let feature: geojson::Feature = serde_json::from_value(v.clone())
        .map_err(|e| ApiError::field("body", format!("invalid GeoJSON Feature: {e}")))?;
    let given_code = feature
        .property("code")
        .and_then(Value::as_str)
        .map(str::to_string);
    let given_id = feature.id.is_some();
    let (mut grid, _) = grid_from_feature(0, &feature, &GridReading::default()).map_err(|e| {
        // The problem names what is wrong: the geometry (a ring across the antimeridian…) or
        // a property.
        let field = if e.is_geometry() {
            "geometry"
        } else {
            "properties"
        };
        ApiError::field(field, e.to_string())
    })?;
    if grid.layer == Layer::Composite {
        return Err(ApiError::field(
            "properties.layer",
            "composite grids are drawn from base grids, not created by hand here",
        ));
    }
    let Some(parent) = grid.parent.clone() else {
        return Err(ApiError::field(
            "properties.parent",
            "is required: the community code (base grid) or the base grid id (micro/special grid)",
        ));
    };
    {
        let d = state.district();
        let parent_ok = match grid.layer {
            Layer::Base => d.area(&parent).is_some(),
            _ => d.grid(&GridId(parent.clone()), None).is_some(),
        };
        if !parent_ok {
            return Err(ApiError::field(
                "properties.parent",
                format!("unknown parent {parent}"),
            ));
        }
        if given_code.is_some() {
            check_given_code(&d, "properties.code", &grid.layer, &parent, &grid.code)?;
        }
        if given_id {
            check_given_code(&d, "id", &grid.layer, &parent, &grid.id.0)?;
        }
        if given_code.is_none() {
            let code = next_codes(&d, &grid.layer, &parent, 1, DEFAULT_SEQUENCE_WIDTH)
                .pop()
                .ok_or_else(|| ApiError::internal("no code could be made"))?;
            if !given_id {
                grid.id = GridId(code.clone());
            }
            if grid.name == grid.code {
                grid.name = code.clone();
            }
            grid.code = code;
        }
    }
    grid.valid_from = q.date;
    grid.valid_to = None;
    grid.version = 1;
    run_edit(
        state,
        caller,
        lang,
        q,
        vec![],
        Operation::Create,
        Edit::Create { grid },
    )
    .await
}

#[utoipa::path(put, path = "/api/v1/grids/{id}/geometry", tag = "edits",
    params(("id" = String, Path, description = "grid id", example = "341002001001001"), ("dry_run" = Option<bool>, Query, description = "true: answer the impact without saving", example = true), ("reason" = Option<String>, Query, description = "why (required to save)"), ("date" = Option<chrono::NaiveDate>, Query, description = "effective date, default today"), ("force_draft" = Option<bool>, Query, description = "keep an edit that breaks the hierarchy as a draft"), ("If-Match" = Option<String>, Header, description = "\"<version>\": the ETag of GET /grids/{id}")),
    request_body(description = "GeoJSON Polygon/MultiPolygon (or a Feature holding one)", content((super::super::schemas::ReshapeBody = "application/geo+json"), (super::super::schemas::ReshapeBody = "application/json"))),
    responses((status = 200, description = "Changed grids and impact (a dry run, or saved)", body = super::super::schemas::EditResult),
        (status = 409, description = "Someone else's change was stored first, or the id or code is in use", body = super::super::error::Problem),
        (status = 412, description = "If-Match named a version that is no longer current", body = super::super::error::Problem),
        (status = 422, description = "Refused by the rules (not adjacent, breaks the hierarchy…)", body = super::super::error::Problem)))]
pub async fn reshape(
    State(state): State<SharedState>,
    caller: Caller,
    lang: Lang,
    Path(id): Path<String>,
    params: Params,
    headers: HeaderMap,
    RawBody(bytes): RawBody,
) -> ApiResult<Response> {
    caller.require_editor()?;
    let q = EditQuery::from(&params, &state)?;
    let v = body_json(&headers, &bytes)?;
    let geometry = polygonal("geometry", &v, state.config.max_vertices)?;
    let id = GridId(id);
    let expected = if_match(&headers, std::slice::from_ref(&id))?;
    run_edit(
        state,
        caller,
        lang,
        q,
        expected,
        Operation::Reshape,
        Edit::Reshape { id, geometry },
    )
    .await
}

#[derive(Deserialize)]
struct SplitBody {
    line: Value,
    new_ids: Option<[String; 2]>,
}

#[utoipa::path(post, path = "/api/v1/grids/{id}/split", tag = "edits",
    params(("id" = String, Path, description = "grid id", example = "341002001001001"), ("dry_run" = Option<bool>, Query, description = "true: answer the impact without saving", example = true), ("reason" = Option<String>, Query, description = "why (required to save)"), ("date" = Option<chrono::NaiveDate>, Query, description = "effective date, default today"), ("force_draft" = Option<bool>, Query, description = "keep an edit that breaks the hierarchy as a draft"), ("If-Match" = Option<String>, Header, description = "\"<version>\": the ETag of GET /grids/{id}")),
    request_body(content = super::super::schemas::SplitBody, content_type = "application/json"),
    responses((status = 200, description = "Changed grids and impact (a dry run, or saved)", body = super::super::schemas::EditResult),
        (status = 409, description = "Someone else's change was stored first, or the id or code is in use", body = super::super::error::Problem),
        (status = 412, description = "If-Match named a version that is no longer current", body = super::super::error::Problem),
        (status = 422, description = "Refused by the rules (not adjacent, breaks the hierarchy…)", body = super::super::error::Problem)))]
pub async fn split(
    State(state): State<SharedState>,
    caller: Caller,
    lang: Lang,
    Path(id): Path<String>,
    params: Params,
    headers: HeaderMap,
    RawBody(bytes): RawBody,
) -> ApiResult<Response> {
    let (q, b): (EditQuery, SplitBody) = edit_request(&state, &caller, &params, &headers, &bytes)?;
    let line = linestring("line", &b.line, state.config.max_vertices)?;
    let id = GridId(id);
    let expected = if_match(&headers, std::slice::from_ref(&id))?;
    if let Some(ids) = &b.new_ids {
        let d = state.district();
        // An unknown grid is the plan's 404; the pieces take the grid's layer and parent.
        if let Some(g) = d.grid(&id, None) {
            let parent = g.parent.clone().unwrap_or_default();
            for given in ids {
                check_given_code(&d, "new_ids", &g.layer, &parent, given)?;
            }
        }
    }
    let new_ids = b.new_ids.map(|[a, c]| [GridId(a), GridId(c)]);
    run_edit(
        state,
        caller,
        lang,
        q,
        expected,
        Operation::Split,
        Edit::Split { id, line, new_ids },
    )
    .await
}

#[derive(Deserialize)]
struct MergeBody {
    ids: [String; 2],
    keep: String,
}

#[utoipa::path(post, path = "/api/v1/grids/merge", tag = "edits",
    params(("dry_run" = Option<bool>, Query, description = "true: answer the impact without saving", example = true), ("reason" = Option<String>, Query, description = "why (required to save)"), ("date" = Option<chrono::NaiveDate>, Query, description = "effective date, default today"), ("force_draft" = Option<bool>, Query, description = "keep an edit that breaks the hierarchy as a draft"), ("If-Match" = Option<String>, Header, description = "\"<v1>\", \"<v2>\" in the order of ids")),
    request_body(content = super::super::schemas::MergeBody, content_type = "application/json"),
    responses((status = 200, description = "Changed grids and impact (a dry run, or saved)", body = super::super::schemas::EditResult), (status = 404, description = "A grid the body names does not exist", body = super::super::error::Problem),
        (status = 409, description = "Someone else's change was stored first, or the id or code is in use", body = super::super::error::Problem),
        (status = 412, description = "If-Match named a version that is no longer current", body = super::super::error::Problem),
        (status = 422, description = "Refused by the rules (not adjacent, breaks the hierarchy…)", body = super::super::error::Problem)))]
pub async fn merge(
    State(state): State<SharedState>,
    caller: Caller,
    lang: Lang,
    params: Params,
    headers: HeaderMap,
    RawBody(bytes): RawBody,
) -> ApiResult<Response> {
    let (q, b): (EditQuery, MergeBody) = edit_request(&state, &caller, &params, &headers, &bytes)?;
    let ids = [GridId(b.ids[0].clone()), GridId(b.ids[1].clone())];
    let expected = if_match(&headers, &ids)?;
    let keep = GridId(b.keep);
    run_edit(
        state,
        caller,
        lang,
        q,
        expected,
        Operation::Merge,
        Edit::Merge { ids, keep },
    )
    .await
}

#[derive(Deserialize)]
struct MoveBody {
    from: Value,
    to: Value,
}

#[utoipa::path(post, path = "/api/v1/boundaries/move", tag = "edits",
    params(("dry_run" = Option<bool>, Query, description = "true: answer the impact without saving", example = true), ("reason" = Option<String>, Query, description = "why (required to save)"), ("date" = Option<chrono::NaiveDate>, Query, description = "effective date, default today"), ("force_draft" = Option<bool>, Query, description = "keep an edit that breaks the hierarchy as a draft")),
    request_body(content = super::super::schemas::MoveBody, content_type = "application/json"),
    responses((status = 200, description = "Changed grids and impact (a dry run, or saved)", body = super::super::schemas::EditResult),
        (status = 409, description = "Someone else's change was stored first, or the id or code is in use", body = super::super::error::Problem),
        (status = 422, description = "Refused by the rules (breaks the hierarchy…)", body = super::super::error::Problem)))]
pub async fn move_boundary(
    State(state): State<SharedState>,
    caller: Caller,
    lang: Lang,
    params: Params,
    headers: HeaderMap,
    RawBody(bytes): RawBody,
) -> ApiResult<Response> {
    let (q, b): (EditQuery, MoveBody) = edit_request(&state, &caller, &params, &headers, &bytes)?;
    let (from, to) = (point("from", &b.from)?, point("to", &b.to)?);
    run_edit(
        state,
        caller,
        lang,
        q,
        vec![],
        Operation::MoveBoundary,
        Edit::MoveBoundary { from, to },
    )
    .await
}

#[derive(Deserialize)]
struct RerouteBody {
    a: String,
    b: String,
    path: Value,
}

#[utoipa::path(post, path = "/api/v1/boundaries/reroute", tag = "edits",
    params(("dry_run" = Option<bool>, Query, description = "true: answer the impact without saving", example = true), ("reason" = Option<String>, Query, description = "why (required to save)"), ("date" = Option<chrono::NaiveDate>, Query, description = "effective date, default today"), ("force_draft" = Option<bool>, Query, description = "keep an edit that breaks the hierarchy as a draft"), ("If-Match" = Option<String>, Header, description = "\"<va>\", \"<vb>\"")),
    request_body(content = super::super::schemas::RerouteBody, content_type = "application/json"),
    responses((status = 200, description = "Changed grids and impact (a dry run, or saved)", body = super::super::schemas::EditResult), (status = 404, description = "A grid the body names does not exist", body = super::super::error::Problem),
        (status = 409, description = "Someone else's change was stored first, or the id or code is in use", body = super::super::error::Problem),
        (status = 412, description = "If-Match named a version that is no longer current", body = super::super::error::Problem),
        (status = 422, description = "Refused by the rules (not adjacent, breaks the hierarchy…)", body = super::super::error::Problem)))]
pub async fn reroute(
    State(state): State<SharedState>,
    caller: Caller,
    lang: Lang,
    params: Params,
    headers: HeaderMap,
    RawBody(bytes): RawBody,
) -> ApiResult<Response> {
    let (q, b): (EditQuery, RerouteBody) =
        edit_request(&state, &caller, &params, &headers, &bytes)?;
    let path = linestring("path", &b.path, state.config.max_vertices)?;
    let (a, bb) = (GridId(b.a), GridId(b.b));
    let expected = if_match(&headers, &[a.clone(), bb.clone()])?;
    run_edit(
        state,
        caller,
        lang,
        q,
        expected,
        Operation::RerouteBoundary,
        Edit::RerouteBoundary { a, b: bb, path },
    )
    .await
}

#[derive(Deserialize)]
struct StatusBody {
    status: String,
}

#[utoipa::path(put, path = "/api/v1/grids/{id}/status", tag = "edits",
    params(("id" = String, Path, description = "grid id", example = "341002001001001"), ("dry_run" = Option<bool>, Query, description = "true: answer the impact without saving", example = true), ("reason" = Option<String>, Query, description = "why (required to save)"), ("date" = Option<chrono::NaiveDate>, Query, description = "effective date, default today"), ("force_draft" = Option<bool>, Query, description = "keep an edit that breaks the hierarchy as a draft"), ("If-Match" = Option<String>, Header, description = "\"<version>\": the ETag of GET /grids/{id}")),
    request_body(content = super::super::schemas::StatusBody, content_type = "application/json"),
    responses((status = 200, description = "Changed grids and impact (a dry run, or saved)", body = super::super::schemas::EditResult),
        (status = 409, description = "Someone else's change was stored first, or the id or code is in use", body = super::super::error::Problem),
        (status = 412, description = "If-Match named a version that is no longer current", body = super::super::error::Problem),
        (status = 422, description = "Refused by the rules (not adjacent, breaks the hierarchy…)", body = super::super::error::Problem)))]
pub async fn set_status(
    State(state): State<SharedState>,
    caller: Caller,
    lang: Lang,
    Path(id): Path<String>,
    params: Params,
    headers: HeaderMap,
    RawBody(bytes): RawBody,
) -> ApiResult<Response> {
    let (q, b): (EditQuery, StatusBody) = edit_request(&state, &caller, &params, &headers, &bytes)?;
    let status = GridStatus::parse(&b.status).ok_or_else(|| {
        ApiError::field(
            "status",
            format!(
                "unknown status \"{}\" (active, reserved or suspended)",
                b.status
            ),
        )
    })?;
    let id = GridId(id);
    let expected = if_match(&headers, std::slice::from_ref(&id))?;
    run_edit(
        state,
        caller,
        lang,
        q,
        expected,
        Operation::SetStatus,
        Edit::SetStatus { id, status },
    )
    .await
}

#[utoipa::path(delete, path = "/api/v1/grids/{id}", tag = "edits",
    params(("id" = String, Path, description = "grid id", example = "341002001001001"), ("dry_run" = Option<bool>, Query, description = "true: answer the impact without saving", example = true), ("reason" = Option<String>, Query, description = "why (required to save)"), ("date" = Option<chrono::NaiveDate>, Query, description = "effective date, default today"), ("force_draft" = Option<bool>, Query, description = "keep an edit that breaks the hierarchy as a draft"), ("If-Match" = Option<String>, Header, description = "\"<version>\": the ETag of GET /grids/{id}")),
    responses((status = 200, description = "Retired (or the dry run): changed grids and impact", body = super::super::schemas::EditResult),
        (status = 409, description = "Someone else's change was stored first, or the id or code is in use", body = super::super::error::Problem),
        (status = 412, description = "If-Match named a version that is no longer current", body = super::super::error::Problem),
        (status = 422, description = "Refused by the rules (not adjacent, breaks the hierarchy…)", body = super::super::error::Problem)))]
pub async fn retire(
    State(state): State<SharedState>,
    caller: Caller,
    lang: Lang,
    Path(id): Path<String>,
    params: Params,
    headers: HeaderMap,
) -> ApiResult<Response> {
    caller.require_editor()?;
    let q = EditQuery::from(&params, &state)?;
    let id = GridId(id);
    let expected = if_match(&headers, std::slice::from_ref(&id))?;
    run_edit(
        state,
        caller,
        lang,
        q,
        expected,
        Operation::Retire,
        Edit::Retire { id },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::state::ServerConfig;
    use crate::store::Store;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    /// Set by `panic_while_planning_leaves_the_served_district_unchanged` only: planning then
    /// panics half-way, with its view of the district changed. Compiled into unit tests only,
    /// so nothing in production can set it.
    static PANIC_WHILE_PLANNING: AtomicBool = AtomicBool::new(false);

    pub(super) fn panic_if_injected(view: &mut wangge_engine::District, p: &Plan) {
        if PANIC_WHILE_PLANNING.load(Ordering::SeqCst) {
            // The state a panic between "apply" and "undo" leaves the planning district in.
            wangge_engine::edit::apply(view, &p.changes).expect("the planned change applies");
            panic!("injected: planning panicked with its district changed");
        }
    }

    /// Before the snapshot, every preview changed the live district and undid the change; a
    /// panic in between left the served district changed (the lock does not poison). Now
    /// planning works on a view: the served snapshot stays the very same, and the service keeps
    /// answering, the next preview included.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn panic_while_planning_leaves_the_served_district_unchanged() {
        const SECRET: &str = "panic-test-admin-secret-0123456789";
        const G1: &str = "341002001001001";
        let config = ServerConfig {
            seed_dir: Some(
                std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("geodata/tunxi"),
            ),
            admin_secret: Some(SECRET.into()),
            ..ServerConfig::default()
        };
        let running = crate::server::start(
            Store::memory().await.expect("memory store"),
            config,
            "127.0.0.1:0".parse().expect("address"),
            std::future::pending(),
        )
        .await
        .expect("server starts");
        let state = running.state.clone();
        let base = format!("http://{}", running.addr);
        let client = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client");
        let id = GridId(G1.into());
        let before = state.snapshot();
        let grid_before = before.district().grid(&id, None).cloned().expect("G1");
        let versions_before = before.district().all_versions().len();
        let preview = || {
            client
                .put(format!("{base}/api/v1/grids/{G1}/status?dry_run=true"))
                .bearer_auth(SECRET)
                .json(&json!({"status": "suspended"}))
                .send()
        };

        PANIC_WHILE_PLANNING.store(true, Ordering::SeqCst);
        let r = preview().await.expect("the preview is answered");
        PANIC_WHILE_PLANNING.store(false, Ordering::SeqCst);
        assert_eq!(
            r.status(),
            500,
            "a panic while planning is an internal error"
        );

        let after = state.snapshot();
        assert!(
            Arc::ptr_eq(&before, &after),
            "the served snapshot was replaced"
        );
        assert_eq!(after.district().grid(&id, None), Some(&grid_before));
        assert_eq!(after.district().all_versions().len(), versions_before);
        // The service keeps answering: a lookup inside G1, and the same preview.
        let inside: geo::Coord<f64> = geo::InteriorPoint::interior_point(&grid_before.geometry)
            .expect("a point inside")
            .into();
        let r = client
            .get(format!(
                "{base}/api/v1/lookup?lon={}&lat={}",
                inside.x, inside.y
            ))
            .send()
            .await
            .expect("lookup");
        assert_eq!(r.status(), 200);
        let v: Value = r.json().await.expect("JSON");
        assert_eq!(v["base"]["id"], G1);
        assert_eq!(v["base"]["status"], "active");
        let r = preview().await.expect("the next preview is answered");
        assert_eq!(r.status(), 200);
        assert!(
            Arc::ptr_eq(&before, &state.snapshot()),
            "a dry run publishes nothing"
        );
    }

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn edit_today_is_the_district_date_not_utc() {
        let dates = EditDates::default();
        let before = (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive();
        let today = dates.today();
        let after = (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive();
        assert!(today == before || today == after, "{today}");
        // UTC 20:00 on 30 November is already 1 December in Shanghai.
        let evening = date("2026-11-30")
            .and_hms_opt(20, 0, 0)
            .expect("time")
            .and_utc();
        assert_eq!(
            evening.with_timezone(&dates.utc_offset).date_naive(),
            date("2026-12-01")
        );
    }

    #[test]
    fn edit_date_window_is_inclusive_and_names_date() {
        let dates = EditDates {
            days_back: 10,
            days_ahead: 5,
            utc_offset: SHANGHAI,
        };
        let today = date("2026-12-01");
        assert!(dates.check(date("2026-11-21"), today).is_ok());
        assert!(dates.check(date("2026-12-06"), today).is_ok());
        for bad in ["2026-11-20", "2026-12-07", "9999-12-31", "1900-01-01"] {
            let e = dates.check(date(bad), today).expect_err(bad);
            assert_eq!(e.status, axum::http::StatusCode::BAD_REQUEST);
            assert_eq!(e.errors[0].field, "date");
        }
        // A window wider than the calendar does not overflow.
        let wide = EditDates {
            days_back: u32::MAX,
            days_ahead: u32::MAX,
            utc_offset: SHANGHAI,
        };
        assert!(wide.check(date("1900-01-01"), today).is_ok());
    }
}
