//! `wangge demo build`: regenerates the demo district's dataset folder from its sources.

use super::CliResult;
use crate::io::dataset::{write_dir, Dataset};
use anyhow::Context;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, clap::Subcommand)]
enum Action {
    /// Generate areas, grids and buildings of 屯溪区 from geodata/tunxi/source
    Build {
        /// Folder holding district.geojson and divisions.json
        #[arg(long, default_value = "geodata/tunxi/source")]
        source: PathBuf,
        /// Dataset folder to write
        #[arg(long, default_value = "geodata/tunxi")]
        out: PathBuf,
    },
}

pub(super) fn run(args: Args) -> CliResult {
    let Action::Build { source, out } = args.action;
    let read = |name: &str| {
        let path = source.join(name);
        std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))
    };
    let demo = crate::demo::generate(&read("district.geojson")?, &read("divisions.json")?)?;
    let dataset = Dataset {
        areas: demo.areas,
        grids: demo.grids,
        buildings: demo.buildings,
        households: demo.households,
        reading_problems: vec![],
    };
    write_dir(&out, &dataset)?;
    eprintln!(
        "wrote {}: {} areas, {} grid versions, {} buildings",
        out.display(),
        dataset.areas.len(),
        dataset.grids.len(),
        dataset.buildings.len()
    );
    Ok(ExitCode::SUCCESS)
}
