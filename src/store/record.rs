//! Text forms of the model's enums and the JSON of the change log, shared by the SQL backends so
//! that both store exactly the same values.

use super::{StoreError, StoreResult};
use serde::{Deserialize, Serialize};
use wangge_engine::edit::{ChangeSet, GridChange};
use wangge_engine::{AdminLevel, AreaKind, Grid, GridStatus, Layer, SpecialCategory};

/// A stored value the model does not know: the database was edited by hand or by a newer
/// version. Named so the log says which column is wrong.
pub(super) fn unknown(column: &'static str, value: &str) -> StoreError {
    StoreError::Corrupt {
        column,
        value: value.to_string(),
    }
}

pub(super) fn layer(s: &str) -> StoreResult<Layer> {
    Layer::parse(s).ok_or_else(|| unknown("grid layer", s))
}

pub(super) fn kind(s: &str) -> StoreResult<AreaKind> {
    parse_enum("area kind", s)
}

pub(super) fn status(s: &str) -> StoreResult<GridStatus> {
    GridStatus::parse(s).ok_or_else(|| unknown("grid status", s))
}

pub(super) fn category(s: Option<&str>) -> StoreResult<Option<SpecialCategory>> {
    s.map(|s| SpecialCategory::parse(s).ok_or_else(|| unknown("special category", s)))
        .transpose()
}

pub(super) fn level(s: &str) -> StoreResult<AdminLevel> {
    parse_enum("admin level", s)
}

/// Enums serialise as their snake_case serde name; the same string goes into the database.
pub(super) fn enum_text<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        other => format!("{other:?}"),
    }
}

/// The enum whose serde name `s` is ([`enum_text`] read back).
pub(super) fn parse_enum<T: for<'de> Deserialize<'de>>(
    column: &'static str,
    s: &str,
) -> StoreResult<T> {
    serde_json::from_value(serde_json::Value::String(s.into())).map_err(|_| unknown(column, s))
}

/// One entry of the change log's `changes` JSON array: the grid versions as the edit saw them.
#[derive(Serialize, Deserialize)]
struct ChangeJson {
    before: Option<Grid>,
    after: Option<Grid>,
}

pub(super) fn changes_to_json(c: &ChangeSet) -> StoreResult<String> {
    let list: Vec<ChangeJson> = c
        .changes
        .iter()
        .map(|g| ChangeJson {
            before: g.before.clone(),
            after: g.after.clone(),
        })
        .collect();
    json_text(&list, "a change set")
}

/// Parses the log's JSON. serde_json is built with `float_roundtrip`, so coordinates come back
/// bit-identical to what was written.
pub(super) fn changes_from_json(date: chrono::NaiveDate, json: &str) -> StoreResult<ChangeSet> {
    let list: Vec<ChangeJson> = from_json_text(json, "change log entry")?;
    Ok(ChangeSet {
        date,
        changes: list
            .into_iter()
            .map(|c| GridChange {
                before: c.before,
                after: c.after,
            })
            .collect(),
    })
}

pub(super) fn json_text<T: Serialize>(v: &T, what: &'static str) -> StoreResult<String> {
    serde_json::to_string(v).map_err(|source| StoreError::Encode { what, source })
}

pub(super) fn from_json_text<T: for<'de> Deserialize<'de>>(
    s: &str,
    what: &'static str,
) -> StoreResult<T> {
    serde_json::from_str(s).map_err(|source| StoreError::Decode { what, source })
}

/// Maps a database error: constraint violations are the caller's (Invalid, named by the
/// constraint), anything else is the backend's and is logged with `what`.
pub(super) fn db_error(what: &str, e: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(d) = &e {
        if d.is_unique_violation() {
            let c = d.constraint().unwrap_or("a unique key");
            return StoreError::Invalid(format!("{what}: already stored ({c})"));
        }
        if d.is_check_violation() || d.is_foreign_key_violation() {
            return StoreError::Invalid(format!("{what}: {}", d.message()));
        }
    }
    log::error!("{what}: {e}");
    StoreError::Database {
        while_: what.to_string(),
        source: e,
    }
}

/// [`db_error`] as a `map_err` argument.
pub(super) fn be(what: &'static str) -> impl Fn(sqlx::Error) -> StoreError {
    move |e| db_error(what, e)
}
