//! The household standard: an active grid should hold the number of households its band allows
//! (urban base grids about 300–500), so a worker's load stays manageable.

use super::common::{near, Ctx};
use super::report::{Measure, Problem, ProblemKind, Severity};
use crate::assign::Assignment;
use crate::model::GridStatus;
use geo::Geometry;

pub(super) fn household_standard(ctx: &Ctx, slots: &[u32], counts: &Assignment) -> Vec<Problem> {
    slots
        .iter()
        .filter_map(|&s| {
            let grid = ctx.grid(s);
            if grid.status != GridStatus::Active {
                return None;
            }
            let community = ctx.community_of(grid);
            let chain: Vec<&str> = community
                .as_deref()
                .map(|c| {
                    ctx.d
                        .area_chain(c)
                        .into_iter()
                        .map(|a| a.code.as_str())
                        .collect()
                })
                .unwrap_or_default();
            let band = ctx
                .config
                .standards
                .band_for(&grid.layer, grid.kind, &chain)?;
            let households = counts.counts(s).households;
            if band.contains(households) {
                return None;
            }
            let mut details = serde_json::Map::new();
            details.insert("min".into(), band.min.into());
            details.insert("max".into(), band.max.into());
            Some(Problem {
                kind: ProblemKind::HouseholdStandard,
                severity: Severity::Warning,
                grids: vec![grid.id.clone()],
                buildings: vec![],
                area: community,
                measure: Measure::count(households as f64),
                details,
                geometry: Some(Geometry::MultiPolygon(grid.geometry.clone())),
                message: format!(
                    "{} {} grid {} has {households} households, outside the standard {}–{} ({})",
                    grid.kind.as_str(),
                    grid.layer.as_str(),
                    grid.id,
                    band.min,
                    band.max,
                    near(&grid.geometry)
                ),
            })
        })
        .collect()
}
