//! The command-line interface: `wangge serve | validate | lookup | assign | export | import |
//! demo | migrate | load`.
//!
//! Exit codes: 0 success, 1 validation found problems, 2 bad input or any other error (one
//! plain line on stderr).

mod assign;
mod demo;
mod export;
pub mod import;
mod lookup;
mod serve;
mod source;
mod store_cmd;
mod validate;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

pub use source::Source;

#[derive(Debug, Parser)]
#[command(
    name = "wangge",
    version,
    about = "Governance grids: validate, look up, assign, export, import"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check grids for gaps, overlaps, slivers, hierarchy breaks, invalid geometry, standards
    Validate(validate::Args),
    /// Look up one point or a file of points
    Lookup(lookup::Args),
    /// Assign buildings and households to grids and count them per grid
    Assign(assign::Args),
    /// Export grids as GeoJSON (RFC 7946), GeoPackage, Shapefile, KML, FlatGeobuf or CSV, or
    /// the building/household → grid assignments as CSV
    Export(export::Args),
    /// Import a GIS file (Shapefile, GeoPackage, GeoJSON, KML, DXF, FlatGeobuf, CSV) into the store
    Import(import::Args),
    /// Rebuild the demo district
    Demo(demo::Args),
    /// Run the HTTP service (JSON API, OGC API – Features)
    Serve(serve::Args),
    /// Create or update the store's schema (GeoPackage in --data-dir, or --database URL)
    Migrate(store_cmd::MigrateArgs),
    /// Import a dataset folder into the store in one transaction
    Load(store_cmd::LoadArgs),
    /// Print the latest change id and every newer one as it is committed
    #[command(hide = true)]
    StoreWatch(store_cmd::WatchArgs),
}

/// A command's outcome. The CLI is the program's edge: commands gather the library's typed
/// errors (and their own "while …" context) into an [`anyhow::Error`], which [`run`] prints as
/// one plain line and exit code 2.
pub type CliResult = anyhow::Result<ExitCode>;

/// Parses the arguments and runs the command; returns the process exit code.
pub fn run<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
                print!("{e}");
                return ExitCode::SUCCESS;
            }
            // clap's message spans several lines with usage; keep only the reason.
            let rendered = e.to_string();
            let first = rendered.lines().next().unwrap_or("invalid arguments");
            eprintln!("wangge: {}", first.trim_start_matches("error: "));
            return ExitCode::from(2);
        }
    };
    let result = match cli.command {
        Command::Validate(a) => validate::run(a),
        Command::Lookup(a) => lookup::run(a),
        Command::Assign(a) => assign::run(a),
        Command::Export(a) => export::run(a),
        Command::Import(a) => import::run(a),
        Command::Demo(a) => demo::run(a),
        Command::Serve(a) => serve::run(a),
        Command::Migrate(a) => store_cmd::migrate(a),
        Command::Load(a) => store_cmd::load(a),
        Command::StoreWatch(a) => store_cmd::watch(a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("wangge: {}", one_line(&e));
            ExitCode::from(2)
        }
    }
}

/// The error and its causes on one line, outermost first. A cause whose text the message before
/// it already quotes is left out: the library's errors put their cause's text in their own
/// message (that is what the HTTP API shows), while context added here does not.
fn one_line(e: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if text.is_empty() || line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line.replace('\n', " ")
}

/// An environment variable: unset is `None`; a value that is not Unicode is an error, not
/// "unset" (which would, say, open the embedded store instead of the database meant).
pub(crate) fn env_var(name: &str) -> anyhow::Result<Option<String>> {
    match std::env::var(name) {
        Ok(v) => Ok(Some(v)),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(e) => Err(anyhow::Error::new(e).context(format!("environment variable {name}"))),
    }
}

/// A command-line value that is not a date.
#[derive(Debug, thiserror::Error)]
#[error("\"{given}\" is not a date YYYY-MM-DD")]
pub(crate) struct NotADate {
    given: String,
    #[source]
    source: chrono::ParseError,
}

pub(crate) fn parse_date(s: &str) -> Result<chrono::NaiveDate, NotADate> {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|source| NotADate {
        given: s.to_string(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[test]
    fn one_line_appends_context_causes_once() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        let e = Err::<(), _>(io)
            .context("cannot read a.csv")
            .expect_err("error");
        assert_eq!(one_line(&e), "cannot read a.csv: no such file");
        // A typed error that quotes its cause is printed once.
        let date = parse_date("2024-13-01").expect_err("not a date");
        let e = anyhow::Error::new(date);
        assert_eq!(
            one_line(&e),
            "\"2024-13-01\" is not a date YYYY-MM-DD: input is out of range"
        );
    }
}
