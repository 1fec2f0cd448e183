//! The HTTP service (`wangge serve`): JSON API under `/api/v1`, OGC API – Features under `/ogc`,
//! vector tiles under `/tiles`, the OpenAPI document at `/api/openapi.json`, `/health`, and the
//! web map at `/` ([`web`]).
//!
//! Layout: [`state`] (shared state, change replay), [`error`] (the one error type), [`auth`]
//! (tokens and roles), [`extract`] (request parsing that names bad fields), [`routes`] (one file
//! per resource), [`ogc`], [`openapi`], [`tiles`].

pub mod auth;
pub mod error;
pub mod extract;
pub mod ogc;
pub mod openapi;
pub mod routes;
pub mod schemas;
pub mod state;
pub mod tiles;
pub mod web;

use crate::store::{Role, Store, TokenRecord};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use error::ApiError;
use state::{AppState, ServerConfig, SharedState};
use std::net::SocketAddr;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;

pub use state::ServerConfig as Config;

/// The whole application.
pub fn router(state: SharedState) -> Router {
    let limit = state.config.max_body_bytes;
    Router::new()
        .merge(web::router())
        .route("/health", get(health))
        .route("/api/openapi.json", get(openapi_json))
        .nest("/api/v1", routes::router())
        .nest("/ogc", ogc::router())
        .nest("/tiles", tiles::router())
        // `/ogc/` and `/ogc` are the same landing page for clients that add the slash.
        .route("/ogc/", get(ogc::landing))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(limit))
        // A panic in a handler becomes a logged 500 problem; the connection and process live on.
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

async fn not_found() -> ApiError {
    ApiError::not_found("no such resource")
}

async fn method_not_allowed() -> ApiError {
    ApiError::method_not_allowed()
}

fn panic_response(err: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let what = err
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "unknown panic".into());
    ApiError::internal(format!("handler panicked: {what}")).into_response()
}

#[utoipa::path(get, path = "/health", tag = "service",
    responses((status = 200, description = "Ready", body = schemas::Health),
        (status = 503, description = "The grids are still loading")))]
async fn health(State(state): State<SharedState>) -> Response {
    if state.is_ready() {
        (
            StatusCode::OK,
            Json(serde_json::json!({"status": "ok", "last_change": state.last_change()})),
        )
            .into_response()
    } else {
        ApiError::unavailable("the grids are still loading").into_response()
    }
}

#[utoipa::path(get, path = "/api/openapi.json", tag = "service",
    responses((status = 200, description = "This OpenAPI document", body = Object)))]
async fn openapi_json() -> Response {
    match openapi::document().to_json() {
        Ok(s) => ([("content-type", "application/json")], s).into_response(),
        Err(e) => ApiError::internal(format!("openapi: {e}")).into_response(),
    }
}

/// Creates (or accepts) the bootstrap admin token.
async fn bootstrap_admin(state: &SharedState, secret: &str) -> Result<(), String> {
    let hash = auth::hash_secret(secret);
    let tokens = state.store.tokens().await.map_err(|e| e.to_string())?;
    if !tokens.iter().any(|t| t.secret_hash == hash) {
        let rec = TokenRecord {
            id: format!("admin-{}", &hash[..8]),
            name: "bootstrap admin".into(),
            role: Role::Admin,
            areas: vec![],
            secret_hash: hash,
            created_at: chrono::Utc::now(),
        };
        state
            .store
            .put_token(&rec)
            .await
            .map_err(|e| e.to_string())?;
    }
    state.refresh_tokens().await.map_err(|e| e.to_string())
}

/// A running server (tests and `wangge serve`).
pub struct Running {
    pub addr: SocketAddr,
    pub state: SharedState,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    pub task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Running {
    /// Stops accepting, lets in-flight requests finish, and waits.
    pub async fn stop(mut self) -> std::io::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.task
            .await
            .map_err(|e| std::io::Error::other(e.to_string()))?
    }
}

/// Binds, starts serving at once (`/health` answers 503 while the district loads), loads the
/// store (importing the seed into an empty one) and starts the change poller.
/// `shutdown` ends the server gracefully; [`Running::stop`] does the same.
pub async fn start(
    store: Store,
    config: ServerConfig,
    bind: SocketAddr,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<Running, String> {
    let state = AppState::new(store, config);
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .map_err(|e| format!("cannot listen on {bind}: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let app = router(state.clone());
    let poller = state::spawn_poller(state.clone());
    let task = tokio::spawn(async move {
        let r = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                tokio::select! {
                    _ = rx => {}
                    _ = shutdown => {}
                }
            })
            .await;
        poller.abort();
        r
    });
    if let Some(secret) = state.config.admin_secret.clone() {
        bootstrap_admin(&state, &secret).await?;
    }
    state.load().await?;
    Ok(Running {
        addr,
        state,
        shutdown: Some(tx),
        task,
    })
}
