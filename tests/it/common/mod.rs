//! Helpers shared by the modules of the integration-test binary:
//!
//! - [`http`]: the service started in-process on loopback, tokens, problem-document asserts;
//! - [`gis`]: the demo district loaded once, GDAL command-line tools;
//! - [`store`]: a store per backend (memory, GeoPackage, PostGIS) for one test;
//! - [`postgis`]: the throwaway PostGIS cluster, started once per test process;
//! - [`synth`]: deterministic synthetic datasets;
//!
//! and, here, what several of them need: the demo dataset, the `wangge` binary, a loopback
//! listener that counts connections.

pub(crate) mod gis;
pub(crate) mod http;
pub(crate) mod postgis;
pub(crate) mod store;
pub(crate) mod synth;

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use wangge::engine::District;
use wangge::io::dataset::{load_dir, Dataset};

/// The committed demo dataset's folder (Tunxi district).
pub(crate) fn demo_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("geodata/tunxi")
}

/// The demo dataset, read afresh (tests change their copy).
pub(crate) fn demo_dataset() -> Dataset {
    load_dir(&demo_dir()).expect("demo dataset geodata/tunxi")
}

/// The demo district, built afresh (tests change their copy; [`gis::demo`] shares one).
pub(crate) fn demo_district() -> District {
    demo_dataset().into_district().expect("demo district").0
}

/// The `wangge` binary cargo built for these tests, with no `DATABASE_URL` from the caller's
/// environment: a test names its store itself.
pub(crate) fn wangge_command() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_wangge"));
    c.env_remove("DATABASE_URL");
    c
}

/// Runs `wangge args…` in the repository's root folder (where relative paths in the tests
/// point) and returns what it did.
pub(crate) fn wangge(args: &[&str]) -> Output {
    wangge_command()
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run wangge")
}

/// A loopback listener that counts (and drops) every connection made to it.
pub(crate) fn counting_listener() -> (u16, Arc<AtomicUsize>) {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = l.local_addr().expect("addr").port();
    let count = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&count);
    std::thread::spawn(move || {
        for conn in l.incoming() {
            seen.fetch_add(1, Ordering::SeqCst);
            drop(conn);
        }
    });
    (port, count)
}

/// A GDAL VRT whose layer GDAL would fetch over HTTP from `127.0.0.1:port`.
pub(crate) fn vrt_fetching(port: u16) -> String {
    format!(
        r#"<OGRVRTDataSource>
  <OGRVRTLayer name="grids">
    <SrcDataSource>/vsicurl/http://127.0.0.1:{port}/grids.geojson</SrcDataSource>
  </OGRVRTLayer>
</OGRVRTDataSource>"#
    )
}

/// The slippy-map tile holding a lon/lat at zoom `z`.
pub(crate) fn tile_of(lon: f64, lat: f64, z: u8) -> (u32, u32) {
    let n = f64::from(1u32 << z);
    let x = ((lon + 180.0) / 360.0 * n).floor() as u32;
    let lat_r = lat.to_radians();
    let y = ((1.0 - (lat_r.tan() + 1.0 / lat_r.cos()).ln() / std::f64::consts::PI) / 2.0 * n)
        .floor() as u32;
    (x, y)
}
