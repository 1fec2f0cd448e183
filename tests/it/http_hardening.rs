//! The HTTP service's defences (issue #11, Medium 9 and 10 and the Low items): every read path
//! behind the same token rule, batch bodies read whole before answering, tokens that cannot be
//! lost or re-created, ids that say nothing about secrets, problems for every error, strict
//! JSON, personal data behind a token, configured links, and connection limits.

use crate::common::http::*;
use crate::common::tile_of;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use wangge::server::{self, Config, Limits};
use wangge::store::{Role, Store, TokenRecord};

const G1: &str = "341002001001001";
const COMMUNITY1: &str = "341002001001";

async fn start_on(store: Store, config: Config) -> Server {
    let running = server::start(
        store,
        Config {
            seed_dir: Some(demo_dir()),
            ..config
        },
        "127.0.0.1:0".parse().expect("address"),
        std::future::pending(),
    )
    .await
    .expect("server starts");
    let base = format!("http://{}", running.addr);
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    Server {
        running,
        client,
        base,
    }
}

/// Every GET route of the router: the OpenAPI document's paths (with real ids filled in) plus
/// the tile, OGC and document routes it does not describe.
async fn read_routes(s: &Server, viewer: &str) -> Vec<String> {
    let doc: Value = s
        .client
        .get(s.url("/api/openapi.json"))
        .bearer_auth(viewer)
        .send()
        .await
        .expect("openapi")
        .json()
        .await
        .expect("json");
    // A person to read back.
    let r = s
        .client
        .post(s.url("/api/v1/people"))
        .bearer_auth(ADMIN)
        .json(&json!({"id": "p1", "name": "张三", "role": "grid_worker", "grids": [G1], "phone": "13800000000"}))
        .send()
        .await
        .expect("post person");
    assert_eq!(r.status(), 201);
    let mut out = Vec::new();
    let (x, y) = tile_of(118.3154679, 29.70999, 14);
    let paths = doc["paths"].as_object().expect("paths");
    for (path, ops) in paths {
        // The health probe is public by design (see anonymous_read_false_protects…).
        // A named reference layer exists only when the service was started with one (this one
        // has none: `/reference`, the list, is checked).
        if ops.get("get").is_none() || path == "/health" || path == "/reference/{name}" {
            continue;
        }
        let p = path
            .replace("{id}", if path.contains("people") { "p1" } else { G1 })
            .replace("{code}", COMMUNITY1)
            .replace("{layer}", "base")
            .replace("{z}", "14")
            .replace("{x}", &x.to_string())
            .replace("{y}", &format!("{y}.mvt"))
            .replace("{fontstack}", "WenQuanYi%20Micro%20Hei")
            .replace("{range}", "0-255.pbf");
        assert!(!p.contains('{'), "no value for a parameter of {path}");
        let p = p.replace(".mvt.mvt", ".mvt");
        // Query parameters some reads require.
        let p = match p.as_str() {
            "/api/v1/lookup" => format!("{p}?lon=118.3154679&lat=29.70999"),
            "/api/v1/staffing" | "/api/v1/stats" => format!("{p}?area={COMMUNITY1}"),
            _ => p,
        };
        out.push(p);
    }
    assert!(
        out.len() >= 12,
        "the OpenAPI document lists the API's reads: {out:?}"
    );
    out.extend(
        [
            "/api/openapi.json".to_string(),
            "/tiles/grids.json".to_string(),
            format!("/tiles/grids/14/{x}/{y}.mvt"),
            "/ogc".to_string(),
            "/ogc/".to_string(),
            "/ogc/conformance".to_string(),
            "/ogc/collections".to_string(),
            "/ogc/collections/base".to_string(),
            "/ogc/collections/base/items".to_string(),
            format!("/ogc/collections/base/items/{G1}"),
        ]
        .into_iter()
        .filter(|p| !out.contains(p))
        .collect::<Vec<_>>(),
    );
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_read_false_protects_tiles_and_every_read_route() {
    let s = start_with(Config {
        anonymous_read: false,
        ..Default::default()
    })
    .await;
    let viewer = s.token(Role::Viewer, &[]).await;
    let routes = read_routes(&s, &viewer).await;
    for path in &routes {
        let r = s.get(path).await;
        let p = problem(r, 401).await;
        assert!(
            p["detail"].as_str().is_some_and(|d| d.contains("token")),
            "{path}: {p}"
        );
        // Token management is for admins: a viewer is known (403, not 401) and an admin reads.
        // `/tokens/me` is every token's own (its role and areas).
        let who = if path.starts_with("/api/v1/tokens") && path != "/api/v1/tokens/me" {
            let r = s
                .client
                .get(s.url(path))
                .bearer_auth(&viewer)
                .send()
                .await
                .expect("get");
            problem(r, 403).await;
            ADMIN
        } else {
            viewer.as_str()
        };
        let r = s
            .client
            .get(s.url(path))
            .bearer_auth(who)
            .send()
            .await
            .expect("get");
        assert_eq!(r.status(), 200, "{path} with a token");
        // A wrong token is refused, not treated as anonymous.
        let r = s
            .client
            .get(s.url(path))
            .bearer_auth("not-a-token")
            .send()
            .await
            .expect("get");
        problem(r, 401).await;
    }
    // The batch lookup is a read too, though it is a POST.
    let r = s
        .client
        .post(s.url("/api/v1/lookup"))
        .header("content-type", "text/csv")
        .body("lon,lat\n118.3154679,29.70999\n")
        .send()
        .await
        .expect("post");
    problem(r, 401).await;
    // Tiles answered to the viewer hold the district; anonymous callers got none of it above.
    let (x, y) = tile_of(118.3154679, 29.70999, 14);
    let tile = s
        .client
        .get(s.url(&format!("/tiles/grids/14/{x}/{y}.mvt")))
        .bearer_auth(&viewer)
        .send()
        .await
        .expect("tile")
        .bytes()
        .await
        .expect("bytes");
    assert!(tile.windows(G1.len()).any(|w| w == G1.as_bytes()));
    // Public paths: the page, its assets and the health probe, carrying no district data.
    let name = s
        .client
        .get(s.url(&format!("/api/v1/areas/{COMMUNITY1}")))
        .bearer_auth(&viewer)
        .send()
        .await
        .expect("area")
        .json::<Value>()
        .await
        .expect("json")["properties"]["name"]
        .as_str()
        .expect("community name")
        .to_string();
    for path in ["/", "/health", "/app/js/api.js"] {
        let r = s.get(path).await;
        assert_ne!(r.status(), 401, "{path} is public");
        let body = r.text().await.expect("text");
        assert!(
            !body.contains(G1) && !body.contains(&name),
            "{path} carries district data"
        );
    }
}

/// A client that writes the whole body before reading (python-requests does): the server must
/// read all of it even though its answer is larger than the socket buffers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_lookup_of_a_30mb_body_written_whole_before_reading_is_answered() {
    let s = start().await;
    let mut body = Vec::with_capacity(32 << 20);
    body.extend_from_slice(b"lon,lat\n");
    let mut rows = 0usize;
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    while body.len() < 30 << 20 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let a = (x % 1_000_000) as f64 / 1e6;
        let b = ((x >> 20) % 1_000_000) as f64 / 1e6;
        body.extend_from_slice(
            format!("{:.7},{:.7}\n", 118.19 + 0.21 * a, 29.66 + 0.17 * b).as_bytes(),
        );
        rows += 1;
    }
    let mut sock = TcpStream::connect(s.running.addr).await.expect("connect");
    let head = format!(
        "POST /api/v1/lookup HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let write = async {
        sock.write_all(head.as_bytes()).await?;
        sock.write_all(&body).await?;
        sock.flush().await
    };
    tokio::time::timeout(Duration::from_secs(120), write)
        .await
        .expect("the server stopped reading the body (deadlock)")
        .expect("write");
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(240), sock.read_to_end(&mut answer))
        .await
        .expect("the answer did not end")
        .expect("read");
    let text = String::from_utf8_lossy(&answer);
    assert!(
        text.starts_with("HTTP/1.1 200"),
        "{}",
        &text[..200.min(text.len())]
    );
    let body_at = text.find("\r\n\r\n").expect("head") + 4;
    // Chunked: count the data lines by their coordinates (chunk-size lines hold no comma).
    let lines = text[body_at..]
        .lines()
        .filter(|l| l.starts_with("118.") || l.starts_with("lon,"))
        .count();
    assert!(
        lines >= rows,
        "{lines} answer lines for {rows} points (chunk boundaries may split a few)"
    );
}

async fn token_list(s: &Server) -> Vec<Value> {
    s.client
        .get(s.url("/api/v1/tokens"))
        .bearer_auth(ADMIN)
        .send()
        .await
        .expect("list")
        .json::<Vec<Value>>()
        .await
        .expect("json")
}

async fn create_token(s: &Server, bearer: &str, body: Value) -> Value {
    let r = s
        .client
        .post(s.url("/api/v1/tokens"))
        .bearer_auth(bearer)
        .json(&body)
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 201);
    r.json().await.expect("json")
}

async fn revoke(s: &Server, bearer: &str, id: &str) -> reqwest::Response {
    s.client
        .delete(s.url(&format!("/api/v1/tokens/{id}")))
        .bearer_auth(bearer)
        .send()
        .await
        .expect("delete")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_last_admin_token_cannot_be_revoked() {
    let s = start().await;
    let list = token_list(&s).await;
    assert_eq!(list.len(), 1);
    let boot = list[0]["id"].as_str().expect("id").to_string();
    let p = problem(revoke(&s, ADMIN, &boot).await, 409).await;
    assert!(p["detail"]
        .as_str()
        .is_some_and(|d| d.contains("last admin")));
    // Still works.
    assert_eq!(token_list(&s).await.len(), 1);
    // With a second admin, the first may go; then the second is the last.
    let second = create_token(&s, ADMIN, json!({"name": "second", "role": "admin"})).await;
    let secret = second["secret"].as_str().expect("secret");
    assert_eq!(revoke(&s, secret, &boot).await.status(), 204);
    let id2 = second["id"].as_str().expect("id");
    problem(revoke(&s, secret, id2).await, 409).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_with_a_revoked_admin_secret_keeps_it_revoked() {
    let store = Store::memory().await.expect("memory store");
    let config = || Config {
        admin_secret: Some(ADMIN.into()),
        ..Default::default()
    };
    let s = start_on(store.clone(), config()).await;
    let boot = token_list(&s).await[0]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let other = create_token(&s, ADMIN, json!({"name": "other admin", "role": "admin"})).await;
    let other_secret = other["secret"].as_str().expect("secret").to_string();
    assert_eq!(revoke(&s, &other_secret, &boot).await.status(), 204);
    s.running.stop().await.expect("stop");
    // Restarted with the same WANGGE_ADMIN_TOKEN: the revoked secret stays revoked.
    let s = start_on(store, config()).await;
    let r = s
        .client
        .get(s.url("/api/v1/tokens"))
        .bearer_auth(ADMIN)
        .send()
        .await
        .expect("get");
    problem(r, 401).await;
    let r = s
        .client
        .get(s.url("/api/v1/tokens"))
        .bearer_auth(&other_secret)
        .send()
        .await
        .expect("get");
    let list: Vec<Value> = r.json().await.expect("json");
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["id"], other["id"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_ids_do_not_leak_the_secret_hash_nor_reach_anonymous_readers() {
    let store = Store::memory().await.expect("memory store");
    // A bootstrap admin stored by an earlier version, whose id was its hash's prefix.
    let old_secret = "an-earlier-bootstrap-secret-0123";
    let old_hash = server::auth::hash_secret(old_secret);
    store
        .put_token(&TokenRecord {
            id: format!("admin-{}", &old_hash[..8]),
            name: "old bootstrap".into(),
            role: Role::Admin,
            areas: vec![],
            secret_hash: old_hash.clone(),
            created_at: chrono::Utc::now(),
        })
        .await
        .expect("token");
    let s = start_on(
        store,
        Config {
            admin_secret: Some(old_secret.into()),
            ..Default::default()
        },
    )
    .await;
    let list: Vec<Value> = s
        .client
        .get(s.url("/api/v1/tokens"))
        .bearer_auth(old_secret)
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    assert_eq!(list.len(), 1, "the old token is kept, under a new id");
    let id = list[0]["id"].as_str().expect("id");
    assert!(!old_hash.contains(id.trim_start_matches("admin-")), "{id}");
    // New tokens: ids unrelated to their secret's hash (no 8-hex-digit window of it).
    let planner = create_token(
        &s,
        old_secret,
        json!({"name": "Planner P", "role": "planner", "areas": [COMMUNITY1]}),
    )
    .await;
    let secret = planner["secret"].as_str().expect("secret");
    let pid = planner["id"].as_str().expect("id");
    let hash = hex::encode(Sha256::digest(secret.as_bytes()));
    assert!(
        pid.as_bytes()
            .windows(8)
            .all(|w| !hash.contains(std::str::from_utf8(w).expect("ascii"))),
        "{pid} shares digits with {hash}"
    );
    // An edit by the planner: anonymous readers see the role, not the token id.
    let r = s
        .client
        .put(s.url(&format!("/api/v1/grids/{G1}/status?reason=test")))
        .bearer_auth(secret)
        .json(&json!({"status": "suspended"}))
        .send()
        .await
        .expect("put");
    assert_eq!(r.status(), 200);
    let anon = s.get_json("/api/v1/changes?after=1").await;
    let actor = anon[0]["actor"].as_str().expect("actor");
    assert!(!actor.contains(pid), "{actor}");
    assert_eq!(actor, "Planner P (planner)");
    let full: Value = s
        .client
        .get(s.url("/api/v1/changes?after=1"))
        .bearer_auth(secret)
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert!(full[0]["actor"].as_str().is_some_and(|a| a.contains(pid)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_error_is_a_problem_document() {
    let s = start_with(Config {
        max_body_bytes: 4096,
        ..Default::default()
    })
    .await;
    // Import over the body limit.
    let r = s
        .client
        .post(s.url("/api/v1/import?layer=base&filename=x.geojson&dry_run=true"))
        .bearer_auth(ADMIN)
        .header("content-type", "application/octet-stream")
        .body(vec![b' '; 10_000])
        .send()
        .await
        .expect("post");
    assert!(names_field(&problem(r, 413).await, "body"));
    // A path segment that is not UTF-8.
    let r = s.get("/api/v1/grids/%FF%FE").await;
    let p = problem(r, 400).await;
    assert!(names_field(&p, "path"), "{p}");
    // A missing web-map file.
    problem(s.get("/app/no-such-file.js").await, 404).await;
    problem(s.get("/vendor/maplibre-gl/nope.js").await, 404).await;
    // A request target over the limit, and headers over the limit.
    let long = "a".repeat(10_000);
    let p = problem(s.get(&format!("/api/v1/layers?x={long}")).await, 414).await;
    assert!(names_field(&p, "uri"));
    let r = s
        .client
        .get(s.url("/api/v1/layers"))
        .header("x-big", "b".repeat(20_000))
        .send()
        .await
        .expect("get");
    assert!(names_field(&problem(r, 431).await, "headers"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_body_with_trailing_garbage_is_refused_naming_body() {
    let s = start().await;
    for tail in ["garbage", "{}", "]"] {
        let r = s
            .client
            .post(s.url("/api/v1/tokens"))
            .bearer_auth(ADMIN)
            .header("content-type", "application/json")
            .body(format!("{{\"name\": \"x\", \"role\": \"viewer\"}} {tail}"))
            .send()
            .await
            .expect("post");
        let p = problem(r, 400).await;
        assert!(names_field(&p, "body"), "{p}");
    }
    assert_eq!(token_list(&s).await.len(), 1, "nothing was created");
    // Trailing whitespace is fine.
    let r = s
        .client
        .post(s.url("/api/v1/tokens"))
        .bearer_auth(ADMIN)
        .header("content-type", "application/json")
        .body("{\"name\": \"x\", \"role\": \"viewer\"} \n\t")
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 201);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_readers_do_not_see_staff_phone_numbers() {
    let s = start().await;
    let r = s
        .client
        .post(s.url("/api/v1/people"))
        .bearer_auth(ADMIN)
        .json(&json!({"id": "w1", "name": "张三", "role": "grid_worker", "grids": [G1], "phone": "13800000000"}))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 201);
    for path in ["/api/v1/people", "/api/v1/people/w1"] {
        let body = s.get(path).await.text().await.expect("text");
        assert!(body.contains("张三"), "{path}: {body}");
        assert!(!body.contains("13800000000"), "{path}: {body}");
    }
    let viewer = s.token(Role::Viewer, &[]).await;
    let v: Value = s
        .client
        .get(s.url("/api/v1/people/w1"))
        .bearer_auth(&viewer)
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(v["phone"], "13800000000");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ogc_and_tilejson_links_use_the_public_url_not_the_host_header() {
    let public = "https://grids.example.gov.cn/wangge";
    let s = start_with(Config {
        public_url: Some(public.into()),
        ..Default::default()
    })
    .await;
    let mut hrefs = Vec::new();
    for path in [
        "/ogc",
        "/ogc/collections",
        "/ogc/collections/base",
        "/ogc/collections/base/items?limit=2",
    ] {
        let v: Value = s
            .client
            .get(s.url(path))
            .header("host", "evil.example")
            .send()
            .await
            .expect("get")
            .json()
            .await
            .expect("json");
        let text = v.to_string();
        assert!(!text.contains("evil.example"), "{path}: {text}");
        collect_hrefs(&v, &mut hrefs);
    }
    assert!(hrefs.len() > 5);
    for h in &hrefs {
        assert!(h.starts_with(public), "{h}");
    }
    let tj: Value = s
        .client
        .get(s.url("/tiles/grids.json"))
        .header("host", "evil.example")
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(
        tj["tiles"][0],
        format!("{public}/tiles/grids/{{z}}/{{x}}/{{y}}.mvt")
    );
    // Without --public-url: the bound address.
    let d = start().await;
    let land = d.get_json("/ogc").await;
    assert_eq!(land["links"][0]["href"], format!("{}/ogc", d.base));
}

fn collect_hrefs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if k == "href" {
                    if let Some(s) = x.as_str() {
                        out.push(s.to_string());
                    }
                } else {
                    collect_hrefs(x, out);
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| collect_hrefs(x, out)),
        _ => {}
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_are_closed_connections_capped_and_slow_requests_timed_out() {
    let s = start_with(Config {
        limits: Limits {
            idle_timeout: Duration::from_secs(3),
            request_timeout: Duration::from_secs(2),
            max_connections: 1,
            ..Limits::default()
        },
        ..Default::default()
    })
    .await;
    let addr = s.running.addr;
    let get_health = b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    // One idle connection holds the only slot: a second one is not answered meanwhile…
    let mut idle = TcpStream::connect(addr).await.expect("connect");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut second = TcpStream::connect(addr).await.expect("connect");
    second.write_all(get_health).await.expect("write");
    let mut buf = [0u8; 64];
    assert!(
        tokio::time::timeout(Duration::from_millis(800), second.read(&mut buf))
            .await
            .is_err(),
        "answered beyond --max-connections"
    );
    // …until the idle one is closed by the server (no request head within --idle-timeout).
    let n = tokio::time::timeout(Duration::from_secs(10), idle.read(&mut buf))
        .await
        .expect("the idle connection was not closed")
        .expect("read");
    assert_eq!(n, 0, "closed without an answer");
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), second.read_to_end(&mut answer))
        .await
        .expect("second answered")
        .expect("read");
    assert!(answer.starts_with(b"HTTP/1.1 200"));
    // A body that never finishes arriving: 408 problem after --request-timeout.
    let mut slow = TcpStream::connect(addr).await.expect("connect");
    slow.write_all(
        b"POST /api/v1/lookup HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\n\
          Content-Length: 1000\r\nConnection: close\r\n\r\nlon,lat\n",
    )
    .await
    .expect("write");
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), slow.read_to_end(&mut answer))
        .await
        .expect("answered")
        .expect("read");
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("application/problem+json"), "{text}");
}
