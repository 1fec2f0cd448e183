//! The pipeline every edit goes through.

use super::change::{apply, apply_logged, undo, ChangeSet, GridChange};
use super::error::EditError;
use super::followups::{composites, repair_t_junctions};
use super::impact::{affected_rect, compare, snapshot, Impact};
use super::scope::check_within_district;
use super::{ops, Edit, EditOptions};
use crate::district::District;
use crate::model::{GridId, Layer};

/// A planned edit: what it changes and what that does.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub changes: ChangeSet,
    pub impact: Impact,
    /// The plan creates problems that break the hierarchy and was kept because of
    /// `force_draft`; its new versions carry `"draft": true`.
    pub draft: bool,
    /// Composite grids changed only because their members changed (they follow their members,
    /// [`composites`]); who may make the edit is decided by the members' own changes.
    pub followers: Vec<GridId>,
}

/// Plans an edit. The district is applied to and restored before returning (same versions,
/// same validity dates, same index contents), so it is unchanged; `&mut` is needed only for
/// that temporary application, which lets assignment and validation run on the real indexes
/// instead of a copy of the district.
pub fn plan(d: &mut District, edit: &Edit, opts: &EditOptions) -> Result<Plan, EditError> {
    for (id, expected) in &opts.expected_versions {
        let actual = ops::current(d, id)?.version;
        if actual != *expected {
            return Err(EditError::Conflict {
                grid: id.clone(),
                expected: *expected,
                actual,
            });
        }
    }
    let date = opts.date;
    let primary = match edit {
        Edit::Create { grid } => ops::create(d, grid, date)?,
        Edit::Reshape { id, geometry } => ops::reshape(d, id, geometry, date)?,
        Edit::Split { id, line, new_ids } => {
            ops::split(d, id, line, new_ids.as_ref(), date, opts.sequence_width)?
        }
        Edit::Merge { ids, keep } => ops::merge(d, ids, keep, date)?,
        Edit::MoveBoundary { from, to } => ops::move_boundary(d, *from, *to, date)?,
        Edit::RerouteBoundary { a, b, path } => ops::reroute(d, a, b, path, date)?,
        Edit::SetStatus { id, status } => ops::set_status(d, id, *status, date)?,
        Edit::Retire { id } => ops::retire(d, id)?,
    };
    let mut changes = primary.changes;
    repair_t_junctions(d, &mut changes, date);
    check_geometries(&changes)?;
    let follow = composites(d, &changes, &primary.replaced, date)?;
    let followers: Vec<GridId> = follow.iter().filter_map(|c| c.id().cloned()).collect();
    changes.extend(follow);
    check_dates(&changes, date)?;
    check_within_district(d, &changes, opts.district_margin_m)?;
    // Base grids first, then children (their parents must exist), composites last (their
    // geometry is recomputed from members' current versions when added).
    changes.sort_by_key(
        |c| match c.after.as_ref().or(c.before.as_ref()).map(|g| &g.layer) {
            Some(Layer::Base) => 0,
            Some(Layer::Micro | Layer::Special) => 1,
            _ => 2,
        },
    );
    let mut cs = ChangeSet { date, changes };

    let ids: Vec<GridId> = cs.ids();
    let rect = affected_rect(&cs);
    let before = snapshot(d, rect, &ids, &opts.config);
    let steps = apply_logged(d, &cs)?;
    let after = snapshot(d, rect, &ids, &opts.config);
    undo(d, date, steps);
    let impact = compare(d, before, after, primary.reparented);

    let breaking: Vec<_> = impact
        .problems
        .created
        .iter()
        .filter(|p| p.kind.breaks_hierarchy())
        .cloned()
        .collect();
    let draft = !breaking.is_empty();
    if draft && !opts.force_draft {
        return Err(EditError::BreaksHierarchy(breaking));
    }
    if draft {
        for g in cs.changes.iter_mut().filter_map(|c| c.after.as_mut()) {
            g.properties.insert("draft".into(), true.into());
        }
    }
    Ok(Plan {
        changes: cs,
        impact,
        draft,
        followers,
    })
}

/// Plans and applies an edit.
pub fn commit(d: &mut District, edit: &Edit, opts: &EditOptions) -> Result<Plan, EditError> {
    let plan = plan(d, edit, opts)?;
    apply(d, &plan.changes)?;
    Ok(plan)
}

/// Refuses an edit dated before the start of a version it replaces (or retires): a version
/// cannot end before it begins. Checked here, for every grid the edit reaches (neighbours and
/// composites included), so it is the client's 4xx and not a failure while applying.
fn check_dates(changes: &[GridChange], date: chrono::NaiveDate) -> Result<(), EditError> {
    for b in changes.iter().filter_map(|c| c.before.as_ref()) {
        if b.valid_from > date {
            return Err(EditError::DateBeforeVersion {
                grid: b.id.clone(),
                date,
                current_from: b.valid_from,
            });
        }
    }
    Ok(())
}

/// Refuses geometries that cannot be stored meaningfully (empty, self-intersecting…); problems
/// between valid geometries are validation's business.
fn check_geometries(changes: &[GridChange]) -> Result<(), EditError> {
    for c in changes {
        let Some(after) = &c.after else { continue };
        if after.layer == Layer::Composite {
            continue;
        }
        if after.geometry.0.is_empty() {
            return Err(EditError::InvalidGeometry {
                grid: after.id.clone(),
                reason: "empty geometry".into(),
            });
        }
        let same = c
            .before
            .as_ref()
            .is_some_and(|b| b.geometry == after.geometry);
        if !same {
            if let Some(e) = crate::validity::first_error(&after.geometry) {
                return Err(EditError::InvalidGeometry {
                    grid: after.id.clone(),
                    reason: e.to_string(),
                });
            }
        }
    }
    Ok(())
}
