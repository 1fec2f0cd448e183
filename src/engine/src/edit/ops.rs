//! The primary changes of each edit, before follow-ups (T-junction repair, composites).

use super::change::GridChange;
use super::codes::next_codes;
use super::cut::slice_keep_vertices;
use super::error::EditError;
use super::impact::Reparented;
use super::topology::{
    has_vertex, insert_vertices, move_vertex, ring_from_units, ring_units, rings, shared_chain,
    shared_length_units, units, vertex_set, Pt,
};
use crate::district::{normalise, District};
use crate::lattice;
use crate::measure::{area_m2, polygon_area_m2};
use crate::model::{Grid, GridId, GridStatus, Layer};
use chrono::NaiveDate;
use geo::{Coord, LineString, MultiPolygon, Polygon, Rect};
use std::collections::HashMap;

/// The result of an edit's own logic.
#[derive(Debug, Default)]
pub(crate) struct Primary {
    pub changes: Vec<GridChange>,
    pub reparented: Vec<Reparented>,
    /// Retired base grid → the grids that take its place in composites (empty: none).
    pub replaced: HashMap<GridId, Vec<GridId>>,
}

pub(crate) fn current<'a>(d: &'a District, id: &GridId) -> Result<&'a Grid, EditError> {
    d.grid(id, None)
        .ok_or_else(|| EditError::UnknownGrid(id.clone()))
}

/// The next version of `g`, valid from `date` (apply sets version and dates again; they are set
/// here so that a plan shows the versions it will create).
pub(crate) fn revise(g: &Grid, date: NaiveDate) -> Grid {
    let mut next = g.clone();
    next.version = g.version + 1;
    next.valid_from = date;
    next.valid_to = None;
    next
}

fn modify(g: &Grid, date: NaiveDate, geometry: MultiPolygon<f64>) -> GridChange {
    let mut after = revise(g, date);
    after.geometry = geometry;
    GridChange {
        before: Some(g.clone()),
        after: Some(after),
    }
}

fn check_new_id(d: &District, id: &GridId) -> Result<(), EditError> {
    if d.history(id).is_empty() {
        Ok(())
    } else {
        Err(EditError::IdInUse(id.clone()))
    }
}

pub(crate) fn create(d: &District, grid: &Grid, date: NaiveDate) -> Result<Primary, EditError> {
    check_new_id(d, &grid.id)?;
    if d.all_versions().iter().any(|g| g.code == grid.code) {
        return Err(EditError::CodeInUse(grid.code.clone()));
    }
    if let Some(parent) = &grid.parent {
        let known = match grid.layer {
            Layer::Base => d.area(parent).is_some(),
            Layer::Micro | Layer::Special => d.grid(&GridId(parent.clone()), None).is_some(),
            Layer::Composite => true,
        };
        if !known {
            return Err(EditError::UnknownParent {
                grid: grid.id.clone(),
                parent: parent.clone(),
            });
        }
    }
    let mut g = grid.clone();
    g.geometry = normalise(&g.geometry);
    g.version = 1;
    g.valid_from = date;
    g.valid_to = None;
    Ok(Primary {
        changes: vec![GridChange {
            before: None,
            after: Some(g),
        }],
        ..Default::default()
    })
}

pub(crate) fn reshape(
    d: &District,
    id: &GridId,
    geometry: &MultiPolygon<f64>,
    date: NaiveDate,
) -> Result<Primary, EditError> {
    let g = current(d, id)?;
    Ok(Primary {
        changes: vec![modify(g, date, normalise(geometry))],
        ..Default::default()
    })
}

pub(crate) fn set_status(
    d: &District,
    id: &GridId,
    status: GridStatus,
    date: NaiveDate,
) -> Result<Primary, EditError> {
    let g = current(d, id)?;
    let mut after = revise(g, date);
    after.status = status;
    Ok(Primary {
        changes: vec![GridChange {
            before: Some(g.clone()),
            after: Some(after),
        }],
        ..Default::default()
    })
}

pub(crate) fn retire(d: &District, id: &GridId) -> Result<Primary, EditError> {
    let g = current(d, id)?;
    let children: Vec<GridId> = d
        .children_of(id, None)
        .into_iter()
        .map(|c| c.id.clone())
        .collect();
    if g.layer == Layer::Base && !children.is_empty() {
        return Err(EditError::HasChildren {
            grid: id.clone(),
            children,
        });
    }
    Ok(Primary {
        changes: vec![GridChange {
            before: Some(g.clone()),
            after: None,
        }],
        replaced: HashMap::from([(id.clone(), vec![])]),
        ..Default::default()
    })
}

/// Re-parents each current child of `old` to the candidate holding most of its area (ties: the
/// first candidate, which callers order by preference).
fn reparent_children(
    d: &District,
    old: &GridId,
    candidates: &[(GridId, &MultiPolygon<f64>)],
    date: NaiveDate,
    out: &mut Primary,
) {
    for child in d.children_of(old, None) {
        let mut best: Option<(&GridId, f64)> = None;
        for (id, geom) in candidates {
            let share = lattice::intersection(&child.geometry, geom)
                .map(|i| area_m2(&i))
                .unwrap_or(0.0);
            if best.is_none_or(|(_, b)| share > b) {
                best = Some((id, share));
            }
        }
        let Some((to, _)) = best else { continue };
        let mut after = revise(child, date);
        after.parent = Some(to.0.clone());
        out.reparented.push(Reparented {
            child: child.id.clone(),
            from: child.parent.as_ref().map(|p| GridId(p.clone())),
            to: to.clone(),
        });
        out.changes.push(GridChange {
            before: Some(child.clone()),
            after: Some(after),
        });
    }
}

/// Split: the original grid is retired and the two pieces are new grids with the next unused
/// codes under the same parent (the larger piece gets the lower code).
pub(crate) fn split(
    d: &District,
    id: &GridId,
    line: &LineString<f64>,
    new_ids: Option<&[GridId; 2]>,
    date: NaiveDate,
    sequence_width: usize,
) -> Result<Primary, EditError> {
    let g = current(d, id)?;
    let line = LineString(line.0.iter().map(|c| lattice::snap(*c)).collect());
    let mut pieces =
        slice_keep_vertices(&g.geometry, &line).map_err(|e| EditError::InvalidGeometry {
            grid: id.clone(),
            reason: format!("the line or grid is too large or not finite: {e}"),
        })?;
    match pieces.len() {
        0 | 1 => return Err(EditError::LineDoesNotSplit(id.clone())),
        2 => {}
        n => {
            return Err(EditError::LineSplitsIntoMany {
                grid: id.clone(),
                pieces: n,
            })
        }
    }
    // Larger piece first; ties by lowest first vertex so that the order never depends on
    // i_overlay's output order.
    pieces.sort_by(|a, b| {
        polygon_area_m2(b)
            .total_cmp(&polygon_area_m2(a))
            .then_with(|| min_vertex(a).cmp(&min_vertex(b)))
    });
    let parent = g.parent.clone().unwrap_or_default();
    let codes = next_codes(d, &g.layer, &parent, 2, sequence_width);
    let ids: Vec<GridId> = match new_ids {
        Some(ids) => ids.to_vec(),
        None => codes.iter().map(|c| GridId(c.clone())).collect(),
    };
    if ids[0] == ids[1] {
        return Err(EditError::IdInUse(ids[1].clone()));
    }
    let mut out = Primary {
        changes: vec![GridChange {
            before: Some(g.clone()),
            after: None,
        }],
        replaced: HashMap::from([(id.clone(), ids.clone())]),
        ..Default::default()
    };
    let mut geoms = Vec::new();
    for (k, (piece, (new_id, code))) in pieces.into_iter().zip(ids.iter().zip(&codes)).enumerate() {
        check_new_id(d, new_id)?;
        let mut ng = g.clone();
        ng.id = new_id.clone();
        ng.code = code.clone();
        ng.name = format!("{}-{}", g.name, k + 1);
        ng.geometry = normalise(&MultiPolygon(vec![piece]));
        ng.version = 1;
        ng.valid_from = date;
        ng.valid_to = None;
        geoms.push((new_id.clone(), ng.geometry.clone()));
        out.changes.push(GridChange {
            before: None,
            after: Some(ng),
        });
    }
    let candidates: Vec<(GridId, &MultiPolygon<f64>)> =
        geoms.iter().map(|(i, m)| (i.clone(), m)).collect();
    reparent_children(d, id, &candidates, date, &mut out);
    Ok(out)
}

fn min_vertex(p: &Polygon<f64>) -> Option<Pt> {
    p.exterior().0.iter().map(|c| units(*c)).min()
}

/// Merge: `keep` takes the union and keeps its id and code; the other grid is retired and its
/// children move to `keep`.
pub(crate) fn merge(
    d: &District,
    ids: &[GridId; 2],
    keep: &GridId,
    date: NaiveDate,
) -> Result<Primary, EditError> {
    let other = if *keep == ids[0] {
        &ids[1]
    } else if *keep == ids[1] {
        &ids[0]
    } else {
        return Err(EditError::KeepNotMerged(keep.clone()));
    };
    let (k, o) = (current(d, keep)?, current(d, other)?);
    if k.id == o.id {
        return Err(EditError::NotAdjacent(k.id.clone(), o.id.clone()));
    }
    if k.layer != o.layer {
        return Err(EditError::DifferentLayers(k.id.clone(), o.id.clone()));
    }
    if k.parent != o.parent {
        return Err(EditError::DifferentParents(k.id.clone(), o.id.clone()));
    }
    if shared_length_units(&k.geometry, &o.geometry) <= 0.0 {
        return Err(EditError::NotAdjacent(k.id.clone(), o.id.clone()));
    }
    // A composite holding only one of the two would end up holding half a base grid.
    for c in d.grids_of_layer(&Layer::Composite, None) {
        if c.members.contains(&k.id) != c.members.contains(&o.id) {
            return Err(EditError::BreaksComposite {
                grid: o.id.clone(),
                composite: c.id.clone(),
            });
        }
    }
    let union =
        lattice::union(&k.geometry, &o.geometry).map_err(|e| EditError::InvalidGeometry {
            grid: k.id.clone(),
            reason: e.to_string(),
        })?;
    let mut out = Primary {
        changes: vec![
            modify(k, date, normalise(&union)),
            GridChange {
                before: Some(o.clone()),
                after: None,
            },
        ],
        replaced: HashMap::from([(o.id.clone(), vec![k.id.clone()])]),
        ..Default::default()
    };
    let merged = normalise(&union);
    reparent_children(d, &o.id, &[(k.id.clone(), &merged)], date, &mut out);
    Ok(out)
}

fn point_rect(c: Coord<f64>) -> Rect<f64> {
    Rect::new(c, c)
}

/// MoveBoundary: every current base/micro/special grid with a vertex at `from`, or an edge
/// passing exactly through it, moves that vertex to `to`, so grids that shared it still do.
pub(crate) fn move_boundary(
    d: &District,
    from: Coord<f64>,
    to: Coord<f64>,
    date: NaiveDate,
) -> Result<Primary, EditError> {
    let (fc, tc) = (lattice::snap(from), lattice::snap(to));
    let (fp, tp) = (units(fc), units(tc));
    let mut slots = d.slots_in_rect(&Layer::Base, point_rect(fc), None);
    slots.extend(d.slots_in_rect(&Layer::Micro, point_rect(fc), None));
    let mut out = Primary::default();
    for s in slots {
        let g = d.slot(s);
        let geometry = if has_vertex(&g.geometry, fp) {
            g.geometry.clone()
        } else if let Some(with) = insert_vertices(&g.geometry, &[fp], 0.0) {
            // The point is a T-junction seen from this grid: give it the vertex, then move it.
            with
        } else {
            continue;
        };
        out.changes
            .push(modify(g, date, move_vertex(&geometry, fp, tp)));
    }
    if out.changes.is_empty() {
        return Err(EditError::NoVertexAt { x: fc.x, y: fc.y });
    }
    Ok(out)
}

/// RerouteBoundary: `a` gets its shared chain with `b` replaced by `path`; `b` gets the rest of
/// their union, so the two still tile exactly what they tiled before.
pub(crate) fn reroute(
    d: &District,
    a_id: &GridId,
    b_id: &GridId,
    path: &LineString<f64>,
    date: NaiveDate,
) -> Result<Primary, EditError> {
    let (a, b) = (current(d, a_id)?, current(d, b_id)?);
    let invalid = |g: &GridId, reason: String| EditError::InvalidGeometry {
        grid: g.clone(),
        reason,
    };
    // Make each side carry the other's vertices on the shared edges, so edges match one to one.
    let a_geom = insert_vertices(
        &a.geometry,
        &vertex_set(&b.geometry).into_iter().collect::<Vec<_>>(),
        0.0,
    )
    .unwrap_or_else(|| a.geometry.clone());
    let b_geom = insert_vertices(
        &b.geometry,
        &vertex_set(&a.geometry).into_iter().collect::<Vec<_>>(),
        0.0,
    )
    .unwrap_or_else(|| b.geometry.clone());
    let (ring_index, s, e) = match shared_chain(&a_geom, &b_geom) {
        Ok(Some(chain)) => chain,
        Ok(None) => return Err(EditError::NotAdjacent(a_id.clone(), b_id.clone())),
        Err(_) => {
            return Err(EditError::AmbiguousSharedBoundary(
                a_id.clone(),
                b_id.clone(),
            ))
        }
    };
    let ring = rings(&a_geom)
        .nth(ring_index)
        .map(ring_units)
        .unwrap_or_default();
    let n = ring.len();
    let mut p: Vec<Pt> = Vec::with_capacity(path.0.len());
    for c in &path.0 {
        if !c.x.is_finite() || !c.y.is_finite() {
            return Err(invalid(a_id, "the path has a non-finite coordinate".into()));
        }
        let u = units(*c);
        if p.last() != Some(&u) {
            p.push(u);
        }
    }
    let (start, end) = (ring[s], ring[e]);
    match (p.first().copied(), p.last().copied()) {
        (Some(f), Some(l)) if f == start && l == end => {}
        (Some(f), Some(l)) if f == end && l == start => p.reverse(),
        _ => return Err(EditError::PathEndpoints(a_id.clone(), b_id.clone())),
    }
    // New ring: the path from start to end, then a's own vertices from after end round to
    // before start.
    let mut new_ring = p.clone();
    let mut i = (e + 1) % n;
    while i != s {
        new_ring.push(ring[i]);
        i = (i + 1) % n;
    }
    let mut k = 0;
    let new_a = crate::edit::topology::map_rings(&a_geom, |r| {
        let out = if k == ring_index {
            ring_from_units(&new_ring)
        } else {
            r.clone()
        };
        k += 1;
        out
    });
    let new_a = normalise(&new_a);
    let overlay = |e: lattice::OverlayError| invalid(a_id, e.to_string());
    let union = lattice::union(&a_geom, &b_geom).map_err(overlay)?;
    let outside = lattice::difference(&new_a, &union).map_err(overlay)?;
    if !outside.0.is_empty() {
        return Err(invalid(
            a_id,
            format!("the new boundary leaves the area of {a_id} and {b_id}"),
        ));
    }
    let new_b = normalise(&lattice::difference(&union, &new_a).map_err(overlay)?);
    if new_b.0.is_empty() {
        return Err(invalid(b_id, "the new boundary leaves it no area".into()));
    }
    Ok(Primary {
        changes: vec![modify(a, date, new_a), modify(b, date, new_b)],
        ..Default::default()
    })
}
