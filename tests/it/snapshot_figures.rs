//! Figures for issue #12, "the district as an immutable snapshot" (ignored: they measure, they
//! do not check behaviour).
//!
//! - `lookup_p99_during_dry_runs`: the p50/p99 of `GET /api/v1/lookup` first alone, then while
//!   one client posts maximal dry-run edits back to back. It drives a `wangge serve` process so
//!   that the same measure runs against any build:
//!   `WANGGE_BIN=/path/to/wangge cargo test --test it -- --ignored snapshot_figures::lookup_p99 --nocapture`
//!   (default: this branch's binary). `LOOKUP_CLIENTS` (4) and `SECONDS` (10) tune it.
//! - `planning_view_cost`: what a planning view of the district costs, taken and then changed
//!   the way a plan changes it (one grid closed, one version added):
//!   `cargo test --test it -- --ignored snapshot_figures::planning_view_cost --nocapture`.

use crate::common::demo_dir;
use geo::{Coord, LineString};
use serde_json::json;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use wangge::io::dataset::load_dir;
use wangge_engine::{District, GridId};

const G1: &str = "341002001001001";
const SECRET: &str = "p99-admin-secret-0123456789";
/// The service's default `--max-vertices`: the largest geometry a dry run may carry.
const MAXIMAL: usize = 10_000;

/// Kills the served process when the measure ends, however it ends.
struct Served(Child);

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `ring` with points added along its edges until it has `positions` positions.
fn densify(ring: &LineString<f64>, positions: usize) -> Vec<[f64; 2]> {
    let pts = &ring.0;
    let edges = pts.len() - 1;
    let extra = positions - pts.len();
    let mut out = Vec::with_capacity(positions);
    for e in 0..edges {
        let (a, b) = (pts[e], pts[e + 1]);
        out.push([a.x, a.y]);
        let k = extra * (e + 1) / edges - extra * e / edges;
        for i in 1..=k {
            let t = i as f64 / (k + 1) as f64;
            out.push([a.x + (b.x - a.x) * t, a.y + (b.y - a.y) * t]);
        }
    }
    out.push([pts[0].x, pts[0].y]);
    out
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Runs `clients` lookup loops for `secs` seconds and returns every answer's latency, sorted.
async fn lookups(client: &reqwest::Client, url: &str, clients: u64, secs: u64) -> Vec<Duration> {
    let stop = Arc::new(AtomicBool::new(false));
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let (client, url, stop) = (client.clone(), url.to_string(), stop.clone());
            tokio::spawn(async move {
                let mut out = vec![];
                while !stop.load(Ordering::Relaxed) {
                    let t = Instant::now();
                    let r = client.get(&url).send().await.expect("lookup");
                    assert_eq!(r.status(), 200, "lookup");
                    let _ = r.bytes().await.expect("lookup body");
                    out.push(t.elapsed());
                }
                out
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(secs)).await;
    stop.store(true, Ordering::Relaxed);
    let mut all = vec![];
    for t in tasks {
        all.extend(t.await.expect("lookup task"));
    }
    all.sort();
    all
}

fn report(what: &str, l: &[Duration]) {
    eprintln!(
        "{what}: {} lookups, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        l.len(),
        percentile(l, 0.5).as_secs_f64() * 1e3,
        percentile(l, 0.99).as_secs_f64() * 1e3,
        l.last().copied().unwrap_or_default().as_secs_f64() * 1e3
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn lookup_p99_during_dry_runs() {
    let bin = std::env::var("WANGGE_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_wangge").into());
    let clients = env_or("LOOKUP_CLIENTS", 4);
    let secs = env_or("SECONDS", 10);
    let data = tempfile::tempdir().expect("temporary folder");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("a free port")
        .local_addr()
        .expect("address")
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let _served = Served(
        Command::new(&bin)
            .args(["serve", "--bind", &format!("127.0.0.1:{port}"), "--seed"])
            .arg(demo_dir())
            .arg("--data-dir")
            .arg(data.path())
            .env("WANGGE_ADMIN_TOKEN", SECRET)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("wangge serve starts"),
    );
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");

    let d = load_dir(&demo_dir())
        .expect("demo")
        .into_district()
        .expect("district")
        .0;
    let g = d.grid(&GridId(G1.into()), None).expect("grid");
    let inside: Coord<f64> = geo::InteriorPoint::interior_point(&g.geometry)
        .expect("a point inside")
        .into();
    let lookup_url = format!("{base}/api/v1/lookup?lon={}&lat={}", inside.x, inside.y);
    let started = Instant::now();
    loop {
        if let Ok(r) = client.get(&lookup_url).send().await {
            if r.status() == 200 {
                break;
            }
        }
        assert!(started.elapsed() < Duration::from_secs(120), "never ready");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    eprintln!("{bin}: {clients} lookup clients, {secs} s per phase");

    report("alone", &lookups(&client, &lookup_url, clients, secs).await);

    let body =
        json!({"type": "Polygon", "coordinates": [densify(g.geometry.0[0].exterior(), MAXIMAL)]});
    let stop = Arc::new(AtomicBool::new(false));
    let previews = {
        let (client, stop) = (client.clone(), stop.clone());
        let url = format!("{base}/api/v1/grids/{G1}/geometry?dry_run=true");
        tokio::spawn(async move {
            let mut done = 0;
            while !stop.load(Ordering::Relaxed) {
                let r = client
                    .put(&url)
                    .bearer_auth(SECRET)
                    .json(&body)
                    .send()
                    .await
                    .expect("dry run");
                assert_eq!(r.status(), 200, "dry run");
                done += 1;
            }
            done
        })
    };
    // Let the first preview start planning.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let during = lookups(&client, &lookup_url, clients, secs).await;
    stop.store(true, Ordering::Relaxed);
    let done = previews.await.expect("dry runs");
    report(&format!("during {done} maximal dry runs"), &during);
}

/// A view taken and changed like a plan does: one base grid closed and a new version of it
/// added, so that every part a plan writes is copied once.
fn view_and_change(d: &District, id: &GridId, planning: bool) -> District {
    let mut view = if planning {
        d.planning_view()
    } else {
        d.clone()
    };
    let mut next = view.grid(id, None).expect("a current grid").clone();
    let day = next.valid_from.succ_opt().expect("a next day");
    assert!(view.close_version(id, day), "closed");
    next.version += 1;
    next.valid_from = day;
    view.add_version(next).expect("added");
    view
}

#[test]
#[ignore]
fn planning_view_cost() {
    let time = |what: &str, d: &District, id: &GridId| {
        let runs = 5;
        let t = Instant::now();
        for _ in 0..runs {
            std::hint::black_box(d.clone());
        }
        let clone = t.elapsed() / runs;
        let t = Instant::now();
        for _ in 0..runs {
            std::hint::black_box(view_and_change(d, id, false));
        }
        let changed = t.elapsed() / runs;
        let t = Instant::now();
        for _ in 0..runs {
            std::hint::black_box(view_and_change(d, id, true));
        }
        let planning = t.elapsed() / runs;
        eprintln!(
            "{what}: clone {clone:?}; clone and change one base grid {changed:?} (cell index \
             kept current); planning view and the same change {planning:?}"
        );
    };
    let demo = load_dir(&demo_dir())
        .expect("demo")
        .into_district()
        .expect("district")
        .0;
    let _ = demo.base_cells();
    time("demo district", &demo, &GridId(G1.into()));
    let c = wangge::demo::city::city(250, 200, 10, 0);
    let city = District::new(c.areas, c.grids, c.buildings, vec![]).expect("city");
    let _ = city.base_cells();
    let first = city
        .all_versions()
        .iter()
        .find(|g| g.layer == wangge_engine::Layer::Base)
        .expect("a base grid")
        .id
        .clone();
    time("50,000-grid city", &city, &first);
}
