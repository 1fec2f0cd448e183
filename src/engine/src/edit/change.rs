//! Change sets and how they are committed to (and taken back from) a district.

use super::error::EditError;
use crate::district::District;
use crate::model::{Grid, GridId};
use chrono::NaiveDate;

/// One grid's change: create (`before` none), retire (`after` none) or a new version (both).
#[derive(Debug, Clone, PartialEq)]
pub struct GridChange {
    pub before: Option<Grid>,
    pub after: Option<Grid>,
}

impl GridChange {
    pub fn id(&self) -> Option<&GridId> {
        self.after.as_ref().or(self.before.as_ref()).map(|g| &g.id)
    }
}

/// Everything one edit changes, effective on `date`. Base grids come before micro/special grids,
/// and composites last, because a composite's geometry is computed from its members' current
/// versions when it is added.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeSet {
    pub date: NaiveDate,
    pub changes: Vec<GridChange>,
}

impl ChangeSet {
    /// Ids of every grid the change set touches (before or after), sorted, without repeats.
    pub fn ids(&self) -> Vec<GridId> {
        let mut ids: Vec<GridId> = self
            .changes
            .iter()
            .filter_map(|c| c.id().cloned())
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }

    pub fn change_of(&self, id: &GridId) -> Option<&GridChange> {
        self.changes.iter().find(|c| c.id() == Some(id))
    }
}

/// What was done, so that it can be taken back in reverse order.
#[derive(Debug)]
pub(crate) enum Step {
    Closed(GridId),
    Added(GridId),
}

/// Commits a change set: closes the old versions on `date` and adds the new ones (version + 1,
/// same id and code, valid from `date`). All or nothing: on failure every step already taken is
/// undone and the district is as before.
pub fn apply(d: &mut District, changes: &ChangeSet) -> Result<(), EditError> {
    apply_logged(d, changes).map(|_| ())
}

pub(crate) fn apply_logged(d: &mut District, cs: &ChangeSet) -> Result<Vec<Step>, EditError> {
    let mut steps = Vec::with_capacity(cs.changes.len() * 2);
    for change in &cs.changes {
        if let Err(e) = apply_one(d, cs.date, change, &mut steps) {
            undo(d, cs.date, steps);
            return Err(e);
        }
    }
    Ok(steps)
}

fn apply_one(
    d: &mut District,
    date: NaiveDate,
    change: &GridChange,
    steps: &mut Vec<Step>,
) -> Result<(), EditError> {
    let mut next_version = 1;
    if let Some(before) = &change.before {
        let current = d
            .grid(&before.id, None)
            .ok_or_else(|| EditError::UnknownGrid(before.id.clone()))?;
        if current.version != before.version {
            return Err(EditError::Conflict {
                grid: before.id.clone(),
                expected: before.version,
                actual: current.version,
            });
        }
        if current.valid_from > date {
            // Planning refuses this already; a change set applied without planning (replay of a
            // foreign log) is refused the same way.
            return Err(EditError::DateBeforeVersion {
                grid: before.id.clone(),
                date,
                current_from: current.valid_from,
            });
        }
        next_version = before.version + 1;
        if let Some(after) = &change.after {
            if after.id != before.id {
                return Err(EditError::Apply {
                    grid: before.id.clone(),
                    reason: format!("the new version has another id, {}", after.id),
                });
            }
        }
        d.close_version(&before.id, date);
        steps.push(Step::Closed(before.id.clone()));
    } else if let Some(after) = &change.after {
        if !d.history(&after.id).is_empty() {
            return Err(EditError::IdInUse(after.id.clone()));
        }
    }
    if let Some(after) = &change.after {
        let mut grid = after.clone();
        grid.version = next_version;
        grid.valid_from = date;
        grid.valid_to = None;
        d.add_version(grid).map_err(|e| EditError::Apply {
            grid: after.id.clone(),
            reason: e.to_string(),
        })?;
        steps.push(Step::Added(after.id.clone()));
    }
    Ok(())
}

/// Takes back steps of [`apply_logged`], newest first.
pub(crate) fn undo(d: &mut District, date: NaiveDate, steps: Vec<Step>) {
    for step in steps.into_iter().rev() {
        match step {
            Step::Added(id) => {
                d.remove_last_version(&id);
            }
            Step::Closed(id) => {
                d.reopen(&id, date);
            }
        }
    }
}
