//! `wangge export`: grids of a layer, an area and a date as GeoJSON (RFC 7946: lon/lat,
//! counter-clockwise exteriors, 7 decimals, no `crs` member).

use super::{parse_date, CliError, CliResult, Source};
use crate::io::features::{collection, grid_to_feature};
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
    /// Output file (default: standard output)
    #[arg(short = 'o', long, value_name = "FILE")]
    output: Option<PathBuf>,
}

pub fn run(args: Args) -> CliResult {
    let layers: Vec<Layer> = match args.layer.as_str() {
        "all" => vec![Layer::Base, Layer::Micro, Layer::Special, Layer::Composite],
        s => vec![Layer::parse(s).ok_or_else(|| {
            CliError(format!(
                "unknown layer \"{s}\" (use base, micro, special, composite or all)"
            ))
        })?],
    };
    let (district, _) = args.source.load()?;
    if let Some(code) = &args.area {
        if district.area(code).is_none() {
            return Err(CliError(format!("unknown admin area \"{code}\"")));
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
    let features = layers
        .iter()
        .flat_map(|l| district.grids_of_layer(l, args.as_of))
        .filter(|g| in_area(g))
        .map(grid_to_feature)
        .collect();
    let text = serde_json::to_string(&collection(features))?;
    match &args.output {
        Some(path) => std::fs::write(path, text + "\n")
            .map_err(|e| CliError(format!("cannot write {}: {e}", path.display())))?,
        None => println!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}
