//! Changes that follow from an edit's own changes: neighbours that must take new vertices
//! (T-junction repair) and composite grids whose members or member geometries change.

use super::change::GridChange;
use super::error::EditError;
use super::ops::revise;
use super::topology::{coord, insert_vertices, vertex_set, Pt, ON_EDGE_UNITS};
use crate::district::District;
use crate::lattice;
use crate::model::{GridId, Layer};
use chrono::NaiveDate;
use geo::{MultiPolygon, Rect};
use std::collections::{BTreeSet, HashMap, HashSet};

/// Vertices an edit introduces: in a changed grid's new geometry but not its old one.
fn new_vertices(changes: &[GridChange]) -> Vec<Pt> {
    let mut out: BTreeSet<Pt> = BTreeSet::new();
    for c in changes {
        let Some(after) = &c.after else { continue };
        if after.layer == Layer::Composite {
            continue;
        }
        let old: HashSet<Pt> = c
            .before
            .as_ref()
            .map(|b| vertex_set(&b.geometry))
            .unwrap_or_default();
        out.extend(
            vertex_set(&after.geometry)
                .into_iter()
                .filter(|p| !old.contains(p)),
        );
    }
    out.into_iter().collect()
}

/// T-junction repair: every vertex the changes introduce on an edge of another grid (changed or
/// not, base or child) is inserted into that edge, so shared boundaries stay vertex-for-vertex
/// identical. Untouched neighbours that need a vertex get a new version.
pub(crate) fn repair_t_junctions(d: &District, changes: &mut Vec<GridChange>, date: NaiveDate) {
    let added = new_vertices(changes);
    if added.is_empty() {
        return;
    }
    for c in changes.iter_mut() {
        let Some(after) = c.after.as_mut() else {
            continue;
        };
        if after.layer == Layer::Composite {
            continue;
        }
        if let Some(g) = insert_vertices(&after.geometry, &added, ON_EDGE_UNITS) {
            after.geometry = g;
        }
    }
    let touched: HashSet<GridId> = changes.iter().filter_map(|c| c.id().cloned()).collect();
    let mut neighbours: BTreeSet<u32> = BTreeSet::new();
    let pad = ON_EDGE_UNITS / lattice::UNITS_PER_DEGREE;
    for p in &added {
        let c = coord(*p);
        let r = Rect::new(
            geo::Coord {
                x: c.x - pad,
                y: c.y - pad,
            },
            geo::Coord {
                x: c.x + pad,
                y: c.y + pad,
            },
        );
        neighbours.extend(d.slots_in_rect(&Layer::Base, r, None));
        neighbours.extend(d.slots_in_rect(&Layer::Micro, r, None));
    }
    for s in neighbours {
        let g = d.slot(s);
        if touched.contains(&g.id) {
            continue;
        }
        if let Some(geometry) = insert_vertices(&g.geometry, &added, ON_EDGE_UNITS) {
            let mut after = revise(g, date);
            after.geometry = geometry;
            changes.push(GridChange {
                before: Some(g.clone()),
                after: Some(after),
            });
        }
    }
}

/// New versions of the current composite grids whose members are replaced (split, merge,
/// retire) or whose members' geometries change; a composite left with no member is retired.
pub(crate) fn composites(
    d: &District,
    changes: &[GridChange],
    replaced: &HashMap<GridId, Vec<GridId>>,
    date: NaiveDate,
) -> Result<Vec<GridChange>, EditError> {
    let mut geometry_of: HashMap<&GridId, Option<&MultiPolygon<f64>>> = HashMap::new();
    for c in changes {
        if let Some(id) = c.id() {
            geometry_of.insert(id, c.after.as_ref().map(|g| &g.geometry));
        }
    }
    let mut out = Vec::new();
    for comp in d.grids_of_layer(&Layer::Composite, None) {
        if !comp.members.iter().any(|m| geometry_of.contains_key(m)) {
            continue;
        }
        let mut members: Vec<GridId> = Vec::with_capacity(comp.members.len() + 1);
        for m in &comp.members {
            match replaced.get(m) {
                Some(new) => members.extend(new.iter().cloned()),
                None => members.push(m.clone()),
            }
        }
        members.sort();
        members.dedup();
        if members.is_empty() {
            out.push(GridChange {
                before: Some(comp.clone()),
                after: None,
            });
            continue;
        }
        let mut parts: Vec<&MultiPolygon<f64>> = Vec::with_capacity(members.len());
        for m in &members {
            match geometry_of.get(m) {
                Some(Some(g)) => parts.push(g),
                Some(None) => {}
                None => parts.push(
                    &d.grid(m, None)
                        .ok_or_else(|| EditError::UnknownGrid(m.clone()))?
                        .geometry,
                ),
            }
        }
        let geometry = lattice::union_all(parts).map_err(|e| EditError::InvalidGeometry {
            grid: comp.id.clone(),
            reason: e.to_string(),
        })?;
        let mut after = revise(comp, date);
        after.members = members;
        after.geometry = geometry;
        out.push(GridChange {
            before: Some(comp.clone()),
            after: Some(after),
        });
    }
    Ok(out)
}
