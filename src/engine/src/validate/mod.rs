//! Validation: typed problems of coverage, hierarchy, geometry and standards.
//!
//! Table of contents:
//! - [`report`]: problem kinds, severities, measures, the report and its delta;
//! - [`config`]: tolerances and household standards.

/// TEMPORARY stand-in for `validate_around`, replaced at merge (see the file).
pub mod around_stub;
pub mod config;
pub mod report;

pub use config::{Band, Config, Standards};
pub use report::{Delta, Measure, Problem, ProblemKind, Report, Severity, Unit};
