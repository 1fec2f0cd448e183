//! Gaps: area of a community that no base grid covers, or — for grids without an admin
//! hierarchy — holes in the union of the grids. Allowed gaps (lakes, rivers) are cut away first.
//!
//! A community's gaps are always computed for the whole community, even when only part of it is
//! examined, so that a gap found by an incremental run is the same piece (same grids, same area)
//! as the one a full run finds.

use super::common::{
    borders, check_failed, parts_meeting, rect_polygon, rect_within, rects_meet, union_rect, Ctx,
};
use super::report::Problem;
use super::slivers::{coverage_problem, Coverage};
use crate::lattice;
use crate::model::{AdminArea, Layer};
use geo::orient::{Direction, Orient};
use geo::{BoundingRect, MultiPolygon, Polygon, Rect};

/// Gap problems of one community.
pub(super) fn community_gaps(ctx: &Ctx, community: &AdminArea) -> Vec<Problem> {
    let Some(geom) = &community.geometry else {
        // Without an outline neither gaps nor grids crossing it can be found: say so for the
        // community's base grids instead of reporting nothing.
        let slots: Vec<u32> = ctx
            .d
            .slots_with_parent(&community.code)
            .filter(|&s| ctx.grid(s).layer == Layer::Base && ctx.d.visible(s, ctx.as_of))
            .collect();
        if slots.is_empty() {
            return vec![];
        }
        return vec![check_failed(
            ctx,
            "gap and crossing",
            slots,
            Some(community.code.clone()),
            &"the community has no outline to check its base grids against",
        )];
    };
    let Some(bbox) = geom.bounding_rect() else {
        return vec![];
    };
    let slots: Vec<u32> = ctx
        .d
        .slots_in_rect(&Layer::Base, bbox, ctx.as_of)
        .into_iter()
        .filter(|&s| ctx.grid(s).parent.as_deref() == Some(community.code.as_str()))
        .collect();
    let mut cover: Vec<&MultiPolygon<f64>> = slots.iter().map(|&s| &ctx.grid(s).geometry).collect();
    let allowed = ctx
        .config
        .allowed_gaps
        .as_ref()
        .map(|a| parts_meeting(a, bbox));
    cover.extend(allowed.as_ref());
    let gaps = match lattice::difference_all(geom, cover) {
        Ok(gaps) => gaps,
        Err(e) => {
            return vec![check_failed(
                ctx,
                "gap",
                slots,
                Some(community.code.clone()),
                &e,
            )]
        }
    };
    gaps.0
        .into_iter()
        .filter_map(|piece| gap_problem(ctx, piece, &slots, Some(community.code.clone())))
        .collect()
}

/// Holes in the union of the base grids that have no parent. `region`: `None` for every hole,
/// else the holes whose boxes meet it (found without building the union of the whole set when
/// the neighbourhood decides them).
pub(super) fn unparented_holes(ctx: &Ctx, region: Option<Rect<f64>>) -> Vec<Problem> {
    // One scan tells whether there are such grids at all and how far they reach.
    let unparented: Vec<u32> = (0..ctx.d.all_versions().len() as u32)
        .filter(|&s| {
            let g = ctx.grid(s);
            g.layer == Layer::Base && g.parent.is_none() && ctx.d.visible(s, ctx.as_of)
        })
        .collect();
    let extent = unparented
        .iter()
        .filter_map(|&s| ctx.grid(s).geometry.bounding_rect())
        .reduce(union_rect);
    let Some(extent) = extent else {
        return vec![];
    };
    let Some(region) = region else {
        return holes_of(ctx, &unparented, None);
    };
    if !rects_meet(region, extent) {
        return vec![];
    }
    // Grow the examined box until every hole meeting the region is decided: a hole of the
    // neighbours' union whose box lies in the examined box is a hole of the whole set (every
    // grid that could cover part of it was included), and no uncovered area near the region may
    // be open to the outside of that union (it could be a hole closed by grids further away).
    // "Near" is the region widened by a few lattice units, so that a hole merely touching the
    // region shows up as area.
    let near = widened(region, 1e-6);
    let mut q = near;
    loop {
        let slots: Vec<u32> = ctx
            .d
            .slots_in_rect(&Layer::Base, q, ctx.as_of)
            .into_iter()
            .filter(|&s| ctx.grid(s).parent.is_none())
            .collect();
        let whole = rect_within(extent, q);
        let union = match lattice::union_all(slots.iter().map(|&s| &ctx.grid(s).geometry)) {
            Ok(union) => union,
            Err(e) => return vec![check_failed(ctx, "gap", slots, None, &e)],
        };
        let mut decided = true;
        for h in hole_polygons(&union) {
            if let Some(hb) = h.bounding_rect() {
                if rects_meet(hb, near) && !rect_within(hb, q) {
                    decided = false;
                    q = union_rect(q, hb);
                }
            }
        }
        if decided && !whole {
            let filled = MultiPolygon(
                union
                    .0
                    .iter()
                    .map(|p| Polygon::new(p.exterior().clone(), vec![]))
                    .collect(),
            );
            match lattice::difference(&rect_polygon(near), &filled) {
                Ok(open) if open.0.is_empty() => {}
                Ok(_) => decided = false,
                Err(e) => return vec![check_failed(ctx, "gap", slots, None, &e)],
            }
        }
        if decided || whole {
            return holes_of(ctx, &slots, Some(near));
        }
        q = grown(q);
    }
}

fn widened(r: Rect<f64>, by: f64) -> Rect<f64> {
    let d = geo::Coord { x: by, y: by };
    Rect::new(r.min() - d, r.max() + d)
}

/// The holes of the union of `slots`, those meeting `region` when given.
///
/// The union is one overlay per group of touching grids (see [`lattice::union_all`]), so a
/// coverage with islands on both sides of ±180° or spread over a continent is handled as long
/// as each connected group fits the lattice; one that does not is a `check_failed` problem.
fn holes_of(ctx: &Ctx, slots: &[u32], region: Option<Rect<f64>>) -> Vec<Problem> {
    let union = match lattice::union_all(slots.iter().map(|&s| &ctx.grid(s).geometry)) {
        Ok(union) => union,
        Err(e) => return vec![check_failed(ctx, "gap", slots.iter().copied(), None, &e)],
    };
    let mut out = Vec::new();
    for hole in hole_polygons(&union) {
        if let (Some(r), Some(hb)) = (region, hole.bounding_rect()) {
            if !rects_meet(hb, r) {
                continue;
            }
        }
        let Some(hb) = hole.bounding_rect() else {
            continue;
        };
        let hole = MultiPolygon(vec![hole]);
        // What lies inside the hole is not a gap: islands of the union (their boxes lie within
        // the hole's box; the shore's does not) and allowed gaps.
        let mut cover: Vec<MultiPolygon<f64>> = vec![MultiPolygon(
            union
                .0
                .iter()
                .filter(|p| p.bounding_rect().is_some_and(|b| rect_within(b, hb)))
                .cloned()
                .collect(),
        )];
        if let Some(allowed) = &ctx.config.allowed_gaps {
            cover.push(parts_meeting(allowed, hb));
        }
        let pieces = if cover.iter().all(|c| c.0.is_empty()) {
            hole
        } else {
            match lattice::difference_all(&hole, cover.iter()) {
                Ok(p) => p,
                Err(e) => {
                    let around: Vec<u32> = slots
                        .iter()
                        .copied()
                        .filter(|&s| borders(&hole, &ctx.grid(s).geometry))
                        .collect();
                    out.push(check_failed(ctx, "gap", around, None, &e));
                    continue;
                }
            }
        };
        out.extend(
            pieces
                .0
                .into_iter()
                .filter_map(|piece| gap_problem(ctx, piece, slots, None)),
        );
    }
    out
}

fn hole_polygons(union: &MultiPolygon<f64>) -> Vec<Polygon<f64>> {
    union
        .0
        .iter()
        .flat_map(|p| p.interiors().iter())
        // Holes are wound clockwise; as shells they must turn the other way, or their geodesic
        // area is that of the rest of the globe.
        .map(|ring| Polygon::new(ring.clone(), vec![]).orient(Direction::Default))
        .collect()
}

/// Doubles a box around its centre.
fn grown(r: Rect<f64>) -> Rect<f64> {
    let (w, h) = (r.width().max(1e-4), r.height().max(1e-4));
    let c = r.center();
    Rect::new(
        geo::Coord {
            x: c.x - w,
            y: c.y - h,
        },
        geo::Coord {
            x: c.x + w,
            y: c.y + h,
        },
    )
}

/// The problem for one gap piece, named by the sibling grids around it. A piece bordering an
/// invalid grid is left out: its shape depends on how the overlay read the broken geometry, and
/// the grid is reported as invalid.
fn gap_problem(
    ctx: &Ctx,
    piece: Polygon<f64>,
    siblings: &[u32],
    area: Option<String>,
) -> Option<Problem> {
    let mp = MultiPolygon(vec![piece]);
    let around: Vec<u32> = siblings
        .iter()
        .copied()
        .filter(|&s| borders(&mp, &ctx.grid(s).geometry))
        .collect();
    if around.iter().any(|&s| !ctx.is_valid(s)) {
        return None;
    }
    let grids = super::common::sorted_ids(ctx, around);
    let piece = mp.0.into_iter().next()?;
    coverage_problem(Coverage::Gap, piece, grids, area, ctx.config)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::area_m2;
    use geo::{coord, LineString};

    #[test]
    fn holes_become_counter_clockwise_shells_with_a_small_area() {
        let shell = LineString::from(vec![
            (118.3, 29.7),
            (118.31, 29.7),
            (118.31, 29.71),
            (118.3, 29.71),
        ]);
        let hole = LineString::from(vec![
            (118.304, 29.704),
            (118.304, 29.706),
            (118.306, 29.706),
            (118.306, 29.704),
        ]);
        let mp = MultiPolygon(vec![Polygon::new(shell, vec![hole])]).orient(Direction::Default);
        let holes = hole_polygons(&mp);
        assert_eq!(holes.len(), 1);
        let a = area_m2(&MultiPolygon(holes));
        assert!(a > 40_000.0 && a < 45_000.0, "area {a}");
    }

    #[test]
    fn growing_a_box_doubles_it_around_its_centre() {
        let r = Rect::new(coord! {x: 0.0, y: 0.0}, coord! {x: 2.0, y: 1.0});
        let g = grown(r);
        assert_eq!(g.min(), coord! {x: -1.0, y: -0.5});
        assert_eq!(g.max(), coord! {x: 3.0, y: 1.5});
    }
}
