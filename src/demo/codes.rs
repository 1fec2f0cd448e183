//! Code rules: urban/rural kind from the NBS code ranges, and grid code numbering.

use geo::Coord;
use wangge_engine::AreaKind;

/// Town level (9 digits): 001–099 街道 are urban, the rest (镇, 乡, …) rural.
pub fn town_kind(code: &str) -> AreaKind {
    match suffix(code, 9) {
        Some(1..=99) => AreaKind::Urban,
        _ => AreaKind::Rural,
    }
}

/// Village level (12 digits): 001–199 居委会 and 400–599 类似居委会 are urban, 200–399 村委会 and
/// 600–799 类似村委会 rural.
pub fn community_kind(code: &str) -> AreaKind {
    match suffix(code, 12) {
        Some(1..=199) | Some(400..=599) => AreaKind::Urban,
        _ => AreaKind::Rural,
    }
}

fn suffix(code: &str, len: usize) -> Option<u32> {
    if code.len() != len {
        return None;
    }
    code.get(len - 3..)?.parse().ok()
}

/// `prefix` + `tag` + the number zero-padded to `width` digits (e.g. "…001" + "W" + "002").
pub fn child_code(prefix: &str, tag: &str, n: usize, width: usize) -> String {
    format!("{prefix}{tag}{n:0width$}")
}

/// Reading order from the north-west: rows are latitude bands of height `band` (degrees) counted
/// down from `north`, and within a row west to east. Returns the indexes of `points` in that
/// order; ties keep the input order, so the result is deterministic.
pub fn reading_order(points: &[Coord<f64>], north: f64, band: f64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..points.len()).collect();
    let row = |p: Coord<f64>| ((north - p.y) / band).floor() as i64;
    order.sort_by(|&a, &b| {
        let (pa, pb) = (points[a], points[b]);
        row(pa)
            .cmp(&row(pb))
            .then(pa.x.total_cmp(&pb.x))
            .then(a.cmp(&b))
    });
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_follow_the_code_ranges() {
        assert_eq!(town_kind("341002001"), AreaKind::Urban);
        assert_eq!(town_kind("341002100"), AreaKind::Rural);
        assert_eq!(community_kind("341002001001"), AreaKind::Urban);
        assert_eq!(community_kind("341002104200"), AreaKind::Rural);
        assert_eq!(community_kind("341002103400"), AreaKind::Urban);
    }

    #[test]
    fn reading_order_goes_by_rows_from_the_north_then_west_to_east() {
        let pts = [
            Coord { x: 2.0, y: 0.0 },
            Coord { x: 1.0, y: 0.0 },
            Coord { x: 5.0, y: 1.05 },
            Coord { x: 0.0, y: 1.0 },
        ];
        assert_eq!(reading_order(&pts, 1.1, 0.5), vec![3, 2, 1, 0]);
        assert_eq!(
            child_code("341002001001001", "W", 7, 3),
            "341002001001001W007"
        );
    }
}
