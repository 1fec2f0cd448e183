//! Overlaps between siblings: base grids of the same community (or, without a hierarchy, any two
//! base grids with no parent) and micro/special grids of the same base grid. Candidates come from
//! the R-tree; each pair is intersected once on the exact lattice.

use super::common::{check_failed, rects_share_area, sorted_ids, Ctx};
use super::report::Problem;
use super::slivers::{coverage_problem, Coverage};
use crate::lattice;
use geo::BoundingRect;
use rayon::prelude::*;
use std::collections::BTreeSet;

/// Overlap problems of every sibling pair that includes one of `slots` (base, micro or special).
pub(super) fn overlaps(ctx: &Ctx, slots: &[u32]) -> Vec<Problem> {
    let pairs: BTreeSet<(u32, u32)> = slots
        .par_iter()
        .flat_map_iter(|&a| sibling_pairs(ctx, a))
        .collect();
    let pairs: Vec<(u32, u32)> = pairs.into_iter().collect();
    pairs
        .par_iter()
        .flat_map_iter(|&(a, b)| pair_overlaps(ctx, a, b))
        .collect()
}

/// Pairs (lower slot first) of `a` with the siblings whose boxes share area with its box.
fn sibling_pairs(ctx: &Ctx, a: u32) -> Vec<(u32, u32)> {
    let ga = ctx.grid(a);
    let Some(ra) = ga.geometry.bounding_rect() else {
        return vec![];
    };
    ctx.d
        .slots_in_rect(&ga.layer, ra, ctx.as_of)
        .into_iter()
        .filter(|&b| b != a)
        .filter(|&b| {
            let gb = ctx.grid(b);
            gb.parent == ga.parent
                && gb
                    .geometry
                    .bounding_rect()
                    .is_some_and(|rb| rects_share_area(ra, rb))
        })
        .map(|b| (a.min(b), a.max(b)))
        .collect()
}

fn pair_overlaps(ctx: &Ctx, a: u32, b: u32) -> Vec<Problem> {
    if !ctx.is_valid(a) || !ctx.is_valid(b) {
        return vec![];
    }
    let (ga, gb) = (ctx.grid(a), ctx.grid(b));
    let area = ctx.community_of(ga);
    let common = match lattice::intersection(&ga.geometry, &gb.geometry) {
        Ok(common) => common,
        Err(e) => return vec![check_failed(ctx, "overlap", [a, b], area, &e)],
    };
    let grids = sorted_ids(ctx, [a, b]);
    common
        .0
        .into_iter()
        .filter_map(|piece| {
            coverage_problem(
                Coverage::Overlap,
                piece,
                grids.clone(),
                area.clone(),
                ctx.config,
            )
        })
        .collect()
}
