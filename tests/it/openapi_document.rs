//! The OpenAPI document describes the API exactly (issue #11): every route of the router is in
//! it, every operation says who may call it and which problems it answers, enumerated
//! parameters are enums holding exactly what the parsers accept, and request bodies have
//! schemas. Written against the generated JSON, not a snapshot of it.

use crate::common::http::{start, ADMIN};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;
use wangge::server::openapi::document;

fn doc() -> Value {
    serde_json::to_value(document()).expect("the document serialises")
}

const METHODS: [&str; 5] = ["get", "put", "post", "delete", "patch"];

/// Every (method, path) operation of the document.
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for m in METHODS {
            if let Some(op) = item.get(m) {
                out.push((m.to_string(), path.clone(), op.clone()));
            }
        }
    }
    out
}

/// The routes the router registers, read from the source files that build it: each
/// `.route("PATH", get(..).post(..))` with the prefix its router is nested under. Reading the
/// source is the only way to list an axum router's routes; a route added there without a
/// documented operation fails this test.
fn router_routes() -> BTreeSet<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/server");
    let files = [
        ("mod.rs", ""),
        ("routes/mod.rs", "/api/v1"),
        ("ogc.rs", "/ogc"),
        ("tiles.rs", "/tiles"),
    ];
    let mut out = BTreeSet::new();
    for (file, prefix) in files {
        let text = std::fs::read_to_string(root.join(file)).expect("router source");
        let mut rest = text.as_str();
        while let Some(at) = rest.find(".route(") {
            rest = &rest[at + ".route(".len()..];
            // The call's text, up to its closing parenthesis.
            let mut depth = 1;
            let end = rest
                .char_indices()
                .find(|&(_, c)| {
                    match c {
                        '(' => depth += 1,
                        ')' => depth -= 1,
                        _ => {}
                    }
                    depth == 0
                })
                .map(|(i, _)| i)
                .expect("closed .route(");
            let call = &rest[..end];
            let q1 = call.find('"').expect("route path literal");
            let q2 = q1 + 1 + call[q1 + 1..].find('"').expect("closing quote");
            let path = format!("{prefix}{}", &call[q1 + 1..q2]);
            let path = if path.len() > 1 {
                path.trim_end_matches('/').to_string()
            } else {
                path
            };
            let methods = &call[q2..];
            for m in METHODS {
                let needle = format!("{m}(");
                let found = methods.match_indices(&needle).any(|(i, _)| {
                    i == 0
                        || !methods.as_bytes()[i - 1].is_ascii_alphanumeric()
                            && methods.as_bytes()[i - 1] != b'_'
                });
                if found {
                    out.insert((m.to_string(), path.clone()));
                }
            }
        }
    }
    assert!(
        out.len() >= 35,
        "the route scan found only {} routes: the router source changed shape",
        out.len()
    );
    out
}

/// The document's form of a router path: the tile route captures `{y}` with its `.mvt`.
fn documented_form(path: &str) -> String {
    path.replace("/tiles/grids/{z}/{x}/{y}", "/tiles/grids/{z}/{x}/{y}.mvt")
}

#[test]
fn every_router_route_has_a_documented_operation() {
    let d = doc();
    // Kept for reading: target/tmp/openapi.json.
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("openapi.json");
    std::fs::write(&out, serde_json::to_string_pretty(&d).expect("json")).expect("write");
    let documented: BTreeSet<(String, String)> =
        operations(&d).into_iter().map(|(m, p, _)| (m, p)).collect();
    let missing: Vec<_> = router_routes()
        .into_iter()
        .map(|(m, p)| (m, documented_form(&p)))
        .filter(|r| !documented.contains(r))
        .collect();
    assert!(
        missing.is_empty(),
        "routes without an operation: {missing:?}"
    );
    for p in [
        "/tiles/grids.json",
        "/tiles/grids/{z}/{x}/{y}.mvt",
        "/ogc",
        "/ogc/collections/{layer}/items/{id}",
    ] {
        assert!(d["paths"][p]["get"].is_object(), "{p} is not documented");
    }
}

#[test]
fn every_operation_has_security_and_problem_responses() {
    let d = doc();
    let scheme = &d["components"]["securitySchemes"]["bearer"];
    assert_eq!(scheme["type"], "http");
    assert_eq!(scheme["scheme"], "bearer");
    let ops = operations(&d);
    for (m, p, op) in &ops {
        let security = op["security"]
            .as_array()
            .unwrap_or_else(|| panic!("{m} {p}: no security"));
        assert!(!security.is_empty(), "{m} {p}: empty security");
        let anonymous = security
            .iter()
            .any(|s| s.as_object().is_some_and(|o| o.is_empty()));
        let bearer = security.iter().any(|s| s.get("bearer").is_some());
        let public = p == "/health" || p == "/api/openapi.json";
        let read = m == "get" && !p.starts_with("/api/v1/tokens")
            || (m == "post" && p == "/api/v1/lookup");
        match (public, read) {
            (true, _) => assert!(anonymous && !bearer, "{m} {p} is public"),
            (false, true) => assert!(anonymous && bearer, "{m} {p}: a read, anonymous or bearer"),
            (false, false) => assert!(!anonymous && bearer, "{m} {p}: needs a token"),
        }
        let responses = op["responses"].as_object().expect("responses");
        let mut want = vec!["500"];
        if !public {
            want.extend(["401", "503"]);
        }
        if !public && !read {
            want.push("403");
        }
        if p.contains('{') && !p.starts_with("/tiles/") {
            want.push("404");
        }
        if op.get("requestBody").is_some() {
            want.extend(["400", "413"]);
        }
        for code in want {
            assert!(
                responses.contains_key(code),
                "{m} {p} lacks the {code} problem"
            );
        }
        // Every error response is a problem document.
        for (code, r) in responses {
            if code.as_str() < "400" {
                continue;
            }
            let r = resolve(&d, r);
            let content = r["content"]
                .as_object()
                .unwrap_or_else(|| panic!("{m} {p} {code}: no content"));
            assert_eq!(
                content.keys().collect::<Vec<_>>(),
                vec!["application/problem+json"],
                "{m} {p} {code}"
            );
            assert_eq!(
                content["application/problem+json"]["schema"]["$ref"],
                "#/components/schemas/Problem",
                "{m} {p} {code}"
            );
        }
        // Every success answer with a body names its media type.
        for (code, r) in responses {
            if code.starts_with('2') && code != "204" {
                let r = resolve(&d, r);
                assert!(
                    r["content"].as_object().is_some_and(|c| !c.is_empty()),
                    "{m} {p} {code}: no content"
                );
            }
        }
    }
    // Operation ids are unique (the handlers' function names repeat across modules).
    let ids: Vec<&str> = ops
        .iter()
        .map(|(m, p, op)| {
            op["operationId"]
                .as_str()
                .unwrap_or_else(|| panic!("{m} {p}: no id"))
        })
        .collect();
    let unique: BTreeSet<&str> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "duplicate operation ids: {ids:?}");
    // The 401 problem says how to authenticate.
    assert!(
        d["components"]["responses"]["Unauthorized"]["headers"]["WWW-Authenticate"].is_object()
    );
}

fn resolve<'a>(d: &'a Value, r: &'a Value) -> &'a Value {
    match r["$ref"].as_str() {
        Some(reference) => {
            let name = reference.rsplit('/').next().expect("ref name");
            &d["components"]["responses"][name]
        }
        None => r,
    }
}

/// The enum values of a component schema.
fn enum_values(d: &Value, name: &str) -> Vec<String> {
    d["components"]["schemas"][name]["enum"]
        .as_array()
        .unwrap_or_else(|| panic!("{name} is not an enum"))
        .iter()
        .map(|v| v.as_str().expect("string value").to_string())
        .collect()
}

/// The schema of a parameter, `$ref` followed to the component's name.
fn param_schema_ref(op: &Value, name: &str) -> String {
    let p = op["parameters"]
        .as_array()
        .expect("parameters")
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("no parameter {name}"));
    let s = &p["schema"];
    let r = s["$ref"]
        .as_str()
        .or_else(|| {
            s["oneOf"]
                .as_array()
                .and_then(|a| a.iter().find_map(|x| x["$ref"].as_str()))
        })
        .unwrap_or_else(|| panic!("parameter {name} is a free {s}"));
    r.rsplit('/').next().expect("name").to_string()
}

#[test]
fn enumerated_parameters_are_enums_of_exactly_what_the_parsers_accept() {
    use wangge::gis::write::Format;
    use wangge::gis::Target;
    use wangge_engine::datum::InputCrs;
    use wangge_engine::{GridStatus, Layer};
    let d = doc();
    let op = |m: &str, p: &str| d["paths"][p][m].clone();
    assert_eq!(
        param_schema_ref(&op("get", "/api/v1/grids"), "layer"),
        "LayerName"
    );
    assert_eq!(
        param_schema_ref(&op("get", "/api/v1/grids"), "status"),
        "StatusName"
    );
    assert_eq!(
        param_schema_ref(&op("get", "/api/v1/lookup"), "crs"),
        "CrsName"
    );
    assert_eq!(
        param_schema_ref(&op("post", "/api/v1/lookup"), "crs"),
        "CrsName"
    );
    assert_eq!(
        param_schema_ref(&op("get", "/api/v1/export"), "format"),
        "ExportFormat"
    );
    assert_eq!(
        param_schema_ref(&op("get", "/api/v1/export"), "what"),
        "ExportWhat"
    );
    assert_eq!(
        param_schema_ref(&op("get", "/api/v1/export"), "layer"),
        "LayerName"
    );
    assert_eq!(
        param_schema_ref(&op("post", "/api/v1/import"), "layer"),
        "ImportLayer"
    );
    assert_eq!(
        param_schema_ref(&op("get", "/api/v1/people"), "role"),
        "PersonRoleName"
    );

    let layers = enum_values(&d, "LayerName");
    assert_eq!(layers.len(), 4);
    assert!(layers.iter().all(|l| Layer::parse(l).is_some()));
    let statuses = enum_values(&d, "StatusName");
    assert_eq!(statuses.len(), 3);
    assert!(statuses.iter().all(|s| GridStatus::parse(s).is_some()));
    let crs = enum_values(&d, "CrsName");
    assert!(crs.iter().all(|c| InputCrs::parse(c).is_some()), "{crs:?}");
    for c in ["wgs84", "cgcs2000", "gcj02", "bd09"] {
        assert!(crs.contains(&c.to_string()));
    }
    let formats = enum_values(&d, "ExportFormat");
    assert!(
        formats.iter().all(|f| Format::parse(f).is_ok()),
        "{formats:?}"
    );
    for f in ["geojson", "gpkg", "shp", "kml", "fgb", "csv"] {
        assert!(formats.contains(&f.to_string()));
    }
    let targets = enum_values(&d, "ImportLayer");
    assert_eq!(targets.len(), 6);
    assert!(targets.iter().all(|t| Target::parse(t).is_ok()));
    for r in enum_values(&d, "PersonRoleName") {
        serde_json::from_value::<wangge::store::PersonRole>(r.clone().into())
            .unwrap_or_else(|_| panic!("person role {r}"));
    }
    for r in enum_values(&d, "TokenRoleName") {
        serde_json::from_value::<wangge::store::Role>(r.clone().into())
            .unwrap_or_else(|_| panic!("token role {r}"));
    }
}

#[test]
fn edit_bodies_have_schemas_not_free_strings() {
    let d = doc();
    for (m, p, op) in operations(&d) {
        let Some(body) = op.get("requestBody") else {
            continue;
        };
        for (media, c) in body["content"].as_object().expect("content") {
            let schema = &c["schema"];
            let free_string = schema["type"] == "string" && schema.get("format").is_none();
            // CSV is text by nature; every JSON body has a structured schema.
            if media != "text/csv" {
                assert!(!free_string, "{m} {p} {media}: the body is a free string");
                assert!(
                    schema.get("$ref").is_some() || schema.get("type").is_some(),
                    "{m} {p} {media}: no schema"
                );
            }
        }
    }
    let split = &d["components"]["schemas"]["SplitBody"];
    assert!(split["required"]
        .as_array()
        .expect("required")
        .contains(&"line".into()));
}

/// The other direction: every documented operation reaches a handler, not the router's
/// fallback (404 "no such resource") or its 405.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_documented_operation_reaches_a_handler() {
    let s = start().await;
    let d = doc();
    for (m, p, _) in operations(&d) {
        let path = p
            .replace("{z}", "1")
            .replace("{x}", "1")
            .replace("{y}", "1")
            .replace("{layer}", "base")
            .replace(['{', '}'], "");
        let method = reqwest::Method::from_bytes(m.to_uppercase().as_bytes()).expect("method");
        // A dry run with an empty JSON body: refused by the handler, never saved.
        let r = s
            .client
            .request(method, s.url(&format!("{path}?dry_run=true")))
            .bearer_auth(ADMIN)
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
            .expect("request");
        let status = r.status().as_u16();
        let text = r.text().await.expect("body");
        assert_ne!(status, 405, "{m} {p}: the router has no such method");
        assert!(
            !(status == 404 && text.contains("no such resource")),
            "{m} {p}: the router has no such path"
        );
    }
}

/// The document promises a problem for a body over the limit on every operation with a body;
/// `POST /import` read its body with axum's plain extractor, whose refusal was `text/plain`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_body_over_the_limit_is_a_problem_not_plain_text() {
    let s = crate::common::http::start_with(wangge::server::Config {
        max_body_bytes: 4096,
        ..Default::default()
    })
    .await;
    let r = s
        .client
        .post(s.url("/api/v1/import?layer=base&filename=grids.geojson&dry_run=true"))
        .bearer_auth(ADMIN)
        .header("content-type", "application/octet-stream")
        .body(vec![b' '; 8192])
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 413);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let p: Value = r.json().await.expect("problem");
    assert_eq!(p["status"], 413);
    assert_eq!(p["errors"][0]["field"], "body");
}
