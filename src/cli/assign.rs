//! `wangge assign`: buildings and households → grids, with per-grid counts and the lists of
//! unassigned and straddling buildings.

use super::{parse_date, CliResult, Source};
use chrono::NaiveDate;
use std::io::Write;
use std::process::ExitCode;
use wangge_engine::assign::assign;
use wangge_engine::Layer;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    source: Source,
    #[arg(long, value_parser = parse_date)]
    as_of: Option<NaiveDate>,
    /// `summary`: per-grid counts; `buildings`: CSV of building → grid
    #[arg(long, default_value = "summary", value_parser = ["summary", "buildings"])]
    format: String,
}

pub(super) fn run(args: Args) -> CliResult {
    let (district, _) = args.source.load()?;
    let result = assign(&district, args.as_of);
    let stdout = std::io::stdout();
    if args.format == "buildings" {
        let mut w = csv::Writer::from_writer(stdout.lock());
        w.write_record(["building_id", "base_grid", "child_grid", "straddles"])?;
        for a in &result.buildings {
            let id = |s: Option<u32>| s.map(|s| district.slot(s).id.0.clone()).unwrap_or_default();
            w.write_record([
                district.buildings()[a.building].id.clone(),
                id(a.base),
                id(a.child),
                a.straddles().to_string(),
            ])?;
        }
        w.flush()?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = stdout.lock();
    writeln!(out, "grid\tlayer\tbuildings\thouseholds\tresidents")?;
    for layer in [Layer::Base, Layer::Micro, Layer::Special] {
        for slot in district.layer_slots(&layer, args.as_of) {
            let c = result.counts(slot);
            let g = district.slot(slot);
            writeln!(
                out,
                "{}\t{}\t{}\t{}\t{}",
                g.id,
                layer.as_str(),
                c.buildings,
                c.households,
                c.residents
            )?;
        }
    }
    let unassigned: Vec<&str> = result
        .unassigned_buildings()
        .map(|a| district.buildings()[a.building].id.as_str())
        .collect();
    let straddling: Vec<&str> = result
        .straddling_buildings()
        .map(|a| district.buildings()[a.building].id.as_str())
        .collect();
    writeln!(
        out,
        "buildings: {} assigned, {} unassigned, {} straddling",
        result.buildings.len() - unassigned.len(),
        unassigned.len(),
        straddling.len()
    )?;
    if !unassigned.is_empty() {
        writeln!(out, "unassigned: {}", unassigned.join(" "))?;
    }
    if !straddling.is_empty() {
        writeln!(out, "straddling: {}", straddling.join(" "))?;
    }
    Ok(ExitCode::SUCCESS)
}
