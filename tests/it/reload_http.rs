//! Issue #11 as reported: over HTTP, a status change and a split of the demo's base grid
//! 341002100203005 on the same day, then a second service process on the same store (a
//! restart) must load it and hold the same district.

use crate::common::http::{start, ADMIN};
use serde_json::json;
use wangge::engine::{District, Grid, GridId};
use wangge::server::{self, Config};

const GRID: &str = "341002100203005";
const COMPOSITE: &str = "341002100203CG02";

fn versions(d: &District) -> Vec<Grid> {
    let mut v: Vec<Grid> = d.all_versions().iter().map(|g| Grid::clone(g)).collect();
    v.sort_by(|a, b| (&a.id, a.version).cmp(&(&b.id, b.version)));
    v
}

#[tokio::test]
async fn restart_after_status_change_then_split_same_day_over_http() {
    let s = start().await;
    let r = s
        .client
        .put(s.url(&format!("/api/v1/grids/{GRID}/status?reason=test")))
        .bearer_auth(ADMIN)
        .json(&json!({"status": "reserved"}))
        .send()
        .await
        .expect("PUT status");
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());

    let rect = {
        let d = s.running.state.district();
        let g = d.grid(&GridId(GRID.into()), None).expect("the grid");
        assert!(
            d.composites_of(&g.id, None)
                .iter()
                .any(|c| c.id.0 == COMPOSITE),
            "{GRID} is a member of {COMPOSITE}"
        );
        geo::BoundingRect::bounding_rect(&g.geometry).expect("a box")
    };
    let mid_x = ((rect.min().x + rect.max().x) / 2.0 * 1e7).round() / 1e7;
    let line = json!({"type": "LineString",
        "coordinates": [[mid_x, rect.min().y - 0.001], [mid_x, rect.max().y + 0.001]]});
    let r = s
        .client
        .post(s.url(&format!(
            "/api/v1/grids/{GRID}/split?reason=test&force_draft=true"
        )))
        .bearer_auth(ADMIN)
        .json(&json!({"line": line}))
        .send()
        .await
        .expect("POST split");
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());

    // The restart: another process on the same store loads everything from it.
    let restarted = server::start(
        s.running.state.store.clone(),
        Config::default(),
        "127.0.0.1:0".parse().expect("address"),
        std::future::pending(),
    )
    .await
    .unwrap_or_else(|e| panic!("the restarted service cannot load the store: {e}"));
    let want = versions(&s.running.state.district());
    let got = versions(&restarted.state.district());
    assert_eq!(got.len(), want.len(), "grid versions");
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g, w, "grid {} version {}", w.id, w.version);
    }
    // The version the status change opened was replaced the same day: in the history, on no date.
    let d = restarted.state.district();
    let history = d.history(&GridId(GRID.into()));
    assert_eq!(history.len(), 2, "versions of {GRID}");
    assert_eq!(Some(history[1].valid_from), history[1].valid_to);
    assert_eq!(
        d.grid(&GridId(GRID.into()), Some(history[1].valid_from)),
        None
    );
}
