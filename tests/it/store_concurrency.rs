//! Concurrent writers and multi-process sync on the GeoPackage and PostGIS backends.

use crate::common::store::{store_args, Backend, TestStore};
use crate::common::wangge_command;
use chrono::{NaiveDate, Utc};
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::{Duration, Instant};
use wangge::engine::edit::{ChangeSet, GridChange};
use wangge::engine::GridId;
use wangge::store::{ChangeMeta, Operation, StoreError};

fn meta(actor: String) -> ChangeMeta {
    ChangeMeta {
        actor,
        reason: "concurrency test".into(),
        operation: Operation::SetStatus,
        at: Utc::now(),
    }
}

/// 8 tasks each commit 6 edits against 3 shared grids, each edit based on the version the task
/// just read. Every commit must either succeed or be refused as a conflict, and afterwards each
/// grid's versions form an unbroken chain with exactly one current version.
async fn concurrent_writers(b: Backend) {
    let t = TestStore::new(b).await;
    let ds = crate::common::synth::dataset(3, 3, 0);
    t.store
        .import(&ds, &meta("import".into()))
        .await
        .expect("import");
    let targets: Vec<GridId> = ds.grids.iter().take(3).map(|g| g.id.clone()).collect();
    let mut tasks = vec![];
    for w in 0..8usize {
        // Each task has its own handle (its own pool), as separate service instances would.
        let store = t.reopen().await;
        let targets = targets.clone();
        tasks.push(tokio::spawn(async move {
            let (mut ok, mut conflicts) = (0, 0);
            for i in 0..6usize {
                let id = &targets[(w + i) % targets.len()];
                let ds = store.load().await.expect("load");
                let cur = ds
                    .grids
                    .iter()
                    .find(|g| &g.id == id && g.valid_to.is_none())
                    .expect("a current version")
                    .clone();
                let date = NaiveDate::from_ymd_opt(2025, 1, 1).expect("date")
                    + chrono::Days::new(u64::from(cur.version));
                let mut next = cur.clone();
                next.version += 1;
                next.valid_from = date;
                next.name = format!("{} by {w}/{i}", cur.name);
                let c = ChangeSet {
                    date,
                    changes: vec![GridChange {
                        before: Some(cur),
                        after: Some(next),
                    }],
                };
                match store.commit(&c, &meta(format!("writer {w}"))).await {
                    Ok(_) => ok += 1,
                    Err(StoreError::Conflict { .. }) => conflicts += 1,
                    Err(e) => panic!("writer {w}: neither success nor conflict: {e}"),
                }
            }
            (ok, conflicts)
        }));
    }
    let (mut total_ok, mut total_conflicts) = (0, 0);
    for task in tasks {
        let (ok, conflicts) = task.await.expect("writer task");
        total_ok += ok;
        total_conflicts += conflicts;
    }
    eprintln!("{b:?}: {total_ok} commits succeeded, {total_conflicts} refused as conflicts");
    assert!(total_ok >= 3, "some commits succeed");
    assert_eq!(total_ok + total_conflicts, 48);
    let ds = t.store.load().await.expect("load");
    let mut per_grid: HashMap<&GridId, Vec<_>> = HashMap::new();
    for g in &ds.grids {
        per_grid.entry(&g.id).or_default().push(g);
    }
    let mut added = 0;
    for (id, mut versions) in per_grid {
        versions.sort_by_key(|g| g.version);
        let numbers: Vec<u32> = versions.iter().map(|g| g.version).collect();
        assert_eq!(
            numbers,
            (1..=versions.len() as u32).collect::<Vec<_>>(),
            "grid {id}: unbroken chain"
        );
        assert_eq!(
            versions.iter().filter(|g| g.valid_to.is_none()).count(),
            1,
            "grid {id}: one current version"
        );
        for w in versions.windows(2) {
            assert_eq!(
                w[0].valid_to,
                Some(w[1].valid_from),
                "grid {id}: v{} closes where v{} starts",
                w[0].version,
                w[1].version
            );
        }
        added += versions.len() - 1;
    }
    assert_eq!(added, total_ok, "one new version per successful commit");
    let log = t.store.changes_after(1).await.expect("log");
    assert_eq!(log.len(), total_ok, "one log entry per successful commit");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_gpkg() {
    concurrent_writers(Backend::Gpkg).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_postgres() {
    concurrent_writers(Backend::Postgres).await
}

/// A `wangge store-watch` process follows the store; a commit made here must reach it within
/// a second.
async fn other_process_sees_commits(b: Backend) {
    let t = TestStore::new(b).await;
    let ds = crate::common::synth::dataset(2, 2, 0);
    t.store
        .import(&ds, &meta("import".into()))
        .await
        .expect("import");
    let mut child = wangge_command()
        .arg("store-watch")
        .args(store_args(t.url.as_deref(), &t.data_dir()))
        .env_remove("DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawning wangge store-watch");
    let stdout = child.stdout.take().expect("watcher stdout");
    let (tx, rx) = mpsc::channel::<(String, Instant)>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send((line, Instant::now())).is_err() {
                break;
            }
        }
    });
    let first = rx.recv_timeout(Duration::from_secs(30));
    let first = match first {
        Ok((l, _)) => l,
        Err(e) => {
            let _ = child.kill();
            panic!("watcher printed nothing: {e}");
        }
    };
    assert_eq!(first, "1", "watcher starts at the import");
    let mut lags = vec![];
    for round in 0..3u32 {
        let cur = t
            .store
            .load()
            .await
            .expect("load")
            .grids
            .into_iter()
            .find(|g| g.id == ds.grids[0].id && g.valid_to.is_none())
            .expect("current");
        let mut next = cur.clone();
        next.version += 1;
        next.valid_from = cur.valid_from + chrono::Days::new(1);
        let c = ChangeSet {
            date: next.valid_from,
            changes: vec![GridChange {
                before: Some(cur),
                after: Some(next),
            }],
        };
        let committed = Instant::now();
        let id = t
            .store
            .commit(&c, &meta("test".into()))
            .await
            .expect("commit");
        let seen = rx.recv_timeout(Duration::from_secs(1));
        match seen {
            Ok((line, when)) => {
                assert_eq!(line, id.to_string(), "round {round}");
                lags.push(when.duration_since(committed));
            }
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("{b:?}: the other process did not see change {id} within 1 s");
            }
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    eprintln!("{b:?}: change seen by the other process after {lags:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_process_sees_commits_gpkg() {
    other_process_sees_commits(Backend::Gpkg).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_process_sees_commits_postgres() {
    other_process_sees_commits(Backend::Postgres).await
}
