//! Validation: typed problems of coverage, hierarchy, geometry and standards.
//!
//! Table of contents:
//! - [`report`]: problem kinds, severities, measures, the report and its delta;
//! - [`config`]: tolerances and household standards;
//! - `select`: what a scope examines and which problems it keeps;
//! - `common`: run context, places, boxes, adjacency;
//! - `certify`: an edge certificate that a community is tiled exactly, so the overlay checks skip it;
//! - checks, one per file: `gaps` (and holes without a hierarchy), `overlaps`, `slivers` (how a
//!   gap or overlap piece becomes a sliver), `child_outside`, `crosses`, `invalid`,
//!   `split_buildings`, `households`, `empty`, `status`.

mod certify;
mod child_outside;
mod common;
pub mod config;
mod crosses;
mod empty;
mod gaps;
mod households;
mod invalid;
mod overlaps;
pub mod report;
mod select;
mod slivers;
mod split_buildings;
mod status;

pub use config::{Band, Config, Standards};
pub use report::{Delta, Measure, Problem, ProblemKind, Report, Severity, Unit};

use crate::assign::{assign, assign_in_rect, Assignment};
use crate::district::District;
use crate::model::GridId;
use chrono::NaiveDate;
use common::Ctx;
use rayon::prelude::*;
use select::{Counts, Holes, Selection};

/// What to validate.
#[derive(Debug, Clone, PartialEq)]
pub enum Scope {
    All,
    /// A district, town or community code.
    Area(String),
    /// Problems whose geometry meets the rectangle, or that name a grid inside it.
    Rect(geo::Rect<f64>),
}

/// Validates a scope of the district as it was on `as_of` (`None`: the current versions).
pub fn validate(d: &District, scope: &Scope, as_of: Option<NaiveDate>, config: &Config) -> Report {
    let ctx = Ctx::new(d, as_of, config);
    let selection = match scope {
        Scope::All => Selection::everything(&ctx),
        Scope::Area(code) => Selection::area(&ctx, code),
        Scope::Rect(r) => Selection::around(&ctx, &[], *r),
    };
    run(&ctx, &selection)
}

/// Incremental: only the problems that involve `grids` or lie in the region they cover (their
/// bounding boxes), examining only R-tree neighbours, so it stays fast on a city of 50,000 base grids.
///
/// The region is the box of every version of `grids`, so calling this before and after an edit
/// that adds versions of those grids compares the same ground (the "after" region also holds the
/// new shapes). A problem is computed exactly as [`validate`] computes it, so both give it the
/// same key.
pub fn validate_around(
    d: &District,
    grids: &[GridId],
    as_of: Option<NaiveDate>,
    config: &Config,
) -> Report {
    let ctx = Ctx::new(d, as_of, config);
    let Some(region) = select::region_of(&ctx, grids) else {
        return Report::default();
    };
    run(&ctx, &Selection::around(&ctx, grids, region))
}

/// [`validate_around`] with the region given by the caller, for edits that need the "before"
/// run to cover the shapes the "after" run will see.
pub fn validate_around_in(
    d: &District,
    grids: &[GridId],
    region: geo::Rect<f64>,
    as_of: Option<NaiveDate>,
    config: &Config,
) -> Report {
    let ctx = Ctx::new(d, as_of, config);
    run(&ctx, &Selection::around(&ctx, grids, region))
}

fn run(ctx: &Ctx, sel: &Selection) -> Report {
    // Communities proved tiled exactly have no gap, sibling overlap or crossing to look for;
    // in the others, only grids meeting the boxes around the unmatched edges can have one.
    let certificates: std::collections::HashMap<&str, certify::Certificate> = sel
        .communities
        .par_iter()
        .map(|c| (c.code.as_str(), certify::certify(ctx, c)))
        .collect();
    let may_have_problems = |s: &u32| {
        let g = ctx.grid(*s);
        if g.layer != crate::model::Layer::Base {
            return true;
        }
        let certificate = g.parent.as_deref().and_then(|p| certificates.get(p));
        match certificate {
            None | Some(certify::Certificate::Unknown) => true,
            Some(certify::Certificate::Exact) => false,
            Some(certify::Certificate::Within(boxes)) => {
                geo::BoundingRect::bounding_rect(&g.geometry)
                    .is_some_and(|r| boxes.iter().any(|b| common::rects_meet(*b, r)))
            }
        }
    };
    let settled = |code: &str| matches!(certificates.get(code), Some(certify::Certificate::Exact));
    let grids = sel.grids();
    let open_grids: Vec<u32> = grids.iter().copied().filter(may_have_problems).collect();
    let open_base: Vec<u32> = sel.base.iter().copied().filter(may_have_problems).collect();
    let mut problems: Vec<Problem> = sel
        .communities
        .par_iter()
        .filter(|c| !settled(c.code.as_str()))
        .flat_map_iter(|c| gaps::community_gaps(ctx, c))
        .collect();
    match sel.holes {
        Holes::None => {}
        Holes::All => problems.extend(gaps::unparented_holes(ctx, None)),
        Holes::Meeting(r) => problems.extend(gaps::unparented_holes(ctx, Some(r))),
    }
    problems.extend(overlaps::overlaps(ctx, &open_grids));
    problems.extend(child_outside::children_outside(ctx, &sel.children));
    problems.extend(crosses::crossing_community(ctx, &open_base));
    problems.extend(invalid::invalid_geometries(ctx, &grids));

    let assignment = match sel.counts {
        Counts::All => assign(ctx.d, ctx.as_of),
        Counts::In(Some(r)) => assign_in_rect(ctx.d, r, ctx.as_of),
        Counts::In(None) => Assignment::default(),
    };
    problems.extend(split_buildings::split_buildings(ctx, &assignment));
    // Household standards and empty grids say nothing about a coverage handed over without any
    // buildings or households (a plain boundary file): every grid would be "empty".
    if !ctx.d.buildings().is_empty() || !ctx.d.households().is_empty() {
        problems.extend(households::household_standard(ctx, &grids, &assignment));
        problems.extend(empty::empty_grids(ctx, &sel.base, &assignment));
    }

    problems.retain(|p| sel.keep.keeps(p));
    problems.extend(status::status_summary(ctx, &grids));
    Report::new(problems)
}
