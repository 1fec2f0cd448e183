//! TEMPORARY STAND-IN for `validate::validate_around`, written on the `edit` branch so that the
//! edit module's tests are meaningful. The real implementation is written in parallel with the
//! same signature and replaces this file at merge; the edit module calls it only through
//! `edit::impact::validate_around`.
//!
//! Checks, in the simplest way: overlaps between the given grids and their R-tree neighbours of
//! the same index group, gaps left in the communities of the given base grids, children outside
//! their parent, and invalid geometries.

use crate::district::District;
use crate::lattice;
use crate::measure::area_m2;
use crate::model::{Grid, GridId, Layer};
use crate::validate::{Config, Measure, Problem, ProblemKind, Report, Severity};
use chrono::NaiveDate;
use geo::{BoundingRect, MultiPolygon, Validation};
use std::collections::BTreeSet;

fn problem(
    kind: ProblemKind,
    grids: Vec<String>,
    area: Option<String>,
    m2: f64,
    what: String,
) -> Problem {
    Problem {
        kind,
        severity: Severity::Error,
        grids,
        buildings: vec![],
        area,
        measure: Measure::m2(m2),
        details: Default::default(),
        geometry: None,
        message: what,
    }
}

pub fn validate_around(
    d: &District,
    grids: &[GridId],
    as_of: Option<NaiveDate>,
    config: &Config,
) -> Report {
    let mut problems = Vec::new();
    let visible: Vec<&Grid> = grids.iter().filter_map(|id| d.grid(id, as_of)).collect();

    // Overlaps with neighbours of the same group (base with base, child with sibling child).
    let mut pairs: BTreeSet<(GridId, GridId)> = BTreeSet::new();
    for g in visible.iter().filter(|g| g.layer != Layer::Composite) {
        let Some(bbox) = g.geometry.bounding_rect() else {
            continue;
        };
        for s in d.slots_in_rect(&g.layer, bbox, as_of) {
            let o = d.slot(s);
            if o.id == g.id || (g.layer.is_child() && o.parent != g.parent) {
                continue;
            }
            let key = if g.id < o.id {
                (g.id.clone(), o.id.clone())
            } else {
                (o.id.clone(), g.id.clone())
            };
            if !pairs.insert(key.clone()) {
                continue;
            }
            let Ok(inter) = lattice::intersection(&g.geometry, &o.geometry) else {
                continue;
            };
            let a = area_m2(&inter);
            if a > config.min_area_m2 {
                problems.push(problem(
                    ProblemKind::Overlap,
                    vec![key.0 .0.clone(), key.1 .0.clone()],
                    None,
                    a,
                    format!("grids {} and {} overlap by {a:.2} m²", key.0, key.1),
                ));
            }
        }
    }

    // Gaps in the communities of the given base grids (retired ones included: retiring opens
    // a gap in the community the grid was in).
    let communities: BTreeSet<String> = grids
        .iter()
        .filter_map(|id| d.history(id).last().copied())
        .filter(|g| g.layer == Layer::Base)
        .filter_map(|g| g.parent.clone())
        .collect();
    for code in communities {
        let bases: Vec<&MultiPolygon<f64>> = d
            .base_grids_of(&code, as_of)
            .into_iter()
            .map(|g| &g.geometry)
            .collect();
        let gaps = match d.area(&code).and_then(|a| a.geometry.as_ref()) {
            Some(area) => lattice::difference_all(area, bases),
            None => lattice::union_all(bases).map(|u| {
                MultiPolygon(
                    u.0.iter()
                        .flat_map(|p| {
                            p.interiors()
                                .iter()
                                .map(|r| geo::Polygon::new(r.clone(), vec![]))
                        })
                        .collect(),
                )
            }),
        };
        let Ok(gaps) = gaps else { continue };
        for piece in gaps.0 {
            let a = area_m2(&MultiPolygon(vec![piece]));
            if a > config.min_area_m2 {
                problems.push(problem(
                    ProblemKind::Gap,
                    vec![],
                    Some(code.clone()),
                    a,
                    format!("{a:.2} m² of community {code} is in no base grid"),
                ));
            }
        }
    }

    // Children outside their parent: the given children and the children of given base grids.
    let mut children: Vec<&Grid> = visible
        .iter()
        .copied()
        .filter(|g| g.layer.is_child())
        .collect();
    for g in visible.iter().filter(|g| g.layer == Layer::Base) {
        children.extend(d.children_of(&g.id, as_of));
    }
    children.sort_by(|a, b| a.id.cmp(&b.id));
    children.dedup_by(|a, b| a.id == b.id);
    for c in children {
        let Some(parent) = c
            .parent
            .as_ref()
            .and_then(|p| d.grid(&GridId(p.clone()), as_of))
        else {
            continue;
        };
        let Ok(out) = lattice::difference(&c.geometry, &parent.geometry) else {
            continue;
        };
        let a = area_m2(&out);
        if a > config.min_area_m2 {
            problems.push(problem(
                ProblemKind::ChildOutsideParent,
                vec![c.id.0.clone()],
                None,
                a,
                format!(
                    "{a:.2} m² of grid {} lies outside its base grid {}",
                    c.id, parent.id
                ),
            ));
        }
    }

    for g in &visible {
        if !g.geometry.is_valid() {
            problems.push(problem(
                ProblemKind::InvalidGeometry,
                vec![g.id.0.clone()],
                None,
                0.0,
                format!("grid {} has an invalid geometry", g.id),
            ));
        }
    }
    Report::new(problems)
}
