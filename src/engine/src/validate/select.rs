//! What a validation run examines and which of the problems it finds it keeps.
//!
//! Every check computes a problem the same way whatever the scope (a community's gaps are always
//! the whole community's, an overlap is always the whole intersection of the pair); a scope only
//! chooses which grids and communities to start from, and then keeps the problems that belong to
//! it. That is what makes a problem found by [`super::validate_around`] identical to the one a
//! full run finds.

use super::common::{rects_meet, union_rects, Ctx};
use super::report::Problem;
use crate::model::{AdminArea, AdminLevel, GridId, Layer};
use geo::{BoundingRect, Rect};
use std::collections::{BTreeSet, HashSet};

/// Which holes of the grids without a hierarchy to look for.
pub(super) enum Holes {
    None,
    All,
    Meeting(Rect<f64>),
}

/// Where household and building counts come from.
pub(super) enum Counts {
    /// Assign the whole district.
    All,
    /// Assign inside a box that holds every examined grid (their counts are then complete).
    In(Option<Rect<f64>>),
}

/// Which problems a run keeps.
pub(super) enum Keep {
    All,
    /// Problems in these communities.
    Areas(HashSet<String>),
    /// Problems naming one of `ids` or whose geometry meets `region` (exactly: a box test would
    /// keep a far-away L-shaped gap whose box happens to reach the region, which an incremental
    /// run has no reason to find).
    Around {
        ids: HashSet<GridId>,
        region: Rect<f64>,
    },
}

impl Keep {
    pub(super) fn keeps(&self, p: &Problem) -> bool {
        match self {
            Keep::All => true,
            Keep::Areas(codes) => p.area.as_ref().is_some_and(|a| codes.contains(a)),
            Keep::Around { ids, region } => {
                p.grids.iter().any(|g| ids.contains(g))
                    || p.geometry
                        .as_ref()
                        .and_then(|g| g.bounding_rect())
                        .is_some_and(|r| rects_meet(r, *region))
            }
        }
    }
}

pub(super) struct Selection<'a> {
    pub communities: Vec<&'a AdminArea>,
    pub base: Vec<u32>,
    /// Micro and special grids.
    pub children: Vec<u32>,
    pub holes: Holes,
    pub counts: Counts,
    pub keep: Keep,
}

impl<'a> Selection<'a> {
    pub(super) fn grids(&self) -> Vec<u32> {
        self.base.iter().chain(&self.children).copied().collect()
    }

    pub(super) fn everything(ctx: &Ctx<'a>) -> Self {
        let d = ctx.d;
        let mut children = d.layer_slots(&Layer::Micro, ctx.as_of);
        children.extend(d.layer_slots(&Layer::Special, ctx.as_of));
        Selection {
            communities: d.areas_of_level(AdminLevel::Community),
            base: d.layer_slots(&Layer::Base, ctx.as_of),
            children,
            holes: Holes::All,
            counts: Counts::All,
            keep: Keep::All,
        }
    }

    /// A district, town or community by code: the communities below it and their grids.
    pub(super) fn area(ctx: &Ctx<'a>, code: &str) -> Self {
        let d = ctx.d;
        let communities: Vec<&AdminArea> = d
            .areas_of_level(AdminLevel::Community)
            .into_iter()
            .filter(|c| d.area_chain(&c.code).iter().any(|a| a.code == code))
            .collect();
        let codes: HashSet<String> = communities.iter().map(|c| c.code.clone()).collect();
        let base: Vec<u32> = d
            .layer_slots(&Layer::Base, ctx.as_of)
            .into_iter()
            .filter(|&s| {
                ctx.grid(s)
                    .parent
                    .as_ref()
                    .is_some_and(|p| codes.contains(p))
            })
            .collect();
        let children: Vec<u32> = [Layer::Micro, Layer::Special]
            .iter()
            .flat_map(|l| d.layer_slots(l, ctx.as_of))
            .filter(|&s| {
                ctx.community_of(ctx.grid(s))
                    .is_some_and(|c| codes.contains(&c))
            })
            .collect();
        let rect = boxes(ctx, base.iter().chain(&children).copied());
        Selection {
            communities,
            base,
            children,
            holes: Holes::None,
            counts: Counts::In(rect),
            keep: Keep::Areas(codes),
        }
    }

    /// The grids `ids` and everything whose box meets `region`.
    pub(super) fn around(ctx: &Ctx<'a>, ids: &[GridId], region: Rect<f64>) -> Self {
        let d = ctx.d;
        let mut base: BTreeSet<u32> = d
            .slots_in_rect(&Layer::Base, region, ctx.as_of)
            .into_iter()
            .collect();
        let mut children: BTreeSet<u32> = d
            .slots_in_rect(&Layer::Micro, region, ctx.as_of)
            .into_iter()
            .collect();
        let mut community_codes: BTreeSet<String> = d
            .communities_in(region)
            .into_iter()
            .map(|a| a.code.clone())
            .collect();
        for id in ids {
            // Every version's parent: a grid moved out of a community can leave a gap behind.
            for g in d.history(id) {
                if g.layer == Layer::Base {
                    community_codes.extend(g.parent.clone());
                }
            }
            let Some(s) = d.grid_slot(id, ctx.as_of) else {
                continue;
            };
            match ctx.grid(s).layer {
                Layer::Base => {
                    base.insert(s);
                    // A child wholly pushed out of its base grid no longer meets its box.
                    for c in d.children_of(id, ctx.as_of) {
                        children.extend(d.grid_slot(&c.id, ctx.as_of));
                    }
                }
                Layer::Micro | Layer::Special => {
                    children.insert(s);
                }
                Layer::Composite => {}
            }
        }
        let communities = community_codes
            .iter()
            .filter_map(|c| d.area(c))
            .filter(|a| a.level == AdminLevel::Community)
            .collect();
        let base: Vec<u32> = base.into_iter().collect();
        let children: Vec<u32> = children.into_iter().collect();
        let rect = boxes(ctx, base.iter().chain(&children).copied());
        Selection {
            communities,
            base,
            children,
            holes: Holes::Meeting(region),
            counts: Counts::In(rect),
            keep: Keep::Around {
                ids: ids.iter().cloned().collect(),
                region,
            },
        }
    }
}

fn boxes(ctx: &Ctx, slots: impl Iterator<Item = u32>) -> Option<Rect<f64>> {
    union_rects(slots.filter_map(|s| ctx.grid(s).geometry.bounding_rect()))
}

/// The box every version of the grids covers or covered: the same before and after an edit
/// of those grids, as long as the edit's new versions are already in the district.
pub(super) fn region_of(ctx: &Ctx, ids: &[GridId]) -> Option<Rect<f64>> {
    union_rects(
        ids.iter()
            .flat_map(|id| ctx.d.history(id))
            .filter_map(|g| g.geometry.bounding_rect()),
    )
}
