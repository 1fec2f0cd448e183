//! Buildings split between base grids: one building should have one responsible grid worker, so
//! a footprint straddling grid boundaries (beyond the assignment's straddle share) is a warning.

use super::common::{check_failed, join_ids, sorted_ids, Ctx};
use super::report::{Measure, Problem, ProblemKind, Severity};
use crate::assign::Assignment;
use crate::measure::polygon_area_m2;
use crate::model::Footprint;
use geo::{Geometry, InteriorPoint};

/// Straddling buildings of `assignment` (whatever their grids: the caller filters).
pub(super) fn split_buildings(ctx: &Ctx, assignment: &Assignment) -> Vec<Problem> {
    assignment
        .straddling_buildings()
        .filter_map(|a| {
            let b = ctx.d.buildings().get(a.building)?;
            let Footprint::Polygon(poly) = &b.footprint else {
                return None;
            };
            let total = polygon_area_m2(poly);
            let minor: f64 = a.shares.iter().skip(1).map(|(_, share)| share).sum();
            let m2 = total * minor;
            let grids = sorted_ids(ctx, a.shares.iter().map(|(s, _)| *s));
            let area = a.base.and_then(|s| ctx.community_of(ctx.grid(s)));
            let near = poly
                .interior_point()
                .map(|p| format!(" near ({:.5}, {:.5})", p.x(), p.y()))
                .unwrap_or_default();
            let mut details = serde_json::Map::new();
            details.insert("footprint_m2".into(), ((total * 100.0).round() / 100.0).into());
            Some(Problem {
                kind: ProblemKind::SplitBuilding,
                severity: Severity::Warning,
                message: format!(
                    "building {} is split between grids {} ({m2:.1} m² outside its main grid){near}",
                    b.id,
                    join_ids(&grids)
                ),
                grids,
                buildings: vec![b.id.clone()],
                area,
                measure: Measure::m2(m2),
                details,
                geometry: Some(Geometry::Polygon(poly.clone())),
            })
        })
        .chain(unmeasured_buildings(ctx, assignment))
        .collect()
}

/// Buildings whose share of some grid could not be computed: whether they are split (and where
/// they belong) is unknown, which is reported as a failed check, never as "not split".
fn unmeasured_buildings<'a>(
    ctx: &'a Ctx,
    assignment: &'a Assignment,
) -> impl Iterator<Item = Problem> + 'a {
    assignment.buildings.iter().filter_map(move |a| {
        let first = a.failed.first()?;
        let b = ctx.d.buildings().get(a.building)?;
        let slots: Vec<u32> = a
            .failed
            .iter()
            .map(|f| f.slot)
            .chain(a.shares.iter().map(|(s, _)| *s))
            .collect();
        let area = slots.first().and_then(|&s| ctx.community_of(ctx.grid(s)));
        let reason = format!("building {}: {first}", b.id);
        let mut p = check_failed(ctx, "split_buildings", slots, area, &reason);
        p.buildings = vec![b.id.clone()];
        Some(p)
    })
}
