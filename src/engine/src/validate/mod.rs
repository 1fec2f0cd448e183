//! Validation: typed problems of coverage, hierarchy, geometry and standards.
//!
//! Table of contents:
//! - [`report`]: problem kinds, severities, measures, the report and its delta;
//! - [`config`]: tolerances and household standards.

pub mod config;
pub mod report;

pub use config::{Band, Config, Standards};
pub use report::{Delta, Measure, Problem, ProblemKind, Report, Severity, Unit};
