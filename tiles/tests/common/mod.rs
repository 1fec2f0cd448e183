//! Test helpers shared by the integration tests (each test file uses a subset).
#![allow(dead_code)]

pub(crate) mod decode;
pub(crate) mod mesh;
pub(crate) mod samples;
pub(crate) mod spec;

use std::path::PathBuf;

/// Compares `actual` with the checked-in snapshot `tests/snapshots/NAME`. With
/// UPDATE_SNAPSHOTS=1 the file is (re)written instead; review the diff before committing.
pub(crate) fn assert_snapshot(name: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, actual).expect("write snapshot");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "snapshot {} missing: run with UPDATE_SNAPSHOTS=1 and review it",
            path.display()
        )
    });
    if expected != actual {
        let first = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(expected.lines().count().min(actual.lines().count()));
        panic!(
            "snapshot {} differs from line {}:\n--- expected\n{}\n--- actual\n{}\n(UPDATE_SNAPSHOTS=1 rewrites it)",
            name,
            first + 1,
            expected.lines().skip(first).take(5).collect::<Vec<_>>().join("\n"),
            actual.lines().skip(first).take(5).collect::<Vec<_>>().join("\n"),
        );
    }
}
