//! `wangge validate`: the validation report of the district, an area, or a plain coverage file.
//! Exit 0 when clean, 1 when problems were found, 2 on error.

use super::{parse_date, CliResult, Source};
use crate::io::dataset::read_grids;
use crate::io::features::GridReading;
use chrono::NaiveDate;
use geo::MultiPolygon;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use wangge_engine::validate::{validate, Config, Report, Scope};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    source: Source,
    /// Only this admin area (district, town or community code)
    #[arg(long, value_name = "CODE")]
    area: Option<String>,
    #[arg(long, value_parser = parse_date)]
    as_of: Option<NaiveDate>,
    /// Polygons where gaps are allowed (lakes, rivers), GeoJSON
    #[arg(long, value_name = "FILE")]
    allowed_gaps: Option<PathBuf>,
    /// Gaps and overlaps thinner than this mean width (metres) are slivers
    #[arg(long, default_value_t = 0.5)]
    sliver_width: f64,
    #[arg(long, default_value = "text", value_parser = ["text", "geojson"])]
    format: String,
}

pub(super) fn run(args: Args) -> CliResult {
    if !(args.sliver_width.is_finite() && args.sliver_width >= 0.0) {
        return Err(anyhow::anyhow!(
            "--sliver-width must be a width in metres ≥ 0, got {}",
            args.sliver_width
        ));
    }
    let (district, reading_problems) = args.source.load()?;
    let mut config = Config {
        sliver_width_m: args.sliver_width,
        ..Config::default()
    };
    if let Some(path) = &args.allowed_gaps {
        let (masks, _) = read_grids(path, &GridReading::default())?;
        config.allowed_gaps = Some(MultiPolygon(
            masks.into_iter().flat_map(|g| g.geometry.0).collect(),
        ));
    }
    let scope = match &args.area {
        Some(code) if district.area(code).is_none() => {
            return Err(anyhow::anyhow!("unknown admin area \"{code}\""))
        }
        Some(code) => Scope::Area(code.clone()),
        None => Scope::All,
    };
    let mut problems = validate(&district, &scope, args.as_of, &config).problems;
    problems.extend(reading_problems);
    let report = Report::new(problems);
    let mut out = std::io::stdout().lock();
    if args.format == "geojson" {
        writeln!(
            out,
            "{}",
            serde_json::to_string(&report.to_feature_collection())?
        )?;
    } else {
        for p in &report.problems {
            writeln!(out, "{p}")?;
        }
        let counted = |s| report.problems.iter().filter(|p| p.severity == s).count();
        use wangge_engine::validate::Severity;
        writeln!(
            out,
            "{} errors, {} warnings, {} notes",
            counted(Severity::Error),
            counted(Severity::Warning),
            counted(Severity::Info)
        )?;
    }
    Ok(if report.is_clean() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
