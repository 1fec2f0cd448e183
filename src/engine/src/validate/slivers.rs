//! Slivers: a gap or overlap piece thinner than the sliver tolerance is a drawing accident (two
//! grids digitised separately along the same road), not a real gap or overlap, so it gets its own
//! kind and is measured by its width instead of its area.

use super::common::{join_ids, near, place};
use super::config::Config;
use super::report::{area_geometry, Measure, Problem, ProblemKind, Severity};
use crate::measure::{area_m2, mean_width_m};
use crate::model::GridId;
use geo::{MultiPolygon, Polygon};

/// Whether a piece is a gap or an overlap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Coverage {
    Gap,
    Overlap,
}

/// The problem for one connected gap or overlap piece, or `None` when the piece is below the
/// noise threshold.
pub(super) fn coverage_problem(
    coverage: Coverage,
    piece: Polygon<f64>,
    grids: Vec<GridId>,
    area: Option<String>,
    config: &Config,
) -> Option<Problem> {
    let mp = MultiPolygon(vec![piece]);
    let m2 = area_m2(&mp);
    if m2 < config.min_area_m2 {
        return None;
    }
    let width = mean_width_m(&mp);
    let sliver = width < config.sliver_width_m;
    let kind = match (coverage, sliver) {
        (Coverage::Gap, false) => ProblemKind::Gap,
        (Coverage::Gap, true) => ProblemKind::SliverGap,
        (Coverage::Overlap, false) => ProblemKind::Overlap,
        (Coverage::Overlap, true) => ProblemKind::SliverOverlap,
    };
    let what = match coverage {
        Coverage::Gap => "gap".to_string(),
        Coverage::Overlap => format!("overlap between grids {}", join_ids(&grids)),
    };
    let where_ = format!("{} {}", place(area.as_deref()), near(&mp));
    let (measure, message) = if sliver {
        (
            Measure::m(width),
            format!("sliver {what}, {width:.2} m wide ({m2:.1} m²), {where_}"),
        )
    } else {
        (Measure::m2(m2), format!("{what} of {m2:.1} m² {where_}"))
    };
    let mut details = serde_json::Map::new();
    details.insert("area_m2".into(), round2(m2).into());
    details.insert("mean_width_m".into(), round2(width).into());
    Some(Problem {
        kind,
        severity: Severity::Error,
        grids,
        buildings: vec![],
        area,
        measure,
        details,
        geometry: area_geometry(mp),
        message,
    })
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{coord, Rect};

    fn strip(height_deg: f64) -> Polygon<f64> {
        Rect::new(
            coord! {x: 118.3, y: 29.7},
            coord! {x: 118.301, y: 29.7 + height_deg},
        )
        .to_polygon()
    }

    #[test]
    fn a_thin_piece_is_a_sliver_measured_in_metres_and_a_wide_one_an_area() {
        let config = Config::default();
        let thin =
            coverage_problem(Coverage::Gap, strip(2e-6), vec![], None, &config).expect("reported");
        assert_eq!(thin.kind, ProblemKind::SliverGap);
        assert!(
            (thin.measure.value - 0.22).abs() < 0.01,
            "{:?}",
            thin.measure
        );
        let wide = coverage_problem(Coverage::Overlap, strip(2e-4), vec![], None, &config)
            .expect("reported");
        assert_eq!(wide.kind, ProblemKind::Overlap);
        assert_eq!(wide.measure.unit, super::super::report::Unit::SquareMetres);
    }

    #[test]
    fn a_piece_below_the_noise_threshold_is_dropped() {
        let tiny = Rect::new(
            coord! {x: 118.3, y: 29.7},
            coord! {x: 118.3000005, y: 29.7000005},
        );
        let config = Config::default();
        assert!(
            coverage_problem(Coverage::Gap, tiny.to_polygon(), vec![], None, &config).is_none()
        );
    }
}
