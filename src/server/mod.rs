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
pub mod glyphs;
pub mod i18n;
pub mod ogc;
pub mod openapi;
pub mod reference;
pub mod routes;
pub mod schemas;
pub mod state;
pub mod tile_data;
pub mod tiles;
pub mod web;

use crate::store::{Role, Store, TokenRecord};
use auth::Caller;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use error::{ApiError, PROBLEM_JSON};
use state::{AppState, ServerConfig, SharedState};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;

pub use state::ServerConfig as Config;

/// Limits on what one client may hold of the server (`wangge serve` flags; defaults here).
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest request line plus headers, in bytes (`--max-header-bytes`); above it: 431 (or 414
    /// when the URI alone is longer than [`MAX_URI_BYTES`]).
    pub max_header_bytes: usize,
    /// Longest a request may take until its response starts (`--request-timeout`): 408.
    pub request_timeout: Duration,
    /// Longest a connection may wait for a request's headers, including idle keep-alive time
    /// between requests (`--idle-timeout`); then it is closed.
    pub idle_timeout: Duration,
    /// Connections served at once (`--max-connections`); more wait in the listen backlog.
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_header_bytes: 16 * 1024,
            request_timeout: Duration::from_secs(300),
            idle_timeout: Duration::from_secs(60),
            max_connections: 1024,
        }
    }
}

/// Longest request target (path and query) answered; longer ones get a 414 problem.
pub const MAX_URI_BYTES: usize = 8 * 1024;
/// Most header fields in one request; more get a 431 problem.
pub const MAX_HEADERS: usize = 100;
/// hyper's own read buffer: a request head larger than this is refused by hyper itself with a
/// bare 431 before any of our code sees it, so it is set well above `--max-header-bytes` and
/// our layer answers everything in between as a problem.
const HYPER_MAX_BUF: usize = 256 * 1024;
/// hyper's own header-count limit, above [`MAX_HEADERS`] for the same reason.
const HYPER_MAX_HEADERS: usize = 1000;

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
        .merge(glyphs::router(state.config.fonts.clone()))
        .merge(reference::router(state.config.reference.clone()))
        // `/ogc/` and `/ogc` are the same landing page for clients that add the slash.
        .route("/ogc/", get(ogc::landing))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(limit))
        // Outside the routes, so that no route can forget it (tiles once did).
        .layer(middleware::from_fn_with_state(state.clone(), read_gate))
        // A panic in a handler becomes a logged 500 problem; the connection and process live on.
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            request_limits,
        ))
        // Outermost: whatever answered an error (axum's rejections, the body limit, a layer),
        // the client gets a problem document.
        .layer(middleware::from_fn(problem_fallback))
        // Around every problem, whoever made it: answers it in the client's language.
        .layer(middleware::from_fn_with_state(state.clone(), language))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Paths anyone may fetch whatever `--anonymous-read` says: the web map's static files (which
/// hold no district data; the page loads data through the API with the token entered in its
/// settings) and the health probe (liveness for load balancers; it tells only "ok").
fn is_public(path: &str) -> bool {
    path == "/" || path == "/health" || path.starts_with("/app/") || path.starts_with("/vendor/")
}

/// With `--anonymous-read false`, every path but [`is_public`] ones needs a valid token, whatever
/// the method; handlers still check roles for writes.
async fn read_gate(State(state): State<SharedState>, req: Request, next: Next) -> Response {
    if state.config.anonymous_read || is_public(req.uri().path()) {
        return next.run(req).await;
    }
    let (mut parts, body) = req.into_parts();
    match Caller::from_request_parts(&mut parts, &state).await {
        Ok(Caller::Token(_)) => next.run(Request::from_parts(parts, body)).await,
        Ok(Caller::Anonymous) => {
            ApiError::unauthorized_text(i18n::Text::TokenNeededToRead).into_response()
        }
        Err(e) => e.into_response(),
    }
}

/// Header size and count limits, and the request timeout, answered as problems.
async fn request_limits(State(state): State<SharedState>, req: Request, next: Next) -> Response {
    let limits = &state.config.limits;
    let uri_len = req.uri().path_and_query().map_or(0, |p| p.as_str().len());
    if uri_len > MAX_URI_BYTES {
        return ApiError::from_status(
            StatusCode::URI_TOO_LONG,
            format!("the request target is {uri_len} bytes; the limit is {MAX_URI_BYTES}"),
        )
        .with_field("uri", format!("longer than {MAX_URI_BYTES} bytes"))
        .into_response();
    }
    // The request line plus each "name: value\r\n".
    let head = req.method().as_str().len()
        + uri_len
        + 12
        + req
            .headers()
            .iter()
            .map(|(k, v)| k.as_str().len() + v.len() + 4)
            .sum::<usize>();
    let count = req.headers().len();
    if head > limits.max_header_bytes || count > MAX_HEADERS {
        return ApiError::from_status(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            format!(
                "the request head is {head} bytes in {count} header fields; the limits are {} \
                 bytes (--max-header-bytes) and {MAX_HEADERS} fields",
                limits.max_header_bytes
            ),
        )
        .with_field("headers", "too large")
        .into_response();
    }
    let timeout = limits.request_timeout;
    match tokio::time::timeout(timeout, next.run(req)).await {
        Ok(r) => r,
        Err(_) => ApiError::from_status(
            StatusCode::REQUEST_TIMEOUT,
            format!(
                "the request took longer than {} s (--request-timeout)",
                timeout.as_secs_f64()
            ),
        )
        .into_response(),
    }
}

/// Turns any error response that is not already a problem (axum's plain-text rejections such
/// as a path that is not UTF-8, the body limit's 413, a missing static file) into one, keeping
/// its status, its other headers and its text as the detail.
/// Negotiates the language of the answer (`Accept-Language`, else `--language`) for handlers
/// ([`i18n::Lang`] is an extractor), writes problem documents again in it, and says which
/// language a translated answer is in.
async fn language(State(state): State<SharedState>, mut req: Request, next: Next) -> Response {
    let header = req
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    let lang = i18n::Lang::negotiate(header, state.config.language);
    req.extensions_mut().insert(lang);
    let mut resp = next.run(req).await;
    let problem = resp.extensions_mut().remove::<ApiError>();
    let translated = problem.is_some() || resp.extensions().get::<i18n::Translated>().is_some();
    if let Some(e) = problem.filter(|_| lang.is_zh()) {
        match serde_json::to_vec(&e.to_problem_in(lang)) {
            Ok(body) => {
                resp.headers_mut().remove(header::CONTENT_LENGTH);
                *resp.body_mut() = axum::body::Body::from(body);
            }
            // Unreachable with plain strings; the English document already in the body stands.
            Err(err) => tracing::error!(error = %err, "problem document not translated"),
        }
    }
    if translated {
        let h = resp.headers_mut();
        h.insert(
            header::CONTENT_LANGUAGE,
            HeaderValue::from_static(lang.tag()),
        );
        h.append(header::VARY, HeaderValue::from_static("accept-language"));
    }
    resp
}

async fn problem_fallback(req: Request, next: Next) -> Response {
    let resp = next.run(req).await;
    let status = resp.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    let is_problem = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes() == PROBLEM_JSON.as_bytes());
    if is_problem {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    // The bodies replaced here are short texts; a long one is not read.
    let text = axum::body::to_bytes(body, 4096)
        .await
        .ok()
        .and_then(|b| String::from_utf8(b.to_vec()).ok())
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_string());
    let mut e = ApiError::from_status(status, text.clone());
    let field = match status.as_u16() {
        413 => Some("body"),
        414 => Some("uri"),
        431 => Some("headers"),
        // axum's path rejections ("Invalid URL: …").
        400 if text.starts_with("Invalid URL") => Some("path"),
        400 if text.contains("request body") => Some("body"),
        _ => None,
    };
    if let Some(f) = field {
        e = e.with_field(f, text);
    }
    let mut out = e.into_response();
    for (name, value) in parts.headers.iter() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            out.headers_mut().insert(name.clone(), value.clone());
        }
    }
    out
}

async fn not_found() -> ApiError {
    ApiError::not_found_text(i18n::Text::NoSuchResource)
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
        ApiError::unavailable(i18n::Text::StillLoading.en())
            .with_zh(i18n::Text::StillLoading.zh())
            .into_response()
    }
}

#[utoipa::path(get, path = "/api/openapi.json", tag = "service",
    responses((status = 200, description = "This OpenAPI document", body = Object)))]
async fn openapi_json() -> Response {
    match openapi::document().to_json() {
        Ok(s) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            s,
        )
            .into_response(),
        Err(e) => ApiError::internal(format!("openapi: {e}")).into_response(),
    }
}

/// A bootstrap admin stored by earlier versions had the id `admin-` + the first 8 hex digits of
/// its secret's SHA-256, which told anyone who saw the id 32 bits of that hash.
fn id_leaks_hash(t: &TokenRecord) -> bool {
    t.secret_hash
        .get(..8)
        .is_some_and(|h| t.id == format!("admin-{h}"))
}

/// Creates the bootstrap admin token (`WANGGE_ADMIN_TOKEN` / `--admin-token-file`) — only while
/// the store holds no admin at all. Once an admin exists, a secret that is not a current token
/// (because it was revoked, or replaced) is not re-created: the service starts without it and
/// logs why. Tokens whose id was derived from their secret get a random id.
async fn bootstrap_admin(state: &SharedState, secret: &str) -> Result<(), BootstrapError> {
    let hash = auth::hash_secret(secret);
    let tokens = state.store.tokens().await?;
    for old in tokens.iter().filter(|t| id_leaks_hash(t)) {
        let (_, id) = auth::new_secret()?;
        let rec = TokenRecord {
            id: format!("admin-{id}"),
            ..old.clone()
        };
        state.store.put_token(&rec).await?;
        state.store.remove_token(&old.id).await?;
        tracing::info!(old = %old.id, new = %rec.id, "token id no longer derived from its secret");
    }
    let known = tokens.iter().any(|t| t.secret_hash == hash);
    let any_admin = tokens.iter().any(|t| t.role == Role::Admin);
    if !known && any_admin {
        tracing::warn!(
            "the bootstrap admin secret (WANGGE_ADMIN_TOKEN or --admin-token-file) is not a \
             current token: it was revoked or replaced, so it is not re-created; use an existing \
             admin token, or drop the setting"
        );
    } else if !known {
        let (_, id) = auth::new_secret()?;
        let rec = TokenRecord {
            id: format!("admin-{id}"),
            name: "bootstrap admin".into(),
            role: Role::Admin,
            areas: vec![],
            secret_hash: hash,
            created_at: chrono::Utc::now(),
        };
        state.store.put_token(&rec).await?;
    }
    state.refresh_tokens().await?;
    Ok(())
}

/// Why the bootstrap admin token could not be checked or created.
#[derive(Debug, thiserror::Error)]
pub enum BootstrapError {
    #[error("while reading or writing tokens: {0}")]
    Store(#[from] crate::store::StoreError),
    /// A server-side step failed (the OS random generator, reloading the tokens): the message
    /// is the cause that a response would only log.
    #[error("{}", .0.internal_cause().unwrap_or(&.0.detail))]
    Server(#[from] error::ApiError),
}

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot listen on {bind}: {source}")]
    Listen {
        bind: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read the address listened on: {0}")]
    LocalAddr(#[source] std::io::Error),
    #[error("bootstrap admin token: {0}")]
    Bootstrap(#[from] BootstrapError),
    /// Loading the district from the store (or seeding an empty store) failed.
    #[error("{0}")]
    Load(#[from] state::LoadError),
}

/// Serves `app` on `listener` with the connection limits of `limits`: at most
/// `max_connections` at once (the rest wait in the listen backlog), each closed when it sends
/// no complete request head within `idle_timeout`. axum's `serve` sets none of these, which is
/// why the accept loop is written out here. On `shutdown` it stops accepting, lets requests in
/// flight finish and returns when every connection is closed.
async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    limits: Limits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use hyper_util::service::TowerToHyperService;
    let max = limits.max_connections.clamp(1, 1 << 20);
    let permits = Arc::new(tokio::sync::Semaphore::new(max));
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.idle_timeout)
        .max_buf_size(HYPER_MAX_BUF)
        .max_headers(HYPER_MAX_HEADERS);
    let service = TowerToHyperService::new(app);
    let (close_tx, close_rx) = tokio::sync::watch::channel(());
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => p.map_err(std::io::Error::other)?,
            _ = &mut shutdown => break,
        };
        let stream = tokio::select! {
            r = listener.accept() => match r {
                Ok((s, _)) => s,
                Err(e) => {
                    // Out of file descriptors and the like: wait instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let conn_builder = builder.clone();
        let svc = service.clone();
        let mut close = close_rx.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let conn = conn_builder.serve_connection(TokioIo::new(stream), svc);
            let mut conn = std::pin::pin!(conn);
            tokio::select! {
                r = conn.as_mut() => {
                    if let Err(e) = r {
                        tracing::debug!(error = %e, "connection ended");
                    }
                }
                _ = close.changed() => {
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.await;
                }
            }
        });
    }
    drop(listener);
    let _ = close_tx.send(());
    // Every connection holds a permit until it is closed.
    let _ = permits.acquire_many(max as u32).await;
    Ok(())
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
) -> Result<Running, StartError> {
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .map_err(|source| StartError::Listen { bind, source })?;
    let addr = listener.local_addr().map_err(StartError::LocalAddr)?;
    let mut config = config;
    if config.public_url.is_none() {
        config.public_url = Some(format!("http://{addr}"));
    }
    let limits = config.limits.clone();
    let state = AppState::new(store, config);
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let app = router(state.clone());
    let poller = state::spawn_poller(state.clone());
    let task = tokio::spawn(async move {
        let r = serve(listener, app, limits, async move {
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
    state.load().await.map_err(StartError::Load)?;
    Ok(Running {
        addr,
        state,
        shutdown: Some(tx),
        task,
    })
}
