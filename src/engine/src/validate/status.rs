//! Status summary: reserved and suspended grids are counted in the district's assessment
//! (grids that could not be opened or staffed), so each report lists them once.

use super::common::Ctx;
use super::report::{Measure, Problem, ProblemKind, Severity};
use crate::model::{GridId, GridStatus};

/// One summary for the examined grids, or none when every one is active.
pub(super) fn status_summary(ctx: &Ctx, slots: &[u32]) -> Option<Problem> {
    let mut reserved: Vec<String> = Vec::new();
    let mut suspended: Vec<String> = Vec::new();
    for &s in slots {
        let g = ctx.grid(s);
        match g.status {
            GridStatus::Reserved => reserved.push(g.id.0.clone()),
            GridStatus::Suspended => suspended.push(g.id.0.clone()),
            GridStatus::Active => {}
        }
    }
    if reserved.is_empty() && suspended.is_empty() {
        return None;
    }
    reserved.sort();
    reserved.dedup();
    suspended.sort();
    suspended.dedup();
    let mut grids: Vec<GridId> = reserved
        .iter()
        .chain(&suspended)
        .map(|id| GridId(id.clone()))
        .collect();
    grids.sort();
    let mut details = serde_json::Map::new();
    details.insert("reserved_count".into(), reserved.len().into());
    details.insert("suspended_count".into(), suspended.len().into());
    details.insert("reserved".into(), reserved.clone().into());
    details.insert("suspended".into(), suspended.clone().into());
    Some(Problem {
        kind: ProblemKind::StatusSummary,
        severity: Severity::Info,
        measure: Measure::count(grids.len() as f64),
        message: format!(
            "{} reserved grid(s) [{}], {} suspended grid(s) [{}]",
            reserved.len(),
            reserved.join(", "),
            suspended.len(),
            suspended.join(", ")
        ),
        grids,
        buildings: vec![],
        area: None,
        details,
        geometry: None,
    })
}
