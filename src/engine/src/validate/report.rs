//! Typed validation problems and the report that carries them.
//!
//! Modelled on geo's `Validation` visitor: each problem is a value with a kind, the grids it
//! involves and a measure in metres or square metres, and its message says where.

use crate::model::GridId;
use geo::{Geometry, MultiPolygon};
use serde::Serialize;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// Part of a community (or, without a hierarchy, a hole in the union of the grids) covered
    /// by no base grid.
    Gap,
    /// Two sibling grids share area.
    Overlap,
    /// A gap thinner than the sliver tolerance.
    SliverGap,
    /// An overlap thinner than the sliver tolerance.
    SliverOverlap,
    /// A micro or special grid with area outside its base grid.
    ChildOutsideParent,
    /// A base grid with area outside its community.
    CrossesCommunity,
    /// Self-intersection, degenerate ring, unclosed ring, hole outside its shell…
    InvalidGeometry,
    /// A building whose footprint lies in more than one base grid.
    SplitBuilding,
    /// A grid's household count outside the configured band.
    HouseholdStandard,
    /// An active grid with no building and no household.
    EmptyGrid,
    /// Summary of reserved and suspended grids.
    StatusSummary,
    /// A check that could not run on some grids (an overlay refused their geometry): nothing
    /// is known about those grids for that check, which is an error of its own, never "no
    /// problem". `details` names the check and the reason.
    CheckFailed,
}

impl ProblemKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ProblemKind::Gap => "gap",
            ProblemKind::Overlap => "overlap",
            ProblemKind::SliverGap => "sliver_gap",
            ProblemKind::SliverOverlap => "sliver_overlap",
            ProblemKind::ChildOutsideParent => "child_outside_parent",
            ProblemKind::CrossesCommunity => "crosses_community",
            ProblemKind::InvalidGeometry => "invalid_geometry",
            ProblemKind::SplitBuilding => "split_building",
            ProblemKind::HouseholdStandard => "household_standard",
            ProblemKind::EmptyGrid => "empty_grid",
            ProblemKind::StatusSummary => "status_summary",
            ProblemKind::CheckFailed => "check_failed",
        }
    }

    /// Kinds that break the base–micro/special hierarchy; an edit that creates one is refused
    /// unless saved as a draft.
    pub fn breaks_hierarchy(self) -> bool {
        matches!(
            self,
            ProblemKind::Gap
                | ProblemKind::Overlap
                | ProblemKind::SliverGap
                | ProblemKind::SliverOverlap
                | ProblemKind::ChildOutsideParent
                | ProblemKind::CrossesCommunity
                | ProblemKind::InvalidGeometry
                // Unknown is not fine: an edit whose result cannot be checked is refused too.
                | ProblemKind::CheckFailed
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Unit {
    #[serde(rename = "m2")]
    SquareMetres,
    #[serde(rename = "m")]
    Metres,
    #[serde(rename = "count")]
    Count,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Measure {
    pub value: f64,
    pub unit: Unit,
}

impl Measure {
    pub fn m2(value: f64) -> Self {
        Measure {
            value,
            unit: Unit::SquareMetres,
        }
    }
    pub fn m(value: f64) -> Self {
        Measure {
            value,
            unit: Unit::Metres,
        }
    }
    pub fn count(value: f64) -> Self {
        Measure {
            value,
            unit: Unit::Count,
        }
    }
}

impl fmt::Display for Measure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.unit {
            Unit::SquareMetres => write!(f, "{:.2} m²", self.value),
            Unit::Metres => write!(f, "{:.2} m", self.value),
            Unit::Count => write!(f, "{}", self.value),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Problem {
    pub kind: ProblemKind,
    pub severity: Severity,
    /// Grid ids involved, sorted (serialised as plain strings: `GridId` is transparent).
    pub grids: Vec<GridId>,
    /// Building ids involved (split buildings), sorted.
    pub buildings: Vec<String>,
    /// Community code where the problem lies, when known.
    pub area: Option<String>,
    /// The main measure: area for gaps/overlaps/outside parts, width for slivers, households for
    /// standard breaches, a count for summaries.
    pub measure: Measure,
    /// Secondary measures, such as the mean width of a gap.
    pub details: serde_json::Map<String, serde_json::Value>,
    #[serde(skip)]
    pub geometry: Option<Geometry<f64>>,
    pub message: String,
}

impl Problem {
    /// A key that identifies "the same problem" across two reports (used to tell problems an
    /// edit creates from those it solves). Areas are compared to the square metre.
    pub fn key(&self) -> (ProblemKind, Vec<GridId>, Vec<String>, i64) {
        let rounded = match self.measure.unit {
            Unit::SquareMetres => self.measure.value.round() as i64,
            Unit::Metres => (self.measure.value * 100.0).round() as i64,
            Unit::Count => self.measure.value as i64,
        };
        (
            self.kind,
            self.grids.clone(),
            self.buildings.clone(),
            rounded,
        )
    }

    /// The grid ids joined with `sep` (for a tile property or a message).
    pub fn grids_joined(&self, sep: &str) -> String {
        self.grids
            .iter()
            .map(|g| g.0.as_str())
            .collect::<Vec<_>>()
            .join(sep)
    }

    pub fn to_feature(&self) -> geojson::Feature {
        let mut props = serde_json::Map::new();
        props.insert("kind".into(), self.kind.as_str().into());
        props.insert("severity".into(), self.severity.as_str().into());
        props.insert(
            "grids".into(),
            self.grids
                .iter()
                .map(|g| serde_json::Value::from(g.0.as_str()))
                .collect(),
        );
        if !self.buildings.is_empty() {
            props.insert("buildings".into(), self.buildings.clone().into());
        }
        if let Some(a) = &self.area {
            props.insert("area".into(), a.clone().into());
        }
        props.insert(
            "measure".into(),
            serde_json::to_value(self.measure).unwrap_or(serde_json::Value::Null),
        );
        for (k, v) in &self.details {
            props.insert(k.clone(), v.clone());
        }
        props.insert("message".into(), self.message.clone().into());
        geojson::Feature {
            bbox: None,
            geometry: self.geometry.as_ref().map(geojson::Geometry::from),
            id: None,
            properties: Some(props),
            foreign_members: None,
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:<7} {:<22} {}",
            self.severity.as_str(),
            self.kind.as_str(),
            self.message
        )
    }
}

/// A validation report: problems in a stable order (kind, then grids, then measure).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Report {
    pub problems: Vec<Problem>,
}

impl Report {
    pub fn new(mut problems: Vec<Problem>) -> Self {
        problems.sort_by(|a, b| {
            (a.kind, &a.grids, &a.buildings)
                .cmp(&(b.kind, &b.grids, &b.buildings))
                .then(a.measure.value.total_cmp(&b.measure.value))
        });
        Report { problems }
    }

    pub fn is_clean(&self) -> bool {
        self.problems.iter().all(|p| p.severity == Severity::Info)
    }

    pub fn count(&self, kind: ProblemKind) -> usize {
        self.problems.iter().filter(|p| p.kind == kind).count()
    }

    pub fn of_kind(&self, kind: ProblemKind) -> impl Iterator<Item = &Problem> {
        self.problems.iter().filter(move |p| p.kind == kind)
    }

    pub fn breaks_hierarchy(&self) -> bool {
        self.problems.iter().any(|p| p.kind.breaks_hierarchy())
    }

    pub fn to_feature_collection(&self) -> geojson::FeatureCollection {
        geojson::FeatureCollection {
            bbox: None,
            features: self.problems.iter().map(Problem::to_feature).collect(),
            foreign_members: None,
        }
    }

    /// Problems of `after` not in `self` (created) and of `self` not in `after` (solved).
    pub fn delta(&self, after: &Report) -> Delta {
        let before_keys: Vec<_> = self.problems.iter().map(Problem::key).collect();
        let after_keys: Vec<_> = after.problems.iter().map(Problem::key).collect();
        Delta {
            created: after
                .problems
                .iter()
                .zip(&after_keys)
                .filter(|(_, k)| !before_keys.contains(k))
                .map(|(p, _)| p.clone())
                .collect(),
            solved: self
                .problems
                .iter()
                .zip(&before_keys)
                .filter(|(_, k)| !after_keys.contains(k))
                .map(|(p, _)| p.clone())
                .collect(),
        }
    }
}

/// What an edit changes in a validation report.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Delta {
    pub created: Vec<Problem>,
    pub solved: Vec<Problem>,
}

/// A helper for checks: the geometry of a problem as a GeoJSON-able geometry.
pub fn area_geometry(mp: MultiPolygon<f64>) -> Option<Geometry<f64>> {
    if mp.0.is_empty() {
        None
    } else if mp.0.len() == 1 {
        mp.0.into_iter().next().map(Geometry::Polygon)
    } else {
        Some(Geometry::MultiPolygon(mp))
    }
}
