//! Storage commands: `wangge migrate`, `wangge load`, and the hidden `wangge store-watch` that
//! follows the change log (used by the multi-process tests and handy when debugging sync).
//!
//! The store is `--database URL` (or the `DATABASE_URL` environment variable) when given,
//! otherwise the GeoPackage `wangge.gpkg` in `--data-dir` (default `data/`).

use super::CliResult;
use crate::io::dataset::load_dir;
use crate::store::{ChangeMeta, Operation, Store};
use anyhow::Context;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

#[derive(Debug, clap::Args)]
pub(super) struct StoreArgs {
    /// PostgreSQL/PostGIS URL (postgres://…); default: the DATABASE_URL environment variable,
    /// then the GeoPackage in --data-dir
    #[arg(long)]
    database: Option<String>,
    /// Folder of the embedded GeoPackage store (wangge.gpkg)
    #[arg(long, default_value = "data")]
    data_dir: PathBuf,
}

impl StoreArgs {
    async fn open(&self) -> anyhow::Result<Store> {
        let database = match &self.database {
            Some(url) => Some(url.clone()),
            None => super::env_var("DATABASE_URL")?,
        };
        Ok(Store::open(database.as_deref(), &self.data_dir).await?)
    }

    fn describe(&self) -> String {
        match &self.database {
            Some(_) => "the PostgreSQL database".into(),
            None if std::env::var_os("DATABASE_URL").is_some() => {
                "the PostgreSQL database (DATABASE_URL)".into()
            }
            None => self
                .data_dir
                .join(crate::store::gpkg::FILE_NAME)
                .display()
                .to_string(),
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct MigrateArgs {
    #[command(flatten)]
    store: StoreArgs,
}

#[derive(Debug, clap::Args)]
pub struct LoadArgs {
    /// Dataset folder (areas.geojson, grids.geojson, buildings.geojson, households.csv)
    #[arg(long)]
    data: PathBuf,
    #[command(flatten)]
    store: StoreArgs,
    /// Who is loading, for the change log
    #[arg(long, default_value = "wangge load")]
    actor: String,
    /// Why, for the change log
    #[arg(long, default_value = "bulk load")]
    reason: String,
}

#[derive(Debug, clap::Args)]
pub struct WatchArgs {
    #[command(flatten)]
    store: StoreArgs,
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

pub(super) fn migrate(args: MigrateArgs) -> CliResult {
    runtime()?.block_on(async {
        let store = args.store.open().await?;
        store.migrate().await?;
        store.close().await;
        eprintln!("{} is up to date", args.store.describe());
        Ok(ExitCode::SUCCESS)
    })
}

pub(super) fn load(args: LoadArgs) -> CliResult {
    let started = Instant::now();
    let ds = load_dir(&args.data)?;
    let rows = ds.areas.len() + ds.grids.len() + ds.buildings.len() + ds.households.len();
    eprintln!(
        "read {}: {} areas, {} grid versions, {} buildings, {} households in {:.1} s",
        args.data.display(),
        ds.areas.len(),
        ds.grids.len(),
        ds.buildings.len(),
        ds.households.len(),
        started.elapsed().as_secs_f64()
    );
    runtime()?.block_on(async {
        let store = args.store.open().await?;
        let meta = ChangeMeta {
            actor: args.actor.clone(),
            reason: args.reason.clone(),
            operation: Operation::Import,
            at: chrono::Utc::now(),
        };
        let importing = Instant::now();
        // Progress goes to stderr line by line; everything is one transaction, so a load
        // stopped at any of these lines leaves the store as it was.
        let progress = |table: &str, done: u64| {
            let mut err = std::io::stderr().lock();
            let _ = writeln!(err, "progress {table} {done}");
        };
        let id = store.import_reporting(&ds, &meta, &progress).await?;
        let secs = importing.elapsed().as_secs_f64();
        store.close().await;
        eprintln!(
            "loaded {rows} rows into {} as change {id} in {secs:.2} s ({:.0} rows/s)",
            args.store.describe(),
            rows as f64 / secs.max(1e-9)
        );
        Ok(ExitCode::SUCCESS)
    })
}

/// Prints the latest change id, then every newer one as it is committed (by any process).
pub(super) fn watch(args: WatchArgs) -> CliResult {
    runtime()?.block_on(async {
        let store = args.store.open().await?;
        let mut rx = store.subscribe().await?;
        let mut last = *rx.borrow_and_update();
        let mut out = std::io::stdout();
        writeln!(out, "{last}")?;
        out.flush()?;
        while rx.changed().await.is_ok() {
            let id = *rx.borrow_and_update();
            if id > last {
                last = id;
                writeln!(out, "{id}")?;
                out.flush()?;
            }
        }
        Ok(ExitCode::SUCCESS)
    })
}
