//! Evicting an edit's old ∪ new bbox removes exactly the cached tiles whose buffered area
//! touches it, at every zoom, for that source only, and nothing else.

use geo::{Coord, Rect};
use wangge_tiles::math::{tiles_covering, DEFAULT_BUFFER, DEFAULT_EXTENT};
use wangge_tiles::{TileCache, TileId, TileKey};

fn key(source: &str, t: TileId, variant: &str) -> TileKey {
    TileKey {
        source: source.into(),
        tile: t,
        variant: variant.into(),
    }
}

/// Independent reference: does tile t's buffered lon/lat box touch bbox?
fn touches(t: TileId, bbox: Rect<f64>) -> bool {
    let b = t.bounds_lonlat();
    // The buffer in degrees of longitude is exact; in latitude we pad with the tile's own
    // height fraction, which is what the buffer is in Mercator at that tile.
    let pad_x = b.width() * f64::from(DEFAULT_BUFFER) / f64::from(DEFAULT_EXTENT);
    let m = t.bounds_mercator();
    let pad_m = m.height() * f64::from(DEFAULT_BUFFER) / f64::from(DEFAULT_EXTENT);
    let north = wangge_tiles::math::mercator_to_lonlat(Coord {
        x: 0.0,
        y: m.max().y + pad_m,
    })
    .y;
    let south = wangge_tiles::math::mercator_to_lonlat(Coord {
        x: 0.0,
        y: m.min().y - pad_m,
    })
    .y;
    b.min().x - pad_x <= bbox.max().x
        && b.max().x + pad_x >= bbox.min().x
        && south <= bbox.max().y
        && north >= bbox.min().y
}

#[test]
fn evicting_old_union_new_bbox_removes_exactly_those_tiles() {
    // A grid edit near Beijing: old shape and new shape bboxes.
    let old: Rect<f64> = Rect::new(
        Coord {
            x: 116.380,
            y: 39.900,
        },
        Coord {
            x: 116.392,
            y: 39.908,
        },
    );
    let new: Rect<f64> = Rect::new(
        Coord {
            x: 116.386,
            y: 39.904,
        },
        Coord {
            x: 116.398,
            y: 39.911,
        },
    );
    let union = Rect::new(
        Coord {
            x: old.min().x.min(new.min().x),
            y: old.min().y.min(new.min().y),
        },
        Coord {
            x: old.max().x.max(new.max().x),
            y: old.max().y.max(new.max().y),
        },
    );
    // Fill the cache with a neighbourhood of tiles around the edit at z0..=16, two variants,
    // and the same tiles for another source.
    let area = Rect::new(
        Coord {
            x: 116.30,
            y: 39.85,
        },
        Coord {
            x: 116.48,
            y: 39.96,
        },
    );
    let mut cache = TileCache::new(usize::MAX);
    let mut all = Vec::new();
    for z in 0..=16u8 {
        for t in tiles_covering(area, z, 0, DEFAULT_EXTENT)
            .expect("zoom ok")
            .iter()
        {
            for (src, var) in [("grids", "now"), ("grids", "2024-01-01"), ("other", "now")] {
                let k = key(src, t, var);
                cache.insert(k.clone(), vec![z; 10], 0);
                all.push(k);
            }
        }
    }
    assert_eq!(cache.len(), all.len());
    let removed = cache.evict_bbox("grids", union, 0..=16);
    let mut expected_removed = 0;
    for k in &all {
        let should_go = k.source == "grids" && touches(k.tile, union);
        expected_removed += usize::from(should_go);
        assert_eq!(
            !cache.contains(k),
            should_go,
            "{} {} {}",
            k.source,
            k.tile,
            k.variant
        );
    }
    assert_eq!(removed, expected_removed);
    assert!(removed > 2 * 17, "at least one tile per zoom per variant");
    assert!(
        cache.len() > all.len() / 2,
        "most of the neighbourhood survives"
    );
    assert_eq!(cache.generation("grids"), 1);
    assert_eq!(cache.generation("other"), 0);
    // Only zooms asked for are touched.
    let removed_hi = cache.evict_bbox("grids", union, 17..=20);
    assert_eq!(removed_hi, 0);
}
