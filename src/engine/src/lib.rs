//! wangge's spatial engine: the rules and geometry of governance grids, with no I/O, web or
//! database code (its Cargo manifest has no such dependency, so the compiler keeps it that way).
//!
//! Table of contents:
//! - [`model`]: admin areas, layers, grids, buildings, households;
//! - [`datum`]: GCJ-02 and BD-09 (Chinese consumer-map datums) to and from WGS84;
//! - [`lattice`]: the 1e-7° coordinate lattice and exact polygon overlay;
//! - [`measure`]: metres and square metres;
//! - [`prepared`]: point-in-polygon and the boundary-ownership rule;
//! - [`validity`]: geometry validity, fast for simple rings, geo's answer always;
//! - [`index`]: R-tree entries;
//! - [`cells`]: the cell index of current base grids that answers most batch lookups;
//! - [`district`]: the in-memory district with its indexes and history;
//! - [`lookup`]: point → base grid and its chain, single and batch;
//! - [`assign`]: buildings and households → grids, per-grid counts;
//! - [`validate`]: typed problems of coverage, hierarchy, geometry and standards;
//! - [`edit`]: planned, all-or-nothing grid edits with their impact.

#![forbid(unsafe_code)]

pub mod assign;
pub mod cells;
pub mod datum;
pub mod district;
pub mod edit;
pub mod index;
pub mod lattice;
pub mod lookup;
pub mod measure;
pub mod model;
pub mod prepared;
pub mod validate;
pub mod validity;
pub mod view;

pub use district::{District, ModelError};
pub use model::*;
