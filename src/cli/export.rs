//! `wangge export`: grids of a layer, an area and a date as GeoJSON (RFC 7946: lon/lat,
//! counter-clockwise exteriors, 7 decimals, no `crs` member) — or, with `--format`, GeoPackage,
//! Shapefile, KML, FlatGeobuf or CSV through GDAL ([`crate::gis::write_file`]); with
//! `--what assignments`, the building/household → grid table as CSV.

use super::{parse_date, CliResult, Source};
use crate::gis::{write_assignments_csv, write_file, Format};
use crate::io::features::{collection, grid_to_feature};
use anyhow::Context;
use chrono::NaiveDate;
use std::path::PathBuf;
use std::process::ExitCode;
use wangge_engine::Layer;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    source: Source,
    /// base, micro, special, composite or all
    #[arg(long, default_value = "base")]
    layer: String,
    /// Only grids inside this admin area (district, town or community code)
    #[arg(long, value_name = "CODE")]
    area: Option<String>,
    #[arg(long, value_parser = parse_date)]
    as_of: Option<NaiveDate>,
    /// Output file (default: standard output; required for gpkg, shp and fgb)
    #[arg(short = 'o', long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// geojson, gpkg, shp, kml, fgb or csv
    #[arg(long, default_value = "geojson")]
    format: String,
    /// grids, or assignments (CSV of building → grid and household → grid)
    #[arg(long, default_value = "grids", value_parser = ["grids", "assignments"])]
    what: String,
}

pub(super) fn run(args: Args) -> CliResult {
    crate::gis::quiet_gdal();
    let layers: Vec<Layer> = match args.layer.as_str() {
        "all" => vec![Layer::Base, Layer::Micro, Layer::Special, Layer::Composite],
        s => vec![Layer::parse(s).ok_or_else(|| {
            anyhow::anyhow!("unknown layer \"{s}\" (use base, micro, special, composite or all)")
        })?],
    };
    let (district, _) = args.source.load()?;
    if let Some(code) = &args.area {
        if district.area(code).is_none() {
            return Err(anyhow::anyhow!("unknown admin area \"{code}\""));
        }
    }
    let in_area = |g: &wangge_engine::Grid| -> bool {
        let Some(code) = &args.area else { return true };
        // A grid's community is its parent (base) or its base grid's parent (micro/special).
        let community = match g.layer {
            Layer::Base => g.parent.clone(),
            _ => g
                .parent
                .as_ref()
                .and_then(|p| district.grid(&wangge_engine::GridId(p.clone()), args.as_of))
                .and_then(|b| b.parent.clone())
                .or_else(|| {
                    g.members
                        .first()
                        .and_then(|m| district.grid(m, args.as_of))
                        .and_then(|b| b.parent.clone())
                }),
        };
        community.is_some_and(|c| district.area_chain(&c).iter().any(|a| &a.code == code))
    };
    let format = Format::parse(&args.format)?;
    if args.what == "assignments" {
        if format != Format::Csv && args.format != "geojson" {
            return Err(anyhow::anyhow!(
                "--what assignments is written as CSV (--format csv)"
            ));
        }
        let [layer] = layers.as_slice() else {
            return Err(anyhow::anyhow!(
                "--what assignments needs one --layer: base, micro or special"
            ));
        };
        match &args.output {
            Some(path) => {
                let file = std::fs::File::create(path)
                    .with_context(|| format!("cannot write {}", path.display()))?;
                write_assignments_csv(file, &district, layer, args.as_of, &in_area)?;
            }
            None => {
                write_assignments_csv(
                    std::io::stdout().lock(),
                    &district,
                    layer,
                    args.as_of,
                    &in_area,
                )?;
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    if format != Format::GeoJson {
        let grids: Vec<&wangge_engine::Grid> = layers
            .iter()
            .flat_map(|l| district.grids_of_layer(l, args.as_of))
            .filter(|g| in_area(g))
            .collect();
        match &args.output {
            Some(path) => {
                write_file(path, format, &grids)?;
            }
            None if format.needs_file() => {
                return Err(anyhow::anyhow!(
                    "--format {} writes a binary or multi-file dataset: give -o FILE",
                    args.format
                ))
            }
            None => {
                // KML and CSV are text: write through a scratch file, then to standard output.
                let scratch = std::env::temp_dir().join(format!(
                    "wangge-export-{}.{}",
                    std::process::id(),
                    args.format.to_ascii_lowercase()
                ));
                write_file(&scratch, format, &grids)?;
                let text = std::fs::read(&scratch).context("cannot read back the export");
                let _ = std::fs::remove_file(&scratch);
                let _ = std::fs::remove_file(scratch.with_extension("csvt"));
                use std::io::Write;
                std::io::stdout().lock().write_all(&text?)?;
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    let features = layers
        .iter()
        .flat_map(|l| district.grids_of_layer(l, args.as_of))
        .filter(|g| in_area(g))
        .map(grid_to_feature)
        .collect();
    let text = serde_json::to_string(&collection(features))?;
    match &args.output {
        Some(path) => std::fs::write(path, text + "\n")
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => println!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}
