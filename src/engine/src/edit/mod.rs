//! Edits of grids: plan a change (its change set and impact) without changing the district, then
//! apply it.
//!
//! Table of contents:
//! - [`plan`](mod@plan): [`plan()`] — the pipeline shared by every edit; [`commit`];
//! - [`ops`]: what each edit changes by itself;
//! - [`followups`]: T-junction repair of neighbours, composite grids that follow their members;
//! - [`change`]: [`ChangeSet`], [`GridChange`] and [`apply`] (all or nothing);
//! - [`impact`]: buildings/households that change grid, problems created and solved;
//! - [`codes`]: codes for new grids (never reused);
//! - [`topology`]: exact vertex/edge sharing on the lattice, [`topology::insert_vertices`];
//! - [`cut`]: cutting a grid by a line, keeping every vertex;
//! - [`error`]: why an edit is refused ([`EditError`]);
//! - [`scope`]: how far an edit reaches: near the district, inside a planner's areas.
//!
//! Rules:
//! - Every change closes the grid's current version on the edit's date and opens version + 1
//!   with the same id and code; history stays queryable with `as_of`.
//! - **Split** retires the original grid; the two pieces are new grids with new codes, the next
//!   unused sequence numbers under the same parent (the highest ever used, retired versions
//!   included, + 1: codes are never reused). The larger piece gets the lower code. Their ids are
//!   the caller's `new_ids`, or the codes. A piece is never given the old code, so a code always
//!   means one area (or its reshapes), never half of it.
//! - **Merge** keeps `keep` (id and code) with the union; the other grid is retired.
//! - Micro/special grids of a split or merged-away base grid move to the new grid holding most
//!   of their area ([`Impact::reparented`]).
//! - Composite grids follow their members: a split member is replaced by both pieces, a merged
//!   or retired one is dropped, and the geometry is recomputed. A merge of two base grids that
//!   are not in the same composites is refused (it would break a composite).
//! - Geometries stay on the lattice; vertices an edit introduces on another grid's edge are
//!   inserted into that grid too (T-junction repair), within one lattice unit because a cut
//!   across a slanted edge lands on the nearest lattice point.
//! - An edit whose created problems break the hierarchy
//!   ([`crate::validate::ProblemKind::breaks_hierarchy`]) is refused with
//!   [`EditError::BreaksHierarchy`] unless `force_draft`; a forced plan marks its new versions
//!   with the property `"draft": true`.
//! - An edit is refused when a version it replaces starts after the edit's date
//!   ([`EditError::DateBeforeVersion`]), and when a geometry it saves lies far outside the
//!   district or is larger than it ([`EditError::OutsideDistrict`]) — drafts included.

pub mod change;
pub mod codes;
pub mod cut;
pub mod error;
pub mod followups;
pub mod impact;
pub mod ops;
pub mod plan;
pub mod scope;
pub mod topology;

pub use change::{apply, ChangeSet, GridChange};
pub use error::EditError;
pub use impact::{Impact, Moved, Reparented};
pub use plan::{commit, plan, Plan};

use crate::model::{Grid, GridId, GridStatus};
use crate::validate::Config;
use chrono::NaiveDate;
use geo::{Coord, LineString, MultiPolygon};

#[derive(Debug, Clone, PartialEq)]
pub enum Edit {
    /// A new grid; its code is the caller's (see [`codes::next_codes`]).
    Create {
        grid: Grid,
    },
    /// A new geometry for a grid.
    Reshape {
        id: GridId,
        geometry: MultiPolygon<f64>,
    },
    /// Cut a grid in two along `line`; `new_ids` default to the new codes.
    Split {
        id: GridId,
        line: LineString<f64>,
        new_ids: Option<[GridId; 2]>,
    },
    /// Join two adjacent grids (sharing an edge of positive length) of one layer and parent.
    Merge {
        ids: [GridId; 2],
        keep: GridId,
    },
    /// Move a shared vertex: every grid with a vertex at `from` moves it to `to`.
    MoveBoundary {
        from: Coord<f64>,
        to: Coord<f64>,
    },
    /// Replace the shared edge chain of `a` and `b` by `path` (same endpoints).
    RerouteBoundary {
        a: GridId,
        b: GridId,
        path: LineString<f64>,
    },
    SetStatus {
        id: GridId,
        status: GridStatus,
    },
    Retire {
        id: GridId,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct EditOptions {
    /// The change's effective date.
    pub date: NaiveDate,
    /// Keep the change even if it creates problems that break the hierarchy.
    pub force_draft: bool,
    pub config: Config,
    /// Versions the caller edited; a stale one refuses the edit with [`EditError::Conflict`].
    pub expected_versions: Vec<(GridId, u32)>,
    /// Digits of the sequence part of new grid codes (wider when siblings already use more).
    pub sequence_width: usize,
    /// How far (metres) a new geometry may reach beyond the bounding box of the district's
    /// admin areas ([`scope::check_within_district`]).
    pub district_margin_m: f64,
}

impl EditOptions {
    pub fn on(date: NaiveDate) -> Self {
        EditOptions {
            date,
            force_draft: false,
            config: Config::default(),
            expected_versions: vec![],
            sequence_width: codes::DEFAULT_SEQUENCE_WIDTH,
            district_margin_m: scope::DEFAULT_DISTRICT_MARGIN_M,
        }
    }
}
