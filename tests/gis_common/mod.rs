//! Shared by the tests/gis_*.rs binaries: the demo district, loaded once per binary.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use wangge::engine::{District, Grid, Layer};

pub(crate) fn demo() -> &'static District {
    static D: OnceLock<District> = OnceLock::new();
    D.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("geodata/tunxi");
        let ds = wangge::io::dataset::load_dir(&dir).expect("demo dataset");
        ds.into_district().expect("demo district").0
    })
}

pub(crate) fn current(layer: &Layer) -> Vec<&'static Grid> {
    demo().grids_of_layer(layer, None)
}

/// Runs a GDAL command-line tool (Debian package gdal-bin), failing loudly when it is missing.
pub(crate) fn gdal_tool(tool: &str, args: &[&str]) -> std::process::Output {
    let out = Command::new(tool)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {tool} ({e}): install gdal-bin"));
    assert!(
        out.status.success(),
        "{tool} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

pub(crate) fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}
