//! Staging an import: store it in one transaction, or validate what the store would hold with it
//! (a dry run). Shared by `wangge import` and `POST /api/v1/import`.
//!
//! An import obeys the rules of an edit, and a dry run applies exactly the checks the real run
//! applies (it only skips the write), so it never promises what the real run then refuses:
//! - every feature converted (all or nothing);
//! - the combination loads as a district (known parents, unique versions);
//! - nothing far outside the district or larger than it (a wrong CRS, swapped axes, a sheet
//!   of the wrong province): [`check_extent`], naming the feature;
//! - no validation *error* on an imported grid (overlap, crossing its community, outside its
//!   parent, invalid geometry, slivers): [`blocking_problems`]. Gaps are not counted: adding
//!   grids only ever covers more, so every gap piece next to an imported grid was uncovered
//!   before the import too (a partial import of a community's base grids is allowed).

use super::error::GisError;
use super::read::ImportOutcome;
use crate::io::InputError;
use crate::store::{ChangeMeta, Store, StoreError};
use geo::{BoundingRect, Coord, Point, Rect};
use std::collections::HashSet;
use wangge_engine::measure::{area_m2, distance_m};
use wangge_engine::validate::{validate, Config, Problem, ProblemKind, Report, Scope, Severity};
use wangge_engine::{AdminArea, AdminLevel, Footprint, HouseholdLocation};

/// What [`store_outcome`] did.
#[derive(Debug)]
pub enum Stored {
    /// Nothing written.
    DryRun(DryRun),
    /// The change id of the one transaction that stored everything.
    Change { id: i64, notes: Vec<String> },
}

/// A dry run's result.
#[derive(Debug)]
pub struct DryRun {
    /// The validation report of the store's content plus the file's.
    pub report: Report,
    /// Why the real run would refuse the import (`None`: it would store it).
    pub refusal: Option<Blocked>,
    /// Checks that could not run, and why.
    pub notes: Vec<String>,
}

/// Validation errors an import would bring in; the import is refused, as an edit would be.
#[derive(Debug, Clone)]
pub struct Blocked {
    pub message: String,
    pub problems: Vec<Problem>,
}

#[derive(Debug, thiserror::Error)]
pub enum StageError {
    /// The file or its combination with the stored data is not acceptable (refused features,
    /// unknown parents, features far outside the district…): the message says why.
    #[error(transparent)]
    Rejected(#[from] Rejection),
    /// The import would bring in validation errors (overlaps, crossings…).
    #[error("{}", .0.message)]
    Blocked(Blocked),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why an import is not acceptable as a whole.
#[derive(Debug, thiserror::Error)]
pub enum Rejection {
    /// Features were refused (all or nothing).
    #[error(transparent)]
    Refused(#[from] GisError),
    /// The store's content plus the file's does not load as a district (unknown parents,
    /// duplicate versions…).
    #[error(transparent)]
    Inconsistent(#[from] InputError),
    /// An object far outside the district, or larger than it.
    #[error(transparent)]
    Extent(#[from] ExtentError),
}

/// An imported object that cannot belong to the district: the usual sign of a wrong CRS.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ExtentError {
    #[error(
        "{file}: nothing imported, {feature} covers {:.2} km², more than the whole district ({:.2} km²); check the file's CRS",
        .area_m2 / 1e6,
        .district_m2 / 1e6
    )]
    LargerThanDistrict {
        file: String,
        feature: String,
        area_m2: f64,
        district_m2: f64,
    },
    #[error(
        "{file}: nothing imported, {feature} lies {:.1} km outside the district (its box centre is at lon {:.5}, lat {:.5}); check the file's CRS (--crs)",
        .reach_m / 1000.0,
        .centre.x,
        .centre.y
    )]
    FarOutside {
        file: String,
        feature: String,
        reach_m: f64,
        centre: Coord<f64>,
    },
}

/// Stores an import in one transaction, or with `dry_run` validates the district made of the
/// store's content plus the imported objects. Refused features mean nothing is stored.
pub async fn store_outcome(
    store: &Store,
    outcome: &ImportOutcome,
    meta: &ChangeMeta,
    dry_run: bool,
) -> Result<Stored, StageError> {
    outcome.require_all().map_err(Rejection::from)?;
    let mut ds = store.load().await?;
    let mut notes = Vec::new();
    match district_outline(&ds.areas) {
        Some(outline) => check_extent(outcome, &outline).map_err(Rejection::from)?,
        None if outcome.imported() > 0 => notes.push(
            "the store holds no admin area with a boundary, so the import could not be checked against the district's extent"
                .to_string(),
        ),
        None => {}
    }
    ds.grids.extend(outcome.data.grids.iter().cloned());
    ds.buildings.extend(outcome.data.buildings.iter().cloned());
    ds.households
        .extend(outcome.data.households.iter().cloned());
    // The combination must load as a district (known parents, unique versions) before anything
    // is written; it is validated as an edit would be.
    let (district, mut problems) = ds.into_district().map_err(Rejection::from)?;
    problems.extend(validate(&district, &Scope::All, None, &Config::default()).problems);
    let report = Report::new(problems);
    let refusal = blocking_problems(outcome, &report);
    if dry_run {
        return Ok(Stored::DryRun(DryRun {
            report,
            refusal,
            notes,
        }));
    }
    if let Some(b) = refusal {
        return Err(StageError::Blocked(b));
    }
    store
        .import(&outcome.data, meta)
        .await
        .map(|id| Stored::Change { id, notes })
        .map_err(StageError::Store)
}

/// Validation errors that name an imported grid (gaps excepted, see the module comment).
pub fn blocking_problems(outcome: &ImportOutcome, report: &Report) -> Option<Blocked> {
    let imported: HashSet<&str> = outcome.data.grids.iter().map(|g| g.id.0.as_str()).collect();
    let problems: Vec<Problem> = report
        .problems
        .iter()
        .filter(|p| p.severity == Severity::Error && p.kind != ProblemKind::Gap)
        .filter(|p| p.grids.iter().any(|g| imported.contains(g.0.as_str())))
        .cloned()
        .collect();
    if problems.is_empty() {
        return None;
    }
    let shown: Vec<&str> = problems
        .iter()
        .take(3)
        .map(|p| p.message.as_str())
        .collect();
    Some(Blocked {
        message: format!(
            "{}: nothing imported, the import would bring {} validation error{} ({}{}); an import obeys the rules of an edit",
            outcome.source,
            problems.len(),
            if problems.len() == 1 { "" } else { "s" },
            shown.join("; "),
            if problems.len() > 3 { "; …" } else { "" }
        ),
        problems,
    })
}

/// The district's bounding box and area, from the highest admin level that has boundaries.
#[derive(Debug, Clone, Copy)]
pub struct Outline {
    pub bounds: Rect<f64>,
    pub area_m2: f64,
}

pub fn district_outline(areas: &[AdminArea]) -> Option<Outline> {
    [
        AdminLevel::District,
        AdminLevel::Town,
        AdminLevel::Community,
    ]
    .into_iter()
    .find_map(|level| {
        let shapes: Vec<_> = areas
            .iter()
            .filter(|a| a.level == level)
            .filter_map(|a| a.geometry.as_ref())
            .collect();
        let bounds = shapes
            .iter()
            .filter_map(|g| g.bounding_rect())
            .reduce(|a, b| {
                Rect::new(
                    (a.min().x.min(b.min().x), a.min().y.min(b.min().y)),
                    (a.max().x.max(b.max().x), a.max().y.max(b.max().y)),
                )
            })?;
        Some(Outline {
            bounds,
            area_m2: shapes.iter().map(|g| area_m2(g)).sum(),
        })
    })
}

/// How far outside the district's bounding box an object may lie before it is taken for a
/// wrong CRS or a wrong file rather than a drawing error (which validation reports).
pub const FAR_OUTSIDE_M: f64 = 1000.0;

/// Refuses the first object that lies more than [`FAR_OUTSIDE_M`] outside the district's
/// bounding box, or whose area exceeds the district's; the message names the feature.
pub fn check_extent(outcome: &ImportOutcome, outline: &Outline) -> Result<(), ExtentError> {
    let mut objects: Vec<(String, Option<Rect<f64>>, f64)> = Vec::new();
    for g in &outcome.data.grids {
        objects.push((
            format!("grid {}", g.code),
            g.geometry.bounding_rect(),
            area_m2(&g.geometry),
        ));
    }
    for b in &outcome.data.buildings {
        let (rect, area) = match &b.footprint {
            Footprint::Point(p) => (Some(Rect::new(p.0, p.0)), 0.0),
            Footprint::Polygon(p) => (
                p.bounding_rect(),
                wangge_engine::measure::polygon_area_m2(p),
            ),
        };
        objects.push((format!("building {}", b.id), rect, area));
    }
    for h in &outcome.data.households {
        if let HouseholdLocation::Point(p) = &h.location {
            objects.push((
                format!("household {}", h.id),
                Some(Rect::new(p.0, p.0)),
                0.0,
            ));
        }
    }
    for (i, (what, rect, area)) in objects.into_iter().enumerate() {
        let feature = outcome
            .features
            .get(i)
            .map_or_else(|| what.clone(), |f| format!("feature {f} ({what})"));
        if area > outline.area_m2 {
            return Err(ExtentError::LargerThanDistrict {
                file: outcome.source.clone(),
                feature,
                area_m2: area,
                district_m2: outline.area_m2,
            });
        }
        let Some(rect) = rect else { continue };
        let reach = rect_reach_m(&rect, &outline.bounds);
        if reach > FAR_OUTSIDE_M {
            return Err(ExtentError::FarOutside {
                file: outcome.source.clone(),
                feature,
                reach_m: reach,
                centre: rect.center(),
            });
        }
    }
    Ok(())
}

/// How far rectangle `a` reaches beyond rectangle `b`, geodesic metres (0 when `a` lies inside
/// `b`): the distance from `a`'s corner farthest outside `b` to the nearest point of `b`. A
/// feature is judged by its farthest part, so a grid with one part at home and one in Paris is
/// as far outside as the Paris part.
fn rect_reach_m(a: &Rect<f64>, b: &Rect<f64>) -> f64 {
    // Per axis: a's coordinate farthest outside b's range, and the nearest coordinate of b to it.
    let farthest = |amin: f64, amax: f64, bmin: f64, bmax: f64| {
        let v = if bmin - amin > amax - bmax {
            amin
        } else {
            amax
        };
        (v, v.clamp(bmin, bmax))
    };
    let (ax, bx) = farthest(a.min().x, a.max().x, b.min().x, b.max().x);
    let (ay, by) = farthest(a.min().y, a.max().y, b.min().y, b.max().y);
    distance_m(Point::new(ax, ay), Point::new(bx, by))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rect_reach_is_zero_inside_and_counts_the_farthest_part() {
        let d = Rect::new((118.0, 29.0), (118.1, 29.1));
        assert_eq!(
            rect_reach_m(&Rect::new((118.02, 29.02), (118.08, 29.08)), &d),
            0.0
        );
        // 0.1° of latitude is about 11.1 km.
        let north = Rect::new((118.0, 29.2), (118.1, 29.3));
        let g = rect_reach_m(&north, &d);
        assert!((g - 22_180.0).abs() < 200.0, "{g}");
        let far = Rect::new((0.0, 0.0), (0.001, 0.001));
        assert!(rect_reach_m(&far, &d) > 10_000_000.0);
    }

    #[test]
    fn multipolygon_with_one_part_far_away_reaches_far_outside() {
        // A grid at home plus a square in Paris: its box overlaps the district's, yet it reaches
        // thousands of kilometres beyond it (the import must refuse it, not pass the dry run).
        let d = Rect::new((118.0, 29.0), (118.1, 29.1));
        let both = Rect::new((2.35, 29.05), (118.05, 48.85));
        assert!(rect_reach_m(&both, &d) > 5_000_000.0);
    }
}
