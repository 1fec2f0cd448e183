//! Shared helpers for the checks: the run context (district, date, tolerances, a cache of which
//! grids have valid geometry), places and messages, bounding boxes and adjacency.

use super::config::Config;
use super::report::{Measure, Problem, ProblemKind, Severity};
use crate::district::District;
use crate::model::{Grid, GridId, Layer};
use chrono::NaiveDate;
use geo::{BoundingRect, Coord, Distance, Euclidean, InteriorPoint, MultiPolygon, Point, Rect};
use std::sync::OnceLock;

/// Lattice units of slack when deciding whether a piece borders a grid: overlay rounds
/// intersection points of slanted edges to the lattice, so a shared boundary can be off by one.
const TOUCH_TOLERANCE_DEG: f64 = 2e-7;

pub(super) struct Ctx<'a> {
    pub d: &'a District,
    pub as_of: Option<NaiveDate>,
    pub config: &'a Config,
    /// Slot → geometry is valid. Area checks skip invalid grids (overlay output on them is
    /// meaningless and they are reported once, as invalid geometry); many checks ask about the
    /// same neighbours, so the answer is kept.
    /// One cell per slot, filled once: lock-free, as every check asks from many threads.
    validity: Vec<OnceLock<bool>>,
}

impl<'a> Ctx<'a> {
    pub(super) fn new(d: &'a District, as_of: Option<NaiveDate>, config: &'a Config) -> Self {
        Ctx {
            d,
            as_of,
            config,
            validity: (0..d.all_versions().len())
                .map(|_| OnceLock::new())
                .collect(),
        }
    }

    pub(super) fn is_valid(&self, slot: u32) -> bool {
        let valid = || crate::validity::is_valid(&self.d.slot(slot).geometry);
        match self.validity.get(slot as usize) {
            Some(cell) => *cell.get_or_init(valid),
            None => valid(),
        }
    }

    pub(super) fn grid(&self, slot: u32) -> &'a Grid {
        self.d.slot(slot)
    }

    /// The community a grid lies in by the hierarchy: a base grid's parent, or the parent of a
    /// child grid's base grid.
    pub(super) fn community_of(&self, g: &Grid) -> Option<String> {
        match g.layer {
            Layer::Base => g.parent.clone(),
            Layer::Micro | Layer::Special => {
                let base = self.d.grid(&g.parent.clone()?.into(), self.as_of)?;
                base.parent.clone()
            }
            Layer::Composite => None,
        }
    }
}

/// "in community X" or, without a hierarchy, "in the grid set".
pub(super) fn place(area: Option<&str>) -> String {
    match area {
        Some(code) => format!("in community {code}"),
        None => "in the grid set".to_string(),
    }
}

/// "near (lon, lat)": a point inside the geometry, so the message can be pasted into a map.
pub(super) fn near(mp: &MultiPolygon<f64>) -> String {
    let p = mp
        .interior_point()
        .or_else(|| mp.bounding_rect().map(|r| Point(r.center())));
    match p {
        Some(p) => format!("near ({:.5}, {:.5})", p.x(), p.y()),
        None => "at an unknown place".to_string(),
    }
}

pub(super) use crate::index::union_rect;

pub(super) fn union_rects(rects: impl IntoIterator<Item = Rect<f64>>) -> Option<Rect<f64>> {
    rects.into_iter().reduce(union_rect)
}

/// Closed-box intersection (touching boxes meet).
pub(super) fn rects_meet(a: Rect<f64>, b: Rect<f64>) -> bool {
    a.min().x <= b.max().x
        && b.min().x <= a.max().x
        && a.min().y <= b.max().y
        && b.min().y <= a.max().y
}

/// Whether `inner` lies within `outer`.
pub(super) fn rect_within(inner: Rect<f64>, outer: Rect<f64>) -> bool {
    outer.min().x <= inner.min().x
        && outer.min().y <= inner.min().y
        && inner.max().x <= outer.max().x
        && inner.max().y <= outer.max().y
}

/// Whether two boxes share area (not just an edge), a cheap filter before an intersection.
pub(super) fn rects_share_area(a: Rect<f64>, b: Rect<f64>) -> bool {
    a.min().x < b.max().x && b.min().x < a.max().x && a.min().y < b.max().y && b.min().y < a.max().y
}

pub(super) fn rect_polygon(r: Rect<f64>) -> MultiPolygon<f64> {
    MultiPolygon(vec![r.to_polygon()])
}

/// Whether the boundary of `piece` runs along (or touches) the boundary of `grid`.
pub(super) fn borders(piece: &MultiPolygon<f64>, grid: &MultiPolygon<f64>) -> bool {
    let (Some(pb), Some(gb)) = (piece.bounding_rect(), grid.bounding_rect()) else {
        return false;
    };
    let slack = Coord {
        x: TOUCH_TOLERANCE_DEG,
        y: TOUCH_TOLERANCE_DEG,
    };
    if !rects_meet(pb, Rect::new(gb.min() - slack, gb.max() + slack)) {
        return false;
    }
    let rings: Vec<_> = grid
        .0
        .iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .collect();
    piece
        .0
        .iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .flat_map(|ring| ring.0.iter())
        .any(|c| {
            let p = Point(*c);
            rings
                .iter()
                .any(|ring| Euclidean.distance(&p, *ring) <= TOUCH_TOLERANCE_DEG)
        })
}

/// The problem for a check that could not run on `slots`: kind `check_failed`, severity error,
/// the grids, the check and the reason. Its geometry is the box of the grids, so that a run
/// scoped to a region near them keeps it.
pub(super) fn check_failed(
    ctx: &Ctx,
    check: &str,
    slots: impl IntoIterator<Item = u32>,
    area: Option<String>,
    reason: &dyn std::fmt::Display,
) -> Problem {
    let slots: Vec<u32> = slots.into_iter().collect();
    let grids = sorted_ids(ctx, slots.iter().copied());
    let bbox = union_rects(
        slots
            .iter()
            .filter_map(|&s| ctx.grid(s).geometry.bounding_rect()),
    );
    let named = match grids.len() {
        0 => "no grid".to_string(),
        1..=5 => format!("grid(s) {}", join_ids(&grids)),
        n => format!("{n} grids ({}, …)", join_ids(&grids[..3])),
    };
    let mut details = serde_json::Map::new();
    details.insert("check".into(), check.into());
    details.insert("reason".into(), reason.to_string().into());
    Problem {
        kind: ProblemKind::CheckFailed,
        severity: Severity::Error,
        measure: Measure::count(grids.len() as f64),
        message: format!(
            "the {check} check could not run for {named} {}: {reason}",
            place(area.as_deref())
        ),
        grids,
        buildings: vec![],
        area,
        details,
        geometry: bbox.map(|r| geo::Geometry::Polygon(r.to_polygon())),
    }
}

/// The polygons of `mp` whose boxes meet `rect`: the only ones an overlay confined to `rect`
/// needs (a mask of lakes over a whole province, cut down to one community).
pub(super) fn parts_meeting(mp: &MultiPolygon<f64>, rect: Rect<f64>) -> MultiPolygon<f64> {
    MultiPolygon(
        mp.0.iter()
            .filter(|p| p.bounding_rect().is_some_and(|b| rects_meet(b, rect)))
            .cloned()
            .collect(),
    )
}

/// Grid ids of slots, sorted and deduplicated.
pub(super) fn sorted_ids(ctx: &Ctx, slots: impl IntoIterator<Item = u32>) -> Vec<GridId> {
    let mut ids: Vec<GridId> = slots.into_iter().map(|s| ctx.grid(s).id.clone()).collect();
    ids.sort();
    ids.dedup();
    ids
}

/// Grid ids for a message: "a, b, c".
pub(super) fn join_ids(ids: &[GridId]) -> String {
    ids.iter()
        .map(|g| g.0.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}
