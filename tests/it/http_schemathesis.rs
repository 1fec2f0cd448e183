//! Schemathesis (PyPI) against the running service and its own OpenAPI document (issue #11):
//! any 5xx, an undocumented status code or content type, or a body that does not match its
//! schema fails the test.
//!
//! The service runs on the embedded GeoPackage store in a throwaway data folder, seeded with
//! the demo district, with an admin token so that the authenticated operations (edits, people,
//! tokens, import) are exercised too; saving is harmless there. The run is deterministic
//! (`--seed`) and bounded (examples per operation, and a wall-clock limit).
//!
//! Schemathesis is not a Rust crate: `scripts/test.sh` installs a pinned version into a venv
//! under `target/` and runs this test with `--ignored`; `WANGGE_SCHEMATHESIS` names another
//! `st` executable.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use wangge::server::{self, Config};
use wangge::store::Store;

const ADMIN: &str = "schemathesis-admin-secret-0123456789";
/// The whole run's limit; on 2 cores it takes about a minute and a half.
const LIMIT: Duration = Duration::from_secs(240);

fn st_executable() -> PathBuf {
    match std::env::var_os("WANGGE_SCHEMATHESIS") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/schemathesis/bin/st"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs schemathesis from PyPI: scripts/test.sh installs it and runs this with --ignored"]
async fn schemathesis_finds_no_server_error_or_schema_mismatch() {
    let st = st_executable();
    assert!(
        st.is_file(),
        "schemathesis is not installed at {} (scripts/test.sh installs it; WANGGE_SCHEMATHESIS names another)",
        st.display()
    );
    let data = tempfile::tempdir().expect("temp dir");
    let store = Store::open(None, data.path())
        .await
        .expect("GeoPackage store");
    let config = Config {
        seed_dir: Some(crate::common::demo_dir()),
        admin_secret: Some(ADMIN.into()),
        ..Config::default()
    };
    let running = server::start(
        store,
        config,
        "127.0.0.1:0".parse().expect("address"),
        std::future::pending(),
    )
    .await
    .expect("server starts");
    let schema = format!("http://{}/api/openapi.json", running.addr);
    let report = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("schemathesis");
    // Schemathesis keeps a cache in its working folder: keep it out of the source tree.
    std::fs::create_dir_all(&report).expect("report folder");
    let mut child = Command::new(&st)
        .current_dir(&report)
        .args([
            "run",
            &schema,
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
            "--max-examples",
            "12",
            "--seed",
            "20261201",
            "--generation-database",
            "none",
            "--phases",
            "examples,coverage,fuzzing",
            // One worker: Debian's Python 3.11.2 has a race in its AST parser that Hypothesis
            // trips over from several threads ("AST constructor recursion depth mismatch").
            "--workers",
            "1",
            // Schemathesis feeds the ids GET /tokens lists into DELETE /tokens/{id}: revoking
            // the run's own admin token would turn every later request into a 401.
            "--exclude-operation-id",
            "delete_tokens_id",
            "--request-timeout",
            "60",
            "--suppress-health-check",
            "all",
            "--no-color",
            "--report",
            "junit",
            "--report-dir",
        ])
        .arg(&report)
        .args(["--header", &format!("Authorization: Bearer {ADMIN}")])
        .env("NO_PROXY", "127.0.0.1")
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("schemathesis starts");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for schemathesis") {
            break status;
        }
        if started.elapsed() > LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("schemathesis ran longer than {LIMIT:?}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    running.stop().await.expect("server stops");
    assert!(
        status.success(),
        "schemathesis found problems ({status}); its report is in {}",
        report.display()
    );
}

/// Found by schemathesis: an edit dated before the day the grid's current version starts
/// (`date=2023-12-31` on a grid drawn on 2024-01-01) failed while being applied and was answered as a
/// 500. It is bad input in `date`, and nothing is stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edit_dated_before_the_current_version_is_a_400_naming_date_not_a_500() {
    let s = crate::common::http::start().await;
    let grid = "341002001001001";
    let before = s.changes().await;
    for dry_run in ["true", "false"] {
        let r = s
            .client
            .put(s.url(&format!(
                "/api/v1/grids/{grid}/status?dry_run={dry_run}&reason=test&date=2023-12-31"
            )))
            .bearer_auth(crate::common::http::ADMIN)
            .json(&serde_json::json!({"status": "suspended"}))
            .send()
            .await
            .expect("request");
        assert_eq!(r.status(), 400, "dry_run={dry_run}");
        assert_eq!(r.headers()["content-type"], "application/problem+json");
        let p: serde_json::Value = r.json().await.expect("problem");
        assert_eq!(p["errors"][0]["field"], "date", "{p}");
        assert_eq!(p["grid"], grid, "{p}");
    }
    assert_eq!(s.changes().await, before, "nothing is stored");
    let g = s.get_json(&format!("/api/v1/grids/{grid}")).await;
    assert_eq!(g["properties"]["status"], "active");
}
