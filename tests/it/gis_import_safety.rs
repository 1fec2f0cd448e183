//! Import safety through the GDAL path (`read_file`, shared by `wangge import` and the upload):
//! files open only with the driver their extension names and fetch nothing; zips are capped;
//! shapes across the antimeridian are refused naming the feature.

use crate::common::{counting_listener, vrt_fetching};
use rstest::rstest;
use std::io::Write;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::time::Duration;
use wangge::engine::Layer;
use wangge::gis::archive::ZipLimits;
use wangge::gis::{read_file, ImportOptions, Target};

fn grids() -> ImportOptions {
    ImportOptions::new(Target::Grids(Layer::Base))
}

#[rstest]
fn cli_vrt_disguised_as_geojson_fetches_nothing(
    #[values("grids.geojson", "grids.kml", "grids.gml")] name: &str,
) {
    let (port, connections) = counting_listener();
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join(name);
    std::fs::write(&path, vrt_fetching(port)).expect("write");
    let e = read_file(&path, &grids()).expect_err("a VRT is not a GeoJSON/KML/GML file");
    assert!(e.to_string().contains("cannot open"), "{name}: {e}");
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(connections.load(Ordering::SeqCst), 0, "nothing fetched");
}

#[test]
fn vrt_files_and_virtual_paths_are_not_importable() {
    let (port, connections) = counting_listener();
    let dir = tempfile::tempdir().expect("dir");
    let vrt = dir.path().join("grids.vrt");
    std::fs::write(&vrt, vrt_fetching(port)).expect("write");
    let e = read_file(&vrt, &grids()).expect_err(".vrt is refused");
    assert!(
        e.to_string().contains("\".vrt\" files cannot be imported"),
        "{e}"
    );
    let url = format!("/vsicurl/http://127.0.0.1:{port}/grids.geojson");
    let e = read_file(Path::new(&url), &grids()).expect_err("a network path is refused");
    assert!(e.to_string().contains("only local files"), "{e}");
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(connections.load(Ordering::SeqCst), 0, "nothing fetched");
}

fn zip_file(dir: &Path, entries: &[(&str, Vec<u8>)]) -> std::path::PathBuf {
    let path = dir.join("upload.zip");
    let mut z = zip::ZipWriter::new(std::fs::File::create(&path).expect("create"));
    for (name, data) in entries {
        z.start_file(
            *name,
            zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated),
        )
        .expect("entry");
        z.write_all(data).expect("write");
    }
    z.finish().expect("zip");
    path
}

#[test]
fn zip_bomb_refused() {
    let dir = tempfile::tempdir().expect("dir");
    // 4 MiB of zeros deflate to a few kilobytes.
    let zip = zip_file(dir.path(), &[("grids.geojson", vec![b' '; 4 << 20])]);
    assert!(std::fs::metadata(&zip).expect("meta").len() < 64 * 1024);
    let mut opts = grids();
    opts.zip_limits = ZipLimits {
        max_entries: 64,
        max_total_bytes: 1 << 20,
    };
    let e = read_file(&zip, &opts).expect_err("over the unpacked-size cap");
    let msg = e.to_string();
    assert!(
        msg.contains("zip bomb") && msg.contains("grids.geojson"),
        "{msg}"
    );
    assert!(msg.contains("upload.zip"), "{msg}");
}

#[test]
fn zip_with_too_many_entries_refused_before_unpacking() {
    let dir = tempfile::tempdir().expect("dir");
    let names: Vec<String> = (0..65).map(|i| format!("part{i}.txt")).collect();
    let entries: Vec<(&str, Vec<u8>)> = names.iter().map(|n| (n.as_str(), vec![b'x'])).collect();
    let zip = zip_file(dir.path(), &entries);
    let e = read_file(&zip, &grids()).expect_err("too many entries");
    assert!(e.to_string().contains("65 entries"), "{e}");
}

#[test]
fn antimeridian_multipolygon_refused_at_import() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("fiji.geojson");
    let square = |x: f64| {
        serde_json::json!([[
            [x, -17.0],
            [x + 0.05, -17.0],
            [x + 0.05, -16.95],
            [x, -16.95],
            [x, -17.0]
        ]])
    };
    let ok = serde_json::json!({"type": "Feature", "properties": {"code": "OK1"},
        "geometry": {"type": "Polygon", "coordinates": square(178.0)}});
    let across = serde_json::json!({"type": "Feature", "properties": {"code": "ACROSS"},
        "geometry": {"type": "MultiPolygon", "coordinates": [square(179.9), square(-179.95)]}});
    let fc = serde_json::json!({"type": "FeatureCollection", "features": [ok, across]});
    std::fs::write(&path, fc.to_string()).expect("write");
    let out = read_file(&path, &grids()).expect("the file itself reads");
    assert_eq!(out.read, 2);
    assert_eq!(out.refused.len(), 1, "{:?}", out.refused);
    assert_eq!(out.refused[0].feature, 1);
    assert!(
        out.refused[0].reason.contains("ACROSS") && out.refused[0].reason.contains("antimeridian"),
        "{}",
        out.refused[0].reason
    );
    let e = out.require_all().expect_err("all or nothing");
    assert!(e.to_string().contains("feature 1"), "{e}");
}

/// The second line of defence, on its own: while an import reads, neither `/vsicurl/` nor
/// `CPLHTTPFetch` (used by WFS, GML schemas, KML styles…) connects anywhere. Without the guard
/// the same calls do connect, so the listener would see them.
#[test]
fn gdal_reaches_no_network_while_importing() {
    wangge::gis::quiet_gdal();
    // /vsicurl/ goes through curl directly; WFS through CPLHTTPFetch (the fetch callback).
    let targets = [
        |port: u16| format!("/vsicurl/http://127.0.0.1:{port}/x.geojson"),
        |port: u16| format!("WFS:http://127.0.0.1:{port}/wfs"),
    ];
    for target in targets {
        let (port, guarded) = counting_listener();
        {
            let _guard = wangge::gis::open::NoNetwork::enter().expect("guard");
            assert!(gdal::Dataset::open(Path::new(&target(port))).is_err());
        }
        std::thread::sleep(Duration::from_millis(200));
        let name = target(0);
        assert_eq!(
            guarded.load(Ordering::SeqCst),
            0,
            "{name}: fetched under the guard"
        );

        // Control: once the guard is dropped the same open connects (the listener works, and
        // the guard restored GDAL's settings).
        let (port, unguarded) = counting_listener();
        let _ = gdal::Dataset::open(Path::new(&target(port)));
        std::thread::sleep(Duration::from_millis(200));
        assert!(
            unguarded.load(Ordering::SeqCst) >= 1,
            "{name}: the control run connects"
        );
    }
}

#[test]
fn zip_bomb_with_lying_headers_refused() {
    let dir = tempfile::tempdir().expect("dir");
    let zip = zip_file(dir.path(), &[("grids.geojson", vec![b' '; 4 << 20])]);
    // Rewrite the declared uncompressed size (local header and central directory) to 1 000
    // bytes, as a zip bomb does: the cap must hold on what actually comes out.
    let mut bytes = std::fs::read(&zip).expect("read");
    let patch = |bytes: &mut Vec<u8>, signature: [u8; 4], offset: usize| {
        let at = bytes
            .windows(4)
            .position(|w| w == signature)
            .expect("header");
        bytes[at + offset..at + offset + 4].copy_from_slice(&1000u32.to_le_bytes());
    };
    patch(&mut bytes, [0x50, 0x4b, 0x03, 0x04], 22);
    patch(&mut bytes, [0x50, 0x4b, 0x01, 0x02], 24);
    std::fs::write(&zip, bytes).expect("write");
    let mut opts = grids();
    opts.zip_limits = ZipLimits {
        max_entries: 64,
        max_total_bytes: 1 << 20,
    };
    // Either the cap or the zip reader's own size check stops it; never more than the cap is
    // written, and the entry is named.
    let e = read_file(&zip, &opts).expect_err("refused").to_string();
    assert!(
        e.contains("grids.geojson")
            && (e.contains("zip bomb") || e.contains("larger than its declared")),
        "{e}"
    );
}
