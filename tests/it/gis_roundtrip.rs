//! Every export format read back by the importer gives the same grids: codes as text, Chinese
//! names, status, hierarchy fields, and geometry bit-identical (GeoPackage, FlatGeobuf,
//! Shapefile: binary doubles) or within 1e-7° (GeoJSON, KML, CSV: decimal text).

use crate::common::gis::{current, gdal_tool, s};
use wangge::engine::{Grid, Layer};
use wangge::gis::{read_file, write_file, CrsOverride, Format, ImportOptions, Target};

fn same_attributes(a: &Grid, b: &Grid, what: &str) {
    assert_eq!(a.id, b.id, "{what}");
    assert_eq!(a.code, b.code, "{what}: code of {}", a.id);
    assert_eq!(a.name, b.name, "{what}: name of {}", a.id);
    assert_eq!(a.layer, b.layer, "{what}: layer of {}", a.id);
    assert_eq!(a.parent, b.parent, "{what}: parent of {}", a.id);
    assert_eq!(a.kind, b.kind, "{what}: kind of {}", a.id);
    assert_eq!(a.status, b.status, "{what}: status of {}", a.id);
    assert_eq!(a.category, b.category, "{what}: category of {}", a.id);
    assert_eq!(a.network, b.network, "{what}: network of {}", a.id);
    assert_eq!(a.members, b.members, "{what}: members of {}", a.id);
    assert_eq!(a.valid_from, b.valid_from, "{what}: valid_from of {}", a.id);
    assert_eq!(a.valid_to, b.valid_to, "{what}: valid_to of {}", a.id);
    assert_eq!(a.version, b.version, "{what}: version of {}", a.id);
    assert_eq!(a.properties, b.properties, "{what}: properties of {}", a.id);
}

/// Largest coordinate difference in degrees (rings compared vertex by vertex).
fn max_coord_diff(a: &Grid, b: &Grid) -> f64 {
    assert_eq!(a.geometry.0.len(), b.geometry.0.len(), "parts of {}", a.id);
    let mut worst: f64 = 0.0;
    for (pa, pb) in a.geometry.0.iter().zip(&b.geometry.0) {
        let ra = std::iter::once(pa.exterior()).chain(pa.interiors());
        let rb = std::iter::once(pb.exterior()).chain(pb.interiors());
        for (la, lb) in ra.zip(rb) {
            assert_eq!(la.0.len(), lb.0.len(), "ring length of {}", a.id);
            for (ca, cb) in la.0.iter().zip(&lb.0) {
                worst = worst.max((ca.x - cb.x).abs()).max((ca.y - cb.y).abs());
            }
        }
    }
    worst
}

#[test]
fn every_format_round_trips_base_micro_and_special_grids() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let formats = [
        (Format::Gpkg, "gpkg", true),
        (Format::Fgb, "fgb", true),
        (Format::Shp, "shp", true),
        (Format::GeoJson, "geojson", false),
        (Format::Kml, "kml", false),
        (Format::Csv, "csv", false),
    ];
    // Composite grids carry members and no geometry of their own.
    for layer in [Layer::Base, Layer::Micro, Layer::Special, Layer::Composite] {
        let grids = current(&layer);
        assert!(grids.len() > 10, "demo has {} grids", layer.as_str());
        for (format, ext, exact) in formats {
            let what = format!("{} via {ext}", layer.as_str());
            let path = tmp.path().join(format!("{}.{ext}", layer.as_str()));
            let written = write_file(&path, format, &grids).expect(&what);
            assert_eq!(written, grids.len());
            // ogrinfo (GDAL's own reader) opens what we wrote.
            gdal_tool("ogrinfo", &["-ro", "-so", "-al", s(&path)]);
            let mut opts = ImportOptions::new(Target::Grids(layer.clone()));
            if format == Format::Csv {
                // CSV has no CRS: the importer refuses to guess (see gis_bad_files).
                opts.crs = Some(CrsOverride::parse("EPSG:4326").expect("crs"));
            }
            let back = read_file(&path, &opts).expect(&what);
            assert!(back.refused.is_empty(), "{what}: {:?}", back.refused);
            assert_eq!(back.data.grids.len(), grids.len(), "{what}");
            // FlatGeobuf stores features in spatial-index order: match by id.
            let by_id: std::collections::HashMap<_, _> =
                back.data.grids.iter().map(|g| (&g.id, g)).collect();
            assert_eq!(by_id.len(), grids.len(), "{what}: duplicate ids");
            let mut worst: f64 = 0.0;
            for a in &grids {
                let b = by_id[&a.id];
                same_attributes(a, b, &what);
                if exact {
                    assert_eq!(a.geometry, b.geometry, "{what}: geometry of {}", a.id);
                }
                worst = worst.max(max_coord_diff(a, b));
            }
            assert!(worst <= 1e-7, "{what}: coordinates differ by {worst}°");
            eprintln!(
                "{what}: {} grids, max coordinate difference {worst:e}°",
                grids.len()
            );
        }
    }
}

#[test]
fn codes_are_text_columns_in_every_gdal_format() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let grids = current(&Layer::Base);
    for (format, ext) in [
        (Format::Gpkg, "gpkg"),
        (Format::Fgb, "fgb"),
        (Format::Shp, "shp"),
        (Format::Csv, "csv"),
    ] {
        let path = tmp.path().join(format!("codes.{ext}"));
        write_file(&path, format, &grids).expect("write");
        let info = gdal_tool("ogrinfo", &["-ro", "-so", "-al", s(&path)]);
        let text = String::from_utf8_lossy(&info.stdout);
        for field in ["id", "code", "parent"] {
            let line = text
                .lines()
                .find(|l| l.starts_with(&format!("{field}:")))
                .unwrap_or_else(|| panic!("{ext}: no {field} column in {text}"));
            assert!(line.contains("String"), "{ext}: {line}");
        }
    }
}
