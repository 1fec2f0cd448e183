//! R-tree over grid (or area) bounding boxes.
//!
//! rstar 0.14 is newer than the rstar version geo-types implements its traits for, so the tree
//! stores this small entry type: a bounding box and the slot of the item in its owner's vector.

use geo::{BoundingRect, Coord, MultiPolygon, Rect};
use rstar::{PointDistance, RTree, RTreeObject, AABB};

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Entry {
    pub envelope: AABB<[f64; 2]>,
    pub slot: u32,
}

impl RTreeObject for Entry {
    type Envelope = AABB<[f64; 2]>;

    fn envelope(&self) -> Self::Envelope {
        self.envelope
    }
}

impl PointDistance for Entry {
    /// Squared distance in degrees from the point to the box: a lower bound for the distance
    /// to the geometry inside it.
    fn distance_2(&self, point: &[f64; 2]) -> f64 {
        self.envelope.distance_2(point)
    }
}

pub fn envelope_of(rect: Rect<f64>) -> AABB<[f64; 2]> {
    AABB::from_corners([rect.min().x, rect.min().y], [rect.max().x, rect.max().y])
}

pub fn envelope_of_geometry(mp: &MultiPolygon<f64>) -> Option<AABB<[f64; 2]>> {
    mp.bounding_rect().map(envelope_of)
}

/// The smallest rectangle holding both.
pub fn union_rect(a: Rect<f64>, b: Rect<f64>) -> Rect<f64> {
    Rect::new(
        Coord {
            x: a.min().x.min(b.min().x),
            y: a.min().y.min(b.min().y),
        },
        Coord {
            x: a.max().x.max(b.max().x),
            y: a.max().y.max(b.max().y),
        },
    )
}

pub fn rect_of(env: &AABB<[f64; 2]>) -> Rect<f64> {
    let (lo, hi) = (env.lower(), env.upper());
    Rect::new(Coord { x: lo[0], y: lo[1] }, Coord { x: hi[0], y: hi[1] })
}

/// A bulk-loaded R-tree of slots.
#[derive(Debug, Clone, Default)]
pub struct SlotIndex {
    tree: RTree<Entry>,
}

impl SlotIndex {
    pub fn bulk(entries: Vec<Entry>) -> Self {
        SlotIndex {
            tree: RTree::bulk_load(entries),
        }
    }

    pub fn insert(&mut self, entry: Entry) {
        self.tree.insert(entry);
    }

    pub fn remove(&mut self, entry: &Entry) -> bool {
        self.tree.remove(entry).is_some()
    }

    pub fn at_point(&self, p: Coord<f64>) -> impl Iterator<Item = u32> + '_ {
        self.tree
            .locate_in_envelope_intersecting(AABB::from_point([p.x, p.y]))
            .map(|e| e.slot)
    }

    pub fn in_rect(&self, r: Rect<f64>) -> impl Iterator<Item = u32> + '_ {
        self.tree
            .locate_in_envelope_intersecting(envelope_of(r))
            .map(|e| e.slot)
    }

    /// Entries by increasing box distance: `(slot, squared box distance in degrees)`.
    pub fn nearest(&self, p: Coord<f64>) -> impl Iterator<Item = (u32, f64)> + '_ {
        self.tree
            .nearest_neighbor_iter_with_distance_2([p.x, p.y])
            .map(|(e, d2)| (e.slot, d2))
    }

    pub fn len(&self) -> usize {
        self.tree.size()
    }

    pub fn is_empty(&self) -> bool {
        self.tree.size() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic xorshift so the comparison with a brute-force scan is reproducible.
    fn rng(seed: &mut u64) -> f64 {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        (*seed >> 11) as f64 / (1u64 << 53) as f64
    }

    #[test]
    fn rect_queries_match_a_brute_force_scan() {
        let mut seed = 0x5eed_u64;
        let boxes: Vec<Rect<f64>> = (0..500)
            .map(|_| {
                let (x, y) = (rng(&mut seed) * 100.0, rng(&mut seed) * 100.0);
                Rect::new(
                    Coord { x, y },
                    Coord {
                        x: x + rng(&mut seed) * 5.0,
                        y: y + rng(&mut seed) * 5.0,
                    },
                )
            })
            .collect();
        let index = SlotIndex::bulk(
            boxes
                .iter()
                .enumerate()
                .map(|(i, r)| Entry {
                    envelope: envelope_of(*r),
                    slot: i as u32,
                })
                .collect(),
        );
        for _ in 0..200 {
            let (x, y) = (rng(&mut seed) * 100.0, rng(&mut seed) * 100.0);
            let q = Rect::new(
                Coord { x, y },
                Coord {
                    x: x + 3.0,
                    y: y + 3.0,
                },
            );
            let mut got: Vec<u32> = index.in_rect(q).collect();
            got.sort();
            let want: Vec<u32> = boxes
                .iter()
                .enumerate()
                .filter(|(_, b)| {
                    b.min().x <= q.max().x
                        && b.max().x >= q.min().x
                        && b.min().y <= q.max().y
                        && b.max().y >= q.min().y
                })
                .map(|(i, _)| i as u32)
                .collect();
            assert_eq!(got, want);
        }
    }
}
