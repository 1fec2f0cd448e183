//! The web map (`web-map/`): its page at `/`, its ES modules and styles under `/app/`, and
//! MapLibre's distribution files under `/vendor/maplibre-gl/`.
//!
//! The files are read from disk, not embedded, so that the page can be changed without
//! rebuilding the service. The folder is `WANGGE_WEB_DIR` when set, else `web-map` in the
//! working directory, else the `web-map` folder of the source tree this binary was built from.
//! MapLibre is served straight from `web-map/node_modules/maplibre-gl/dist` (installed by
//! `npm ci --prefix web-map`), so the repository keeps one pinned copy in package-lock.json and
//! nothing is fetched from a CDN at run time.
//!
//! When the folder (or MapLibre) is missing, `/` answers a small page of links that says how to
//! install it, instead of a broken map.

use super::error::ApiError;
use super::state::SharedState;
use axum::extract::Path;
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::path::{Component, PathBuf};
use std::sync::OnceLock;

pub fn router() -> Router<SharedState> {
    Router::new()
        .route("/", get(index))
        .route("/app/{*path}", get(app_file))
        .route("/vendor/maplibre-gl/{file}", get(vendor_file))
}

/// The `web-map` folder, found once.
fn web_dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        if let Some(d) = std::env::var_os("WANGGE_WEB_DIR") {
            return PathBuf::from(d);
        }
        let here = PathBuf::from("web-map");
        if here.join("public/index.html").is_file() {
            return here;
        }
        PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/web-map"))
    })
}

fn public_dir() -> PathBuf {
    web_dir().join("public")
}

fn maplibre_dir() -> PathBuf {
    web_dir().join("node_modules/maplibre-gl/dist")
}

/// A relative path made only of plain names (no `..`, no root, no hidden files), or None.
fn safe_relative(path: &str) -> Option<PathBuf> {
    let p = std::path::Path::new(path);
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::Normal(s) if !s.to_string_lossy().starts_with('.') => out.push(s),
            _ => return None,
        }
    }
    (!out.as_os_str().is_empty()).then_some(out)
}

fn media_type(path: &std::path::Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        _ => "application/octet-stream",
    }
}

async fn send_file(path: PathBuf) -> Response {
    match tokio::fs::read(&path).await {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, media_type(&path)),
                // Revalidate every time: the files change with each deploy and carry no hash.
                (header::CACHE_CONTROL, "no-cache"),
            ],
            bytes,
        )
            .into_response(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            ApiError::not_found("no such file").into_response()
        }
        // Any other failure (permissions, I/O) is the server's, not a missing file.
        Err(e) => {
            tracing::error!("reading web-map file {}: {e}", path.display());
            ApiError::internal("the file could not be read").into_response()
        }
    }
}

async fn app_file(Path(path): Path<String>) -> Response {
    match safe_relative(&path) {
        Some(rel) => send_file(public_dir().join(rel)).await,
        None => ApiError::not_found("no such file").into_response(),
    }
}

async fn vendor_file(Path(file): Path<String>) -> Response {
    match safe_relative(&file) {
        Some(rel) => send_file(maplibre_dir().join(rel)).await,
        None => ApiError::not_found("no such file").into_response(),
    }
}

async fn index() -> Response {
    let page = public_dir().join("index.html");
    if page.is_file() && maplibre_dir().join("maplibre-gl.mjs").is_file() {
        return send_file(page).await;
    }
    Html(format!(
        "<!doctype html><meta charset=utf-8><title>wangge</title><h1>wangge 网格</h1>\
         <p>The web map is not installed here ({}): run <code>npm ci --prefix web-map</code>.</p>\
         <ul><li><a href=/api/v1/layers>/api/v1/layers</a><li><a href=/api/openapi.json>OpenAPI</a>\
         <li><a href=/ogc>OGC API – Features</a><li><a href=/health>/health</a></ul>",
        web_dir().display()
    ))
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::safe_relative;

    #[test]
    fn only_plain_relative_paths_are_served() {
        assert!(safe_relative("js/main.js").is_some());
        assert!(safe_relative("../Cargo.toml").is_none());
        assert!(safe_relative("js/../../x").is_none());
        assert!(safe_relative("/etc/passwd").is_none());
        assert!(safe_relative(".env").is_none());
        assert!(safe_relative("").is_none());
    }
}
