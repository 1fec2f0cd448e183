//! Two `wangge serve` processes on one PostGIS: an edit saved through one is seen by lookups on
//! the other within a second.

use crate::common::store::{Backend, TestStore};
use crate::common::wangge_command;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

const ADMIN: &str = "sync-test-admin-secret-0123";
const G1: &str = "341002001001001";

struct Serve {
    child: Child,
    base: String,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(url: &str, dir: &std::path::Path) -> Serve {
    let mut child = wangge_command()
        .args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--database",
            url,
            "--data-dir",
        ])
        .arg(dir)
        .env("WANGGE_ADMIN_TOKEN", ADMIN)
        .env_remove("DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawning wangge serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("the address line");
    let addr = line
        .trim()
        .strip_prefix("wangge: serving on ")
        .map(|a| a.trim_end_matches('/').to_string())
        .unwrap_or_else(|| panic!("unexpected first line: {line}"));
    Serve { child, base: addr }
}

async fn ready(client: &reqwest::Client, s: &Serve) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Ok(r) = client.get(format!("{}/health", s.base)).send().await {
            if r.status() == 200 {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{} never became ready", s.base);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_through_one_process_reaches_lookups_on_the_other_within_a_second() {
    let t = TestStore::new(Backend::Postgres).await;
    let url = t.url.clone().expect("PostGIS URL");
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    // The first process seeds the empty store with the demo; the second starts on it.
    let a = serve(&url, &t.data_dir());
    ready(&client, &a).await;
    let b = serve(&url, &t.data_dir());
    ready(&client, &b).await;

    let grid: Value = client
        .get(format!("{}/api/v1/grids/{G1}", b.base))
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    let ring = grid["geometry"]["coordinates"][0]
        .as_array()
        .expect("ring")
        .clone();
    let n = (ring.len() - 1) as f64;
    let (x, y) = ring[..ring.len() - 1].iter().fold((0.0, 0.0), |(x, y), p| {
        (
            x + p[0].as_f64().unwrap_or(0.0) / n,
            y + p[1].as_f64().unwrap_or(0.0) / n,
        )
    });
    let lookup = format!("{}/api/v1/lookup?lon={x}&lat={y}", b.base);
    let before: Value = client
        .get(&lookup)
        .send()
        .await
        .expect("lookup")
        .json()
        .await
        .expect("json");
    assert_eq!(before["base"]["id"], G1);
    assert_eq!(before["base"]["status"], "active");

    let r = client
        .put(format!(
            "{}/api/v1/grids/{G1}/status?reason=no%20worker",
            a.base
        ))
        .bearer_auth(ADMIN)
        .header("If-Match", "\"1\"")
        .json(&json!({"status": "suspended"}))
        .send()
        .await
        .expect("put");
    assert_eq!(r.status(), 200);
    let saved = Instant::now();
    loop {
        let v: Value = client
            .get(&lookup)
            .send()
            .await
            .expect("lookup")
            .json()
            .await
            .expect("json");
        if v["base"]["status"] == "suspended" {
            assert_eq!(v["base"]["version"], 2);
            break;
        }
        assert!(
            saved.elapsed() < Duration::from_secs(1),
            "the other process did not follow within 1 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
