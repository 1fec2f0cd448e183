//! Starts the service in-process on 127.0.0.1:0 with the memory store and the demo district;
//! tokens and the asserts on problem documents.

use reqwest::{Client, Response};
use serde_json::Value;
use wangge::server::{self, Config, Running};
use wangge::store::{Role, Store, TokenRecord};

pub(crate) const ADMIN: &str = "test-admin-secret-0123456789";

pub(crate) use super::demo_dir;

pub(crate) struct Server {
    pub running: Running,
    pub client: Client,
    pub base: String,
}

pub(crate) async fn start_with(config: Config) -> Server {
    let config = Config {
        seed_dir: Some(demo_dir()),
        admin_secret: Some(ADMIN.into()),
        ..config
    };
    let running = server::start(
        Store::memory().await.expect("memory store"),
        config,
        "127.0.0.1:0".parse().expect("address"),
        std::future::pending(),
    )
    .await
    .expect("server starts");
    let base = format!("http://{}", running.addr);
    let client = Client::builder().no_proxy().build().expect("client");
    Server {
        running,
        client,
        base,
    }
}

pub(crate) async fn start() -> Server {
    start_with(Config::default()).await
}

impl Server {
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub(crate) async fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    pub(crate) async fn get_json(&self, path: &str) -> Value {
        let r = self.get(path).await;
        assert_eq!(r.status(), 200, "GET {path}");
        r.json().await.expect("JSON")
    }

    /// Adds a token directly to the store (as an admin would through the API).
    pub(crate) async fn token(&self, role: Role, areas: &[&str]) -> String {
        let secret = format!("secret-{role:?}-{}", areas.join("-"));
        let rec = TokenRecord {
            id: format!("t-{role:?}-{}", areas.join("-")),
            name: format!("{role:?} test"),
            role,
            areas: areas.iter().map(|s| s.to_string()).collect(),
            secret_hash: server::auth::hash_secret(&secret),
            created_at: chrono::Utc::now(),
        };
        self.running
            .state
            .store
            .put_token(&rec)
            .await
            .expect("token");
        self.running.state.refresh_tokens().await.expect("refresh");
        secret
    }

    /// `v` with this server's address written `http://wangge.test`: a snapshot must not depend
    /// on the port a test was given.
    pub(crate) fn portless(&self, v: &Value) -> Value {
        let text = v.to_string().replace(&self.base, "http://wangge.test");
        serde_json::from_str(&text).expect("JSON stays JSON")
    }

    pub(crate) async fn changes(&self) -> usize {
        self.get_json("/api/v1/changes")
            .await
            .as_array()
            .map_or(0, Vec::len)
    }
}

/// Asserts an RFC 9457 problem with `status`; returns it.
pub(crate) async fn problem(r: Response, status: u16) -> Value {
    assert_eq!(r.status(), status, "status");
    let ct = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    assert_eq!(ct, "application/problem+json");
    let v: Value = r.json().await.expect("problem JSON");
    assert_eq!(v["status"], status);
    for k in ["type", "title", "detail"] {
        assert!(v[k].is_string(), "problem member {k}: {v}");
    }
    v
}

/// The problem's `errors` name `field`.
pub(crate) fn names_field(p: &Value, field: &str) -> bool {
    p["errors"].as_array().is_some_and(|e| {
        e.iter()
            .any(|x| x["field"] == field && x["reason"].is_string())
    })
}
