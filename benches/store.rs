//! Store benchmark: bulk import rate, load time (`Store::load` + `District::new`) and peak RSS of
//! the load, for the demo district and for a synthetic city of 100,000 grids with 5,000,000
//! households, on the GeoPackage and on PostGIS (a throwaway cluster, see
//! tests/it/common/postgis.rs).
//!
//! `cargo bench --bench store` prints the figures (scripts/bench-store.sh runs every scenario in
//! its own process so peak RSS is per scenario). Without `--bench` (as `cargo test` runs it) it
//! only does a quick smoke run on the demo. Figures are printed, never asserted.
//!
//! Usage: `cargo bench --bench store -- [demo|big|large] [gpkg|postgres]` (none: demo and big;
//! `large` is 250,000 grids with 5,000,000 households, only when asked for).

#[path = "../tests/it/common/postgis.rs"]
mod postgis;
#[path = "../tests/it/common/synth.rs"]
mod synth;

use std::path::Path;
use std::time::Instant;
use wangge::io::dataset::{load_dir, Dataset};
use wangge::store::{ChangeMeta, Operation, Store};

fn vm(field: &str) -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .map(|l| l[field.len()..].trim().to_string())
        })
        .unwrap_or_else(|| "?".into())
}

/// CPU seconds (user + system, every thread) the process has used so far, from
/// `/proc/self/stat` in clock ticks (100 per second on Linux): on a shared machine the wall time
/// of a phase includes waiting for a core, its CPU time does not.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<f64> = rest
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0.0))
        .collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    (f.get(11).copied().unwrap_or(0.0) + f.get(12).copied().unwrap_or(0.0)) / 100.0
}

/// Resets the peak RSS (VmHWM) so the next reading is the peak of the phase that follows.
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn rows(ds: &Dataset) -> usize {
    ds.areas.len() + ds.grids.len() + ds.buildings.len() + ds.households.len()
}

async fn run(name: &str, backend: &str, ds: Dataset, pg: Option<&postgis::PgCluster>) {
    let dir = tempfile::tempdir().expect("temporary folder");
    let url = pg.map(|c| c.fresh_database());
    let store = Store::open(url.as_deref(), dir.path())
        .await
        .expect("opening the store");
    let meta = ChangeMeta {
        actor: "bench".into(),
        reason: "bench".into(),
        operation: Operation::Import,
        at: chrono::Utc::now(),
    };
    let n = rows(&ds);
    let (t, c) = (Instant::now(), cpu_seconds());
    store.import(&ds, &meta).await.expect("import");
    let (import, import_cpu) = (t.elapsed().as_secs_f64(), cpu_seconds() - c);
    let counts = (ds.grids.len(), ds.households.len());
    drop(ds);
    store.close().await;
    let size = std::fs::metadata(dir.path().join("wangge.gpkg"))
        .map(|m| format!(", file {:.0} MB", m.len() as f64 / 1e6))
        .unwrap_or_default();

    let store = Store::open(url.as_deref(), dir.path())
        .await
        .expect("reopening the store");
    reset_peak();
    let (t, c) = (Instant::now(), cpu_seconds());
    let loaded = store.load().await.expect("load");
    let (load, load_cpu) = (t.elapsed().as_secs_f64(), cpu_seconds() - c);
    let (t, c) = (Instant::now(), cpu_seconds());
    let (district, _) = loaded.into_district().expect("district");
    let (build, build_cpu) = (t.elapsed().as_secs_f64(), cpu_seconds() - c);
    println!(
        "{name:5} {backend:8} grids {:>7} households {:>9}: import {import:7.2} s (CPU {import_cpu:.2} s, {:>9.0} rows/s){size}; \
         load {load:6.2} s + District::new {build:6.2} s = {:6.2} s \
         (CPU {load_cpu:.2} s + {build_cpu:.2} s); peak RSS of load {} (VmHWM)",
        counts.0,
        counts.1,
        n as f64 / import,
        load + build,
        vm("VmHWM:")
    );
    drop(district);
    store.close().await;
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let bench = args.iter().any(|a| a == "--bench");
    // Scenario and backend filters: none given means all of that kind.
    let picked = |group: &[&str], s: &str| {
        let given: Vec<&String> = args
            .iter()
            .filter(|a| group.contains(&a.as_str()))
            .collect();
        given.is_empty() || given.iter().any(|a| a.as_str() == s)
    };
    let want = |s: &str| {
        const SCENARIOS: [&str; 3] = ["demo", "big", "large"];
        if SCENARIOS.contains(&s) {
            picked(&SCENARIOS, s)
        } else {
            picked(&["gpkg", "postgres"], s)
        }
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let demo =
        || load_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("geodata/tunxi")).expect("demo");
    if !bench {
        // Smoke run under `cargo test`: the code path works, on the embedded store only.
        rt.block_on(run("demo", "gpkg", demo(), None));
        return;
    }
    let pg = if want("postgres") {
        Some(postgis::PgCluster::start())
    } else {
        None
    };
    for backend in ["gpkg", "postgres"] {
        if !want(backend) {
            continue;
        }
        let cluster = if backend == "postgres" {
            pg.as_ref()
        } else {
            None
        };
        if want("demo") {
            rt.block_on(run("demo", backend, demo(), cluster));
        }
        // big: 400 × 250 = 100,000 base grids in communities of 10 × 10; large: 500 × 500 =
        // 250,000, the size of the side-by-side city (benches/side_by_side), built in seconds.
        for (scenario, nx, ny) in [("big", 400, 250), ("large", 500, 500)] {
            // The large city runs only when named (it adds a minute to a full run).
            let named = args.iter().any(|a| a == scenario);
            if !want(scenario) || (scenario == "large" && !named) {
                continue;
            }
            let t = Instant::now();
            let ds = synth::dataset(nx, ny, 5_000_000);
            eprintln!(
                "generated {} grids, {} households in {:.1} s",
                ds.grids.len(),
                ds.households.len(),
                t.elapsed().as_secs_f64()
            );
            rt.block_on(run(scenario, backend, ds, cluster));
        }
    }
}
