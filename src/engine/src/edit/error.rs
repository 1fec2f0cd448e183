//! Why an edit is refused.

use crate::model::GridId;
use crate::validate::Problem;
use chrono::NaiveDate;
use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub enum EditError {
    UnknownGrid(GridId),
    /// Optimistic concurrency: the caller edited a version that is no longer current.
    Conflict {
        grid: GridId,
        expected: u32,
        actual: u32,
    },
    /// The id (or code) of a new grid is already used by some version, current or retired:
    /// ids and codes are never reused.
    IdInUse(GridId),
    CodeInUse(String),
    UnknownParent {
        grid: GridId,
        parent: String,
    },
    /// Merge or reroute of grids that do not share an edge of positive length.
    NotAdjacent(GridId, GridId),
    DifferentParents(GridId, GridId),
    DifferentLayers(GridId, GridId),
    /// `keep` of a merge is not one of the merged grids.
    KeepNotMerged(GridId),
    LineDoesNotSplit(GridId),
    /// The line cuts the grid into more than two pieces.
    LineSplitsIntoMany {
        grid: GridId,
        pieces: usize,
    },
    /// No current grid has a vertex (or an edge through) the point to move.
    NoVertexAt {
        x: f64,
        y: f64,
    },
    /// The shared boundary of two grids is not one chain (several chains, or a ring).
    AmbiguousSharedBoundary(GridId, GridId),
    /// The reroute path does not start and end at the shared chain's endpoints.
    PathEndpoints(GridId, GridId),
    /// A base grid with current micro/special grids cannot simply be retired.
    HasChildren {
        grid: GridId,
        children: Vec<GridId>,
    },
    /// Merging would put a base grid in two composite grids of one network, or split a composite.
    BreaksComposite {
        grid: GridId,
        composite: GridId,
    },
    InvalidGeometry {
        grid: GridId,
        reason: String,
    },
    /// A new geometry lies far outside the district, or is larger than it.
    OutsideDistrict {
        grid: GridId,
        reason: String,
    },
    /// The edit's date is before the start of a version it would replace: history runs forward.
    DateBeforeVersion {
        grid: GridId,
        date: NaiveDate,
        current_from: NaiveDate,
    },
    /// The edit creates problems that break the hierarchy; save it with `force_draft` to keep it.
    BreaksHierarchy(Vec<Problem>),
    /// A change set could not be applied; nothing was changed.
    Apply {
        grid: GridId,
        reason: String,
    },
}

impl fmt::Display for EditError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EditError::UnknownGrid(id) => write!(f, "grid {id} does not exist (or is retired)"),
            EditError::Conflict {
                grid,
                expected,
                actual,
            } => write!(
                f,
                "grid {grid} was changed by someone else: you edited version {expected}, the current version is {actual}"
            ),
            EditError::IdInUse(id) => write!(f, "grid id {id} is already used"),
            EditError::CodeInUse(code) => write!(f, "grid code {code} is already used"),
            EditError::UnknownParent { grid, parent } => {
                write!(f, "grid {grid} names unknown parent {parent}")
            }
            EditError::NotAdjacent(a, b) => {
                write!(f, "grids {a} and {b} do not share a boundary edge")
            }
            EditError::DifferentParents(a, b) => {
                write!(f, "grids {a} and {b} have different parents")
            }
            EditError::DifferentLayers(a, b) => {
                write!(f, "grids {a} and {b} are in different layers")
            }
            EditError::KeepNotMerged(id) => {
                write!(f, "grid {id} to keep is not one of the merged grids")
            }
            EditError::LineDoesNotSplit(id) => {
                write!(f, "the line does not cut grid {id} in two")
            }
            EditError::LineSplitsIntoMany { grid, pieces } => write!(
                f,
                "the line cuts grid {grid} into {pieces} pieces; draw a line that cuts it in two"
            ),
            EditError::NoVertexAt { x, y } => {
                write!(f, "no grid has a boundary vertex at ({x}, {y})")
            }
            EditError::AmbiguousSharedBoundary(a, b) => write!(
                f,
                "grids {a} and {b} share more than one boundary chain; reshape them instead"
            ),
            EditError::PathEndpoints(a, b) => write!(
                f,
                "the new boundary between {a} and {b} must start and end where their shared boundary does"
            ),
            EditError::HasChildren { grid, children } => {
                let list: Vec<&str> = children.iter().map(|c| c.0.as_str()).collect();
                write!(
                    f,
                    "grid {grid} still has micro/special grids: {}",
                    list.join(", ")
                )
            }
            EditError::BreaksComposite { grid, composite } => write!(
                f,
                "editing grid {grid} would break composite grid {composite}"
            ),
            EditError::InvalidGeometry { grid, reason } => {
                write!(f, "grid {grid} would have an invalid geometry: {reason}")
            }
            EditError::OutsideDistrict { grid, reason } => {
                write!(f, "grid {grid} would lie outside the district: {reason}")
            }
            EditError::DateBeforeVersion {
                grid,
                date,
                current_from,
            } => write!(
                f,
                "the edit's date {date} is before the current version of grid {grid}, which starts on {current_from}; give a date on or after it"
            ),
            EditError::BreaksHierarchy(problems) => {
                write!(f, "the edit breaks the grid hierarchy:")?;
                for p in problems {
                    write!(f, "\n  {p}")?;
                }
                Ok(())
            }
            EditError::Apply { grid, reason } => {
                write!(f, "could not apply the change to grid {grid}: {reason}")
            }
        }
    }
}

impl std::error::Error for EditError {}
