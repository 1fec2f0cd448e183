//! Empty grids: an active base grid with no building and no household has nothing for its
//! worker to serve; it is usually drawn ahead of construction and should be reserved instead.

use super::common::{near, Ctx};
use super::report::{Measure, Problem, ProblemKind, Severity};
use crate::assign::Assignment;
use crate::model::{GridStatus, Layer};
use geo::Geometry;

pub(super) fn empty_grids(ctx: &Ctx, slots: &[u32], counts: &Assignment) -> Vec<Problem> {
    slots
        .iter()
        .filter_map(|&s| {
            let grid = ctx.grid(s);
            if grid.layer != Layer::Base || grid.status != GridStatus::Active {
                return None;
            }
            let c = counts.counts(s);
            if c.buildings > 0 || c.households > 0 {
                return None;
            }
            Some(Problem {
                kind: ProblemKind::EmptyGrid,
                severity: Severity::Warning,
                grids: vec![grid.id.clone()],
                buildings: vec![],
                area: grid.parent.clone(),
                measure: Measure::count(0.0),
                details: serde_json::Map::new(),
                geometry: Some(Geometry::MultiPolygon(grid.geometry.clone())),
                message: format!(
                    "active base grid {} has no building and no household ({})",
                    grid.id,
                    near(&grid.geometry)
                ),
            })
        })
        .collect()
}
