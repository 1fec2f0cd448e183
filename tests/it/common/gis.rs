//! Shared by the gis_* modules: the demo district, loaded once per test process, and GDAL tools.

use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;
use wangge::engine::{District, Grid, Layer};

pub(crate) fn demo() -> &'static District {
    static D: OnceLock<District> = OnceLock::new();
    D.get_or_init(super::demo_district)
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
