//! Problems and errors in the client's language (issue #18, "Chinese throughout"): the same
//! machine-readable `kind`, `type` and field names in zh-CN and en, the texts translated, the
//! answer saying its language, and a planner's refusal naming areas by their Chinese names.

use crate::common::http::*;
use reqwest::Response;
use serde_json::{json, Value};
use wangge::server::i18n::Lang;
use wangge::server::Config;
use wangge::store::Role;

/// A grid of 上新社区 (341002001002), outside a planner of 荷花池社区 (341002001001).
const OTHER_GRID: &str = "341002001002003";
const COMMUNITY1: &str = "341002001001";

fn header(r: &Response, name: &str) -> String {
    r.headers()
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(", ")
}

async fn get_in(s: &Server, path: &str, lang: &str, token: Option<&str>) -> Response {
    let mut r = s.client.get(s.url(path)).header("Accept-Language", lang);
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    r.send().await.expect("GET")
}

/// The features of a validation answer by kind: (kind, severity, message).
async fn validation_in(s: &Server, lang: &str) -> (Vec<(String, String, String)>, String, String) {
    let r = get_in(s, "/api/v1/validation", lang, None).await;
    assert_eq!(r.status(), 200);
    let (content_language, vary) = (header(&r, "content-language"), header(&r, "vary"));
    let fc: Value = r.json().await.expect("GeoJSON");
    let rows = fc["features"]
        .as_array()
        .expect("features")
        .iter()
        .map(|f| {
            let p = &f["properties"];
            (
                p["kind"].as_str().unwrap_or_default().to_string(),
                p["severity"].as_str().unwrap_or_default().to_string(),
                p["message"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    (rows, content_language, vary)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validation_problems_are_chinese_or_english_with_the_same_kinds() {
    let s = start().await;
    let (zh, zh_lang, zh_vary) = validation_in(&s, "zh-CN,zh;q=0.9,en;q=0.5").await;
    let (en, en_lang, en_vary) = validation_in(&s, "en-GB;q=0.9, zh-CN;q=0.2").await;
    assert_eq!(zh_lang, "zh-CN");
    assert_eq!(en_lang, "en");
    assert!(
        zh_vary.to_ascii_lowercase().contains("accept-language"),
        "{zh_vary}"
    );
    assert!(
        en_vary.to_ascii_lowercase().contains("accept-language"),
        "{en_vary}"
    );
    assert!(
        !zh.is_empty(),
        "the demo has its reserved/suspended summary"
    );
    let kinds = |rows: &[(String, String, String)]| {
        rows.iter()
            .map(|(k, s, _)| (k.clone(), s.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(kinds(&zh), kinds(&en), "same kinds and severities in both");
    let summary = |rows: &[(String, String, String)]| {
        rows.iter()
            .find(|(k, _, _)| k == "status_summary")
            .map(|(_, _, m)| m.clone())
            .expect("status_summary")
    };
    let (zh_msg, en_msg) = (summary(&zh), summary(&en));
    assert!(zh_msg.starts_with("预留网格 "), "{zh_msg}");
    assert!(zh_msg.contains("暂停网格"), "{zh_msg}");
    assert!(!zh_msg.contains("reserved"), "{zh_msg}");
    assert!(en_msg.contains("reserved grid(s)"), "{en_msg}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_token_is_refused_in_the_clients_language_with_the_same_type() {
    let s = start().await;
    let mut docs = vec![];
    for lang in ["zh-CN", "en"] {
        let r = get_in(&s, "/api/v1/areas", lang, Some("wg_not_a_token")).await;
        assert_eq!(header(&r, "content-language"), lang);
        assert!(header(&r, "vary")
            .to_ascii_lowercase()
            .contains("accept-language"));
        assert_eq!(header(&r, "www-authenticate"), "Bearer");
        docs.push(problem(r, 401).await);
    }
    let (zh, en) = (&docs[0], &docs[1]);
    assert_eq!(zh["type"], en["type"]);
    assert_eq!(zh["type"], "urn:wangge:problem:unauthorized");
    assert_eq!(zh["title"], "需要身份验证");
    assert_eq!(zh["detail"], "令牌未知或已被吊销");
    assert_eq!(en["title"], "Authentication required");
    assert_eq!(en["detail"], "unknown or revoked token");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_planner_out_of_area_refusal_names_both_areas_by_their_chinese_names() {
    let s = start().await;
    let planner = s.token(Role::Planner, &[COMMUNITY1]).await;
    let mut docs = vec![];
    for lang in ["zh-CN", "en"] {
        let r = s
            .client
            .put(s.url(&format!("/api/v1/grids/{OTHER_GRID}/status?dry_run=true")))
            .header("Accept-Language", lang)
            .bearer_auth(&planner)
            .json(&json!({"status": "reserved"}))
            .send()
            .await
            .expect("PUT");
        docs.push(problem(r, 403).await);
    }
    let (zh, en) = (&docs[0], &docs[1]);
    assert_eq!(zh["type"], "urn:wangge:problem:outside-area");
    assert_eq!(zh["type"], en["type"]);
    assert_eq!(zh["grid"], OTHER_GRID);
    assert_eq!(en["grid"], OTHER_GRID);
    assert_eq!(zh["title"], "网格不在您的可编辑范围内");
    let detail = zh["detail"].as_str().expect("detail");
    assert_eq!(
        detail,
        format!("网格 {OTHER_GRID} 在 上新社区居委会，不在您的可编辑范围（荷花池社区居委会）内")
    );
    assert!(!detail.contains("token"), "no token id: {detail}");
    // The same field in both languages, the reason translated.
    assert!(
        names_field(zh, "grid") && names_field(en, "grid"),
        "{zh} {en}"
    );
    assert_eq!(en["title"], "Grid outside your areas");
    let en_detail = en["detail"].as_str().expect("detail");
    assert!(!en_detail.contains("t-Planner"), "no token id: {en_detail}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_language_we_serve_the_district_default_applies() {
    let zh_default = start_with(Config {
        language: Lang::ZhCn,
        ..Config::default()
    })
    .await;
    for lang in [None, Some("fr-FR, de;q=0.8"), Some("*")] {
        let mut r = zh_default
            .client
            .get(zh_default.url("/api/v1/no-such-thing"));
        if let Some(l) = lang {
            r = r.header("Accept-Language", l);
        }
        let r = r.send().await.expect("GET");
        assert_eq!(header(&r, "content-language"), "zh-CN", "{lang:?}");
        let p = problem(r, 404).await;
        assert_eq!(p["title"], "未找到", "{lang:?}");
        assert_eq!(p["type"], "urn:wangge:problem:not-found");
    }
    let en_default = start().await;
    let r = get_in(&en_default, "/api/v1/no-such-thing", "fr", None).await;
    assert_eq!(header(&r, "content-language"), "en");
    let p = problem(r, 404).await;
    assert_eq!(p["title"], "Not found");
    assert_eq!(p["detail"], "no such resource");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_me_names_the_planners_areas_with_their_outlines() {
    let s = start().await;
    let planner = s.token(Role::Planner, &[COMMUNITY1]).await;
    let r = get_in(&s, "/api/v1/tokens/me", "zh-CN", Some(&planner)).await;
    assert_eq!(r.status(), 200);
    let me: Value = r.json().await.expect("JSON");
    assert_eq!(me["role"], "planner");
    assert_eq!(me["everywhere"], false);
    let areas = me["areas"].as_array().expect("areas");
    assert_eq!(areas.len(), 1);
    assert_eq!(areas[0]["code"], COMMUNITY1);
    assert_eq!(areas[0]["name"], "荷花池社区居委会");
    assert_eq!(areas[0]["level"], "community");
    assert_eq!(areas[0]["geometry"]["type"], "MultiPolygon");
    // Anonymous: 401, in the client's language.
    let r = get_in(&s, "/api/v1/tokens/me", "zh-CN", None).await;
    let p = problem(r, 401).await;
    assert_eq!(p["title"], "需要身份验证");
}

/// A reshape of a grid to a box around it overlaps its neighbours: refused (422) with each
/// problem it would create as a field reason, in both languages with the same fields.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_edit_lists_its_problems_in_the_clients_language_with_the_same_kinds() {
    let s = start().await;
    let grid = "341002001001001";
    let g = s.get_json(&format!("/api/v1/grids/{grid}")).await;
    let text = g["geometry"]["coordinates"].to_string();
    let numbers: Vec<f64> = text
        .split(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-'))
        .filter_map(|t| t.parse().ok())
        .collect();
    let (xs, ys): (Vec<f64>, Vec<f64>) = (
        numbers.iter().step_by(2).copied().collect(),
        numbers.iter().skip(1).step_by(2).copied().collect(),
    );
    let min = |v: &[f64]| v.iter().copied().fold(f64::INFINITY, f64::min);
    let max = |v: &[f64]| v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    // The grid's box widened by a third on every side reaches into its neighbours.
    let (w, h) = (max(&xs) - min(&xs), max(&ys) - min(&ys));
    let (x0, y0, x1, y1) = (
        min(&xs) - w / 3.0,
        min(&ys) - h / 3.0,
        max(&xs) + w / 3.0,
        max(&ys) + h / 3.0,
    );
    let bbox = json!({"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]});
    let mut docs = vec![];
    for lang in ["zh-CN", "en"] {
        let r = s
            .client
            .put(s.url(&format!("/api/v1/grids/{grid}/geometry?dry_run=true")))
            .header("Accept-Language", lang)
            .bearer_auth(ADMIN)
            .json(&bbox)
            .send()
            .await
            .expect("PUT");
        docs.push(problem(r, 422).await);
    }
    let (zh, en) = (&docs[0], &docs[1]);
    assert_eq!(zh["type"], "urn:wangge:problem:edit-refused");
    assert_eq!(zh["type"], en["type"]);
    assert_eq!(zh["title"], "编辑被拒绝");
    let fields = |p: &Value| -> Vec<String> {
        p["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .map(|e| e["field"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    assert!(!fields(zh).is_empty(), "{zh}");
    assert_eq!(fields(zh), fields(en), "the same problem kinds in both");
    let detail = zh["detail"].as_str().expect("detail");
    assert!(detail.starts_with("此编辑会破坏网格层级："), "{detail}");
    for e in zh["errors"].as_array().expect("errors") {
        let reason = e["reason"].as_str().unwrap_or_default();
        assert!(
            reason
                .chars()
                .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "a Chinese reason: {reason}"
        );
        assert!(detail.contains(reason), "the detail lists {reason}");
    }
    for e in en["errors"].as_array().expect("errors") {
        let reason = e["reason"].as_str().unwrap_or_default();
        assert!(
            reason.is_ascii() || reason.contains('²'),
            "an English reason: {reason}"
        );
    }
}
