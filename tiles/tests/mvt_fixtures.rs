//! The @mapbox/mvt-fixtures suite (pinned in tiles/tests/package-lock.json) against our
//! spec-level validator (`common::spec`), and the fixtures' geometry re-encoded by our encoder.
//!
//! Needs `npm ci --prefix tiles/tests`. A missing fixtures folder is a failure, not a skip, as
//! for the node decoder test, so CI cannot pass without the check.

mod common;

use common::mesh::Mesh;
use common::samples;
use common::spec::{self, rules, validate, Rule, SpecValue, LINESTRING, POINT, POLYGON};
use geo::{Coord, Geometry, LineString, MultiLineString, MultiPoint, MultiPolygon, Point, Polygon};
use std::path::PathBuf;
use wangge_tiles::math::tiles_covering;
use wangge_tiles::{
    encode_tile, EncodeError, EncodeOptions, Feature, Layer, PropValue, TileId, Topology,
};

/// One fixture folder: `fixtures/NNN/{tile.mvt, info.json}`.
struct Fixture {
    id: String,
    bytes: Vec<u8>,
    valid_v2: bool,
    description: String,
}

fn fixtures_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/node_modules/@mapbox/mvt-fixtures/fixtures");
    assert!(
        dir.is_dir(),
        "{} is missing: run `npm ci --prefix tiles/tests` (needs npm; @mapbox/mvt-fixtures is \
         pinned in tiles/tests/package-lock.json)",
        dir.display()
    );
    dir
}

fn fixtures() -> Vec<Fixture> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(fixtures_dir())
        .expect("read fixtures dir")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs.iter()
        .map(|d| {
            let info: serde_json::Value = serde_json::from_slice(
                &std::fs::read(d.join("info.json")).expect("read info.json"),
            )
            .expect("info.json is JSON");
            Fixture {
                id: d
                    .file_name()
                    .expect("folder name")
                    .to_string_lossy()
                    .into_owned(),
                bytes: std::fs::read(d.join("tile.mvt")).expect("read tile.mvt"),
                valid_v2: info["validity"]["v2"]
                    .as_bool()
                    .expect("validity.v2 is a bool"),
                description: info["description"].as_str().unwrap_or("").to_string(),
            }
        })
        .collect()
}

/// Every fixture labelled invalid for v2, with the rule our validator must reject it by: a
/// rejection for some other reason would mean the validator misread the fixture.
const INVALID: &[(&str, &[Rule])] = &[
    ("003", &[Rule::MissingType]),
    ("004", &[Rule::MissingGeometry]),
    ("005", &[Rule::OddTags]),
    ("006", &[Rule::UnknownType]),
    ("007", &[Rule::WireType]),  // version as a string
    ("008", &[Rule::WireType]),  // extent as a string
    ("010", &[Rule::WireType]),  // string_value as a varint
    ("011", &[Rule::Value]),     // value with an unknown field (4242)
    ("012", &[Rule::Version]),   // version 99
    ("013", &[Rule::WireType]),  // keys as varints
    ("014", &[Rule::LayerName]), // no name
    ("015", &[Rule::DuplicateLayerName]),
    ("023", &[Rule::LayerName]), // no name (written with an "optional name" schema)
    ("024", &[Rule::Version]),   // no version
    ("026", &[Rule::Value]),     // value with an extension field (20)
    // "Two geometry fields": packed repeated fields may legally arrive in several pieces, which
    // readers concatenate, so the pieces themselves are no fault; the concatenation is two
    // MoveTo commands, which a point geometry (one MoveTo) must not have.
    ("030", &[Rule::CommandSequence]),
    ("040", &[Rule::KeyIndex]),
    // Tags written as packed floats: read as varints they become key index 106 of 1.
    ("041", &[Rule::KeyIndex]),
    ("042", &[Rule::ValueIndex]),
    ("044", &[Rule::CommandSequence]), // starts with ClosePath
    ("045", &[Rule::MissingParameters]),
    ("046", &[Rule::ZeroLengthLineTo]),
    ("047", &[Rule::ClosePathCount]),
    ("048", &[Rule::ClosePathCount]),
    ("051", &[Rule::MissingParameters]), // MoveTo count 2^29 - 1, one pair
    ("052", &[Rule::MissingParameters]),
    ("058", &[Rule::MissingParameters]), // LineTo count 2^29 - 1
    // A ClosePath (of count 0) in a linestring, tolerated by v1 readers only; the layer also
    // lacks a version, which the suite calls fatal in 024 but lets pass here for v1.
    ("061", &[Rule::Version, Rule::CommandSequence]),
];

/// Fixtures whose label we do not follow, with why. The test still pins what the validator
/// says about them, so a change there is noticed.
const LABEL_OVERRIDDEN: &[(&str, &[Rule], &str)] = &[
    (
        "016",
        &[Rule::MissingType],
        // Meant as "a feature of type UNKNOWN is valid", but its bytes are byte-for-byte those
        // of 003 (checked below): the type field is absent, not 0, because proto2 encoders
        // omit default values. 4.2 says a feature MUST contain a type field, and 003 is
        // labelled invalid for exactly that, so we side with the spec text and 003. An explicit
        // UNKNOWN type is still accepted: fixture 039 writes type 0 and is labelled valid.
        "same bytes as 003, which is labelled invalid (spec 4.2: type MUST be present)",
    ),
    (
        "057",
        &[Rule::MissingParameters],
        // Labelled valid for v1 and v2, yet its geometry [MoveTo count 2^29 - 1, 2, 2] has the
        // same shape as 051's [MoveTo count 2^29 - 1, 10, 10], labelled invalid ("count too
        // large"). 4.3.3.1 says a MoveTo of count n MUST be followed by n pairs, so we side
        // with the spec text and 051: rejected.
        "same shape as 051, which is labelled invalid (spec 4.3.3.1: n pairs MUST follow)",
    ),
];

const VALID_ACCEPTED: usize = 44;
const INVALID_REJECTED: usize = 28;
const OVERRIDDEN: usize = 2;

#[test]
fn every_fixture_is_judged_as_the_suite_labels_it() {
    let all = fixtures();
    assert_eq!(all.len(), 74, "@mapbox/mvt-fixtures 4.0.0 has 74 fixtures");
    let (mut valid, mut invalid, mut overridden) = (0, 0, 0);
    let mut failures = Vec::new();
    for f in &all {
        let verdict = validate(&f.bytes);
        if let Some((_, expected, _)) = LABEL_OVERRIDDEN.iter().find(|o| o.0 == f.id) {
            match &verdict {
                Err(v) if rules(v) == *expected => overridden += 1,
                other => failures.push(format!(
                    "{} (overridden label): expected {expected:?}, got {other:?}",
                    f.id
                )),
            }
            continue;
        }
        let expected = INVALID.iter().find(|i| i.0 == f.id).map(|i| i.1);
        match (f.valid_v2, expected, verdict) {
            (true, None, Ok(_)) => valid += 1,
            (false, Some(expected), Err(v)) if rules(&v) == expected => invalid += 1,
            (true, Some(_), _) => {
                failures.push(format!("{} is labelled valid but listed in INVALID", f.id))
            }
            (false, None, _) => failures.push(format!(
                "{} is labelled invalid ({}) but has no entry in INVALID",
                f.id, f.description
            )),
            (_, _, verdict) => failures.push(format!(
                "{} ({}): expected {}, got {verdict:?}",
                f.id,
                f.description,
                expected.map_or("acceptance".to_string(), |r| format!("{r:?}"))
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Exact counts, so coverage cannot shrink unnoticed.
    assert_eq!(
        (valid, invalid, overridden),
        (VALID_ACCEPTED, INVALID_REJECTED, OVERRIDDEN)
    );
    assert_eq!(INVALID.len(), INVALID_REJECTED);
    // The ground for overriding 016's label.
    let bytes = |id: &str| &all.iter().find(|f| f.id == id).expect("fixture").bytes;
    assert_eq!(bytes("016"), bytes("003"));
}

// ---- our encoder's output, judged by the same validator --------------------------------------

fn pt(t: TileId, x: f64, y: f64) -> Coord<f64> {
    samples::px(t, x, y)
}

fn ring(t: TileId, pts: &[(f64, f64)]) -> LineString<f64> {
    let mut v: Vec<Coord<f64>> = pts.iter().map(|&(x, y)| pt(t, x, y)).collect();
    v.push(v[0]);
    LineString::from(v)
}

fn feature(id: u64, geometry: Geometry<f64>, properties: Vec<(&str, PropValue)>) -> Feature {
    Feature {
        id,
        geometry,
        properties: properties
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    }
}

/// Every geometry kind and property type we write, with features cut at the tile edges.
fn encoder_layers(t: TileId) -> Vec<Layer> {
    let square = |x0: f64, y0: f64, s: f64| {
        ring(t, &[(x0, y0), (x0 + s, y0), (x0 + s, y0 + s), (x0, y0 + s)])
    };
    let mut areas = Layer::new("areas");
    // A polygon with two holes, given with the "wrong" winding everywhere.
    areas.push(feature(
        1,
        Geometry::Polygon(Polygon::new(
            ring(t, &[(100., 100.), (100., 900.), (900., 900.), (900., 100.)]),
            vec![square(200., 200., 100.), square(500., 500., 200.)],
        )),
        vec![
            ("name", PropValue::String("一号网格".into())),
            ("households", PropValue::Int(420)),
            ("delta", PropValue::Int(-7)),
            ("zero", PropValue::Int(0)),
            ("area_km2", PropValue::Float(0.125)),
            ("active", PropValue::Bool(false)),
        ],
    ));
    // A multipolygon whose second part shares a corner with the first, then one crossing the
    // north-west corner of the tile (clipped at -64) and one leaving through the south edge.
    areas.push(feature(
        2,
        Geometry::MultiPolygon(MultiPolygon(vec![
            Polygon::new(square(1000., 1000., 300.), vec![]),
            Polygon::new(square(1300., 1300., 300.), vec![]),
            Polygon::new(square(-500., -500., 700.), vec![]),
            Polygon::new(
                ring(t, &[(2000., 3800.), (2600., 3800.), (2300., 4500.)]),
                vec![square(2250., 3850., 100.)],
            ),
        ])),
        vec![("households", PropValue::Int(310))],
    ));
    let mut lines = Layer::new("lines");
    lines.push(feature(
        10,
        Geometry::LineString(LineString::from(vec![
            pt(t, 3000., 100.),
            pt(t, 5000., 100.),
            pt(t, 5000., 600.),
            pt(t, 3000., 600.),
        ])),
        vec![("kind", PropValue::String("boundary".into()))],
    ));
    lines.push(feature(
        11,
        Geometry::MultiLineString(MultiLineString(vec![
            LineString::from(vec![pt(t, 100., 2000.), pt(t, 900., 2000.)]),
            LineString::from(vec![pt(t, 100., 2200.), pt(t, 900., 2300.)]),
        ])),
        vec![("kind", PropValue::String("boundary".into()))],
    ));
    let mut points = Layer::new("points");
    points.push(feature(
        20,
        Geometry::Point(Point(pt(t, 2048., 2048.))),
        vec![
            ("big", PropValue::Int(i64::MAX)),
            ("small", PropValue::Int(i64::MIN)),
        ],
    ));
    points.push(feature(
        21,
        Geometry::MultiPoint(MultiPoint(vec![
            Point(pt(t, 10., 10.)),
            Point(pt(t, 4096., 4096.)),
            Point(pt(t, -30., 4000.)),
            Point(pt(t, 9000., 10.)), // outside the buffer: dropped
        ])),
        vec![
            ("ratio", PropValue::Float(-1.5e-9)),
            ("on", PropValue::Bool(true)),
        ],
    ));
    vec![areas, lines, points]
}

fn value_of(v: &PropValue) -> SpecValue {
    // How we write each PropValue: integers as uint (≥ 0) or sint (< 0), floats as double.
    match v {
        PropValue::String(s) => SpecValue::String(s.clone()),
        PropValue::Int(i) if *i >= 0 => SpecValue::Uint(i.unsigned_abs()),
        PropValue::Int(i) => SpecValue::Sint(*i),
        PropValue::Float(x) => SpecValue::Double(*x),
        PropValue::Bool(b) => SpecValue::Bool(*b),
    }
}

#[test]
fn our_tiles_pass_the_spec_validator() {
    let t = samples::tile();
    let opts = EncodeOptions::default();
    let layers = encoder_layers(t);
    let bytes = encode_tile(t, &layers, &opts).expect("encodes");
    let tile = validate(&bytes).unwrap_or_else(|v| panic!("our tile breaks the spec: {v:#?}"));
    let names: Vec<&str> = tile.layers.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, ["areas", "lines", "points"]);
    for (ours, theirs) in layers.iter().zip(&tile.layers) {
        assert_eq!(theirs.version, 2);
        assert_eq!(theirs.extent, 4096);
        assert_eq!(theirs.features.len(), ours.features().len());
        for (f, g) in ours.features().iter().zip(&theirs.features) {
            assert_eq!(g.id, Some(f.id));
            let expected: Vec<(String, SpecValue)> = f
                .properties
                .iter()
                .map(|(k, v)| (k.clone(), value_of(v)))
                .collect();
            assert_eq!(g.properties, expected, "feature {}", f.id);
            let lim = -64..=4160;
            for p in g.parts.iter().flatten() {
                assert!(lim.contains(&p.0) && lim.contains(&p.1), "{p:?} outside");
            }
        }
    }
    let ring_counts: Vec<usize> = tile.layers[0]
        .features
        .iter()
        .map(|f| f.parts.len())
        .collect();
    // 1 exterior + 2 holes; 4 parts + 1 hole.
    assert_eq!(ring_counts, [3, 5]);
    let areas: Vec<i128> = tile.layers[0].features[0]
        .parts
        .iter()
        .map(|r| spec::twice_area(r).signum())
        .collect();
    assert_eq!(areas, [1, -1, -1], "exterior then holes, re-wound");
    // The corner square is cut at the buffer: its ring starts and ends on the -64 lines.
    assert!(tile.layers[0].features[1].parts[2].contains(&(-64, -64)));
    let kinds: Vec<(u32, usize)> = tile
        .layers
        .iter()
        .flat_map(|l| l.features.iter().map(|f| (f.geom_type, f.parts.len())))
        .collect();
    assert_eq!(
        kinds,
        [
            (POLYGON, 3),
            (POLYGON, 5),
            (LINESTRING, 2), // leaves through the east buffer and comes back
            (LINESTRING, 2),
            (POINT, 1),
            (POINT, 3)
        ]
    );

    // The sample tile of the snapshot tests and a mesh of grids over several tiles, too.
    let sample = encode_tile(t, &samples::layers(), &opts).expect("encodes");
    validate(&sample).unwrap_or_else(|v| panic!("sample tile breaks the spec: {v:#?}"));
    let mesh = Mesh {
        nx: 12,
        ny: 8,
        s: 12,
        k: 6,
        seed: 5,
    };
    let topo = Topology::build(&mesh.cells_lonlat(116.25, 39.875, 1.0 / 16384.0));
    let z = 15;
    let mut grids = Layer::new("grids");
    for (i, mp) in topo
        .simplify(wangge_tiles::tolerance_for_zoom(z, 0.5, 39.9))
        .into_iter()
        .enumerate()
    {
        grids.push(feature(i as u64, Geometry::MultiPolygon(mp), vec![]));
    }
    let bbox = geo::Rect::new(
        Coord {
            x: 116.25,
            y: 39.875,
        },
        Coord {
            x: 116.25 + 144.0 / 16384.0,
            y: 39.875 + 96.0 / 16384.0,
        },
    );
    let mut features = 0;
    for tid in tiles_covering(bbox, z, 0, 4096).expect("zoom ok").iter() {
        let b = encode_tile(tid, std::slice::from_ref(&grids), &opts).expect("encodes");
        let tile =
            validate(&b).unwrap_or_else(|v| panic!("mesh tile {tid} breaks the spec: {v:#?}"));
        features += tile.layers.iter().map(|l| l.features.len()).sum::<usize>();
    }
    assert!(
        features >= 96,
        "every grid drawn at least once, got {features}"
    );
}

/// A line that starts where the previous line of the same feature ended: the mvt crate drops
/// such a MoveTo and writes MoveTo LineTo LineTo, which 4.3.4.3 does not allow.
#[test]
fn lines_that_continue_each_other_stay_valid() {
    let t = samples::tile();
    let mut l = Layer::new("lines");
    l.push(feature(
        1,
        Geometry::MultiLineString(MultiLineString(vec![
            LineString::from(vec![pt(t, 100., 100.), pt(t, 900., 100.)]),
            LineString::from(vec![pt(t, 900., 100.), pt(t, 900., 900.)]),
            LineString::from(vec![pt(t, 2000., 2000.), pt(t, 2500., 2000.)]),
        ])),
        vec![],
    ));
    let bytes = encode_tile(t, &[l], &EncodeOptions::default()).expect("encodes");
    let tile = validate(&bytes).unwrap_or_else(|v| panic!("{v:#?}"));
    let parts = &tile.layers[0].features[0].parts;
    // The first two are one path on the map; written as one line, they keep every vertex.
    assert_eq!(
        parts,
        &[
            vec![(100, 100), (900, 100), (900, 900)],
            vec![(2000, 2000), (2500, 2000)]
        ]
    );
}

/// 4.4: a key may appear once per feature.
#[test]
fn a_property_key_given_twice_is_refused() {
    let t = samples::tile();
    let mut l = Layer::new("grids");
    l.push(feature(
        7,
        Geometry::Point(Point(pt(t, 10., 10.))),
        vec![
            ("code", PropValue::String("a".into())),
            ("code", PropValue::String("b".into())),
        ],
    ));
    match encode_tile(t, &[l], &EncodeOptions::default()) {
        Err(EncodeError::DuplicateProperty { layer, id, key }) => {
            assert_eq!((layer.as_str(), id, key.as_str()), ("grids", 7, "code"));
        }
        // Before the fix the mvt crate wrote both tags, which the validator calls RepeatedKey.
        other => panic!(
            "expected DuplicateProperty, got {:?}",
            other.map(|b| validate(&b))
        ),
    }
}
