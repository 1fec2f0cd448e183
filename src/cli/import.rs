//! `wangge import FILE --layer …`: a GIS file into the store, all or nothing.
//!
//! Reading, reprojecting and mapping is [`crate::gis::read_file`] (shared with the HTTP upload);
//! this file adds the store: [`open_store`] picks the backend and
//! [`crate::gis::stage::store_outcome`] writes (or, with `--dry-run`, validates without writing).

use super::CliResult;
use crate::gis::stage::{store_outcome, Stored};
use crate::gis::{read_file_with_progress, CrsOverride, FieldMap, ImportOptions, Target};
use crate::store::{ChangeMeta, Operation, Store};
use std::path::PathBuf;
use std::process::ExitCode;
use wangge_engine::validate::Severity;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A local vector file: .shp (with .prj, .cpg), .gpkg, .geojson, .kml, .dxf, .fgb, .csv, .gml,
    /// or a .zip holding one; opened only with the driver its extension names, nothing fetched
    file: PathBuf,
    /// PostgreSQL/PostGIS URL of the store (default: DATABASE_URL, then the GeoPackage in --data-dir)
    #[arg(long, value_name = "URL", conflicts_with = "data_dir")]
    database: Option<String>,
    /// Folder of the embedded GeoPackage store (default: data)
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// base, micro, special, composite, buildings or households
    #[arg(long)]
    layer: String,
    /// The file's CRS when it has none or a wrong one: EPSG:xxxx, gcj02 or bd09
    #[arg(long, value_name = "CRS")]
    crs: Option<String>,
    /// Columns for model fields, e.g. code=GRID_CODE,name=MC
    #[arg(long, value_name = "FIELD=COLUMN,…")]
    map: Option<String>,
    /// Layer inside a multi-layer file (GeoPackage, KML)
    #[arg(long, value_name = "NAME")]
    source_layer: Option<String>,
    /// Print the validation report of store + file without saving anything
    #[arg(long)]
    dry_run: bool,
}

pub fn run(args: Args) -> CliResult {
    crate::gis::quiet_gdal();
    let mut opts = ImportOptions::new(Target::parse(&args.layer)?);
    opts.crs = args.crs.as_deref().map(CrsOverride::parse).transpose()?;
    opts.map = match &args.map {
        Some(m) => FieldMap::parse(m)?,
        None => FieldMap::default(),
    };
    opts.source_layer = args.source_layer.clone();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    // Fail on the store before reading a large file.
    let store = runtime.block_on(open_store(
        args.database.as_deref(),
        args.data_dir.as_deref(),
        args.dry_run,
    ))?;
    let mut last_report = std::time::Instant::now();
    let mut progress = |read: usize, total: Option<u64>| {
        if last_report.elapsed().as_secs_f64() >= 1.0 {
            last_report = std::time::Instant::now();
            match total {
                Some(t) => eprintln!("read {read} of {t} features"),
                None => eprintln!("read {read} features"),
            }
        }
    };
    let outcome = read_file_with_progress(&args.file, &opts, &mut progress)?;
    for line in outcome.summary_lines() {
        eprintln!("{line}");
    }
    outcome.require_all()?;
    let meta = ChangeMeta {
        actor: std::env::var("USER").unwrap_or_else(|_| "cli".into()),
        reason: format!("import {}", args.file.display()),
        operation: Operation::Import,
        at: chrono::Utc::now(),
    };
    match runtime.block_on(store_outcome(&store, &outcome, &meta, args.dry_run))? {
        Stored::DryRun(d) => {
            let report = &d.report;
            for p in &report.problems {
                println!("{p}");
            }
            for n in &d.notes {
                eprintln!("note: {n}");
            }
            let counted = |s| report.problems.iter().filter(|p| p.severity == s).count();
            println!(
                "dry run, nothing stored: {} errors, {} warnings, {} notes",
                counted(Severity::Error),
                counted(Severity::Warning),
                counted(Severity::Info)
            );
            if let Some(b) = &d.refusal {
                println!("the import would be refused: {}", b.message);
            }
            Ok(if report.is_clean() && d.refusal.is_none() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Stored::Change { id, notes } => {
            for n in &notes {
                eprintln!("note: {n}");
            }
            eprintln!("stored {} objects as change {id}", outcome.imported());
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Which store to import into: `--database URL` (or `DATABASE_URL`), else the GeoPackage in
/// `--data-dir` (default `data/`, as for `wangge serve`). A dry run against a data folder that
/// holds no store yet checks the file on its own (in memory) instead of creating one.
pub async fn open_store(
    database: Option<&str>,
    data_dir: Option<&std::path::Path>,
    dry_run: bool,
) -> anyhow::Result<Store> {
    let dir = data_dir.unwrap_or_else(|| std::path::Path::new("data"));
    let database = match database {
        Some(url) => Some(url.to_string()),
        None => super::env_var("DATABASE_URL")?,
    };
    match database {
        Some(url) => Ok(Store::open(Some(&url), dir).await?),
        None if dry_run && !dir.join(crate::store::gpkg::FILE_NAME).exists() => {
            Ok(Store::memory().await?)
        }
        None => Ok(Store::open(None, dir).await?),
    }
}
