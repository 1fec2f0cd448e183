//! Micro and special grids must lie inside their base grid: the area of a child outside its
//! parent is reported with its size.

use super::common::{check_failed, near, place, Ctx};
use super::report::{area_geometry, Measure, Problem, ProblemKind, Severity};
use crate::lattice;
use crate::measure::area_m2;
use crate::model::GridId;
use rayon::prelude::*;

pub(super) fn children_outside(ctx: &Ctx, children: &[u32]) -> Vec<Problem> {
    children
        .par_iter()
        .filter_map(|&c| child_outside(ctx, c))
        .collect()
}

fn child_outside(ctx: &Ctx, c: u32) -> Option<Problem> {
    let child = ctx.grid(c);
    let parent_id = GridId(child.parent.clone()?);
    // A child whose base grid is not visible on the date has no parent to be outside of.
    let p = ctx.d.grid_slot(&parent_id, ctx.as_of)?;
    if !ctx.is_valid(c) || !ctx.is_valid(p) {
        return None;
    }
    let parent = ctx.grid(p);
    let area = parent.parent.clone();
    let outside = match lattice::difference(&child.geometry, &parent.geometry) {
        Ok(outside) => outside,
        Err(e) => return Some(check_failed(ctx, "child_outside_parent", [c, p], area, &e)),
    };
    let m2 = area_m2(&outside);
    if m2 < ctx.config.min_area_m2 {
        return None;
    }
    let message = format!(
        "{} grid {} has {m2:.1} m² outside its base grid {} {} {}",
        child.layer.as_str(),
        child.id,
        parent.id,
        place(area.as_deref()),
        near(&outside)
    );
    let mut grids = vec![child.id.clone(), parent.id.clone()];
    grids.sort();
    Some(Problem {
        kind: ProblemKind::ChildOutsideParent,
        severity: Severity::Error,
        grids,
        buildings: vec![],
        area,
        measure: Measure::m2(m2),
        details: serde_json::Map::new(),
        geometry: area_geometry(outside),
        message,
    })
}
