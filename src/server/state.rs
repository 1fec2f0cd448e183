//! The state every handler shares: the store, the in-memory district built from it, and the
//! token cache.
//!
//! The district is only ever changed by replaying the store's change log ([`AppState::catch_up`]):
//! an edit saved by this process, and one saved by another process on the same database, take the
//! same path, so a change reaches the district only after the store committed it, and several
//! processes converge on the same grids.

use super::error::{ApiError, ApiResult};
use crate::io::dataset::Dataset;
use crate::store::{ChangeMeta, Operation, Store, TokenRecord};
use parking_lot::RwLock;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use wangge_engine::validate::Config as ValidationConfig;
use wangge_engine::District;

/// How the service runs (from the `serve` command line).
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Anonymous users may read (GET); otherwise every request needs a token.
    pub anonymous_read: bool,
    /// Largest request body, in bytes.
    pub max_body_bytes: usize,
    /// Dataset imported when the store is empty (the demo district).
    pub seed_dir: Option<PathBuf>,
    /// Secret of an admin token to create (or accept) at start.
    pub admin_secret: Option<String>,
    /// How often to replay changes other processes committed.
    pub poll_interval: Duration,
    /// The service's address as clients reach it (`--public-url`), for absolute links in the
    /// OGC and TileJSON documents; [`super::start`] fills in the bound address when unset.
    pub public_url: Option<String>,
    /// Header, time and connection limits.
    pub limits: super::Limits,
    /// Which dates edits may take, and the district's time zone for "today".
    pub edit_dates: super::routes::edits::EditDates,
    /// Most positions one request geometry (polygon rings together, a split line, a reroute
    /// path) may have; more is refused with 413 before any lock or planning.
    pub max_vertices: usize,
    /// The district's language for problems and errors when `Accept-Language` names none we
    /// serve (`wangge serve --language`, zh-CN there; English here, the API's historical one).
    pub language: super::i18n::Lang,
}

/// The default of [`ServerConfig::max_vertices`]: grids have tens of vertices (the demo
/// district's largest grid has 48 positions, its largest admin area 1,202; the benchmark city's
/// grids 21), so 10,000 leaves room for detailed boundaries while bounding one edit's work.
/// Why not more: planning validates around the edit with exact overlay, whose cost grows
/// faster than linearly on a finely densified ring (demo grid 341002001001001 redrawn with
/// 8,000 positions plans in 1–3 s in a debug build, 10,000 in 2–4 s, 12,000 in 4–7 s, 16,000 in
/// minutes), and the maximal dry run must stay seconds (`tests/it/http_heavy.rs`).
pub const DEFAULT_MAX_VERTICES: usize = 10_000;

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            anonymous_read: true,
            max_body_bytes: 64 * 1024 * 1024,
            seed_dir: None,
            admin_secret: None,
            poll_interval: Duration::from_millis(250),
            public_url: None,
            limits: super::Limits::default(),
            edit_dates: Default::default(),
            max_vertices: DEFAULT_MAX_VERTICES,
            language: super::i18n::Lang::En,
        }
    }
}

pub struct AppState {
    pub store: Store,
    pub config: ServerConfig,
    pub validation: ValidationConfig,
    /// Written only by [`AppState::catch_up`], after the store committed the change.
    pub district: RwLock<District>,
    /// The newest change of the store's log that `district` reflects.
    last_change: AtomicI64,
    ready: AtomicBool,
    /// Serialises replays and saves in this process so that a change is applied once, in log order.
    pub sync: tokio::sync::Mutex<()>,
    /// Tokens by secret hash; refreshed from the store on every poll so that a token revoked by
    /// another process stops working within one poll interval.
    tokens: RwLock<HashMap<String, TokenRecord>>,
    /// Vector tiles and their caches; told about every change applied to `district`.
    pub tiles: super::tiles::TileService,
}

pub type SharedState = Arc<AppState>;

impl AppState {
    /// A state with an empty district, not ready; [`AppState::load`] fills it.
    pub fn new(store: Store, config: ServerConfig) -> SharedState {
        let validation = ValidationConfig::default();
        Arc::new(AppState {
            store,
            config,
            tiles: super::tiles::TileService::new(validation.clone()),
            validation,
            district: RwLock::new(District::default()),
            last_change: AtomicI64::new(0),
            ready: AtomicBool::new(false),
            sync: tokio::sync::Mutex::new(()),
            tokens: RwLock::new(HashMap::new()),
        })
    }

    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }

    pub fn last_change(&self) -> i64 {
        self.last_change.load(Ordering::Acquire)
    }

    /// Imports the seed dataset into an empty store, builds the district and marks the state
    /// ready. Returns whether the seed was imported.
    pub async fn load(self: &Arc<Self>) -> Result<bool, String> {
        let _guard = self.sync.lock().await;
        let mut seeded = false;
        if self.store.is_empty().await.map_err(|e| e.to_string())? {
            if let Some(dir) = &self.config.seed_dir {
                let dir = dir.clone();
                let ds = tokio::task::spawn_blocking(move || crate::io::dataset::load_dir(&dir))
                    .await
                    .map_err(|e| e.to_string())?
                    .map_err(|e| e.to_string())?;
                let meta = ChangeMeta {
                    actor: "wangge serve".into(),
                    reason: "first start with an empty store: demo district".into(),
                    operation: Operation::Import,
                    at: chrono::Utc::now(),
                };
                self.store
                    .import(&ds, &meta)
                    .await
                    .map_err(|e| e.to_string())?;
                seeded = true;
            }
        }
        // Note the log position before loading: a change committed meanwhile is replayed by the
        // poller, and replaying a change already loaded is refused by version checks, not doubled.
        self.reload_locked().await?;
        self.refresh_tokens().await.map_err(|e| e.to_string())?;
        self.ready.store(true, Ordering::Release);
        Ok(seeded)
    }

    /// Rebuilds the district from everything the store holds. The caller holds `sync`.
    async fn reload_locked(&self) -> Result<(), String> {
        let last = self
            .store
            .latest_change()
            .await
            .map_err(|e| e.to_string())?;
        let ds: Dataset = self.store.load().await.map_err(|e| e.to_string())?;
        let district = tokio::task::spawn_blocking(move || {
            ds.into_district().map(|(d, _)| {
                // The batch-lookup cell index, built here rather than by the first batch
                // request (about 0.65 s for 50,000 grids); edits keep it current.
                let _ = d.base_cells();
                d
            })
        })
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
        *self.district.write() = district;
        self.tiles.reset();
        self.last_change.store(last, Ordering::Release);
        Ok(())
    }

    /// Replays every change the store committed after the last one applied. The caller holds
    /// `sync`.
    pub async fn catch_up_locked(&self) -> ApiResult<()> {
        let changes = self.store.changes_after(self.last_change()).await?;
        if changes.is_empty() {
            return Ok(());
        }
        // An import adds whole datasets and is logged without a change set to replay: read
        // everything again (imports are rare; edits are replayed one by one below).
        if changes
            .iter()
            .any(|c| c.meta.operation == Operation::Import)
        {
            return self.reload_locked().await.map_err(ApiError::internal);
        }
        let mut d = self.district.write();
        for c in changes {
            self.tiles.changed(&c.changes);
            if let Err(e) = wangge_engine::edit::apply(&mut d, &c.changes) {
                // The store accepted it, so the district must follow; a refusal here means the
                // in-memory copy diverged. Keep serving and say so loudly.
                tracing::error!(change = c.id, error = %e, "could not replay a stored change");
            }
            self.last_change.store(c.id, Ordering::Release);
        }
        Ok(())
    }

    pub async fn catch_up(&self) -> ApiResult<()> {
        let _guard = self.sync.lock().await;
        self.catch_up_locked().await
    }

    pub async fn refresh_tokens(&self) -> ApiResult<()> {
        let list = self.store.tokens().await?;
        let map = list
            .into_iter()
            .map(|t| (t.secret_hash.clone(), t))
            .collect();
        *self.tokens.write() = map;
        Ok(())
    }

    pub fn token_by_hash(&self, hash: &str) -> Option<TokenRecord> {
        self.tokens.read().get(hash).cloned()
    }

    /// The cached token with this id (not its secret), for showing roles in the change log.
    pub fn token_by_id(&self, id: &str) -> Option<TokenRecord> {
        self.tokens.read().values().find(|t| t.id == id).cloned()
    }

    /// The service's base URL without a trailing slash (`--public-url`, else the bind address).
    pub fn public_url(&self) -> &str {
        self.config
            .public_url
            .as_deref()
            .unwrap_or("http://127.0.0.1:8080")
            .trim_end_matches('/')
    }

    /// Fails with 503 until the district is loaded.
    pub fn ensure_ready(&self) -> ApiResult<()> {
        if self.is_ready() {
            Ok(())
        } else {
            Err(ApiError::unavailable("the grids are still loading"))
        }
    }
}

/// Replays other processes' changes and refreshes tokens until the process ends.
pub fn spawn_poller(state: SharedState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(state.config.poll_interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if !state.is_ready() {
                continue;
            }
            if let Err(e) = state.catch_up().await {
                tracing::warn!(error = %e, "change poll failed");
            }
            if let Err(e) = state.refresh_tokens().await {
                tracing::warn!(error = %e, "token refresh failed");
            }
        }
    })
}
