//! The web map's browser tests (web-map/tests/run.mjs) run under `cargo test`.
//!
//! They need node, `npm ci --prefix web-map` (MapLibre and playwright-core) and Debian's
//! chromium (`apt-get install -y chromium`). This test builds nothing: it hands the node runner
//! the server binary cargo built for it, and fails with a clear message when a prerequisite is
//! missing rather than skipping silently.

use std::path::PathBuf;
use std::process::Command;

#[test]
fn web_map_in_headless_chromium() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let web = root.join("web-map");
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        PathBuf::from(&chromium).exists(),
        "chromium is missing at {chromium}: apt-get install -y chromium (or set CHROMIUM)"
    );
    for module in [
        "maplibre-gl/dist/maplibre-gl.mjs",
        "playwright-core/package.json",
    ] {
        assert!(
            web.join("node_modules").join(module).exists(),
            "web-map/node_modules/{module} is missing: run `npm ci --prefix web-map`"
        );
    }
    let out = Command::new("node")
        .arg(web.join("tests/run.mjs"))
        .arg(env!("CARGO_BIN_EXE_wangge"))
        .current_dir(&root)
        .output()
        .unwrap_or_else(|e| panic!("cannot run node (is it installed?): {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "web-map browser tests failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    println!("{stdout}");
}
