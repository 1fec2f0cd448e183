//! Sample tiles for the decoder tests, built in tile-pixel terms so the expected geometry is
//! readable: `px(tile, x, y)` is the lon/lat that lands on tile pixel (x, y) at extent 4096.

use geo::{Coord, Geometry, LineString, MultiPolygon, Point, Polygon};
use wangge_tiles::math::{mercator_to_lonlat, TileId};
use wangge_tiles::{Feature, Layer, PropValue};

pub(crate) fn px(t: TileId, x: f64, y: f64) -> Coord<f64> {
    let b = t.bounds_mercator();
    let (w, h) = (b.width(), b.height());
    mercator_to_lonlat(Coord {
        x: b.min().x + x / 4096.0 * w,
        y: b.max().y - y / 4096.0 * h,
    })
}

fn ring(t: TileId, pts: &[(f64, f64)]) -> LineString<f64> {
    let mut v: Vec<Coord<f64>> = pts.iter().map(|&(x, y)| px(t, x, y)).collect();
    v.push(v[0]);
    LineString::from(v)
}

/// The sample tile: z14 over Beijing.
pub(crate) fn tile() -> TileId {
    TileId::new(14, 13492, 6208).expect("valid tile")
}

/// Layers exercising clipping, holes, winding repair, every geometry and property kind.
pub(crate) fn layers() -> Vec<Layer> {
    let t = tile();
    let code = |c: &str| ("code".to_string(), PropValue::String(c.into()));
    let mut grids = Layer::new("grids");
    // Inside the tile, given counter-clockwise on screen: must come out as an exterior (2A > 0).
    grids.push(Feature {
        id: 1,
        geometry: Geometry::Polygon(Polygon::new(
            ring(
                t,
                &[(100., 100.), (100., 1000.), (1000., 1000.), (1000., 100.)],
            ),
            vec![],
        )),
        properties: vec![
            code("110105001001"),
            ("level".into(), PropValue::Int(4)),
            ("delta".into(), PropValue::Int(-3)),
            ("area_km2".into(), PropValue::Float(0.25)),
            ("active".into(), PropValue::Bool(true)),
        ],
    });
    // With a hole, crossing the east edge: clipped at extent + buffer (4160).
    grids.push(Feature {
        id: 2,
        geometry: Geometry::Polygon(Polygon::new(
            ring(
                t,
                &[
                    (3000., 2000.),
                    (5000., 2000.),
                    (5000., 3000.),
                    (3000., 3000.),
                ],
            ),
            vec![ring(
                t,
                &[
                    (3200., 2200.),
                    (3400., 2200.),
                    (3400., 2400.),
                    (3200., 2400.),
                ],
            )],
        )),
        properties: vec![code("110105001002")],
    });
    // Two parts, one of them entirely outside the buffered tile (dropped).
    grids.push(Feature {
        id: 3,
        geometry: Geometry::MultiPolygon(MultiPolygon(vec![
            Polygon::new(
                ring(t, &[(2000., 3500.), (2500., 3500.), (2500., 4000.)]),
                vec![],
            ),
            Polygon::new(
                ring(t, &[(6000., 100.), (7000., 100.), (7000., 900.)]),
                vec![],
            ),
        ])),
        properties: vec![code("110105001003")],
    });
    // Smaller than a tile unit: degenerate after rounding, so the feature is skipped.
    grids.push(Feature {
        id: 4,
        geometry: Geometry::Polygon(Polygon::new(
            ring(t, &[(500.1, 500.1), (500.3, 500.1), (500.3, 500.3)]),
            vec![],
        )),
        properties: vec![code("110105001004")],
    });
    let mut pois = Layer::new("pois");
    pois.push(Feature {
        id: 10,
        geometry: Geometry::Point(Point(px(t, 2048., 2048.))),
        properties: vec![("name".into(), PropValue::String("网格站".into()))],
    });
    pois.push(Feature {
        id: 11,
        geometry: Geometry::Point(Point(px(t, -500., 2048.))),
        properties: vec![],
    });
    let mut roads = Layer::new("roads");
    // Leaves through the west edge and comes back.
    roads.push(Feature {
        id: 20,
        geometry: Geometry::LineString(LineString::from(vec![
            px(t, 200., 3000.),
            px(t, -1000., 3000.),
            px(t, -1000., 3500.),
            px(t, 300., 3500.),
        ])),
        properties: vec![("kind".into(), PropValue::String("primary".into()))],
    });
    vec![grids, pois, roads, Layer::new("empty")]
}
