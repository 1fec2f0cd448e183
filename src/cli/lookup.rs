//! `wangge lookup`: one point, or a CSV/GeoJSON file of points written back as CSV with
//! `grid_id` and `on_boundary` columns.

use super::{parse_date, CliResult, Source};
use crate::io::points::read_points;
use chrono::NaiveDate;
use geo::Coord;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use wangge_engine::datum::InputCrs;
use wangge_engine::lookup::{base_batch, lookup};

/// A `--crs` that is not one of [`InputCrs::NAMES`].
#[derive(Debug, thiserror::Error)]
#[error("unknown CRS \"{0}\" (use {names})", names = InputCrs::NAMES)]
struct UnknownCrs(String);

fn parse_crs(s: &str) -> Result<InputCrs, UnknownCrs> {
    InputCrs::parse(s).ok_or_else(|| UnknownCrs(s.to_string()))
}

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    source: Source,
    /// Longitude (in --crs)
    #[arg(
        long,
        allow_negative_numbers = true,
        requires = "lat",
        conflicts_with = "points"
    )]
    lon: Option<f64>,
    /// Latitude (in --crs)
    #[arg(long, allow_negative_numbers = true, requires = "lon")]
    lat: Option<f64>,
    /// A CSV or GeoJSON file of points
    #[arg(long, value_name = "FILE")]
    points: Option<PathBuf>,
    #[arg(long, default_value = "lon")]
    lon_field: String,
    #[arg(long, default_value = "lat")]
    lat_field: String,
    /// Coordinate system of the input: wgs84, cgcs2000, gcj02 (AMap/Tencent) or bd09 (Baidu)
    #[arg(long, default_value = "wgs84", value_parser = parse_crs)]
    crs: InputCrs,
    /// The date whose grids to use (default: current)
    #[arg(long, value_parser = parse_date)]
    as_of: Option<NaiveDate>,
    /// Output for a single point
    #[arg(long, default_value = "text", value_parser = ["text", "json"])]
    format: String,
}

pub(super) fn run(args: Args) -> CliResult {
    let (district, _) = args.source.load()?;
    if let Some(path) = &args.points {
        let table = read_points(path, &args.lon_field, &args.lat_field)?;
        let coords: Vec<Coord<f64>> = table
            .rows
            .iter()
            .map(|(_, c)| args.crs.to_wgs84(*c))
            .collect();
        let hits = base_batch(&district, &coords, args.as_of);
        let stdout = std::io::stdout();
        let mut w = csv::Writer::from_writer(stdout.lock());
        let mut header = table.columns.clone();
        header.extend(["grid_id".to_string(), "on_boundary".to_string()]);
        w.write_record(&header)?;
        for ((values, _), hit) in table.rows.iter().zip(&hits) {
            let mut row = values.clone();
            row.push(
                hit.slot
                    .map(|s| district.slot(s).id.0.clone())
                    .unwrap_or_default(),
            );
            row.push(hit.on_boundary.to_string());
            w.write_record(&row)?;
        }
        w.flush()?;
        return Ok(ExitCode::SUCCESS);
    }
    let (Some(lon), Some(lat)) = (args.lon, args.lat) else {
        anyhow::bail!("give --lon and --lat, or --points FILE");
    };
    let p = crate::io::features::position(&geojson::Position::from(vec![lon, lat]))?;
    let result = lookup(&district, args.crs.to_wgs84(p), args.as_of);
    let mut out = std::io::stdout().lock();
    if args.format == "json" {
        writeln!(out, "{}", serde_json::to_string_pretty(&result)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    match &result.base {
        Some(b) => writeln!(out, "base grid   {} {} ({})", b.code, b.name, b.status)?,
        None => writeln!(out, "unassigned")?,
    }
    for (label, g) in [
        ("micro grid", &result.micro),
        ("special grid", &result.special),
    ] {
        if let Some(g) = g {
            writeln!(out, "{label:<11} {} {}", g.code, g.name)?;
        }
    }
    for c in &result.composites {
        writeln!(
            out,
            "composite   {} {} ({})",
            c.grid.code,
            c.grid.name,
            c.network.as_deref().unwrap_or("-")
        )?;
    }
    for (label, a) in [
        ("community", &result.community),
        ("town", &result.town),
        ("district", &result.district),
    ] {
        if let Some(a) = a {
            writeln!(out, "{label:<11} {} {}", a.code, a.name)?;
        }
    }
    writeln!(out, "on_boundary {}", result.on_boundary)?;
    if let Some(n) = &result.nearest {
        writeln!(out, "nearest     {} at {:.1} m", n.grid.code, n.distance_m)?;
    }
    Ok(ExitCode::SUCCESS)
}
