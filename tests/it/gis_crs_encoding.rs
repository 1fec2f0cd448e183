//! Projected and Chinese-encoded shapefiles, as district GIS departments hand them over.

use crate::common::gis::{current, gdal_tool, s};
use wangge::engine::measure::distance_m;
use wangge::engine::Layer;
use wangge::gis::crs::{cgcs2000_gk3_epsg, cgcs2000_gk6_epsg};
use wangge::gis::{read_file, write_file, FieldMap, Format, ImportOptions, Target};

/// The demo base grids reprojected by GDAL into `epsg` (a shapefile with an ESRI .prj), then
/// imported: every vertex must land within `tolerance_m` of where it started.
fn gauss_kruger_round_trip(epsg: u32) -> f64 {
    let tmp = tempfile::tempdir().expect("tempdir");
    let grids = current(&Layer::Base);
    let lonlat = tmp.path().join("base.gpkg");
    write_file(&lonlat, Format::Gpkg, &grids).expect("write");
    let gk = tmp.path().join(format!("base_{epsg}.shp"));
    let t_srs = format!("EPSG:{epsg}");
    gdal_tool("ogr2ogr", &["-t_srs", &t_srs, s(&gk), s(&lonlat)]);
    let back = read_file(&gk, &ImportOptions::new(Target::Grids(Layer::Base))).expect("import");
    assert!(
        back.crs.contains(&epsg.to_string()),
        "identified as {}",
        back.crs
    );
    assert!(back.refused.is_empty(), "{:?}", back.refused);
    let mut worst: f64 = 0.0;
    for (a, b) in grids.iter().zip(&back.data.grids) {
        assert_eq!(a.code, b.code);
        for (pa, pb) in a.geometry.0.iter().zip(&b.geometry.0) {
            for (ca, cb) in pa.exterior().0.iter().zip(&pb.exterior().0) {
                worst = worst.max(distance_m((*ca).into(), (*cb).into()));
            }
        }
    }
    eprintln!(
        "EPSG:{epsg}: {} grids, worst vertex error {:.3} mm",
        grids.len(),
        worst * 1000.0
    );
    worst
}

#[test]
fn gauss_kruger_shapefiles_import_to_the_same_lon_lat_within_1_cm() {
    // Tunxi is at 118.3°E: its 3° belt is the one of CM 117E (115.5–118.5°E), EPSG:4548;
    // CM 120E (EPSG:4549) is 1.7° away, outside its belt, and must still work.
    let tunxi_lon = 118.3;
    assert_eq!(cgcs2000_gk3_epsg(tunxi_lon), Some(4548));
    for epsg in [4548, 4549, cgcs2000_gk6_epsg(tunxi_lon).expect("6° zone")] {
        let worst = gauss_kruger_round_trip(epsg);
        assert!(worst <= 0.01, "EPSG:{epsg}: {worst} m");
    }
}

#[test]
fn gbk_shapefile_with_chinese_columns_imports_names_correctly() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let grids = current(&Layer::Base);
    let src = tmp.path().join("base.gpkg");
    write_file(&src, Format::Gpkg, &grids).expect("write");
    let gbk = tmp.path().join("gbk.shp");
    // Column names as a department would have them: GRID_CODE, 名称 (name), ZT (status).
    gdal_tool(
        "ogr2ogr",
        &[
            "-lco",
            "ENCODING=GBK",
            "-dialect",
            "OGRSQL",
            "-sql",
            "SELECT code AS GRID_CODE, name AS \"名称\", status AS ZT FROM grids",
            s(&gbk),
            s(&src),
        ],
    );
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("gbk.cpg"))
            .expect("cpg")
            .trim(),
        "GBK"
    );
    // The .dbf really holds GBK bytes (荷 is 0xBA 0xC9 in GBK).
    let dbf = std::fs::read(tmp.path().join("gbk.dbf")).expect("dbf");
    assert!(dbf.windows(2).any(|w| w == [0xBA, 0xC9]));
    let mut opts = ImportOptions::new(Target::Grids(Layer::Base));
    opts.map = FieldMap::parse("code=GRID_CODE,name=名称,status=ZT").expect("map");
    let back = read_file(&gbk, &opts).expect("import");
    assert!(back.encoding.starts_with("GBK"), "{}", back.encoding);
    assert_eq!(back.data.grids.len(), grids.len());
    for (a, b) in grids.iter().zip(&back.data.grids) {
        assert_eq!(a.code, b.code);
        assert_eq!(a.name, b.name);
        assert_eq!(a.status, b.status);
        assert!(
            b.name.contains("社区") || b.name.contains("村"),
            "{}",
            b.name
        );
    }
}
