//! The state every handler shares: the store, the in-memory district built from it, and the
//! token cache.
//!
//! The district is only ever changed by replaying the store's change log ([`AppState::catch_up`]):
//! an edit saved by this process, and one saved by another process on the same database, take the
//! same path, so a change reaches the district only after the store committed it, and several
//! processes converge on the same grids.
//!
//! The district is served as an immutable [`Snapshot`]: handlers load the current one without a
//! lock ([`AppState::district`]) and keep it for as long as they need; replaying changes builds
//! the next snapshot beside it (a copy-on-write clone of the district, sharing every part the
//! changes do not touch) and swaps it in. Nothing ever writes to a published district, so no
//! reader waits for an edit, and an edit that fails or panics half-way changes nothing served.

use super::error::{ApiError, ApiResult};
use super::tile_data::{TileData, TileService};
use crate::io::dataset::Dataset;
use crate::store::{ChangeMeta, Operation, Store, StoreError, TokenRecord};
use arc_swap::ArcSwap;
use parking_lot::RwLock;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
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
    /// Font folder of the map's label glyphs (`--fonts`); `None`: the system's fonts.
    pub fonts: Option<PathBuf>,
    /// Reference layers drawn under the grids (`--reference NAME=FILE`), read at start.
    pub reference: std::sync::Arc<Vec<super::reference::ReferenceLayer>>,
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
            fonts: None,
            reference: Default::default(),
            language: super::i18n::Lang::En,
        }
    }
}

/// One immutable state of the district, with the log position it reflects. Readers hold an
/// `Arc` of it for as long as they need (a tile render, a batch lookup) while edits build the
/// next one beside it; nothing ever changes a snapshot once it is published.
#[derive(Debug)]
pub struct Snapshot {
    district: Arc<District>,
    /// The newest change of the store's log that `district` reflects.
    last_change: i64,
    /// What tiles are made from, derived lazily from this district only.
    tiles: TileData,
}

impl Snapshot {
    fn new(district: Arc<District>, last_change: i64) -> Self {
        Snapshot {
            district,
            last_change,
            tiles: TileData::default(),
        }
    }

    pub fn tiles(&self) -> &TileData {
        &self.tiles
    }

    pub fn district(&self) -> &Arc<District> {
        &self.district
    }

    pub fn last_change(&self) -> i64 {
        self.last_change
    }
}

/// Why the district could not be (re)built from the store at start or on a reload.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("while asking the store whether it is empty")]
    Emptiness(#[source] StoreError),
    /// Boxed: the dataset reader's error type belongs to `io` (whose errors are being typed in
    /// parallel); the chain is kept either way.
    #[error("while reading the seed dataset {dir}")]
    Seed {
        dir: PathBuf,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("while importing the seed dataset {dir} into the empty store")]
    Import {
        dir: PathBuf,
        #[source]
        source: StoreError,
    },
    #[error("while reading the store's latest change")]
    LatestChange(#[source] StoreError),
    #[error("while reading every grid from the store")]
    ReadStore(#[source] StoreError),
    #[error("while building the district from the store's records")]
    Build(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("while reading the tokens from the store")]
    Tokens(#[source] StoreError),
    /// The blocking task that read or built the district panicked or was cancelled.
    #[error("while {what} on a worker thread")]
    Worker {
        what: &'static str,
        #[source]
        source: tokio::task::JoinError,
    },
}

/// The error and every cause below it on one line, for the log of a 500 (the client sees none).
fn with_causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

pub struct AppState {
    pub store: Store,
    pub config: ServerConfig,
    pub validation: ValidationConfig,
    /// The current snapshot. Readers load it without a lock ([`AppState::district`]); only
    /// [`AppState::catch_up_locked`] and reloads swap in a new one, after the store committed
    /// the change.
    current: ArcSwap<Snapshot>,
    ready: AtomicBool,
    /// Serialises replays and saves in this process so that a change is applied once, in log order.
    pub sync: tokio::sync::Mutex<()>,
    /// Tokens by secret hash; refreshed from the store on every poll so that a token revoked by
    /// another process stops working within one poll interval.
    tokens: RwLock<HashMap<String, TokenRecord>>,
    /// Vector tiles and their caches; told about every change applied to `district`.
    pub tiles: TileService,
}

pub type SharedState = Arc<AppState>;

impl AppState {
    /// A state with an empty district, not ready; [`AppState::load`] fills it.
    pub fn new(store: Store, config: ServerConfig) -> SharedState {
        let validation = ValidationConfig::default();
        Arc::new(AppState {
            store,
            config,
            tiles: TileService::new(validation.clone()),
            validation,
            current: ArcSwap::from_pointee(Snapshot::new(Arc::new(District::default()), 0)),
            ready: AtomicBool::new(false),
            sync: tokio::sync::Mutex::new(()),
            tokens: RwLock::new(HashMap::new()),
        })
    }

    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }

    /// The current snapshot: the district and the log position it reflects, consistent with
    /// each other.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.current.load_full()
    }

    /// The current district. Lock-free; the `Arc` keeps this state of it alive for as long as
    /// the caller holds it, whatever is published meanwhile.
    pub fn district(&self) -> Arc<District> {
        self.current.load().district.clone()
    }

    pub fn last_change(&self) -> i64 {
        self.current.load().last_change
    }

    /// Publishes the next snapshot. Callers hold `sync`, so snapshots follow the log in order.
    fn publish(&self, district: Arc<District>, last_change: i64) {
        self.current
            .store(Arc::new(Snapshot::new(district, last_change)));
    }

    /// Imports the seed dataset into an empty store, builds the district and marks the state
    /// ready. Returns whether the seed was imported.
    pub async fn load(self: &Arc<Self>) -> Result<bool, LoadError> {
        let _guard = self.sync.lock().await;
        let mut seeded = false;
        if self.store.is_empty().await.map_err(LoadError::Emptiness)? {
            if let Some(dir) = &self.config.seed_dir {
                let dir = dir.clone();
                let reading = dir.clone();
                let ds =
                    tokio::task::spawn_blocking(move || crate::io::dataset::load_dir(&reading))
                        .await
                        .map_err(|source| LoadError::Worker {
                            what: "reading the seed dataset",
                            source,
                        })?
                        .map_err(|e| LoadError::Seed {
                            dir: dir.clone(),
                            source: Box::new(e),
                        })?;
                let meta = ChangeMeta {
                    actor: "wangge serve".into(),
                    reason: "first start with an empty store: demo district".into(),
                    operation: Operation::Import,
                    at: chrono::Utc::now(),
                };
                self.store
                    .import(&ds, &meta)
                    .await
                    .map_err(|source| LoadError::Import { dir, source })?;
                seeded = true;
            }
        }
        // Note the log position before loading: a change committed meanwhile is replayed by the
        // poller, and replaying a change already loaded is refused by version checks, not doubled.
        self.reload_locked().await?;
        self.refresh_tokens().await.map_err(LoadError::Tokens)?;
        self.ready.store(true, Ordering::Release);
        Ok(seeded)
    }

    /// Rebuilds the district from everything the store holds and publishes it as a fresh
    /// snapshot. The caller holds `sync`.
    async fn reload_locked(&self) -> Result<(), LoadError> {
        let last = self
            .store
            .latest_change()
            .await
            .map_err(LoadError::LatestChange)?;
        let ds: Dataset = self.store.load().await.map_err(LoadError::ReadStore)?;
        let district = tokio::task::spawn_blocking(move || {
            ds.into_district().map(|(d, _)| {
                // The batch-lookup cell index, built here rather than by the first batch
                // request (about 0.65 s for 50,000 grids); edits keep it current.
                let _ = d.base_cells();
                d
            })
        })
        .await
        .map_err(|source| LoadError::Worker {
            what: "building the district",
            source,
        })?
        .map_err(|e| LoadError::Build(Box::new(e)))?;
        self.publish(Arc::new(district), last);
        self.tiles.reset();
        Ok(())
    }

    /// Replays every change the store committed after the last one applied. The caller holds
    /// `sync`.
    ///
    /// The next snapshot is built beside the current one, on the blocking pool: a copy-on-write
    /// view of the current district with the change sets applied. Readers keep the current
    /// snapshot meanwhile and see the next one only once it is complete; a panic while building
    /// it leaves the current one served, untouched.
    pub async fn catch_up_locked(&self) -> ApiResult<()> {
        let current = self.snapshot();
        let changes = self.store.changes_after(current.last_change).await?;
        if changes.is_empty() {
            return Ok(());
        }
        // An import adds whole datasets and is logged without a change set to replay: read
        // everything again (imports are rare; edits are replayed one by one below).
        if changes
            .iter()
            .any(|c| c.meta.operation == Operation::Import)
        {
            return self
                .reload_locked()
                .await
                .map_err(|e| ApiError::internal(with_causes(&e)));
        }
        let base = current.district.clone();
        let (district, changes) = tokio::task::spawn_blocking(move || {
            let mut next = District::clone(&base);
            for c in &changes {
                if let Err(e) = wangge_engine::edit::apply(&mut next, &c.changes) {
                    // The store accepted it, so the district must follow; a refusal here means
                    // the in-memory copy diverged. Keep serving and say so loudly.
                    tracing::error!(change = c.id, error = %e, "could not replay a stored change");
                }
            }
            (next, changes)
        })
        .await?;
        let last = changes.last().map_or(current.last_change, |c| c.id);
        // Publish first, then evict: a tile rendered from the old snapshot either carries the
        // old generation (refused by the cache once `changed` bumped it) or was cached before
        // and is evicted here.
        self.publish(Arc::new(district), last);
        for c in &changes {
            self.tiles.changed(&c.changes);
        }
        Ok(())
    }

    pub async fn catch_up(&self) -> ApiResult<()> {
        let _guard = self.sync.lock().await;
        self.catch_up_locked().await
    }

    pub async fn refresh_tokens(&self) -> Result<(), StoreError> {
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
