//! A bounded, pure in-memory tile cache with ETags and exact bbox eviction.
//!
//! Keys are (source, z/x/y, variant); the variant carries whatever else changes the bytes
//! (an `as_of` timestamp, a style or a language). Each source has a *generation* that
//! [`TileCache::evict_bbox`] bumps: a tile rendered before an edit must not be stored after the
//! eviction that edit caused, so [`TileCache::insert`] takes the generation read when rendering
//! started and refuses stale bytes. ETags combine the generation with a stable FNV-1a hash of
//! the bytes, so they survive restarts and change whenever the content can have changed.
//!
//! Memory is bounded by `max_bytes` (tile bytes plus a fixed per-entry overhead); the least
//! recently used tiles go first.
//!
//! A hit ([`TileCache::get`]) takes `&self` and only stores a tick in the entry, so a server
//! can serve hits under a shared read lock from every core at once. The LRU order is kept
//! lazily but exactly: each entry is filed in `lru` under the tick of its last filing; on
//! eviction an entry whose last use is newer than its filing is re-filed under that use and
//! skipped, so the first entry found unmoved is the least recently used one.

use crate::math::{tiles_covering_zooms, TileId, DEFAULT_BUFFER, DEFAULT_EXTENT};
use geo::Rect;
use std::collections::{BTreeMap, HashMap};
use std::ops::RangeInclusive;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Rough bookkeeping cost of one entry besides its bytes (key, maps, Arc header).
const ENTRY_OVERHEAD: usize = 128;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TileKey {
    pub source: String,
    pub tile: TileId,
    pub variant: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedTile {
    pub bytes: Arc<[u8]>,
    /// A quoted strong ETag, ready for an HTTP header.
    pub etag: String,
}

#[derive(Debug)]
struct Entry {
    tile: CachedTile,
    /// The tick this entry is filed under in `lru`.
    filed: u64,
    /// The tick of its last use (≥ `filed`).
    last_use: AtomicU64,
    cost: usize,
}

#[derive(Debug)]
pub struct TileCache {
    max_bytes: usize,
    used: usize,
    tick: AtomicU64,
    buffer: u32,
    extent: u32,
    entries: HashMap<TileKey, Entry>,
    lru: BTreeMap<u64, TileKey>,
    generations: HashMap<String, u64>,
}

/// FNV-1a, 64 bit: tiny, stable across Rust versions and processes (std's hasher is not).
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// The ETag of `bytes` rendered at `generation` of their source.
pub fn etag(bytes: &[u8], generation: u64) -> String {
    format!("\"{generation:x}-{:016x}\"", fnv1a(bytes))
}

impl TileCache {
    /// A cache holding at most `max_bytes`, for tiles encoded with the default extent and buffer.
    pub fn new(max_bytes: usize) -> TileCache {
        TileCache::with_buffer(max_bytes, DEFAULT_BUFFER, DEFAULT_EXTENT)
    }

    /// As [`TileCache::new`] for tiles encoded with another buffer/extent: eviction must reach
    /// every tile whose buffer can show an edited feature.
    pub fn with_buffer(max_bytes: usize, buffer: u32, extent: u32) -> TileCache {
        TileCache {
            max_bytes,
            used: 0,
            tick: AtomicU64::new(0),
            buffer,
            extent,
            entries: HashMap::new(),
            lru: BTreeMap::new(),
            generations: HashMap::new(),
        }
    }

    /// Current generation of `source` (0 until its first eviction).
    pub fn generation(&self, source: &str) -> u64 {
        self.generations.get(source).copied().unwrap_or(0)
    }

    fn next_tick(&self) -> u64 {
        self.tick.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Looks a tile up and marks it recently used. Takes `&self`: see the module notes.
    pub fn get(&self, key: &TileKey) -> Option<CachedTile> {
        let e = self.entries.get(key)?;
        e.last_use.fetch_max(self.next_tick(), Ordering::Relaxed);
        Some(e.tile.clone())
    }

    /// Stores bytes rendered when the source was at `rendered_at` (read it with
    /// [`TileCache::generation`] before rendering). Returns the tile with its ETag either way;
    /// stores it only when the generation is still current and it fits in the cache.
    pub fn insert(&mut self, key: TileKey, bytes: Vec<u8>, rendered_at: u64) -> CachedTile {
        let tile = CachedTile {
            etag: etag(&bytes, rendered_at),
            bytes: Arc::from(bytes),
        };
        let cost = tile.bytes.len() + key.source.len() + key.variant.len() + ENTRY_OVERHEAD;
        if rendered_at != self.generation(&key.source) || cost > self.max_bytes {
            return tile;
        }
        self.remove(&key);
        while self.used + cost > self.max_bytes {
            let Some((filed, oldest)) = self.lru.pop_first() else {
                break;
            };
            let Some(e) = self.entries.get_mut(&oldest) else {
                continue;
            };
            let last = *e.last_use.get_mut();
            if last != filed {
                // Used since it was filed: file it under that use and look further.
                e.filed = last;
                self.lru.insert(last, oldest);
                continue;
            }
            if let Some(e) = self.entries.remove(&oldest) {
                self.used -= e.cost;
            }
        }
        let tick = self.next_tick();
        self.lru.insert(tick, key.clone());
        self.entries.insert(
            key,
            Entry {
                tile: tile.clone(),
                filed: tick,
                last_use: AtomicU64::new(tick),
                cost,
            },
        );
        self.used += cost;
        tile
    }

    fn remove(&mut self, key: &TileKey) -> bool {
        match self.entries.remove(key) {
            Some(e) => {
                self.lru.remove(&e.filed);
                self.used -= e.cost;
                true
            }
            None => false,
        }
    }

    /// Removes every cached tile of `source` at a zoom in `zooms` whose buffered area touches
    /// `bbox` (lon/lat; pass an edit's old ∪ new bbox), whatever its variant, and bumps the
    /// source's generation. Returns how many tiles were removed.
    pub fn evict_bbox(
        &mut self,
        source: &str,
        bbox: Rect<f64>,
        zooms: RangeInclusive<u8>,
    ) -> usize {
        *self.generations.entry(source.to_string()).or_insert(0) += 1;
        let ranges = tiles_covering_zooms(bbox, zooms, self.buffer, self.extent);
        // Scan the cache rather than enumerate the ranges: at z18+ a district-sized bbox covers
        // far more tiles than any cache holds.
        let doomed: Vec<TileKey> = self
            .entries
            .keys()
            .filter(|k| k.source == source && ranges.iter().any(|r| r.contains(&k.tile)))
            .cloned()
            .collect();
        for k in &doomed {
            self.remove(k);
        }
        doomed.len()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Bytes accounted against the bound.
    pub fn bytes_used(&self) -> usize {
        self.used
    }

    pub fn contains(&self, key: &TileKey) -> bool {
        self.entries.contains_key(key)
    }
}

#[cfg(test)]
// Tests: an unwrap that panics is the failure report.
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use geo::Coord;

    fn key(z: u8, x: u32, y: u32) -> TileKey {
        TileKey {
            source: "grids".into(),
            tile: TileId::new(z, x, y).unwrap(),
            variant: String::new(),
        }
    }

    #[test]
    fn lru_bound_and_stale_generation() {
        let mut c = TileCache::new(3 * (100 + 5 + ENTRY_OVERHEAD));
        for x in 0..3 {
            c.insert(key(2, x, 0), vec![x as u8; 100], 0);
        }
        assert_eq!(c.len(), 3);
        c.get(&key(2, 0, 0)); // 0 is now the most recent: 1 goes first.
        c.insert(key(2, 3, 0), vec![9; 100], 0);
        assert!(c.contains(&key(2, 0, 0)) && !c.contains(&key(2, 1, 0)));
        assert!(c.bytes_used() <= 3 * (100 + 5 + ENTRY_OVERHEAD));
        // An eviction bumps the generation: bytes rendered before it are not stored.
        let bbox = Rect::new(Coord { x: 0.0, y: 0.0 }, Coord { x: 1.0, y: 1.0 });
        c.evict_bbox("grids", bbox, 0..=0);
        assert_eq!(c.generation("grids"), 1);
        let t = c.insert(key(2, 2, 2), vec![1], 0);
        assert!(!c.contains(&key(2, 2, 2)));
        assert_ne!(t.etag, etag(&[1], 1));
    }
}

#[cfg(test)]
mod lru_model {
    //! The lazily kept LRU order must be exactly the LRU order of a naive model.
    use super::*;
    use proptest::prelude::*;

    fn key(x: u32) -> TileKey {
        TileKey {
            source: "grids".into(),
            tile: TileId::new(4, x, 0).expect("tile"),
            variant: String::new(),
        }
    }

    proptest! {
        #[test]
        fn same_as_naive_lru(ops in prop::collection::vec((any::<bool>(), 0u32..6), 1..200)) {
            let cost = 10 + 5 + ENTRY_OVERHEAD;
            let mut c = TileCache::new(3 * cost);
            // Most recent last.
            let mut model: Vec<u32> = Vec::new();
            for (insert, x) in ops {
                if insert {
                    c.insert(key(x), vec![0; 10], 0);
                    model.retain(|&m| m != x);
                    if model.len() == 3 {
                        model.remove(0);
                    }
                    model.push(x);
                } else {
                    let hit = c.get(&key(x)).is_some();
                    prop_assert_eq!(hit, model.contains(&x));
                    if hit {
                        model.retain(|&m| m != x);
                        model.push(x);
                    }
                }
                for x in 0..6 {
                    prop_assert_eq!(c.contains(&key(x)), model.contains(&x));
                }
            }
        }
    }
}
