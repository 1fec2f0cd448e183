//! Base grids must stay inside their community: the part of a base grid beyond its community's
//! boundary is reported with its size.

use super::common::{check_failed, near, Ctx};
use super::report::{area_geometry, Measure, Problem, ProblemKind, Severity};
use crate::lattice;
use crate::measure::area_m2;
use rayon::prelude::*;

pub(super) fn crossing_community(ctx: &Ctx, base: &[u32]) -> Vec<Problem> {
    base.par_iter().filter_map(|&s| crossing(ctx, s)).collect()
}

fn crossing(ctx: &Ctx, s: u32) -> Option<Problem> {
    let grid = ctx.grid(s);
    let code = grid.parent.as_ref()?;
    let community = ctx.d.area(code)?.geometry.as_ref()?;
    if !ctx.is_valid(s) {
        return None;
    }
    let outside = match lattice::difference(&grid.geometry, community) {
        Ok(outside) => outside,
        Err(e) => {
            return Some(check_failed(
                ctx,
                "crosses_community",
                [s],
                Some(code.clone()),
                &e,
            ))
        }
    };
    let m2 = area_m2(&outside);
    if m2 < ctx.config.min_area_m2 {
        return None;
    }
    let message = format!(
        "base grid {} has {m2:.1} m² outside its community {code} {}",
        grid.id,
        near(&outside)
    );
    Some(Problem {
        kind: ProblemKind::CrossesCommunity,
        severity: Severity::Error,
        grids: vec![grid.id.clone()],
        buildings: vec![],
        area: Some(code.clone()),
        measure: Measure::m2(m2),
        details: serde_json::Map::new(),
        geometry: area_geometry(outside),
        message,
    })
}
