//! Stores for the store tests: the backends one suite runs against (memory, GeoPackage, PostGIS
//! in the cluster of [`super::postgis`]) and the command-line arguments that address them.

use super::postgis;
use std::path::Path;
use tempfile::TempDir;
use wangge::store::Store;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backend {
    Memory,
    Gpkg,
    Postgres,
}

/// A store for one test, and what must live as long as it (the GeoPackage's folder).
pub(crate) struct TestStore {
    pub store: Store,
    pub backend: Backend,
    pub dir: TempDir,
    /// The PostgreSQL URL, or none.
    pub url: Option<String>,
}

impl TestStore {
    pub(crate) async fn new(backend: Backend) -> TestStore {
        let dir = tempfile::tempdir().expect("cannot create a temporary folder");
        let (store, url) = match backend {
            Backend::Memory => (Store::memory().await.expect("memory store"), None),
            Backend::Gpkg => (
                Store::open(None, &dir.path().join("data"))
                    .await
                    .expect("opening the GeoPackage store"),
                None,
            ),
            Backend::Postgres => {
                let url =
                    tokio::task::spawn_blocking(|| postgis::PgCluster::shared().fresh_database())
                        .await
                        .expect("creating a test database");
                (
                    Store::open(Some(&url), dir.path())
                        .await
                        .expect("opening the PostGIS store"),
                    Some(url),
                )
            }
        };
        TestStore {
            store,
            backend,
            dir,
            url,
        }
    }

    pub(crate) fn data_dir(&self) -> std::path::PathBuf {
        self.dir.path().join("data")
    }

    /// A second, independent handle on the same stored data (as another process would open).
    pub(crate) async fn reopen(&self) -> Store {
        match self.backend {
            Backend::Memory => self.store.clone(),
            _ => Store::open(self.url.as_deref(), &self.data_dir())
                .await
                .expect("reopening the store"),
        }
    }
}

/// Arguments for `wangge` commands that address this store.
pub(crate) fn store_args(url: Option<&str>, data_dir: &Path) -> Vec<String> {
    match url {
        Some(u) => vec!["--database".into(), u.into()],
        None => vec!["--data-dir".into(), data_dir.display().to_string()],
    }
}
