//! A direct writer for the MVT 2.1 protobuf messages (vector_tile.proto) and geometry commands.
//!
//! Why not the `mvt` crate any more: it builds a prost message tree per tile (a `Vec<u32>` of
//! commands per feature, a `String` copy of every key and value, a `Value` struct per tag, a
//! hash of an owned `ValueKey` per tag) and then serialises the whole tree. On the side-by-side
//! city tiles that bookkeeping was a large share of the encode time (measured in the commit that
//! introduced this file). Here commands go straight into one reused buffer, keys and values are
//! borrowed from the features, and each message is written once with its length computed up
//! front.
//!
//! The output is byte-for-byte what `mvt` 0.15 wrote for the same calls (same field order,
//! packed repeated fields, the same key/value de-duplication, the same command stream including
//! its quirks, see [`GeomWriter`]), so tiles cached or snapshotted before the change stay valid;
//! the tests below check this against the crate itself.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Geometry type codes of vector_tile.proto.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GeomType {
    Point = 1,
    Linestring = 2,
    Polygon = 3,
}

const MOVE_TO: u32 = 1;
const LINE_TO: u32 = 2;
const CLOSE_PATH: u32 = 7;

fn command(id: u32, count: u32) -> u32 {
    (id & 0x7) | (count << 3)
}

fn zigzag32(v: i32) -> u32 {
    ((v << 1) ^ (v >> 31)) as u32
}

pub(crate) fn varint_len(mut v: u64) -> usize {
    let mut n = 1;
    while v >= 0x80 {
        v >>= 7;
        n += 1;
    }
    n
}

pub(crate) fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Field key byte(s): field number and wire type.
fn put_key(out: &mut Vec<u8>, field: u32, wire: u32) {
    put_varint(out, u64::from((field << 3) | wire));
}

const VARINT: u32 = 0;
const FIXED64: u32 = 1;
const LEN: u32 = 2;

fn put_bytes(out: &mut Vec<u8>, field: u32, b: &[u8]) {
    put_key(out, field, LEN);
    put_varint(out, b.len() as u64);
    out.extend_from_slice(b);
}

fn packed_len(vals: &[u32]) -> usize {
    vals.iter().map(|&v| varint_len(u64::from(v))).sum()
}

fn put_packed(out: &mut Vec<u8>, field: u32, vals: &[u32], len: usize) {
    if vals.is_empty() {
        return;
    }
    put_key(out, field, LEN);
    put_varint(out, len as u64);
    for &v in vals {
        put_varint(out, u64::from(v));
    }
}

/// The command stream of one feature, replicating `mvt::GeomEncoder<i32>` without a transform or
/// clip box: consecutive repeated points are dropped; a ring or line whose first point equals
/// the previous part's last point loses its MoveTo (the caller avoids that for polygons); in
/// polygons a point that continues a straight horizontal or vertical run replaces the middle
/// point of that run.
pub(crate) struct GeomWriter<'a> {
    ty: GeomType,
    data: &'a mut Vec<u32>,
    pt0: Option<(i32, i32)>,
    pt1: Option<(i32, i32)>,
    cmd_offset: usize,
    count: u32,
}

impl<'a> GeomWriter<'a> {
    pub(crate) fn new(ty: GeomType, data: &'a mut Vec<u32>) -> Self {
        data.clear();
        GeomWriter {
            ty,
            data,
            pt0: None,
            pt1: None,
            cmd_offset: 0,
            count: 0,
        }
    }

    fn push_command(&mut self, id: u32) {
        self.cmd_offset = self.data.len();
        self.data.push(command(id, 1));
    }

    fn set_command_count(&mut self, count: u32) {
        let id = self.data[self.cmd_offset] & 0x7;
        self.data[self.cmd_offset] = command(id, count);
    }

    fn push_point(&mut self, x: i32, y: i32) {
        self.pt0 = self.pt1;
        let (px, py) = self.pt0.unwrap_or((0, 0));
        self.data.push(zigzag32(x.saturating_sub(px)));
        self.data.push(zigzag32(y.saturating_sub(py)));
        self.pt1 = Some((x, y));
        self.count += 1;
    }

    fn pop_point(&mut self) {
        self.data.pop();
        self.data.pop();
        self.pt1 = self.pt0;
        self.count -= 1;
    }

    fn continues_run(&self, x: i32, y: i32) -> bool {
        if let (Some((p0x, p0y)), Some((p1x, p1y))) = (self.pt0, self.pt1) {
            if p0x == p1x && p1x == x {
                return (p0y < p1y && p1y < y) || (p0y > p1y && p1y > y);
            }
            if p0y == p1y && p1y == y {
                return (p0x < p1x && p1x < x) || (p0x > p1x && p1x > x);
            }
        }
        false
    }

    pub(crate) fn add_point(&mut self, x: i32, y: i32) {
        if self.pt1 == Some((x, y)) {
            if self.count == 0 {
                self.count += 1;
            }
            return;
        }
        match self.count {
            0 => self.push_command(MOVE_TO),
            1 if self.ty != GeomType::Point => self.push_command(LINE_TO),
            _ => (),
        }
        if self.ty == GeomType::Polygon && self.count >= 2 && self.continues_run(x, y) {
            self.pop_point();
        }
        self.push_point(x, y);
    }

    /// Ends a ring or a line (for points: sets the MoveTo count).
    pub(crate) fn complete(&mut self) {
        match self.ty {
            GeomType::Point => {
                self.set_command_count(self.count);
                return;
            }
            GeomType::Linestring => {
                if self.count > 1 {
                    self.set_command_count(self.count - 1);
                }
            }
            GeomType::Polygon => {
                if self.count > 1 {
                    self.set_command_count(self.count - 1);
                    self.push_command(CLOSE_PATH);
                }
            }
        }
        self.count = 0;
        self.pt0 = None;
    }
}

/// A property value as a key for de-duplication; ±0.0 are one value, as in `mvt`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum ValueKey<'a> {
    String(&'a str),
    Double(u64),
    Uint(u64),
    Sint(i64),
    Bool(bool),
}

/// FNV-1a as the hasher of the per-tile key/value tables: keys are short strings and small
/// integers, and SipHash's DoS resistance buys nothing for a table that lives for one tile.
#[derive(Default)]
pub(crate) struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

type FnvMap<K, V> = HashMap<K, V, BuildHasherDefault<Fnv>>;

/// One layer being written: features go straight into `body`, keys and values are appended at
/// the end (fields 3 and 4 follow the features, field order as prost writes it).
pub(crate) struct LayerWriter<'a> {
    body: Vec<u8>,
    keys: FnvMap<&'a str, u32>,
    key_list: Vec<&'a str>,
    values: FnvMap<ValueKey<'a>, u32>,
    value_list: Vec<ValueKey<'a>>,
    tags: Vec<u32>,
    features: usize,
}

impl<'a> LayerWriter<'a> {
    pub(crate) fn new(name: &str) -> Self {
        let mut body = Vec::with_capacity(4096);
        put_bytes(&mut body, 1, name.as_bytes());
        LayerWriter {
            body,
            keys: FnvMap::default(),
            key_list: Vec::new(),
            values: FnvMap::default(),
            value_list: Vec::new(),
            tags: Vec::new(),
            features: 0,
        }
    }

    pub(crate) fn num_features(&self) -> usize {
        self.features
    }

    /// Starts a feature's tag list.
    pub(crate) fn begin_tags(&mut self) {
        self.tags.clear();
    }

    pub(crate) fn tag(&mut self, key: &'a str, value: ValueKey<'a>) {
        let next = self.key_list.len() as u32;
        let k = *self.keys.entry(key).or_insert(next);
        if k == next {
            self.key_list.push(key);
        }
        let norm = match value {
            ValueKey::Double(bits) if f64::from_bits(bits) == 0.0 => ValueKey::Double(0),
            v => v,
        };
        let next = self.value_list.len() as u32;
        // The first value seen is the one written (so -0.0 stays -0.0 if it came first).
        let v = *self.values.entry(norm).or_insert(next);
        if v == next {
            self.value_list.push(value);
        }
        self.tags.push(k);
        self.tags.push(v);
    }

    /// Writes a feature with the tags added since [`LayerWriter::begin_tags`].
    pub(crate) fn feature(&mut self, id: u64, ty: GeomType, geometry: &[u32]) {
        let tags_len = packed_len(&self.tags);
        let geom_len = packed_len(geometry);
        let mut len = 1 + varint_len(id) + 2;
        if !self.tags.is_empty() {
            len += 1 + varint_len(tags_len as u64) + tags_len;
        }
        if !geometry.is_empty() {
            len += 1 + varint_len(geom_len as u64) + geom_len;
        }
        let out = &mut self.body;
        out.reserve(len + 6);
        put_key(out, 2, LEN);
        put_varint(out, len as u64);
        put_key(out, 1, VARINT);
        put_varint(out, id);
        put_packed(out, 2, &self.tags, tags_len);
        put_key(out, 3, VARINT);
        put_varint(out, ty as u64);
        put_packed(out, 4, geometry, geom_len);
        self.features += 1;
    }

    /// Appends the finished layer (field 3 of Tile) to `tile`.
    pub(crate) fn finish(mut self, extent: u32, tile: &mut Vec<u8>) {
        let out = &mut self.body;
        for k in &self.key_list {
            put_bytes(out, 3, k.as_bytes());
        }
        let mut v = Vec::with_capacity(16);
        for value in &self.value_list {
            v.clear();
            match *value {
                ValueKey::String(s) => put_bytes(&mut v, 1, s.as_bytes()),
                ValueKey::Double(bits) => {
                    put_key(&mut v, 3, FIXED64);
                    v.extend_from_slice(&bits.to_le_bytes());
                }
                ValueKey::Uint(u) => {
                    put_key(&mut v, 5, VARINT);
                    put_varint(&mut v, u);
                }
                ValueKey::Sint(i) => {
                    put_key(&mut v, 6, VARINT);
                    put_varint(&mut v, ((i << 1) ^ (i >> 63)) as u64);
                }
                ValueKey::Bool(b) => {
                    put_key(&mut v, 7, VARINT);
                    put_varint(&mut v, u64::from(b));
                }
            }
            put_bytes(out, 4, &v);
        }
        put_key(out, 5, VARINT);
        put_varint(out, u64::from(extent));
        put_key(out, 15, VARINT);
        put_varint(out, 2);
        put_bytes(tile, 3, &self.body);
    }
}

#[cfg(test)]
mod tests {
    //! Parity with the `mvt` crate this writer replaced: random features (with repeated points,
    //! straight runs, parts starting where the previous one ended, shared and ±0.0 values) must
    //! give the very same tile bytes.
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Val {
        Str(u8),
        Double(f64),
        Uint(u64),
        Sint(i64),
        Bool(bool),
    }

    #[derive(Debug, Clone)]
    struct Feat {
        id: u64,
        ty: u8,
        parts: Vec<Vec<(i32, i32)>>,
        tags: Vec<(u8, Val)>,
    }

    const STRS: [&str; 4] = ["a", "bb", "", "grids"];
    const KEYS: [&str; 3] = ["code", "n", "x"];

    fn val() -> impl Strategy<Value = Val> {
        prop_oneof![
            (0u8..4).prop_map(Val::Str),
            prop_oneof![Just(0.0), Just(-0.0), Just(1.5), any::<f64>()].prop_map(Val::Double),
            (0u64..3).prop_map(Val::Uint),
            (-3i64..0).prop_map(Val::Sint),
            any::<bool>().prop_map(Val::Bool),
        ]
    }

    fn feat() -> impl Strategy<Value = Feat> {
        // Coordinates on a tiny grid so repeats and straight runs are frequent.
        let pt = (-2i32..3, -2i32..3);
        (
            0u64..5,
            0u8..3,
            prop::collection::vec(prop::collection::vec(pt, 1..8), 1..4),
            prop::collection::vec((0u8..3, val()), 0..4),
        )
            .prop_map(|(id, ty, parts, tags)| Feat {
                id,
                ty,
                parts,
                tags,
            })
    }

    fn key<'a>(v: &Val) -> ValueKey<'a> {
        match *v {
            Val::Str(i) => ValueKey::String(STRS[usize::from(i)]),
            Val::Double(x) => ValueKey::Double(x.to_bits()),
            Val::Uint(u) => ValueKey::Uint(u),
            Val::Sint(i) => ValueKey::Sint(i),
            Val::Bool(b) => ValueKey::Bool(b),
        }
    }

    fn ours(layers: &[Vec<Feat>]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut geom = Vec::new();
        for (i, feats) in layers.iter().enumerate() {
            let name = format!("l{i}");
            let mut lw = LayerWriter::new(&name);
            for f in feats {
                let ty = [GeomType::Point, GeomType::Linestring, GeomType::Polygon][f.ty as usize];
                let mut w = GeomWriter::new(ty, &mut geom);
                for part in &f.parts {
                    for &(x, y) in part {
                        w.add_point(x, y);
                    }
                    w.complete();
                }
                lw.begin_tags();
                for (k, v) in &f.tags {
                    lw.tag(KEYS[usize::from(*k)], key(v));
                }
                lw.feature(f.id, ty, &geom);
            }
            if lw.num_features() > 0 {
                lw.finish(4096, &mut out);
            }
        }
        out
    }

    fn theirs(layers: &[Vec<Feat>]) -> Vec<u8> {
        let mut tile = mvt::Tile::new(4096);
        for (i, feats) in layers.iter().enumerate() {
            let mut layer = tile.create_layer(&format!("l{i}"));
            for f in feats {
                let ty = [
                    mvt::GeomType::Point,
                    mvt::GeomType::Linestring,
                    mvt::GeomType::Polygon,
                ][f.ty as usize];
                let mut enc = mvt::GeomEncoder::<i32>::new(ty);
                for part in &f.parts {
                    for &(x, y) in part {
                        enc.add_point(x, y).expect("point");
                    }
                    enc.complete_geom().expect("complete");
                }
                let mut feature = layer.into_feature(enc.encode().expect("encode"));
                feature.set_id(f.id);
                for (k, v) in &f.tags {
                    let k = KEYS[usize::from(*k)];
                    match *v {
                        Val::Str(i) => feature.add_tag_string(k, STRS[usize::from(i)]),
                        Val::Double(x) => feature.add_tag_double(k, x),
                        Val::Uint(u) => feature.add_tag_uint(k, u),
                        Val::Sint(i) => feature.add_tag_sint(k, i),
                        Val::Bool(b) => feature.add_tag_bool(k, b),
                    }
                }
                layer = feature.into_layer();
            }
            if layer.num_features() > 0 {
                tile.add_layer(layer).expect("layer");
            }
        }
        tile.to_bytes().expect("bytes")
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn same_bytes_as_the_mvt_crate(
            layers in prop::collection::vec(prop::collection::vec(feat(), 0..5), 0..3)
        ) {
            prop_assert_eq!(ours(&layers), theirs(&layers));
        }
    }
}
