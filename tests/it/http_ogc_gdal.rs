//! A real OGC API – Features client (GDAL's OAPIF driver) lists the collections.
//! Needs `ogrinfo` (Debian: `apt-get install gdal-bin`); fails with that message when missing.

use crate::common::http::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ogrinfo_lists_the_grid_layers() {
    let s = start().await;
    let url = format!("OAPIF:{}/ogc", s.base);
    let out = tokio::process::Command::new("ogrinfo")
        .args(["-ro", "-so", &url])
        .env("GDAL_HTTP_TIMEOUT", "20")
        .output()
        .await;
    let out = match out {
        Ok(o) => o,
        Err(e) => panic!(
            "ogrinfo could not be run ({e}): install GDAL (`apt-get install gdal-bin`) to run this test"
        ),
    };
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "ogrinfo failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    for layer in ["base", "micro", "special", "composite"] {
        assert!(
            text.contains(&format!(": {layer} ")),
            "ogrinfo lacks {layer}:\n{text}"
        );
    }
    let out = tokio::process::Command::new("ogrinfo")
        .args(["-ro", "-so", &url, "base"])
        .output()
        .await
        .expect("ogrinfo");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Feature Count: 493"), "{text}");
}
